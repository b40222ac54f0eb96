import numpy as np
import pytest

from styletransfer.losses import PerceptualLoss, blended_gram_targets


def gram(f):
    """(H, W, C) -> (C, C), the mean over positions of outer products."""
    x = f.reshape(-1, f.shape[-1]).astype(np.float64)
    return x.T @ x / len(x)


def reference(features, images, content_targets, style_targets, c_layers, s_layers, a, b, t):
    """The module docstring's formula, written out with numpy, image by image."""
    content = np.mean([sum(w * np.mean((features[n][i] - content_targets[n][i]) ** 2) / np.mean(content_targets[n][i] ** 2)
                           for n, w in c_layers.items()) / sum(c_layers.values()) for i in range(len(images))])
    style = sum(w * np.mean([np.mean((gram(features[n][i]) - style_targets[n]) ** 2) for i in range(len(images))])
                / np.mean(style_targets[n] ** 2) for n, w in s_layers.items()) / sum(s_layers.values())
    tv = np.mean(np.abs(np.diff(images, axis=1))) + np.mean(np.abs(np.diff(images, axis=2)))
    return {"content": a * content, "style": b * style, "tv": t * tv}


def test_the_loss_is_the_documented_formula(rng):
    c_layers, s_layers = {"c": 1.0}, {"s1": 2.0, "s2": 1.0}
    shapes = {"c": (2, 6, 5, 4), "s1": (2, 8, 7, 3), "s2": (2, 4, 4, 5)}
    features = {n: rng.normal(size=s).astype(np.float32) for n, s in shapes.items()}
    content_targets = {"c": (rng.normal(size=shapes["c"]) * [1, 2, 3, 4]).astype(np.float32)}
    style_targets = {n: gram(rng.normal(size=shapes[n][1:])) for n in s_layers}
    images = rng.uniform(size=(2, 9, 8, 3)).astype(np.float32)
    loss = PerceptualLoss(c_layers, s_layers, style_targets, 0.5, 3.0, 2.0)
    got = {k: float(v) for k, v in loss(features, images, content_targets).items()}
    expected = reference(features, images, content_targets, style_targets, c_layers, s_layers, 0.5, 3.0, 2.0)
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5)


def test_style_targets_blend_by_weight(rng):
    a, b = ({"s": rng.normal(size=(1, 6, 6, 3)).astype(np.float32)} for _ in range(2))
    blended = blended_gram_targets([a, b], ["s"], blend=[3, 1])["s"].numpy()
    np.testing.assert_allclose(blended, 0.75 * gram(a["s"][0]) + 0.25 * gram(b["s"][0]), rtol=1e-5)
    np.testing.assert_allclose(blended_gram_targets([a], ["s"])["s"], gram(a["s"][0]), rtol=1e-5)


def test_scaling_features_and_targets_together_leaves_the_loss_unchanged(rng):
    features = {"l": rng.normal(size=(1, 6, 6, 4)).astype(np.float32)}
    target = {"l": rng.normal(size=(1, 6, 6, 4)).astype(np.float32)}
    images = rng.uniform(size=(1, 6, 6, 3)).astype(np.float32)

    def value(scale):
        loss = PerceptualLoss({"l": 1.0}, {"l": 1.0}, blended_gram_targets([{"l": scale * target["l"]}], ["l"]))
        return {k: float(v) for k, v in loss({"l": scale * features["l"]}, images, {"l": scale * target["l"]}).items()}

    small, large = value(1.0), value(30.0)
    assert small == pytest.approx(large, rel=1e-4)
