"""Load, resize and save images and folders of images.

Inside the package an image is float32 RGB in [0, 1] with shape (H, W, 3).
Every user mistake (missing path, corrupt or non-image file, empty folder, image
too small or too large) raises ImageError with one line naming the file.
"""

import contextlib
import dataclasses
import errno
import os
import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ._atomic import atomic_path
from .errors import ImageError, InputError
from .pixels import MIN_SIZE, as_unit_range

if TYPE_CHECKING:  # for the hints only: checking files must not wait for TensorFlow
    from ._tensorflow import tf

__all__ = ["MAX_PIXELS", "IMAGE_SUFFIXES", "image_files", "check_file", "load_image", "load_folder", "Folder", "resize_image", "save_image", "output_format", "check_image"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".gif")
SAVE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".bmp": "BMP", ".webp": "WEBP", ".tif": "TIFF", ".tiff": "TIFF"}


def _size_hw(size):
    if isinstance(size, int):
        return size, size
    h, w = size
    return int(h), int(w)


def resize_image(image: "np.ndarray | tf.Tensor", size: int | tuple[int, int] | None = None,
                 max_side: int | None = None) -> "np.ndarray | tf.Tensor":
    """Resize an (H, W, 3) or (B, H, W, 3) image to ``size`` = (height, width) (an int means square),
    or shrink it so its longer side is at most ``max_side`` keeping the aspect ratio
    (never enlarging). Antialiased bilinear; returns float32.
    """
    from ._tensorflow import tf  # here, not at the top: checking files must not wait for TensorFlow

    x = tf.convert_to_tensor(image, tf.float32)
    h, w = (int(d) for d in x.shape[-3:-1])
    if size is not None:
        target = _size_hw(size)
    elif max_side is not None and max(h, w) > max_side:
        scale = max_side / max(h, w)
        target = (max(1, round(h * scale)), max(1, round(w * scale)))
    else:
        return x.numpy() if tf.executing_eagerly() else x
    if target == (h, w):
        return x.numpy() if tf.executing_eagerly() else x
    out = tf.clip_by_value(tf.image.resize(x, target, method="bilinear", antialias=True), 0.0, 1.0)
    return out.numpy() if tf.executing_eagerly() else out


