"""The weight store and variable scopes, with TF 1.x semantics.

The store is process-wide, like a TF graph's variable store, and guarded by
one re-entrant lock.  The scope stack is per thread, so a scope entered in one
thread never renames another thread's layers."""

import contextlib
import re
import threading

__all__ = ["AUTO_REUSE", "variable_scope", "global_variables", "trainable_variables",
           "get_regularization_losses", "reset_default_store"]


class _AutoReuse:
    """Create on first use, reuse afterwards."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self):
        return "sepconv.AUTO_REUSE"

    def __reduce__(self):
        return (_AutoReuse, ())


AUTO_REUSE = _AutoReuse()

_SCOPE_NAME = re.compile(r"^[A-Za-z0-9_.\-][A-Za-z0-9_.\-/]*$")


def _check_reuse(reuse, argument="reuse"):
    if reuse is None or reuse is True or reuse is False or reuse is AUTO_REUSE:
        return reuse
    raise ValueError(f"{argument} must be None, True, False or sepconv.AUTO_REUSE, got {reuse!r}")


class _Scope:
    __slots__ = ("prefix", "reuse", "initializer")

    def __init__(self, prefix, reuse, initializer):
        self.prefix = prefix          # '' or 'outer/inner/'
        self.reuse = reuse            # None, True or AUTO_REUSE (False is never inherited)
        self.initializer = initializer


_ROOT = _Scope("", None, None)
_local = threading.local()


def current_scope():
    stack = getattr(_local, "stack", None)
    return stack[-1] if stack else _ROOT


@contextlib.contextmanager
def variable_scope(name, reuse=None, initializer=None):
    """Nests names as 'outer/inner'.  reuse=True or AUTO_REUSE holds for every
    layer created inside, and nested scopes inherit it (it cannot be switched
    off again inside, as in TF 1.x).  initializer applies to kernels whose
    initializer is None."""
    if not isinstance(name, str) or not name or not _SCOPE_NAME.match(name) or name.endswith("/"):
        raise ValueError(f"variable_scope: name must be a non-empty string of letters, digits, "
                         f"'_', '.', '-' and '/', got {name!r}")
    reuse = _check_reuse(reuse)
    if initializer is not None:
        from . import initializers  # late import: initializers does not depend on the store
        initializer = initializers.get(initializer)
    parent = current_scope()
    inherited = parent.reuse
    eff = inherited if reuse in (None, False) else reuse
    if reuse is True and inherited is AUTO_REUSE:
        eff = True
    scope = _Scope(parent.prefix + name + "/", eff,
                   initializer if initializer is not None else parent.initializer)
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    stack.append(scope)
    try:
        yield scope
    finally:
        stack.pop()


class WeightStore:
    def __init__(self):
        self.lock = threading.RLock()
        self._layers = {}      # full name -> the layer that created the weights
        self._variables = []   # in creation order

    def reset(self):
        with self.lock:
            self._layers.clear()
            self._variables.clear()

    def get(self, full_name):
        with self.lock:
            return self._layers.get(full_name)

    def unique_name(self, prefix, base):
        """base, base_1, base_2, ... : the first not yet used under prefix."""
        with self.lock:
            if prefix + base not in self._layers:
                return base
            i = 1
            while f"{prefix}{base}_{i}" in self._layers:
                i += 1
            return f"{base}_{i}"

    def register(self, full_name, layer):
        with self.lock:
            if full_name in self._layers:
                raise ValueError(f"Variable {full_name}/depthwise_kernel already exists, disallowed. "
                                 "Did you mean to set reuse=True or reuse=sepconv.AUTO_REUSE in variable_scope?")
            self._layers[full_name] = layer
            self._variables.extend(layer.weights)

    def global_variables(self):
        with self.lock:
            return list(self._variables)

    def trainable_variables(self):
        with self.lock:
            return [v for v in self._variables if v.trainable]

    def regularization_losses(self):
        with self.lock:
            layers = list(self._layers.values())
        losses = []
        for layer in layers:
            losses.extend(layer.losses)
        return losses


DEFAULT_STORE = WeightStore()


def global_variables():
    """Every Variable created through the functional API, in creation order."""
    return DEFAULT_STORE.global_variables()


def trainable_variables():
    return DEFAULT_STORE.trainable_variables()


def get_regularization_losses():
    """One float per regularized weight of the store's layers (from current
    values), plus each layer's activity loss from its most recent call."""
    return DEFAULT_STORE.regularization_losses()


def reset_default_store():
    """Forgets every layer and variable the functional API has created."""
    DEFAULT_STORE.reset()
