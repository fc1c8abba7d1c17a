"""The library's weight-update path, as TF 1.x's Optimizer runs it: each
update is followed by the variable's constraint, if it has one."""

import numpy as np

from .variables import Variable, assign_many

__all__ = ["SGD"]


class SGD:
    """Plain gradient descent: var <- var - learning_rate * grad, then
    var <- constraint(var)."""

    def __init__(self, learning_rate=0.01):
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float, np.integer, np.floating)):
            raise TypeError(f"learning_rate must be a number, got {learning_rate!r}")
        if not np.isfinite(learning_rate) or learning_rate < 0:
            raise ValueError(f"learning_rate must be a finite number >= 0, got {learning_rate!r}")
        self.learning_rate = float(learning_rate)

    def apply_gradients(self, grads_and_vars):
        """Updates every variable with a gradient, then projects it with its
        constraint.  All pairs are checked before any variable changes, and
        each layer using the variables repacks its kernels once per step."""
        updates = []
        for i, pair in enumerate(list(grads_and_vars)):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise ValueError(f"grads_and_vars[{i}] must be a (gradient, variable) pair, got {pair!r}")
            grad, var = pair
            if not isinstance(var, Variable):
                raise TypeError(f"grads_and_vars[{i}]: expected a sepconv.Variable, got {type(var).__name__}")
            if grad is None:
                continue  # as TF: a variable without gradient is left alone
            g = np.asarray(grad)
            if g.dtype.kind not in "fiu":
                raise TypeError(f"grads_and_vars[{i}]: gradient dtype {g.dtype} is not real numeric")
            if g.shape != var.shape:
                raise ValueError(f"grads_and_vars[{i}]: gradient shape {g.shape} does not match "
                                 f"variable {var.name!r} shape {var.shape}")
            # in the variable's dtype, as TF's ApplyGradientDescent computes it
            new = var.value() - var.dtype.type(self.learning_rate) * g.astype(var.dtype)
            if var.constraint is not None:
                new = np.asarray(var.constraint(new))
                if new.shape != var.shape:
                    raise ValueError(f"the constraint of {var.name!r} returned shape {new.shape}; "
                                     f"expected {var.shape}")
            updates.append((var, new))
        assign_many(updates)
