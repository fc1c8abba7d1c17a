# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Typed entry points to the C kernels.

The Python layer validates arguments; this module re-checks what memory safety
depends on (array types, sizes, contiguity), releases the GIL for all kernel
work, and turns C status codes into exceptions after leaving ``nogil``."""

from libc.stdint cimport int64_t, int32_t
cimport numpy as cnp
import numpy as np

cnp.import_array()

cdef extern from "sepconv.h" nogil:
    ctypedef struct sepconv_params:
        int64_t n, h, w, c, m, f, kh, kw, sh, sw, dh, dw, pad_top, pad_left, ho, wo
        int32_t layout, act, has_bias, num_threads, isa, hints
    int SEPCONV_OK, SEPCONV_EINVAL, SEPCONV_ENOMEM, SEPCONV_EOVERFLOW, SEPCONV_EISA
    int SEPCONV_HINT_STREAM_OUTPUT
    int sepconv_check_params(const sepconv_params *p)
    int64_t sepconv_packed_size_f32(const sepconv_params *p)
    int64_t sepconv_packed_size_f64(const sepconv_params *p)
    int sepconv_pack_f32(const sepconv_params *p, const float *dw, const float *pw, const float *bias, float *packed)
    int sepconv_pack_f64(const sepconv_params *p, const double *dw, const double *pw, const double *bias, double *packed)
    int sepconv_forward_f32(const sepconv_params *p, const float *packed, const float *x, float *y)
    int sepconv_forward_f64(const sepconv_params *p, const double *packed, const double *x, double *y)
    int sepconv_depthwise_f32(const sepconv_params *p, const float *packed, const float *x, float *d)
    int sepconv_depthwise_f64(const sepconv_params *p, const double *packed, const double *x, double *d)
    int sepconv_pointwise_f32(const sepconv_params *p, const float *packed, const float *d, float *y)
    int sepconv_pointwise_f64(const sepconv_params *p, const double *packed, const double *d, double *y)
    int sepconv_best_isa()
    int sepconv_isa_supported(int isa)
    const char *sepconv_isa_name(int isa)
    int sepconv_openmp_enabled()
    int sepconv_omp_max_threads()

ISA_NAMES = ("ref", "scalar", "avx2", "avx512")
ACTIVATIONS = ("linear", "relu", "relu6", "elu", "selu", "gelu", "sigmoid", "hard_sigmoid",
               "tanh", "softplus", "softsign", "swish", "leaky_relu", "exponential")

cdef enum Stage:
    FORWARD = 0
    DEPTHWISE = 1
    POINTWISE = 2


cdef int raise_status(int status, str what) except -1:
    if status == SEPCONV_OK:
        return 0
    if status == SEPCONV_ENOMEM:
        raise MemoryError(f"sepconv: could not allocate scratch memory in {what}")
    if status == SEPCONV_EOVERFLOW:
        raise ValueError(f"sepconv: sizes overflow int64 in {what}")
    if status == SEPCONV_EISA:
        raise ValueError(f"sepconv: the requested instruction set is not supported here ({what})")
    raise ValueError(f"sepconv: inconsistent parameters in {what} (status {status})")


def best_isa():
    """Name of the best kernel family this CPU and build support."""
    return ISA_NAMES[sepconv_best_isa()]


def isa_supported(name):
    return name in ISA_NAMES and bool(sepconv_isa_supported(ISA_NAMES.index(name)))


def openmp_enabled():
    """True when the extension was compiled with OpenMP."""
    return bool(sepconv_openmp_enabled())


def omp_max_threads():
    """omp_get_max_threads() as seen by the calling thread (1 in a serial build)."""
    return sepconv_omp_max_threads()


cdef inline void* array_data(cnp.ndarray a):
    return cnp.PyArray_DATA(a)


cdef class Plan:
    """A layer's kernel geometry and packed weights.

    Built once per layer (and per kernel family); ``pack`` runs when weights
    are set, ``forward`` on every call with only the input-dependent sizes."""

    cdef sepconv_params p
    cdef readonly object dtype
    cdef readonly str isa
    cdef cnp.ndarray packed
    cdef bint is_f64

    def __init__(self, dtype, int64_t c, int64_t m, int64_t f, int64_t kh, int64_t kw,
                 int64_t sh, int64_t sw, int64_t dh, int64_t dw, bint channels_first,
                 activation, bint has_bias, isa=None, bint stream_output=False):
        self.dtype = np.dtype(dtype)
        if self.dtype == np.float32:
            self.is_f64 = False
        elif self.dtype == np.float64:
            self.is_f64 = True
        else:
            raise TypeError(f"Plan: dtype must be float32 or float64, got {self.dtype}")
        if isa is None:
            isa = best_isa()
        if isa not in ISA_NAMES or not sepconv_isa_supported(ISA_NAMES.index(isa)):
            raise ValueError(f"isa must be one of the supported {[n for n in ISA_NAMES if isa_supported(n)]}, got {isa!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        self.isa = isa
        self.p.n = 1
        self.p.h = kh
        self.p.w = kw
        self.p.c = c
        self.p.m = m
        self.p.f = f
        self.p.kh = kh
        self.p.kw = kw
        self.p.sh = sh
        self.p.sw = sw
        self.p.dh = dh
        self.p.dw = dw
        self.p.pad_top = 0
        self.p.pad_left = 0
        self.p.ho = 1
        self.p.wo = 1
        self.p.layout = 1 if channels_first else 0
        self.p.act = ACTIVATIONS.index(activation)
        self.p.has_bias = 1 if has_bias else 0
        self.p.num_threads = 1
        self.p.isa = ISA_NAMES.index(isa)
        # stream_output forces the streaming stores the driver otherwise picks by size (tests)
        self.p.hints = SEPCONV_HINT_STREAM_OUTPUT if stream_output else 0
        raise_status(sepconv_check_params(&self.p), "Plan")
        self.packed = None

    @property
    def packed_weights(self):
        """A read-only view of the packed buffer (None before pack)."""
        if self.packed is None:
            return None
        v = self.packed.view()
        v.flags.writeable = False
        return v

    def pack(self, cnp.ndarray dw, cnp.ndarray pw, bias):
        """Packs (kh, kw, c, m), (c*m, f) and (f,) C-contiguous arrays of the plan's dtype."""
        cdef sepconv_params p = self.p
        cdef cnp.ndarray b = None
        cdef int64_t size
        cdef int st
        cdef void *bptr = NULL
        self._check(dw, p.kh * p.kw * p.c * p.m, "depthwise weights", False)
        self._check(pw, p.c * p.m * p.f, "pointwise weights", False)
        if p.has_bias:
            b = bias
            self._check(b, p.f, "bias", False)
            bptr = array_data(b)
        size = sepconv_packed_size_f64(&p) if self.is_f64 else sepconv_packed_size_f32(&p)
        if size < 0:
            raise_status(SEPCONV_EINVAL, "pack")
        packed = aligned_empty((size,), self.dtype, <size_t>size * self.dtype.itemsize)
        cdef void *out = array_data(packed)
        cdef void *dptr = array_data(dw)
        cdef void *pptr = array_data(pw)
        with nogil:
            if self.is_f64:
                st = sepconv_pack_f64(&p, <double*>dptr, <double*>pptr, <double*>bptr, <double*>out)
            else:
                st = sepconv_pack_f32(&p, <float*>dptr, <float*>pptr, <float*>bptr, <float*>out)
        raise_status(st, "pack")
        self.packed = packed

    cdef int _check(self, cnp.ndarray a, int64_t size, str what, bint writable) except -1:
        if a is None:
            raise TypeError(f"{what}: expected an ndarray, got None")
        if a.dtype != self.dtype:
            raise TypeError(f"{what}: expected dtype {self.dtype}, got {a.dtype}")
        if not cnp.PyArray_IS_C_CONTIGUOUS(a):
            raise ValueError(f"{what}: expected a C-contiguous array")
        if cnp.PyArray_SIZE(a) != size:
            raise ValueError(f"{what}: expected {size} elements, got {cnp.PyArray_SIZE(a)}")
        if writable and not cnp.PyArray_ISWRITEABLE(a):
            raise ValueError(f"{what}: output array is read-only")
        return 0

    def forward(self, cnp.ndarray x, cnp.ndarray y, int64_t n, int64_t h, int64_t w,
                int64_t pad_top, int64_t pad_left, int64_t ho, int64_t wo, int num_threads):
        """y = act(pointwise(depthwise(x)) + bias), fused."""
        return self._run(FORWARD, x, y, n, h, w, pad_top, pad_left, ho, wo, num_threads)

    def depthwise(self, cnp.ndarray x, cnp.ndarray d, int64_t n, int64_t h, int64_t w,
                  int64_t pad_top, int64_t pad_left, int64_t ho, int64_t wo, int num_threads):
        """The depthwise stage alone: d is (n, ho, wo, c*m), or (n, c*m, ho, wo)."""
        return self._run(DEPTHWISE, x, d, n, h, w, pad_top, pad_left, ho, wo, num_threads)

    def pointwise(self, cnp.ndarray d, cnp.ndarray y, int64_t n, int64_t ho, int64_t wo,
                  int num_threads):
        """The pointwise stage alone, with bias and activation."""
        return self._run(POINTWISE, d, y, n, ho, wo, 0, 0, ho, wo, num_threads)

    cdef object _run(self, Stage stage, cnp.ndarray src, cnp.ndarray dst, int64_t n, int64_t h,
                     int64_t w, int64_t pad_top, int64_t pad_left, int64_t ho, int64_t wo,
                     int num_threads):
        if self.packed is None:
            raise ValueError("Plan: weights have not been packed")
        cdef sepconv_params p = self.p
        cdef int st
        p.n = n
        p.h = h
        p.w = w
        p.pad_top = pad_top
        p.pad_left = pad_left
        p.ho = ho
        p.wo = wo
        p.num_threads = num_threads if num_threads > 0 else 1
        raise_status(sepconv_check_params(&p), "forward")
        cdef int64_t cm = p.c * p.m
        if stage == POINTWISE:
            self._check(src, n * ho * wo * cm, "depthwise output", False)
            self._check(dst, n * ho * wo * p.f, "output", True)
        elif stage == DEPTHWISE:
            self._check(src, n * h * w * p.c, "input", False)
            self._check(dst, n * ho * wo * cm, "depthwise output", True)
        else:
            self._check(src, n * h * w * p.c, "input", False)
            self._check(dst, n * ho * wo * p.f, "output", True)
        # a local reference keeps the packed buffer alive while the GIL is released,
        # even if another thread repacks this plan meanwhile
        cdef cnp.ndarray packed = self.packed
        cdef void *pk = array_data(packed)
        cdef void *s = array_data(src)
        cdef void *t = array_data(dst)
        with nogil:
            if self.is_f64:
                if stage == FORWARD:
                    st = sepconv_forward_f64(&p, <double*>pk, <double*>s, <double*>t)
                elif stage == DEPTHWISE:
                    st = sepconv_depthwise_f64(&p, <double*>pk, <double*>s, <double*>t)
                else:
                    st = sepconv_pointwise_f64(&p, <double*>pk, <double*>s, <double*>t)
            else:
                if stage == FORWARD:
                    st = sepconv_forward_f32(&p, <float*>pk, <float*>s, <float*>t)
                elif stage == DEPTHWISE:
                    st = sepconv_depthwise_f32(&p, <float*>pk, <float*>s, <float*>t)
                else:
                    st = sepconv_pointwise_f32(&p, <float*>pk, <float*>s, <float*>t)
        raise_status(st, "forward")
        return dst


