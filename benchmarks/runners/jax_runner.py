"""JAX: jitted lax.conv_general_dilated with feature_group_count=C (depthwise),
then a 1x1 conv, bias and ReLU, in the case's own layout (NHWC or NCHW), with
TF's explicit pads.  Calls end with block_until_ready."""

import numpy as np

import cases as suite

jax = None


def setup(threads, variant):
    global jax
    import jax as _jax
    jax = _jax
    return {"version": jax.__version__, "backend": jax.default_backend(),
            "devices": len(jax.devices())}


class Impl:
    def __init__(self, case, batch, x, dw, pw, bias):
        from jax import lax
        jnp = jax.numpy
        g = suite.geometry(case)
        cm, k = case.c * case.m, case.k
        first = case.data_format == "channels_first"
        dn = ("NCHW", "HWIO", "NCHW") if first else ("NHWC", "HWIO", "NHWC")
        pads = [(g["pad_top"], g["pad_bottom"]), (g["pad_left"], g["pad_right"])]
        s, d = case.stride, case.dilation
        bshape = (1, case.f, 1, 1) if first else (1, 1, 1, case.f)

        def f(x, w_dw, w_pw, b):
            y = lax.conv_general_dilated(x, w_dw, (s, s), pads, rhs_dilation=(d, d),
                                         dimension_numbers=dn, feature_group_count=case.c)
            y = lax.conv_general_dilated(y, w_pw, (1, 1), "VALID", dimension_numbers=dn)
            return jax.nn.relu(y + b.reshape(bshape))

        self.f = jax.jit(f)
        # HWIO with one input channel per group: output channel c*M + m, as in TF
        self.args = [jax.device_put(a) for a in
                     (x, dw.reshape(k, k, 1, cm), pw, bias)]
        self.args = [jnp.asarray(a) for a in self.args]

    def call(self):
        return self.f(*self.args).block_until_ready()

    def result(self):
        return np.asarray(self.call())


def build(case, batch, x, dw, pw, bias):
    return Impl(case, batch, x, dw, pw, bias)
