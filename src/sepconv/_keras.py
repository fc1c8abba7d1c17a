"""Keras interoperability without importing Keras: reading the config dicts
that Keras 3, tf-keras and tf.compat.v1.layers write for SeparableConv2D, and
copying a Keras layer (any object with get_config and get_weights)."""

import inspect

import numpy as np

# Keras base-layer keys that say nothing about the computation
_IGNORED = ("batch_input_shape", "batch_shape", "input_shape", "batch_size", "input_dim",
            "autocast", "dynamic", "implementation")
# tf-keras's Conv base class writes these; SeparableConv never uses them
_UNUSED_CONV_KEYS = ("kernel_initializer", "kernel_regularizer", "kernel_constraint")


def layer_kwargs(config, cls):
    """The constructor arguments of `cls` for a config dict from any of the dialects."""
    if not isinstance(config, dict):
        raise TypeError(f"from_config expects a dict; received {type(config).__name__}")
    cfg = {k: v for k, v in config.items() if k not in _IGNORED and k not in _UNUSED_CONV_KEYS}
    groups = cfg.pop("groups", 1)
    if groups != 1:
        raise ValueError(f"SeparableConv2D has no groups; received groups={groups!r}")
    if "dtype" in cfg:
        cfg["dtype"] = weight_dtype(cfg["dtype"])
    if "data_format" in cfg and cfg["data_format"] is None:
        del cfg["data_format"]  # Keras's image_data_format() default
    if isinstance(cfg.get("activation"), dict):
        cfg["activation"] = _activation_name(cfg["activation"])
    params = inspect.signature(cls.__init__).parameters
    unknown = sorted(k for k in cfg if k not in params or k == "self")
    if unknown:
        raise ValueError(f"from_config: unknown SeparableConv2D config keys {unknown}")
    return cfg


def weight_dtype(value):
    """The weights' dtype of a Keras dtype entry: a name, a mixed-precision policy
    name ('mixed_float16' keeps float32 weights) or a serialized DTypePolicy/Policy."""
    if isinstance(value, dict):
        inner = value.get("config") or {}
        value = inner.get("name") if isinstance(inner, dict) else inner
    if isinstance(value, str):
        if value.startswith("mixed_"):
            return "float32"
        if "_from_" in value:
            raise ValueError(f"quantized dtype policies are not supported; received {value!r}")
    return value


def _activation_name(entry):
    cfg = entry.get("config")
    name = cfg if isinstance(cfg, str) else entry.get("registered_name") or entry.get("class_name")
    if not isinstance(name, str):
        raise ValueError(f"cannot read the activation config {entry!r}")
    return name


def from_keras(layer, cls=None):
    """A sepconv SeparableConv2D with the config and weights of `layer`.

    `layer` is any object with get_config() and get_weights() (a Keras 3,
    tf-keras or tf.compat.v1.layers SeparableConv2D).  An unbuilt layer gives an
    unbuilt copy; otherwise the copy is built for the channel count of the
    depthwise kernel and holds the same weights, in their dtype."""
    if cls is None:
        from .layers import SeparableConv2D as cls
    for attr in ("get_config", "get_weights"):
        if not callable(getattr(layer, attr, None)):
            raise TypeError(f"from_keras needs an object with get_config() and get_weights(); "
                            f"{type(layer).__name__} has no {attr}()")
    ours = cls.from_config(layer.get_config())
    weights = [np.asarray(w) for w in layer.get_weights()]
    if weights:
        dw = weights[0]
        if dw.ndim != 4:
            raise ValueError(f"from_keras: the first weight should be the depthwise kernel "
                             f"(kh, kw, C, M); received shape {dw.shape}")
        if ours._dtype is None:
            ours._dtype = np.dtype(dw.dtype)
        c = dw.shape[2]
        ours.build((None, None, None, c) if ours.data_format == "channels_last"
                   else (None, c, None, None))
        ours.set_weights(weights)
    return ours
