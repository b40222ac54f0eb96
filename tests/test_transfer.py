import numpy as np
import pytest

from helpers import smooth_image
from styletransfer.errors import InputError
from styletransfer.transfer import build_classifier, build_small_cnn, random_crops, train_classifier


def test_crops_come_from_their_image_with_its_label_and_are_seeded():
    images = [np.full((40, 50, 3), i / 4, np.float32) for i in range(3)]
    ramp = np.broadcast_to(np.linspace(0, 1, 50, dtype=np.float32)[None, :, None], (40, 50, 3)).copy()
    x, y = random_crops(images + [ramp], [0, 1, 2, 7], 16, 5, seed=1)
    assert x.shape == (20, 16, 16, 3) and sorted(np.bincount(y)[[0, 1, 2, 7]]) == [5, 5, 5, 5]
    for crop, label in zip(x, y):
        if label < 3:
            assert np.all(crop == label / 4)
        else:  # a ramp crop spans 16 consecutive columns, possibly mirrored
            assert np.allclose(np.abs(np.diff(crop[0, :, 0])), 1 / 49, atol=1e-6)
    np.testing.assert_array_equal(x, random_crops(images + [ramp], [0, 1, 2, 7], 16, 5, seed=1)[0])
    assert not np.array_equal(x, random_crops(images + [ramp], [0, 1, 2, 7], 16, 5, seed=2)[0])
    with pytest.raises(InputError, match="too small"):
        random_crops([smooth_image(1, 48, 30)], [0], 32, 2)


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


def test_small_cnn_learns_a_separable_task_and_is_seeded():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(64, 16, 16, 3)).astype(np.float32) * 0.5
    y = (np.arange(64) % 2).astype(np.int32)
    x[y == 1, :, :, 0] += 0.5  # class 1 is redder
    model = build_small_cnn(2, width=4, seed=3)
    assert model.output_shape == (None, 2) and len(model.trainable_weights) == 3 + 2 * 3 + 2
    np.testing.assert_allclose(model(x[:2]), build_small_cnn(2, width=4, seed=3)(x[:2]), rtol=1e-6)
    trained = train_classifier(model, x, y, x, y, steps=60, learning_rate=1e-2)
    assert trained.accuracy > 0.9 and trained.seconds > 0
    with pytest.raises(InputError, match="steps"):
        train_classifier(model, x, y, x, y, steps=0, learning_rate=1e-2)