# ---------------------------------------------------------------------------
# Roofline probe (csrc/probe.c): measured FMA peak and copy bandwidth, used by
# the benchmarks and `python -m sepconv` to state speeds as a share of the
# machine's limits.

cdef extern from "probe.h" nogil:
    int sepconv_probe_peak_flops(int num_threads, double seconds, int isa,
                                 double *flops, int *isa_used)
    int sepconv_probe_copy_bandwidth(int num_threads, int64_t nbytes, int repeats,
                                     double *bytes_per_s)


def probe_peak_flops(int num_threads=1, double seconds=0.3, isa=None):
    """Measured float32 FMA peak in FLOP/s on num_threads threads (best of three
    slices over about `seconds`), for `isa` (default: the best supported)."""
    cdef int level = -1 if isa is None else ISA_NAMES.index(isa)
    cdef int used = 0
    cdef double flops = 0.0
    cdef int st
    if num_threads < 1:
        raise ValueError(f"num_threads must be >= 1, got {num_threads}")
    with nogil:
        st = sepconv_probe_peak_flops(num_threads, seconds, level, &flops, &used)
    raise_status(st, "probe_peak_flops")
    return flops


def probe_copy_bandwidth(int num_threads=1, int64_t nbytes=1 << 30, int repeats=5):
    """Measured copy bandwidth in bytes/s (read + write counted) on num_threads
    threads, copying one nbytes buffer into another (best of `repeats`)."""
    cdef double bw = 0.0
    cdef int st
    if num_threads < 1:
        raise ValueError(f"num_threads must be >= 1, got {num_threads}")
    with nogil:
        st = sepconv_probe_copy_bandwidth(num_threads, nbytes, repeats, &bw)
    raise_status(st, "probe_copy_bandwidth")
    return bw


