"""sepconv.initializers: the Keras set, its formulas and defaults, fans for both
kernels, seeds and get() (issue 3, item 2; decisions.md rule 14).  Distributions
are checked on large shapes (bounds, mean, std), as TF's and Keras's tests do;
the expected figures come from Keras's documented formulas."""

import math

import numpy as np
import pytest

import sepconv
from sepconv import initializers as I

TRUNC = 0.87962566103423978  # std of N(0, 1) truncated to [-2, 2]
SHAPE = (3, 3, 96, 64)       # fan_in 864, fan_out 576, 55296 values


def _check(w, mean, std, bound=None, rel=0.03):
    w = np.asarray(w, np.float64)
    assert abs(w.mean() - mean) < 4 * std / np.sqrt(w.size)  # four standard errors
    assert abs(w.std() - std) < rel * std
    if bound is not None:
        lo, hi = bound
        assert w.min() >= lo and w.max() <= hi
        # the bound is reached: nothing is clipped short of it
        assert w.min() < lo + 0.05 * (hi - lo) and w.max() > hi - 0.05 * (hi - lo)


FAN_IN, FAN_OUT = 9 * 96, 9 * 64
VS = [  # (initializer, scale, n, distribution)
    (I.GlorotUniform(seed=1), 1.0, (FAN_IN + FAN_OUT) / 2, "uniform"),
    (I.GlorotNormal(seed=1), 1.0, (FAN_IN + FAN_OUT) / 2, "truncated_normal"),
    (I.HeUniform(seed=1), 2.0, FAN_IN, "uniform"),
    (I.HeNormal(seed=1), 2.0, FAN_IN, "truncated_normal"),
    (I.LecunUniform(seed=1), 1.0, FAN_IN, "uniform"),
    (I.LecunNormal(seed=1), 1.0, FAN_IN, "truncated_normal"),
    (I.VarianceScaling(3.0, "fan_out", "untruncated_normal", seed=1), 3.0, FAN_OUT,
     "untruncated_normal"),
    (I.VarianceScaling(0.5, "fan_avg", "uniform", seed=1), 0.5, (FAN_IN + FAN_OUT) / 2, "uniform"),
    (I.VarianceScaling(seed=1), 1.0, FAN_IN, "truncated_normal"),
]


@pytest.mark.parametrize("init,scale,n,dist", VS, ids=[type(v[0]).__name__ + v[3] for v in VS])
def test_variance_scaling_family(init, scale, n, dist):
    w = init(SHAPE, np.float64)
    s = scale / n
    if dist == "uniform":
        limit = math.sqrt(3 * s)
        _check(w, 0.0, limit / math.sqrt(3), (-limit, limit))
    elif dist == "untruncated_normal":
        _check(w, 0.0, math.sqrt(s))
        assert np.abs(w).max() > 3 * math.sqrt(s)  # not truncated
    else:
        sd = math.sqrt(s) / TRUNC  # before truncation; the truncated std is sqrt(s)
        _check(w, 0.0, math.sqrt(s), (-2 * sd, 2 * sd))


def test_random_normal_uniform_truncated():
    _check(I.RandomNormal(seed=2)(SHAPE), 0.0, 0.05)  # Keras defaults
    _check(I.RandomNormal(1.5, 2.0, seed=2)(SHAPE), 1.5, 2.0)
    _check(I.RandomUniform(seed=2)(SHAPE), 0.0, 0.1 / math.sqrt(12), (-0.05, 0.05))
    _check(I.RandomUniform(-1.0, 3.0, seed=2)(SHAPE), 1.0, 4 / math.sqrt(12), (-1.0, 3.0))
    _check(I.TruncatedNormal(seed=2)(SHAPE), 0.0, 0.05 * TRUNC, (-0.1, 0.1))
    _check(I.TruncatedNormal(2.0, 0.5, seed=2)(SHAPE), 2.0, 0.5 * TRUNC, (1.0, 3.0))


def test_layer_fans_for_both_kernels():
    c, m, f = 64, 4, 256
    layer = sepconv.SeparableConv2D(f, 3, depth_multiplier=m, depthwise_initializer="he_normal",
                                    pointwise_initializer=I.LecunUniform(seed=3), dtype="float64")
    layer.build((None, 8, 8, c))
    dw, pw, _ = layer.get_weights()
    _check(dw, 0.0, math.sqrt(2.0 / (9 * c)), rel=0.07)     # fan_in = kh*kw*C, not kh*kw
    limit = math.sqrt(3.0 / (c * m))                       # fan_in = C*M
    _check(pw, 0.0, limit / math.sqrt(3), (-limit, limit))
    glorot = sepconv.SeparableConv2D(f, 3, depth_multiplier=m)
    glorot.build((None, 8, 8, c))
    dw, pw, _ = glorot.get_weights()
    for w, fi, fo in ((dw, 9 * c, 9 * m), (pw, c * m, f)):
        limit = math.sqrt(6.0 / (fi + fo))
        _check(w, 0.0, limit / math.sqrt(3), (-limit, limit), rel=0.07)


def test_compute_fans():
    assert I.compute_fans((3, 3, 4, 2)) == (36, 18)
    assert I.compute_fans((1, 1, 6, 7)) == (6, 7)
    assert I.compute_fans((5, 7)) == (5, 7)
    assert I.compute_fans((5,)) == (5, 5)
    assert I.compute_fans(()) == (1, 1)


def test_orthogonal():
    q = I.Orthogonal(seed=4)((3, 3, 16, 32), np.float64).reshape(-1, 32)  # tall: Q^T Q = I
    np.testing.assert_allclose(q.T @ q, np.eye(32), atol=1e-12)
    q = I.Orthogonal(gain=2.0, seed=4)((1, 1, 8, 64), np.float64).reshape(8, 64)  # wide
    np.testing.assert_allclose(q @ q.T, 4 * np.eye(8), atol=1e-12)
    with pytest.raises(ValueError, match="rank >= 2"):
        I.Orthogonal()((5,))


