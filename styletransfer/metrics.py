"""Feature statistics, losses, distances and similarity matrices; the fair style measure.

`lpips` (defined in `styletransfer.lpips`) is available here too, beside the other measures.

The losses and distances are differentiable TensorFlow and also accept numpy arrays.
Losses are means, not sums, so their size does not depend on the image size.

`style_distance` is different on purpose: it is the measure the tutorial, the benchmarks
and the docs use whenever they compare how close methods come to a style, and no method
in the package optimises it (it uses no network at all), so no method is graded on its own
objective. It is numpy, not differentiable. (How much of the photo a method keeps is
measured with `lpips`, which no method optimises either.)
"""

from collections.abc import Sequence

import numpy as np
from scipy import ndimage

from ._tensorflow import tf
from .errors import InputError
from .features import FeatureExtractor
from .lpips import lpips
from .pixels import as_unit_range

__all__ = [
    "colour_distance",
    "gram_matrix",
    "content_loss",
    "style_loss",
    "total_variation_loss",
    "euclidean_distance",
    "cosine_similarity",
    "similarity_matrix",
    "set_similarity",
    "lpips",
    "laplacian_pyramid",
    "style_distance",
    "style_distance_per_level",
]

def _float(x):
    return tf.convert_to_tensor(x, dtype=tf.float32)


def _batched_maps(x):
    x = _float(x)
    if x.shape.rank == 3:
        return x[None], True
    if x.shape.rank != 4:
        raise InputError(f"feature maps must have shape (H, W, C) or (B, H, W, C), got {tuple(x.shape)}")
    return x, False


def gram_matrix(x: np.ndarray | tf.Tensor) -> tf.Tensor:
    """Gram matrix of feature maps: ``G[c, d] = (1 / HW) * sum_p x[p, c] x[p, d]``.

    (B, H, W, C) -> (B, C, C); an unbatched (H, W, C) gives (C, C).
    """
    x, unbatched = _batched_maps(x)
    shape = tf.shape(x)
    positions = tf.cast(shape[1] * shape[2], tf.float32)
    gram = tf.einsum("bhwc,bhwd->bcd", x, x) / positions
    return gram[0] if unbatched else gram


def content_loss(features: np.ndarray | tf.Tensor, target: np.ndarray | tf.Tensor) -> tf.Tensor:
    """Mean squared feature difference: ``mean((F - P)^2)``, averaged over the batch too."""
    return tf.reduce_mean(tf.square(_float(features) - _float(target)))


def style_loss(features: np.ndarray | tf.Tensor, target_gram: np.ndarray | tf.Tensor) -> tf.Tensor:
    """Mean squared Gram difference: ``mean((G(F) - A)^2)`` with `target_gram` A = G(style features).

    `target_gram` (C, C) or (B, C, C) broadcasts over the batch of `features`.
    """
    return tf.reduce_mean(tf.square(gram_matrix(features) - _float(target_gram)))


def total_variation_loss(images: np.ndarray | tf.Tensor) -> tf.Tensor:
    """Mean absolute difference of neighbouring pixels:
    ``mean|x[i+1, j] - x[i, j]| + mean|x[i, j+1] - x[i, j]|``.

    Not `tf.image.total_variation`: that is the sum over all pixels of both directions
    together, so it grows with the image's area and a TV weight would mean something
    different at every size; the two means here do not depend on the size.
    """
    x, _ = _batched_maps(images)
    dy = tf.reduce_mean(tf.abs(x[:, 1:, :, :] - x[:, :-1, :, :]))
    dx = tf.reduce_mean(tf.abs(x[:, :, 1:, :] - x[:, :, :-1, :]))
    return dy + dx


def _flatten_pairs(a, b):
    a, b = _float(a), _float(b)
    if a.shape != b.shape:
        raise InputError(f"shapes differ: {tuple(a.shape)} and {tuple(b.shape)}")
    return a, b


