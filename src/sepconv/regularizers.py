"""Weight regularizers with Keras's formulas: l1 * sum|w|, l2 * sum w**2 (no
one-half factor), and their sum.  A regularizer is any callable array -> float."""

import numpy as np

from ._serialization import lookup, serialize

__all__ = ["Regularizer", "L1", "L2", "L1L2", "l1", "l2", "l1_l2", "get", "serialize"]


def _coef(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return value


class Regularizer:
    """Base class: call it on an array to get a Python float."""

    def __call__(self, x):  # pragma: no cover - abstract
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _coef(l1, "l1")
        self.l2 = _coef(l2, "l2")

    def __call__(self, x):
        x = np.asarray(x, dtype=np.float64)
        total = 0.0
        if self.l1:
            total += self.l1 * float(np.sum(np.abs(x)))
        if self.l2:
            total += self.l2 * float(np.sum(np.square(x)))
        return total

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v}' for k, v in self.get_config().items())})"


class L1(L1L2):
    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


def l1(l1=0.01):
    return L1(l1)


def l2(l2=0.01):
    return L2(l2)


def l1_l2(l1=0.01, l2=0.01):
    """Like Keras's l1_l2 function (and the name 'l1_l2'): both default to 0.01."""
    return L1L2(l1=l1, l2=l2)


_CLASSES = {"L1": L1, "L2": L2, "L1L2": L1L2}
_ALIASES = {"l1": L1, "l2": L2, "l1_l2": l1_l2}


def get(identifier, argument="regularizer"):
    """A name ('l1', 'l2', 'l1_l2'), an instance, a config dict or a callable."""
    return lookup(identifier, _CLASSES, _ALIASES, "regularizer", argument)
