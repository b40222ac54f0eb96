"""Any style in one pass: adaptive instance normalisation (AdaIN) with the frozen VGG16.

Huang and Belongie (2017), "Arbitrary Style Transfer in Real-time with Adaptive Instance
Normalization", https://arxiv.org/abs/1703.06868. The encoder f is the package's frozen
ImageNet VGG16 up to relu4_1 (`block4_conv1`), reused as it is: the transfer-learning
part. AdaIN gives the photo's features the style's channel statistics,

    AdaIN(x, y) = sigma(y) (x - mu(x)) / sigma(x) + mu(y)

with mu and sigma the mean and standard deviation of each channel of each image over its
positions, and a decoder g, trained once for all styles, turns features back into an image:

    t = (1 - alpha) f(c) + alpha sum_k w_k AdaIN(f(c), f(s_k)) / sum_k w_k,   result g(t)

alpha trades content for style; several styles are blended by the weights w_k. With a mask
m the statistics of f(c) are those of the masked region: one style is painted where m is 1
and the photo kept where it is 0; two styles share the photo, the first where m is 1.

The decoder mirrors the encoder (nearest-neighbour upsampling then convolution, reflection
padding, no normalisation layers). Training minimises over its weights only

    L = |f(g(t)) - t|^2 / |t|^2 + lambda (kappa E_0 + sum_i E_i),
    E_i = (|mu(phi_i(g(t))) - mu(phi_i(s))|^2 + |sigma(phi_i(g(t))) - sigma(phi_i(s))|^2)
          / (|mu(phi_i(s))|^2 + |sigma(phi_i(s))|^2)

per image, then averaged over the batch, with alpha = 1, phi_1 .. phi_4 the relu1_1,
relu2_1, relu3_1 and relu4_1 features, phi_0 the RGB pixels themselves (weight kappa =
`COLOUR_WEIGHT`) and |.|^2 mean squares over channels (and positions). The paper's terms
(and those of the widely used PyTorch port, https://github.com/naoto0804/pytorch-AdaIN) are
the same without E_0 and without the denominators: its encoder is VGG19 in the "normalised"
form of Gatys et al. (each filter's mean activation over images rescaled to one), so every
layer's statistics are on one scale. Here the encoder is the package's VGG16 with its
weights as trained, where |mu|^2 + |sigma|^2 is 5 to 26 times larger at relu4_1 than at
relu1_1 (4.3 against 0.9 for `abstract_1.jpg`, 13.1 against 0.5 for The Starry Night, at
256 px): absolute terms let the deep layers outweigh relu1_1, which carries the colours.
Each term is therefore a relative error, as in `losses.PerceptualLoss`, so that every layer
has the same say.

Measured here (bfloat16, other settings at their defaults): one decoder trained 8,553
steps with the absolute terms and lambda = 1 was trained 647 steps more with each loss;
the mean style distance (`metrics.style_distance`, four pairs of unseen photos and styles
at 384 px) went from 0.552 to 0.562 with the relative terms and lambda = 1, 0.523 with
lambda = 3 (the default) and 0.531 with lambda = 10, whose LPIPS to the photos was the
highest. With the absolute terms, lambda = 3 gave 0.575 after 947 steps, and a decoder
trained from the start with lambda = 10 decoded images with no visible content.

The pixel term E_0 is not in the paper: relu1_1's moments pin the colours only loosely. A
decoder trained 25,250 steps without it painted a photo in The Starry Night's style with a
mean colour of (0.45, 0.52, 0.54) against the painting's (0.28, 0.39, 0.47), although its
relu1_1 error was only 0.05; its mean style distance was 0.583. Trained 1,500 steps more
with kappa = 1 it reached 0.482, then 11,100 steps more with kappa = 5 0.477, with a mean
colour of (0.36, 0.47, 0.50).

These are single checkpoints, and checkpoints close together differ: the last three of that
run, 250 steps apart, scored 0.510, 0.472 and 0.408. Differences below about 0.1 between
two single checkpoints, such as those that chose lambda = 3 above, are within that spread.

The statistics of the photo's features are those of all its positions, at full resolution;
a photo too large to process at once is encoded tile by tile to sum them, then stylised in
tiles (`styletransfer.tiling`), all normalised alike.
"""

