"""Regularizers, layer.losses, activity losses, constraints and the SGD update
path (issue 3, items 3-4; decisions.md rules 16-17; spec 6.3-6.5, 7.1, 7.2).
Expected values are computed here by hand from Keras's formulas."""

import numpy as np
import pytest

import sepconv
from sepconv import constraints as C
from sepconv import regularizers as Rg
from sepconv.optimizers import SGD

EPS = 1e-7


def _rand(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# --------------------------------------------------------------------------- regularizers


def test_regularizer_formulas_and_defaults():
    w = _rand((3, 3, 4, 2))
    assert Rg.L1(0.3)(w) == pytest.approx(0.3 * np.abs(w).sum(), rel=1e-12)
    assert Rg.L2(0.3)(w) == pytest.approx(0.3 * (w ** 2).sum(), rel=1e-12)  # no 1/2
    assert Rg.L1L2(0.1, 0.2)(w) == pytest.approx(0.1 * np.abs(w).sum() + 0.2 * (w ** 2).sum())
    assert Rg.get("l1")(w) == pytest.approx(0.01 * np.abs(w).sum())
    assert Rg.get("l2")(w) == pytest.approx(0.01 * (w ** 2).sum())
    assert Rg.get("l1_l2")(w) == pytest.approx(0.01 * np.abs(w).sum() + 0.01 * (w ** 2).sum())
    assert Rg.L1L2()(w) == 0.0  # the class defaults to 0/0, the name to 0.01/0.01
    assert Rg.l2(0.5)(w) == pytest.approx(0.5 * (w ** 2).sum())


def test_regularizer_get_dialects_and_errors():
    for ident in ({"class_name": "L2", "config": {"l2": 0.25}},
                  {"module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.25},
                   "registered_name": None}):
        r = Rg.get(ident)
        assert isinstance(r, Rg.L2) and r.l2 == 0.25
    r = Rg.get({"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.01}})
    assert (r.l1, r.l2) == (0.0, 0.01)
    assert Rg.serialize(Rg.L1(0.5)) == {"class_name": "L1", "config": {"l1": 0.5}}
    fn = lambda w: 1.0  # noqa: E731
    assert Rg.get(fn) is fn and isinstance(Rg.get(Rg.L2), Rg.L2)
    with pytest.raises(ValueError, match="depthwise_regularizer: unknown regularizer 'l3'"):
        sepconv.SeparableConv2D(1, 1, depthwise_regularizer="l3")
    with pytest.raises(ValueError, match="l2 must be a finite number >= 0"):
        Rg.L2(-1.0)


@pytest.mark.parametrize("which", ["depthwise", "pointwise", "bias"])
def test_tf_weight_regularizer(which):
    """TF's testSeparableConv2D{Depthwise,Pointwise,Bias}Regularizer: one loss in the
    collection, equal to layer.losses, here also equal to 0.1 * sum(w)."""
    reg = lambda x: 0.1 * np.sum(x)  # noqa: E731
    x = np.random.default_rng(1).uniform(size=(5, 7, 9, 3))
    sepconv.separable_conv2d(x, 32, [3, 3], name="sepconv", bias_initializer="glorot_uniform",
                             **{f"{which}_regularizer": reg})
    losses = sepconv.get_regularization_losses()
    layer = sepconv.functional.get_layer("sepconv")
    assert len(losses) == 1 and layer.losses == losses
    w = getattr(layer, {"depthwise": "depthwise_kernel", "pointwise": "pointwise_kernel",
                        "bias": "bias"}[which]).numpy()
    assert losses[0] == pytest.approx(0.1 * w.sum(), rel=1e-6)


def test_keras_regularizers_test_and_activity_loss():
    """tf-keras's test_separable_conv2d_regularizers: 3 losses after build, 4 after a call;
    values from the current weights; activity = l2(output after activation) / batch."""
    layer = sepconv.SeparableConv2D(3, 3, activation="relu", depthwise_regularizer="l2",
                                    pointwise_regularizer=Rg.L1(0.2), bias_regularizer="l2",
                                    activity_regularizer=Rg.L2(0.5),
                                    bias_initializer="glorot_uniform", dtype="float64")
    layer.build((None, 5, 5, 2))
    assert len(layer.losses) == 3
    x = np.ones((2, 5, 5, 2))
    y = layer(x)
    dw, pw, b = layer.get_weights()
    want = [0.01 * (dw ** 2).sum(), 0.2 * np.abs(pw).sum(), 0.01 * (b ** 2).sum(),
            0.5 * (y ** 2).sum() / 2]
    assert (y >= 0).all()
    np.testing.assert_allclose(layer.losses, want, rtol=1e-12)
    # weight losses follow the current values; a new call replaces the activity loss
    layer.depthwise_kernel.assign(2 * dw)
    y2 = layer(x[:1])
    assert len(layer.losses) == 4
    np.testing.assert_allclose(layer.losses, [0.04 * (dw ** 2).sum(), want[1], want[2],
                                              0.5 * (y2 ** 2).sum()], rtol=1e-12)
    layer(np.ones((0, 5, 5, 2)))  # empty batch: divide_no_nan gives 0
    assert layer.losses[-1] == 0.0


def test_activity_loss_uses_the_returned_output():
    layer = sepconv.SeparableConv2D(2, 1, activation=lambda t: t * 0 + 3.0,
                                    activity_regularizer=Rg.L1(1.0))
    layer(np.ones((4, 2, 2, 1), np.float32))
    assert layer.losses == [pytest.approx(3.0 * 2 * 2 * 2)]  # sum |3| over one sample's worth


def test_reuse_does_not_duplicate_weight_losses():
    x = np.random.default_rng(2).uniform(size=(2, 5, 5, 3))
    sepconv.separable_conv2d(x, 4, 3, name="r", depthwise_regularizer="l2",
                             activity_regularizer="l1")
    first = sepconv.get_regularization_losses()
    assert len(first) == 2
    y = None
    for _ in range(3):
        y = sepconv.separable_conv2d(x[:1], 4, 3, name="r", reuse=True, depthwise_regularizer="l2",
                                     activity_regularizer="l1")
    losses = sepconv.get_regularization_losses()
    assert len(losses) == 2 and losses[0] == first[0]
    assert losses[1] == pytest.approx(0.01 * np.abs(y).sum())  # the latest call's activity loss
    owner = sepconv.functional.get_layer("r")
    assert len(owner.losses) == 2


def test_store_losses_follow_updates_and_layers():
    x = np.ones((1, 4, 4, 2))
    sepconv.separable_conv2d(x, 2, 2, name="a", pointwise_regularizer=Rg.L2(1.0))
    sepconv.separable_conv2d(x, 2, 2, name="b", bias_regularizer=Rg.L1(1.0),
                             bias_initializer="ones")
    sepconv.separable_conv2d(x, 2, 2, name="c")
    pw = sepconv.functional.get_layer("a").pointwise_kernel
    assert sepconv.get_regularization_losses() == [pytest.approx((pw.numpy() ** 2).sum()), 2.0]
    pw.assign(np.zeros(pw.shape))
    assert sepconv.get_regularization_losses() == [0.0, 2.0]


# --------------------------------------------------------------------------- constraints


def _norm(w, axis):
    return np.sqrt((w ** 2).sum(axis=axis, keepdims=True))


def test_constraint_defaults_and_names():
    assert (C.MaxNorm().max_value, C.MaxNorm().axis) == (2, 0)
    m = C.MinMaxNorm()
    assert (m.min_value, m.max_value, m.rate, m.axis) == (0.0, 1.0, 1.0, 0)
    assert C.UnitNorm().axis == 0
    for name, cls in (("max_norm", C.MaxNorm), ("min_max_norm", C.MinMaxNorm),
                      ("non_neg", C.NonNeg), ("unit_norm", C.UnitNorm)):
        assert type(C.get(name)) is cls
        assert type(C.get({"class_name": cls.__name__, "config": C.get(name).get_config()})) is cls
    got = C.get({"module": "keras.constraints", "class_name": "MaxNorm",
                 "config": {"max_value": 0.5, "axis": [0, 1, 2]}, "registered_name": None})
    assert got.max_value == 0.5 and got.axis == (0, 1, 2)


def test_tf_constraints_test_objects_are_kept():
    """TF's testConstraints and tf-keras's test_separable_conv2d_constraints."""
    d, p, b = (lambda x: x), (lambda x: x), (lambda x: x)
    layer = sepconv.SeparableConv2D(2, 3, depthwise_constraint=d, pointwise_constraint=p,
                                    bias_constraint=b)
    layer(np.random.default_rng(0).uniform(size=(5, 3, 3, 5)).astype(np.float32))
    assert (layer.depthwise_constraint, layer.pointwise_constraint, layer.bias_constraint) == (d, p, b)
    assert [v.constraint for v in layer.weights] == [d, p, b]
    mn = C.MaxNorm(1.5)
    assert sepconv.SeparableConv2D(2, 3, depthwise_constraint=mn).depthwise_constraint is mn


def _step(constraint, w0, grad, lr=0.1, dtype="float64"):
    """One SGD step on a layer's depthwise kernel through apply_gradients."""
    layer = sepconv.SeparableConv2D(1, w0.shape[:2], depth_multiplier=w0.shape[3],
                                    depthwise_constraint=constraint, dtype=dtype)
    layer.build((None, 8, 8, w0.shape[2]))
    layer.depthwise_kernel.assign(w0)
    SGD(lr).apply_gradients([(grad, layer.depthwise_kernel)])
    return layer


W0 = _rand((3, 3, 4, 2), 5)
G = _rand((3, 3, 4, 2), 6)


@pytest.mark.parametrize("constraint,formula", [
    (C.MaxNorm(0.5), lambda w: w * np.clip(_norm(w, 0), 0, 0.5) / (EPS + _norm(w, 0))),
    (C.MaxNorm(1.0, axis=[0, 1]),
     lambda w: w * np.clip(_norm(w, (0, 1)), 0, 1.0) / (EPS + _norm(w, (0, 1)))),
    (C.MinMaxNorm(0.5, 1.0, rate=0.7, axis=2),
     lambda w: w * (0.7 * np.clip(_norm(w, 2), 0.5, 1.0) + 0.3 * _norm(w, 2)) / (EPS + _norm(w, 2))),
    (C.UnitNorm(axis=[0, 1, 2]), lambda w: w / (EPS + _norm(w, (0, 1, 2)))),
    (C.NonNeg(), lambda w: w * (w >= 0)),
    (lambda w: np.clip(w, -0.1, 0.1), lambda w: np.clip(w, -0.1, 0.1)),
], ids=["max_norm", "max_norm_axes", "min_max_norm", "unit_norm", "non_neg", "callable"])
def test_sgd_update_then_constraint(constraint, formula):
    layer = _step(constraint, W0, G)
    want = formula(W0 - 0.1 * G)
    np.testing.assert_allclose(layer.depthwise_kernel.numpy(), want, rtol=1e-12, atol=1e-15)
    # the packed kernels follow: a unit input at the centre tap reads the kernel back
    x = np.zeros((1, 3, 3, 4))
    x[0, 1, 1] = 1
    layer.set_weights([layer.depthwise_kernel.numpy(), np.ones((1, 1, 8, 1)), np.zeros(1)])
    assert layer(x)[0, 0, 0, 0] == pytest.approx(want[1, 1].sum(), rel=1e-12)


def test_non_neg_gives_negative_zero():
    w0 = np.array([-1.0, -0.5, 0.25, 2.0]).reshape(1, 1, 4, 1)
    layer = _step(C.NonNeg(), w0, np.zeros_like(w0))
    got = layer.depthwise_kernel.numpy().ravel()
    np.testing.assert_array_equal(got, [0.0, 0.0, 0.25, 2.0])
    np.testing.assert_array_equal(np.signbit(got), [True, True, False, False])  # -0.0, as TF 1.x
    got32 = _step("non_neg", w0, np.zeros_like(w0), dtype="float32").depthwise_kernel.numpy()
    assert got32.dtype == np.float32 and np.signbit(got32.ravel()[:2]).all()


def test_constraints_never_applied_at_init_or_set_weights():
    layer = sepconv.SeparableConv2D(2, 1, depthwise_initializer=sepconv.initializers.Constant(-1.0),
                                    depthwise_constraint="non_neg", bias_constraint=C.MaxNorm(0.1),
                                    bias_initializer="ones")
    layer.build((None, 1, 1, 3))
    assert (layer.depthwise_kernel.numpy() == -1).all() and (layer.bias.numpy() == 1).all()
    layer.set_weights([-2 * np.ones((1, 1, 3, 1)), np.ones((1, 1, 3, 2)), 5 * np.ones(2)])
    assert (layer.depthwise_kernel.numpy() == -2).all() and (layer.bias.numpy() == 5).all()


def test_sgd_plain_update_checks_and_none_gradients():
    layer = sepconv.SeparableConv2D(2, 1, dtype="float64")
    layer.build((None, 1, 1, 3))
    dw, pw, b = layer.get_weights()
    opt = SGD(learning_rate=0.5)
    opt.apply_gradients([(np.ones_like(dw), layer.depthwise_kernel), (None, layer.pointwise_kernel)])
    np.testing.assert_array_equal(layer.depthwise_kernel.numpy(), dw - 0.5)
    np.testing.assert_array_equal(layer.pointwise_kernel.numpy(), pw)
    before = layer.get_weights()
    with pytest.raises(ValueError, match="gradient shape"):
        # checked before any variable changes
        opt.apply_gradients([(np.ones_like(dw), layer.depthwise_kernel),
                             (np.ones(5), layer.bias)])
    for got, want in zip(layer.get_weights(), before):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(TypeError, match="sepconv.Variable"):
        opt.apply_gradients([(np.ones(2), np.ones(2))])
    with pytest.raises(ValueError, match="learning_rate"):
        SGD(-1.0)
