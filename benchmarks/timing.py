"""Time-boxed median timing shared by every worker, and the pooling of the
rounds a measurement is split into (run.py interleaves the implementations)."""

import time


def median(values):
    ordered = sorted(values)
    n = len(ordered)
    return ordered[n // 2] if n % 2 else 0.5 * (ordered[n // 2 - 1] + ordered[n // 2])


def time_calls(fn, budget=0.4, min_repeats=5, max_repeats=1000, hard_cap=20.0, slow=3.0,
               warmups=2):
    """Median wall time of warm calls of fn().

    `warmups` untimed calls first (at most one when a call is slower than a
    second), then calls until at least min_repeats are done and `budget`
    seconds have passed, or max_repeats are done.  A first call slower than a
    second lowers the minimum to 3 repeats, one slower than `slow` seconds to
    1, and calls so slow that the repeats would exceed hard_cap seconds stop
    at 3; `repeats` and `capped` in the result say how many ran."""
    requested = min_repeats
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    if first < 1.0:
        for _ in range(warmups - 1):
            fn()
    elif first < slow:  # a slow call: three timed repeats are enough to see the median
        min_repeats = min(min_repeats, 3)
    else:  # a very slow call (an unoptimised build): one warm repeat, reported as such
        min_repeats = 1
    times = []
    start = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - start
        if len(times) >= max_repeats:
            break
        if len(times) >= min_repeats and elapsed >= budget:
            break
        if len(times) >= min(3, min_repeats) and elapsed + times[-1] > hard_cap:
            break
    return {"median_s": median(times), "min_s": min(times), "repeats": len(times),
            "first_call_s": first, "capped": len(times) < requested, "times_s": times}


def rotated(names, k):
    """names starting at position k (mod len): round k's order of turns."""
    k %= max(1, len(names))
    return names[k:] + names[:k]


def round_share(r, rounds, budget, repeats):
    """time_calls arguments for round r of `rounds`: its share of the budget and
    of the repeats, two warm-up calls in the first round and one after (the
    caches refilled after the other implementations ran)."""
    return {"budget": budget / rounds, "min_repeats": -(-repeats // rounds),
            "warmups": 2 if r == 0 else 1}


def pool_rounds(rounds):
    """One measurement from the results of its rounds: the median and minimum
    of every timed call of every round, with each round's own median kept."""
    times = [t for r in rounds for t in r["times_s"]]
    return {"median_s": median(times), "min_s": min(times), "repeats": len(times),
            "first_call_s": rounds[0]["first_call_s"], "capped": any(r["capped"] for r in rounds),
            "rounds": len(rounds), "round_medians_s": [r["median_s"] for r in rounds],
            "times_s": times}