import dataclasses
import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from ._tensorflow import keras, tf
from . import checks, colors
from .checkpoints import copy_model_variables, load_model_file, model_variables, optimizer_variables
from .data import SAMPLES, TrainingPhotos, content_batches, drawn_style_batches, shorter_side, style_images
from .errors import InputError
from .features import FeatureExtractor, compute_policy
from .generator import upsample_conv
from .images import check_image, load_image, save_image
from .seeding import glorot_uniform
from .settings import DecoderSettings
from .tiling import apply_tiled, tiles
from .training import run_training

__all__ = ["adain", "channel_moments", "moment_error", "Decoder", "load_decoder", "Encoder", "stylize_any",
           "train_decoder", "DecoderResult", "DecoderTrainer", "ENCODER_LAYER", "STYLE_LAYERS", "COLOUR_WEIGHT", "EPSILON"]

ENCODER_LAYER = "block4_conv1"  # relu4_1
STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1")  # relu1_1 .. relu4_1
COLOUR_WEIGHT = 5.0  # kappa: the weight of the pixels' moments in the training loss, beside each layer's 1
EPSILON = 1e-5  # added to the variance before its square root
GRID = 8  # the encoder pools three times: inputs are padded to a multiple of 8 px
MIN_INPUT = 16  # smallest image side accepted
TILE = 1024  # photos with a longer side above this are processed in tiles
OVERLAP = 256  # relu4_1 sees 30 px around a pixel, the decoder about 26 more: tiles overlap by far more
STYLE_SIDE = 256  # style images are scaled to this shorter side, as the style files in training (DecoderSettings.style_scale)


def channel_moments(x: tf.Tensor, mask: tf.Tensor | None = None, eps: float = EPSILON) -> tuple[tf.Tensor, tf.Tensor]:
    """(mu, sigma) of each channel of each image of x (B, H, W, C) over the positions, both
    (B, 1, 1, C); sigma = sqrt(var + eps). With a mask (B, H, W, 1) of weights, the weighted
    mean and variance over the positions where it is not 0."""
    if mask is None:
        mean, var = tf.nn.moments(x, axes=[1, 2], keepdims=True)
    else:
        total = tf.maximum(tf.reduce_sum(mask, axis=[1, 2], keepdims=True), eps)
        mean = tf.reduce_sum(mask * x, axis=[1, 2], keepdims=True) / total
        var = tf.reduce_sum(mask * tf.square(x - mean), axis=[1, 2], keepdims=True) / total
    return mean, tf.sqrt(var + eps)


def adain(content: tf.Tensor, style: tf.Tensor | tuple[tf.Tensor, tf.Tensor], eps: float = EPSILON,
          content_moments: tuple[tf.Tensor, tf.Tensor] | None = None) -> tf.Tensor:
    """AdaIN(x, y) = sigma(y) (x - mu(x)) / sigma(x) + mu(y), per image and channel.

    `content` x is (B, H, W, C); `style` is the features y (B, h, w, C) or their moments
    (mu, sigma) as `channel_moments` returns them; `content_moments` replaces mu(x), sigma(x)
    (tiles, masks)."""
    mu_x, sigma_x = channel_moments(content, eps=eps) if content_moments is None else content_moments
    mu_y, sigma_y = style if isinstance(style, tuple) else channel_moments(style, eps=eps)
    return sigma_y * (content - mu_x) / sigma_x + mu_y


def _mean_square(x, axis):
    return tf.reduce_mean(tf.square(tf.cast(x, tf.float32)), axis=axis)


def moment_error(x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
    """E_i of the module docstring, averaged over the batch: the relative error of the channel
    means and standard deviations of x (B, H, W, C) against those of y (B, h, w, C),

        (|mu(x) - mu(y)|^2 + |sigma(x) - sigma(y)|^2) / (|mu(y)|^2 + |sigma(y)|^2)

    with |.|^2 the mean square over the channels. 0 when the statistics match."""
    (mu_x, sigma_x), (mu_y, sigma_y) = channel_moments(x), channel_moments(y)
    error = _mean_square(mu_x - mu_y, [1, 2, 3]) + _mean_square(sigma_x - sigma_y, [1, 2, 3])
    return tf.reduce_mean(error / (_mean_square(mu_y, [1, 2, 3]) + _mean_square(sigma_y, [1, 2, 3])))


def _reflect(x, pad):
    return tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]], mode="REFLECT")


