"""Keras interoperability without importing Keras (issue 3, item 6): reading
the config dicts Keras writes, writing one it accepts, from_keras, and, where
Keras happens to be installed, a real round trip."""

import os

import numpy as np
import pytest

import reference as R
import sepconv
from sepconv import constraints, initializers, regularizers

# SeparableConv2D(2, 3, depthwise_regularizer='l2', pointwise_constraint='max_norm',
# depthwise_initializer='he_normal').get_config() as tf-keras 2.21 returns it
TF_KERAS_CONFIG = {
    'name': 'separable_conv2d', 'trainable': True, 'dtype': 'float32', 'filters': 2,
    'kernel_size': (3, 3), 'strides': (1, 1), 'padding': 'valid', 'data_format': 'channels_last',
    'dilation_rate': (1, 1), 'groups': 1, 'activation': 'linear', 'use_bias': True,
    'kernel_initializer': {'module': 'keras.initializers', 'class_name': 'GlorotUniform',
                           'config': {'seed': None}, 'registered_name': None},
    'bias_initializer': {'module': 'keras.initializers', 'class_name': 'Zeros', 'config': {},
                         'registered_name': None},
    'kernel_regularizer': None, 'bias_regularizer': None, 'activity_regularizer': None,
    'kernel_constraint': None, 'bias_constraint': None, 'depth_multiplier': 1,
    'depthwise_initializer': {'module': 'keras.initializers', 'class_name': 'HeNormal',
                              'config': {'seed': None}, 'registered_name': None},
    'pointwise_initializer': {'module': 'keras.initializers', 'class_name': 'GlorotUniform',
                              'config': {'seed': None}, 'registered_name': None},
    'depthwise_regularizer': {'module': 'keras.regularizers', 'class_name': 'L2',
                              'config': {'l2': 0.009999999776482582}, 'registered_name': None},
    'pointwise_regularizer': None, 'depthwise_constraint': None,
    'pointwise_constraint': {'module': 'keras.constraints', 'class_name': 'MaxNorm',
                             'config': {'max_value': 2, 'axis': 0}, 'registered_name': None}}

# the same layer in Keras 3.15.1 with dtype='mixed_float16'
KERAS3_CONFIG = {
    'name': 'separable_conv2d', 'trainable': True,
    'dtype': {'module': 'keras', 'class_name': 'DTypePolicy', 'config': {'name': 'mixed_float16'},
              'registered_name': None},
    'depth_multiplier': 1, 'filters': 2, 'kernel_size': (3, 3), 'strides': (1, 1),
    'padding': 'valid', 'data_format': 'channels_last', 'dilation_rate': (1, 1),
    'activation': 'linear', 'use_bias': True,
    'depthwise_initializer': {'module': 'keras.initializers', 'class_name': 'GlorotUniform',
                              'config': {'seed': None, 'input_axes': None, 'output_axes': None},
                              'registered_name': None},
    'pointwise_initializer': {'module': 'keras.initializers', 'class_name': 'GlorotUniform',
                              'config': {'seed': None, 'input_axes': None, 'output_axes': None},
                              'registered_name': None},
    'bias_initializer': {'module': 'keras.initializers', 'class_name': 'Zeros', 'config': {},
                         'registered_name': None},
    'depthwise_regularizer': {'module': 'keras.regularizers', 'class_name': 'L2',
                              'config': {'l2': 0.01}, 'registered_name': None},
    'pointwise_regularizer': None, 'bias_regularizer': None, 'activity_regularizer': None,
    'depthwise_constraint': None,
    'pointwise_constraint': {'module': 'keras.constraints', 'class_name': 'MaxNorm',
                             'config': {'max_value': 2, 'axis': 0}, 'registered_name': None},
    'bias_constraint': None}


def test_from_tf_keras_config():
    layer = sepconv.SeparableConv2D.from_config(TF_KERAS_CONFIG)
    assert (layer.name, layer.filters, layer.kernel_size, layer.dtype) == (
        "separable_conv2d", 2, (3, 3), "float32")
    assert isinstance(layer.depthwise_initializer, initializers.HeNormal)
    assert isinstance(layer.pointwise_initializer, initializers.GlorotUniform)
    assert isinstance(layer.bias_initializer, initializers.Zeros)
    assert isinstance(layer.depthwise_regularizer, regularizers.L2)
    assert layer.depthwise_regularizer.l2 == pytest.approx(0.01)
    assert isinstance(layer.pointwise_constraint, constraints.MaxNorm)
    assert layer.pointwise_constraint.max_value == 2 and layer.pointwise_constraint.axis == 0
    layer.build((None, 5, 5, 3))
    assert len(layer.losses) == 1


def test_from_keras3_config_with_a_mixed_policy():
    layer = sepconv.SeparableConv2D.from_config(KERAS3_CONFIG)
    assert layer.dtype == "float32"  # mixed_float16 keeps float32 weights
    assert isinstance(layer.depthwise_initializer, initializers.GlorotUniform)
    cfg = dict(KERAS3_CONFIG, dtype={"class_name": "Policy", "config": {"name": "float64"}})
    assert sepconv.SeparableConv2D.from_config(cfg).dtype == "float64"  # tf-keras 2.x policy


