"""Timing helper shared by the benchmark scripts."""

import time


def timed(fn, repeats):
    """Mean seconds per call of fn() over `repeats` calls, after one warm-up call (tracing, allocation)."""
    fn()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats
