"""Weight initializers with Keras names, classes and fan rules (decisions.md rule 14).

An initializer is any callable ``(shape, dtype) -> array``.  The classes here
also have ``get_config`` so a layer's config round-trips through
``get({'class_name': ..., 'config': ...})``.  A later issue adds the rest of
the Keras set by registering more classes in ``_REGISTRY``."""

import math

import numpy as np


def compute_fans(shape):
    """Keras fans: (kh, kw, a, b) -> (kh*kw*a, kh*kw*b); (n,) -> (n, n)."""
    shape = tuple(int(s) for s in shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    rf = math.prod(shape[:-2])
    return shape[-2] * rf, shape[-1] * rf


class Initializer:
    """Base class: subclasses implement __call__(shape, dtype=None)."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _dtype(dtype):
    return np.dtype(np.float32 if dtype is None else dtype)


class Zeros(Initializer):
    def __call__(self, shape, dtype=None):
        return np.zeros(shape, _dtype(dtype))


class Ones(Initializer):
    def __call__(self, shape, dtype=None):
        return np.ones(shape, _dtype(dtype))


class Constant(Initializer):
    """A scalar, or an array broadcastable to the weight's shape."""

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        v = np.asarray(self.value, dtype=_dtype(dtype))
        try:
            return np.array(np.broadcast_to(v, tuple(shape)))
        except ValueError:
            raise ValueError(
                f"Constant initializer: value of shape {v.shape} cannot fill a weight of "
                f"shape {tuple(shape)}") from None

    def get_config(self):
        v = self.value
        return {"value": v.tolist() if isinstance(v, np.ndarray) else v}


class GlorotUniform(Initializer):
    """U(-L, L), L = sqrt(6 / (fan_in + fan_out)).  A seed makes every call repeat."""

    def __init__(self, seed=None):
        self.seed = seed

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape)
        limit = math.sqrt(6.0 / max(1, fan_in + fan_out))
        rng = np.random.default_rng(self.seed)
        return rng.uniform(-limit, limit, size=tuple(shape)).astype(_dtype(dtype))

    def get_config(self):
        return {"seed": self.seed}


_REGISTRY = {
    "Zeros": Zeros, "zeros": Zeros,
    "Ones": Ones, "ones": Ones,
    "Constant": Constant, "constant": Constant,
    "GlorotUniform": GlorotUniform, "glorot_uniform": GlorotUniform,
}


def get(identifier):
    """None, a name, an instance, a callable, or a Keras config dict -> an initializer."""
    if identifier is None or callable(identifier):
        return identifier
    if isinstance(identifier, str):
        cls = _REGISTRY.get(identifier)
        if cls is None:
            raise ValueError(
                f"unknown initializer {identifier!r}; known names are "
                + ", ".join(sorted(k for k in _REGISTRY if k.islower())))
        return cls()
    if isinstance(identifier, dict) and "class_name" in identifier:
        cls = _REGISTRY.get(identifier["class_name"])
        if cls is None:
            raise ValueError(f"unknown initializer class {identifier['class_name']!r}")
        return cls.from_config(dict(identifier.get("config") or {}))
    raise ValueError(f"could not interpret initializer {identifier!r}")


def serialize(init):
    """Keras-style config entry: None stays None, our classes become dicts, callables stay."""
    if isinstance(init, Initializer):
        return {"class_name": type(init).__name__, "config": init.get_config()}
    return init