@keras.saving.register_keras_serializable(package="styletransfer")
class Decoder(keras.Model):
    """relu4_1 features (B, h, w, 512) -> images (B, 8h, 8w, 3), the encoder mirrored:

        3x3 conv (4w) -> up -> 3x3 convs (4w, 4w, 2w) -> up -> (2w, w) -> up -> (w, 3)

    with "up" a nearest-neighbour x2 upsampling (computed with the conv after it by
    `generator.upsample_conv`), reflection padding, ReLU after every conv but the last, no
    normalisation. `precision` "bfloat16" computes in bfloat16 with float32 weights (for
    training; a saved decoder loads as float32). width w = 64 mirrors VGG16's channels (about
    2.9 million parameters; Huang and Belongie's decoder mirrors VGG19, which has one more
    convolution, conv3_4, up to relu4_1: about 3.5 million). The output is not clipped (`stylize_any` clips it to [0, 1]).
    """

    UPSAMPLE_BEFORE = (False, True, False, False, True, False, True, False)  # per conv

    def __init__(self, width: int = DecoderSettings.width, seed: int = 0, precision: str = "float32", **kwargs: Any):
        super().__init__(**kwargs)
        self.width, self.seed = int(width), int(seed)
        w, policy = self.width, compute_policy(precision)
        kernels = glorot_uniform(self.seed)
        self.convs = [keras.layers.Conv2D(filters, 3, kernel_initializer=next(kernels), name=f"conv{i + 1}", dtype=policy)
                      for i, filters in enumerate((4 * w, 4 * w, 4 * w, 2 * w, 2 * w, w, w, 3))]
        self._compiled = None

    def call(self, features: tf.Tensor) -> tf.Tensor:
        x = tf.convert_to_tensor(features, tf.float32)
        for i, (conv, up) in enumerate(zip(self.convs, self.UPSAMPLE_BEFORE)):
            if up:
                if not conv.built:
                    conv.build((None, None, None, x.shape[-1]))
                x = upsample_conv(x, conv.kernel) + tf.cast(conv.bias, x.dtype)
            else:
                x = conv(_reflect(x, 1))
            if i < len(self.convs) - 1:
                x = tf.nn.relu(x)
        return tf.cast(x, tf.float32)

    def build(self, input_shape: tuple | tf.TensorShape | None = None) -> None:
        self.call(tf.zeros((1, 2, 2, 512)))  # creates every layer's weights

    def decode(self, features: tf.Tensor) -> tf.Tensor:
        """`call` as a compiled graph, for features of any size: the fast path for inference."""
        if self._compiled is None:
            self._compiled = tf.function(self.call, input_signature=[tf.TensorSpec([None, None, None, 512], tf.float32)],
                                         autograph=False)  # no Python control flow on tensors to convert
        return self._compiled(features)

    def get_config(self) -> dict:
        return {**super().get_config(), "width": self.width, "seed": self.seed}


def load_decoder(path: str | Path) -> Decoder:
    """Load a decoder saved as ``.keras`` by `train_decoder`. Raises StyleTransferError if
    the file is missing or holds no decoder."""
    return load_model_file(path, Decoder, "decoder")


