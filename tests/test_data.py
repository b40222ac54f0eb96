import warnings

import numpy as np
import pytest

from helpers import smooth_image
from styletransfer import data
from styletransfer._tensorflow import tf
from styletransfer.errors import ImageError
from styletransfer.images import save_image


def batches(dataset):
    return [b.numpy() for b in dataset]


def test_batches_are_crops_that_depend_only_on_seed_and_step(photos):
    training = data.TrainingPhotos(photos, 32)
    a = batches(data.content_batches(training, 3, seed=1, start=0, stop=6))
    b = batches(data.content_batches(data.TrainingPhotos(photos, 32), 3, seed=1, start=0, stop=6))
    assert len(a) == 6 and a[0].shape == (3, 32, 32, 3)
    np.testing.assert_array_equal(np.stack(a), np.stack(b))
    assert not np.array_equal(a[4], a[5])
    other_seed = batches(data.content_batches(training, 3, seed=2, start=0, stop=6))
    assert not np.array_equal(np.stack(a), np.stack(other_seed))
    resumed = batches(data.content_batches(training, 3, seed=1, start=4, stop=6))
    np.testing.assert_array_equal(np.stack(resumed), np.stack(a[4:]))


def _contains(image, crop):
    """Whether `crop` is a window of `image` (checked at the positions where its first pixel matches)."""
    h, w = crop.shape[:2]
    rows, cols = np.nonzero((image[:image.shape[0] - h + 1, :image.shape[1] - w + 1] == crop[0, 0]).all(axis=-1))
    return any((image[r:r + h, c:c + w] == crop).all() for r, c in zip(rows, cols))


def test_each_crop_is_a_window_of_a_photo_at_a_random_scale_possibly_flipped(photos):
    """scale 36 and ZOOM 1.25: every crop is a window of a stored photo resized so that its
    shorter side is between 32 (the crop size; 36 / 1.25 is less) and 45 px, and both the
    scale and the flip vary."""
    training = data.TrainingPhotos(photos, 32, scale=36)
    assert training.stored_side == 45
    stored = [training.load(i) for i in range(len(training.paths))]
    crops = np.concatenate(batches(data.content_batches(training, 4, seed=0, start=0, stop=5)))
    candidates = []  # (a stored photo resized, possibly flipped; flipped?; its shorter side)
    for image in stored:
        short, long = sorted(image.shape[:2])
        for side in range(32, 46):
            for other in range(int(long * (side - 0.5) / short), int(long * (side + 0.5) / short) + 2):
                shape = (side, other) if image.shape[0] == short else (other, side)
                view = tf.image.resize(image, shape, antialias=True).numpy()
                candidates += [(view, False, side), (view[:, ::-1], True, side)]
    flipped, sides = 0, set()
    for crop in crops:
        found = [(was_flipped, side) for view, was_flipped, side in candidates if _contains(view, crop)]
        assert found
        was_flipped, side = found[-1]
        flipped += was_flipped
        sides.add(side)
    assert 0 < flipped < len(crops)
    assert len(sides) > 3 and min(sides) >= 32 and max(sides) <= 45


def test_style_images_keep_their_size_unless_given_a_scale():
    style = np.random.default_rng(0).uniform(size=(60, 80, 3)).astype(np.float32)
    assert data.style_images(style, 32)[0].shape == (60, 80, 3)
    assert data.style_images(style, 32, scale=45)[0].shape == (45, 60, 3)
    assert data.style_images(style, 64)[0].shape == (64, 85, 3)  # never under the crop size


def test_every_photo_is_used_once_per_epoch():
    order = data._file_order(5, 0, data.CONTENT, 0)
    firsts = [int(i) for i in order.take(15)]
    assert all(sorted(firsts[k:k + 5]) == list(range(5)) for k in (0, 5, 10)) and firsts[:5] != firsts[5:10]


