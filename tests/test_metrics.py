import numpy as np
import pytest
import tensorflow as tf
from scipy import ndimage

import reference_nets as ref
from helpers import smooth_image
from styletransfer import images, metrics
from styletransfer import lpips as lpips_module
from styletransfer.errors import InputError
from styletransfer.features import FeatureExtractor


def np_gram(x):
    b, h, w, c = x.shape
    flat = x.reshape(b, h * w, c).astype(np.float64)
    return np.einsum("bpc,bpd->bcd", flat, flat) / (h * w)


def test_gram_matches_numpy_and_is_symmetric_psd(rng):
    x = rng.normal(size=(2, 5, 7, 4)).astype(np.float32)
    g = metrics.gram_matrix(x).numpy()
    np.testing.assert_allclose(g, np_gram(x), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g, np.swapaxes(g, 1, 2), atol=1e-6)
    assert np.linalg.eigvalsh(g).min() > -1e-5
    np.testing.assert_allclose(metrics.gram_matrix(x[0]).numpy(), g[0], rtol=1e-6)


def test_gram_is_invariant_to_permuting_positions(rng):
    x = rng.normal(size=(1, 6, 6, 3)).astype(np.float32)
    shuffled = rng.permutation(x.reshape(36, 3)).reshape(1, 6, 6, 3)
    np.testing.assert_allclose(metrics.gram_matrix(x), metrics.gram_matrix(shuffled), rtol=1e-5, atol=1e-6)


def test_gram_does_not_depend_on_image_size_for_a_repeated_texture(rng):
    tile = rng.normal(size=(1, 4, 4, 3)).astype(np.float32)
    np.testing.assert_allclose(metrics.gram_matrix(tile), metrics.gram_matrix(np.tile(tile, (1, 3, 2, 1))), rtol=1e-5)


def test_losses_match_numpy(rng):
    f, p = rng.normal(size=(2, 2, 6, 5, 3)).astype(np.float32)
    np.testing.assert_allclose(metrics.content_loss(f, p), np.mean((f - p) ** 2), rtol=1e-5)
    target = np_gram(p)
    np.testing.assert_allclose(metrics.style_loss(f, target), np.mean((np_gram(f) - target) ** 2), rtol=1e-4)
    images = rng.uniform(size=(2, 6, 5, 3)).astype(np.float32)
    tv = np.mean(np.abs(np.diff(images, axis=1))) + np.mean(np.abs(np.diff(images, axis=2)))
    np.testing.assert_allclose(metrics.total_variation_loss(images), tv, rtol=1e-5)
    assert float(metrics.total_variation_loss(np.full((8, 8, 3), 0.3))) == 0.0


def test_losses_are_differentiable():
    x = tf.Variable(np.random.default_rng(1).uniform(size=(1, 8, 8, 3)).astype(np.float32))
    with tf.GradientTape() as tape:
        loss = metrics.style_loss(x, np.eye(3, dtype=np.float32)) + metrics.total_variation_loss(x)
    grad = tape.gradient(loss, x)
    assert grad is not None and float(tf.reduce_sum(tf.abs(grad))) > 0


def test_distances_match_numpy(rng):
    a, b = rng.normal(size=(2, 3, 4, 5)).astype(np.float64)
    np.testing.assert_allclose(metrics.euclidean_distance(a, b), np.sqrt(np.mean((a - b) ** 2)), rtol=1e-5)
    cos = np.sum(a * b) / np.linalg.norm(a) / np.linalg.norm(b)
    np.testing.assert_allclose(metrics.cosine_similarity(a, b), cos, rtol=1e-5)
    np.testing.assert_allclose(metrics.cosine_similarity(a, 3 * a), 1.0, rtol=1e-6)
    np.testing.assert_allclose(metrics.cosine_similarity(a, -a), -1.0, rtol=1e-6)
    with pytest.raises(InputError, match="shapes differ"):
        metrics.euclidean_distance(a, b[:2])


def test_cosine_stays_in_range(rng):
    for _ in range(20):
        a, b = rng.normal(size=(2, 10)) * rng.uniform(0.01, 100)
        assert -1.0 - 1e-6 <= float(metrics.cosine_similarity(a, b)) <= 1.0 + 1e-6


