"""Weight initializers with Keras's names, classes, defaults and formulas (decisions.md rule 14).

An initializer is any callable ``(shape, dtype) -> array``.  The classes here
draw in float64 with numpy's PCG64 generator and cast to the weight's dtype.
Random streams differ from TF's and Keras's; the distributions are the same.
With ``seed`` set, every call returns the same values (as in Keras).

Fans follow Keras: a kernel (kh, kw, a, b) has fan_in = kh*kw*a and
fan_out = kh*kw*b, so the depthwise kernel (kh, kw, C, M) gets kh*kw*C and
kh*kw*M, and the pointwise kernel (1, 1, C*M, F) gets C*M and F."""

import math

import numpy as np

from ._serialization import keras_seed, lookup
from ._serialization import serialize as _serialize

__all__ = [
    "Initializer", "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal",
    "VarianceScaling", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "LecunNormal",
    "LecunUniform", "Orthogonal", "Identity", "compute_fans", "get", "serialize",
]

# std of a unit normal truncated to [-2, 2]; VarianceScaling divides by it so the
# truncated draw keeps the requested variance (Keras's constant)
_TRUNC_STD = 0.87962566103423978
# keys TF 1.x init_ops and Keras write into configs that do not change the values
_IGNORED_KEYS = ("dtype", "verify_shape")


def compute_fans(shape):
    """Keras fans: (kh, kw, a, b) -> (kh*kw*a, kh*kw*b); (a, b) -> (a, b); (n,) -> (n, n)."""
    shape = tuple(int(s) for s in shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    rf = math.prod(shape[:-2])
    return shape[-2] * rf, shape[-1] * rf


def _dtype(dtype):
    dt = np.dtype(np.float32 if dtype is None else dtype)
    if dt.kind != "f":
        raise ValueError(f"initializers produce floating weights; received dtype {dt}")
    return dt


def _shape(shape):
    return tuple(int(s) for s in shape)


class Initializer:
    """Base class: subclasses implement __call__(shape, dtype=None)."""

    def __call__(self, shape, dtype=None):  # pragma: no cover - abstract
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        config = {k: v for k, v in config.items() if k not in _IGNORED_KEYS}
        if "seed" in config:
            config["seed"] = keras_seed(config["seed"])
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class _Seeded(Initializer):
    def __init__(self, seed=None):
        self.seed = keras_seed(seed)

    def _rng(self):
        return np.random.default_rng(self.seed)


def _truncated_normal(rng, mean, stddev, shape):
    """N(mean, stddev) redrawn until every value lies within two stddevs, as TF does."""
    out = rng.standard_normal(shape)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2.0
    return mean + stddev * out


class Zeros(Initializer):
    def __call__(self, shape, dtype=None):
        return np.zeros(_shape(shape), _dtype(dtype))


class Ones(Initializer):
    def __call__(self, shape, dtype=None):
        return np.ones(_shape(shape), _dtype(dtype))


class Constant(Initializer):
    """A scalar, or an array broadcastable to the weight's shape."""

    def __init__(self, value=0.0):
        try:
            np.asarray(value, dtype=np.float64)  # refuse junk here, not at build
        except (TypeError, ValueError):
            raise ValueError(f"Constant initializer: value must be a number or an array of "
                             f"numbers, got {value!r}") from None
        self.value = value

    def __call__(self, shape, dtype=None):
        v = np.asarray(self.value, dtype=_dtype(dtype))
        try:
            return np.array(np.broadcast_to(v, _shape(shape)))
        except ValueError:
            raise ValueError(
                f"Constant initializer: value of shape {v.shape} cannot fill a weight of "
                f"shape {_shape(shape)}") from None

    def get_config(self):
        v = self.value
        return {"value": v.tolist() if isinstance(v, np.ndarray) else v}


class RandomNormal(_Seeded):
    """N(mean, stddev)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        dt = _dtype(dtype)
        return self._rng().normal(self.mean, self.stddev, _shape(shape)).astype(dt)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(_Seeded):
    """U(minval, maxval)."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=None):
        dt = _dtype(dtype)
        return self._rng().uniform(self.minval, self.maxval, _shape(shape)).astype(dt)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class TruncatedNormal(_Seeded):
    """N(mean, stddev) restricted to [mean - 2 stddev, mean + 2 stddev]."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        dt = _dtype(dtype)
        return _truncated_normal(self._rng(), self.mean, self.stddev, _shape(shape)).astype(dt)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


class VarianceScaling(_Seeded):
    """Keras's formula: n = fan_in, fan_out or their mean (by `mode`), s = scale / max(1, n);
    uniform: U(-sqrt(3 s), sqrt(3 s)); untruncated_normal: N(0, sqrt(s));
    truncated_normal: N(0, sqrt(s) / 0.8796...) truncated at two of its stddevs."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        if not scale > 0:
            raise ValueError(f"VarianceScaling: scale must be > 0; received scale={scale!r}")
        mode = mode.lower() if isinstance(mode, str) else mode
        if mode not in _MODES:
            raise ValueError(f"VarianceScaling: mode must be one of {_MODES}; received mode={mode!r}")
        dist = distribution.lower() if isinstance(distribution, str) else distribution
        if dist == "normal":  # TF 1.x's name for the truncated normal
            dist = "truncated_normal"
        if dist not in _DISTRIBUTIONS:
            raise ValueError(f"VarianceScaling: distribution must be one of {_DISTRIBUTIONS}; "
                             f"received distribution={distribution!r}")
        self.scale, self.mode, self.distribution = float(scale), mode, dist

    def __call__(self, shape, dtype=None):
        dt, shape = _dtype(dtype), _shape(shape)
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        s = self.scale / max(1.0, n)
        rng = self._rng()
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * s)
            out = rng.uniform(-limit, limit, shape)
        elif self.distribution == "untruncated_normal":
            out = rng.normal(0.0, math.sqrt(s), shape)
        else:
            out = _truncated_normal(rng, 0.0, math.sqrt(s) / _TRUNC_STD, shape)
        return out.astype(dt)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


