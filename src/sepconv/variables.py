"""sepconv.Variable: a named weight, as TF 1.x's variables behave for a layer.

A Variable holds a read-only, C-contiguous numpy array and replaces it (never
writes into it) on every change, so a value handed out earlier stays a valid
snapshot and a layer packing its kernels in another thread never sees a torn
update.  assign/assign_sub check shape and dtype and tell every layer that
uses the Variable to repack its kernels; they never apply the constraint
(tf.Variable.assign does not either; sepconv.optimizers does)."""

import threading
import weakref

import numpy as np

__all__ = ["Variable", "assign_many"]


def _frozen(a):
    a.flags.writeable = False
    return a


class Variable:
    def __init__(self, name, value, trainable=True, constraint=None, regularizer=None):
        value = np.array(value, copy=True, order="C")
        if value.dtype.kind != "f":
            raise TypeError(f"Variable {name!r}: expected a floating value, got dtype {value.dtype}")
        self._name = str(name)
        self._value = _frozen(value.astype(value.dtype.newbyteorder("="), copy=False))
        self._trainable = bool(trainable)
        self.constraint = constraint
        self.regularizer = regularizer
        self._lock = threading.Lock()
        self._listeners = []  # weak references to bound methods called after a change

    # -- read-only facts ---------------------------------------------------
    @property
    def name(self):
        return self._name

    @property
    def shape(self):
        return self._value.shape

    @property
    def dtype(self):
        return self._value.dtype

    @property
    def trainable(self):
        return self._trainable

    @property
    def ndim(self):
        return self._value.ndim

    @property
    def size(self):
        return self._value.size

    def numpy(self):
        """A writable copy of the current value."""
        return self._value.copy()

    def value(self):
        """The current value, read-only, without a copy (a snapshot: later changes
        replace the Variable's array rather than writing into it)."""
        return self._value

    def __array__(self, dtype=None, copy=None):
        v = self._value
        if dtype is not None and np.dtype(dtype) != v.dtype:
            return v.astype(dtype)
        return v.copy() if copy else v

    def __getitem__(self, index):
        return self._value[index].copy()

    def __len__(self):
        return len(self._value)

    def __repr__(self):
        return f"<sepconv.Variable {self._name!r} shape={self.shape} dtype={self.dtype.name}>"

    # -- updates -----------------------------------------------------------
    def _checked(self, value, what):
        if isinstance(value, Variable):
            if value.dtype != self.dtype:
                # as TF refuses a tensor of another dtype (numpy values are converted)
                raise TypeError(f"{what} {self._name!r}: expected dtype {self.dtype}, got a "
                                f"Variable of dtype {value.dtype}")
            value = value.value()
        arr = np.asarray(value)
        if arr.dtype.kind not in "fiu":
            raise TypeError(f"{what} {self._name!r}: expected a real numeric value, got dtype {arr.dtype}")
        if arr.shape != self.shape:
            raise ValueError(f"{what} {self._name!r}: expected shape {self.shape}, got {arr.shape}")
        return arr

    def _set(self, new):
        new = _frozen(np.array(new, dtype=self.dtype, copy=True, order="C"))
        with self._lock:
            self._value = new

    def assign(self, value):
        """Sets the value (shape and dtype checked, numpy values cast to this dtype) and
        repacks the kernels of every layer using this Variable.  No constraint."""
        self._set(self._checked(value, "assign"))
        self._notify()
        return self

    def assign_sub(self, delta):
        """value <- value - delta, in this Variable's dtype."""
        delta = self._checked(delta, "assign_sub").astype(self.dtype, copy=False)
        with self._lock:
            self._value = _frozen(np.ascontiguousarray(self._value - delta))
        self._notify()
        return self

    def assign_add(self, delta):
        """value <- value + delta, in this Variable's dtype."""
        delta = self._checked(delta, "assign_add").astype(self.dtype, copy=False)
        with self._lock:
            self._value = _frozen(np.ascontiguousarray(self._value + delta))
        self._notify()
        return self

    # -- listeners ---------------------------------------------------------
    def _add_listener(self, bound_method):
        with self._lock:
            # drop dead layers here too: a functional reuse loop adds one short-lived
            # layer per call, and assign may never run to prune them
            self._listeners = [r for r in self._listeners if r() is not None]
            self._listeners.append(weakref.WeakMethod(bound_method))

    def _live_listeners(self):
        with self._lock:
            self._listeners = [r for r in self._listeners if r() is not None]
            return [r() for r in self._listeners]

    def _notify(self):
        for fn in self._live_listeners():
            fn()


def assign_many(pairs):
    """Assigns several Variables, all checked before any changes, then refreshes
    each listening layer once (set_weights and an optimizer step repack once)."""
    pairs = [(var, var._checked(value, "assign")) for var, value in pairs]
    for var, value in pairs:
        var._set(value)
    seen = {}
    for var, _ in pairs:
        for fn in var._live_listeners():
            seen.setdefault(fn, None)  # bound methods compare by (object, function)
    for fn in seen:
        fn()