def euclidean_distance(a: np.ndarray | tf.Tensor, b: np.ndarray | tf.Tensor) -> tf.Tensor:
    """Euclidean distance scaled by the size: ``||a - b||_2 / sqrt(n) = sqrt(mean((a - b)^2))``."""
    a, b = _flatten_pairs(a, b)
    return tf.sqrt(tf.reduce_mean(tf.square(a - b)))


def cosine_similarity(a: np.ndarray | tf.Tensor, b: np.ndarray | tf.Tensor, eps: float = 1e-12) -> tf.Tensor:
    """``<a, b> / (||a|| ||b||)`` over all elements; in [-1, 1]. Zero vectors give 0."""
    a, b = _flatten_pairs(a, b)
    a, b = tf.reshape(a, [-1]), tf.reshape(b, [-1])
    return tf.reduce_sum(a * b) / tf.maximum(tf.norm(a) * tf.norm(b), eps)


def similarity_matrix(a: np.ndarray | tf.Tensor, b: np.ndarray | tf.Tensor, metric: str = "cosine") -> tf.Tensor:
    """Pairwise comparison of two sets: ``M[i, j] = metric(a[i], b[j])``, shape (N_a, N_b).

    `a` and `b` are stacks of feature maps (N, H, W, C) or of Gram matrices (N, C, C)
    with matching trailing shapes. Metrics:
      - ``"euclidean"``: RMS difference ``sqrt(mean((a_i - b_j)^2))``;
      - ``"cosine"``: ``<a_i, b_j> / (||a_i|| ||b_j||)``;
      - ``"gram"``: RMS difference of Gram matrices (feature maps are turned into
        Gram matrices first, so maps of different sizes can be compared).
    """
    a, b = _float(a), _float(b)
    if metric == "gram":
        a = gram_matrix(a) if a.shape.rank == 4 else a
        b = gram_matrix(b) if b.shape.rank == 4 else b
    elif metric not in ("euclidean", "cosine"):
        raise InputError(f"unknown metric {metric!r}; choose 'euclidean', 'cosine' or 'gram'")
    if a.shape[1:] != b.shape[1:]:
        raise InputError(f"cannot compare items of shape {tuple(a.shape[1:])} with {tuple(b.shape[1:])}")
    a = tf.reshape(a, [tf.shape(a)[0], -1])
    b = tf.reshape(b, [tf.shape(b)[0], -1])
    if metric == "cosine":
        a = a / tf.maximum(tf.norm(a, axis=1, keepdims=True), 1e-12)
        b = b / tf.maximum(tf.norm(b, axis=1, keepdims=True), 1e-12)
        return tf.matmul(a, b, transpose_b=True)
    # The differences themselves, row by row, not |a|^2 - 2 a.b + |b|^2: with the large
    # entries of deep Gram matrices that expansion loses float32 precision, and an image came
    # out at a distance above zero from itself.
    return tf.stack([tf.sqrt(tf.reduce_mean(tf.square(b - row), axis=1)) for row in tf.unstack(a)])


def set_similarity(extractor: FeatureExtractor, a_images: Sequence[np.ndarray | tf.Tensor],
                   b_images: Sequence[np.ndarray | tf.Tensor], metric: str = "gram") -> np.ndarray:
    """``M[i, j]`` = `similarity_matrix` of image a_i and image b_j, averaged over the
    extractor's layers: the tutorial's style x content comparison.

    `a_images`, `b_images`: sequences of (H, W, 3) images in [0, 1]. With
    ``metric="gram"`` their sizes may differ; euclidean and cosine need one size.
    Returns an (N_a, N_b) numpy array.
    """
    def per_layer(images):
        maps = [extractor(image) for image in images]
        if metric == "gram":
            return {name: tf.stack([gram_matrix(m[name]) for m in maps]) for name in extractor.layers}
        shapes = {tuple(image.shape) for image in images}
        if len(shapes) > 1:
            raise InputError(f"{metric} similarity needs images of one size, got {sorted(shapes)}")
        return {name: tf.stack([m[name] for m in maps]) for name in extractor.layers}

    a, b = per_layer(a_images), per_layer(b_images)
    total = sum(similarity_matrix(a[name], b[name], metric) for name in extractor.layers)
    return (total / len(extractor.layers)).numpy()


