"""Style images drawn procedurally, in four families: mosaic, waves, strokes and stripes.

Each family is a function of a numpy random generator and explicit settings (side,
palette, scale). With its defaults it draws the project's sample style of the same name
(`data/make_samples.py` calls it with the seed recorded in `data/SOURCES.md`).
`random_style` draws a family with a random palette and scale, and `style_collection`
draws as many new images of every family as wanted: an unlimited supply of style images
that no one has seen before, which chapter 2's style-recognition task is built from.

Every function returns a float32 (side, side, 3) RGB image in [0, 1].
"""

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from scipy.spatial import cKDTree

from .errors import InputError

__all__ = ["FAMILIES", "mosaic", "waves", "strokes", "stripes", "random_palette", "random_style", "style_collection"]

SIDE = 384  # side of the sample styles, px
MOSAIC_PALETTE = ((176, 32, 40), (230, 170, 30), (30, 80, 160), (40, 130, 70), (120, 50, 140), (220, 110, 40))
WAVES_PALETTE = ((20, 40, 90), (90, 140, 190), (240, 240, 230))  # dark, light, crest
STROKES_PALETTE = ((250, 210, 60), (240, 150, 40), (60, 110, 190), (30, 60, 140), (200, 220, 240), (20, 30, 70))
STRIPES_PALETTE = ((235, 225, 200), (200, 60, 50), (30, 30, 35), (60, 120, 170))


def _rgb(image):
    return np.asarray(image, np.float32) / 255.0


def mosaic(rng: np.random.Generator, side: int = SIDE, palette: Sequence[tuple[int, int, int]] = MOSAIC_PALETTE,
           cells: int = 160, lines: tuple[int, int, int] = (25, 20, 20)) -> np.ndarray:
    """Voronoi tiles (`cells` of them) in the palette's colours, with lines between them in
    the colour `lines` (dark, like the lead of stained glass, by default)."""
    seeds = rng.uniform(0, side, size=(cells, 2))
    palette = np.array(palette)
    colours = palette[rng.integers(len(palette), size=cells)] + rng.integers(-25, 25, size=(cells, 3))
    yy, xx = np.mgrid[0:side, 0:side]
    distances, cells = cKDTree(seeds).query(np.stack([xx.ravel(), yy.ravel()], axis=-1), k=2)  # the two nearest seeds
    rgb = np.clip(colours[cells[:, 0]], 0, 255).astype(np.uint8).reshape(side, side, 3)
    rgb[(distances[:, 1] - distances[:, 0]).reshape(side, side) < 2.5] = lines
    return _rgb(Image.fromarray(rgb).filter(ImageFilter.SMOOTH))


def waves(rng: np.random.Generator, side: int = SIDE, palette: Sequence[tuple[int, int, int]] = WAVES_PALETTE,
          scale: float = 1.0) -> np.ndarray:
    """Layers of waves (nine per 384 px, times `scale` in size) shaded from the palette's dark to
    its light colour, with crests in its third colour, in the manner of woodblock prints."""
    yy, xx = np.mgrid[0:side, 0:side] / (SIDE * scale)
    field = np.zeros_like(xx)
    for k in range(1, 6):
        phase, freq = rng.uniform(0, 2 * np.pi), rng.uniform(2, 5) * k
        field += np.sin(2 * np.pi * (freq * xx + 0.6 * np.sin(2 * np.pi * k * yy) + phase)) / k
    level = np.mod(yy * 9 + 0.35 * field, 1.0)
    dark, light, crest = (np.array(c) for c in palette[:3])
    rgb = dark + (light - dark) * level[..., None]
    rgb[level > 0.9] = crest
    return _rgb(Image.fromarray(rgb.astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.7)))


def strokes(rng: np.random.Generator, side: int = SIDE, palette: Sequence[tuple[int, int, int]] = STROKES_PALETTE,
            count: int = 6000, scale: float = 1.0) -> np.ndarray:
    """`count` short thick brush strokes (6 to 14 px long and 2 to 4 px wide, times `scale`) in
    the palette's colours along a swirling flow field, on the palette's last colour."""
    image = Image.new("RGB", (side, side), tuple(palette[-1]))
    draw = ImageDraw.Draw(image)
    centres = rng.uniform(0, side, size=(4, 2))
    for _ in range(count):
        x, y = rng.uniform(0, side, size=2)
        angle = sum(np.arctan2(y - cy, x - cx) + np.pi / 2 for cx, cy in centres) / len(centres)
        length = rng.uniform(6, 14) * scale
        dx, dy = np.cos(angle) * length, np.sin(angle) * length
        colour = tuple(palette[rng.integers(len(palette))])
        draw.line([(x - dx, y - dy), (x + dx, y + dy)], fill=colour, width=max(1, round(int(rng.integers(2, 5)) * scale)))
    return _rgb(image.filter(ImageFilter.SMOOTH_MORE))


