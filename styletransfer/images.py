"""Load, resize and save images and folders of images.

Inside the package an image is float32 RGB in [0, 1] with shape (H, W, 3).
Every user mistake (missing path, corrupt or non-image file, empty folder, image
too small or too large) raises ImageError with one line naming the file.
"""

import dataclasses
import warnings
from pathlib import Path

import numpy as np
import tensorflow as tf
from PIL import Image, ImageOps, UnidentifiedImageError

from ._atomic import atomic_path
from .errors import ImageError, InputError
from .features import MIN_SIZE

__all__ = ["IMAGE_SUFFIXES", "image_files", "load_image", "load_folder", "Folder", "resize_image", "save_image", "output_format", "check_image"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".gif")
SAVE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".bmp": "BMP", ".webp": "WEBP", ".tif": "TIFF", ".tiff": "TIFF"}


def _size_hw(size):
    if isinstance(size, int):
        return size, size
    h, w = size
    return int(h), int(w)


def resize_image(image, size=None, max_side=None):
    """Resize an (H, W, 3) or (B, H, W, 3) image to ``size`` = (height, width) (an int means square),
    or shrink it so its longer side is at most ``max_side`` keeping the aspect ratio
    (never enlarging). Antialiased bilinear; returns float32.
    """
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


def load_image(path, size=None, max_side=None, min_size=MIN_SIZE):
    """Read an image file as float32 RGB in [0, 1], shape (H, W, 3).

    Handles PNG, JPEG, BMP, WebP, TIFF and GIF (first frame); grayscale, RGBA,
    palette and 16-bit images; EXIF orientation. ``size`` = (height, width) or int
    resizes exactly; ``max_side`` shrinks keeping the aspect ratio. Raises ImageError
    if the file is missing, not an image, corrupt, too large to decode safely, or
    smaller than ``min_size`` px on a side after resizing.
    """
    path = Path(path)
    if not path.exists():
        raise ImageError(f"{path}: no such file")
    if path.is_dir():
        raise ImageError(f"{path}: is a folder, not an image file (use load_folder)")
    try:
        with Image.open(path) as img:
            if max_side is not None and size is None and img.format == "JPEG":
                img.draft("RGB", (max_side, max_side))
            img = ImageOps.exif_transpose(img)
            image = _to_rgb_array(img)
    except Image.DecompressionBombError as e:
        raise ImageError(f"{path}: image too large to decode safely ({e.args[0].split('(')[0].strip()})") from None
    except UnidentifiedImageError:
        raise ImageError(f"{path}: not an image file (or a format Pillow cannot read)") from None
    except (OSError, SyntaxError, ValueError) as e:
        raise ImageError(f"{path}: corrupt or truncated image ({e})") from None
    image = resize_image(image, size=size, max_side=max_side)
    if min(image.shape[:2]) < min_size:
        h, w = image.shape[:2]
        raise ImageError(f"{path}: image of {h}x{w} px is too small; each side must be at least {min_size} px")
    return image


@dataclasses.dataclass
class Folder:
    """Images loaded from a folder: ``images`` (an (N, H, W, 3) array when a size was given,
    else a list), their ``paths``, and ``skipped`` (path, reason) pairs."""

    images: object
    paths: list
    skipped: list

    def __len__(self):
        return len(self.paths)


def image_files(folder):
    """The image files of a folder, sorted by name: not recursive; hidden files and suffixes
    other than `IMAGE_SUFFIXES` are left out."""
    return sorted(p for p in Path(folder).iterdir()
                  if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_SUFFIXES)


def load_folder(folder, size=None, max_side=None, skip_bad=False, min_size=MIN_SIZE):
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


def check_image(image, name="image"):
    """Return `image` as float32 (H, W, 3) or (B, H, W, 3) in [0, 1]; InputError for a bad
    shape or NaN/inf. Values outside [0, 1] are clipped."""
    x = np.asarray(image, dtype=np.float32)
    if x.ndim not in (3, 4) or x.shape[-1] != 3:
        raise InputError(f"{name} must have shape (H, W, 3) or (B, H, W, 3), got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise InputError(f"{name} contains NaN or infinite values")
    return np.clip(x, 0.0, 1.0)


def output_format(path):
    """The Pillow format name for saving to `path`, from its suffix; ImageError if unknown."""
    fmt = SAVE_FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise ImageError(f"{path}: unknown image suffix {Path(path).suffix!r}; use one of {', '.join(SAVE_FORMATS)}")
    return fmt


def save_image(path, image, quality=95):
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
