"""Image arrays as the package takes them: float32 RGB in [0, 1].

Every function that takes an image array passes it through `as_unit_range`, so the rule
is the same everywhere: ``uint8`` arrays (0..255) are converted by dividing by 255; float
arrays must lie in [0, 1], up to `TOLERANCE` (values that far outside are clipped, so the
overshoot of an interpolation does not fail); anything else is refused with a one-line
error, because a float image in 0..255 would otherwise be clipped to white or pass
through a network 255 times too bright.
"""

from typing import TYPE_CHECKING

import numpy as np

from .errors import InputError

if TYPE_CHECKING:  # for the hints only: this module must not import TensorFlow
    from ._tensorflow import tf

__all__ = ["as_unit_range", "TOLERANCE", "MIN_SIZE"]

MIN_SIZE = 32  # px: the smallest image side every supported network accepts

TOLERANCE = 0.05  # how far outside [0, 1] a float image may stray before it is refused


def as_unit_range(image: "np.ndarray | tf.Tensor", name: str = "image") -> np.ndarray:
    """`image` as a float32 array in [0, 1], of the same shape.

    ``uint8`` -> divided by 255. Float -> checked: InputError for NaN or infinite values and
    for values further than `TOLERANCE` outside [0, 1] (the message says to divide by 255);
    values within the tolerance are clipped. Other dtypes (bool, other integers) -> InputError.
    """
    x = np.asarray(image)
    if x.dtype == np.uint8:
        return x.astype(np.float32) / 255.0
    if not np.issubdtype(x.dtype, np.floating):
        raise InputError(f"{name} has dtype {x.dtype}; give float values in [0, 1] or uint8 values in 0..255")
    x = x.astype(np.float32, copy=False)
    if x.size == 0:
        return x
    if not np.all(np.isfinite(x)):
        raise InputError(f"{name} contains NaN or infinite values")
    low, high = float(x.min()), float(x.max())
    if low < -TOLERANCE or high > 1.0 + TOLERANCE:
        raise InputError(f"{name} has values in [{low:.4g}, {high:.4g}], outside [0, 1]; "
                         "divide values in 0..255 by 255 (or pass a uint8 array)")
    return np.clip(x, 0.0, 1.0)
