"""The training data of the generator: random crops of content photos and of style images,
as a `tf.data` pipeline whose batches depend only on the seed and the step.

Sample i (batch k holds samples kB .. kB + B - 1) is a size x size crop, flipped
left-right with probability 1/2, of one photo scaled so its shorter side is a random length
between scale / ZOOM and scale x ZOOM px (at least size): the crop size sets the cost of a
step, the scale the size in the photo of what the generator learns to paint, so a
generator trained on small crops of photos at scale 256 stylises a 256-px photo as it
learned. The photos are visited epoch by epoch, each epoch in its own order (a stateless
shuffle seeded by (seed, epoch)), and the scale, crop and flip are drawn statelessly from
(seed, i): a run resumed at step k builds the same pipeline from sample kB on and sees
exactly the batches the uninterrupted run would have seen.

Each photo is decoded and scaled (to shorter side scale x ZOOM) once per epoch, in
parallel, and, when all the scaled photos fit in `CACHE_BYTES`, once per run: they are then
kept in memory and only resized and cropped.
A larger folder streams (a folder of 100,000 photos is never held in memory). Photos are
decoded by `images.load_image`, not `tf.io.decode_image`: TensorFlow's decoder ignores
EXIF orientation (a phone photo would train sideways), reads no TIFF and cannot reduce a
large PNG while decoding. Files that cannot be read are skipped with one warning each:
from their headers before training starts, or, if decoding fails later, when first met
(the next photo of the epoch's order takes the sample's place).
"""

import warnings
from pathlib import Path

import numpy as np

from ._tensorflow import tf
from .errors import ImageError
from .images import IMAGE_SUFFIXES, check_file, check_image, image_files, load_folder, load_image, resize_image
from .pixels import MIN_SIZE
from .procedural import FAMILIES, random_style

__all__ = ["TrainingPhotos", "training_batches", "content_batches", "style_batches", "drawn_style_batches", "style_images",
           "shorter_side", "CACHE_BYTES"]

CACHE_BYTES = 512 * 2**20  # scaled photos kept in memory when they all fit
ZOOM = 1.25  # photos are scaled to a random shorter side between scale / ZOOM and scale * ZOOM
PALETTE_SPREAD = (0.05, 1.0)  # drawn styles' palette spread (procedural.random_palette), uniform in this range

# Streams of random numbers drawn from one seed: content crops, style crops, sample-grid photos.
CONTENT, STYLE, SAMPLES = 0, 1, 2


def shorter_side(image: np.ndarray, size: int) -> np.ndarray:
    """`image` scaled so its shorter side is `size` px."""
    h, w = image.shape[:2]
    return resize_image(image, size=_scaled_shape(w, h, size))


def _scaled_shape(width, height, size):
    """(height, width) of a width x height image scaled so its shorter side is `size`."""
    scale = size / min(width, height)
    return max(size, round(height * scale)), max(size, round(width * scale))


class TrainingPhotos:
    """The content photos of a run: a folder, or a list of folders and image files.

    Every file's header is read here, before training: files that are not images, are
    corrupt, over the pixel limit or under `MIN_SIZE` px are skipped with one warning each and
    listed in `skipped` ({path: reason}). Raises ImageError if a source does not exist or no
    file is left. `size` is the crop size, `scale` (default: `size`) the photos' shorter side
    before the random zoom (see the module doc).
    """

    def __init__(self, sources, size: int, scale: int | None = None):
        sources = [sources] if isinstance(sources, (str, Path)) else list(sources)
        candidates = []
        for source in map(Path, sources):
            if source.is_dir():
                candidates += image_files(source)
            elif source.is_file():
                candidates.append(source)
            else:
                raise ImageError(f"{source}: no such folder or file")
        where = ", ".join(map(str, sources))
        if not candidates:
            raise ImageError(f"{where}: no images (looked for {', '.join(IMAGE_SUFFIXES)})")
        self.size, self.scale, self.paths, self.shapes, self.skipped = size, scale or size, [], [], {}
        self.stored_side = max(size, int(np.ceil(self.scale * ZOOM)))  # the largest shorter side a sample needs
        for path in candidates:
            try:
                width, height = check_file(path, min_size=MIN_SIZE)
            except ImageError as e:
                self.skipped[path] = str(e)
                warnings.warn(f"skipped {e}", stacklevel=2)
                continue
            self.paths.append(path)
            self.shapes.append(_scaled_shape(width, height, self.stored_side))
        if not self.paths:
            raise ImageError(f"{where}: none of the {len(candidates)} image files could be read")

    @property
    def scaled_bytes(self) -> int:
        """Memory that all the photos take once scaled (float32)."""
        return sum(h * w * 3 * 4 for h, w in self.shapes)

    def load(self, index: int) -> np.ndarray:
        """Photo `index` scaled to shorter side `stored_side`, decoded reduced when it is larger."""
        h, w = self.shapes[index]
        return shorter_side(load_image(self.paths[index], max_side=max(h, w)), self.stored_side)

    def load_or_next(self, index: int) -> np.ndarray:
        """`load(index)`, or if that file fails to decode, the next one that does (warned once each)."""
        for k in range(len(self.paths)):
            try:
                return self.load((index + k) % len(self.paths))
            except ImageError as e:
                warnings.warn(f"skipped {e}", stacklevel=2)
        raise ImageError(f"none of the {len(self.paths)} photos could be decoded")


