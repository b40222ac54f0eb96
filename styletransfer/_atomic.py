"""Atomic file writes: write a temporary file beside the target, then rename."""

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path"]


TEMPORARY = re.compile(r"^\..+\.(\d+)\.[a-z0-9_]+\.styletransfer-tmp(\.[^.]*)?$")  # .<name>.<pid>.<random>.styletransfer-tmp<suffix>


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; rename it onto `target` on success.

    An exception (or an interrupted process) leaves `target` untouched and removes
    the temporary file, so a reader never sees a half-written file. A temporary file that
    a killed process left behind (its name holds the writer's process id, which is no
    longer running) is removed on the next write into the same folder; no other file is
    touched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".styletransfer-tmp" + target.suffix,
                               dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def remove_stale_temporaries(folder: str | Path) -> None:
    """Delete this package's temporary files in `folder` whose writing process has ended."""
    for path in Path(folder).iterdir():
        match = TEMPORARY.match(path.name)
        if match and not _running(int(match.group(1))):
            with contextlib.suppress(OSError):
                path.unlink()


def _running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