@pytest.mark.parametrize("metric", ["euclidean", "cosine", "gram"])
def test_similarity_matrix_matches_pairwise_loop(rng, metric):
    a = rng.normal(size=(3, 4, 4, 6)).astype(np.float32)
    b = rng.normal(size=(2, 4, 4, 6)).astype(np.float32)
    expected = np.zeros((3, 2))
    for i in range(3):
        for j in range(2):
            if metric == "euclidean":
                expected[i, j] = np.sqrt(np.mean((a[i] - b[j]) ** 2))
            elif metric == "cosine":
                expected[i, j] = np.sum(a[i] * b[j]) / np.linalg.norm(a[i]) / np.linalg.norm(b[j])
            else:
                expected[i, j] = np.sqrt(np.mean((np_gram(a[i : i + 1]) - np_gram(b[j : j + 1])) ** 2))
    np.testing.assert_allclose(metrics.similarity_matrix(a, b, metric), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("metric", ["euclidean", "gram"])
def test_an_item_is_at_distance_zero_from_itself_even_with_large_entries(rng, metric):
    a = (1000.0 + rng.normal(size=(3, 8, 8, 16))).astype(np.float32)  # Gram entries about 1e6
    d = metrics.similarity_matrix(a, a, metric).numpy()
    assert np.all(np.diag(d) == 0.0) and d[~np.eye(3, dtype=bool)].min() > 0


def test_similarity_matrix_rejects_bad_input(rng):
    with pytest.raises(InputError, match="unknown metric"):
        metrics.similarity_matrix(np.ones((1, 4)), np.ones((1, 4)), "manhattan")
    with pytest.raises(InputError, match="cannot compare"):
        metrics.similarity_matrix(np.ones((1, 4, 4, 3)), np.ones((1, 5, 4, 3)), "cosine")


def test_set_similarity_averages_layers_and_finds_the_identical_image():
    extractor = FeatureExtractor(["block1_conv1", "block2_conv1"], weights=None, seed=1)
    images = [smooth_image(s, 32, 40) for s in range(3)]
    m = metrics.set_similarity(extractor, images, images[::-1], "gram")
    assert m.shape == (3, 3)
    np.testing.assert_allclose(np.diag(m[:, ::-1]), 0.0, atol=1e-5)
    assert m[0, 2] < m[0, 0]
    cos = metrics.set_similarity(extractor, images, images, "cosine")
    np.testing.assert_allclose(np.diag(cos), 1.0, atol=1e-5)
    with pytest.raises(InputError, match="one size"):
        metrics.set_similarity(extractor, [images[0], smooth_image(9, 48, 48)], images, "cosine")


@pytest.mark.network
def test_lpips_vgg_matches_the_reference_implementation(lpips_images):
    # Distances printed by the reference PyTorch LPIPS v0.1 (net='vgg') for its example images.
    ref_img, p0, p1 = lpips_images
    assert round(float(metrics.lpips(ref_img, p0, "vgg")), 3) == 0.569
    assert round(float(metrics.lpips(ref_img, p1, "vgg")), 3) == 0.422


@pytest.mark.network
@pytest.mark.parametrize("net,weights", [("vgg", "vgg16_weights"), ("alex", "alexnet_weights")])
def test_lpips_matches_numpy_reference(lpips_images, net, weights, request):
    w = request.getfixturevalue(weights)
    forward = ref.vgg16 if net == "vgg" else ref.alexnet
    layers = (1, 3, 6, 9, 12) if net == "vgg" else (0, 1, 2, 3, 4)
    ref_img, p0, _ = lpips_images
    expected = ref.lpips(ref_img, p0, lambda x: forward(x, w.kernels, w.biases), w.lpips_heads, layers)
    np.testing.assert_allclose(float(metrics.lpips(ref_img, p0, net)), expected, rtol=2e-3)


@pytest.mark.network
@pytest.mark.parametrize("net", ["vgg", "alex"])
def test_lpips_properties(lpips_images, net):
    ref_img, p0, _ = lpips_images
    assert float(metrics.lpips(ref_img, ref_img, net)) == pytest.approx(0.0, abs=1e-6)
    np.testing.assert_allclose(metrics.lpips(ref_img, p0, net), metrics.lpips(p0, ref_img, net), rtol=1e-5)
    noise = np.random.default_rng(0).normal(size=ref_img.shape).astype(np.float32)
    light, heavy = (np.clip(ref_img + s * noise, 0, 1) for s in (0.03, 0.15))
    d = metrics.lpips(np.stack([ref_img, ref_img]), np.stack([light, heavy]), net).numpy()
    assert 0 < d[0] < d[1]


def test_lpips_rejects_mismatched_shapes(lpips_images):
    with pytest.raises(InputError, match="same shape"):
        metrics.lpips(lpips_images[0], lpips_images[0][:40], "vgg")


def test_laplacian_pyramid_reconstructs_the_image_and_flat_images_have_no_bands(rng):
    image = rng.uniform(size=(37, 50, 3)).astype(np.float32)
    levels = metrics.laplacian_pyramid(image, 4)
    assert [lv.shape[:2] for lv in levels] == [(37, 50), (19, 25), (10, 13), (5, 7)]
    rebuilt = levels[-1]
    for band in levels[-2::-1]:
        rebuilt = band + metrics._upsample(rebuilt, band.shape)
    np.testing.assert_allclose(rebuilt, image, atol=1e-5)
    flat = metrics.laplacian_pyramid(np.full((32, 32, 3), 0.4, np.float32), 3)
    assert all(np.abs(band).max() < 1e-6 for band in flat[:-1])
    np.testing.assert_allclose(flat[-1], 0.4, atol=1e-6)


def test_sliced_wasserstein_matches_scipy_per_direction(rng):
    from scipy.stats import wasserstein_distance

    a, b = rng.normal(size=(200, 5)), rng.normal(1.0, 2.0, size=(200, 5))
    directions = rng.normal(size=(5, 7))
    directions /= np.linalg.norm(directions, axis=0)
    expected = np.mean([wasserstein_distance(a @ d, b @ d) for d in directions.T])
    np.testing.assert_allclose(metrics._sliced_wasserstein(a, b, directions), expected, rtol=1e-10)


def test_style_distance_ignores_position_and_sees_texture_colour_and_contrast():
    noise = np.random.default_rng(2).uniform(size=(160, 160, 3)).astype(np.float32)
    texture = np.clip(0.5 + 2 * (ndimage.gaussian_filter(noise, (1, 1, 0)) - 0.5), 0, 1)  # stationary
    style = (texture * [0.9, 0.5, 0.3] + [0.05, 0.3, 0.6]).astype(np.float32)  # in orange-blue tones
    same = metrics.style_distance(style, style)
    shifted = metrics.style_distance(style[:, 20:], style[:, :-20])       # other positions, same texture
    mirrored = metrics.style_distance(style[::-1, ::-1], style)
    assert max(same, shifted, mirrored) < 0.1
    smooth = metrics.style_distance(smooth_image(3, 160, 160), style)       # no fine texture
    recoloured = metrics.style_distance(style[..., ::-1], style)          # channels swapped
    flat = metrics.style_distance(0.5 + 0.2 * (style - 0.5), style)       # less contrast
    assert min(smooth, recoloured, flat) > 5 * max(same, shifted, mirrored)
    noisy = [metrics.style_distance(np.clip(style + s * (style - 0.5), 0, 1), style) for s in (0.1, 0.3, 0.6)]
    assert noisy[0] < noisy[1] < noisy[2]


def test_style_distance_is_seeded_and_uses_the_levels_that_fit():
    a, b = smooth_image(4, 240, 256), smooth_image(5, 120, 112)
    assert metrics.style_distance(a, b, seed=3) == metrics.style_distance(a, b, seed=3)
    assert len(metrics.style_distance_per_level(a, a, levels=4, patch=7)) == 4   # 240 px: 30 px at level 4
    assert len(metrics.style_distance_per_level(a, b, levels=4, patch=7)) == 3   # 112 px: 28 px at level 3
    assert len(metrics.style_distance_per_level(a, b[:50], levels=4, patch=7)) == 1
    with pytest.raises(InputError, match="at least 14 px"):
        metrics.style_distance(a, b[:13])
    with pytest.raises(InputError, match=r"one \(H, W, 3\) image"):
        metrics.style_distance(a[..., :2], b)
    with pytest.raises(InputError, match="NaN"):
        metrics.style_distance(np.full_like(a, np.nan), b)


@pytest.mark.network
@pytest.mark.parametrize("net", ["vgg", "alex"])
def test_lpips_in_tiles_equals_lpips_in_one_pass(rng, monkeypatch, net):
    noise = ndimage.gaussian_filter(rng.uniform(size=(464, 480, 3)), (3, 3, 0))
    a = np.clip(0.5 + 3 * (noise - 0.5), 0, 1).astype(np.float32)
    b = np.clip(a + 0.1 * rng.standard_normal(a.shape), 0, 1).astype(np.float32)
    whole = float(metrics.lpips(a, b, net))
    monkeypatch.setattr(lpips_module, "LPIPS_TILE", 448)  # cores of 192 px: 3 x 3 tiles
    assert [len(lpips_module._tile_spans(n, 448, 128)) for n in (464, 480)] == [3, 3]
    np.testing.assert_allclose(float(metrics.lpips(a, b, net)), whole, rtol=1e-5)
    monkeypatch.setattr(lpips_module, "LPIPS_TILE", 256)  # the same cores with too little context:
    monkeypatch.setattr(lpips_module, "LPIPS_MARGIN", 32)  # the tiles no longer agree
    assert [len(lpips_module._tile_spans(n, 256, 32)) for n in (464, 480)] == [3, 3]
    assert abs(float(metrics.lpips(a, b, net)) - whole) > 1e-4


@pytest.mark.network
def test_lpips_downscales_past_max_side_and_takes_uint8(lpips_images):
    ref_img, p0, _ = lpips_images
    big = [np.repeat(np.repeat(x, 4, 0), 4, 1) for x in (ref_img, p0)]  # 256 x 256
    with pytest.warns(UserWarning, match=r"256x256 px images downscaled to at most 64 px"):
        small = float(metrics.lpips(*big, max_side=64))
    shrunk = [images.resize_image(x, max_side=64) for x in big]
    np.testing.assert_allclose(small, float(metrics.lpips(*shrunk)), rtol=1e-6)
    as_uint8 = [np.round(x * 255).astype(np.uint8) for x in (ref_img, p0)]
    np.testing.assert_allclose(float(metrics.lpips(*as_uint8)), float(metrics.lpips(ref_img, p0)), rtol=1e-5)
    with pytest.raises(InputError, match="divide values in 0..255 by 255"):
        metrics.lpips(ref_img * 255, p0 * 255)


def test_colour_distance_is_the_sliced_wasserstein_distance_of_the_pixel_colours(rng):
    a = rng.uniform(size=(40, 50, 3)).astype(np.float32)
    b = (0.2 + 0.5 * rng.uniform(size=(30, 20, 3))).astype(np.float32)
    # numpy reference: the same pixel samples and directions, W1 of sorted projections
    r = np.random.default_rng(3)
    pa = a.reshape(-1, 3)[r.integers(2000, size=1000)].astype(np.float64)
    pb = b.reshape(-1, 3)[r.integers(600, size=1000)].astype(np.float64)
    d = r.normal(size=(3, 16))
    d /= np.linalg.norm(d, axis=0)
    expected = np.mean([np.mean(np.abs(np.sort(pa @ d[:, k]) - np.sort(pb @ d[:, k]))) for k in range(16)])
    assert metrics.colour_distance(a, b, samples=1000, projections=16, seed=3) == pytest.approx(expected, rel=1e-9)


def test_colour_distance_ignores_where_colours_are_and_sees_a_grey_wash(rng):
    image = rng.uniform(size=(64, 64, 3)).astype(np.float32)
    shuffled = rng.permutation(image.reshape(-1, 3)).reshape(image.shape)
    assert metrics.colour_distance(shuffled, image) < 0.01
    washed = 0.5 * image + 0.25  # half the contrast, towards grey
    assert metrics.colour_distance(washed, image) > 5 * metrics.colour_distance(shuffled, image)
    shift = np.clip(image + np.float32(0.1), 0, 1)
    assert metrics.colour_distance(shift, image) > metrics.colour_distance(shuffled, image)