def stripes(rng: np.random.Generator, side: int = SIDE, palette: Sequence[tuple[int, int, int]] = STRIPES_PALETTE,
            scale: float = 1.0, angle: float = 45.0) -> np.ndarray:
    """Bold colour bands (cycling through four palette colours, 34 px wide times `scale`) at
    `angle` degrees, with a hand-drawn wobble, in the manner of op-art."""
    yy, xx = np.mgrid[0:side, 0:side] / (SIDE * scale)
    wobble = 0.03 * np.sin(2 * np.pi * (3 * yy + rng.uniform())) + 0.02 * np.sin(2 * np.pi * (7 * xx + rng.uniform()))
    a = np.deg2rad(angle)
    across = np.sqrt(2) * (np.cos(a) * xx + np.sin(a) * yy)  # xx + yy at 45 degrees
    index = np.floor((across + wobble) * 8).astype(int) % 4
    return _rgb(np.array(palette[:4], dtype=np.uint8)[index])


FAMILIES = {"mosaic": mosaic, "waves": waves, "strokes": strokes, "stripes": stripes}


def random_palette(rng: np.random.Generator, n: int, spread: float | None = None) -> tuple[tuple[int, int, int], ...]:
    """`n` colours drawn uniformly from the RGB cube, or with `spread` in (0, 1] uniformly
    within +-spread x 255 of a random centre in each channel (clipped): small spreads give the
    narrow palettes of many paintings. A tuple of (r, g, b) tuples in 0..255."""
    if spread is None:
        return tuple(tuple(int(v) for v in rng.integers(0, 256, size=3)) for _ in range(n))
    centre = rng.integers(0, 256, size=3)
    colours = np.clip(centre + rng.uniform(-spread * 255, spread * 255, size=(n, 3)), 0, 255).round()
    return tuple(tuple(int(v) for v in colour) for colour in colours)


def random_style(family: str, rng: np.random.Generator, side: int = 128, spread: float | None = None) -> np.ndarray:
    """A new image of `family` with a random palette (for a mosaic, random line colour too), its
    shapes 0.6 to 1.6 times their size in the sample style (a side x side window of such a
    texture), and for stripes a random angle: a model cannot tell a family by the colours of
    the samples, and must recognise it over a range of sizes."""
    if family not in FAMILIES:
        raise InputError(f"unknown style family {family!r}; choose from {list(FAMILIES)}")
    scale = rng.uniform(0.6, 1.6)
    area = (side / SIDE / scale) ** 2  # the window's area in sample-sized shapes, relative to the sample
    if family == "mosaic":
        palette = random_palette(rng, 7, spread)
        return mosaic(rng, side, palette[:6], cells=max(4, round(160 * area)), lines=palette[6])
    if family == "waves":
        return waves(rng, side, random_palette(rng, 3, spread), scale=scale)
    if family == "strokes":
        return strokes(rng, side, random_palette(rng, 6, spread), count=max(50, round(6000 * area)), scale=scale)
    return stripes(rng, side, random_palette(rng, 4, spread), scale=scale, angle=rng.uniform(0, 180))


def style_collection(per_family: int, side: int = 128, seed: int = 0) -> tuple[list[np.ndarray], np.ndarray]:
    """`per_family` new images of every family, drawn from `seed`: (images, labels) with
    images a list of (side, side, 3) float32 arrays and labels the family indices (order of
    `FAMILIES`) as an int32 array. Different seeds give different drawings and palettes."""
    if per_family < 1 or side < 16:
        raise InputError(f"style_collection needs per_family >= 1 and side >= 16 px, got {per_family} and {side}")
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for label, family in enumerate(FAMILIES):
        for _ in range(per_family):
            images.append(random_style(family, rng, side))
            labels.append(label)
    return images, np.array(labels, np.int32)