def _to_rgb_array(img):
    """A PIL image of any mode -> float32 RGB array in [0, 1]; transparency over white."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        gray = np.asarray(img, dtype=np.float32)
        peak = 65535.0 if img.mode.startswith("I;16") or gray.max(initial=0) > 255 else 255.0
        gray = np.clip(gray / peak, 0.0, 1.0)
        return np.repeat(gray[..., None], 3, axis=-1)
    if img.mode == "F":
        gray = np.clip(np.asarray(img, dtype=np.float32), 0.0, 1.0)
        return np.repeat(gray[..., None], 3, axis=-1)
    if img.mode == "P" and "transparency" in img.info or img.mode in ("RGBA", "LA", "PA"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, rgba)
    return np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0


MAX_PIXELS = int(os.environ.get("STYLETRANSFER_MAX_PIXELS", 100_000_000))
"""The most pixels an image file may have (100 megapixels: more than any camera photo; an
RGB image that size takes 1.2 GB as float32). Checked from the file's header before
decoding. Raise it with the environment variable STYLETRANSFER_MAX_PIXELS or by setting
``styletransfer.images.MAX_PIXELS``."""


def _check_pixels(path, width, height):
    if width * height > MAX_PIXELS:
        raise ImageError(f"{path}: {width}x{height} px ({width * height / 1e6:.0f} megapixels) is over the limit of "
                         f"{MAX_PIXELS / 1e6:.0f} megapixels; raise it with STYLETRANSFER_MAX_PIXELS if you mean it")


def _target_size(width, height, size, max_side):
    """The (width, height) `load_image` will return before its minimum-size check, or None
    if the image keeps its size."""
    if size is not None:
        h, w = _size_hw(size)
        return w, h
    if max_side is not None and max(width, height) > max_side:
        scale = max_side / max(width, height)
        return max(1, round(width * scale)), max(1, round(height * scale))
    return None


def _decode_reduced(img, target):
    """Decode `img` (an opened PIL image) at no more than about twice the `target` size when
    the target is smaller: JPEGs decode at a reduced scale (Pillow's draft mode), other
    formats are box-reduced by an integer factor right after decoding, so memory follows the
    target, not the file. The final resize to `target` is `resize_image`'s."""
    if target is None:
        return img
    if img.format == "JPEG":
        img.draft("RGB", (2 * target[0], 2 * target[1]))
    factor = min(img.size[0] // (2 * target[0]), img.size[1] // (2 * target[1]))
    if factor >= 2 and img.mode in ("RGB", "RGBA", "L", "LA", "1", "P"):
        img = img.convert("RGBA" if img.mode in ("LA", "P") else "RGB" if img.mode == "1" else img.mode).reduce(factor)
    return img


def load_image(path: str | Path, size: int | tuple[int, int] | None = None, max_side: int | None = None,
               min_size: int = MIN_SIZE) -> np.ndarray:
    """Read an image file as float32 RGB in [0, 1], shape (H, W, 3).

    Handles PNG, JPEG, BMP, WebP, TIFF and GIF (first frame); grayscale, RGBA,
    palette and 16-bit images; EXIF orientation. ``size`` = (height, width) or int
    resizes exactly; ``max_side`` shrinks keeping the aspect ratio. A file of more than
    `MAX_PIXELS` pixels is refused from its header, before decoding; when the result is
    smaller than the file, decoding is reduced on the way, so a large photo never takes
    its full size in memory. Raises ImageError if the file is missing, not an image,
    corrupt, over the pixel limit, or smaller than ``min_size`` px on a side after resizing.
    """
    with _opened(path) as img:
        image = _to_rgb_array(ImageOps.exif_transpose(_decode_reduced(img, _oriented_target(img, size, max_side))))
    image = resize_image(image, size=size, max_side=max_side)
    _check_min_size(path, *image.shape[:2], min_size)
    return image


def _check_min_size(path, h, w, min_size):
    if min(h, w) < min_size:
        raise ImageError(f"{path}: image of {h}x{w} px is too small; each side must be at least {min_size} px")


def check_file(path: str | Path, min_size: int | None = None) -> tuple[int, int]:
    """Check an image file from its header, without decoding it: it exists, Pillow can read
    its format, it is within `MAX_PIXELS` and (if `min_size` is given) each side has at
    least `min_size` px. Returns (width, height); raises ImageError with one line as
    `load_image` would. Cheap: run it on every input before long work."""
    with _opened(path) as img:
        w, h = img.size
    if min_size is not None:
        _check_min_size(path, h, w, min_size)
    return w, h


@contextlib.contextmanager
def _opened(path):
    """The image file at `path` opened by Pillow (header read, pixels not yet decoded) and
    checked against `MAX_PIXELS`; every failure, while opening or while the caller decodes,
    becomes an ImageError naming the file."""
    path = _existing(path)
    if path.is_dir():
        raise ImageError(f"{path}: is a folder, not an image file (use load_folder)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # MAX_PIXELS is the limit here
            with Image.open(path) as img:
                _check_pixels(path, *img.size)
                yield img
    except Image.DecompressionBombError as e:
        pixels = re.search(r"\((\d+) pixels\)", str(e))
        count = f"{int(pixels.group(1)) / 1e6:.0f} megapixels" if pixels else "too many pixels"
        limit = min(MAX_PIXELS, 2 * (Image.MAX_IMAGE_PIXELS or MAX_PIXELS))  # Pillow's own check came first
        raise ImageError(f"{path}: {count}, over the limit of {limit / 1e6:.0f} megapixels; raise it with "
                         "STYLETRANSFER_MAX_PIXELS (and PIL.Image.MAX_IMAGE_PIXELS) if you mean it") from None
    except UnidentifiedImageError:
        raise ImageError(f"{path}: not an image file (or a format Pillow cannot read)") from None
    except OSError as e:
        if e.errno in (errno.EACCES, errno.EPERM):
            raise ImageError(f"{path}: permission denied") from None
        raise ImageError(f"{path}: corrupt or truncated image ({e})") from None
    except (SyntaxError, ValueError) as e:
        raise ImageError(f"{path}: corrupt or truncated image ({e})") from None


def _existing(path):
    """`path` as a Path; ImageError naming what is wrong if nothing can be read there."""
    path = Path(path)
    try:
        os.stat(path)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise ImageError(f"{path}: a symbolic link that loops back on itself") from None
        if path.is_symlink():
            raise ImageError(f"{path}: a symbolic link to {os.readlink(path)}, which does not exist") from None
        if e.errno in (errno.EACCES, errno.EPERM):
            raise ImageError(f"{path}: permission denied") from None
        raise ImageError(f"{path}: no such file") from None
    return path


def _oriented_target(img, size, max_side):
    """`_target_size` in the file's own orientation (EXIF rotation swaps width and height)."""
    width, height = img.size
    rotated = img.getexif().get(0x0112, 1) in (5, 6, 7, 8)
    target = _target_size(*((height, width) if rotated else (width, height)), size, max_side)
    return None if target is None else (target[::-1] if rotated else target)


@dataclasses.dataclass
class Folder:
    """Images loaded from a folder: ``images`` (an (N, H, W, 3) array when a size was given,
    else a list), their ``paths``, and ``skipped`` (path, reason) pairs."""

    images: object
    paths: list
    skipped: list

    def __len__(self):
        return len(self.paths)


def image_files(folder: str | Path) -> list[Path]:
    """The image files of a folder, sorted by name: not recursive; hidden files and suffixes
    other than `IMAGE_SUFFIXES` are left out."""
    return sorted(p for p in Path(folder).iterdir()
                  if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_SUFFIXES)


def load_folder(folder: str | Path, size: int | tuple[int, int] | None = None, max_side: int | None = None,
                skip_bad: bool = False, min_size: int = MIN_SIZE) -> Folder:
    """Load every image file of a folder (sorted by name, not recursive; hidden files and
    non-image suffixes ignored) with `load_image`'s options.

    With ``skip_bad=True`` unreadable files are skipped, listed in ``Folder.skipped``
    and reported in one warning; otherwise the first one raises ImageError. Raises
    ImageError if the folder is missing or holds no loadable image.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ImageError(f"{folder}: no such folder")
    images, paths, skipped = [], [], []
    for path in image_files(folder):
        try:
            images.append(load_image(path, size=size, max_side=max_side, min_size=min_size))
            paths.append(path)
        except ImageError as e:
            if not skip_bad:
                raise
            skipped.append((path, str(e)))
    if skipped:
        warnings.warn(f"skipped {len(skipped)} unreadable file(s) in {folder}: " + "; ".join(r for _, r in skipped), stacklevel=2)
    if not images:
        raise ImageError(f"{folder}: no loadable images (looked for {', '.join(IMAGE_SUFFIXES)})")
    return Folder(np.stack(images) if size is not None else images, paths, skipped)


def check_image(image: "np.ndarray | tf.Tensor", name: str = "image") -> np.ndarray:
    """Return `image` as float32 (H, W, 3) or (B, H, W, 3) in [0, 1]: uint8 arrays are divided
    by 255; InputError for a bad shape, NaN/inf, or float values outside [0, 1] (see
    `pixels.as_unit_range`)."""
    x = np.asarray(image)
    if x.ndim not in (3, 4) or x.shape[-1] != 3:
        raise InputError(f"{name} must have shape (H, W, 3) or (B, H, W, 3), got {x.shape}")
    return as_unit_range(x, name)


def output_format(path: str | Path) -> str:
    """The Pillow format name for saving to `path`, from its suffix; ImageError if unknown."""
    fmt = SAVE_FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise ImageError(f"{path}: unknown image suffix {Path(path).suffix!r}; use one of {', '.join(SAVE_FORMATS)}")
    return fmt


def save_image(path: str | Path, image: "np.ndarray | tf.Tensor", quality: int = 95) -> Path:
    """Write an (H, W, 3) image in [0, 1] atomically (temporary file, then rename); the format
    follows the suffix (.png, .jpg, .bmp, .webp, .tif). Returns the path.

    Raises ImageError for an unknown suffix, InputError for a bad array.
    """
    path = Path(path)
    fmt = output_format(path)
    x = check_image(image)
    if x.ndim != 3:
        raise InputError(f"save_image takes one (H, W, 3) image, got shape {x.shape}")
    pixels = Image.fromarray(np.round(x * 255.0).astype(np.uint8), "RGB")
    with atomic_path(path) as tmp:
        pixels.save(tmp, format=fmt, **({"quality": quality} if fmt in ("JPEG", "WEBP") else {}))
    return path
