"""Project exceptions: one-line messages a user can act on."""

__all__ = ["StyleTransferError", "ImageError", "WeightsError", "InputError"]


class StyleTransferError(Exception):
    """Base class for every error a user can cause."""


class ImageError(StyleTransferError):
    """An image file or folder is missing, unreadable, corrupt or too small."""


class WeightsError(StyleTransferError):
    """Pretrained weights could not be found, fetched, verified or read."""


class InputError(StyleTransferError):
    """An array argument has the wrong shape, range or contains NaN/inf."""
