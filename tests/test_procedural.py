import numpy as np
import pytest

from helpers import REPO
from styletransfer import images, procedural
from styletransfer.errors import InputError


@pytest.mark.parametrize("seed,family", list(enumerate(["mosaic", "waves", "strokes", "stripes"])))
def test_the_defaults_draw_the_sample_styles(seed, family):
    drawn = procedural.FAMILIES[family](np.random.default_rng(seed))
    stored = images.load_image(REPO / "data" / "styles" / f"{family}.jpg")
    assert drawn.shape == stored.shape == (384, 384, 3)
    other = procedural.FAMILIES[family](np.random.default_rng(seed + 10))
    error = np.mean(np.abs(drawn - stored))  # the stored files are JPEG, quality 88
    assert error < 0.05 and error < 0.3 * np.mean(np.abs(other - stored))


def test_style_collection_draws_new_images_of_every_family():
    images, labels = procedural.style_collection(2, side=48, seed=5)
    assert len(images) == 8 and labels.tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    assert all(im.shape == (48, 48, 3) and im.dtype == np.float32 and 0 <= im.min() <= im.max() <= 1 for im in images)
    again, _ = procedural.style_collection(2, side=48, seed=5)
    other, _ = procedural.style_collection(2, side=48, seed=6)
    assert all(np.array_equal(a, b) for a, b in zip(images, again))
    assert not any(np.array_equal(a, b) for a, b in zip(images, other))
    with pytest.raises(InputError, match="family"):
        procedural.random_style("cubism", np.random.default_rng(0))


def test_a_palette_with_a_spread_keeps_its_colours_within_it_of_one_centre():
    rng = np.random.default_rng(3)
    for spread in (0.05, 0.3, 1.0):
        palette = np.array(procedural.random_palette(rng, 50, spread))
        assert palette.shape == (50, 3) and palette.min() >= 0 and palette.max() <= 255
        assert (np.ptp(palette, axis=0) <= 2 * spread * 255 + 1).all()   # all within +-spread x 255 of one centre
    wide = np.array(procedural.random_palette(np.random.default_rng(0), 200))
    narrow = np.array(procedural.random_palette(np.random.default_rng(0), 200, 0.05))
    assert np.std(narrow, axis=0).max() < 0.2 * np.std(wide, axis=0).min()
    style = procedural.random_style("stripes", np.random.default_rng(1), 64, spread=0.05)
    assert np.ptp(style.reshape(-1, 3), axis=0).max() <= 2 * 0.05 + 1 / 255   # the image is in 0..1, the palette in 0..255
