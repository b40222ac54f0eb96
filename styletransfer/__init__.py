"""styletransfer: image style transfer with transfer learning (VGG16 pretrained on ImageNet).

Modules, in the direction data flows: ``images`` -> ``features`` (with ``weights``)
-> ``metrics``; ``plotting`` draws figures; ``cli`` is the command line.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ info and warning lines; see _tensorflow.py for the start-up ones

from .errors import ImageError, InputError, StyleTransferError, WeightsError  # noqa: E402

__all__ = ["StyleTransferError", "ImageError", "InputError", "WeightsError"]
__version__ = "0.1.0"
