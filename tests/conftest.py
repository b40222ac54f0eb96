import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).parent.parent


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def lpips_images():
    def load(name):
        return np.asarray(Image.open(DATA / "lpips" / name), np.float32) / 255.0

    return load("ex_ref.png"), load("ex_p0.png"), load("ex_p1.png")


@pytest.fixture(scope="session")
def vgg16_weights():
    from styletransfer.weights import load_weights

    return load_weights("vgg16")


@pytest.fixture(scope="session")
def alexnet_weights():
    from styletransfer.weights import load_weights

    return load_weights("alexnet")


def smooth_image(seed, h=48, w=48):
    """A smooth random RGB image in [0, 1]: upsampled noise, so it looks photo-like to a CNN."""
    small = np.random.default_rng(seed).uniform(size=(h // 8 + 1, w // 8 + 1, 3)).astype(np.float32)
    return np.asarray(Image.fromarray((small * 255).astype(np.uint8)).resize((w, h), Image.BICUBIC), np.float32) / 255.0
