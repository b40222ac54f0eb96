"""Execute the notebooks in fast mode and store only the outputs nbval checks.

    python notebooks/refresh_outputs.py [notebooks/NN_name.ipynb ...]   (default: all)
    python notebooks/refresh_outputs.py --strip-only [...]               (no execution)

Cells whose source starts with ``# NBVAL_CHECK_OUTPUT`` keep their text output (and an
execution count): it is the reference nbval compares against. Every other output and
count is removed, and widget state cleared, so the stored notebooks stay small and diff
cleanly.
"""

import argparse
import os
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ExecutePreprocessor

MARKER = "# NBVAL_CHECK_OUTPUT"
HERE = Path(__file__).parent


def checked(cell):
    return cell.cell_type == "code" and cell.source.lstrip().startswith(MARKER)


def text_only(outputs):
    kept = []
    for output in outputs:
        if output.output_type == "stream" and output.name == "stdout":
            kept.append(output)
        elif output.output_type == "execute_result":
            output.data = {k: v for k, v in output.data.items() if k == "text/plain"}
            output.metadata = {}
            output.execution_count = None
            kept.append(output)
    return kept


def strip(nb):
    count = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        count += checked(cell)
        cell.outputs = text_only(cell.outputs) if checked(cell) else []
        cell.execution_count = count if checked(cell) else None  # nbval skips a reference cell without a count
        cell.metadata = {}
    nb.metadata.pop("widgets", None)
    return nb


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--strip-only", action="store_true")
    args = parser.parse_args()
    paths = args.notebooks or sorted(HERE.glob("[0-9][0-9]_*.ipynb"))
    os.environ["STYLETRANSFER_FAST"] = "1"
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if not args.strip_only:
            ExecutePreprocessor(timeout=1800, kernel_name="python3").preprocess(nb, {"metadata": {"path": str(path.parent)}})
        nbformat.write(strip(nb), path)
        print(f"{path}: {sum(map(checked, nb.cells))} checked cell(s)")


if __name__ == "__main__":
    main()
