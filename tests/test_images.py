import numpy as np
import pytest
from PIL import Image

from styletransfer import images
from styletransfer.errors import ImageError, InputError


@pytest.fixture
def photo(rng):
    return (rng.uniform(size=(40, 60, 3)) * 255).astype(np.uint8)


@pytest.mark.parametrize("suffix", [".png", ".bmp", ".webp", ".tif"])
def test_lossless_formats_round_trip(tmp_path, photo, suffix):
    path = tmp_path / f"x{suffix}"
    Image.fromarray(photo).save(path, **({"lossless": True} if suffix == ".webp" else {}))
    loaded = images.load_image(path)
    assert loaded.dtype == np.float32 and loaded.shape == (40, 60, 3)
    np.testing.assert_allclose(loaded, photo / 255.0, atol=1e-6)


def test_jpeg_loads_close_to_the_original(tmp_path):
    smooth = np.linspace(0, 255, 64 * 64 * 3).reshape(64, 64, 3).astype(np.uint8)
    Image.fromarray(smooth).save(tmp_path / "x.jpg", quality=95)
    assert np.abs(images.load_image(tmp_path / "x.jpg") - smooth / 255.0).mean() < 0.02


def test_grayscale_palette_rgba_and_16_bit(tmp_path, photo):
    gray = photo[..., 0]
    Image.fromarray(gray, "L").save(tmp_path / "gray.png")
    np.testing.assert_allclose(images.load_image(tmp_path / "gray.png"), np.repeat(gray[..., None] / 255.0, 3, -1), atol=1e-6)

    Image.fromarray(photo).convert("P").save(tmp_path / "palette.png")
    expected = np.asarray(Image.fromarray(photo).convert("P").convert("RGB")) / 255.0
    np.testing.assert_allclose(images.load_image(tmp_path / "palette.png"), expected, atol=1e-6)

    rgba = np.dstack([photo, np.zeros_like(photo[..., 0])])  # fully transparent -> white
    rgba[:, :30, 3] = 255  # left half opaque
    Image.fromarray(rgba, "RGBA").save(tmp_path / "rgba.png")
    loaded = images.load_image(tmp_path / "rgba.png")
    np.testing.assert_allclose(loaded[:, :30], photo[:, :30] / 255.0, atol=1e-6)
    np.testing.assert_allclose(loaded[:, 30:], 1.0)

    deep = (np.linspace(0, 65535, 40 * 60).reshape(40, 60)).astype(np.uint16)
    Image.fromarray(deep).save(tmp_path / "deep.png")
    loaded = images.load_image(tmp_path / "deep.png")
    np.testing.assert_allclose(loaded[..., 1], deep / 65535.0, atol=1e-5)


def test_exif_orientation_is_applied(tmp_path, photo):
    img = Image.fromarray(photo)  # 60 wide, 40 high
    exif = img.getexif()
    exif[0x0112] = 6  # stored rotated: display rotated 90 degrees clockwise
    img.save(tmp_path / "rotated.jpg", exif=exif, quality=95)
    loaded = images.load_image(tmp_path / "rotated.jpg")
    assert loaded.shape == (60, 40, 3)


def test_resizing(tmp_path, photo):
    Image.fromarray(photo).save(tmp_path / "x.png")
    assert images.load_image(tmp_path / "x.png", size=(48, 32)).shape == (48, 32, 3)
    assert images.load_image(tmp_path / "x.png", size=50).shape == (50, 50, 3)
    assert images.load_image(tmp_path / "x.png", max_side=45, min_size=8).shape == (30, 45, 3)
    assert images.load_image(tmp_path / "x.png", max_side=500).shape == (40, 60, 3)  # never enlarged
    flat = np.full((40, 60, 3), 0.25, np.float32)
    np.testing.assert_allclose(images.resize_image(flat, (20, 30)), 0.25, atol=1e-6)


def test_bad_files_get_one_line_errors(tmp_path):
    with pytest.raises(ImageError, match="no such file"):
        images.load_image(tmp_path / "missing.png")
    (tmp_path / "notes.jpg").write_text("this is text, not a JPEG")
    with pytest.raises(ImageError, match="notes.jpg: not an image file"):
        images.load_image(tmp_path / "notes.jpg")
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(tmp_path / "full.png")
    (tmp_path / "cut.png").write_bytes((tmp_path / "full.png").read_bytes()[:-40])
    with pytest.raises(ImageError, match="cut.png: corrupt or truncated") as info:
        images.load_image(tmp_path / "cut.png")
    assert "\n" not in str(info.value)
    Image.fromarray(np.zeros((20, 64, 3), np.uint8)).save(tmp_path / "thin.png")
    with pytest.raises(ImageError, match="thin.png: image of 20x64 px is too small"):
        images.load_image(tmp_path / "thin.png")
    with pytest.raises(ImageError, match="is a folder"):
        images.load_image(tmp_path)


def test_huge_images_are_refused(tmp_path, monkeypatch):
    Image.fromarray(np.zeros((100, 100, 3), np.uint8)).save(tmp_path / "big.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 10,000 px > 2x the limit
    with pytest.raises(ImageError, match="big.png: image too large"):
        images.load_image(tmp_path / "big.png")


def test_folder_loading(tmp_path, photo):
    for name in ("b.png", "a.jpg"):
        Image.fromarray(photo).save(tmp_path / name)
    (tmp_path / "README.md").write_text("ignored")
    (tmp_path / ".hidden.png").write_bytes(b"ignored")
    folder = images.load_folder(tmp_path, size=(32, 32))
    assert [p.name for p in folder.paths] == ["a.jpg", "b.png"]
    assert folder.images.shape == (2, 32, 32, 3) and folder.skipped == []
    (tmp_path / "broken.png").write_text("oops")
    with pytest.raises(ImageError, match="broken.png"):
        images.load_folder(tmp_path)
    with pytest.warns(UserWarning, match="skipped 1 unreadable file"):
        folder = images.load_folder(tmp_path, skip_bad=True)
    assert len(folder) == 2 and folder.skipped[0][0].name == "broken.png"
    assert isinstance(folder.images, list)


def test_empty_and_missing_folders(tmp_path):
    with pytest.raises(ImageError, match="no such folder"):
        images.load_folder(tmp_path / "nope")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ImageError, match="no loadable images"):
        images.load_folder(tmp_path)


def test_save_round_trip_and_errors(tmp_path, rng):
    image = rng.uniform(size=(32, 48, 3)).astype(np.float32)
    path = images.save_image(tmp_path / "out" / "x.png", image)
    np.testing.assert_allclose(images.load_image(path), np.round(image * 255) / 255, atol=1e-6)
    assert list((tmp_path / "out").iterdir()) == [path]  # no temporary file left behind
    with pytest.raises(ImageError, match="unknown image suffix"):
        images.save_image(tmp_path / "x.gif2", image)
    with pytest.raises(InputError, match="NaN"):
        images.save_image(tmp_path / "y.png", np.full((32, 32, 3), np.nan))
    with pytest.raises(InputError, match="shape"):
        images.save_image(tmp_path / "y.png", np.zeros((32, 32)))


def test_interrupted_save_keeps_the_previous_file(tmp_path, rng, monkeypatch):
    path = images.save_image(tmp_path / "keep.png", np.zeros((32, 32, 3)))
    before = path.read_bytes()

    def crash(self, fp, *args, **kwargs):
        with open(fp, "wb") as f:
            f.write(b"\x89PNG half written")
        raise KeyboardInterrupt

    monkeypatch.setattr(Image.Image, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        images.save_image(path, np.ones((32, 32, 3)))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep.png"]
