"""PyTorch: eager NCHW, eager channels_last, and torch.compile (Inductor, NCHW).

The layer is Conv2d(groups=C) -> Conv2d(1x1, bias) -> ReLU.  TF's 'same' pads
are asymmetric for stride 2 on even sizes; Conv2d only pads symmetrically, so
those cases pad explicitly with F.pad first, as a faithful port must (timm's
Conv2dSame does the same).  Inputs are handed over already in the variant's
layout (conversion not timed)."""

import numpy as np

import cases as suite

torch = None
_variant = None


def setup(threads, variant):
    global torch, _variant
    import torch as _torch
    torch = _torch
    _variant = variant
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    if variant == "compile":
        # fail loudly instead of silently running eager when compilation breaks
        torch._dynamo.config.suppress_errors = False
    return {"version": torch.__version__, "variant": variant,
            "mkldnn": bool(torch.backends.mkldnn.is_available())}


def _module(case, dw, pw, bias):
    nn, F = torch.nn, torch.nn.functional
    g = suite.geometry(case)
    cm = case.c * case.m
    sym = g["pad_top"] == g["pad_bottom"] and g["pad_left"] == g["pad_right"]

    class Sep(nn.Module):
        def __init__(self):
            super().__init__()
            self.pad = None if sym else (g["pad_left"], g["pad_right"], g["pad_top"], g["pad_bottom"])
            self.dw = nn.Conv2d(case.c, cm, case.k, stride=case.stride, dilation=case.dilation,
                                padding=(g["pad_top"], g["pad_left"]) if sym else 0,
                                groups=case.c, bias=False)
            self.pw = nn.Conv2d(cm, case.f, 1, bias=True)

        def forward(self, x):
            if self.pad is not None:
                x = F.pad(x, self.pad)
            return F.relu(self.pw(self.dw(x)))

    m = Sep().eval()
    with torch.no_grad():
        # TF (k, k, C, M) -> torch (C*M, 1, k, k); output channel c*M + m in both
        m.dw.weight.copy_(torch.from_numpy(dw.transpose(2, 3, 0, 1).reshape(cm, 1, case.k, case.k)))
        m.pw.weight.copy_(torch.from_numpy(np.ascontiguousarray(pw[0, 0].T).reshape(case.f, cm, 1, 1)))
        m.pw.bias.copy_(torch.from_numpy(bias))
    return m


class Impl:
    def __init__(self, case, batch, x, dw, pw, bias):
        self.case = case
        if case.data_format == "channels_last":
            x = x.transpose(0, 3, 1, 2)
        xt = torch.from_numpy(np.ascontiguousarray(x))
        model = _module(case, dw, pw, bias)
        if _variant == "channels_last":
            model = model.to(memory_format=torch.channels_last)
            xt = xt.contiguous(memory_format=torch.channels_last)
        if _variant == "compile":
            # a fresh cache per layer: every case reuses Sep.forward's code object,
            # and Dynamo would fall back to eager after its recompile limit
            torch._dynamo.reset()
            model = torch.compile(model, dynamic=False)
        self.model, self.x = model, xt

    def call(self):
        with torch.inference_mode():
            return self.model(self.x)

    def result(self):
        y = self.call().contiguous().numpy()
        if self.case.data_format == "channels_last":
            y = y.transpose(0, 2, 3, 1)
        return y


def build(case, batch, x, dw, pw, bias):
    return Impl(case, batch, x, dw, pw, bias)
