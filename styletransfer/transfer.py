"""Transfer learning on a small task: recognise the kind of style of an image (chapter 2).

The task: given a crop of a drawn style image, say which of the four families of
`styletransfer.procedural` (mosaic, waves, strokes, stripes) it was drawn from. Training
and test images are drawn from different seeds, each with its own random palette and
scale, so no test crop can overlap a training crop and the colours of the training
drawings say nothing about the test drawings: a model must recognise shapes and textures. Recognising the style of images
with features pretrained on ImageNet is the idea of Karayev et al. (2014,
https://arxiv.org/abs/1311.3715).

The four steps: (1) pretrain on a large dataset: the ImageNet VGG16 weights; (2) extract
feature layers: `FeatureExtractor`; (3) adapt to the new task: a new head (global average
pooling, then a dense softmax layer) on the frozen features; (4) fine-tune: unfreeze the
top block and train on with a small learning rate.

The baseline to beat is what a practitioner would train from scratch on so little data:
`build_small_cnn`, a small convolutional network with batch normalisation (Ioffe and
Szegedy, 2015, https://arxiv.org/abs/1502.03167).
"""

import dataclasses
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ._tensorflow import keras, tf
from .errors import InputError
from .features import FeatureExtractor
from .seeding import glorot_uniform

__all__ = ["random_crops", "build_classifier", "build_small_cnn", "train_classifier", "Trained"]


def random_crops(images: Iterable[np.ndarray], labels: Iterable[int], size: int, per_image: int,
                 seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`per_image` random size x size crops of every image, each flipped left-right with
    probability 1/2, with its image's label. Returns x (N, size, size, 3) float32 and y (N,)
    int32, shuffled; the same seed gives the same crops."""
    rng = np.random.default_rng(seed)
    crops, crop_labels = [], []
    for image, label in zip(images, labels):
        h, w = image.shape[:2]
        if h < size or w < size:
            raise InputError(f"an image of {h}x{w} px is too small for {size} px crops")
        for _ in range(per_image):
            y, x = rng.integers(h - size + 1), rng.integers(w - size + 1)
            crop = image[y:y + size, x:x + size]
            crops.append(crop[:, ::-1] if rng.random() < 0.5 else crop)
            crop_labels.append(label)
    order = rng.permutation(len(crops))
    return np.stack(crops)[order].astype(np.float32), np.array(crop_labels, np.int32)[order]


def build_classifier(n_classes: int, layer: str = "block5_conv3", weights: str | Path | None = "imagenet",
                     seed: int = 0) -> tuple[keras.Model, FeatureExtractor]:
    """VGG16 features up to `layer` -> global average pooling -> dense softmax over `n_classes`.

    With ImageNet `weights` the features are frozen (step 3; `extractor.unfreeze(...)` for
    step 4). With ``weights=None`` every layer starts random and trains.
    Returns (model, extractor).
    """
    extractor = FeatureExtractor([layer], weights=weights, seed=seed)
    if weights is None:
        extractor.unfreeze(extractor.conv_layers[0].name)
    inputs = keras.Input((None, None, 3))
    features = extractor.maps(inputs)[layer]
    pooled = keras.layers.GlobalAveragePooling2D()(features)
    outputs = keras.layers.Dense(n_classes, activation="softmax", kernel_initializer=next(glorot_uniform(seed, stream=1)),
                                 name="head")(pooled)
    return keras.Model(inputs, outputs, name="crop_classifier"), extractor


def build_small_cnn(n_classes: int, width: int = 32, seed: int = 0) -> keras.Sequential:
    """A small CNN to train from scratch: three blocks of (3x3 conv, batch normalisation, ReLU)
    with widths w, 2w, 4w and 2x2 max pooling after the first two, then global average pooling
    and a dense softmax over `n_classes`. Every weight starts random (from `seed`) and trains.

    The normalisation layers' running statistics use momentum 0.9 instead of Keras's 0.99:
    a few hundred steps on a small dataset are too few for 0.99 to forget its initial
    values, and the model would then be judged with wrong statistics.
    """
    kernels = glorot_uniform(seed)
    layers = [keras.Input((None, None, 3))]
    for i, filters in enumerate((width, 2 * width, 4 * width)):
        layers += [keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, kernel_initializer=next(kernels),
                                       name=f"conv{i + 1}"),
                   keras.layers.BatchNormalization(momentum=0.9, name=f"norm{i + 1}"), keras.layers.ReLU()]
        if i < 2:
            layers.append(keras.layers.MaxPooling2D(2))
    layers += [keras.layers.GlobalAveragePooling2D(),
               keras.layers.Dense(n_classes, activation="softmax", kernel_initializer=next(kernels), name="head")]
    return keras.Sequential(layers, name="small_cnn")


@dataclasses.dataclass
class Trained:
    """What `train_classifier` returns: the test accuracy after training, the training time in
    seconds (the steps only, not the evaluation) and the mean training loss over the steps."""

    accuracy: float
    seconds: float
    loss: float


def train_classifier(model: keras.Model, x: np.ndarray, y: np.ndarray, x_test: np.ndarray, y_test: np.ndarray,
                     steps: int, learning_rate: float, batch: int = 16, seed: int = 0) -> Trained:
    """Train `model` for `steps` steps of Adam on batches of `batch` shuffled (x, y) pairs with
    the sparse categorical cross-entropy, then measure its accuracy on (x_test, y_test).

    Every model gets the same number of steps whatever the data size, so a small dataset is
    seen many times over. Returns a `Trained`.
    """
    if steps < 1 or len(x) == 0:
        raise InputError(f"train_classifier needs steps >= 1 and some data, got {steps} steps and {len(x)} examples")
    batches = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=seed).repeat().batch(batch)
    model.compile(keras.optimizers.Adam(learning_rate), "sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(batches, steps_per_epoch=steps, epochs=1, shuffle=False, verbose=0)  # shuffled above
    seconds = time.perf_counter() - start
    accuracy = model.evaluate(x_test, y_test, batch_size=64, verbose=0)[1]
    return Trained(float(accuracy), seconds, float(history.history["loss"][-1]))
