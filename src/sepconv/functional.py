"""The TF 1.x functional API (decisions.md rules 19-22).

Each call creates a layer named `<scope>/<name>`, calls it once and returns
the output array.  The first layer created under a name owns its Variables
and is registered in the process-wide store (sepconv._store); a reusing call
builds a new layer object that shares those Variables, so an update through
either is seen by both."""

from . import _args, _store
from ._store import AUTO_REUSE
from .layers import SeparableConv2D

__all__ = ["AUTO_REUSE", "separable_conv2d", "separable_convolution2d", "get_layer", "reset"]

_BASE_NAME = "separable_conv2d"
STORE = _store.DEFAULT_STORE  # the one store; kept here for introspection


def _layer_for_call(x, name, reuse, kwargs):
    """The layer a functional call runs: a new registered one, or one sharing the
    Variables of the layer first created under the same full name."""
    scope = _store.current_scope()
    reuse = _store.effective_reuse(reuse, scope.reuse)
    with STORE.lock:  # check-then-create is atomic across threads
        if name is None:
            # as TF 1.x layers: a reusing call without a name shares the base name's
            # weights; a creating call gets a fresh, numbered name
            name = _BASE_NAME if reuse else STORE.unique_name(scope.prefix, _BASE_NAME)
        full = scope.prefix + name
        owner = STORE.get(full)
        if owner is None:
            if reuse is True:
                raise ValueError(
                    f"Variable {full}/depthwise_kernel does not exist, or was not created by "
                    f"sepconv.separable_conv2d: reuse=True needs a layer created earlier under "
                    f"the name {full!r}. Did you mean to set reuse=sepconv.AUTO_REUSE?")
            layer = SeparableConv2D(name=name, **kwargs)
            layer._scope_name = full
            layer._prepare(x)  # validates the input and creates the weights
            STORE.register(full, layer)
            return layer
        if not reuse:
            raise ValueError(
                f"Variable {full}/depthwise_kernel already exists, disallowed. Did you mean to "
                f"set reuse=True or reuse=sepconv.AUTO_REUSE to share the weights of layer {full!r}?")
        layer = SeparableConv2D(name=name, dtype=owner.dtype, **kwargs)
        layer._scope_name = full
        layer._prepare(x, shared=owner.weights)
        return layer


def separable_conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid",
                     data_format="channels_last", dilation_rate=(1, 1), depth_multiplier=1,
                     activation=None, use_bias=True, depthwise_initializer=None,
                     pointwise_initializer=None, bias_initializer="zeros",
                     depthwise_regularizer=None, pointwise_regularizer=None, bias_regularizer=None,
                     activity_regularizer=None, depthwise_constraint=None,
                     pointwise_constraint=None, bias_constraint=None, trainable=True, name=None,
                     reuse=None):
    """``tf.layers.separable_conv2d`` on arrays: returns the output as a numpy array.

    The weights live in the store under ``<variable_scope>/<name>``; see
    sepconv.global_variables() and sepconv.get_regularization_losses()."""
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
    reuse = _store._check_reuse(reuse)
    layer = _layer_for_call(x, name, reuse, kwargs)
    y = layer(x)
    if layer.activity_regularizer is not None:
        STORE.record_activity(layer.scope_name, layer._activity_loss)
    return y


separable_convolution2d = separable_conv2d


def get_layer(name):
    """The layer that created the weights under the full name 'scope/name', or None."""
    return STORE.get(name)


def reset():
    """Same as sepconv.reset_default_store()."""
    _store.reset_default_store()
