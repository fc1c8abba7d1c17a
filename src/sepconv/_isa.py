"""Kernel-family selection: env SEPCONV_ISA (ref|scalar|avx2|avx512) or the best the CPU has.

Read when a layer builds its plans, so a bad value fails there with a clear
message rather than making the package unimportable."""

import os

from . import _kernels

ENV = "SEPCONV_ISA"


def selected_isa():
    """The kernel family new layers use: $SEPCONV_ISA if set, else the best supported one."""
    raw = os.environ.get(ENV, "")
    name = raw.strip().lower()
    if not name:
        return _kernels.best_isa()
    if name not in _kernels.ISA_NAMES:
        raise ValueError(
            f"{ENV}={raw!r} is not a kernel family; use one of {', '.join(_kernels.ISA_NAMES)}")
    if not _kernels.isa_supported(name):
        ok = [n for n in _kernels.ISA_NAMES if _kernels.isa_supported(n)]
        raise ValueError(
            f"{ENV}={raw!r}: this CPU or build does not support it; supported: {', '.join(ok)}")
    return name
