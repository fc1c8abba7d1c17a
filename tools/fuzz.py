"""Long on-demand fuzz run of tests/test_fuzz.py.

    python tools/fuzz.py 100000            # examples per fuzz test, fixed seed (CI profile)
    python tools/fuzz.py 100000 --random   # a fresh random seed (printed by hypothesis on failure)

Runs pytest in this interpreter's environment (the package must be installed)
and prints the total number of passing examples from hypothesis's statistics."""

import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("examples", type=int, help="examples per fuzz test (10 tests)")
    ap.add_argument("--random", action="store_true", help="random seed instead of the fixed one")
    ap.add_argument("--min-total", type=int, default=0,
                    help="fail unless at least this many examples passed in all")
    args = ap.parse_args(argv)
    env = dict(os.environ, SEPCONV_FUZZ_EXAMPLES=str(args.examples))
    env["HYPOTHESIS_PROFILE"] = "dev" if args.random else "ci"
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
           "--hypothesis-show-statistics", os.path.join(ROOT, "tests", "test_fuzz.py")]
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    sys.stdout.write(proc.stdout if proc.returncode else "")
    sys.stderr.write(proc.stderr)
    total = sum(int(m) for m in re.findall(r"during generate phase.*\n.*\n\s*- (\d+) passing",
                                            proc.stdout))
    summary = [ln for ln in proc.stdout.splitlines() if re.search(r"\d+ (passed|failed)", ln)]
    print(f"fuzz: {total} passing examples generated ({args.examples} per test)")
    print(summary[-1] if summary else "pytest printed no summary")
    if proc.returncode:
        return proc.returncode
    if total < args.min_total:
        print(f"fuzz: fewer than the required {args.min_total} examples", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
