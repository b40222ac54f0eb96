"""Checks that run before any work: numeric settings in range, outputs writable.

Each raises InputError with one line naming the setting or path and what is allowed. The
module imports neither TensorFlow nor Keras, so the command line runs these checks first
and answers a mistake at once; the Python functions (`stylize`, `train_generator`, ...)
run the same checks at their start. The settings dataclasses (`styletransfer.settings`)
check their fields with `number`.
"""

import contextlib
import math
import os
import tempfile
import zipfile
from collections.abc import Collection, Iterable
from pathlib import Path

from .errors import InputError

__all__ = ["number", "writable_file", "writable_folder", "not_an_input", "style_blend", "model_file"]


def number(name: str, value: float, *, minimum: float | None = None, maximum: float | None = None,
           integer: bool = False, above: float | None = None, below: float | None = None) -> float:
    """`value` if it is a finite number in range, else InputError naming `name`.

    `minimum`/`maximum` are inclusive bounds, `above`/`below` exclusive ones; `integer`
    requires a whole number (returned as int).
    """
    allowed = _describe(minimum, maximum, integer, above, below)
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be {allowed}, got {value!r}") from None
    if not math.isfinite(x) or (integer and x != int(x)) or (minimum is not None and x < minimum) \
            or (maximum is not None and x > maximum) or (above is not None and x <= above) \
            or (below is not None and x >= below):
        raise InputError(f"{name} must be {allowed}, got {value}")
    return int(x) if integer else value


def _describe(minimum, maximum, integer, above, below):
    kind = "a whole number" if integer else "a finite number"
    parts = []
    if above is not None:
        parts.append(f"above {above:g}")
    if minimum is not None:
        parts.append(f"at least {minimum:g}")
    if maximum is not None:
        parts.append(f"at most {maximum:g}")
    if below is not None:
        parts.append(f"below {below:g}")
    return kind + (" " + " and ".join(parts) if parts else "")


def _first_existing(path):
    for parent in [path, *path.parents]:
        if parent.exists():
            return parent
    return Path(".")


def _probe_folder(folder, what):
    """InputError unless a file can be created in `folder` (or in the folder it would be
    created in): tried, not guessed from permission bits."""
    existing = _first_existing(folder)
    if not existing.is_dir():
        raise InputError(f"{what}: {existing} is a file, so nothing can be written below it")
    try:
        fd, probe = tempfile.mkstemp(prefix=".styletransfer-probe-", dir=existing)
    except OSError as e:
        raise InputError(f"{what}: cannot write into {existing} ({e.strerror})") from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)


def writable_file(path: str | Path, suffixes: Collection[str]) -> Path:
    """Check that an output file can be written at `path` before any work: its suffix is one
    of `suffixes` (lower case, with the dot), it is not a folder, and its folder exists or
    can be created and is writable. Returns the path."""
    path = Path(path)
    if path.suffix.lower() not in suffixes:
        raise InputError(f"{path}: unknown suffix {path.suffix!r}; use one of {', '.join(suffixes)}")
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give a file name")
    _probe_folder(path.parent, str(path))
    return path


def writable_folder(path: str | Path) -> Path:
    """Check that `path` is, or can be created as, a writable folder. Returns the path."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{path}: exists and is not a folder")
    _probe_folder(path, str(path))
    return path


def not_an_input(output: str | Path, inputs: Iterable[str | Path], overwrite: bool = False) -> None:
    """InputError if `output` is the same file as one of `inputs`, unless `overwrite`."""
    output = Path(output)
    if overwrite or not output.exists():
        return
    for source in map(Path, inputs):
        if source.exists() and os.path.samefile(source, output):
            raise InputError(f"{output}: is also an input and would be overwritten; "
                             "give another output or --overwrite")


def style_blend(blend: Iterable[float] | None, styles: int, name: str = "style_blend") -> None:
    """Check the weights (called `name` in messages) of `styles` style images: one each, none
    negative, a positive sum."""
    if blend is None:
        return
    blend = list(blend)
    if len(blend) != styles:
        raise InputError(f"{name} needs {styles} weights, one per style image, got {len(blend)}")
    for w in blend:
        number(f"each {name} weight", w, minimum=0)
    if not sum(float(w) for w in blend) > 0:
        raise InputError(f"{name}: the weights must not all be 0, got {blend}")


def model_file(path: str | Path) -> Path:
    """Check that `path` is a readable ``.keras`` archive (a zip file) before loading it."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such model file")
    if not path.is_file():
        raise InputError(f"{path}: is not a file; give a saved model (.keras) file")
    if not zipfile.is_zipfile(path):
        raise InputError(f"{path}: not a saved model (a .keras file is a zip archive; this is not one)")
    return path
