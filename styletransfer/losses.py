"""The perceptual loss of stylisation: one object for optimisation, training and the benchmark.

For images x (a batch), with F_l(x) the features of layer l, G_l their Gram matrix
(`metrics.gram_matrix`), P_l the content target (the photo's features) and A_l the style
target, and |.|^2 a mean square:

    L(x)  = a * C(x) + b * S(x) + t * TV(x)
    C(x)  = sum_l c_l |F_l(x) - P_l|^2 / |P_l|^2 / sum_l c_l        (per image, then the batch mean)
    S(x)  = sum_l s_l |G_l(x) - A_l|^2 / |A_l|^2 / sum_l s_l
    TV(x) = mean |x[i+1, j] - x[i, j]| + mean |x[i, j+1] - x[i, j]|
    A_l   = sum_k w_k G_l(style_k) / sum_k w_k                       (blending several styles)

The content and style terms of Gatys et al. (2016, https://doi.org/10.1109/CVPR.2016.265),
which optimisation minimises over pixels, and Johnson et al. (2016,
https://arxiv.org/abs/1603.08155), which training minimises over a generator's weights.
Each term is a mean and each layer's term a relative error, so the weights a, b, t and the
layer weights c_l, s_l mean the same at any image size and for layers of any scale.
"""

from collections.abc import Iterable, Sequence

from ._tensorflow import tf
from .metrics import gram_matrix, total_variation_loss

__all__ = ["PerceptualLoss", "blended_gram_targets"]


def blended_gram_targets(style_features: Sequence[dict[str, tf.Tensor]], layers: Iterable[str],
                         blend: Iterable[float] | None = None) -> dict[str, tf.Tensor]:
    """A_l = sum_k w_k G_l(style_k) / sum_k w_k for each layer l in `layers`, from a list of
    feature dicts (one per style image, each batch 1); equal weights when `blend` is None."""
    blend = [1.0] * len(style_features) if blend is None else [float(w) for w in blend]
    total = sum(blend)
    return {name: tf.add_n([w / total * gram_matrix(f[name])[0] for w, f in zip(blend, style_features)])
            for name in layers}


class PerceptualLoss:
    """L = a C + b S + t TV (see the module docstring) for fixed style targets.

    Args:
        content_layers, style_layers: {layer name: weight c_l or s_l}.
        style_targets: {style layer: A_l}, a (C, C) Gram matrix each (`blended_gram_targets`).
        content_weight, style_weight, tv_weight: a, b, t.

    Calling it with the feature dict of images x, the images x and the content targets
    {content layer: P_l} (batched like x) returns the weighted terms {"content": a C,
    "style": b S, "tv": t TV}; their sum is L.
    """

    def __init__(self, content_layers: dict[str, float], style_layers: dict[str, float],
                 style_targets: dict[str, tf.Tensor], content_weight: float = 1.0, style_weight: float = 10.0,
                 tv_weight: float = 1.0):
        self.content_layers, self.style_layers = dict(content_layers), dict(style_layers)
        self.style_targets = {name: tf.cast(style_targets[name], tf.float32) for name in self.style_layers}
        self.style_scales = {name: tf.reduce_mean(tf.square(g)) for name, g in self.style_targets.items()}
        self.content_weight, self.style_weight, self.tv_weight = map(float, (content_weight, style_weight, tv_weight))

    def content(self, features: dict[str, tf.Tensor], content_targets: dict[str, tf.Tensor]) -> tf.Tensor:
        """C(x): per image, the weighted mean over layers of the relative squared error."""
        total = 0.0
        for name, w in self.content_layers.items():
            target = content_targets[name]
            per_image = (tf.reduce_mean(tf.square(features[name] - target), axis=[1, 2, 3])
                         / tf.reduce_mean(tf.square(target), axis=[1, 2, 3]))
            total += w * tf.reduce_mean(per_image)
        return total / sum(self.content_layers.values())

    def style(self, features: dict[str, tf.Tensor]) -> tf.Tensor:
        """S(x): the weighted mean over layers of |G_l(x) - A_l|^2 / |A_l|^2 (batch mean)."""
        total = 0.0
        for name, w in self.style_layers.items():
            error = tf.reduce_mean(tf.square(gram_matrix(features[name]) - self.style_targets[name]))
            total += w * error / self.style_scales[name]
        return total / sum(self.style_layers.values())

    def __call__(self, features: dict[str, tf.Tensor], images: tf.Tensor,
                 content_targets: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        return {"content": self.content_weight * self.content(features, content_targets),
                "style": self.style_weight * self.style(features),
                "tv": self.tv_weight * total_variation_loss(images)}
