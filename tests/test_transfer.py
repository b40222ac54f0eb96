import numpy as np
import pytest

from helpers import smooth_image
from styletransfer.errors import InputError
from styletransfer.transfer import TRAIN_PART, build_classifier, crop_dataset


def test_crops_come_from_the_right_part_of_the_right_image():
    images = [np.full((40, 100, 3), i / 4, np.float32) for i in range(3)]
    ramp = np.broadcast_to(np.linspace(0, 1, 100, dtype=np.float32)[None, :, None], (40, 100, 3)).copy()
    images.append(ramp)
    for split in ("train", "test"):
        x, y = crop_dataset(images, 16, 5, split, seed=1)
        assert x.shape == (20, 16, 16, 3) and sorted(np.bincount(y)) == [5, 5, 5, 5]
        for crop, label in zip(x, y):
            if label < 3:
                assert np.all(crop == label / 4)
            else:  # the ramp's values tell the columns a crop came from
                inside = crop.max() <= TRAIN_PART + 1e-6 if split == "train" else crop.min() >= TRAIN_PART - 0.02
                assert inside
    a, _ = crop_dataset(images, 16, 5, "train", seed=1)
    np.testing.assert_array_equal(a, crop_dataset(images, 16, 5, "train", seed=1)[0])


def test_crop_dataset_errors():
    with pytest.raises(InputError, match="split"):
        crop_dataset([smooth_image(1)], 16, 2, "valid")
    with pytest.raises(InputError, match="too small"):
        crop_dataset([smooth_image(1, 48, 48)], 32, 2, "test")


def test_classifier_freezes_pretrained_features_and_trains_scratch_ones(vgg16_weights):
    model, extractor = build_classifier(3, layer="block2_conv2")
    assert model.output_shape == (None, 3)
    head = model.get_layer("head")
    assert {id(w) for w in model.trainable_weights} == {id(w) for w in head.trainable_weights}
    extractor.unfreeze("block2_conv1")
    assert len(model.trainable_weights) == 2 + 4
    scratch, _ = build_classifier(3, layer="block2_conv2", weights=None)
    assert len(scratch.trainable_weights) == 2 + 8
    probabilities = scratch(smooth_image(2, 32, 32)[None]).numpy()
    np.testing.assert_allclose(probabilities.sum(), 1.0, rtol=1e-5)