def test_identity_applies_to_matrices_and_1x1_kernels_only():
    np.testing.assert_array_equal(I.Identity()((3, 4)), np.eye(3, 4))
    np.testing.assert_array_equal(I.Identity(gain=0.5)((1, 1, 6, 4)),
                                  0.5 * np.eye(6, 4).reshape(1, 1, 6, 4))
    layer = sepconv.SeparableConv2D(3, 1, pointwise_initializer="identity")
    layer.build((None, 2, 2, 3))
    np.testing.assert_array_equal(layer.pointwise_kernel.numpy()[0, 0], np.eye(3))
    with pytest.raises(ValueError, match=r"received shape \(3, 3, 2, 1\)"):
        I.Identity()((3, 3, 2, 1))
    with pytest.raises(ValueError, match="Identity"):
        sepconv.SeparableConv2D(3, 3, depthwise_initializer="identity").build((None, 4, 4, 2))


def test_zeros_ones_constant_and_dtypes():
    assert (I.Zeros()((2, 3)) == 0).all() and I.Zeros()((2,)).dtype == np.float32
    assert (I.Ones()((2,), np.float64) == 1).all() and I.Ones()((2,), "float64").dtype == np.float64
    np.testing.assert_array_equal(I.Constant(2.5)((2, 2)), np.full((2, 2), 2.5))
    np.testing.assert_array_equal(I.Constant([1, 2])((3, 2)), [[1, 2]] * 3)
    assert I.GlorotUniform(seed=0)((4, 4), np.float16).dtype == np.float16
    with pytest.raises(ValueError, match="cannot fill"):
        I.Constant(np.ones(3))((2, 2))


ALL = ["zeros", "ones", "constant", "random_normal", "random_uniform", "truncated_normal",
       "glorot_normal", "glorot_uniform", "he_normal", "he_uniform", "lecun_normal",
       "lecun_uniform", "variance_scaling", "orthogonal", "identity"]


@pytest.mark.parametrize("name", ALL)
def test_names_classes_and_config_round_trip(name):
    init = I.get(name)
    cls_name = "".join(p.capitalize() for p in name.split("_"))
    assert type(init).__name__ == cls_name and type(init) is getattr(I, cls_name)
    cfg = I.serialize(init)
    assert cfg["class_name"] == cls_name
    again = I.get(cfg)
    assert type(again) is type(init) and again.get_config() == init.get_config()
    # the Keras 3 dialect of the same entry
    k3 = {"module": "keras.initializers", "registered_name": None, **cfg}
    assert I.get(k3).get_config() == init.get_config()


@pytest.mark.parametrize("cls", [I.RandomNormal, I.RandomUniform, I.TruncatedNormal,
                                 I.GlorotNormal, I.GlorotUniform, I.HeNormal, I.HeUniform,
                                 I.LecunNormal, I.LecunUniform, I.VarianceScaling, I.Orthogonal])
def test_seed_reproduces(cls):
    a, b = cls(seed=11)((6, 5)), cls(seed=11)((6, 5))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, cls(seed=12)((6, 5)))
    assert not np.array_equal(cls()((6, 5)), cls()((6, 5)))  # unseeded: fresh draws
    assert I.get({"class_name": cls.__name__, "config": {"seed": 11}}).seed == 11


def test_get_accepts_instances_classes_callables_and_tf1_configs():
    g = I.GlorotUniform(seed=7)
    assert I.get(g) is g and I.get(None) is None
    assert isinstance(I.get(I.HeNormal), I.HeNormal)
    fn = lambda shape, dtype: np.full(shape, 3.0)  # noqa: E731
    assert I.get(fn) is fn
    # TF 1.x init_ops configs carry dtype; 'normal' is TF 1.x's truncated normal
    assert isinstance(I.get({"class_name": "Zeros", "config": {"dtype": "float32"}}), I.Zeros)
    vs = I.get({"class_name": "VarianceScaling", "config": {
        "scale": 2.0, "mode": "FAN_IN", "distribution": "normal", "seed": None, "dtype": "float32"}})
    assert (vs.scale, vs.mode, vs.distribution) == (2.0, "fan_in", "truncated_normal")
    # Keras 3 writes a serialized SeedGenerator or input/output axes
    assert I.get({"class_name": "HeUniform", "config": {"seed": {
        "class_name": "SeedGenerator", "config": {"seed": 5}}}}).seed == 5
    assert I.get({"class_name": "GlorotUniform",
                  "config": {"seed": None, "input_axes": None, "output_axes": None}}).seed is None
    with pytest.raises(ValueError, match="input_axes"):
        I.get({"class_name": "GlorotUniform", "config": {"input_axes": [0]}})


def test_get_errors():
    with pytest.raises(ValueError, match="unknown initializer 'glorot'.*glorot_uniform"):
        I.get("glorot")
    with pytest.raises(ValueError, match="unknown initializer class 'Nope'"):
        I.get({"class_name": "Nope", "config": {}})
    with pytest.raises(ValueError, match="bad initializer config"):
        I.get({"class_name": "RandomNormal", "config": {"sigma": 1}})
    with pytest.raises(TypeError, match="expected the initializer as a name"):
        I.get(3)
    with pytest.raises(ValueError, match="mode"):
        I.VarianceScaling(mode="fan_sideways")
    with pytest.raises(ValueError, match="distribution"):
        I.VarianceScaling(distribution="cauchy")
    with pytest.raises(ValueError, match="scale"):
        I.VarianceScaling(scale=0)