# ---------------------------------------------------------------------------
# Output cache.  A large output freshly mapped from the OS costs a page fault
# and a kernel-side zeroing per page on every call: at batch 16 that is 15 ms
# of a 70 ms layer.  Large outputs therefore live in 2 MiB-aligned buffers
# (csrc/bigbuf.c) owned by an _OutputBuffer; when the last array using one
# dies, the buffer goes back to a small LRU cache instead of the OS, and the
# next call of the same size reuses it with its pages still mapped.  Every
# operation here runs with the GIL held, which serialises the cache.

cdef extern from "bigbuf.h" nogil:
    size_t SEPCONV_BIGBUF_ALIGN
    void *sepconv_bigbuf_alloc(size_t bytes)
    void sepconv_bigbuf_free(void *ptr)

cdef enum:
    CACHE_SLOTS = 8

# below this, malloc's own free lists already recycle memory without faults
OUTPUT_CACHE_MIN_BYTES = 4 << 20
OUTPUT_CACHE_MAX_BYTES = 1 << 30
cdef size_t cache_min_bytes = OUTPUT_CACHE_MIN_BYTES
cdef size_t cache_max_bytes = OUTPUT_CACHE_MAX_BYTES
cdef void *cache_ptr[CACHE_SLOTS]    # oldest first
cdef size_t cache_size[CACHE_SLOTS]
cdef int cache_n = 0
cdef size_t cache_bytes = 0


