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
    raise ValueError(
        f"`{argument}` must be None, False, True or sepconv.AUTO_REUSE; received {argument}={reuse!r}")


class _Scope:
    """What `with variable_scope(...) as scope` yields: name, reuse, initializer."""
    __slots__ = ("prefix", "reuse", "initializer")

    def __init__(self, prefix, reuse, initializer):
        self.prefix = prefix          # '' or 'outer/inner/'
        self.reuse = reuse            # None, True or AUTO_REUSE (False is never inherited)
        self.initializer = initializer

    @property
    def name(self):
        return self.prefix[:-1]

    def __repr__(self):
        return f"<sepconv.variable_scope {self.name!r} reuse={self.reuse!r}>"


def effective_reuse(reuse, inherited):
    """TF 1.x's `reuse or parent.reuse`: None and False inherit; True and AUTO_REUSE win."""
    return reuse if reuse is True or reuse is AUTO_REUSE else inherited


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
        initializer = initializers.get(initializer, "variable_scope initializer")
    parent = current_scope()
    scope = _Scope(parent.prefix + name + "/", effective_reuse(reuse, parent.reuse),
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
    """The layers created by the functional API, by full name ('outer/name'),
    with their Variables in creation order.  Callers that check and then
    register hold `lock` across both, so two threads never create one name twice."""

    def __init__(self):
        self.lock = threading.RLock()
        self._layers = {}      # full name -> the layer that created the weights
        self._variables = []   # in creation order
        self._activity = {}    # full name -> activity loss of the most recent call
        self._class_names = {}  # base name -> next number, for unnamed layer objects

    def reset(self):
        with self.lock:
            self._layers.clear()
            self._variables.clear()
            self._activity.clear()
            self._class_names.clear()

    def get(self, full_name):
        with self.lock:
            return self._layers.get(full_name)

    def layers(self):
        """The layers that created weights, in creation order."""
        with self.lock:
            return list(self._layers.values())

    def unique_name(self, prefix, base):
        """base, base_1, base_2, ... : the first not yet used under prefix."""
        with self.lock:
            if prefix + base not in self._layers:
                return base
            i = 1
            while f"{prefix}{base}_{i}" in self._layers:
                i += 1
            return f"{base}_{i}"

    def next_object_name(self, base):
        """Default names for layer objects: base, base_1, ... (reset with the store)."""
        with self.lock:
            k = self._class_names.get(base, 0)
            self._class_names[base] = k + 1
        return base if k == 0 else f"{base}_{k}"

    def register(self, full_name, layer):
        with self.lock:
            if full_name in self._layers:
                raise ValueError(f"Variable {full_name}/depthwise_kernel already exists, disallowed. "
                                 "Did you mean to set reuse=True or reuse=sepconv.AUTO_REUSE in variable_scope?")
            self._layers[full_name] = layer
            self._variables.extend(layer.weights)

    def record_activity(self, full_name, loss):
        """The activity loss of the latest call under full_name replaces the previous one."""
        with self.lock:
            self._activity[full_name] = loss

    def global_variables(self):
        with self.lock:
            return list(self._variables)

    def trainable_variables(self):
        with self.lock:
            return [v for v in self._variables if v.trainable]

    def regularization_losses(self):
        with self.lock:
            items = list(self._layers.items())
            activity = dict(self._activity)
        losses = []
        for full_name, layer in items:
            losses.extend(layer._weight_losses())
            if full_name in activity:
                losses.append(activity[full_name])
        return losses


DEFAULT_STORE = WeightStore()


def global_variables():
    """Every Variable created through the functional API, in creation order
    (layer objects keep their own weights, as Keras layers do)."""
    return DEFAULT_STORE.global_variables()


def trainable_variables():
    """global_variables() without those of layers created with trainable=False."""
    return DEFAULT_STORE.trainable_variables()


def get_regularization_losses():
    """One float per regularized weight of the store's layers (from current
    values; a reused layer adds none), plus, per layer name, the activity loss
    of the most recent functional call under that name."""
    return DEFAULT_STORE.regularization_losses()


def reset_default_store():
    """Forgets every layer and variable the functional API has created and
    restarts default names (like tf.reset_default_graph)."""
    DEFAULT_STORE.reset()
