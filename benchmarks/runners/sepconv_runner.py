"""sepconv: the layer through its public API (SeparableConv2D; the timed call
is layer(x), which allocates its output), plus the kernel-level split through
sepconv._kernels.Plan with the same kernel family: fused kernel, depthwise
alone and pointwise alone, each into preallocated buffers.

Without the public layer (an old build), the "full call" falls back to a thin
wrapper over Plan.forward that allocates the output as the layer does."""

import numpy as np

import cases as suite

_threads = 1
_isa = None
sepconv = None
_kernels = None


def setup(threads, variant):
    global sepconv, _kernels, _threads, _isa
    import sepconv as _sc
    from sepconv import _kernels as _k
    sepconv, _kernels, _threads = _sc, _k, threads
    if hasattr(sepconv, "set_num_threads"):
        sepconv.set_num_threads(threads)
    isa = _isa = sepconv.selected_isa() if hasattr(sepconv, "selected_isa") else _kernels.best_isa()
    return {"version": getattr(sepconv, "__version__", "?"), "isa": isa,
            "openmp": _kernels.openmp_enabled(), "public_api": has_layer()}


def has_layer():
    return hasattr(sepconv, "SeparableConv2D")


def probe(threads, nbytes):
    """Measured FMA peak and copy bandwidth at this thread count."""
    peak = _kernels.probe_peak_flops(threads, 0.6)
    bw = _kernels.probe_copy_bandwidth(threads, nbytes, 5)
    return {"peak_flops": peak, "bandwidth_bytes_per_s": bw, "copy_buffer_bytes": nbytes,
            "peak_isa": _kernels.best_isa()}


def packed_plan(case, dw, pw, bias, dtype=np.float32, isa=None):
    """A Plan for the case in dtype, its weights packed (dtype_ratio.py uses it too)."""
    from sepconv import _kernels as k
    cm = case.c * case.m
    plan = k.Plan(dtype, case.c, case.m, case.f, case.k, case.k, case.stride, case.stride,
                  case.dilation, case.dilation, case.data_format == "channels_first", "relu", True,
                  isa=isa)
    plan.pack(np.ascontiguousarray(dw, dtype), np.ascontiguousarray(pw.reshape(cm, case.f), dtype),
              np.ascontiguousarray(bias, dtype))
    return plan


def forward_args(case, batch, threads):
    """Plan.forward's geometry arguments after (x, y)."""
    g = suite.geometry(case)
    return (batch, case.h, case.w, g["pad_top"], g["pad_left"], g["ho"], g["wo"], threads)


def output_shape(case, batch, channels):
    g = suite.geometry(case)
    if case.data_format == "channels_first":
        return (batch, channels, g["ho"], g["wo"])
    return (batch, g["ho"], g["wo"], channels)


class Impl:
    def __init__(self, case, batch, x, dw, pw, bias):
        self.case, self.batch, self.x = case, batch, x
        self.plan = packed_plan(case, dw, pw, bias, isa=_isa)
        # the library's own allocator, as a layer call uses (cache-line aligned:
        # numpy's 16-byte alignment would keep the kernels from streaming)
        self.y = _kernels.empty_output(output_shape(case, batch, case.f), np.float32)
        self.d = _kernels.empty_output(output_shape(case, batch, case.c * case.m), np.float32)
        if has_layer():
            layer = sepconv.SeparableConv2D(
                case.f, case.k, strides=case.stride, padding=case.padding,
                data_format=case.data_format, dilation_rate=case.dilation,
                depth_multiplier=case.m, activation="relu", num_threads=_threads)
            layer.build(x.shape)
            layer.set_weights([dw, pw, bias])
            self.layer = layer
            self.call = lambda: layer(x)
        else:
            self.call = self._wrapper_call
        self.out = None

    def _args(self):
        return forward_args(self.case, self.batch, _threads)

    def _wrapper_call(self):
        y = np.empty_like(self.y)
        return self.plan.forward(self.x, y, *self._args())

    def result(self):
        return self.call()

    def extra_timings(self, timed):
        """Kernel-level split of one call; overhead = full call - fused kernel."""
        n, h, w, pt, pl, ho, wo, t = self._args()
        fwd = timed(lambda: self.plan.forward(self.x, self.y, n, h, w, pt, pl, ho, wo, t))
        dwt = timed(lambda: self.plan.depthwise(self.x, self.d, n, h, w, pt, pl, ho, wo, t))
        pwt = timed(lambda: self.plan.pointwise(self.d, self.y, n, ho, wo, t))
        return {"fused_kernel_s": fwd["median_s"], "depthwise_s": dwt["median_s"],
                "pointwise_s": pwt["median_s"]}


def build(case, batch, x, dw, pw, bias):
    return Impl(case, batch, x, dw, pw, bias)


def overhead(threads, timed):
    """Per-call cost on a tiny 1x8x8x8 layer, where nearly all of it is overhead."""
    case = suite.Case("tiny_8x8x8", 8, 8, 8, 8)
    impl = Impl(case, 1, *suite.make_data(case, 1))
    full = timed(impl.call)["median_s"]
    n, h, w, pt, pl, ho, wo, t = impl._args()
    kern = timed(lambda: impl.plan.forward(impl.x, impl.y, n, h, w, pt, pl, ho, wo, t))["median_s"]
    return {"full_call_s": full, "fused_kernel_s": kern, "overhead_s": full - kern,
            "public_api": has_layer()}
