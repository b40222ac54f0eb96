"""Processing an image too large to process at once, in overlapping tiles blended without seams.

A fully convolutional network's output at a pixel depends only on the input around it
(its receptive field). Cut the photo into tiles that overlap, run each on its own, and give
each output pixel the weighted mean of the tiles covering it. The outer part of each
overlap, where a tile's own border padding reaches, gets no weight; across the middle of
the overlap the weights rise linearly from one tile to the next: no seams. Tiles start on
the network's downsampling grid (a multiple of `grid` px), so every tile sees the same
pooling or stride phase as the whole photo would.
"""

import math
from collections.abc import Callable

import numpy as np

__all__ = ["tiles", "blend_weights", "apply_tiled"]


def tiles(length: int, tile: int, overlap: int, grid: int = 4) -> tuple[list[int], int]:
    """(starts, size) of the tiles along one axis: n tiles of equal size (at most `tile`, a
    multiple of `grid`; the last may be up to grid - 1 px shorter) at multiples of `grid`,
    covering [0, length) with neighbours overlapping by at least `overlap`."""
    if length <= tile:
        return [0], length
    n = math.ceil((length - overlap) / (tile - overlap))
    while True:
        size = min(tile - tile % grid, grid * math.ceil((length + (n - 1) * overlap) / n / grid))
        last = grid * math.ceil((length - size) / grid)
        starts = sorted({grid * round(i * last / (n - 1) / grid) for i in range(n)})
        if all(b - a <= size - overlap for a, b in zip(starts, starts[1:])):
            return starts, size
        n += 1


def blend_weights(start: int, size: int, total: int, overlap: int) -> np.ndarray:
    """Blend weights of one tile along one axis: 0 within 3/8 of the overlap of each edge
    that is not the photo's edge (where padding affects the output), then rising linearly
    to 1 over the middle quarter of the overlap."""
    pos = np.arange(size, dtype=np.float32) + 0.5
    margin, rise = 3 * overlap // 8, overlap - 2 * (3 * overlap // 8)
    w = np.ones(size, np.float32)
    if start > 0:
        w = np.minimum(w, np.clip((pos - margin) / rise, 0, 1))
    if start + size < total:
        w = np.minimum(w, np.clip((size - pos - margin) / rise, 0, 1))
    return w


def apply_tiled(process: Callable[[np.ndarray], np.ndarray], image: np.ndarray, tile: int, overlap: int,
                grid: int = 4) -> np.ndarray:
    """`process` ((h, w, 3) -> (h, w, 3)) applied to an (H, W, 3) image tile by tile (see
    `tiles`), the outputs blended with `blend_weights`: memory bounded by the tile size."""
    h, w = image.shape[:2]
    (ys, th), (xs, tw) = tiles(h, tile, overlap, grid), tiles(w, tile, overlap, grid)
    out = np.zeros((h, w, 3), np.float32)
    total = np.zeros((h, w, 1), np.float32)
    for y in ys:
        for x in xs:
            patch = process(image[y:y + th, x:x + tw])
            ph, pw = patch.shape[:2]
            weight = (blend_weights(y, ph, h, overlap)[:, None] * blend_weights(x, pw, w, overlap)[None, :])[..., None]
            out[y:y + ph, x:x + pw] += weight * patch
            total[y:y + ph, x:x + pw] += weight
    return out / total
