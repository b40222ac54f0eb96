"""pytest runs the notebooks through nbval in fast mode unless STYLETRANSFER_FAST is set."""

import functools
import os

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
