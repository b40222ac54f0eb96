"""styletransfer: image style transfer with transfer learning (VGG16 pretrained on ImageNet).

Modules, in the direction data flows: ``images`` -> ``features`` (with ``weights``)
-> ``metrics``; ``plotting`` draws figures; ``cli`` is the command line.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ start-up chatter out of notebooks

from .errors import ImageError, InputError, StyleTransferError, WeightsError  # noqa: E402

__all__ = ["StyleTransferError", "ImageError", "InputError", "WeightsError"]
__version__ = "0.1.0"
