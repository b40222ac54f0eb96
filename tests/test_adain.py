import numpy as np
import pytest
import tensorflow as tf

from helpers import smooth_image
from styletransfer import adain, colors
from styletransfer.adain import Decoder, Encoder, adain as adain_op, channel_moments, load_decoder, stylize_any, train_decoder
from styletransfer.data import drawn_style_batches
from styletransfer.errors import ImageError, InputError, StyleTransferError
from styletransfer.features import FeatureExtractor
from styletransfer.images import save_image

TINY = dict(size=32, batch=2, width=4, progress=False, sample_every=1000, checkpoint_every=1000)


@pytest.fixture(scope="module")
def encoder():
    """VGG16 up to relu4_1 with random weights: the maths without the cost of real features."""
    return Encoder(FeatureExtractor(adain.STYLE_LAYERS, weights=None))


@pytest.fixture(scope="module")
def decoder():
    """A tiny decoder whose output lies around grey with visible variation (as initialised
    it would be almost all clipped to 0)."""
    d = Decoder(width=4, seed=1)
    d.build()
    d.convs[-1].kernel.assign(100.0 * d.convs[-1].kernel)
    d.convs[-1].bias.assign([0.5, 0.5, 0.5])
    return d


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    for i in range(3):
        save_image(folder / f"p{i}.png", smooth_image(i, 72, 96))
    return folder


def numpy_adain(x, y, eps=adain.EPSILON):
    mu_x, mu_y = x.mean(axis=(1, 2), keepdims=True), y.mean(axis=(1, 2), keepdims=True)
    sigma_x = np.sqrt(x.var(axis=(1, 2), keepdims=True) + eps)
    sigma_y = np.sqrt(y.var(axis=(1, 2), keepdims=True) + eps)
    return sigma_y * (x - mu_x) / sigma_x + mu_y


