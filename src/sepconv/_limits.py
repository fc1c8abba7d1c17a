"""Size limits, checked before anything is allocated or computed.

The C side (csrc/params.c) refuses any params whose element counts or index
arithmetic overflow int64, but it can only say "overflow", and it never sees
memory that cannot be had.  These checks run in Python ints (no overflow)
once per layer, per build and per new input shape, and name the argument:

* ValueError when a count, byte size or index expression would pass int64;
* MemoryError, with the bytes needed, when the weights, or the output and
  scratch of one call, exceed the memory this process can have (RAM + swap,
  or the cgroup limit when lower).  Linux overcommits, so without this a
  huge request would "succeed" and the process be killed when touching it."""

import os

from . import _args

INT64_MAX = 2**63 - 1
# libgomp aborts the whole process when it cannot create a thread, so a thread
# count is bounded well below what any OS allows (and above any real CPU).
MAX_THREADS = 1024
_ELEM_BYTES = 8  # the C side forms byte offsets with 8-byte elements


def _fits(v):
    return v <= INT64_MAX


def memory_limit():
    """Bytes this process can have: RAM + swap, or the cgroup limit if lower."""
    total = None
    try:
        with open("/proc/meminfo") as fh:
            kb = {ln.split(":")[0]: int(ln.split()[1]) for ln in fh if ln.split()[1:2]}
        total = (kb.get("MemTotal", 0) + kb.get("SwapTotal", 0)) * 1024 or None
    except (OSError, ValueError, IndexError):
        pass
    if total is None:
        try:
            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            total = 2**48  # no way to know: the address space of x86-64
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path) as fh:
                raw = fh.read().strip()
        except OSError:
            continue
        if raw.isdigit():
            total = min(total, int(raw))
    return total


def _gib(nbytes):
    return f"{nbytes} bytes ({nbytes / 2**30:.3g} GiB)"


def _need_memory(nbytes, what):
    limit = memory_limit()
    if nbytes > limit:
        raise MemoryError(
            f"{what} need {_gib(nbytes)}; this process can have at most {_gib(limit)}")


def thread_count(n, name):
    """A positive thread count, bounded by MAX_THREADS."""
    if n > MAX_THREADS:
        raise ValueError(
            f"`{name}` must be at most {MAX_THREADS} (OpenMP aborts the process when it cannot "
            f"create a thread); received {name}={n}")
    return n


def check_args(layer):
    """Constructor: every int reaches C as int64, and so must kernel * dilation + stride."""
    for name in ("filters", "depth_multiplier"):
        v = getattr(layer, name)
        if not _fits(v * _ELEM_BYTES):
            raise ValueError(f"`{name}` overflows int64 byte counts; received {name}={v}")
    for i, axis in enumerate(("height", "width")):
        k, s, d = layer.kernel_size[i], layer.strides[i], layer.dilation_rate[i]
        if not _fits(k * d + s) or not _fits((k * d) * 2):
            raise ValueError(
                f"`kernel_size`, `strides` and `dilation_rate` overflow int64 along the {axis} "
                f"axis: kernel_size={layer.kernel_size}, strides={layer.strides}, "
                f"dilation_rate={layer.dilation_rate}")


def _weight_elems(layer, c):
    kh, kw = layer.kernel_size
    m, f = layer.depth_multiplier, layer.filters
    return kh * kw * c * m, c * m * f, f


def check_weights(layer, c, dtype):
    """Before the initializers run: the weight counts fit int64 and the memory exists."""
    dw, pw, b = _weight_elems(layer, c)
    for what, count in (("depthwise kernel (kernel_size x channels x depth_multiplier)", dw),
                        ("pointwise kernel (channels x depth_multiplier x filters)", pw)):
        if not _fits(count * _ELEM_BYTES * 2):
            raise ValueError(
                f"the {what} would have {count} elements, overflowing int64 sizes; "
                f"kernel_size={layer.kernel_size}, input channels={c}, "
                f"depth_multiplier={layer.depth_multiplier}, filters={layer.filters}")
    # the weights, one packed copy per compute dtype, and a float64 temporary
    # in the initializer
    nbytes = (dw + pw + b) * (2 * dtype.itemsize + 8)
    _need_memory(nbytes, f"the weights of layer {layer.name!r} (kernel_size={layer.kernel_size}, "
                         f"{c} input channels, depth_multiplier={layer.depth_multiplier}, "
                         f"filters={layer.filters})")


def _known_positive(v):
    return _args._is_int(v) and int(v) >= 1


def check_shape(layer, shape, itemsize=None):
    """An input shape (None dims allowed: those are skipped): the input, output,
    intermediate and index arithmetic of one call fit int64, and the output
    plus per-thread scratch fit in memory.  Invalid shapes are left to the
    normal validation, which gives the specific message."""
    n, h, w, c = _args.split_shape(tuple(shape), layer.data_format)
    n = 1 if n is None else n
    if not all(_known_positive(v) for v in (h, w, c)) or not _args._is_int(n) or n < 0:
        return
    n, h, w, c = int(n), int(h), int(w), int(c)
    if layer.built and c != layer._channels:
        return
    geo = []
    for i, (size, axis) in enumerate(((h, "height"), (w, "width"))):
        k, s, d = layer.kernel_size[i], layer.strides[i], layer.dilation_rate[i]
        if layer.padding == "valid" and size < (k - 1) * d + 1:
            return
        out, before = _args.output_size(size, k, s, d, layer.padding, axis)
        if not _fits(out * s + k * d + before):
            raise ValueError(
                f"index arithmetic overflows int64 along the {axis} axis for an input of shape "
                f"{tuple(shape)} (output size {out}, padding before {before})")
        geo.append(out)
    ho, wo = geo
    cm = c * layer.depth_multiplier
    counts = (("the input", max(n, 1) * h * w * c),
              ("the output", max(n, 1) * ho * wo * layer.filters),
              ("the depthwise intermediate", max(n, 1) * ho * wo * cm))
    for what, count in counts:
        if not _fits(count * _ELEM_BYTES):
            raise ValueError(
                f"for an input of shape {tuple(shape)}, {what} would have {count} elements, "
                f"overflowing int64 sizes")
    if n == 0:
        return
    if itemsize is None:
        dt = layer._dtype
        itemsize = 4 if dt is None else _args.compute_dtype(dt).itemsize
    from ._threads import get_num_threads
    threads = layer.num_threads or get_num_threads()
    # one output row of the intermediate per thread (the driver's smallest
    # tile) and the depthwise kernels' run table
    scratch = threads * (wo * cm * itemsize + (2 * layer.kernel_size[1] + 2) * 32 + cm * 4)
    # a converted copy of the input, the output
    nbytes = (n * h * w * c + n * ho * wo * layer.filters) * itemsize + scratch
    _need_memory(nbytes, f"an input of shape {tuple(shape)} in layer {layer.name!r}: the output "
                         f"{(n, ho, wo, layer.filters)}, an input copy and per-thread scratch")
