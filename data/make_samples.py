"""Regenerate the sample images in data/ (run from the repository root).

    pip install scikit-image   # only needed to regenerate the content photos
    python data/make_samples.py

Content photos come from scikit-image's bundled sample data (public domain / CC0,
see data/SOURCES.md). Style images are drawn procedurally by `styletransfer.procedural`
from fixed seeds, so they belong to this project and are reproducible.
"""

from pathlib import Path

import numpy as np
from PIL import Image

from styletransfer import procedural

HERE = Path(__file__).parent
SIDE = 384  # longer side of every sample image
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


def styles():
    out = HERE / "styles"
    out.mkdir(exist_ok=True)
    for seed, name in enumerate(("mosaic", "waves", "strokes", "stripes")):
        image = procedural.FAMILIES[name](np.random.default_rng(seed))
        save(Image.fromarray(np.round(image * 255).astype(np.uint8)), out / f"{name}.jpg")


if __name__ == "__main__":
    contents()
    styles()