cdef void cache_drop_oldest() noexcept:
    global cache_n, cache_bytes
    sepconv_bigbuf_free(cache_ptr[0])
    cache_bytes -= cache_size[0]
    cache_n -= 1
    for i in range(cache_n):
        cache_ptr[i] = cache_ptr[i + 1]
        cache_size[i] = cache_size[i + 1]


cdef void cache_put(void *ptr, size_t nbytes) noexcept:
    global cache_n, cache_bytes
    if nbytes > cache_max_bytes:
        sepconv_bigbuf_free(ptr)
        return
    while cache_n > 0 and (cache_n == CACHE_SLOTS or cache_bytes + nbytes > cache_max_bytes):
        cache_drop_oldest()
    cache_ptr[cache_n] = ptr
    cache_size[cache_n] = nbytes
    cache_n += 1
    cache_bytes += nbytes


cdef void *cache_take(size_t nbytes) noexcept:
    """The most recently cached buffer of exactly nbytes, or NULL."""
    global cache_n, cache_bytes
    cdef void *ptr
    cdef int i = cache_n - 1
    while i >= 0:
        if cache_size[i] == nbytes:
            ptr = cache_ptr[i]
            cache_n -= 1
            cache_bytes -= nbytes
            while i < cache_n:
                cache_ptr[i] = cache_ptr[i + 1]
                cache_size[i] = cache_size[i + 1]
                i += 1
            return ptr
        i -= 1
    return NULL


