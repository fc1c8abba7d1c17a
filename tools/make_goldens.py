"""Regenerates tests/data/tf_goldens.{npz,json}: separable-conv outputs computed by TensorFlow.

TensorFlow is never a dependency of sepconv; only this script imports it, and the tests read its
committed output.  To regenerate (in a separate environment):

    pip install tensorflow-cpu tf-keras numpy
    python tools/make_goldens.py

Every case is computed by TensorFlow, preferably through the TF 1.x layer that sepconv mirrors,
`tf.compat.v1.layers.separable_conv2d` (served by tf-keras; TF_USE_LEGACY_KERAS=1) in graph mode.
Where this TF build cannot run a case natively (spec §4.2: unequal strides only run on the oneDNN
float32 path; §5: NCHW likewise), the case is computed by a documented fallback, still in TF, and
the fallback is recorded as the case's `method`:

  layer                    the layer, as the user would call it
  layer_via_nhwc           NCHW input transposed to NHWC in TF, the layer with channels_last,
                           output transposed back (the observable result NCHW must equal)
  nn_stride1_pad_subsample unequal strides where the kernel refuses them: TF's explicit SAME pads
                           (spec §3 formula), `tf.nn.separable_conv2d` with stride 1, then the
                           output subsampled by [::sh, ::sw], bias_add and activation in TF

Activations are computed in TF with the formulas of decisions.md rule 24 (exact-erf gelu,
hard_sigmoid = clip(0.2x + 0.5, 0, 1), leaky_relu slope 0.2, swish = x*sigmoid(x)), passed to the
layer as a callable, so no Keras-version-dependent definition leaks in.

The script also runs TF's own hand-checked cases and asserts TF's published numbers.
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["TF_USE_LEGACY_KERAS"] = "1"  # tf.compat.v1.layers needs tf-keras, not Keras 3

import warnings

import numpy as np
import tensorflow as tf

warnings.filterwarnings("ignore", message=".*is deprecated.*")

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "tests", "data")
SEED = 20240611
NUM_RANDOM = 420

ACTIVATIONS = ["linear", "relu", "relu6", "elu", "selu", "gelu", "sigmoid", "hard_sigmoid",
               "tanh", "softplus", "softsign", "swish", "leaky_relu", "exponential"]


def tf_activation(name):
    """Rule 24's formulas, in TF ops; None for linear."""
    table = {
        "relu": tf.nn.relu,
        "relu6": tf.nn.relu6,
        "elu": tf.nn.elu,
        "selu": tf.nn.selu,
        # tf.nn.gelu casts its 1/sqrt(2) from a float32 constant, so float64 gelu is off by
        # ~1e-8 relative; this is its formula with the constant in the input's precision.
        "gelu": lambda x: 0.5 * x * tf.math.erfc(-x * tf.constant(0.7071067811865476, x.dtype)),
        "sigmoid": tf.math.sigmoid,
        "hard_sigmoid": lambda x: tf.clip_by_value(0.2 * x + 0.5, 0.0, 1.0),
        "tanh": tf.math.tanh,
        "softplus": tf.math.softplus,
        "softsign": tf.math.softsign,
        "swish": lambda x: x * tf.math.sigmoid(x),
        # tf.nn.leaky_relu's alpha is a float32 op attribute: in float64 the slope would be
        # 0.20000000298..., not rule 24's 0.2.  Same result as the op in float32.
        "leaky_relu": lambda x: tf.where(x < 0, tf.constant(0.2, x.dtype) * x, x),
        "exponential": tf.math.exp,
    }
    return None if name in (None, "linear") else table[name]


def run_graph(build, feeds):
    """Builds ops with build() in a fresh graph and evaluates the result once."""
    g = tf.Graph()
    with g.as_default():
        phs = [tf.compat.v1.placeholder(tf.as_dtype(a.dtype), a.shape) for a in feeds]
        y = build(*phs)
        with tf.compat.v1.Session(graph=g) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            return sess.run(y, dict(zip(phs, feeds)))


def layer_call(x, case, dw, pw, b, data_format):
    """tf.compat.v1.layers.separable_conv2d with the given weights as constant initializers."""
    const = tf.compat.v1.constant_initializer
    return tf.compat.v1.layers.separable_conv2d(
        x, case["filters"], case["kernel_size"], strides=case["strides"],
        padding=case["padding"], data_format=data_format, dilation_rate=case["dilation_rate"],
        depth_multiplier=case["depth_multiplier"], activation=tf_activation(case["activation"]),
        use_bias=case["use_bias"], depthwise_initializer=const(dw), pointwise_initializer=const(pw),
        bias_initializer=const(b) if case["use_bias"] else None)


