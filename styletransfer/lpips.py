"""LPIPS, the learned perceptual distance of Zhang et al. (2018, https://arxiv.org/abs/1801.03924),
computed in tiles for images of any size, and its network cache.
"""

import warnings

import numpy as np

from ._tensorflow import tf
from .errors import InputError
from .features import MIN_SIZE, FeatureExtractor, as_image_batch
from .images import resize_image

__all__ = ["lpips", "lpips_network", "LPIPS_LAYERS", "LPIPS_STRIDES", "LPIPS_TILE", "LPIPS_MARGIN"]

# Layers whose (ReLU) outputs LPIPS v0.1 compares, per network.
LPIPS_LAYERS = {
    "vgg": ("block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3", "block5_conv3"),
    "alex": ("conv1", "conv2", "conv3", "conv4", "conv5"),
}

_NETWORKS = {}  # net -> (FeatureExtractor, heads): built once per process, on first use


def lpips_network(net: str) -> tuple[FeatureExtractor, list[tf.Tensor]]:
    """The LPIPS network for "vgg" or "alex": (a frozen `FeatureExtractor` cut at the LPIPS
    layers, the learned per-layer heads w_l). Built on first use and kept in `_NETWORKS`."""
    if net in _NETWORKS:
        return _NETWORKS[net]
    if net not in LPIPS_LAYERS:
        raise InputError(f"unknown LPIPS network {net!r}; choose 'vgg' or 'alex'")
    extractor = FeatureExtractor(LPIPS_LAYERS[net], net={"vgg": "vgg16", "alex": "alexnet"}[net])
    heads = extractor.weights.lpips_heads
    if heads is None:
        raise InputError(f"the {net} weights have no LPIPS heads")
    _NETWORKS[net] = extractor, [tf.constant(h) for h in heads]
    return _NETWORKS[net]


def _unit_normalize(f, eps=1e-10):
    return f / (tf.sqrt(tf.reduce_sum(tf.square(f), axis=-1, keepdims=True)) + eps)


# The stride (input pixels per feature position) of each LPIPS layer.
LPIPS_STRIDES = {"vgg": (1, 2, 4, 8, 16), "alex": (4, 8, 16, 16, 16)}
LPIPS_TILE = 1024    # px: larger images are measured in tiles of at most this side
LPIPS_MARGIN = 128   # px of context around each tile: more than the deepest layer's receptive-field radius


def lpips(x: np.ndarray | tf.Tensor, y: np.ndarray | tf.Tensor, net: str = "vgg",
          max_side: int | None = 1024) -> tf.Tensor:
    """LPIPS v0.1 perceptual distance (Zhang et al., 2018) between images in [0, 1].

    ``d(x, y) = sum_l mean_hw( w_l . (n(f_l(x)) - n(f_l(y)))^2 )`` with f_l the ReLU
    features at five depths of ImageNet VGG16 (or AlexNet for ``net="alex"``), n the
    unit normalisation over channels and w_l the learned linear head of layer l.
    LPIPS scales inputs to [-1, 1] then by ``(x - shift) / scale``; that equals the
    torchvision normalisation the extractor applies.

    Images whose longer side exceeds `max_side` (default 1024; None = no limit) are
    downscaled, both alike, with a warning. Images larger than `LPIPS_TILE` are measured
    in overlapping tiles whose margins cover every layer's receptive field, which gives
    the same value as one pass (to float precision) while memory stays that of one tile.
    Returns (B,) for batches, a scalar for single images. Raises InputError on mismatched
    shapes or values outside [0, 1] (uint8 arrays are converted).
    """
    xb, unbatched = as_image_batch(x)
    yb, _ = as_image_batch(y)
    if xb.shape != yb.shape:
        raise InputError(f"LPIPS needs images of the same shape, got {tuple(xb.shape)} and {tuple(yb.shape)}")
    if max_side is not None and int(max_side) < MIN_SIZE:
        raise InputError(f"max_side must be at least {MIN_SIZE} px, got {max_side}")
    h, w = int(xb.shape[1]), int(xb.shape[2])
    if max_side is not None and max(h, w) > max_side:
        warnings.warn(f"lpips: {w}x{h} px images downscaled to at most {max_side} px a side (max_side)", stacklevel=2)
        xb, yb = (tf.constant(resize_image(b, max_side=max_side)) for b in (xb, yb))
    extractor, heads = lpips_network(net)
    total = _lpips_tiled(extractor, heads, LPIPS_STRIDES[net], xb, yb)
    return total[0] if unbatched else total


def _tile_spans(length, tile, margin, align=16):
    """Tiles along one axis: (start, end, core_start, core_end) with the cores partitioning
    [0, length), every start a multiple of `align` (so pooling grids line up with the whole
    image's) and `margin` px of context beyond each core where the image goes on."""
    if length <= tile:
        return [(0, length, 0, length)]
    core = (tile - 2 * margin) // align * align
    spans = []
    for a in range(0, length, core):
        b = min(a + core, length)
        spans.append((max(0, a - margin), min(length, b + margin), a, b))
    return spans


def _owned_sums(extractor, heads, strides, tile, rows, cols):
    """For one tile (the x images stacked on the y images): per layer, the sum over the
    positions this tile owns of each pair's weighted distance, and how many positions.
    `rows`/`cols` = (tile start, core start, core end) in image pixels. A function of its
    own so that the tile's feature maps are freed before the next tile is computed."""
    n = int(tile.shape[0]) // 2
    features = extractor(tile)
    sums, counts = np.zeros((len(heads), n)), np.zeros(len(heads))
    for k, (name, head, s) in enumerate(zip(extractor.layers, heads, strides)):
        f = _unit_normalize(features[name])
        d = tf.tensordot(tf.square(f[:n] - f[n:]), head, axes=[[3], [0]])  # (B, h, w)
        (y0, cy0, cy1), (x0, cx0, cx1) = rows, cols
        owned = d[:, -(-cy0 // s) - y0 // s: min(-(-cy1 // s) - y0 // s, int(d.shape[1])),
                  -(-cx0 // s) - x0 // s: min(-(-cx1 // s) - x0 // s, int(d.shape[2]))]
        sums[k] = tf.reduce_sum(owned, axis=[1, 2]).numpy()
        counts[k] = int(owned.shape[1]) * int(owned.shape[2])
    return sums, counts


def _lpips_tiled(extractor, heads, strides, x, y):
    """LPIPS as a (B,) tensor, summing each layer's distances over the feature positions each
    tile owns (those whose stride-scaled position falls in the tile's core), then dividing
    by the number of positions: with one tile, the plain mean."""
    n = int(x.shape[0])
    sums, counts = np.zeros((len(heads), n)), np.zeros(len(heads))
    for y0, y1, cy0, cy1 in _tile_spans(int(x.shape[1]), LPIPS_TILE, LPIPS_MARGIN):
        for x0, x1, cx0, cx1 in _tile_spans(int(x.shape[2]), LPIPS_TILE, LPIPS_MARGIN):
            tile = tf.concat([x[:, y0:y1, x0:x1], y[:, y0:y1, x0:x1]], axis=0)
            tile_sums, tile_counts = _owned_sums(extractor, heads, strides, tile, (y0, cy0, cy1), (x0, cx0, cx1))
            sums += tile_sums
            counts += tile_counts
    return tf.constant((sums / counts[:, None]).sum(axis=0), tf.float32)