MIN_STD = 0.02  # style_distance's floor on a level's standard deviation (about 5/255): a flat style is not amplified

# The 5-tap binomial filter of Burt and Adelson's pyramid (1983).
_BINOMIAL = np.array([1.0, 4.0, 6.0, 4.0, 1.0], np.float32) / 16.0


def _blur(x):
    x = ndimage.convolve1d(x, _BINOMIAL, axis=0, mode="reflect")
    return ndimage.convolve1d(x, _BINOMIAL, axis=1, mode="reflect")


def _upsample(x, shape):
    """x spread onto every second pixel of `shape`, blurred, and divided by the blurred mask of
    those pixels (4 inside the image; exact at the borders, so a flat image stays flat)."""
    up, mask = np.zeros(shape[:2] + x.shape[2:], np.float32), np.zeros(shape[:2] + (1,), np.float32)
    up[::2, ::2], mask[::2, ::2] = x, 1.0
    return _blur(up) / _blur(mask)


def laplacian_pyramid(image: np.ndarray | tf.Tensor, levels: int) -> list[np.ndarray]:
    """The Laplacian pyramid of an (H, W, C) array (Burt and Adelson, 1983), finest level first.

    ``G_0 = image``, ``G_{k+1} = blur(G_k)[::2, ::2]`` (5-tap binomial blur); level k < levels-1
    is the band ``G_k - up(G_{k+1})``, the last level the low-pass ``G_{levels-1}``. The image
    is exactly ``L_0 + up(L_1 + up(L_2 + ...))``. Returns a list of float32 arrays.
    """
    g = np.asarray(image, np.float32)
    bands = []
    for _ in range(levels - 1):
        low = _blur(g)[::2, ::2]
        bands.append(g - _upsample(low, g.shape))
        g = low
    return bands + [g]


def _random_patches(level, count, size, rng):
    h, w = level.shape[:2]
    ys, xs = rng.integers(0, h - size + 1, count), rng.integers(0, w - size + 1, count)
    offsets = np.arange(size)
    patches = level[ys[:, None, None] + offsets[None, :, None], xs[:, None, None] + offsets[None, None, :]]
    return patches.reshape(count, size * size, level.shape[2])


def _as_rgb(image, name):
    x = np.asarray(image)
    if x.ndim != 3 or x.shape[-1] != 3:
        raise InputError(f"{name} must be one (H, W, 3) image, got shape {x.shape}")
    return as_unit_range(x, name)


def style_distance_per_level(image: np.ndarray | tf.Tensor, style: np.ndarray | tf.Tensor, levels: int = 4,
                             patch: int = 7, samples: int = 4096, projections: int = 256,
                             seed: int = 0) -> np.ndarray:
    """`style_distance` for each pyramid level, finest first: a float64 array.

    Both images use the same levels, as many as `levels` but only those whose shorter side
    is at least ``4 * patch`` px in both images (so each level has enough distinct patches):
    fewer for small images, and one for images under ``8 * patch`` px.
    """
    image, style = _as_rgb(image, "image"), _as_rgb(style, "style")
    shortest = min(image.shape[0], image.shape[1], style.shape[0], style.shape[1])
    if shortest < 2 * patch:
        raise InputError(f"style_distance needs images of at least {2 * patch} px a side, got {shortest} px")
    levels = max(1, min(levels, int(np.floor(np.log2(shortest / (4 * patch)))) + 1))
    rng = np.random.default_rng(seed)
    distances = []
    for a, b in zip(laplacian_pyramid(image, levels), laplacian_pyramid(style, levels)):
        a, b = _random_patches(a, samples, patch, rng), _random_patches(b, samples, patch, rng)
        mean, std = b.mean(axis=(0, 1)), np.maximum(b.std(axis=(0, 1)), MIN_STD)  # per colour channel, the style's
        a, b = ((a - mean) / std).reshape(samples, -1), ((b - mean) / std).reshape(samples, -1)
        directions = rng.normal(size=(a.shape[1], projections))
        distances.append(_sliced_wasserstein(a, b, directions / np.linalg.norm(directions, axis=0)))
    return np.array(distances)


