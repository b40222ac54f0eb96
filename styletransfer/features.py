"""FeatureExtractor: a frozen ImageNet CNN mapping images to {layer name: feature map}."""

import dataclasses
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from ._tensorflow import keras, tf
from .errors import InputError
from .pixels import MIN_SIZE, as_unit_range
from .seeding import glorot_uniform
from .settings import PRECISIONS
from .weights import NETS, TORCHVISION, Preprocessing, load_weights

__all__ = ["FeatureExtractor", "layer_names", "MIN_SIZE", "as_image_batch", "bfloat16_supported", "compute_policy"]

VGG_BLOCKS = {"vgg16": (2, 2, 3, 3, 3), "vgg19": (2, 2, 4, 4, 4)}
VGG_WIDTHS = (64, 128, 256, 512, 512)
# AlexNet (torchvision): (name, filters, kernel, stride, padding); pools are 3x3 stride 2.
ALEXNET_CONVS = (
    ("conv1", 64, 11, 4, 2),
    ("conv2", 192, 5, 1, 2),
    ("conv3", 384, 3, 1, 1),
    ("conv4", 256, 3, 1, 1),
    ("conv5", 256, 3, 1, 1),
)
ALEXNET_POOL_AFTER = ("conv1", "conv2", "conv5")


def bfloat16_supported() -> bool:
    """Whether this CPU computes in bfloat16 natively (the AVX512_BF16 or AMX_BF16 flags of
    /proc/cpuinfo); elsewhere bfloat16 is emulated and slower than float32."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def compute_policy(precision: str) -> str | None:
    """The Keras dtype policy of layers that compute in `precision` ("float32" or
    "bfloat16"): "mixed_bfloat16" keeps their weights in float32 and computes in bfloat16.
    Asking for bfloat16 on a CPU without it warns (one line) and gives float32. Raises
    InputError for another precision."""
    if precision not in PRECISIONS:
        raise InputError(f"precision must be one of {', '.join(map(repr, PRECISIONS))}, got {precision!r}")
    if precision == "float32":
        return None
    if not bfloat16_supported():
        warnings.warn("this CPU has no bfloat16 instructions (AVX512_BF16 or AMX); running in float32", stacklevel=3)
        return None
    return "mixed_bfloat16"


def layer_names(net: str = "vgg16") -> list[str]:
    """Names of the feature layers of `net`, in order (convs include their ReLU).

    VGG follows Keras (``block1_conv1`` ... ``block5_pool``); AlexNet uses
    ``conv1`` ... ``conv5`` and ``pool1``, ``pool2``, ``pool5``.
    """
    if net not in NETS:
        raise InputError(f"unknown network {net!r}; choose one of {sorted(NETS)}")
    return [layer.name for layer in _layers(net, "max", 0) if not layer.name.endswith("_pad")]


class Preprocess(keras.layers.Layer):
    """Keras layer applying a fixed `Preprocessing` (the one bound to the weights)."""

    def __init__(self, preprocessing: Preprocessing | dict, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(preprocessing, dict):  # from get_config
            preprocessing = Preprocessing(**{k: tuple(v) if isinstance(v, list) else v for k, v in preprocessing.items()})
        self.preprocessing = preprocessing

    def call(self, x: tf.Tensor) -> tf.Tensor:
        return self.preprocessing(x)

    def get_config(self) -> dict:
        return {**super().get_config(), "preprocessing": dataclasses.asdict(self.preprocessing)}


def _layers(net, pooling, seed, dtype=None):
    """The Keras layers of `net`'s feature part, in order (created lazily), with the dtype
    policy `dtype`; convolution kernels start random from `seed` (replaced when pretrained
    weights are loaded)."""
    kernels = glorot_uniform(seed)
    pool = keras.layers.MaxPooling2D if pooling == "max" else keras.layers.AveragePooling2D
    if net == "alexnet":
        for name, filters, kernel, stride, pad in ALEXNET_CONVS:
            yield keras.layers.ZeroPadding2D(pad, name=f"{name}_pad", dtype=dtype)
            yield keras.layers.Conv2D(filters, kernel, strides=stride, activation="relu", kernel_initializer=next(kernels),
                                      name=name, dtype=dtype)
            if name in ALEXNET_POOL_AFTER:
                yield pool(3, strides=2, name="pool" + name[-1], dtype=dtype)
        return
    for block, n in enumerate(VGG_BLOCKS[net], start=1):
        for i in range(1, n + 1):
            yield keras.layers.Conv2D(VGG_WIDTHS[block - 1], 3, padding="same", activation="relu",
                                      kernel_initializer=next(kernels), name=f"block{block}_conv{i}", dtype=dtype)
        yield pool(2, strides=2, name=f"block{block}_pool", dtype=dtype)


def _build(net, last_layer, pooling, seed, dtype=None):
    """Keras layers of `net` up to and including `last_layer`: nothing deeper is built."""
    layers = []
    for layer in _layers(net, pooling, seed, dtype):
        layers.append(layer)
        if layer.name == last_layer:
            break
    return layers


def as_image_batch(images: np.ndarray | tf.Tensor, min_size: int = MIN_SIZE) -> tuple[tf.Tensor, bool]:
    """Images as a float32 (B, H, W, 3) tensor, and whether a batch axis was added.

    Arrays follow `pixels.as_unit_range` (uint8 is converted; float outside [0, 1], NaN or
    inf raise InputError); float tensors are checked the same way when eager, and left as
    they are, so gradients flow through. Raises InputError for a wrong shape or a side
    below `min_size`.
    """
    if not tf.is_tensor(images):
        images = as_unit_range(images, "images")
    elif images.dtype == tf.uint8:
        images = tf.cast(images, tf.float32) / 255.0
    x = tf.cast(images, tf.float32)
    if tf.executing_eagerly() and tf.is_tensor(images) and tf.size(x) > 0:
        as_unit_range(np.array([float(tf.reduce_min(x)), float(tf.reduce_max(x))], np.float32), "images")
    unbatched = x.shape.rank == 3
    if unbatched:
        x = x[None]
    if x.shape.rank != 4 or x.shape[-1] != 3:
        raise InputError(f"images must have shape (H, W, 3) or (B, H, W, 3), got {tuple(x.shape)}")
    h, w = x.shape[1], x.shape[2]
    if h is not None and w is not None and min(h, w) < min_size:
        raise InputError(f"image of {h}x{w} px is too small: each side must be at least {min_size} px")
    return x, unbatched


class FeatureExtractor:
    """A frozen ImageNet CNN: RGB images in [0, 1] -> {layer name: feature map}.

    Args:
        layers: layer names to return (see `layer_names`); the network is cut after
            the deepest one, so no unused layer runs.
        net: 'vgg16' (default), 'alexnet' (lighter) or 'vgg19' (Keras weights only).
        weights: a source for `styletransfer.weights.load_weights` ('imagenet',
            'keras' or a file path), or None for a random initialisation from `seed`.
        pooling: 'max' (as trained) or 'avg' (smoother gradients for stylisation).
        seed: the seed for weights=None.
        precision: 'float32' or 'bfloat16' (the network computes in bfloat16, about 1.5 times
            as fast on CPUs that have it; its outputs are returned as float32, so losses stay
            float32). On a CPU without bfloat16 it warns and computes in float32.

    Calling it on (H, W, 3) or (B, H, W, 3) images returns feature maps with the same
    batch convention. The preprocessing that belongs to the weights is applied inside.
    Raises WeightsError when weights cannot be had, InputError for bad layer names.
    """

    def __init__(self, layers: str | Iterable[str], net: str = "vgg16", weights: str | Path | None = "imagenet",
                 pooling: str = "max", seed: int = 0, precision: str = "float32"):
        layers = [layers] if isinstance(layers, str) else list(layers)
        order = layer_names(net)
        unknown = [name for name in layers if name not in order]
        if unknown or not layers:
            raise InputError(f"unknown {net} layer(s) {unknown or '[]'}; choose from {order}")
        if pooling not in ("max", "avg"):
            raise InputError(f"pooling must be 'max' or 'avg', got {pooling!r}")
        self.net, self.layers = net, layers
        self.policy = compute_policy(precision)
        self.precision = "bfloat16" if self.policy else "float32"
        self.weights = load_weights(net, weights) if weights is not None else None
        self.preprocessing = self.weights.preprocessing if self.weights else TORCHVISION
        deepest = max(layers, key=order.index)
        self.model = self._model(deepest, pooling, seed)

    def _model(self, deepest, pooling, seed):
        inputs = keras.Input((None, None, 3), name="rgb_0_1")
        x = Preprocess(self.preprocessing, name="preprocess")(inputs)
        outputs, convs = {}, []
        for layer in _build(self.net, deepest, pooling, seed, self.policy):
            x = layer(x)
            if isinstance(layer, keras.layers.Conv2D):
                convs.append(layer)
            if layer.name in self.layers:
                outputs[layer.name] = x
        if self.weights is not None:
            for layer, kernel, bias in zip(convs, self.weights.kernels, self.weights.biases):
                layer.set_weights([kernel, bias])
        model = keras.Model(inputs, outputs, name=f"{self.net}_features")
        model.trainable = False
        return model

    @property
    def conv_layers(self) -> list[keras.layers.Conv2D]:
        """The Conv2D layers of the (cut) network, in order."""
        return [layer for layer in self.model.layers if isinstance(layer, keras.layers.Conv2D)]

    def unfreeze(self, from_layer: str) -> "FeatureExtractor":
        """Make `from_layer` and every conv after it trainable (for fine-tuning); returns self."""
        names = [layer.name for layer in self.conv_layers]
        if from_layer not in names:
            raise InputError(f"cannot unfreeze from {from_layer!r}: the network has {names}")
        self.model.trainable = True
        start = names.index(from_layer)
        for i, layer in enumerate(self.conv_layers):
            layer.trainable = i >= start
        return self

    def maps(self, images: tf.Tensor | keras.KerasTensor, training: bool = False) -> dict[str, tf.Tensor]:
        """The fast path: a float32 (B, H, W, 3) tensor in [0, 1] (or a Keras input) ->
        {layer: (B, h, w, C) maps}, without the checks of calling the extractor, so it can run
        inside a `tf.function` or a training step; the caller guarantees shape and range."""
        outputs = dict(self.model(images, training=training))
        if self.policy is None:
            return outputs
        return {name: keras.ops.cast(f, "float32") for name, f in outputs.items()}  # also for a Keras input

    def __call__(self, images: np.ndarray | tf.Tensor, training: bool = False) -> dict[str, tf.Tensor]:
        x, unbatched = as_image_batch(images)
        features = self.maps(x, training=training)
        if unbatched:
            return {name: f[0] for name, f in features.items()}
        return features
