"""pytest runs the notebooks through nbval in fast mode unless STYLETRANSFER_FAST is set."""

import functools
import os
from pathlib import Path

import nbformat
import pytest

os.environ.setdefault("STYLETRANSFER_FAST", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def pytest_collection_modifyitems(config, items):
    """Every notebook is slow and needs the ImageNet weights (the network, the first time)."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.slow)
            item.add_marker(pytest.mark.network)


@functools.cache
def _weights_missing():
    """Why the ImageNet weights cannot be had, or None; asked once per session."""
    from styletransfer.errors import WeightsError
    from styletransfer.weights import load_weights

    try:
        load_weights("vgg16"), load_weights("alexnet")
    except WeightsError as e:
        return f"needs the ImageNet weights, which cannot be had here: {e}"
    return None


def pytest_runtest_setup(item):
    """When the weights cannot be had, each notebook cell is skipped with the reason instead
    of the notebook failing in its first cell."""
    if item.path.suffix == ".ipynb" and _weights_missing():
        pytest.skip(_weights_missing())


class ChapterExecutions:
    """The chapters as nbval ran them in this session, with their outputs, so that the book
    test (tests/test_book.py, moved after the notebooks) builds the book from them instead of
    running every chapter a second time. A chapter counts only when every one of its code
    cells ran and passed. Reads nbval's cell items (`cell_num`, `test_outputs`); when those
    are missing the book test runs the chapters itself."""

    CHAPTERS = Path(__file__).resolve().parent

    def __init__(self):
        self.outputs, self.failed = {}, set()

    def pytest_collection_modifyitems(self, items):
        items.sort(key=lambda item: item.path.name == "test_book.py")  # stable: the rest keep their order

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        if item.path.parent == self.CHAPTERS and item.path.suffix == ".ipynb" and report.when == "call":
            outputs = getattr(item, "test_outputs", None)
            if report.passed and outputs is not None and hasattr(item, "cell_num"):
                self.outputs.setdefault(item.path, {})[item.cell_num] = outputs
            else:
                self.failed.add(item.path)
        return report

    def executed(self):
        """{chapter path: the notebook with nbval's outputs} for every chapter run in full."""
        done = {}
        for path, outputs in self.outputs.items():
            nb = nbformat.read(path, as_version=4)
            code = [cell for cell in nb.cells if cell.cell_type == "code"]
            if path in self.failed or sorted(outputs) != list(range(len(code))):
                continue
            for number, cell in enumerate(code):
                cell.outputs = [nbformat.from_dict(dict(out)) for out in outputs[number]]
                cell.execution_count = number + 1
                for out in cell.outputs:
                    if out.output_type == "execute_result":
                        out.execution_count = number + 1
            done[path] = nb
        return done


def pytest_configure(config):
    config.pluginmanager.register(ChapterExecutions(), "chapter_executions")
