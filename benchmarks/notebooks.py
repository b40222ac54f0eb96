"""Wall time and peak memory of every notebook, run from top to bottom in a fresh kernel.

    python benchmarks/notebooks.py [--fast] [--executed DIR] [notebooks/NN_name.ipynb ...]   (default: all)

Full mode, the default a reader gets, unless --fast (``STYLETRANSFER_FAST=1``, what the
tests run). Prints one line per notebook and the total. The README's table, the first
cell of each notebook and docs/course.md state these figures. The peak memory is the
kernel's largest resident set size (``ru_maxrss``), read by one extra cell run after the
notebook's own. The stored notebooks are not changed; with --executed DIR a copy of
each, with all its outputs (without the extra cell), is written to DIR.
"""

import argparse
import os
import time
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ExecutePreprocessor

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


PEAK_MEMORY = "import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"  # KiB on Linux


def run(path, executed=None):
    """Execute the notebook at `path` in a new kernel, write it with its outputs into the folder
    `executed` if given, and return the wall time in seconds and the kernel's peak memory in GiB."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PEAK_MEMORY))
    start = time.perf_counter()
    ExecutePreprocessor(timeout=None, kernel_name="python3").preprocess(nb, {"metadata": {"path": str(path.parent)}})
    seconds = time.perf_counter() - start
    peak_gib = int(nb.cells.pop().outputs[0]["text"]) / 2**20
    if executed is not None:
        executed.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, executed / path.name)
    return seconds, peak_gib


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--fast", action="store_true", help="run in fast mode (STYLETRANSFER_FAST=1)")
    parser.add_argument("--executed", type=Path, help="write each executed notebook, with its outputs, into this folder")
    args = parser.parse_args()
    if args.fast:
        os.environ["STYLETRANSFER_FAST"] = "1"
    else:
        os.environ.pop("STYLETRANSFER_FAST", None)
    paths = args.notebooks or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    total = 0.0
    print(f"{'fast' if args.fast else 'full'} mode, {os.cpu_count()} CPU cores")
    for path in paths:
        seconds, peak_gib = run(path.resolve(), args.executed)
        total += seconds
        print(f"{path.stem:42s} {seconds / 60:6.1f} min  ({seconds:.0f} s), peak memory {peak_gib:.1f} GiB", flush=True)
    print(f"{'total':42s} {total / 60:6.1f} min")


if __name__ == "__main__":
    main()
