"""sepconv.Variable: a named weight, as TF 1.x's variables behave for a layer.

A Variable owns a C-contiguous numpy array.  Changing it through assign or
assign_sub checks shape and dtype and tells the layers that use it to repack
their kernels; it never applies the constraint (tf.Variable.assign does not)."""

import threading
import weakref

import numpy as np

__all__ = ["Variable"]


class Variable:
    def __init__(self, name, value, trainable=True, constraint=None, regularizer=None):
        value = np.array(value, copy=True, order="C")
        if value.dtype.kind != "f":
            raise TypeError(f"Variable {name!r}: expected a floating value, got dtype {value.dtype}")
        self._name = str(name)
        self._value = value
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

    def numpy(self):
        """A copy of the current value."""
        return self._value.copy()

    def __array__(self, dtype=None, copy=None):
        v = self._value.copy()
        return v if dtype is None else v.astype(dtype, copy=False)

    def value(self):
        """A read-only view of the current value (no copy), for the package's own use."""
        v = self._value.view()
        v.flags.writeable = False
        return v

    def __repr__(self):
        return f"<sepconv.Variable {self._name!r} shape={self.shape} dtype={self.dtype.name}>"

    # -- updates -----------------------------------------------------------
    def _checked(self, value, what):
        if isinstance(value, Variable):
            value = value.numpy()
        arr = np.asarray(value)
        if arr.dtype.kind not in "fiu":
            raise TypeError(f"{what} {self._name!r}: expected a real numeric value, got dtype {arr.dtype}")
        if arr.shape != self.shape:
            raise ValueError(f"{what} {self._name!r}: expected shape {self.shape}, got {arr.shape}")
        if arr.dtype.kind == "f" and arr.dtype.itemsize > self.dtype.itemsize and arr.dtype != self.dtype:
            # a wider float would lose precision silently; TF refuses mixed float dtypes too
            raise TypeError(f"{what} {self._name!r}: expected dtype {self.dtype}, got {arr.dtype}")
        return np.array(arr, dtype=self.dtype, copy=True, order="C")

    def _set(self, new, notify=True):
        with self._lock:
            self._value = new
        if notify:
            self._notify()

    def assign(self, value):
        """Sets the value (shape and dtype checked) and repacks the layers' kernels."""
        self._set(self._checked(value, "assign"))
        return self

    def assign_sub(self, delta):
        """value <- value - delta."""
        delta = self._checked(delta, "assign_sub")
        with self._lock:
            new = self._value - delta
        self._set(new)
        return self

    def assign_add(self, delta):
        delta = self._checked(delta, "assign_add")
        with self._lock:
            new = self._value + delta
        self._set(new)
        return self

    # -- listeners ---------------------------------------------------------
    def _add_listener(self, bound_method):
        with self._lock:
            self._listeners.append(weakref.WeakMethod(bound_method))

    def _notify(self):
        with self._lock:
            refs = list(self._listeners)
        alive = []
        for ref in refs:
            fn = ref()
            if fn is not None:
                fn(self)
                alive.append(ref)
        if len(alive) != len(refs):
            with self._lock:
                self._listeners = [r for r in self._listeners if r() is not None]