class Encoder:
    """The frozen ImageNet VGG16 up to relu4_1: images (B, H, W, 3) in [0, 1] -> {layer of
    STYLE_LAYERS: features}; ``features[ENCODER_LAYER]`` is f(x), H / 8 x W / 8 positions
    (rounded down: `stylize_any` pads photos to multiples of 8 so the decoder gives back
    their size)."""

    def __init__(self, extractor: FeatureExtractor | None = None, precision: str = "float32"):
        self.extractor = extractor or FeatureExtractor(STYLE_LAYERS, precision=precision)
        missing = [name for name in STYLE_LAYERS if name not in self.extractor.layers]
        if missing:
            raise InputError(f"the AdaIN encoder needs the layers {list(STYLE_LAYERS)}; the extractor lacks {missing}")
        self._compiled = None

    def __call__(self, images: tf.Tensor) -> dict[str, tf.Tensor]:
        return self.extractor.maps(images)

    def encode(self, images: tf.Tensor) -> tf.Tensor:
        """f(x), compiled once for images of any size."""
        if self._compiled is None:
            self._compiled = tf.function(lambda x: self.extractor.maps(x)[ENCODER_LAYER], autograph=False,
                                         input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)])
        return self._compiled(images)


def _padded(image):
    """(image reflection-padded on the bottom and right to a multiple of GRID, (h, w))."""
    h, w = image.shape[:2]
    return np.pad(image, [(0, (-h) % GRID), (0, (-w) % GRID), (0, 0)], mode="reflect"), (h, w)


def _encode(encoder, image):
    padded, _ = _padded(image)
    return encoder.encode(tf.constant(padded[None]))


def _decode(decoder, target, shape):
    h, w = shape
    return np.clip(decoder.decode(target)[0, :h, :w].numpy(), 0.0, 1.0)


def _cell_means(weights):
    """(H, W) pixel weights averaged over each 8 x 8 cell (one feature position of relu4_1) ->
    (1, ceil(H / 8), ceil(W / 8), 1) float32."""
    padded, _ = _padded(np.asarray(weights, np.float32)[..., None])
    h, w = padded.shape[0] // GRID, padded.shape[1] // GRID
    return padded.reshape(h, GRID, w, GRID).mean(axis=(1, 3))[None, ..., None]


def _core_spans(starts, size, length):
    """Along one axis, the part of each tile that counts toward the photo's statistics: the
    tiles cut at the middle of each overlap (on the grid), so every pixel counts once, far
    from the edges of the tile that counts it."""
    cuts = [GRID * round((a + size + b) / 2 / GRID) for a, b in zip(starts, starts[1:])]
    return list(zip([0] + cuts, cuts + [length]))