def same_pads(n, k, s, d):
    """TF's SAME pads (spec §3): total = max((ceil(n/s)-1)*s + (k-1)*d + 1 - n, 0), odd one after."""
    out = -(-n // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


def nn_stride1_subsample(x, case, dw, pw, b):
    """Unequal strides without the refusing kernel: pad explicitly, stride 1, subsample (NHWC)."""
    (kh, kw), (sh, sw) = case["kernel_size"], case["strides"]
    if case["padding"] == "same":
        pt, pb = same_pads(int(x.shape[1]), kh, sh, 1)
        pl, pr = same_pads(int(x.shape[2]), kw, sw, 1)
        x = tf.pad(x, [[0, 0], [pt, pb], [pl, pr], [0, 0]])
    y = tf.nn.separable_conv2d(x, tf.constant(dw), tf.constant(pw), [1, 1, 1, 1], "VALID")
    y = y[:, ::sh, ::sw, :]
    if case["use_bias"]:
        y = tf.nn.bias_add(y, tf.constant(b))
    act = tf_activation(case["activation"])
    return y if act is None else act(y)


def compute(case, x, dw, pw, b):
    """TF's output for one case and the method that produced it."""
    cf = case["data_format"] == "channels_first"
    sh, sw = case["strides"]
    attempts = [("layer", lambda t: layer_call(t, case, dw, pw, b, case["data_format"]))]
    if cf:
        attempts.append(("layer_via_nhwc", lambda t: tf.transpose(
            layer_call(tf.transpose(t, [0, 2, 3, 1]), case, dw, pw, b, "channels_last"),
            [0, 3, 1, 2])))
    if sh != sw:
        attempts.append(("nn_stride1_pad_subsample", lambda t: (
            tf.transpose(nn_stride1_subsample(tf.transpose(t, [0, 2, 3, 1]), case, dw, pw, b),
                         [0, 3, 1, 2]) if cf else nn_stride1_subsample(t, case, dw, pw, b))))
    errors = []
    for method, build in attempts:
        try:
            return run_graph(build, [x]), method
        except (tf.errors.OpError, ValueError) as e:
            errors.append(f"{method}: {type(e).__name__}: {str(e).splitlines()[0]}")
    raise RuntimeError(f"no TF method ran case {case}: {errors}")


# ---------------------------------------------------------------------------------------------
# TF's hand-checked cases (spec §7.3 testConv2D2x2Filter, §7.4 SeparableConv2DTest)

def hand_cases():
    def base(**kw):
        c = dict(strides=[1, 1], dilation_rate=[1, 1], data_format="channels_last",
                 activation=None, use_bias=False, dtype="float32")
        c.update(kw)
        return c

    def half_ramp(shape):  # TF's _InitValues: 0.5 * (1..N)
        return (0.5 * np.arange(1, np.prod(shape) + 1)).reshape(shape)

    cases = []
    # (a) depthwise 2x2 filter test, pointwise identity so the depthwise values come through
    x = np.arange(1, 13, dtype=np.float32).reshape(1, 2, 3, 2)
    dw = np.arange(1, 17, dtype=np.float32).reshape(2, 2, 2, 2)
    pw = np.eye(4, dtype=np.float32).reshape(1, 1, 4, 4)
    cases.append((base(name="tf_depthwise_conv2d_2x2_filter", filters=4, kernel_size=[2, 2],
                       padding="valid", depth_multiplier=2,
                       expected=[196, 216, 272, 296, 252, 280, 344, 376]), x, dw, pw, None))
    # (b) testSeparableConv2D and (c) testSeparableConv2DEqualInputOutputDepth
    for name, f, size, head, tail in [
            ("tf_separable_conv2d", 7, 112, [6644.5, 6971.5, 7298.5, 7625.5], 2535.75),
            ("tf_separable_conv2d_equal_depth", 6, 96, [5742.0, 6069.0], 2173.5)]:
        x = half_ramp((1, 4, 4, 2)).astype(np.float32)
        dw = half_ramp((2, 2, 2, 3)).astype(np.float32)
        pw = half_ramp((1, 1, 6, f)).astype(np.float32)
        cases.append((base(name=name, filters=f, kernel_size=[2, 2], padding="same",
                           depth_multiplier=3, expected_size=size, expected_head=head,
                           expected_tail=tail), x, dw, pw, None))
    return cases


def check_hand(case, y):
    y = y.ravel()
    if "expected" in case:
        np.testing.assert_allclose(y, case["expected"], rtol=1e-6)
    else:
        assert y.size == case["expected_size"], (case["name"], y.size)
        np.testing.assert_allclose(y[:len(case["expected_head"])], case["expected_head"], rtol=1e-6)
        np.testing.assert_allclose(y[-1], case["expected_tail"], rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# Random cases

def random_case(rng, i):
    """Parameters for one case; cycles activation, dtype and format so each is well covered."""
    act = ACTIVATIONS[i % len(ACTIVATIONS)]
    if act == "linear" and (i // len(ACTIVATIONS)) % 2:
        act = None                        # also exercise activation=None
    dtype = ["float32", "float64"][(i // 2) % 2]
    if i % 23 == 5:
        dtype = "float16"
    data_format = ["channels_last", "channels_first"][(i // 4) % 2]
    while True:
        kh, kw = (int(v) for v in rng.integers(1, 6, 2))
        if rng.random() < 0.3:
            strides = [1, 1]
            dilation = [int(v) for v in rng.integers(1, 4, 2)]
        else:
            dilation = [1, 1]
            strides = [int(v) for v in rng.integers(1, 4, 2)]
            if rng.random() < 0.5:
                strides[1] = strides[0]   # equal strides are the common case; keep plenty
        padding = "same" if rng.random() < 0.5 else "valid"
        h, w = (int(v) for v in rng.integers(1, 13, 2))
        ekh, ekw = (kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1
        if padding == "valid" and (ekh > h or ekw > w):
            continue                      # TF has no defined answer there (spec §3.2)
        break
    return dict(
        name=f"random_{i}", batch=int(rng.integers(1, 4)), height=h, width=w,
        channels=int(rng.integers(1, 7)), filters=int(rng.integers(1, 8)),
        kernel_size=[kh, kw], strides=strides, padding=padding, data_format=data_format,
        dilation_rate=dilation, depth_multiplier=int(rng.integers(1, 4)), activation=act,
        use_bias=bool(rng.random() < 0.7), dtype=dtype)


def random_arrays(rng, case):
    """Inputs of scale ~1 and fan-in-scaled weights, so pre-activations are O(1) and every
    activation is exercised on both sides of its knee."""
    dt = np.dtype(case["dtype"])
    n, h, w, c = case["batch"], case["height"], case["width"], case["channels"]
    (kh, kw), m, f = case["kernel_size"], case["depth_multiplier"], case["filters"]
    shape = (n, c, h, w) if case["data_format"] == "channels_first" else (n, h, w, c)
    x = rng.uniform(-1.5, 1.5, shape).astype(dt)
    dw = (rng.uniform(-1, 1, (kh, kw, c, m)) * np.sqrt(3.0 / (kh * kw))).astype(dt)
    pw = (rng.uniform(-1, 1, (1, 1, c * m, f)) * np.sqrt(3.0 / (c * m))).astype(dt)
    b = rng.uniform(-0.5, 0.5, (f,)).astype(dt) if case["use_bias"] else None
    return x, dw, pw, b


def main():
    rng = np.random.default_rng(SEED)
    entries = [(c, x, dw, pw, b) for c, x, dw, pw, b in hand_cases()]
    for i in range(NUM_RANDOM):
        case = random_case(rng, i)
        entries.append((case, *random_arrays(rng, case)))

    arrays, meta = {}, []
    for idx, (case, x, dw, pw, b) in enumerate(entries):
        y, method = compute(case, x, dw, pw, b)
        assert y.dtype == x.dtype, (case, y.dtype)
        if "name" in case and case["name"].startswith("tf_"):
            check_hand(case, y)
        case = dict(case, id=idx, tf_version=tf.__version__, method=method)
        meta.append(case)
        arrays[f"case{idx}_x"] = x
        arrays[f"case{idx}_dw"] = dw
        arrays[f"case{idx}_pw"] = pw
        if b is not None:
            arrays[f"case{idx}_b"] = b
        arrays[f"case{idx}_y"] = y
        print(idx, case["name"], case["dtype"], case["data_format"], case["strides"],
              case["dilation_rate"], case["activation"], method, file=sys.stderr)

    os.makedirs(OUT_DIR, exist_ok=True)
    np.savez_compressed(os.path.join(OUT_DIR, "tf_goldens.npz"), **arrays)
    with open(os.path.join(OUT_DIR, "tf_goldens.json"), "w") as fh:
        # one case per line: small, and diffs stay readable
        head = {"tf_version": tf.__version__, "seed": SEED, "generator": "tools/make_goldens.py",
                "note": "activations are rule-24 formulas in TF ops; gelu and leaky_relu avoid "
                        "tf.nn's float32 constants (see tf_activation)"}
        fh.write(json.dumps(head)[:-1] + ', "cases": [\n')
        fh.write(",\n".join(json.dumps(c, separators=(",", ":")) for c in meta))
        fh.write("\n]}\n")
    methods = {}
    for c in meta:
        methods[c["method"]] = methods.get(c["method"], 0) + 1
    print(f"{len(meta)} cases, TF {tf.__version__}, methods {methods}")


if __name__ == "__main__":
    main()
