"""Build of the sepconv._kernels extension.

OpenMP is probed with the real compiler at build time: when a tiny parallel
program compiles, links and runs, the extension is built with OpenMP;
otherwise it is built serially with a warning.  SEPCONV_NO_OPENMP=1 forces the
serial build, SEPCONV_SANITIZE=1 adds AddressSanitizer and UBSan."""

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import warnings
from concurrent.futures import ThreadPoolExecutor
from glob import glob

import numpy as np
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

OPENMP_PROBE = textwrap.dedent(
    """
    #include <omp.h>
    #include <stdio.h>
    int main(void) {
        int n = 0;
        #pragma omp parallel reduction(+:n)
        n += 1;
        printf("%d\\n", n);
        return n > 0 ? 0 : 1;
    }
    """
)


def _truthy(name):
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _openmp_flags(compiler):
    if compiler.compiler_type == "msvc":
        return ["/openmp"], []
    return ["-fopenmp"], ["-fopenmp"]


def _probe_openmp(compiler):
    """Compiles, links and runs a parallel program; returns (cflags, ldflags) or None."""
    cflags, ldflags = _openmp_flags(compiler)
    tmp = tempfile.mkdtemp(prefix="sepconv-omp-")
    cwd = os.getcwd()
    try:
        os.chdir(tmp)
        with open("probe.c", "w") as fh:
            fh.write(OPENMP_PROBE)
        objs = compiler.compile(["probe.c"], extra_postargs=cflags)
        compiler.link_executable(objs, "probe", extra_postargs=ldflags)
        subprocess.run([os.path.join(tmp, "probe")], check=True, capture_output=True, timeout=60)
        return cflags, ldflags
    except Exception as exc:  # any failure means: build serially
        return None, exc
    finally:
        os.chdir(cwd)
        shutil.rmtree(tmp, ignore_errors=True)


def _compile_in_parallel(compiler):
    """Compiles one extension's sources on every core: setuptools compiles them
    one at a time, and the SIMD kernel files take minutes under the sanitizers.
    Uses the same distutils hooks as CCompiler.compile; any surprise falls back
    to the serial compile."""
    jobs = min(os.cpu_count() or 1, 8)
    needed = ("_setup_compile", "_get_cc_args", "_compile")
    if jobs < 2 or not all(hasattr(compiler, n) for n in needed):
        return
    serial = compiler.compile

    def compile(sources, output_dir=None, macros=None, include_dirs=None, debug=0,
                extra_preargs=None, extra_postargs=None, depends=None):
        try:
            macros, objects, extra_postargs, pp_opts, build = compiler._setup_compile(
                output_dir, macros, include_dirs, sources, depends, extra_postargs)
            cc_args = compiler._get_cc_args(pp_opts, debug, extra_preargs)
        except Exception:
            return serial(sources, output_dir, macros, include_dirs, debug, extra_preargs,
                          extra_postargs, depends)

        def one(obj):
            src, ext = build[obj]
            compiler._compile(obj, src, ext, cc_args, extra_postargs, pp_opts)

        with ThreadPoolExecutor(jobs) as pool:
            todo = sorted((o for o in objects if o in build),  # the longest compiles first
                          key=lambda o: -os.path.getsize(build[o][0]))
            list(pool.map(one, todo))
        return objects

    compiler.compile = compile


class BuildExt(build_ext):
    def build_extensions(self):
        cflags, ldflags = ["-O3", "-std=c11", "-fno-math-errno", "-fno-strict-aliasing",
                           "-Wall", "-Wno-unused-function",
                           # Python's own CFLAGS bring -fwrapv, which costs the kernels 3 %
                           # (the C code never relies on signed overflow; UBSan checks that)
                           "-fno-wrapv"], []
        if self.compiler.compiler_type == "msvc":
            cflags, ldflags = ["/O2"], []
        if _truthy("SEPCONV_NO_OPENMP"):
            self._warn("SEPCONV_NO_OPENMP is set: building sepconv without OpenMP (serial kernels).")
        else:
            omp_c, omp_l = _probe_openmp(self.compiler)
            if omp_c is None:
                self._warn(
                    "the C compiler cannot build an OpenMP program "
                    f"({omp_l!r}); building sepconv without OpenMP (serial kernels)."
                )
            else:
                cflags += omp_c
                ldflags += omp_l
        if _truthy("SEPCONV_SANITIZE"):
            san = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer",
                   "-fno-sanitize-recover=undefined", "-g", "-O1"]
            cflags = [f for f in cflags if f != "-O3"] + san
            ldflags += ["-fsanitize=address,undefined"]
        for ext in self.extensions:
            ext.extra_compile_args = cflags + list(ext.extra_compile_args or [])
            ext.extra_link_args = ldflags + list(ext.extra_link_args or [])
        # setuptools reuses objects and the extension by timestamp alone: after a
        # serial or sanitizer build in this tree, a plain `pip install .` would
        # ship that build.  Rebuild everything when the flags changed.
        stamp = os.path.join(self.build_temp, "sepconv-build-flags.txt")
        flags = repr((cflags, ldflags))
        try:
            with open(stamp) as fh:
                if fh.read() != flags:
                    self.force = True
        except OSError:
            self.force = True
        _compile_in_parallel(self.compiler)
        super().build_extensions()
        os.makedirs(self.build_temp, exist_ok=True)
        with open(stamp, "w") as fh:
            fh.write(flags)

    @staticmethod
    def _warn(msg):
        banner = "*" * 78
        sys.stderr.write(f"\n{banner}\nWARNING: {msg}\n{banner}\n\n")
        warnings.warn(msg)


csources = sorted(glob(os.path.join("csrc", "*.c")))
ext = Extension(
    "sepconv._kernels",
    sources=[os.path.join("src", "sepconv", "_kernels.pyx")] + csources,
    include_dirs=[np.get_include(), "csrc"],
    depends=sorted(glob(os.path.join("csrc", "*.h"))),
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_22_API_VERSION")],
    libraries=["m"] if os.name != "nt" else [],
)

setup(
    ext_modules=[ext],
    cmdclass={"build_ext": BuildExt},
)