def _photo_moments(encoder, photo, regions, tile, overlap):
    """[(mu, sigma)] of f(photo) per channel over all its positions, weighted by each of
    `regions` ((H, W) weights; None: every position alike), computed exactly, tile by tile
    over the tiles' cores, so memory stays bounded. Also returns f(photo) when the photo is
    one tile (else None), so it is not encoded twice."""
    h, w = photo.shape[:2]
    (ys, th), (xs, tw) = tiles(h, tile, overlap, GRID), tiles(w, tile, overlap, GRID)
    sums = [[0.0, 0.0, 0.0] for _ in regions]  # sum of weights, of weight x f, of weight x f^2
    for y, (y0, y1) in zip(ys, _core_spans(ys, th, h)):
        for x, (x0, x1) in zip(xs, _core_spans(xs, tw, w)):
            features = _encode(encoder, photo[y:y + th, x:x + tw])
            core = features.numpy()[0, (y0 - y) // GRID:-(-(y1 - y) // GRID), (x0 - x) // GRID:-(-(x1 - x) // GRID)]
            core = core.astype(np.float64)
            for total, region in zip(sums, regions):
                weight = np.ones(core.shape[:2] + (1,)) if region is None else _cell_means(region[y0:y1, x0:x1])[0]
                total[0] += weight.sum()
                total[1] += (weight * core).sum(axis=(0, 1))
                total[2] += (weight * core ** 2).sum(axis=(0, 1))
    moments = []
    for count, first, second in sums:
        mean = first / max(count, 1e-12)  # an empty region: mean 0, variance 0
        var = np.maximum(second / max(count, 1e-12) - mean ** 2, 0.0)
        moments.append((tf.constant(mean.reshape(1, 1, 1, -1), tf.float32),
                        tf.constant(np.sqrt(var + EPSILON).reshape(1, 1, 1, -1), tf.float32)))
    return moments, (features if len(ys) == len(xs) == 1 else None)


def _target(features, style_moments, weights, alpha, content_moments, mask):
    """t for one photo's features (see the module doc); with a mask, content_moments holds the
    moments inside and outside it."""
    if mask is None:
        mixed = tf.add_n([w * adain(features, m, content_moments=content_moments) for w, m in zip(weights, style_moments)])
        return alpha * mixed + (1.0 - alpha) * features
    inside = adain(features, style_moments[0], content_moments=content_moments[0])
    outside = features if len(style_moments) == 1 else adain(features, style_moments[1], content_moments=content_moments[1])
    return alpha * (mask * inside + (1.0 - mask) * outside) + (1.0 - alpha) * features


def _check_mask(mask, shape):
    m = load_image(mask, min_size=1)[..., 0] if not isinstance(mask, np.ndarray) else np.asarray(mask, np.float32)
    if m.ndim == 3 and m.shape[-1] in (1, 3):
        m = m[..., 0]
    if m.ndim != 2 or not np.all(np.isfinite(m)) or m.min() < 0 or m.max() > 1:
        raise InputError(f"mask must be an (H, W) array of finite values in [0, 1], got shape {m.shape}")
    if m.shape != tuple(shape):
        raise InputError(f"the mask is {m.shape[0]}x{m.shape[1]} px but the photo {shape[0]}x{shape[1]}; give a mask of "
                         "the photo's size")
    return m


def _as_list(items):
    return list(items) if isinstance(items, (list, tuple)) else [items]


def stylize_any(content, style, decoder: "Decoder | str | Path", *, alpha: float = 1.0, weights=None,
                preserve_colors: bool = False, mask=None, style_side: int = STYLE_SIDE, tile: int = TILE,
                overlap: int = OVERLAP, encoder: Encoder | None = None) -> np.ndarray:
    """Stylise a photo with any style image in one pass (AdaIN, see the module doc).

    Args:
        content: the photo, an (H, W, 3) array in [0, 1] (or uint8) or an image path.
        style: a style image (array or path) or a list of them.
        decoder: a trained `Decoder` or the path of one (e.g. the bundled
            ``data/decoders/adain.keras``).
        alpha: 0 (the photo, passed through encoder and decoder) to 1 (all style).
        weights: one weight per style (blending several), equal by default; their sum must be
            positive.
        preserve_colors: keep the photo's colours: each style image's colours are first matched
            to the photo's (mean and covariance, `colors.match_color`), as in the paper.
        mask: an (H, W) array or image in [0, 1] the size of the photo: with one style, paint
            it where the mask is 1 and keep the photo where it is 0; with two, the first style
            where the mask is 1, the second where it is 0.
        style_side: style images are scaled to this shorter side (the decoder's training scale).
        tile, overlap: photos with a longer side above `tile` are processed in tiles of at most
            tile x tile px overlapping by `overlap` px, so memory stays bounded; the statistics
            of the photo's features are summed over the tiles, so they are those of the whole.
        encoder: the VGG16 encoder (built with the ImageNet weights when None).

    Returns the (H, W, 3) float32 result in [0, 1]. Raises InputError / ImageError for bad
    inputs and settings (before any network runs), StyleTransferError for a bad decoder file.
    """
    styles = _as_list(style)
    if not styles:
        raise InputError("give at least one style image")
    alpha = checks.number("alpha", alpha, minimum=0, maximum=1)
    checks.number("style_side", style_side, minimum=MIN_INPUT, integer=True)
    checks.number("overlap", overlap, minimum=32, integer=True)
    checks.number("tile", tile, minimum=overlap + 64, integer=True)
    if mask is not None and weights is not None:
        raise InputError("style weights blend styles everywhere; a mask places them: give one or the other")
    checks.style_blend(None if weights is None else _as_list(weights), len(styles), "weights")
    weights = [1.0] * len(styles) if weights is None else [float(w) for w in _as_list(weights)]
    photo = load_image(content, min_size=MIN_INPUT) if isinstance(content, (str, Path)) else check_image(content, "content")
    if photo.ndim != 3 or min(photo.shape[:2]) < MIN_INPUT:
        raise InputError(f"the photo must be an (H, W, 3) image of at least {MIN_INPUT} px a side, got shape {photo.shape}")
    if mask is not None:
        mask = _check_mask(mask, photo.shape[:2])
        if len(styles) > 2:
            raise InputError(f"a mask takes one or two styles, got {len(styles)}")
    style_arrays = []
    for s in styles:
        image = load_image(s, min_size=MIN_INPUT) if isinstance(s, (str, Path)) else check_image(s, "style")
        if image.ndim != 3 or min(image.shape[:2]) < MIN_INPUT:
            raise InputError(f"a style image must be (H, W, 3) and at least {MIN_INPUT} px a side, got shape {image.shape}")
        style_arrays.append(image)
    if not isinstance(decoder, Decoder):
        decoder = load_decoder(decoder)
    encoder = encoder or Encoder()

    total = sum(weights)
    weights = [w / total for w in weights]
    if preserve_colors:
        style_arrays = [colors.match_color(s, photo) for s in style_arrays]
    style_moments = [channel_moments(_encode(encoder, shorter_side(s, style_side))) for s in style_arrays]

    moments, features = _photo_moments(encoder, photo, [None] if mask is None else [mask, 1.0 - mask], tile, overlap)
    content_moments = moments[0] if mask is None else moments

    def process(part, mask_part=None, f=None):
        f = _encode(encoder, part) if f is None else f
        m = None if mask_part is None else tf.constant(_cell_means(mask_part))
        return _decode(decoder, _target(f, style_moments, weights, alpha, content_moments, m), part.shape[:2])

    if features is not None:  # one tile: encoded already
        return process(photo, mask, features)
    if mask is None:
        return apply_tiled(process, photo, tile, overlap, GRID)
    stacked = np.concatenate([photo, mask[..., None]], axis=-1)  # the photo and its mask tiled together
    return apply_tiled(lambda part: process(part[..., :3], part[..., 3]), stacked, tile, overlap, GRID)


# --- training -------------------------------------------------------------------------------


@dataclasses.dataclass
class DecoderResult:
    """What `train_decoder` returns: the decoder (the moving average of its weights, see
    `DecoderTrainer`), the loss history, the run folder, the exported model path, the
    settings, the skipped content files ({path: reason}), the step the run started from and
    whether this process wrote the run folder."""

    decoder: Decoder
    history: list
    run_dir: Path
    model_path: Path
    settings: DecoderSettings
    skipped: dict
    resumed_from: int
    wrote: bool


class DecoderTrainer:
    """The decoder, its optimiser and the per-replica train step, for
    `training.run_training`; build it inside the strategy's scope.

    The optimiser also keeps an exponential moving average of the decoder's weights (Keras's
    `use_ema`), a_n = m a_(n-1) + (1 - m) w_n with m = `settings.ema_momentum` and a_1 = w_1,
    and `averaged()` is the decoder with those weights: the one sampled, saved and returned.
    Averaging the weights of the last steps (Polyak and Juditsky, 1992,
    https://doi.org/10.1137/0330046) damps the step-to-step swings of the stylisations.
    """

    def __init__(self, settings: DecoderSettings, encoder: Encoder, samples=None):
        self.settings, self.encoder, self.samples = settings, encoder, samples
        self.decoder = Decoder(settings.width, seed=settings.seed, precision=settings.precision)
        self.decoder.build()
        self.average = Decoder(settings.width, seed=settings.seed)
        self.average.build()
        self.optimizer = keras.optimizers.Adam(settings.learning_rate, use_ema=True, ema_momentum=settings.ema_momentum)
        self.optimizer.build(self.decoder.trainable_variables)
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")

    def averaged(self) -> Decoder:
        """The decoder with the moving average of the weights (of the weights as initialised
        before the first step)."""
        if int(self.step.numpy()) == 0:
            self.average.set_weights(self.decoder.get_weights())
        else:  # writes the averages into the given variables, here the copy's
            self.optimizer.finalize_variable_values(self.average.trainable_variables)
        return self.average

    def trained_model(self) -> Decoder:
        return self.averaged()

    def objects(self) -> dict:
        return {"decoder": model_variables(self.decoder),
                "decoder_optimizer": optimizer_variables(self.optimizer, self.decoder), "step": self.step}

    def losses(self, content, style):
        """{"content": |f(g(t)) - t|^2 / |t|^2, "style": lambda (kappa E_0 + sum_i E_i)} for a
        batch (see the module doc)."""
        style_features = self.encoder(style)
        target = adain(self.encoder(content)[ENCODER_LAYER], style_features[ENCODER_LAYER])
        decoded = self.decoder(target)
        out = self.encoder(decoded)
        content_loss = tf.reduce_mean(_mean_square(out[ENCODER_LAYER] - target, [1, 2, 3])
                                      / _mean_square(target, [1, 2, 3]))
        style_loss = COLOUR_WEIGHT * moment_error(decoded, tf.cast(style, tf.float32))
        for name in STYLE_LAYERS:
            style_loss += moment_error(out[name], style_features[name])
        return {"content": content_loss, "style": self.settings.style_weight * style_loss}

    def replica_step(self, content, style):
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        with tf.GradientTape() as tape:
            losses = self.losses(content, style)
            total = tf.add_n(list(losses.values())) / replicas
        grads = tape.gradient(total, self.decoder.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.decoder.trainable_variables))
        return {**{k: v / replicas for k, v in losses.items()}, "total": total}

    def save_samples(self, path):
        """A grid: photos (top row), styles (middle) and the averaged decoder's stylisations (bottom)."""
        photos, styles = self.samples
        target = adain(self.encoder(photos)[ENCODER_LAYER], self.encoder(styles)[ENCODER_LAYER])
        out = np.clip(self.averaged()(target).numpy(), 0, 1)
        save_image(path, np.concatenate([np.concatenate(list(rows), axis=1) for rows in (photos, styles, out)], axis=0))


