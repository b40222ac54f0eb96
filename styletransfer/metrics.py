"""Feature statistics, losses, distances and similarity matrices; LPIPS.

Every function is differentiable TensorFlow and also accepts numpy arrays.
Losses are means, not sums, so their size does not depend on the image size.
"""

import functools

import tensorflow as tf

from .errors import InputError
from .features import FeatureExtractor, as_image_batch

__all__ = [
    "gram_matrix",
    "content_loss",
    "style_loss",
    "total_variation_loss",
    "euclidean_distance",
    "cosine_similarity",
    "similarity_matrix",
    "set_similarity",
    "lpips",
    "LPIPS_LAYERS",
]

# Layers whose (ReLU) outputs LPIPS v0.1 compares, per network.
LPIPS_LAYERS = {
    "vgg": ("block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3", "block5_conv3"),
    "alex": ("conv1", "conv2", "conv3", "conv4", "conv5"),
}


def _float(x):
    return tf.convert_to_tensor(x, dtype=tf.float32)


def _batched_maps(x):
    x = _float(x)
    if x.shape.rank == 3:
        return x[None], True
    if x.shape.rank != 4:
        raise InputError(f"feature maps must have shape (H, W, C) or (B, H, W, C), got {tuple(x.shape)}")
    return x, False


def gram_matrix(x):
    """Gram matrix of feature maps: ``G[c, d] = (1 / HW) * sum_p x[p, c] x[p, d]``.

    (B, H, W, C) -> (B, C, C); an unbatched (H, W, C) gives (C, C).
    """
    x, unbatched = _batched_maps(x)
    shape = tf.shape(x)
    positions = tf.cast(shape[1] * shape[2], tf.float32)
    gram = tf.einsum("bhwc,bhwd->bcd", x, x) / positions
    return gram[0] if unbatched else gram


def content_loss(features, target):
    """Mean squared feature difference: ``mean((F - P)^2)``, averaged over the batch too."""
    return tf.reduce_mean(tf.square(_float(features) - _float(target)))


def style_loss(features, target_gram):
    """Mean squared Gram difference: ``mean((G(F) - A)^2)`` with `target_gram` A = G(style features).

    `target_gram` (C, C) or (B, C, C) broadcasts over the batch of `features`.
    """
    return tf.reduce_mean(tf.square(gram_matrix(features) - _float(target_gram)))


def total_variation_loss(images):
    """Mean absolute difference of neighbouring pixels:
    ``mean|x[i+1, j] - x[i, j]| + mean|x[i, j+1] - x[i, j]|``.
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


def euclidean_distance(a, b):
    """Euclidean distance scaled by the size: ``||a - b||_2 / sqrt(n) = sqrt(mean((a - b)^2))``."""
    a, b = _flatten_pairs(a, b)
    return tf.sqrt(tf.reduce_mean(tf.square(a - b)))


def cosine_similarity(a, b, eps=1e-12):
    """``<a, b> / (||a|| ||b||)`` over all elements; in [-1, 1]. Zero vectors give 0."""
    a, b = _flatten_pairs(a, b)
    a, b = tf.reshape(a, [-1]), tf.reshape(b, [-1])
    return tf.reduce_sum(a * b) / tf.maximum(tf.norm(a) * tf.norm(b), eps)


def similarity_matrix(a, b, metric="cosine"):
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
    squared = (
        tf.reduce_sum(a * a, axis=1)[:, None]
        - 2.0 * tf.matmul(a, b, transpose_b=True)
        + tf.reduce_sum(b * b, axis=1)[None, :]
    )
    return tf.sqrt(tf.maximum(squared, 0.0) / tf.cast(tf.shape(a)[1], tf.float32))


def set_similarity(extractor, a_images, b_images, metric="gram"):
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


@functools.lru_cache(maxsize=None)
def _lpips_network(net):
    if net not in LPIPS_LAYERS:
        raise InputError(f"unknown LPIPS network {net!r}; choose 'vgg' or 'alex'")
    extractor = FeatureExtractor(LPIPS_LAYERS[net], net={"vgg": "vgg16", "alex": "alexnet"}[net])
    heads = extractor.weights.lpips_heads
    if heads is None:
        raise InputError(f"the {net} weights have no LPIPS heads")
    return extractor, [tf.constant(h) for h in heads]


def _unit_normalize(f, eps=1e-10):
    return f / (tf.sqrt(tf.reduce_sum(tf.square(f), axis=-1, keepdims=True)) + eps)


def lpips(x, y, net="vgg"):
    """LPIPS v0.1 perceptual distance (Zhang et al., 2018) between images in [0, 1].

    ``d(x, y) = sum_l mean_hw( w_l . (n(f_l(x)) - n(f_l(y)))^2 )`` with f_l the ReLU
    features at five depths of ImageNet VGG16 (or AlexNet for ``net="alex"``), n the
    unit normalisation over channels and w_l the learned linear head of layer l.
    LPIPS scales inputs to [-1, 1] then by ``(x - shift) / scale``; that equals the
    torchvision normalisation the extractor applies. Returns (B,) for batches, a scalar
    for single images. Raises InputError on mismatched shapes.
    """
    xb, unbatched = as_image_batch(x)
    yb, _ = as_image_batch(y)
    if xb.shape != yb.shape:
        raise InputError(f"LPIPS needs images of the same shape, got {tuple(xb.shape)} and {tuple(yb.shape)}")
    extractor, heads = _lpips_network(net)
    total = _lpips_distance(extractor, heads, xb, yb)
    return total[0] if unbatched else total


def _lpips_distance(extractor, heads, x, y):
    """LPIPS over the extractor's layers (in order) with one head per layer; (B,) tensor."""
    features = extractor(tf.concat([x, y], axis=0))  # one forward pass for both
    n = tf.shape(x)[0]
    total = 0.0
    for name, head in zip(extractor.layers, heads):
        f = _unit_normalize(features[name])
        diff = tf.square(f[:n] - f[n:])
        total += tf.reduce_mean(tf.tensordot(diff, head, axes=[[3], [0]]), axis=[1, 2])
    return total