def test_adain_matches_numpy_and_gives_the_style_statistics(rng):
    x = rng.normal(2.0, 3.0, size=(2, 7, 9, 5)).astype(np.float32)
    y = rng.gamma(2.0, size=(2, 4, 6, 5)).astype(np.float32)
    out = adain_op(tf.constant(x), tf.constant(y)).numpy()
    np.testing.assert_allclose(out, numpy_adain(x, y), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(out.mean(axis=(1, 2)), y.mean(axis=(1, 2)), atol=1e-4)
    np.testing.assert_allclose(out.std(axis=(1, 2)), y.std(axis=(1, 2)), rtol=1e-3)


def test_masked_moments_are_those_of_the_masked_positions(rng):
    x = rng.normal(size=(1, 6, 8, 3)).astype(np.float32)
    mask = np.zeros((1, 6, 8, 1), np.float32)
    mask[:, 2:5, 1:6] = 1
    mean, sigma = (m.numpy()[0, 0, 0] for m in channel_moments(tf.constant(x), tf.constant(mask)))
    inside = x[0, 2:5, 1:6].reshape(-1, 3)
    np.testing.assert_allclose(mean, inside.mean(axis=0), atol=1e-5)
    np.testing.assert_allclose(sigma, np.sqrt(inside.var(axis=0) + adain.EPSILON), atol=1e-5)


def test_moment_error_ignores_positions_and_scale(rng):
    x = rng.normal(1.0, 2.0, size=(2, 5, 6, 3)).astype(np.float32)
    y = rng.gamma(2.0, size=(2, 4, 4, 3)).astype(np.float32)
    shuffled = x.reshape(2, 30, 3)[:, rng.permutation(30)].reshape(2, 5, 6, 3)
    assert float(adain.moment_error(tf.constant(shuffled), tf.constant(x))) < 1e-6
    error = float(adain.moment_error(tf.constant(x), tf.constant(y)))
    assert error > 0.1
    np.testing.assert_allclose(float(adain.moment_error(tf.constant(10 * x), tf.constant(10 * y))), error, rtol=1e-3)


@pytest.mark.parametrize("shape", [(16, 16), (37, 53), (64, 40)])
def test_any_photo_size_gives_a_result_of_its_size(encoder, decoder, shape):
    out = stylize_any(smooth_image(0, *shape), smooth_image(1, 40, 40), decoder, encoder=encoder)
    assert out.shape == (*shape, 3) and out.dtype == np.float32 and 0 <= out.min() and out.max() <= 1


def test_alpha_0_decodes_the_photos_own_features(encoder, decoder):
    photo = smooth_image(2, 40, 56)
    out = stylize_any(photo, smooth_image(3, 48, 48), decoder, alpha=0, encoder=encoder)
    expected = np.clip(decoder(encoder.encode(tf.constant(photo[None])))[0].numpy(), 0, 1)
    np.testing.assert_allclose(out, expected, atol=1e-5)
    assert not np.allclose(stylize_any(photo, smooth_image(3, 48, 48), decoder, alpha=1, encoder=encoder), out, atol=1e-3)


def test_style_weights_blend_and_a_zero_weight_drops_a_style(encoder, decoder):
    photo, a, b = smooth_image(4, 48, 48), smooth_image(5, 48, 48), smooth_image(6, 48, 48)
    only_a = stylize_any(photo, a, decoder, encoder=encoder)
    np.testing.assert_allclose(stylize_any(photo, [a, b], decoder, weights=[2, 0], encoder=encoder), only_a, atol=1e-5)
    assert not np.allclose(stylize_any(photo, [a, b], decoder, encoder=encoder), only_a, atol=1e-3)


def test_a_mask_places_the_style(encoder, decoder):
    photo, style = smooth_image(7, 48, 64), smooth_image(8, 48, 48)
    everywhere = stylize_any(photo, style, decoder, encoder=encoder)
    kept = stylize_any(photo, style, decoder, alpha=0, encoder=encoder)
    np.testing.assert_allclose(stylize_any(photo, style, decoder, mask=np.ones((48, 64)), encoder=encoder), everywhere, atol=1e-5)
    np.testing.assert_allclose(stylize_any(photo, style, decoder, mask=np.zeros((48, 64)), encoder=encoder), kept, atol=1e-5)


def test_preserving_colours_stylises_with_the_style_recoloured_to_the_photo(encoder, decoder):
    photo, style = smooth_image(9, 48, 48), smooth_image(10, 48, 48)
    np.testing.assert_allclose(stylize_any(photo, style, decoder, preserve_colors=True, encoder=encoder),
                               stylize_any(photo, colors.match_color(style, photo), decoder, encoder=encoder), atol=1e-5)


def test_the_photos_statistics_summed_over_tiles_are_those_of_one_pass(encoder, rng):
    from styletransfer.adain import _cell_means, _photo_moments

    photo = smooth_image(11, 200, 448)
    mask = (rng.uniform(size=(200, 448)) > 0.5).astype(np.float32)
    features = encoder.encode(tf.constant(photo[None]))
    for regions, expected in (([None], [channel_moments(features)]),
                              ([mask], [channel_moments(features, tf.constant(_cell_means(mask)))])):
        (mean, sigma), = _photo_moments(encoder, photo, regions, tile=320, overlap=128)[0]
        np.testing.assert_allclose(mean.numpy(), expected[0][0].numpy(), rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(sigma.numpy(), expected[0][1].numpy(), rtol=1e-4, atol=1e-4)


def test_a_large_photo_is_processed_in_tiles_close_to_one_pass(encoder, decoder):
    photo = smooth_image(11, 200, 448)
    whole = stylize_any(photo, smooth_image(12, 48, 48), decoder, encoder=encoder)
    tiled = stylize_any(photo, smooth_image(12, 48, 48), decoder, encoder=encoder, tile=320, overlap=128)
    assert tiled.shape == whole.shape
    assert np.abs(tiled - whole).mean() < 1e-3 and np.abs(tiled - whole).max() < 0.02


def numpy_decoder_losses(decoded, out, style_image, style, target, style_weight):
    """The training loss of the module docstring, from the decoded and style images and their
    encoder features as numpy arrays."""
    def moments(x):
        return x.mean(axis=(1, 2)), np.sqrt(x.var(axis=(1, 2)) + adain.EPSILON)

    def per_image(x):
        return (x ** 2).reshape(len(x), -1).mean(axis=1)

    content = np.mean(per_image(out[adain.ENCODER_LAYER] - target) / per_image(target))
    def relative_error(x, y):
        (mu_x, sigma_x), (mu_y, sigma_y) = moments(x), moments(y)
        return np.mean((per_image(mu_x - mu_y) + per_image(sigma_x - sigma_y)) / (per_image(mu_y) + per_image(sigma_y)))

    style_term = adain.COLOUR_WEIGHT * relative_error(decoded, style_image)
    for name in adain.STYLE_LAYERS:
        style_term += relative_error(out[name], style[name])
    return content, style_weight * style_term


def test_the_training_loss_is_the_relative_content_error_plus_the_relative_moment_errors_of_pixels_and_layers(encoder, decoder):
    photos = np.stack([smooth_image(20, 32, 40), smooth_image(21, 32, 40)])
    styles = np.stack([smooth_image(22, 32, 40), 0.3 * smooth_image(23, 32, 40)])
    trainer = adain.DecoderTrainer(adain.DecoderSettings(width=4, style_weight=2.5), encoder)
    trainer.decoder = decoder
    losses = trainer.losses(tf.constant(photos), tf.constant(styles))
    features = {k: v.numpy() for k, v in encoder(tf.constant(styles)).items()}
    target = numpy_adain(encoder(tf.constant(photos))[adain.ENCODER_LAYER].numpy(), features[adain.ENCODER_LAYER])
    decoded = decoder(tf.constant(target))
    out = {k: v.numpy() for k, v in encoder(decoded).items()}
    content, style = numpy_decoder_losses(decoded.numpy(), out, styles, features, target, 2.5)
    np.testing.assert_allclose([float(losses["content"]), float(losses["style"])], [content, style], rtol=1e-3)


def test_the_training_loss_falls_and_an_interrupted_run_resumes_to_the_same_weights(photos, encoder, tmp_path, monkeypatch):
    style = smooth_image(13, 64, 64)
    whole = train_decoder(photos, style, tmp_path / "whole", steps=30, drawn=0.0, learning_rate=1e-3,
                          extractor=encoder.extractor, **TINY)
    totals = [h["total"] for h in whole.history]
    assert np.mean(totals[-5:]) < 0.7 * np.mean(totals[:5])
    assert whole.model_path.is_file() and isinstance(load_decoder(whole.model_path), Decoder)

    def interrupt(self, path):
        raise KeyboardInterrupt

    monkeypatch.setattr(adain.DecoderTrainer, "save_samples", interrupt)
    with pytest.raises(KeyboardInterrupt):
        train_decoder(photos, style, tmp_path / "split", steps=30, drawn=0.0, learning_rate=1e-3, extractor=encoder.extractor,
                      **{**TINY, "sample_every": 12})
    monkeypatch.undo()
    resumed = train_decoder(photos, style, tmp_path / "split", steps=30, drawn=0.0, learning_rate=1e-3,
                            extractor=encoder.extractor, **TINY)
    assert resumed.resumed_from == 12 and [h["step"] for h in resumed.history] == list(range(1, 31))
    for a, b in zip(whole.decoder.weights, resumed.decoder.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-6)
    for a, b in zip(load_decoder(whole.model_path).weights, whole.decoder.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())  # the saved decoder is the one returned: the average


def test_a_run_can_start_from_a_trained_decoder(photos, encoder, tmp_path):
    source = Decoder(width=4, seed=7)
    source.build()
    # A learning rate so small that one Adam step (about lr per weight) leaves the copy visible.
    tuned = train_decoder(photos, None, tmp_path / "tuned", steps=1, learning_rate=1e-9, init=source,
                          extractor=encoder.extractor, **TINY)
    for a, b in zip(tuned.decoder.weights, source.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)
    fresh = train_decoder(photos, None, tmp_path / "fresh", steps=1, learning_rate=1e-9, extractor=encoder.extractor, **TINY)
    assert not np.allclose(fresh.decoder.weights[0].numpy(), source.weights[0].numpy(), atol=1e-3)
    with pytest.raises(InputError, match="the init decoder has width 4, this run 8") as info:
        train_decoder(photos, None, tmp_path / "wide", steps=1, init=source, extractor=encoder.extractor, **{**TINY, "width": 8})
    assert "\n" not in str(info.value) and not (tmp_path / "wide").exists()


def test_the_decoder_returned_is_the_moving_average_of_the_weights(encoder):
    trainer = adain.DecoderTrainer(adain.DecoderSettings(width=4, ema_momentum=0.6, learning_rate=1e-2), encoder)
    photos = tf.constant(np.stack([smooth_image(30, 32, 32), smooth_image(31, 32, 32)]))
    styles = tf.constant(np.stack([smooth_image(32, 32, 32), smooth_image(33, 32, 32)]))
    initial = trainer.averaged().get_weights()
    assert all(np.array_equal(a, w) for a, w in zip(initial, trainer.decoder.get_weights()))
    average = None
    for _ in range(4):
        trainer.replica_step(photos, styles)
        trainer.step.assign_add(1)
        weights = trainer.decoder.get_weights()
        average = weights if average is None else [0.6 * a + 0.4 * w for a, w in zip(average, weights)]
    averaged = trainer.averaged().get_weights()
    for a, expected in zip(averaged, average):
        np.testing.assert_allclose(a, expected, rtol=1e-5, atol=1e-7)
    assert not all(np.allclose(a, w) for a, w in zip(averaged, weights))  # not merely the last weights
    with pytest.raises(InputError, match="ema_momentum must be a finite number at least 0 and below 1, got 1.0"):
        adain.DecoderSettings(ema_momentum=1.0)


def test_drawn_styles_depend_only_on_the_seed_and_the_step():
    styles = [smooth_image(14, 64, 64)]
    full = [b.numpy() for b in drawn_style_batches(styles, 32, 2, 0, 0, 4, 0.5)]
    tail = [b.numpy() for b in drawn_style_batches(styles, 32, 2, 0, 2, 4, 0.5)]
    np.testing.assert_array_equal(np.stack(full[2:]), np.stack(tail))
    only_drawn = next(iter(drawn_style_batches([], 32, 4, 0, 0, 1, 1.0))).numpy()
    assert only_drawn.shape == (4, 32, 32, 3) and not np.allclose(only_drawn[0], only_drawn[1])
    with pytest.raises(ImageError, match="no style images"):
        drawn_style_batches([], 32, 2, 0, 0, 1, 0.5)


def test_saved_decoder_round_trips_and_bad_files_are_refused(decoder, tmp_path):
    decoder.save(tmp_path / "d.keras")
    loaded = load_decoder(tmp_path / "d.keras")
    x = tf.random.stateless_normal((1, 3, 5, 512), seed=(1, 2))
    np.testing.assert_allclose(loaded(x).numpy(), decoder(x).numpy(), atol=1e-6)
    (tmp_path / "junk.keras").write_bytes(b"not a zip")
    with pytest.raises((InputError, StyleTransferError), match="junk.keras"):
        load_decoder(tmp_path / "junk.keras")


def test_bad_inputs_give_one_line_errors(encoder, decoder):
    photo, style = smooth_image(15, 48, 48), smooth_image(16, 48, 48)
    cases = [
        (dict(style=smooth_image(17, 8, 8)), "at least 16 px"),
        (dict(mask=np.ones((10, 10))), "mask is 10x10"),
        (dict(style=[style, style], weights=[0, 0]), "must not all be 0"),
        (dict(style=[style, style], weights=[1]), "one per style"),
        (dict(alpha=1.5), "alpha"),
        (dict(style=[style] * 3, mask=np.ones((48, 48))), "one or two styles"),
        (dict(style=[style] * 2, weights=[1, 1], mask=np.ones((48, 48))), "one or the other"),
    ]
    for kwargs, message in cases:
        with pytest.raises(InputError, match=message) as e:
            stylize_any(photo, kwargs.pop("style", style), decoder, encoder=encoder, **kwargs)
        assert "\n" not in str(e.value)


def test_a_bfloat16_decoder_computes_what_the_float32_one_does(decoder):
    from styletransfer.features import bfloat16_supported

    if not bfloat16_supported():
        pytest.skip("this CPU has no bfloat16 instructions")
    half = Decoder(width=4, seed=1, precision="bfloat16")
    half.build()
    for a, b in zip(half.weights, decoder.weights):
        a.assign(b)
    x = tf.random.stateless_uniform((1, 4, 6, 512), seed=(3, 4))
    full, low = decoder(x), half(x)
    assert low.dtype == tf.float32 and low.shape == full.shape
    assert float(tf.norm(low - full) / tf.norm(full - 0.5)) < 0.05
