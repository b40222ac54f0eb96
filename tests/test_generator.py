import zipfile

import numpy as np
import pytest

from helpers import smooth_image
from styletransfer.errors import ImageError, InputError, StyleTransferError
from styletransfer.generator import Generator, InstanceNormalization, apply, load_generator, conv_on_blocks, upsample_conv
from styletransfer.images import resize_image, save_image


@pytest.fixture(scope="module")
def generator():
    g = Generator(width=4, res_blocks=1)
    g.build()
    return g


@pytest.mark.parametrize("shape", [(2, 33, 45, 3), (1, 9, 13, 3), (1, 64, 48, 3)])
def test_output_has_the_input_shape(generator, shape):
    x = np.random.default_rng(0).uniform(size=shape).astype(np.float32)
    y = generator(x).numpy()
    assert y.shape == shape
    assert 0 <= y.min() and y.max() <= 1


def test_instance_normalization_matches_numpy(rng):
    x = rng.normal(2.0, 3.0, size=(2, 5, 7, 4)).astype(np.float32)
    layer = InstanceNormalization()
    layer.build(x.shape)
    layer.gamma.assign(np.arange(1, 5, dtype=np.float32))
    layer.beta.assign(np.full(4, 0.5, np.float32))
    mean = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    expected = np.arange(1, 5) * (x - mean) / np.sqrt(var + 1e-5) + 0.5
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-4, atol=1e-4)
    given = (np.zeros_like(mean), np.ones_like(var))
    np.testing.assert_allclose(layer(x, stats=given).numpy(), np.arange(1, 5) * x / np.sqrt(1 + 1e-5) + 0.5, rtol=1e-5)


