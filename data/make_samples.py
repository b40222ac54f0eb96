"""Regenerate the sample images in data/ (run from the repository root).

    pip install scikit-image   # only needed to regenerate the content photos
    python data/make_samples.py

Content photos come from scikit-image's bundled sample data (public domain / CC0,
see data/SOURCES.md). Style images are drawn procedurally here from fixed seeds,
so they belong to this project and are reproducible.
"""

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

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


def mosaic(rng):
    """Voronoi tiles in a stained-glass palette with dark lead lines."""
    n = 160
    seeds = rng.uniform(0, SIDE, size=(n, 2))
    palette = np.array([[176, 32, 40], [230, 170, 30], [30, 80, 160], [40, 130, 70], [120, 50, 140], [220, 110, 40]])
    colours = palette[rng.integers(len(palette), size=n)] + rng.integers(-25, 25, size=(n, 3))
    yy, xx = np.mgrid[0:SIDE, 0:SIDE]
    d = (xx[..., None] - seeds[:, 0]) ** 2 + (yy[..., None] - seeds[:, 1]) ** 2
    order = np.argsort(d, axis=-1)
    nearest, second = order[..., 0], order[..., 1]
    gap = np.sqrt(np.take_along_axis(d, second[..., None], -1)) - np.sqrt(np.take_along_axis(d, nearest[..., None], -1))
    rgb = np.clip(colours[nearest], 0, 255).astype(np.uint8)
    rgb[gap[..., 0] < 2.5] = (25, 20, 20)
    return Image.fromarray(rgb).filter(ImageFilter.SMOOTH)


def waves(rng):
    """Layered ink-blue waves with white crests, in the manner of woodblock prints."""
    yy, xx = np.mgrid[0:SIDE, 0:SIDE] / SIDE
    field = np.zeros_like(xx)
    for k in range(1, 6):
        phase, freq = rng.uniform(0, 2 * np.pi), rng.uniform(2, 5) * k
        field += np.sin(2 * np.pi * (freq * xx + 0.6 * np.sin(2 * np.pi * k * yy) + phase)) / k
    bands = np.mod(yy * 9 + 0.35 * field, 1.0)
    dark, light, crest = np.array([20, 40, 90]), np.array([90, 140, 190]), np.array([240, 240, 230])
    rgb = dark + (light - dark) * bands[..., None]
    rgb[bands > 0.9] = crest
    return Image.fromarray(rgb.astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.7))


def strokes(rng):
    """Short thick brush strokes following a swirling flow field, warm night palette."""
    image = Image.new("RGB", (SIDE, SIDE), (20, 30, 70))
    draw = ImageDraw.Draw(image)
    palette = [(250, 210, 60), (240, 150, 40), (60, 110, 190), (30, 60, 140), (200, 220, 240), (20, 30, 70)]
    centres = rng.uniform(0, SIDE, size=(4, 2))
    for _ in range(6000):
        x, y = rng.uniform(0, SIDE, size=2)
        angle = sum(np.arctan2(y - cy, x - cx) + np.pi / 2 for cx, cy in centres) / len(centres)
        length = rng.uniform(6, 14)
        dx, dy = np.cos(angle) * length, np.sin(angle) * length
        colour = palette[rng.integers(len(palette))]
        draw.line([(x - dx, y - dy), (x + dx, y + dy)], fill=colour, width=int(rng.integers(2, 5)))
    return image.filter(ImageFilter.SMOOTH_MORE)


def stripes(rng):
    """Bold diagonal colour bands with a hand-drawn wobble, in the manner of op-art."""
    yy, xx = np.mgrid[0:SIDE, 0:SIDE] / SIDE
    wobble = 0.03 * np.sin(2 * np.pi * (3 * yy + rng.uniform())) + 0.02 * np.sin(2 * np.pi * (7 * xx + rng.uniform()))
    index = np.floor((xx + yy + wobble) * 8).astype(int) % 4
    palette = np.array([[235, 225, 200], [200, 60, 50], [30, 30, 35], [60, 120, 170]], dtype=np.uint8)
    return Image.fromarray(palette[index])


def styles():
    out = HERE / "styles"
    out.mkdir(exist_ok=True)
    for seed, make in enumerate((mosaic, waves, strokes, stripes)):
        save(make(np.random.default_rng(seed)), out / f"{make.__name__}.jpg")


if __name__ == "__main__":
    contents()
    styles()
