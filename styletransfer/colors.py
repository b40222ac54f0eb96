"""Colour transforms for colour-preserving stylisation: luminance-only transfer and linear
colour matching (Gatys, Bethge, Hertzmann and Shechtman, 2016, "Preserving Color in Neural
Artistic Style Transfer", https://arxiv.org/abs/1606.05897; also in Gatys et al., 2017,
https://arxiv.org/abs/1611.07865). Images are (H, W, 3) float arrays in [0, 1]."""

import numpy as np

from ._tensorflow import tf

__all__ = ["to_yiq", "to_rgb", "luminance", "chroma", "luminance_rgb", "match_luminance", "transfer_luminance",
           "match_color"]


def to_yiq(image: np.ndarray | tf.Tensor) -> np.ndarray:
    """NTSC YIQ (`tf.image.rgb_to_yiq`): Y = 0.299 R + 0.587 G + 0.114 B is the luminance,
    I and Q carry the colour. Shape (..., 3), float32 numpy."""
    return tf.image.rgb_to_yiq(tf.convert_to_tensor(image, tf.float32)).numpy()


def to_rgb(yiq: np.ndarray | tf.Tensor) -> np.ndarray:
    """The inverse of `to_yiq` (`tf.image.yiq_to_rgb`); TensorFlow's inverse matrix is
    rounded, so a round trip is exact to 1e-4, far below one grey level (1/255)."""
    return tf.image.yiq_to_rgb(tf.convert_to_tensor(yiq, tf.float32)).numpy()


def luminance(image: np.ndarray | tf.Tensor) -> np.ndarray:
    """``Y = 0.299 R + 0.587 G + 0.114 B``, shape (H, W)."""
    return to_yiq(image)[..., 0]


def chroma(image: np.ndarray | tf.Tensor) -> np.ndarray:
    """The colour without the luminance: the (I, Q) channels of YIQ, shape (H, W, 2)."""
    return to_yiq(image)[..., 1:]


def luminance_rgb(image: np.ndarray | tf.Tensor) -> np.ndarray:
    """The luminance as a grey RGB image (Y in all three channels)."""
    return np.repeat(luminance(image)[..., None], 3, axis=-1)


def match_luminance(style: np.ndarray | tf.Tensor, content: np.ndarray | tf.Tensor) -> np.ndarray:
    """Shift and scale the style's luminance to the content's mean and standard deviation:
    ``Y' = (Y_s - mu_s) * sigma_c / sigma_s + mu_c``; the colour (I, Q) is kept."""
    yiq = to_yiq(style)
    y_c = luminance(content)
    yiq[..., 0] = (yiq[..., 0] - yiq[..., 0].mean()) * y_c.std() / max(yiq[..., 0].std(), 1e-6) + y_c.mean()
    return np.clip(to_rgb(yiq), 0, 1)


def transfer_luminance(stylised: np.ndarray | tf.Tensor, content: np.ndarray | tf.Tensor) -> np.ndarray:
    """The stylised image's luminance with the content's colour: Y from `stylised`,
    I and Q from `content`, back to RGB."""
    yiq = to_yiq(content)
    yiq[..., 0] = luminance(stylised)
    return np.clip(to_rgb(yiq), 0, 1).astype(np.float32)


def match_color(style: np.ndarray | tf.Tensor, content: np.ndarray | tf.Tensor, eps: float = 1e-5) -> np.ndarray:
    """Linear colour transfer: ``x' = A (x - mu_s) + mu_c`` with ``A = C_c^{1/2} C_s^{-1/2}``
    (symmetric matrix square roots of the pixel colour covariances), so the style's
    colour mean and covariance become the content's."""
    s = np.asarray(style, np.float64).reshape(-1, 3)
    c = np.asarray(content, np.float64).reshape(-1, 3)

    def sqrt_and_inverse_sqrt(cov):
        values, vectors = np.linalg.eigh(cov + eps * np.eye(3))
        return (vectors * np.sqrt(values)) @ vectors.T, (vectors / np.sqrt(values)) @ vectors.T

    c_sqrt, _ = sqrt_and_inverse_sqrt(np.cov(c, rowvar=False))
    _, s_inv_sqrt = sqrt_and_inverse_sqrt(np.cov(s, rowvar=False))
    matched = (s - s.mean(0)) @ (c_sqrt @ s_inv_sqrt).T + c.mean(0)
    return np.clip(matched.reshape(np.shape(style)), 0, 1).astype(np.float32)
