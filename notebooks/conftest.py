"""pytest runs the notebooks through nbval in fast mode unless STYLETRANSFER_FAST is set."""

import os

import pytest

os.environ.setdefault("STYLETRANSFER_FAST", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def pytest_collection_modifyitems(config, items):
    """Every notebook is slow; all of them need the ImageNet weights: when those cannot be
    had, each notebook is skipped with the reason instead of failing in its first cell."""
    notebooks = [item for item in items if item.path.suffix == ".ipynb"]
    if not notebooks:
        return
    from styletransfer.errors import WeightsError
    from styletransfer.weights import load_weights

    try:
        load_weights("vgg16"), load_weights("alexnet")
        reason = None
    except WeightsError as e:
        reason = f"needs the ImageNet weights, which cannot be had here: {e}"
    for item in notebooks:
        item.add_marker(pytest.mark.slow)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))
