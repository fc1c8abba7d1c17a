"""ONNX Runtime: an ONNX graph Conv(group=C) -> Conv(1x1, bias) -> Relu, opset 17,
with TF's (possibly asymmetric) pads written into the Conv node.  ONNX Conv is
NCHW, so channels_last cases are handed over transposed (not timed).  Input
and output are bound once with IOBinding so the timed call is the run alone."""

import numpy as np

import cases as suite

ort = None
_threads = 1


def setup(threads, variant):
    global ort, _threads
    import onnx  # noqa: F401  (the graph builder)
    import onnxruntime as _ort
    ort, _threads = _ort, threads
    return {"version": ort.__version__, "onnx": onnx.__version__}


def _graph(case, batch, dw, pw, bias):
    from onnx import TensorProto, helper, numpy_helper
    g = suite.geometry(case)
    cm, k = case.c * case.m, case.k
    w_dw = dw.transpose(2, 3, 0, 1).reshape(cm, 1, k, k)
    w_pw = np.ascontiguousarray(pw[0, 0].T).reshape(case.f, cm, 1, 1)
    inits = [numpy_helper.from_array(np.ascontiguousarray(w_dw), "w_dw"),
             numpy_helper.from_array(w_pw, "w_pw"),
             numpy_helper.from_array(bias, "b")]
    nodes = [
        helper.make_node("Conv", ["x", "w_dw"], ["d"], group=case.c, kernel_shape=[k, k],
                         strides=[case.stride] * 2, dilations=[case.dilation] * 2,
                         pads=[g["pad_top"], g["pad_left"], g["pad_bottom"], g["pad_right"]]),
        helper.make_node("Conv", ["d", "w_pw", "b"], ["z"], kernel_shape=[1, 1]),
        helper.make_node("Relu", ["z"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes, "sepconv_case",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, case.c, case.h, case.w])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, case.f, g["ho"], g["wo"]])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8  # understood by every onnxruntime that supports opset 17
    return model.SerializeToString()


class Impl:
    def __init__(self, case, batch, x, dw, pw, bias):
        self.case = case
        g = suite.geometry(case)
        if case.data_format == "channels_last":
            x = x.transpose(0, 3, 1, 2)
        self.xn = np.ascontiguousarray(x)
        so = ort.SessionOptions()
        so.intra_op_num_threads = _threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.sess = ort.InferenceSession(_graph(case, batch, dw, pw, bias), so,
                                         providers=["CPUExecutionProvider"])
        self.io = self.sess.io_binding()
        self.xo = ort.OrtValue.ortvalue_from_numpy(self.xn)
        self.yo = ort.OrtValue.ortvalue_from_shape_and_type(
            [batch, case.f, g["ho"], g["wo"]], np.float32)
        self.io.bind_ortvalue_input("x", self.xo)
        self.io.bind_ortvalue_output("y", self.yo)

    def call(self):
        self.sess.run_with_iobinding(self.io)
        return self.yo

    def result(self):
        self.call()
        y = self.yo.numpy()
        if self.case.data_format == "channels_last":
            y = y.transpose(0, 2, 3, 1)
        return y


def build(case, batch, x, dw, pw, bias):
    return Impl(case, batch, x, dw, pw, bias)