def _preset(name, scale, mode, distribution, doc):
    def __init__(self, seed=None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed)

    def get_config(self):
        return {"seed": self.seed}

    @classmethod
    def from_config(cls, config):
        config = {k: v for k, v in config.items() if k not in _IGNORED_KEYS}
        # Keras 3.15 writes input_axes/output_axes (None by default); other values
        # would change the fans, which these classes do not support
        for key in ("input_axes", "output_axes"):
            value = config.pop(key, None)
            if value is not None:
                raise ValueError(f"{name}: {key}={value!r} is not supported")
        return cls(seed=keras_seed(config.pop("seed", None)), **config)

    return type(name, (VarianceScaling,), {
        "__init__": __init__, "get_config": get_config, "from_config": from_config,
        "__doc__": doc, "__module__": __name__})


GlorotNormal = _preset("GlorotNormal", 1.0, "fan_avg", "truncated_normal",
                       "Truncated normal, stddev sqrt(2 / (fan_in + fan_out)) before truncation.")
GlorotUniform = _preset("GlorotUniform", 1.0, "fan_avg", "uniform",
                        "U(-L, L) with L = sqrt(6 / (fan_in + fan_out)).")
HeNormal = _preset("HeNormal", 2.0, "fan_in", "truncated_normal",
                   "Truncated normal, stddev sqrt(2 / fan_in) before truncation.")
HeUniform = _preset("HeUniform", 2.0, "fan_in", "uniform", "U(-L, L) with L = sqrt(6 / fan_in).")
LecunNormal = _preset("LecunNormal", 1.0, "fan_in", "truncated_normal",
                      "Truncated normal, stddev sqrt(1 / fan_in) before truncation.")
LecunUniform = _preset("LecunUniform", 1.0, "fan_in", "uniform",
                       "U(-L, L) with L = sqrt(3 / fan_in).")


class Orthogonal(_Seeded):
    """gain * an orthogonal matrix from the QR decomposition of a normal draw, on the
    weight flattened to (prod(shape[:-1]), shape[-1]) (Keras's layout)."""

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None):
        dt, shape = _dtype(dtype), _shape(shape)
        if len(shape) < 2:
            raise ValueError(f"Orthogonal initializer needs a shape of rank >= 2; received {shape}")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self._rng().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))  # makes the distribution uniform over orthogonal matrices
        if rows < cols:
            q = q.T
        return (self.gain * q).reshape(shape).astype(dt)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    """gain * eye: for 2-D shapes and for 1x1 kernels such as the pointwise kernel
    (1, 1, C*M, F).  Other shapes (the depthwise kernel, the bias) raise ValueError."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        dt, shape = _dtype(dtype), _shape(shape)
        if len(shape) < 2 or any(s != 1 for s in shape[:-2]):
            raise ValueError(
                "Identity initializer applies to 2-D shapes and 1x1 kernels (such as the "
                f"pointwise kernel); received shape {shape}")
        return (self.gain * np.eye(shape[-2], shape[-1])).reshape(shape).astype(dt)

    def get_config(self):
        return {"gain": self.gain}


_CLASSES = {c.__name__: c for c in (
    Zeros, Ones, Constant, RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling,
    GlorotNormal, GlorotUniform, HeNormal, HeUniform, LecunNormal, LecunUniform, Orthogonal,
    Identity)}
# snake-case names, plus the short aliases Keras also knows
_ALIASES = {
    "zeros": Zeros, "zero": Zeros, "ones": Ones, "one": Ones, "constant": Constant,
    "random_normal": RandomNormal, "normal": RandomNormal, "random_uniform": RandomUniform,
    "uniform": RandomUniform, "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling, "glorot_normal": GlorotNormal,
    "glorot_uniform": GlorotUniform, "he_normal": HeNormal, "he_uniform": HeUniform,
    "lecun_normal": LecunNormal, "lecun_uniform": LecunUniform, "orthogonal": Orthogonal,
    "identity": Identity,
}


def get(identifier, argument="initializer"):
    """None, a name ('he_normal'), a class, an instance, a Keras/TF config dict or a
    callable (shape, dtype) -> array."""
    return lookup(identifier, _CLASSES, _ALIASES, "initializer", argument)


def serialize(init):
    """The get_config entry: None stays None, our classes become {'class_name', 'config'},
    other callables are kept as they are."""
    return _serialize(init)
