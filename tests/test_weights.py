"""sepconv.Variable and the layer's weights: names, order, assign and repacking,
set_weights, trainable, and .npz save/load (issue 3, item 1; decisions.md rules 15, 18)."""

import numpy as np
import pytest

import reference as R
import sepconv
from sepconv import initializers
from sepconv.layers import SeparableConv2D


def _rand(shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _built(**kw):
    layer = SeparableConv2D(4, 3, depth_multiplier=2, padding="same", **kw)
    layer.build((None, 5, 5, 3))
    return layer


@pytest.fixture
def plan_counter(monkeypatch):
    """Counts how many packed plans layers build."""
    calls = []
    orig = SeparableConv2D._new_plan

    def counting(self, cdt):
        calls.append((self.name, np.dtype(cdt).name))
        return orig(self, cdt)

    monkeypatch.setattr(SeparableConv2D, "_new_plan", counting)
    return calls


def test_weights_are_named_variables_in_order():
    layer = _built(name="sep1", dtype="float64")
    dw, pw, b = layer.weights
    assert all(isinstance(v, sepconv.Variable) for v in layer.weights)
    assert (dw, pw, b) == (layer.depthwise_kernel, layer.pointwise_kernel, layer.bias)
    assert [v.name for v in layer.weights] == ["sep1/depthwise_kernel", "sep1/pointwise_kernel",
                                               "sep1/bias"]
    assert [v.shape for v in layer.weights] == [(3, 3, 3, 2), (1, 1, 6, 4), (4,)]
    assert all(v.dtype == np.float64 and v.trainable and v.constraint is None for v in layer.weights)
    assert layer.trainable_weights == layer.weights and layer.non_trainable_weights == []
    assert layer.scope_name == "sep1"
    with sepconv.variable_scope("outer"):
        inner = _built(name="sep1")
    assert inner.depthwise_kernel.name == "outer/sep1/depthwise_kernel"


def test_unbuilt_and_no_bias_weights():
    layer = SeparableConv2D(2, 1, use_bias=False)
    assert layer.weights == [] and layer.depthwise_kernel is None and layer.scope_name is None
    layer.build((1, 2, 2, 3))
    assert layer.bias is None
    assert [v.name.rsplit("/", 1)[1] for v in layer.weights] == ["depthwise_kernel",
                                                                  "pointwise_kernel"]


def test_default_names_are_unique_and_restart_with_the_store():
    names = [SeparableConv2D(1, 1).name for _ in range(3)]
    assert names == ["separable_conv2d", "separable_conv2d_1", "separable_conv2d_2"]
    sepconv.reset_default_store()
    assert SeparableConv2D(1, 1).name == "separable_conv2d"


def test_variable_reading():
    v = _built(dtype="float32").depthwise_kernel
    a = v.numpy()
    a[...] = 7
    assert not (v.numpy() == 7).any()  # numpy() is a copy
    np.testing.assert_array_equal(np.asarray(v), v.numpy())
    assert np.asarray(v, dtype=np.float64).dtype == np.float64
    np.testing.assert_array_equal(v[0, 1], v.numpy()[0, 1])
    assert v.ndim == 4 and v.size == 3 * 3 * 3 * 2 and len(v) == 3
    assert "depthwise_kernel" in repr(v)


def test_assign_checks_shape_and_dtype_and_casts_numpy_values():
    layer = _built(dtype="float32")
    v = layer.pointwise_kernel
    with pytest.raises(ValueError, match=r"expected shape \(1, 1, 6, 4\), got \(1, 1, 4, 6\)"):
        v.assign(np.zeros((1, 1, 4, 6)))
    with pytest.raises(TypeError, match="complex128"):
        v.assign(np.zeros((1, 1, 6, 4), np.complex128))
    with pytest.raises(TypeError, match="bool"):
        v.assign(np.zeros((1, 1, 6, 4), bool))
    other = _built(dtype="float64").pointwise_kernel
    with pytest.raises(TypeError, match="float64"):
        v.assign(other)  # like a tf.Tensor of another dtype
    v.assign(np.full((1, 1, 6, 4), 0.1))  # a float64 numpy value is converted, as in TF
    assert v.dtype == np.float32 and v.numpy()[0, 0, 0, 0] == np.float32(0.1)
    v.assign_sub(np.full((1, 1, 6, 4), 0.1, np.float32))
    assert (v.numpy() == 0).all()
    v.assign_add(np.ones((1, 1, 6, 4)))
    assert (v.numpy() == 1).all()


def test_assign_refreshes_the_packed_kernels():
    x = _rand((2, 5, 5, 3))
    layer = _built(dtype="float64")
    layer(x)
    dw, pw, b = layer.get_weights()
    layer.depthwise_kernel.assign(2 * dw)
    np.testing.assert_allclose(layer(x), R.separable_conv2d(x, 2 * dw, pw, b, padding="same"),
                               rtol=1e-12, atol=1e-12)
    layer.bias.assign_sub(np.ones(4))
    np.testing.assert_allclose(layer(x), R.separable_conv2d(x, 2 * dw, pw, b - 1, padding="same"),
                               rtol=1e-12, atol=1e-12)


def test_assign_does_not_apply_the_constraint():
    layer = _built(depthwise_constraint="non_neg", dtype="float64")
    neg = -np.ones((3, 3, 3, 2))
    layer.depthwise_kernel.assign(neg)
    np.testing.assert_array_equal(layer.depthwise_kernel.numpy(), neg)
    assert isinstance(layer.depthwise_kernel.constraint, sepconv.constraints.NonNeg)


def test_set_weights_repacks_once_and_calls_do_not_repack(plan_counter):
    x = _rand((1, 5, 5, 3))
    layer = _built(dtype="float64")
    assert len(plan_counter) == 1  # the build
    for _ in range(5):
        layer(x)
    assert len(plan_counter) == 1  # no per-call work for the weights
    layer(x.astype(np.float32))    # a second compute dtype: one more plan
    assert len(plan_counter) == 2
    del plan_counter[:]
    dw, pw, b = layer.get_weights()
    layer.set_weights([dw, pw, b + 1])
    assert sorted(plan_counter) == [(layer.name, "float32"), (layer.name, "float64")]
    np.testing.assert_allclose(layer(x), R.separable_conv2d(x, dw, pw, b + 1, padding="same"),
                               rtol=1e-12, atol=1e-12)


def test_optimizer_step_repacks_each_layer_once(plan_counter):
    layer = _built(dtype="float64")
    del plan_counter[:]
    opt = sepconv.optimizers.SGD(0.1)
    opt.apply_gradients([(np.ones(v.shape), v) for v in layer.weights])
    assert plan_counter == [(layer.name, "float64")]


def test_set_weights_does_not_apply_constraints_and_keeps_arrays_api():
    layer = _built(pointwise_constraint=sepconv.constraints.UnitNorm(), dtype="float64")
    dw, pw, b = layer.get_weights()
    layer.set_weights([dw, 5 * pw, b])
    np.testing.assert_array_equal(layer.get_weights()[1], 5 * pw)
    assert all(type(w) is np.ndarray for w in layer.get_weights())


def test_trainable_false_moves_weights():
    layer = _built(trainable=False)
    assert layer.trainable_weights == [] and layer.non_trainable_weights == layer.weights
    assert not any(v.trainable for v in layer.weights)


def test_float16_weights_stay_float16_and_pack_in_float32():
    x = _rand((1, 5, 5, 3), dtype=np.float16)
    layer = SeparableConv2D(4, 3, depth_multiplier=2, padding="same")
    layer(x)
    assert all(v.dtype == np.float16 for v in layer.weights)
    layer.pointwise_kernel.assign(np.ones((1, 1, 6, 4)))
    dw, pw, b = layer.get_weights()
    want = R.separable_conv2d(x, dw, pw, b, padding="same")
    np.testing.assert_allclose(layer(x).astype(np.float64), want, rtol=2 ** -9, atol=2 ** -9)


def test_save_and_load_weights_npz(tmp_path):
    x = _rand((2, 5, 5, 3))
    with sepconv.variable_scope("outer"):
        src = _built(name="src", dtype="float64", bias_initializer="glorot_uniform")
    path = tmp_path / "w.npz"
    src.save_weights(path)
    with np.load(path) as data:
        assert sorted(data.files) == ["outer/src/bias", "outer/src/depthwise_kernel",
                                      "outer/src/pointwise_kernel"]
    dst = SeparableConv2D(4, 3, depth_multiplier=2, padding="same", name="dst")
    dst.load_weights(path)  # builds from the depthwise kernel's shape and dtype
    assert dst.built and dst.dtype == "float64"
    np.testing.assert_array_equal(dst(x), src(x))
    # np.savez appends .npz; load_weights finds it
    src.save_weights(tmp_path / "plain")
    dst.load_weights(tmp_path / "plain")
    nobias = SeparableConv2D(4, 3, depth_multiplier=2, use_bias=False)
    with pytest.raises(ValueError, match=r"needs weights \['depthwise_kernel', 'pointwise_kernel'\]"):
        nobias.load_weights(path)
    wrong = SeparableConv2D(5, 3, depth_multiplier=2)
    with pytest.raises(ValueError, match="pointwise_kernel: expected shape"):
        wrong.load_weights(path)
    with pytest.raises(ValueError, match="no weights yet"):
        SeparableConv2D(1, 1).save_weights(tmp_path / "x.npz")


def test_initializer_dtype_and_values_reach_the_variables():
    layer = SeparableConv2D(3, 2, depthwise_initializer=initializers.Constant(0.5),
                            pointwise_initializer="ones", bias_initializer=initializers.Constant(2.0),
                            dtype="float64")
    layer.build((None, 4, 4, 2))
    assert (layer.depthwise_kernel.numpy() == 0.5).all()
    assert (layer.pointwise_kernel.numpy() == 1).all() and (layer.bias.numpy() == 2).all()
