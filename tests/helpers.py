"""Helpers the tests import (fixtures live in conftest.py)."""

from pathlib import Path

import numpy as np
from PIL import Image

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).parent.parent


def smooth_image(seed, h=48, w=48):
    """A smooth random RGB image in [0, 1]: upsampled noise, so it looks photo-like to a CNN."""
    small = np.random.default_rng(seed).uniform(size=(h // 8 + 1, w // 8 + 1, 3)).astype(np.float32)
    return np.asarray(Image.fromarray((small * 255).astype(np.uint8)).resize((w, h), Image.BICUBIC), np.float32) / 255.0
