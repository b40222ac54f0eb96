import os
import struct
import subprocess
import sys
import zlib

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


def png_claiming(path, width, height):
    """A valid small PNG whose header claims width x height px (the pixel data stays tiny)."""
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(path)
    data = bytearray(path.read_bytes())
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    path.write_bytes(bytes(data))
    return path


def test_oversized_images_are_refused_from_the_header(tmp_path, monkeypatch):
    with pytest.raises(ImageError, match=r"13000x13000 px \(169 megapixels\) is over the limit of 100 megapixels; "
                                         "raise it with STYLETRANSFER_MAX_PIXELS") as info:
        images.load_image(png_claiming(tmp_path / "claims.png", 13000, 13000))
    assert "\n" not in str(info.value)
    with pytest.raises(ImageError, match="400 megapixels, over the limit"):  # past Pillow's own bomb check too
        images.load_image(png_claiming(tmp_path / "bomb.png", 20000, 20000))
    Image.fromarray(np.zeros((100, 100, 3), np.uint8)).save(tmp_path / "ok.png")
    monkeypatch.setattr(images, "MAX_PIXELS", 5000)
    with pytest.raises(ImageError, match="ok.png: 100x100 px"):
        images.load_image(tmp_path / "ok.png")
    monkeypatch.setattr(images, "MAX_PIXELS", 10000)
    assert images.load_image(tmp_path / "ok.png").shape == (100, 100, 3)


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_large_photos_decode_reduced_close_to_a_full_decode(tmp_path, suffix):
    x, y = np.meshgrid(np.linspace(0, 1, 1200), np.linspace(0, 1, 900))
    smooth = np.stack([x, y, 0.5 + 0.5 * np.sin(6 * x * y)], -1)
    Image.fromarray(np.round(smooth * 255).astype(np.uint8)).save(tmp_path / f"big{suffix}", quality=95)
    reduced = images.load_image(tmp_path / f"big{suffix}", max_side=100)
    full = images.resize_image(images.load_image(tmp_path / f"big{suffix}"), max_side=100)
    assert reduced.shape == full.shape == (75, 100, 3)
    assert np.abs(reduced - full).mean() < 0.01


def test_a_large_jpeg_never_takes_its_full_size_in_memory(tmp_path):
    """An 8000 x 6000 photo decoded in full takes 144 MB (uint8) and 576 MB as float32;
    loading it at max_side=512 must stay far below that."""
    path = tmp_path / "photo.jpg"
    Image.linear_gradient("L").resize((8000, 6000)).convert("RGB").save(path, quality=90)
    script = f"""
import resource
import numpy as np
from styletransfer import images
images.resize_image(np.zeros((600, 800, 3), np.float32), max_side=512)  # TensorFlow's first-use allocations
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
image = images.load_image({str(path)!r}, max_side=512)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(image.shape, (after - before) // 1024)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    assert out[:3] == ["(384,", "512,", "3)"] and int(out[3]) < 100  # MB above the peak before loading


def test_symbolic_links_that_loop_or_dangle_are_named(tmp_path):
    os.symlink(tmp_path / "b.png", tmp_path / "a.png")
    os.symlink(tmp_path / "a.png", tmp_path / "b.png")
    with pytest.raises(ImageError, match="a.png: a symbolic link that loops"):
        images.load_image(tmp_path / "a.png")
    os.symlink(tmp_path / "gone.png", tmp_path / "dangling.png")
    with pytest.raises(ImageError, match="dangling.png: a symbolic link to .*gone.png, which does not exist"):
        images.load_image(tmp_path / "dangling.png")


def test_arrays_in_0_255_are_refused_and_uint8_is_converted(tmp_path, photo):
    with pytest.raises(InputError, match=r"values in \[0, 25\d\], outside \[0, 1\]; divide values in 0..255 by 255"):
        images.check_image(photo.astype(np.float32))
    np.testing.assert_allclose(images.check_image(photo), photo / 255.0, atol=1e-7)
    np.testing.assert_array_equal(images.check_image(np.full((4, 4, 3), 1.03, np.float32)), 1.0)  # within tolerance
    with pytest.raises(InputError, match="dtype int64"):
        images.check_image(photo.astype(np.int64))
    with pytest.raises(InputError, match="divide"):
        images.save_image(tmp_path / "white.png", photo.astype(np.float32))
    assert not (tmp_path / "white.png").exists()
    path = images.save_image(tmp_path / "ok.png", photo)
    np.testing.assert_allclose(images.load_image(path), photo / 255.0, atol=1e-6)


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


def test_a_killed_save_leaves_a_temporary_that_the_next_write_removes(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)  # a process id that has ended
    stale = tmp_path / f".out.png.{pid}.k3x9_q.styletransfer-tmp.png"
    stale.write_bytes(b"half a PNG")
    live = tmp_path / f".out.png.{os.getpid()}.a1b2c3.styletransfer-tmp.png"   # a write still going on
    live.write_bytes(b"being written")
    mine = tmp_path / ".out.png.tmp"   # not this package's pattern
    mine.write_bytes(b"user file")
    images.save_image(tmp_path / "other.png", np.zeros((32, 32, 3), np.float32))
    assert not stale.exists() and live.exists() and mine.exists()
