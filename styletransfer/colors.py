"""Colour transforms for colour-preserving stylisation: luminance-only transfer and linear
colour matching (Gatys, Bethge, Hertzmann and Shechtman, 2016, "Preserving Color in Neural
Artistic Style Transfer", https://arxiv.org/abs/1606.05897; also in Gatys et al., 2017,
https://arxiv.org/abs/1611.07865). Images are (H, W, 3) float arrays in [0, 1]."""

import numpy as np

__all__ = ["RGB_TO_YIQ", "luminance", "luminance_rgb", "match_luminance", "transfer_luminance", "match_color"]

# NTSC YIQ: Y is luminance, I and Q carry the colour.
RGB_TO_YIQ = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]], np.float32)
YIQ_TO_RGB = np.linalg.inv(RGB_TO_YIQ).astype(np.float32)


def luminance(image):
    """``Y = 0.299 R + 0.587 G + 0.114 B``, shape (H, W)."""
    return np.asarray(image, np.float32) @ RGB_TO_YIQ[0]


def luminance_rgb(image):
    """The luminance as a grey RGB image (Y in all three channels)."""
    return np.repeat(luminance(image)[..., None], 3, axis=-1)


def match_luminance(style, content):
    """Shift and scale the style's luminance to the content's mean and standard deviation:
    ``Y' = (Y_s - mu_s) * sigma_c / sigma_s + mu_c``; the colour (I, Q) is kept."""
    yiq = np.asarray(style, np.float32) @ RGB_TO_YIQ.T
    y_c = luminance(content)
    yiq[..., 0] = (yiq[..., 0] - yiq[..., 0].mean()) * y_c.std() / max(yiq[..., 0].std(), 1e-6) + y_c.mean()
    return np.clip(yiq @ YIQ_TO_RGB.T, 0, 1)


def transfer_luminance(stylised, content):
    """The stylised image's luminance with the content's colour: Y from `stylised`,
    I and Q from `content`, back to RGB."""
    y = luminance(stylised)
    yiq = np.asarray(content, np.float32) @ RGB_TO_YIQ.T
    yiq[..., 0] = y
    return np.clip(yiq @ YIQ_TO_RGB.T, 0, 1).astype(np.float32)


def match_color(style, content, eps=1e-5):
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
