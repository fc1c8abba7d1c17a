"""The TF 1.x functional API and the store of its named weights (decisions.md rules 19-22).

Each call creates a layer, registers it under its name in a module-level
store, calls it once and returns the output array.  The store maps a name to
the layer that owns that name's weights, like a graph's variable store; a later
issue extends it with variable scopes and collections."""

import threading

from . import _args
from .layers import SeparableConv2D


class _AutoReuse:
    def __repr__(self):
        return "AUTO_REUSE"


AUTO_REUSE = _AutoReuse()
_BASE_NAME = "separable_conv2d"


class WeightStore:
    """Thread-safe map from layer name to the layer that owns the weights of that name."""

    def __init__(self):
        self._lock = threading.Lock()
        self._layers = {}

    def get(self, name):
        with self._lock:
            return self._layers.get(name)

    def layers(self):
        """The registered layers, in creation order."""
        with self._lock:
            return list(self._layers.values())

    def reset(self):
        with self._lock:
            self._layers.clear()

    def _unique_name(self, base):
        if base not in self._layers:
            return base
        k = 1
        while f"{base}_{k}" in self._layers:
            k += 1
        return f"{base}_{k}"

    def layer_for_call(self, x, name, reuse, kwargs):
        """The layer a functional call runs: a new registered one, or one sharing `name`'s weights."""
        if reuse not in (None, False, True) and reuse is not AUTO_REUSE:
            raise ValueError(
                f"`reuse` must be None, False, True or sepconv.AUTO_REUSE; received reuse={reuse!r}")
        with self._lock:
            if name is None:
                # as TF 1.x layers: a reusing call without a name shares the base name's
                # weights; a creating call gets a fresh, numbered name
                name = _BASE_NAME if reuse else self._unique_name(_BASE_NAME)
            owner = self._layers.get(name)
            if owner is None:
                if reuse is True:
                    raise ValueError(
                        f"Variable {name}/depthwise_kernel does not exist: reuse=True needs a layer "
                        f"named {name!r} created earlier (or use reuse=sepconv.AUTO_REUSE)")
                layer = SeparableConv2D(name=name, **kwargs)
                layer._prepare(x)  # validates the input and builds the weights
                self._layers[name] = layer
                return layer
            if not reuse:
                raise ValueError(
                    f"Variable {name}/depthwise_kernel already exists, disallowed: pass reuse=True "
                    f"or reuse=sepconv.AUTO_REUSE to share the weights of layer {name!r}")
            layer = SeparableConv2D(name=name, dtype=owner.dtype, **kwargs)
            layer._prepare(x)
            layer.set_weights(_shared_weights(owner, layer))
            return layer


def _shared_weights(owner, layer):
    """The owner's weights in the new layer's order, after TF's shape checks."""
    pairs = [("depthwise_kernel", owner.depthwise_kernel, layer.depthwise_kernel),
             ("pointwise_kernel", owner.pointwise_kernel, layer.pointwise_kernel)]
    if layer.use_bias:
        if owner.bias is None:
            raise ValueError(f"Variable {owner.name}/bias does not exist: layer {owner.name!r} "
                             "was created with use_bias=False")
        pairs.append(("bias", owner.bias, layer.bias))
    for what, have, want in pairs:
        if have.shape != want.shape:
            raise ValueError(
                f"Trying to share variable {owner.name}/{what}, but specified shape {want.shape} "
                f"and found shape {have.shape}.")
    return [have for _, have, _ in pairs]


STORE = WeightStore()


def separable_conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid",
                     data_format="channels_last", dilation_rate=(1, 1), depth_multiplier=1,
                     activation=None, use_bias=True, depthwise_initializer=None,
                     pointwise_initializer=None, bias_initializer="zeros",
                     depthwise_regularizer=None, pointwise_regularizer=None, bias_regularizer=None,
                     activity_regularizer=None, depthwise_constraint=None,
                     pointwise_constraint=None, bias_constraint=None, trainable=True, name=None,
                     reuse=None):
    """``tf.layers.separable_conv2d`` on arrays: returns the output as a numpy array."""
    x = _args.as_float_array(inputs)
    kwargs = dict(
        filters=filters, kernel_size=kernel_size, strides=strides, padding=padding,
        data_format=data_format, dilation_rate=dilation_rate, depth_multiplier=depth_multiplier,
        activation=activation, use_bias=use_bias, depthwise_initializer=depthwise_initializer,
        pointwise_initializer=pointwise_initializer, bias_initializer=bias_initializer,
        depthwise_regularizer=depthwise_regularizer, pointwise_regularizer=pointwise_regularizer,
        bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
        depthwise_constraint=depthwise_constraint, pointwise_constraint=pointwise_constraint,
        bias_constraint=bias_constraint, trainable=trainable)
    if name is not None and not isinstance(name, str):
        raise ValueError(f"`name` must be a string or None; received name={name!r}")
    layer = STORE.layer_for_call(x, name, reuse, kwargs)
    return layer(x)


separable_convolution2d = separable_conv2d


def get_layer(name):
    """The layer registered under `name` by a functional call, or None."""
    return STORE.get(name)


def reset():
    """Forgets every registered layer (like starting a new TF graph)."""
    STORE.reset()
