import numpy as np
import pytest
import keras
import tensorflow as tf

import reference_nets as ref
from helpers import smooth_image
from styletransfer.errors import InputError, WeightsError
from styletransfer.features import FeatureExtractor, layer_names


def test_vgg16_features_match_numpy_reference(vgg16_weights):
    image = smooth_image(0, 40, 48)
    names = [n for n in layer_names("vgg16") if "conv" in n]
    features = FeatureExtractor(names)(image)
    expected = ref.vgg16(image, vgg16_weights.kernels, vgg16_weights.biases)
    for k, name in enumerate(names):
        np.testing.assert_allclose(features[name], expected[k], rtol=1e-3, atol=1e-3 * np.abs(expected[k]).max())


def test_alexnet_features_match_numpy_reference(alexnet_weights):
    image = smooth_image(1, 67, 80)
    names = ["conv1", "conv2", "conv3", "conv4", "conv5"]
    features = FeatureExtractor(names, net="alexnet")(image)
    expected = ref.alexnet(image, alexnet_weights.kernels, alexnet_weights.biases)
    for k, name in enumerate(names):
        assert features[name].shape == expected[k].shape
        np.testing.assert_allclose(features[name], expected[k], rtol=1e-3, atol=1e-3 * np.abs(expected[k]).max())


def test_network_is_cut_after_the_deepest_layer():
    extractor = FeatureExtractor(["block2_conv1", "block1_conv2"], weights=None)
    assert [layer.name for layer in extractor.conv_layers] == ["block1_conv1", "block1_conv2", "block2_conv1"]
    assert set(extractor(np.zeros((32, 32, 3)))) == {"block2_conv1", "block1_conv2"}
    alexnet = FeatureExtractor(["conv1"], net="alexnet", weights=None)
    assert [layer.name for layer in alexnet.model.layers][-2:] == ["conv1_pad", "conv1"]


def test_batched_and_unbatched_calls_agree():
    extractor = FeatureExtractor(["block3_conv1"], weights=None)
    images = np.stack([smooth_image(s, 33, 35) for s in range(2)])
    batched = extractor(images)["block3_conv1"]
    single = extractor(images[1])["block3_conv1"]
    assert batched.shape == (2, 8, 8, 256) and single.shape == (8, 8, 256)
    np.testing.assert_allclose(batched[1], single, rtol=1e-4, atol=1e-5)


def test_random_weights_are_seeded():
    image = smooth_image(3, 32, 32)
    a = FeatureExtractor(["block1_conv2"], weights=None, seed=7)(image)["block1_conv2"]
    b = FeatureExtractor(["block1_conv2"], weights=None, seed=7)(image)["block1_conv2"]
    c = FeatureExtractor(["block1_conv2"], weights=None, seed=8)(image)["block1_conv2"]
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_average_pooling_changes_deeper_features_only():
    image = smooth_image(4, 32, 32)
    fmax = FeatureExtractor(["block1_conv2", "block2_conv1"], weights=None, pooling="max")(image)
    favg = FeatureExtractor(["block1_conv2", "block2_conv1"], weights=None, pooling="avg")(image)
    np.testing.assert_allclose(fmax["block1_conv2"], favg["block1_conv2"], rtol=1e-6)
    assert not np.allclose(fmax["block2_conv1"], favg["block2_conv1"])


def test_frozen_by_default_and_unfreezes_from_a_layer():
    extractor = FeatureExtractor(["block3_conv3"], weights=None)
    assert extractor.model.trainable_weights == []
    extractor.unfreeze("block3_conv2")
    trainable = {w.path.split("/")[0] for w in extractor.model.trainable_weights}
    assert trainable == {"block3_conv2", "block3_conv3"}
    with pytest.raises(InputError, match="cannot unfreeze"):
        extractor.unfreeze("block5_conv1")


def test_bad_inputs_get_one_line_errors():
    extractor = FeatureExtractor(["block1_conv1"], weights=None)
    with pytest.raises(InputError, match="too small"):
        extractor(np.zeros((31, 64, 3)))
    with pytest.raises(InputError, match=r"shape \(H, W, 3\)"):
        extractor(np.zeros((32, 32, 4)))
    bad = np.zeros((32, 32, 3))
    bad[3, 3, 1] = np.nan
    with pytest.raises(InputError, match="NaN"):
        extractor(bad)
    with pytest.raises(InputError, match="unknown vgg16 layer"):
        FeatureExtractor(["block6_conv1"], weights=None)
    with pytest.raises(InputError, match="pooling"):
        FeatureExtractor(["block1_conv1"], weights=None, pooling="median")


def test_vgg19_without_reachable_keras_weights_names_the_fix(monkeypatch):
    def unreachable(*args, **kwargs):
        raise OSError("URL fetch failure: network unreachable")

    monkeypatch.setattr(keras.applications, "VGG19", unreachable)
    with pytest.raises(WeightsError, match="vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5") as info:
        FeatureExtractor(["block1_conv1"], net="vgg19")
    assert "\n" not in str(info.value)


def test_gradients_flow_to_the_input():
    import tensorflow as tf

    extractor = FeatureExtractor(["block2_conv1"], weights=None)
    x = tf.Variable(smooth_image(5, 32, 32)[None])
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(extractor(x)["block2_conv1"])
    assert float(tf.reduce_sum(tf.abs(tape.gradient(loss, x)))) > 0


def test_bfloat16_features_are_close_to_float32_and_returned_as_float32(rng):
    from styletransfer import features

    if not features.bfloat16_supported():
        pytest.skip("this CPU has no bfloat16 instructions")
    image = rng.uniform(size=(1, 48, 48, 3)).astype(np.float32)
    full = FeatureExtractor(["block2_conv1", "block3_conv1"], weights=None)
    half = FeatureExtractor(["block2_conv1", "block3_conv1"], weights=None, precision="bfloat16")
    assert half.precision == "bfloat16" and full.precision == "float32"
    for name, f in full(image).items():
        h = half(image)[name]
        assert h.dtype == tf.float32
        assert float(tf.norm(h - f) / tf.norm(f)) < 0.03  # bfloat16 keeps 8 bits of mantissa
    symbolic = half.maps(keras.Input((None, None, 3)))   # as a Keras functional model's input
    assert all(t.dtype == "float32" for t in symbolic.values())


def test_bfloat16_without_cpu_support_warns_and_runs_in_float32(monkeypatch):
    from styletransfer import features

    monkeypatch.setattr(features, "bfloat16_supported", lambda: False)
    with pytest.warns(UserWarning, match="no bfloat16"):
        extractor = FeatureExtractor(["block1_conv1"], weights=None, precision="bfloat16")
    assert extractor.precision == "float32" and extractor.policy is None
    with pytest.raises(InputError, match="precision must be one of"):
        FeatureExtractor(["block1_conv1"], weights=None, precision="float16")