class _Packed:
    """Images of different sizes in one flat float32 tensor: ``image(i)`` slices one out in
    the graph, so a pipeline can pick any of them without Python."""

    def __init__(self, images):
        sizes = [image.size for image in images]
        self.offsets = tf.constant(np.concatenate([[0], np.cumsum(sizes)]), tf.int64)
        self.shapes = tf.constant([image.shape for image in images], tf.int64)
        self.pixels = tf.constant(np.concatenate([np.ravel(image) for image in images]).astype(np.float32))
        self.count = len(images)

    def image(self, i):
        return tf.reshape(self.pixels[self.offsets[i]:self.offsets[i + 1]], self.shapes[i])


def _seed(seed, stream, i):
    """The stateless seed pair of sample i of a stream."""
    return tf.stack([tf.constant(seed, tf.int64), tf.constant(stream, tf.int64) * 2**40 + tf.cast(i, tf.int64)])


def _random_crop(image, size, seed_pair):
    crop_seed, flip_seed = tf.unstack(tf.random.split(seed_pair, 2))
    crop = tf.image.stateless_random_crop(image, (size, size, 3), seed=crop_seed)
    return tf.image.stateless_random_flip_left_right(crop, seed=flip_seed)


def _file_order(count, seed, stream, first):
    """File indices for samples first, first + 1, ...: every epoch a stateless shuffle of
    range(count) seeded by (seed, stream, epoch)."""

    def epoch_order(epoch):
        order = tf.random.experimental.stateless_shuffle(tf.range(count, dtype=tf.int64), seed=_seed(seed, stream, epoch))
        return tf.data.Dataset.from_tensor_slices(order)

    return tf.data.Dataset.range(first // count, 2**40).flat_map(epoch_order).skip(first % count)


def content_batches(photos: TrainingPhotos, batch: int, seed: int, start: int, stop: int, stream: int = CONTENT,
                    cache_bytes: int = CACHE_BYTES) -> tf.data.Dataset:
    """(batch, size, size, 3) crops of `photos` for steps start .. stop - 1 (see the module doc).

    The photos are decoded once and kept in memory if their scaled size is within
    `cache_bytes`, else decoded again each epoch (streamed); the batches are the same either way.
    """
    size, first = photos.size, start * batch
    if photos.scaled_bytes <= cache_bytes:
        packed = _Packed([photos.load_or_next(i) for i in range(len(photos.paths))])
        image_of = packed.image
    else:
        def image_of(index):
            image = tf.numpy_function(lambda i: photos.load_or_next(int(i)), [index], tf.float32, stateful=False)
            return tf.ensure_shape(image, (None, None, 3))

    low, high = max(size, photos.scale / ZOOM), max(size, photos.scale * ZOOM)

    def crop(i, index):
        zoom_seed, crop_seed = tf.unstack(tf.random.split(_seed(seed, stream, i), 2))
        image = image_of(index)
        shape = tf.cast(tf.shape(image)[:2], tf.float32)
        side = tf.random.stateless_uniform((), zoom_seed, low, high)
        scaled = tf.maximum(size, tf.cast(tf.round(shape * side / tf.reduce_min(shape)), tf.int32))
        return _random_crop(tf.image.resize(image, scaled, antialias=True), size, crop_seed)

    samples = tf.data.Dataset.zip(tf.data.Dataset.range(first, stop * batch),
                                  _file_order(len(photos.paths), seed, stream, first))
    return samples.map(crop, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).batch(batch, drop_remainder=True)


def style_batches(styles: list, size: int, batch: int, seed: int, start: int, stop: int) -> tf.data.Dataset:
    """(batch, size, size, 3) crops of the `styles` (each at least size px on both sides) for
    steps start .. stop - 1: sample i crops a style image drawn from (seed, i)."""
    packed = _Packed(styles)

    def crop(i):
        pick_seed, crop_seed = tf.unstack(tf.random.split(_seed(seed, STYLE, i), 2))
        index = tf.random.stateless_uniform((), pick_seed, maxval=packed.count, dtype=tf.int64)
        return _random_crop(packed.image(index), size, crop_seed)

    samples = tf.data.Dataset.range(start * batch, stop * batch)
    return samples.map(crop, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).batch(batch, drop_remainder=True)


def drawn_style_batches(styles: list, size: int, batch: int, seed: int, start: int, stop: int, drawn: float,
                        stream: int = STYLE) -> tf.data.Dataset:
    """(batch, size, size, 3) style samples for steps start .. stop - 1 from an unlimited
    supply of styles: sample i is, with probability `drawn`, a new image drawn by
    `procedural.random_style` (a random family, scale and palette, the palette's spread uniform
    in PALETTE_SPREAD so that narrow palettes, as in many paintings, come too; seeded by (seed, stream,
    i)), else a crop of one of `styles` as in `style_batches`. `styles` may be empty when
    `drawn` is 1."""
    if not styles and drawn < 1:
        raise ImageError("no style images to crop: give style images or draw every style (drawn=1)")
    families = list(FAMILIES)
    packed = _Packed(styles) if styles else None

    def draw(i):
        rng = np.random.default_rng([seed, stream, int(i)])
        return random_style(families[rng.integers(len(families))], rng, size, spread=rng.uniform(*PALETTE_SPREAD))

    def sample(i):
        choice_seed, pick_seed, crop_seed = tf.unstack(tf.random.split(_seed(seed, stream, i), 3))
        drawn_image = lambda: tf.ensure_shape(tf.numpy_function(draw, [i], tf.float32, stateful=False), (size, size, 3))
        if packed is None:
            return drawn_image()

        def cropped():
            index = tf.random.stateless_uniform((), pick_seed, maxval=packed.count, dtype=tf.int64)
            return _random_crop(packed.image(index), size, crop_seed)

        return tf.cond(tf.random.stateless_uniform((), choice_seed) < drawn, drawn_image, cropped)

    samples = tf.data.Dataset.range(start * batch, stop * batch)
    return samples.map(sample, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).batch(batch, drop_remainder=True)


def training_batches(photos: TrainingPhotos, styles: list, batch: int, seed: int, start: int, stop: int) -> tf.data.Dataset:
    """(content crops, style crops) for steps start .. stop - 1, prefetched."""
    return tf.data.Dataset.zip(content_batches(photos, batch, seed, start, stop),
                               style_batches(styles, photos.size, batch, seed, start, stop)).prefetch(tf.data.AUTOTUNE)


def style_images(style, size: int, scale: int | None = None) -> list:
    """Style images (a path/array, a folder, or a list of them), each scaled so its shorter
    side is `scale`, or kept at its own size when `scale` is None (as `optimize.stylize` keeps
    it), but at least `size` (the training crops them)."""
    images = []
    for source in style if isinstance(style, (list, tuple)) else [style]:
        if isinstance(source, (str, Path)) and Path(source).is_dir():
            images += load_folder(source, skip_bad=True).images
        else:
            images.append(load_image(source) if isinstance(source, (str, Path)) else source)
    images = [check_image(image, "style") for image in images]
    return [shorter_side(image, max(size, scale or min(image.shape[:2]))) for image in images]
