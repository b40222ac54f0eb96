import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest
from PIL import Image

from helpers import DATA


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
