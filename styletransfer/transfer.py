"""Transfer learning on a small task built from the sample images (chapter 2).

The task: given a small crop, say which of N images it was cut from. Crops for training
come from the left part of each image and crops for testing from the right part, so a
model must recognise colours, textures and shapes, not memorise positions. Few images,
few crops: the setting where reusing ImageNet features pays off.

The four steps: (1) pretrain on a large dataset: the ImageNet VGG16 weights; (2) extract
feature layers: `FeatureExtractor`; (3) adapt to the new task: a new head
(global average pooling, then a dense softmax layer) on the frozen features;
(4) fine-tune: unfreeze the top block and train on with a small learning rate.
"""

import keras
import numpy as np

from .errors import InputError
from .features import FeatureExtractor

__all__ = ["crop_dataset", "build_classifier", "TRAIN_PART"]

TRAIN_PART = 0.6  # training crops from the left 60% of each image, test crops from the rest


def crop_dataset(images, size, per_image, split, seed=0):
    """Random size x size crops and their labels (the index of the image they come from).

    `split` is "train" (crops inside the left `TRAIN_PART` of each image) or "test" (the
    right part). Returns x (N, size, size, 3) float32 and y (N,) int32, shuffled.
    """
    if split not in ("train", "test"):
        raise InputError(f"split must be 'train' or 'test', got {split!r}")
    rng = np.random.default_rng([seed, split == "test"])
    crops, labels = [], []
    for label, image in enumerate(images):
        h, w = image.shape[:2]
        cut = int(w * TRAIN_PART)
        x0, x1 = (0, cut) if split == "train" else (cut, w)
        if h < size or x1 - x0 < size:
            raise InputError(f"image {label} ({h}x{w} px) is too small for {size} px crops in its {split} part")
        for _ in range(per_image):
            y, x = rng.integers(h - size + 1), rng.integers(x0, x1 - size + 1)
            crop = image[y:y + size, x:x + size]
            crops.append(crop[:, ::-1] if rng.random() < 0.5 else crop)
            labels.append(label)
    order = rng.permutation(len(crops))
    return np.stack(crops)[order].astype(np.float32), np.array(labels, np.int32)[order]


def build_classifier(n_classes, layer="block5_conv3", weights="imagenet", seed=0):
    """VGG16 features up to `layer` -> global average pooling -> dense softmax over `n_classes`.

    With ImageNet `weights` the features are frozen (step 3; `extractor.unfreeze(...)` for
    step 4). With ``weights=None`` every layer starts random and trains: learning from scratch.
    Returns (model, extractor).
    """
    keras.utils.set_random_seed(seed)
    extractor = FeatureExtractor([layer], weights=weights, seed=seed)
    if weights is None:
        extractor.unfreeze(extractor.conv_layers[0].name)
    inputs = keras.Input((None, None, 3))
    features = extractor.model(inputs)[layer]
    pooled = keras.layers.GlobalAveragePooling2D()(features)
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="head")(pooled)
    return keras.Model(inputs, outputs, name="crop_classifier"), extractor