cdef class _OutputBuffer:
    """Owns one large output buffer; the arrays built on it keep it alive."""
    cdef void *ptr
    cdef readonly size_t nbytes

    def __dealloc__(self):
        if self.ptr != NULL:
            cache_put(self.ptr, self.nbytes)
            self.ptr = NULL


cdef enum:
    VECTOR_ALIGN = 64  # a cache line: no vector load or store of the kernels straddles two


cdef cnp.ndarray array_on(shape, dt, void *ptr, object owner):
    """A C-contiguous array of shape (at most 32 dims) and dtype dt over ptr,
    which owner keeps alive."""
    cdef cnp.npy_intp dims[32]
    cdef int nd = len(shape)
    for i in range(nd):
        dims[i] = shape[i]
    cdef cnp.ndarray arr = cnp.PyArray_SimpleNewFromData(nd, dims, dt.num, ptr)
    cnp.set_array_base(arr, owner)
    return arr


cdef cnp.ndarray aligned_empty(shape, dt, size_t nbytes):
    """np.empty(shape, dt) starting on a cache line (numpy only promises 16 bytes,
    and split lines cost the kernels 2-6 %), kept alive by its raw buffer."""
    cdef cnp.npy_intp rawlen = <cnp.npy_intp>(nbytes + VECTOR_ALIGN)
    cdef cnp.ndarray raw = cnp.PyArray_EMPTY(1, &rawlen, cnp.NPY_UINT8, 0)
    cdef char *base = <char *>cnp.PyArray_DATA(raw)
    cdef size_t off = (-<size_t>base) & (VECTOR_ALIGN - 1)
    return array_on(shape, dt, base + off, raw)


def empty_output(shape, dtype):
    """A C-contiguous, writable, uninitialised array like np.empty(shape, dtype);
    large ones come from the output cache."""
    dt = np.dtype(dtype)
    cdef Py_ssize_t count = 1
    for s in shape:
        count *= s
    cdef size_t want = <size_t>count * <size_t>dt.itemsize
    if not dt.isnative or dt.kind != "f" or len(shape) > 32:
        return np.empty(shape, dt)
    if want < cache_min_bytes:
        return aligned_empty(shape, dt, want)
    cdef size_t nbytes = (want + SEPCONV_BIGBUF_ALIGN - 1) // SEPCONV_BIGBUF_ALIGN * SEPCONV_BIGBUF_ALIGN
    cdef void *ptr = cache_take(nbytes)
    if ptr == NULL:
        ptr = sepconv_bigbuf_alloc(nbytes)
    if ptr == NULL and cache_n > 0:
        release_cached_memory()
        ptr = sepconv_bigbuf_alloc(nbytes)
    if ptr == NULL:
        raise MemoryError(f"sepconv: could not allocate {want} bytes for an output of shape "
                          f"{tuple(shape)} and dtype {dt.name}")
    cdef _OutputBuffer owner = _OutputBuffer.__new__(_OutputBuffer)
    owner.ptr = ptr
    owner.nbytes = nbytes
    return array_on(shape, dt, ptr, owner)


def release_cached_memory():
    """Returns the output cache's idle buffers to the OS; the bytes freed."""
    cdef size_t freed = cache_bytes
    while cache_n > 0:
        cache_drop_oldest()
    return freed


def cached_memory():
    """(buffers, bytes) held idle by the output cache."""
    return cache_n, cache_bytes