@pytest.mark.parametrize("shape", [(2, 5, 7, 3), (1, 1, 4, 2)])
def test_upsample_conv_equals_resize_pad_and_convolve_in_numpy(rng, shape):
    x = rng.normal(size=shape).astype(np.float32)
    kernel = rng.normal(size=(3, 3, shape[-1], 4)).astype(np.float32)
    up = np.repeat(np.repeat(x, 2, axis=1), 2, axis=2)  # nearest x2
    padded = np.pad(up, [(0, 0), (1, 1), (1, 1), (0, 0)], mode="reflect")
    h, w = up.shape[1:3]
    expected = sum(np.einsum("bhwi,io->bhwo", padded[:, r:r + h, s:s + w], kernel[r, s]) for r in range(3) for s in range(3))
    np.testing.assert_allclose(upsample_conv(x, kernel).numpy(), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape, size", [((2, 14, 11, 3), 9), ((1, 9, 8, 2), 5), ((1, 4, 7, 1), 3)])
def test_conv_on_blocks_equals_a_direct_convolution_in_numpy(rng, shape, size):
    x = rng.normal(size=shape).astype(np.float32)
    kernel = rng.normal(size=(size, size, shape[-1], 3)).astype(np.float32)
    h, w = shape[1] - size + 1, shape[2] - size + 1
    expected = sum(np.einsum("bhwi,io->bhwo", x[:, r:r + h, s:s + w], kernel[r, s]) for r in range(size) for s in range(size))
    np.testing.assert_allclose(conv_on_blocks(x, kernel).numpy(), expected, rtol=1e-4, atol=1e-4)


def test_each_image_is_normalised_on_its_own(generator):
    a, b = smooth_image(1, 32, 32)[None], smooth_image(2, 32, 32)[None]
    together = generator(np.concatenate([a, b])).numpy()
    np.testing.assert_allclose(together[1:], generator(b).numpy(), atol=1e-5)
    stats = generator.norm_stats(a)
    np.testing.assert_allclose(generator(a, stats=stats).numpy(), together[:1], atol=1e-5)
    assert not np.allclose(generator(b, stats=stats).numpy(), together[1:], atol=1e-3)


def test_tiled_inference_equals_untiled_away_from_the_overlaps(generator):
    """Width 200 with tiles of 128 px overlapping by 56: tiles at x = 0 and x = 72. The tiny
    generator sees 22 px around a pixel, so outside [72, 128) and in its middle both agree."""
    image = smooth_image(3, 96, 200)
    wide = apply(generator, image, tile=128, overlap=56)
    stats = generator.norm_stats(resize_image(image, max_side=128)[None])  # what apply normalises tiles with
    whole = generator(image[None], stats=stats)[0].numpy()
    assert wide.shape == image.shape
    np.testing.assert_allclose(wide[:, :72], whole[:, :72], atol=1e-5)
    np.testing.assert_allclose(wide[:, 128:], whole[:, 128:], atol=1e-5)
    np.testing.assert_allclose(wide[:, 95:106], whole[:, 95:106], atol=1e-5)
    assert np.abs(wide - whole).max() < 0.01  # and inside the overlap the blend hides the tile borders


def test_tiles_in_both_directions_blend_without_seams(generator):
    image = smooth_image(4, 150, 330)
    out = apply(generator, image, tile=96, overlap=56)  # 3 x 5 tiles
    whole = generator(image[None], stats=generator.norm_stats(resize_image(image, max_side=96)[None]))[0].numpy()
    assert out.shape == image.shape
    assert np.abs(out - whole).max() < 0.01


def test_saved_generator_round_trips(generator, tmp_path):
    path = tmp_path / "g.keras"
    generator.save(path)
    image = smooth_image(5, 40, 52)
    np.testing.assert_allclose(apply(path, image), apply(generator, image), atol=1e-6)
    save_image(tmp_path / "photo.png", image)
    outputs = apply(load_generator(path), [tmp_path / "photo.png", image])
    assert len(outputs) == 2 and outputs[0].shape == (40, 52, 3)


def test_bad_model_files_and_images_give_one_line_errors(generator, tmp_path):
    with pytest.raises(StyleTransferError, match="no such model file"):
        load_generator(tmp_path / "missing.keras")
    (tmp_path / "junk.keras").write_bytes(b"not a zip")
    with pytest.raises(StyleTransferError, match=r"junk.keras: not a saved model \(a .keras file is a zip archive"):
        load_generator(tmp_path / "junk.keras")
    with zipfile.ZipFile(tmp_path / "other.keras", "w") as archive:
        archive.writestr("notes.txt", "a zip, but not a Keras model")
    with pytest.raises(StyleTransferError, match="other.keras: not a saved generator"):
        load_generator(tmp_path / "other.keras")
    with pytest.raises(InputError, match="too small"):
        apply(generator, np.zeros((5, 40, 3), np.float32))
    with pytest.raises(InputError, match="NaN"):
        apply(generator, np.full((16, 16, 3), np.nan, np.float32))
    with pytest.raises(ImageError, match="no such file"):
        apply(generator, tmp_path / "missing.png")


@pytest.mark.parametrize("length", [129, 200, 1000, 3000, 4001])
@pytest.mark.parametrize("grid", [4, 8])
def test_tiles_cover_the_axis_on_the_downsampling_grid(length, grid):
    from styletransfer.tiling import tiles

    starts, size = tiles(length, 1024 if length > 1000 else 128, 32, grid)
    assert size <= (1024 if length > 1000 else 128) and starts[0] == 0
    assert all(s % grid == 0 for s in starts) and starts[-1] + size >= length
    assert all(0 < b - a <= size - 32 for a, b in zip(starts, starts[1:]))


def test_apply_refuses_0_255_floats_and_takes_uint8(generator):
    photo = (smooth_image(1, 40, 48) * 255).astype(np.float32)
    with pytest.raises(InputError, match="divide values in 0..255 by 255"):
        apply(generator, photo)
    np.testing.assert_allclose(apply(generator, photo.round().astype(np.uint8)), apply(generator, photo.round() / 255),
                               atol=1e-5)