def _sliced_wasserstein(a, b, directions):
    """``mean_d W1(a @ d, b @ d)`` for two (N, D) sample sets of equal size and (D, P) unit
    directions: the 1-D Wasserstein-1 distance of equal-size samples is the mean absolute
    difference of their sorted values."""
    return float(np.mean(np.abs(np.sort(a @ directions, axis=0) - np.sort(b @ directions, axis=0))))


def colour_distance(image: np.ndarray | tf.Tensor, style: np.ndarray | tf.Tensor, samples: int = 16384,
                    projections: int = 64, seed: int = 0) -> float:
    """How far the colours of `image` are from the style's, wherever they are: the sliced
    Wasserstein-1 distance between the two images' distributions of RGB pixel values,

        distance = mean_d W1(<pixels(image), d>, <pixels(style), d>)

    over `projections` random unit directions d in RGB space, with `samples` pixels drawn
    (with replacement) from each image. 0 means the same colour distribution; it is in the
    units of the pixel values ([0, 1]); a grey wash over a colourful style shows up in it.
    No method in the package optimises it. The same `seed` gives the same number. Raises
    InputError for a bad shape or range.
    """
    image, style = _as_rgb(image, "image"), _as_rgb(style, "style")
    rng = np.random.default_rng(seed)
    a = image.reshape(-1, 3)[rng.integers(image.shape[0] * image.shape[1], size=samples)]
    b = style.reshape(-1, 3)[rng.integers(style.shape[0] * style.shape[1], size=samples)]
    directions = rng.normal(size=(3, projections))
    return _sliced_wasserstein(a.astype(np.float64), b.astype(np.float64), directions / np.linalg.norm(directions, axis=0))


def style_distance(image: np.ndarray | tf.Tensor, style: np.ndarray | tf.Tensor, levels: int = 4, patch: int = 7,
                   samples: int = 4096, projections: int = 256, seed: int = 0) -> float:
    """The fair style measure: how far the patch statistics of `image` are from the style's.

    A multi-scale sliced Wasserstein distance between the distributions of small patches,
    adapted from the one Karras et al. (2018, https://arxiv.org/abs/1710.10196) use to
    compare sets of generated and real images: for each level of both images' Laplacian
    pyramids (`laplacian_pyramid`), draw `samples` random patch x patch x 3 patches of each,
    standardise every colour channel with the style level's mean and standard deviation
    (at least `MIN_STD`), project the patches on `projections` random unit directions d,
    and average over d the 1-D Wasserstein-1 distance between the two sets of projections
    (the mean absolute difference of the sorted values):

        SWD_k = mean_d W1(<P_k(image), d>, <P_k(style), d>),    distance = mean_k SWD_k

    What differs from Karras et al.: they standardise each set with its own statistics,
    which makes their distance blind to differences of colour and contrast; here both sets
    use the style's, so colour and contrast count, as they do in a style. They compare
    millions of patches from thousands of images down to 16 px; this compares two images,
    with the levels that fit them.

    Like a Gram matrix it ignores where patches are, so it measures texture, colour and
    contrast at each scale; unlike the Gram losses it uses no network, and no method in this
    package optimises it. 0 means the same patch distributions; an image against itself
    gives about 0.03 (sampling noise). The same `seed` gives the same number. `image` and
    `style` are (H, W, 3) arrays in [0, 1] of any sizes, compared at the scale given.
    `levels` is a maximum: small images use fewer (`style_distance_per_level`), so compare
    distances measured at the same image sizes. Raises InputError for a bad shape or an
    image under ``2 * patch`` px a side.
    """
    return float(np.mean(style_distance_per_level(image, style, levels, patch, samples, projections, seed)))