def test_from_config_is_strict_about_what_it_cannot_honour():
    for key, value, match in (("groups", 2, "groups=2"), ("kernel_sizes", 3, "kernel_sizes"),
                              ("dtype", "int8_from_float32", "quantized")):
        with pytest.raises(ValueError, match=match):
            sepconv.SeparableConv2D.from_config(dict(TF_KERAS_CONFIG, **{key: value}))
    bad = dict(KERAS3_CONFIG)
    bad["depthwise_initializer"] = {"class_name": "GlorotUniform", "config": {"input_axes": [0]}}
    with pytest.raises(ValueError, match="input_axes"):
        sepconv.SeparableConv2D.from_config(bad)
    # harmless base-layer keys are accepted
    ok = dict(TF_KERAS_CONFIG, batch_input_shape=(None, 5, 5, 3), data_format=None)
    assert sepconv.SeparableConv2D.from_config(ok).data_format == "channels_last"


def test_get_config_has_only_keras_keys_and_round_trips():
    layer = sepconv.SeparableConv2D(
        3, (2, 3), padding="same", depth_multiplier=2, activation="relu",
        depthwise_initializer=initializers.VarianceScaling(2.0, "fan_avg", "uniform", seed=1),
        pointwise_regularizer="l1_l2", activity_regularizer=regularizers.L2(0.3),
        bias_constraint="non_neg", depthwise_constraint=constraints.MaxNorm(1.5, axis=[0, 1]),
        trainable=False, name="k", dtype="float64", num_threads=1)
    cfg = layer.get_config()
    keras_keys = set(TF_KERAS_CONFIG) - {"groups", "kernel_initializer", "kernel_regularizer",
                                         "kernel_constraint"}
    assert set(cfg) == keras_keys
    assert cfg["pointwise_regularizer"] == {"class_name": "L1L2", "config": {"l1": 0.01, "l2": 0.01}}
    assert cfg["bias_constraint"] == {"class_name": "NonNeg", "config": {}}
    clone = sepconv.SeparableConv2D.from_config(cfg)
    assert clone.get_config() == cfg and clone.trainable is False


class FakeKerasLayer:
    """Anything with get_config() and get_weights() will do."""

    def __init__(self, cfg, weights):
        self.cfg, self.weights = cfg, weights

    def get_config(self):
        return dict(self.cfg)

    def get_weights(self):
        return list(self.weights)


def test_from_keras_with_any_object():
    rng = np.random.default_rng(3)
    w = [rng.standard_normal((3, 3, 4, 1)), rng.standard_normal((1, 1, 4, 2)),
         rng.standard_normal(2)]
    cfg = dict(TF_KERAS_CONFIG, dtype=None, name="copied")
    layer = sepconv.from_keras(FakeKerasLayer(cfg, [a.astype(np.float64) for a in w]))
    assert layer.name == "copied" and layer.dtype == "float64"
    x = rng.standard_normal((2, 6, 6, 4))
    np.testing.assert_allclose(layer(x), R.separable_conv2d(x, *w), rtol=1e-12, atol=1e-12)
    assert not sepconv.from_keras(FakeKerasLayer(cfg, [])).built
    cf = sepconv.from_keras(FakeKerasLayer(dict(cfg, data_format="channels_first"), w))
    assert cf.built and cf.depthwise_kernel.shape == (3, 3, 4, 1)
    with pytest.raises(TypeError, match="get_weights"):
        sepconv.from_keras(object())


# --------------------------------------------------------------------------- real Keras


def _keras(module):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return pytest.importorskip(module)


@pytest.mark.parametrize("module", ["tf_keras", "keras"])
def test_round_trip_with_installed_keras(module):
    keras = _keras(module)
    kl = keras.layers.SeparableConv2D(
        4, 3, strides=2, padding="same", depth_multiplier=2, activation="relu",
        depthwise_initializer="he_normal", bias_initializer="random_normal",
        pointwise_regularizer=keras.regularizers.L2(0.1), depthwise_constraint="max_norm",
        name="kconv")
    x = np.random.default_rng(4).standard_normal((2, 9, 8, 3)).astype(np.float32)
    want = np.asarray(kl(x))
    ours = sepconv.from_keras(kl)
    assert ours.name == "kconv" and ours.dtype == "float32"
    assert isinstance(ours.depthwise_constraint, constraints.MaxNorm)
    np.testing.assert_allclose(ours(x), want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours.losses, [float(v) for v in kl.losses], rtol=1e-5)
    # and back: Keras accepts our config and our weights
    back = keras.layers.SeparableConv2D.from_config(ours.get_config())
    back.build((None, 9, 8, 3))
    back.set_weights(ours.get_weights())
    np.testing.assert_allclose(np.asarray(back(x)), want, rtol=1e-5, atol=1e-5)
    assert type(back.pointwise_regularizer).__name__ == "L2"
