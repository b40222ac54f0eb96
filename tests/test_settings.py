import dataclasses
import inspect

import numpy as np
import pytest
import keras
import tensorflow as tf

from styletransfer.adversarial import PatchDiscriminator
from styletransfer.cli import build_parser
from styletransfer.errors import InputError
from styletransfer.features import FeatureExtractor
from styletransfer.gan import train_generator
from styletransfer.generator import Generator
from styletransfer.optimize import stylize
from styletransfer.settings import StylizeSettings, TrainSettings
from styletransfer.transfer import build_small_cnn


@pytest.mark.parametrize("settings, change, message", [
    (StylizeSettings, {"steps": 0}, "steps must be a whole number at least 1"),
    (StylizeSettings, {"optimizer": "sgd"}, "optimizer must be one of 'lbfgs', 'adam', got 'sgd'"),
    (StylizeSettings, {"steps": (10, 20), "levels": 1}, "steps has 2 entries for 1 levels"),
    (StylizeSettings, {"max_seconds": 0}, "max_seconds must be a finite number above 0"),
    (TrainSettings, {"learning_rate": float("nan")}, "learning_rate must be a finite number above 0"),
    (TrainSettings, {"adversarial": "wgan"}, "adversarial must be one of 'lsgan', 'hinge'"),
    (TrainSettings, {"size": 16}, "size must be a whole number at least 32"),
])
def test_bad_settings_are_refused_in_one_line(settings, change, message):
    with pytest.raises(InputError, match=message) as info:
        settings(**change)
    assert "\n" not in str(info.value)


def test_settings_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        TrainSettings().steps = 5


def _defaults(function):
    return {name: p.default for name, p in inspect.signature(function).parameters.items()}


@pytest.mark.parametrize("function, settings", [(stylize, StylizeSettings), (train_generator, TrainSettings)])
def test_functions_take_their_defaults_from_the_settings(function, settings):
    defaults = _defaults(function)
    for field in dataclasses.fields(settings):
        assert defaults[field.name] == field.default, field.name


@pytest.mark.parametrize("command, settings", [("stylize", StylizeSettings), ("train", TrainSettings)])
def test_the_command_line_takes_its_defaults_from_the_settings(command, settings):
    required = {"stylize": ["photo.jpg", "style.jpg", "-o", "out.png"],
                "train": ["--content", "c", "--style", "s", "--out", "o"]}[command]
    args = vars(build_parser().parse_args([command, *required]))
    shared = [field for field in dataclasses.fields(settings) if field.name in args]
    assert len(shared) >= 7
    for field in shared:
        assert args[field.name] == field.default, field.name


def _weights(model):
    return [w.numpy() for w in model.weights]


@pytest.mark.parametrize("build", [
    lambda seed: Generator(4, 1, seed=seed),
    lambda seed: PatchDiscriminator(4, 2, seed=seed),
    lambda seed: build_small_cnn(3, width=4, seed=seed),
    lambda seed: FeatureExtractor("block2_conv1", weights=None, seed=seed).model,
])
def test_a_seed_fixes_the_weights_without_touching_the_global_random_state(build):
    def made(seed):
        model = build(seed)
        if not model.built:
            model.build()
        return model

    keras.utils.set_random_seed(123)
    expected = (np.random.random(), float(tf.random.uniform(())), float(keras.random.uniform(())))
    keras.utils.set_random_seed(123)
    a, b, c = made(0), made(0), made(1)
    assert (np.random.random(), float(tf.random.uniform(())), float(keras.random.uniform(()))) == expected
    kernels = [(x, y, z) for x, y, z in zip(_weights(a), _weights(b), _weights(c)) if x.ndim > 1]
    assert kernels
    for x, y, z in kernels:
        np.testing.assert_array_equal(x, y)
        assert not np.array_equal(x, z)