def train_decoder(content, style, out, *, steps: int = DecoderSettings.steps, size: int = DecoderSettings.size,
                  scale: int = DecoderSettings.scale, style_scale: int = DecoderSettings.style_scale,
                  batch: int = DecoderSettings.batch, width: int = DecoderSettings.width,
                  style_weight: float = DecoderSettings.style_weight, drawn: float | None = None,
                  learning_rate: float = DecoderSettings.learning_rate,
                  ema_momentum: float = DecoderSettings.ema_momentum, precision: str = DecoderSettings.precision,
                  checkpoint_every: int = DecoderSettings.checkpoint_every,
                  sample_every: int = DecoderSettings.sample_every, seed: int = DecoderSettings.seed,
                  init: str | Path | Decoder | None = None, resume: bool = True,
                  strategy: tf.distribute.Strategy | None = None, progress: bool = True,
                  extractor: FeatureExtractor | None = None) -> DecoderResult:
    """Train an AdaIN `Decoder` for all styles; returns a `DecoderResult`.

    Args:
        content: a folder of photos, or a list of folders and image files (bad files skipped).
        style: style images: a path, a list of paths, a folder, or None (drawn styles only).
        out: the run folder (resumed when it holds a run with the same settings and `resume`).
        steps, size, batch: optimisation steps, crop size (px) and batch size.
        scale, style_scale: the shorter side the photos (randomly zoomed around it) and the
            style images are scaled to before cropping.
        width: the decoder's width (see `Decoder`).
        style_weight: lambda of the loss.
        drawn: the fraction of style samples drawn afresh by `procedural.random_style` (a
            random family, palette and scale each): an unlimited supply of styles; the rest
            are crops of `style`. Default `DecoderSettings.drawn` with style images, 1
            without (then it must be 1).
        learning_rate: Adam's step size (the paper's 1e-4).
        ema_momentum: m of the moving average of the weights that the run saves and returns
            (see `DecoderTrainer`); 0 keeps the last weights.
        precision: "float32" or "bfloat16": the encoder and decoder compute in bfloat16 (about
            1.5 times as fast on a CPU that has it), the losses and the weights stay float32.
        init: start from a trained decoder (a ``.keras`` path or a `Decoder` of the same
            width) instead of random weights, for example to go on training with other styles;
            the optimiser starts afresh.
        checkpoint_every, sample_every, seed, resume, strategy, progress: as for
            `gan.train_generator`.
        extractor: the encoder's network (default: ImageNet VGG16 with `STYLE_LAYERS`).

    What differs from the paper's training, for a CPU: 128-px crops of photos and styles at
    about 256 px (theirs: 256 of 512), a constant learning rate, about 10 thousand steps
    (theirs: 160 thousand, with MS-COCO photos and WikiArt paintings), and styles mostly
    drawn procedurally.

    Defaults are those of `settings.DecoderSettings`. Ctrl-C writes a checkpoint, then raises
    KeyboardInterrupt. Raises ImageError / InputError for bad inputs, StyleTransferError for a
    folder of a run with other settings or an unreadable checkpoint.
    """
    if drawn is None:
        drawn = DecoderSettings.drawn if style is not None else 1.0
    settings = DecoderSettings(steps=steps, size=size, scale=scale, style_scale=style_scale, batch=batch, width=width,
                               style_weight=style_weight, drawn=drawn, learning_rate=learning_rate,
                               ema_momentum=ema_momentum, precision=precision,
                               checkpoint_every=checkpoint_every, sample_every=sample_every, seed=seed)
    if style is None and drawn < 1:
        raise InputError(f"without style images every style must be drawn: give styles or drawn=1 (got {drawn})")
    strategy = strategy or tf.distribute.get_strategy()
    if batch % strategy.num_replicas_in_sync:
        raise InputError(f"batch {batch} must be a multiple of the {strategy.num_replicas_in_sync} replicas")
    if size % GRID:
        raise InputError(f"size must be a multiple of {GRID} (the encoder pools three times), got {size}")
    run_dir = checks.writable_folder(out)
    start = load_decoder(init) if isinstance(init, (str, Path)) else init
    if start is not None and start.width != width:
        raise InputError(f"the init decoder has width {start.width}, this run {width}: give a decoder of the same "
                         f"width or change --width")
    photos = TrainingPhotos(content, size, scale)
    styles = [] if style is None else style_images(style, size, style_scale)
    identity = {**settings.must_match(), "content": [str(Path(c).resolve()) for c in _as_list_of_paths(content)],
                "style": None if style is None else [_source_identity(s) for s in _as_list_of_paths(style)]}
    if init is not None:  # only then, so that runs made before `init` existed still resume
        identity["init"] = str(Path(init).resolve()) if isinstance(init, (str, Path)) else "model"

    def batches(first):
        return tf.data.Dataset.zip(content_batches(photos, batch, seed, first, steps),
                                   drawn_style_batches(styles, size, batch, seed, first, steps, drawn)).prefetch(tf.data.AUTOTUNE)

    sample_photos = next(iter(content_batches(photos, 4, seed, 0, 1, stream=SAMPLES, cache_bytes=0))).numpy()
    sample_styles = next(iter(drawn_style_batches(styles, size, 4, seed, 0, 1, drawn, stream=SAMPLES))).numpy()
    with strategy.scope():
        encoder = Encoder(extractor, precision=precision)
        trainer = DecoderTrainer(settings, encoder, (sample_photos, sample_styles))
        if start is not None:
            copy_model_variables(start, trainer.decoder)
    model_path = run_dir / "decoder.keras"
    run = run_training(trainer, batches, run_dir, identity, steps=steps, checkpoint_every=checkpoint_every,
                       sample_every=sample_every, strategy=strategy, model_path=model_path,
                       resume=resume, progress=progress, desc="train decoder")
    return DecoderResult(trainer.averaged(), run.history, run_dir, model_path, settings,
                         {str(p): r for p, r in photos.skipped.items()}, run.resumed_from, run.wrote)


def _as_list_of_paths(sources):
    return [sources] if isinstance(sources, (str, Path, np.ndarray)) else list(sources)


def _source_identity(source):
    """What a resumed run must find again: a file's full path, or an array's contents (a hash)."""
    if isinstance(source, (str, Path)):
        return str(Path(source).resolve())
    return "array " + hashlib.sha1(np.ascontiguousarray(source).tobytes()).hexdigest()