def test_cached_and_streamed_batches_are_the_same(photos):
    training = data.TrainingPhotos(photos, 32)
    cached = batches(data.content_batches(training, 2, seed=3, start=0, stop=8))
    streamed = batches(data.content_batches(training, 2, seed=3, start=0, stop=8, cache_bytes=0))
    np.testing.assert_array_equal(np.stack(cached), np.stack(streamed))


def _resident_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


@pytest.mark.skipif(not __import__("os").path.exists("/proc/self/statm"), reason="reads /proc/self/statm (Linux)")
def test_a_large_folder_streams_in_flat_memory(tmp_path):
    """300 photos, scaled to 96 x 115 px (130 kB each, 40 MB in all), streamed: two epochs
    must not grow memory by more than a third of what holding them all would take."""
    rng = np.random.default_rng(0)
    for i in range(300):
        save_image(tmp_path / f"{i:03d}.png", rng.uniform(size=(100, 120, 3)))
    training = data.TrainingPhotos(tmp_path, 96)
    assert training.scaled_bytes > 39e6
    stream = iter(data.content_batches(training, 10, seed=0, start=0, stop=63, cache_bytes=0))
    for _ in range(3):
        next(stream)
    before = _resident_bytes()
    for _ in range(60):
        next(stream)
    assert _resident_bytes() - before < training.scaled_bytes / 3


def test_bad_files_are_skipped_with_one_warning_each(tmp_path):
    save_image(tmp_path / "good.png", smooth_image(1, 40, 40))
    (tmp_path / "broken.jpg").write_bytes(b"not a jpeg")
    save_image(tmp_path / "tiny.png", smooth_image(2, 20, 56))
    with pytest.warns(UserWarning) as record:
        training = data.TrainingPhotos(tmp_path, 32)
    assert sorted(str(w.message).split(":")[0].split("/")[-1] for w in record) == ["broken.jpg", "tiny.png"]
    assert sorted(p.name for p in training.skipped) == ["broken.jpg", "tiny.png"]
    assert [p.name for p in training.paths] == ["good.png"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(batches(data.content_batches(training, 2, seed=0, start=0, stop=3))) == 3
    (tmp_path / "good.png").unlink()
    with pytest.raises(ImageError, match="none of the 2 image files"), pytest.warns(UserWarning):
        data.TrainingPhotos(tmp_path, 32)


def test_a_photo_that_fails_to_decode_later_is_replaced_by_the_next(photos, tmp_path):
    for i in range(3):
        (tmp_path / f"p{i}.png").write_bytes((photos / f"photo{i}.png").read_bytes())
    training = data.TrainingPhotos(tmp_path, 32)
    data_bytes = (tmp_path / "p1.png").read_bytes()
    (tmp_path / "p1.png").write_bytes(data_bytes[: len(data_bytes) // 2])  # header intact, pixels cut
    with pytest.warns(UserWarning, match="p1.png"):
        got = batches(data.content_batches(training, 3, seed=0, start=0, stop=2, cache_bytes=0))
    assert len(got) == 2


def test_sources_can_mix_folders_and_files(photos):
    chosen = data.TrainingPhotos([photos / "photo2.png", photos], 32)
    assert chosen.paths[0].name == "photo2.png" and len(chosen.paths) == 5
    with pytest.raises(ImageError, match="no such folder"):
        data.TrainingPhotos(photos / "missing", 32)


def test_style_batches_crop_every_style_image():
    red, blue = np.zeros((40, 40, 3), np.float32), np.zeros((48, 40, 3), np.float32)
    red[..., 0], blue[..., 2] = 1, 1
    crops = np.concatenate(batches(data.style_batches([red, blue], 32, 4, seed=0, start=0, stop=5)))
    assert crops.shape == (20, 32, 32, 3)
    kinds = {(int(c[0, 0, 0]), int(c[0, 0, 2])) for c in crops}
    assert kinds == {(1, 0), (0, 1)}
    again = np.concatenate(batches(data.style_batches([red, blue], 32, 4, seed=0, start=3, stop=5)))
    np.testing.assert_array_equal(again, crops[12:])
