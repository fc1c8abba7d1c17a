"""The SeparableConv2D layer: weights as sepconv.Variables in TF shapes, packed
once for the C kernels.

The layer owns one immutable, packed `_kernels.Plan` per compute dtype
(float32, float64).  A change to any of its Variables (assign, set_weights,
an optimizer step, or a change through another layer sharing the Variable)
builds fresh plans and swaps them in, so a call running in another thread
keeps the plan it started with alive.  The per-call path is two dict lookups
(input dtype, input shape), an optional copy, one allocation and the C call;
validation runs once per new dtype or shape, in `_prepare`."""

import threading

import numpy as np

from . import (_args, _checkpoint, _isa, _keras, _kernels, _limits, _store, _threads, activations,
               constraints, initializers, regularizers)
from ._serialization import serialize as _serialization_serialize
from .variables import Variable, assign_many

_SHAPE_CACHE_MAX = 256  # distinct input shapes remembered per layer
_WEIGHT_NAMES = ("depthwise_kernel", "pointwise_kernel", "bias")


class SeparableConv2D:
    """Depthwise 2-D convolution, then a 1x1 pointwise convolution, bias and activation.

    Same arguments as ``tf.compat.v1.layers.SeparableConv2D`` plus ``dtype`` (the
    weights' dtype; by default the first input's) and ``num_threads`` (overrides
    ``sepconv.set_num_threads`` and OpenMP's default for this layer).

    Weights: ``depthwise_kernel`` (kh, kw, C, M), ``pointwise_kernel`` (1, 1, C*M, F) and
    ``bias`` (F,) are ``sepconv.Variable``s named ``<variable_scope>/<name>/...``, the scope
    being the one active when the layer is built.  Kernel initializers of None take that
    scope's initializer, else glorot_uniform.  Layer objects keep their weights to
    themselves (as Keras layers do); only the functional API registers weights in the
    store that sepconv.global_variables() lists.  ``losses`` holds the weight
    regularizers' values and the last call's activity loss.  Constraints are applied only
    by ``sepconv.optimizers``.

    Dtypes: the weights take ``dtype``, else the first input's dtype, else float32
    when ``build`` runs first.  Each call computes in its input's precision (float16
    in float32 with float16 weights upcast exactly) and returns a new C-contiguous,
    native-endian array of the input's dtype, or writes into ``out=``."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 data_format="channels_last", dilation_rate=(1, 1), depth_multiplier=1,
                 activation=None, use_bias=True, depthwise_initializer=None,
                 pointwise_initializer=None, bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 trainable=True, name=None, dtype=None, num_threads=None):
        self.filters = _args.positive_int(filters, "filters")
        self.kernel_size = _args.int_pair(kernel_size, "kernel_size")
        self.strides = _args.int_pair(strides, "strides")
        self.padding = _args.padding(padding)
        self.data_format = _args.data_format(data_format)
        self.dilation_rate = _args.int_pair(dilation_rate, "dilation_rate")
        _args.stride_dilation(self.strides, self.dilation_rate)
        self.depth_multiplier = _args.positive_int(depth_multiplier, "depth_multiplier")
        _limits.check_args(self)
        self._act_c, self._act_fn = activations.resolve(activation)
        self.activation = activation
        self.use_bias = _args.flag(use_bias, "use_bias")
        # None kernel initializers take the variable_scope's initializer at build time
        self.depthwise_initializer = initializers.get(depthwise_initializer, "depthwise_initializer")
        self.pointwise_initializer = initializers.get(pointwise_initializer, "pointwise_initializer")
        self.bias_initializer = initializers.get(bias_initializer, "bias_initializer")
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer, "depthwise_regularizer")
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer, "pointwise_regularizer")
        self.bias_regularizer = regularizers.get(bias_regularizer, "bias_regularizer")
        self.activity_regularizer = regularizers.get(activity_regularizer, "activity_regularizer")
        # kept as given; applied only by sepconv.optimizers after an update
        self.depthwise_constraint = constraints.get(depthwise_constraint, "depthwise_constraint")
        self.pointwise_constraint = constraints.get(pointwise_constraint, "pointwise_constraint")
        self.bias_constraint = constraints.get(bias_constraint, "bias_constraint")
        self.trainable = _args.flag(trainable, "trainable")
        if name is not None and not isinstance(name, str):
            raise ValueError(f"`name` must be a string or None; received name={name!r}")
        self.name = name if name is not None else \
            _store.DEFAULT_STORE.next_object_name("separable_conv2d")
        self._scope_name = None          # 'scope/name', fixed when the weights are created
        self._owned = []                 # the Variables this layer created (their losses are its)
        self._activity_loss = None
        self._dtype = _args.layer_dtype(dtype)
        self.num_threads = num_threads
        self.built = False
        self._channels = None
        self._isa_name = None
        self._dw = self._pw = self._bias = None
        self._lock = threading.RLock()   # build, plan creation and set_weights
        self._plans = {}                 # compute dtype -> packed Plan
        self._by_dtype = {}              # input dtype -> (plan, compute dt, output dt, direct in, direct out)
        self._by_shape = {}              # input shape -> geometry tuple

    # ---------------------------------------------------------------- properties
    @property
    def num_threads(self):
        return self._num_threads

    @num_threads.setter
    def num_threads(self, n):
        self._num_threads = _args.optional_threads(n)

    @property
    def dtype(self):
        return None if self._dtype is None else self._dtype.name

    @property
    def depthwise_kernel(self):
        return self._dw

    @property
    def pointwise_kernel(self):
        return self._pw

    @property
    def bias(self):
        return self._bias

    @property
    def scope_name(self):
        """'outer/name': the prefix of the weights' names (None before the layer is built)."""
        return self._scope_name

    @property
    def weights(self):
        """The Variables, in the order depthwise, pointwise, bias."""
        if not self.built:
            return []
        return [self._dw, self._pw] + ([self._bias] if self.use_bias else [])

    @property
    def trainable_weights(self):
        return self.weights if self.trainable else []

    @property
    def non_trainable_weights(self):
        return [] if self.trainable else self.weights

    @property
    def losses(self):
        """One float per regularized weight this layer created, from the current values,
        then the activity loss of the most recent call, regularizer(output) / batch."""
        out = self._weight_losses()
        if self._activity_loss is not None:
            out.append(self._activity_loss)
        return out

    def _weight_losses(self):
        return [float(v.regularizer(v.value())) for v in self._owned if v.regularizer is not None]

    def __repr__(self):
        return (f"SeparableConv2D(name={self.name!r}, filters={self.filters}, "
                f"kernel_size={self.kernel_size}, strides={self.strides}, "
                f"padding={self.padding!r}, data_format={self.data_format!r}, built={self.built})")

    # ---------------------------------------------------------------- building
    def build(self, input_shape):
        """Creates the weights for inputs of this shape (batch and spatial dims may be None)."""
        shape = _args.shape_arg(input_shape)
        _n, h, w, c = _args.split_shape(shape, self.data_format)
        if c is None:
            raise ValueError(
                f"the channel dimension of the inputs must be known; received shape {shape}")
        c = _args.positive_int(c, "input channels")
        self.compute_output_shape(shape)  # validates VALID sizes when h, w are known
        _limits.check_shape(self, shape)
        with self._lock:
            if self.built:
                self._check_channels(c, shape)
                return
            self._build(c, self._dtype or np.dtype(np.float32))

    def _build(self, c, dtype, shared=None):
        """Creates the weights (or adopts `shared`, the Variables of a layer being
        reused, after TF's shape checks), then packs them."""
        if self._scope_name is None:
            self._scope_name = _store.current_scope().prefix + self.name
        kh, kw = self.kernel_size
        m, f = self.depth_multiplier, self.filters
        _limits.check_weights(self, c, dtype)
        shapes = [(kh, kw, c, m), (1, 1, c * m, f), (f,)][:3 if self.use_bias else 2]
        if shared is not None:
            variables = _check_shared(self._scope_name, shared, shapes)
            dtype, owned = variables[0].dtype, []
        else:
            scope_init = _store.current_scope().initializer
            default = scope_init or initializers.GlorotUniform()
            specs = [
                (self.depthwise_initializer, "depthwise", self.depthwise_regularizer,
                 self.depthwise_constraint),
                (self.pointwise_initializer, "pointwise", self.pointwise_regularizer,
                 self.pointwise_constraint),
                (self.bias_initializer, "bias", self.bias_regularizer, self.bias_constraint)]
            variables = [
                Variable(f"{self._scope_name}/{name}",
                         self._initial(init or default, shape, dtype, what),
                         trainable=self.trainable, constraint=con, regularizer=reg)
                for (init, what, reg, con), shape, name in zip(specs, shapes, _WEIGHT_NAMES)]
            owned = variables
        self._isa_name = _isa.selected_isa()
        self._channels, self._dtype = c, np.dtype(dtype)
        self._dw, self._pw = variables[0], variables[1]
        self._bias = variables[2] if self.use_bias else None
        self._owned = owned
        for v in variables:
            v._add_listener(self._on_weights_changed)
        cdt = _args.compute_dtype(self._dtype)
        self._plans = {cdt: self._new_plan(cdt)}
        self._by_dtype = {}
        self.built = True

    @staticmethod
    def _initial(init, shape, dtype, what):
        a = np.asarray(init(shape, dtype))
        if a.shape != shape:
            raise ValueError(
                f"the {what} initializer returned shape {a.shape}; expected {shape}")
        if a.dtype.kind not in "biuf":
            raise TypeError(f"the {what} initializer returned dtype {a.dtype}; expected a real number")
        return np.array(a, dtype=dtype, order="C")

    def _new_plan(self, cdt):
        kh, kw = self.kernel_size
        (sh, sw), (dh, dw) = self.strides, self.dilation_rate
        c, m, f = self._channels, self.depth_multiplier, self.filters
        plan = _kernels.Plan(cdt, c, m, f, kh, kw, sh, sw, dh, dw,
                             self.data_format == "channels_first", self._act_c, self.use_bias,
                             isa=self._isa_name)
        plan.pack(np.ascontiguousarray(self._dw.value(), dtype=cdt),
                  np.ascontiguousarray(self._pw.value().reshape(c * m, f), dtype=cdt),
                  None if self._bias is None else np.ascontiguousarray(self._bias.value(), dtype=cdt))
        return plan

    def _on_weights_changed(self):
        """A Variable of this layer changed: repack every compute dtype in use."""
        with self._lock:
            self._plans = {cdt: self._new_plan(cdt) for cdt in self._plans}
            self._by_dtype = {}

    def _check_channels(self, c, shape):
        if c != self._channels:
            axis = -1 if self.data_format == "channels_last" else 1
            raise ValueError(
                f"layer {self.name!r} expects {self._channels} input channels (axis {axis}), "
                f"received {c} channels in an input of shape {tuple(shape)}")

    def compute_output_shape(self, input_shape):
        shape = _args.shape_arg(input_shape)
        n, h, w, c = _args.split_shape(shape, self.data_format)
        if self.built and c is not None:
            self._check_channels(c, shape)
        ho, wo = (None if v is None else self._geometry_1d(v, i, shape)[0]
                  for i, v in enumerate((h, w)))
        if self.data_format == "channels_last":
            return (n, ho, wo, self.filters)
        return (n, self.filters, ho, wo)

    def _geometry_1d(self, size, i, shape):
        axis = ("height", "width")[i]
        if size == 0:
            raise ValueError(f"the input {axis} is 0; received shape {tuple(shape)}")
        return _args.output_size(size, self.kernel_size[i], self.strides[i],
                                 self.dilation_rate[i], self.padding, axis)

    # ---------------------------------------------------------------- weights
    def get_weights(self):
        """Copies of depthwise (kh,kw,C,M), pointwise (1,1,C*M,F) and bias (F,)."""
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights):
        """Checks every shape and dtype, then assigns the Variables and repacks once
        (every layer sharing the Variables repacks too).  No constraint is applied."""
        if not self.built:
            raise ValueError(
                f"layer {self.name!r} has no weights yet: call build(input_shape) or the layer first")
        weights = list(weights)
        current = self.weights
        names = _WEIGHT_NAMES[:len(current)]
        if len(weights) != len(current):
            raise ValueError(
                f"layer {self.name!r} expects {len(current)} weights "
                f"({', '.join(names)}); received {len(weights)}")
        new = []
        for w, var, what in zip(weights, current, names):
            a = _args.as_array(w, what)
            if a.shape != var.shape:
                raise ValueError(f"{what}: expected shape {var.shape}, received shape {a.shape}")
            if a.dtype.kind not in "biuf" or not np.can_cast(a.dtype, var.dtype, "same_kind"):
                raise TypeError(f"{what}: cannot cast dtype {a.dtype} to the layer dtype {var.dtype}")
            new.append((var, a.astype(var.dtype, copy=False)))
        assign_many(new)

    def save_weights(self, path):
        """Writes the weights to an .npz file, keyed by the Variables' names."""
        _checkpoint.save(self, path)

    def load_weights(self, path):
        """Reads weights written by save_weights, matched by their last name part
        (depthwise_kernel, pointwise_kernel, bias); builds the layer if needed."""
        _checkpoint.load(self, path)

    # ---------------------------------------------------------------- config
    def get_config(self):
        """A dict that from_config here and Keras's SeparableConv2D.from_config accept.
        num_threads is a run-time setting and is not part of it."""
        ser = _serialization_serialize
        return {
            "name": self.name, "trainable": self.trainable, "dtype": self.dtype,
            "filters": self.filters, "kernel_size": self.kernel_size, "strides": self.strides,
            "padding": self.padding, "data_format": self.data_format,
            "dilation_rate": self.dilation_rate, "depth_multiplier": self.depth_multiplier,
            "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
            "depthwise_initializer": ser(self.depthwise_initializer),
            "pointwise_initializer": ser(self.pointwise_initializer),
            "bias_initializer": ser(self.bias_initializer),
            "depthwise_regularizer": ser(self.depthwise_regularizer),
            "pointwise_regularizer": ser(self.pointwise_regularizer),
            "bias_regularizer": ser(self.bias_regularizer),
            "activity_regularizer": ser(self.activity_regularizer),
            "depthwise_constraint": ser(self.depthwise_constraint),
            "pointwise_constraint": ser(self.pointwise_constraint),
            "bias_constraint": ser(self.bias_constraint),
        }

    @classmethod
    def from_config(cls, config):
        """Accepts get_config() of this class, of Keras 3, of tf-keras and of
        tf.compat.v1.layers (their extra keys are checked, then dropped)."""
        return cls(**_keras.layer_kwargs(config, cls))

    # ---------------------------------------------------------------- calling
    def __call__(self, inputs, out=None):
        x = inputs if type(inputs) is np.ndarray else _args.as_float_array(inputs)
        try:
            plan, cdt, odt, direct_in, direct_out = self._by_dtype[x.dtype]
            n, h, w, pt, pl, ho, wo, oshape = self._by_shape[x.shape]
        except KeyError:
            (plan, cdt, odt, direct_in, direct_out), (n, h, w, pt, pl, ho, wo, oshape) = \
                self._prepare(x)
        if out is not None:
            self._check_out(out, x, oshape, odt)
        flags = x.flags
        xc = x if direct_in and flags.c_contiguous and flags.aligned else \
            np.array(x, dtype=cdt, order="C")  # a fresh copy: the caller's array is never touched
        y = out if (out is not None and direct_out) else _kernels.empty_output(oshape, cdt)
        if n:
            plan.forward(xc, y, n, h, w, pt, pl, ho, wo,
                         self._num_threads or _threads.get_num_threads())
        if self._act_fn is not None:
            y = self._apply_callable(y, oshape)
        if out is not None:
            if y is not out:
                out[...] = y
            y = out
        elif y.dtype != odt:
            y = y.astype(odt)
        if self.activity_regularizer is not None:
            self._activity_loss = _activity_loss(self.activity_regularizer, y)
        return y

    def _prepare(self, x, shared=None):
        """Slow path for a new input dtype or shape: validate, build, cache.
        `shared`: the Variables to adopt instead of creating weights (functional reuse)."""
        x = _args.as_float_array(x)
        shape = x.shape
        _n, _h, _w, c = _args.split_shape(shape, self.data_format)
        _limits.check_shape(self, shape, _args.compute_dtype(x.dtype).itemsize)
        with self._lock:
            if not self.built:
                # validate before creating weights, so a bad first call leaves the layer unbuilt
                _args.positive_int(c, "input channels")
                self._geometry_1d(_h, 0, shape)
                self._geometry_1d(_w, 1, shape)
                dt = x.dtype.newbyteorder("=")
                if dt not in (np.float16, np.float32, np.float64):
                    dt = _args.compute_dtype(dt)
                self._build(c, self._dtype or dt, shared)
            entry = self._dtype_entry(x.dtype)
        return entry, self._geometry(shape)

    def _dtype_entry(self, dt):
        entry = self._by_dtype.get(dt)
        if entry is None:
            cdt = _args.compute_dtype(dt)
            plan = self._plans.get(cdt)
            if plan is None:
                plan = self._plans[cdt] = self._new_plan(cdt)
            odt = dt.newbyteorder("=")  # outputs are native-endian
            entry = (plan, cdt, odt, dt == cdt, odt == cdt)
            self._by_dtype[dt] = entry
        return entry

    def _geometry(self, shape):
        n, h, w, c = _args.split_shape(shape, self.data_format)
        self._check_channels(c, shape)
        ho, pt = self._geometry_1d(h, 0, shape)
        wo, pl = self._geometry_1d(w, 1, shape)
        f = self.filters
        oshape = (n, ho, wo, f) if self.data_format == "channels_last" else (n, f, ho, wo)
        geo = (n, h, w, pt, pl, ho, wo, oshape)
        if len(self._by_shape) >= _SHAPE_CACHE_MAX:
            self._by_shape = {}
        self._by_shape[shape] = geo
        return geo

    @staticmethod
    def _check_out(out, x, oshape, odt):
        if type(out) is not np.ndarray:
            raise TypeError(f"`out` must be a numpy.ndarray; received {type(out).__name__}")
        if out.shape != oshape:
            raise ValueError(f"`out` has shape {out.shape}; the output shape is {oshape}")
        if out.dtype != odt:
            raise TypeError(f"`out` has dtype {out.dtype}; the output dtype is {odt}")
        flags = out.flags
        if not (flags.c_contiguous and flags.aligned):
            raise ValueError("`out` must be C-contiguous and aligned")
        if not flags.writeable:
            raise ValueError("`out` is read-only")
        if np.may_share_memory(out, x) and np.shares_memory(out, x):
            raise ValueError("`out` overlaps the input")

    def _apply_callable(self, y, oshape):
        r = np.asarray(self._act_fn(y))
        if r.shape != oshape:
            raise ValueError(
                f"the activation callable returned shape {r.shape}; expected {oshape}")
        return r


def _activity_loss(regularizer, y):
    """regularizer(output) / batch size; 0 for an empty batch (TF's divide_no_nan)."""
    n = y.shape[0]
    return float(regularizer(y)) / n if n else 0.0


def _check_shared(scope_name, shared, shapes):
    """TF's checks when a layer reuses the Variables of the layer first created
    under scope_name, in the order depthwise, pointwise, bias."""
    out = []
    for name, shape, var in zip(_WEIGHT_NAMES, shapes, list(shared) + [None]):
        if var is None:
            raise ValueError(
                f"Variable {scope_name}/{name} does not exist: the layer first created under "
                f"{scope_name!r} has no {name} (use_bias=False), so it cannot be reused with "
                "use_bias=True")
        if tuple(var.shape) != shape:
            raise ValueError(
                f"Trying to share variable {scope_name}/{name}, but specified shape {shape} "
                f"and found shape {tuple(var.shape)}.")
        out.append(var)
    return out


SeparableConvolution2D = SeparableConv2D
