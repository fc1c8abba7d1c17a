"""Thread-count policy (preamble: never call omp_set_num_threads).

The default follows OpenMP as seen by the calling thread, queried on every
call, so OMP_NUM_THREADS and threadpoolctl's limits both apply.
set_num_threads overrides that process-wide; a layer's num_threads overrides
both.  The count reaches C as a `num_threads` clause, never as global state."""

import threading

from . import _args, _kernels, _limits

_lock = threading.Lock()
_override = None


def set_num_threads(n):
    """Use n (>= 1) threads in every layer without its own num_threads; None restores the default."""
    global _override
    n = _args.optional_threads(n, "n")
    with _lock:
        _override = n


def get_num_threads():
    """The thread count a layer without its own num_threads uses right now."""
    n = _override
    if n is not None:
        return n
    # a huge OMP_NUM_THREADS would make libgomp abort the process when it cannot
    # create that many threads, so the default is capped like an explicit count
    return min(_kernels.omp_max_threads(), _limits.MAX_THREADS)


def openmp_enabled():
    """True when the C kernels were compiled with OpenMP (otherwise they run serially)."""
    return _kernels.openmp_enabled()
