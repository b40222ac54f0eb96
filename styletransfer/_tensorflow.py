"""TensorFlow and Keras, imported without TensorFlow's start-up log lines.

TensorFlow's C++ runtime writes several lines to standard error while it loads and when it
first looks for GPUs ("oneDNN custom operations are on", "Could not find cuda drivers",
"failed call to cuInit", ...). They come before Python's logging exists, and
TF_CPP_MIN_LOG_LEVEL does not remove them all, so the import and the first device query run
with file descriptor 2 pointed at /dev/null. Nothing else is hidden: errors raised by the
import, and every later warning, still show. Set STYLETRANSFER_VERBOSE=1 (or pass
``--verbose`` to the command) to see the lines.

Every module of the package imports TensorFlow and Keras from here.
"""

import contextlib
import os
import sys

__all__ = ["tf", "keras"]


@contextlib.contextmanager
def _stderr_to_devnull():
    """Point file descriptor 2 at /dev/null for the duration, then restore it."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


with contextlib.nullcontext() if os.environ.get("STYLETRANSFER_VERBOSE") else _stderr_to_devnull():
    import keras
    import tensorflow as tf

    tf.config.list_physical_devices("GPU")  # the device query logs once, here
