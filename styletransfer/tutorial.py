"""Settings the tutorial notebooks share: the fast-mode switch and the sample data.

Every notebook reads one environment variable, ``STYLETRANSFER_FAST``: set to 1 it
switches to small images and few steps (what CI runs); unset, a reader gets the
full-size values.
"""

import os
from pathlib import Path
from typing import TypeVar

from .errors import StyleTransferError

__all__ = ["FAST_ENV", "fast_mode", "choose", "data_dir", "setup"]

FAST_ENV = "STYLETRANSFER_FAST"

_T = TypeVar("_T")


def fast_mode() -> bool:
    """True when ``STYLETRANSFER_FAST`` is 1 / true / yes."""
    return os.environ.get(FAST_ENV, "").strip().lower() in ("1", "true", "yes")


def choose(full: _T, fast: _T) -> _T:
    """`fast` in fast mode, else `full`: ``SIZE = choose(full=384, fast=64)``."""
    return fast if fast_mode() else full


def data_dir() -> Path:
    """The repository's ``data/`` folder (sample contents, styles, generators).

    Looked for beside the current folder, its parent (notebooks run in ``notebooks/``)
    and the package's checkout; ``STYLETRANSFER_DATA`` overrides. Raises
    StyleTransferError if none holds ``contents/`` and ``styles/``.
    """
    candidates = [Path(os.environ["STYLETRANSFER_DATA"])] if os.environ.get("STYLETRANSFER_DATA") else []
    candidates += [Path.cwd() / "data", Path.cwd().parent / "data", Path(__file__).resolve().parent.parent / "data"]
    for folder in candidates:
        if (folder / "contents").is_dir() and (folder / "styles").is_dir():
            return folder
    raise StyleTransferError(f"no sample data folder found (looked in {', '.join(map(str, candidates))}); set STYLETRANSFER_DATA")


def setup(seed: int = 0) -> Path:
    """Start a notebook: seed Python, numpy and TensorFlow (imported without its start-up log
    lines, see `styletransfer._tensorflow`). Returns the sample-data folder."""
    from ._tensorflow import keras

    keras.utils.set_random_seed(seed)
    print(("fast" if fast_mode() else "full") + f" mode, seed {seed}")
    return data_dir()
