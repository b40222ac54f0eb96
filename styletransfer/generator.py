"""The feed-forward stylisation network and tiled inference.

Generator: the layout of the image transformation network of Johnson et al. (2016,
https://arxiv.org/abs/1603.08155), with reflection-padded convolutions and instance
normalisation,

    9x9 conv (w) -> two 3x3 stride-2 convs (2w, 4w) -> r residual blocks (4w)
    -> two (nearest x2 resize, 3x3 conv) upsamplings (2w, w) -> 9x9 conv (3) -> (tanh + 1) / 2

What differs from Johnson et al. and why: instance normalisation instead of batch
normalisation (Ulyanov et al., 2016, https://arxiv.org/abs/1607.08022), which stylises
each image by its own statistics and markedly improves the results; resize-then-convolve
upsampling instead of fractionally strided convolutions (Odena et al., 2016,
https://doi.org/10.23915/distill.00003), which avoids their checkerboard artefacts;
reflection padding at every convolution instead of once at the input with unpadded
residual blocks, so that any input size gives the same output size; and a default width
w = 16 with about 424 thousand parameters instead of their 32 with about 1.7 million,
chosen from a measured table of quality against speed (benchmarks/generator_sizes.py,
the README gives it). `upsample_conv` computes the upsampling exactly without making
the upsampled copy, and `conv_on_blocks` the last 9x9 layer on 2x2 blocks: inside a
`tf.function` on two CPU cores, at width 16, they measured 1.42 to 1.74 times and about 2
times as fast as `UpSampling2D` + `Conv2D` and `Conv2D`, the whole forward pass 1.30 times
(benchmarks/generator.py, part 3); a training step, forward and backward, gains nothing.
Inputs of any size work: they are reflection-padded to a multiple of 4 and the output is
cropped back, so the output has the input's shape.

Instance normalisation, per image and channel over the positions p:

    IN(x) = gamma * (x - mu) / sqrt(var + eps) + beta,   mu = mean_p x,  var = mean_p (x - mu)^2

A photo too large to process at once is stylised in overlapping tiles
(`styletransfer.tiling`). mu and var then come from one pass over a downscaled copy of the
whole photo, so every tile is normalised alike.
"""

from pathlib import Path
from typing import Any

import numpy as np

from ._tensorflow import keras, tf
from .errors import InputError
from .images import check_image, load_image, resize_image
from .seeding import glorot_uniform
from .checkpoints import load_model_file
from .settings import TrainSettings
from .tiling import apply_tiled

__all__ = ["Generator", "InstanceNormalization", "apply", "load_generator", "upsample_conv", "conv_on_blocks", "MIN_INPUT"]

MIN_INPUT = 8  # smallest image side the generator accepts
TILE = 1024  # photos with a longer side above this are processed in tiles
OVERLAP = 128


@keras.saving.register_keras_serializable(package="styletransfer")
class InstanceNormalization(keras.layers.Layer):
    """``gamma * (x - mu) / sqrt(var + eps) + beta`` with mu, var over (H, W) per image and
    channel, or given as ``stats=(mu, var)`` (shapes (B, 1, 1, C))."""

    def __init__(self, epsilon: float = 1e-5, **kwargs: Any):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def build(self, input_shape: tuple | tf.TensorShape) -> None:
        channels = input_shape[-1]
        self.gamma = self.add_weight(shape=(channels,), initializer="ones", name="gamma")
        self.beta = self.add_weight(shape=(channels,), initializer="zeros", name="beta")

    def call(self, x: tf.Tensor, stats: tuple[tf.Tensor, tf.Tensor] | None = None) -> tf.Tensor:
        mean, var = tf.nn.moments(x, axes=[1, 2], keepdims=True) if stats is None else stats
        scale = self.gamma * tf.math.rsqrt(var + self.epsilon)  # (B, 1, 1, C): two passes over x, not four
        return x * scale + (self.beta - mean * scale)

    def get_config(self) -> dict:
        return {**super().get_config(), "epsilon": self.epsilon}


def _reflect(x, pad):
    return tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]], mode="REFLECT")


# Row (and column) taps of the two output phases of a nearest x2 upsampling followed by a
# reflection-padded 3x3 convolution: output row 2i sees input rows i-1, i, i (phase 0),
# output row 2i+1 sees rows i, i, i+1 (phase 1).
_PHASE_TAPS = np.array([[[1, 0, 0], [0, 1, 1]], [[1, 1, 0], [0, 0, 1]]], np.float32)


def upsample_conv(x: np.ndarray | tf.Tensor, kernel: np.ndarray | tf.Tensor | keras.Variable) -> tf.Tensor:
    """``conv3x3(reflect_pad_1(nearest_resize_x2(x)), kernel)``, computed at x's resolution.

    Each of the four output phases (a, b) (even/odd rows and columns) is a 2x2 convolution
    of x padded by 1 (symmetric) with the merged kernel K_ab = T_a k T_b^T (T: `_PHASE_TAPS`).
    One 2x2 convolution gives all four phases, which are then interleaved: the same result
    with 4/9 of the multiplications and no upsampled copy of x.
    """
    x = tf.convert_to_tensor(x)
    h, w = tf.shape(x)[1], tf.shape(x)[2]
    kernel = tf.cast(kernel, x.dtype)  # bfloat16 layers keep float32 weights
    taps = tf.constant(_PHASE_TAPS, x.dtype)
    phases = tf.einsum("apr,bqs,rsio->pqioab", taps, taps, kernel)
    cin, cout = kernel.shape[2], kernel.shape[3]
    q = tf.nn.conv2d(tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="SYMMETRIC"),
                     tf.reshape(phases, (2, 2, cin, cout * 4)), strides=1, padding="VALID")
    q = tf.reshape(q, tf.concat([tf.shape(q)[:3], [cout, 2, 2]], 0))
    out = tf.concat([q[:, a:a + h, b:b + w, :, a, b] for a in (0, 1) for b in (0, 1)], axis=-1)
    return tf.nn.depth_to_space(out, 2)


def _block_taps(size):
    """S[u, p, a, r] = 1 where a + r = 2u + p: kernel row r of output phase a reads row p of
    the 2x2 block u rows further down."""
    taps = np.zeros((size // 2 + 1, 2, 2, size), np.float32)
    for a in range(2):
        for r in range(size):
            taps[(a + r) // 2, (a + r) % 2, a, r] = 1
    return taps


def conv_on_blocks(x: np.ndarray | tf.Tensor, kernel: np.ndarray | tf.Tensor | keras.Variable) -> tf.Tensor:
    """``conv2d(x, kernel, padding="VALID")`` for an odd square kernel, computed on 2x2 blocks.

    With x' = space_to_depth(x, 2) and y' = space_to_depth(y, 2), y' is a VALID convolution
    of x' with the (size // 2 + 1)-square kernel K[u, v, (p, q, i), (a, b, o)] =
    sum_rs S[u, p, a, r] S[v, q, b, s] k[r, s, i, o] (S: `_block_taps`). Four times the
    channels at a quarter of the positions: the same result, faster for the generator's
    last layer (8 channels in, 3 out) on CPUs.
    """
    size, cin, cout = kernel.shape[0], kernel.shape[2], kernel.shape[3]
    taps = tf.constant(_block_taps(size))
    blocks = tf.reshape(tf.einsum("upar,vqbs,rsio->uvpqiabo", taps, taps, kernel), (size // 2 + 1,) * 2 + (4 * cin, 4 * cout))
    h, w = tf.shape(x)[1] - size + 1, tf.shape(x)[2] - size + 1
    x = tf.pad(x, [[0, 0], [0, h % 2], [0, w % 2], [0, 0]])  # an even size; the extra row reaches only cropped outputs
    y = tf.nn.depth_to_space(tf.nn.conv2d(tf.nn.space_to_depth(x, 2), blocks, strides=1, padding="VALID"), 2)
    return y[:, :h, :w]


def _build(layer, input_shape):
    """Create a layer's weights for layers whose kernel is used directly, not by calling them."""
    if not layer.built:
        layer.build(input_shape)


@keras.saving.register_keras_serializable(package="styletransfer")
class Generator(keras.Model):
    """Image transformation network: (B, H, W, 3) in [0, 1] -> stylised (B, H, W, 3) in [0, 1].

    Args:
        width: channels of the first layer w (then 2w, 4w). Johnson et al. use 32 (about 1.7
            million parameters); the default 16 (about 424 thousand) ran at 0.6 to 1.0 s per
            megapixel on two CPU cores (see benchmarks/generator.py).
        res_blocks: number of residual blocks r at 1/4 resolution (Johnson et al.: 5).
        kernel: size of the first and last convolutions (Johnson et al.: 9).
        seed: fixes the initial weights.

    ``generator(x)`` normalises each image by its own statistics; ``generator(x, stats)``
    uses given ones, as returned by ``generator.norm_stats(y)``.
    """

    def __init__(self, width: int = TrainSettings.width, res_blocks: int = TrainSettings.res_blocks, kernel: int = 9,
                 seed: int = 0, **kwargs: Any):
        super().__init__(**kwargs)
        self.width, self.res_blocks, self.kernel, self.seed = int(width), int(res_blocks), int(kernel), int(seed)
        w = self.width
        kernels = glorot_uniform(self.seed)

        def conv(filters, size, **kwargs):  # every conv but the last feeds an instance norm: a bias would cancel
            return keras.layers.Conv2D(filters, size, use_bias=False, kernel_initializer=next(kernels), **kwargs)

        self.in_conv = conv(w, kernel, name="in_conv")
        self.down_convs = [conv(2 * w, 3, strides=2, name="down1"), conv(4 * w, 3, strides=2, name="down2")]
        self.res_convs = [conv(4 * w, 3, name=f"res{i // 2 + 1}_{'ab'[i % 2]}") for i in range(2 * self.res_blocks)]
        self.up_convs = [conv(2 * w, 3, name="up1"), conv(w, 3, name="up2")]
        self.out_conv = keras.layers.Conv2D(3, kernel, kernel_initializer=next(kernels), name="out_conv")
        self.norms = [InstanceNormalization(name=f"norm{i}") for i in range(5 + 2 * self.res_blocks)]
        self._compiled = None  # see _graphs

    def _forward(self, images, stats=None):
        """(output, the (mu, var) of every normalisation, in order)."""
        x = tf.convert_to_tensor(images, tf.float32) * 2.0 - 1.0
        h, w = tf.shape(x)[1], tf.shape(x)[2]
        x = tf.pad(x, [[0, 0], [0, (-h) % 4], [0, (-w) % 4], [0, 0]], mode="REFLECT")
        used = []

        def norm(s):
            layer = self.norms[len(used)]
            moments = tf.nn.moments(s, axes=[1, 2], keepdims=True) if stats is None else stats[len(used)]
            used.append(moments)
            return layer(s, stats=moments)

        x = tf.nn.relu(norm(self.in_conv(_reflect(x, self.kernel // 2))))
        for conv in self.down_convs:
            x = tf.nn.relu(norm(conv(_reflect(x, 1))))
        for conv_a, conv_b in zip(self.res_convs[::2], self.res_convs[1::2]):
            x = x + norm(conv_b(_reflect(tf.nn.relu(norm(conv_a(_reflect(x, 1)))), 1)))
        for conv in self.up_convs:
            _build(conv, x.shape)
            x = tf.nn.relu(norm(upsample_conv(x, conv.kernel)))
        _build(self.out_conv, x.shape)
        x = conv_on_blocks(_reflect(x, self.kernel // 2), self.out_conv.kernel) + self.out_conv.bias
        return (tf.tanh(x[:, :h, :w, :]) + 1.0) / 2.0, used

    def call(self, images: np.ndarray | tf.Tensor,
             stats: list[tuple[tf.Tensor, tf.Tensor]] | None = None) -> tf.Tensor:
        return self._forward(images, stats)[0]

    def transform(self, images: np.ndarray | tf.Tensor,
                  stats: list[tuple[tf.Tensor, tf.Tensor]] | None = None) -> tf.Tensor:
        """`call` run as a compiled graph: the fast path for inference. Each generator
        compiles it once for images of any size (and once more for given `stats`)."""
        if stats is None:
            return self._graphs()[0](images)
        return self._graphs()[1](images, stats)

    def _graphs(self):
        """The two compiled forms of `call`, built on first use with shapes left open."""
        if self._compiled is None:
            images = tf.TensorSpec([None, None, None, 3], tf.float32)
            stats = tf.nest.map_structure(lambda t: tf.TensorSpec([None] * t.shape.rank, t.dtype),
                                          self.norm_stats(tf.zeros((1, 16, 16, 3))))
            self._compiled = (tf.function(lambda x: self._forward(x)[0], input_signature=[images]),
                              tf.function(lambda x, s: self._forward(x, s)[0], input_signature=[images, stats]))
        return self._compiled

    def norm_stats(self, images: np.ndarray | tf.Tensor) -> list[tuple[tf.Tensor, tf.Tensor]]:
        """The (mu, var) pairs every instance normalisation computes for `images`."""
        return self._forward(images)[1]

    def get_config(self) -> dict:
        return {**super().get_config(), "width": self.width, "res_blocks": self.res_blocks, "kernel": self.kernel,
                "seed": self.seed}

    def build(self, input_shape: tuple | tf.TensorShape | None = None) -> None:
        self._forward(tf.zeros((1, 16, 16, 3)))  # creates every layer's weights


def load_generator(path: str | Path) -> Generator:
    """Load a generator saved as ``.keras`` by `styletransfer.gan.train_generator`.

    Raises StyleTransferError if the file is missing or is not a saved generator.
    """
    return load_model_file(path, Generator, "generator")


def apply(generator: Generator | str | Path,
          images: np.ndarray | str | Path | list[np.ndarray | str | Path] | tuple[np.ndarray | str | Path, ...],
          tile: int = TILE, overlap: int = OVERLAP) -> np.ndarray | list[np.ndarray]:
    """Stylise photos with a trained generator (a `Generator` or a ``.keras`` path).

    `images`: one image (an (H, W, 3) array in [0, 1] or a path) or a list of them; returns
    the same kind: one (H, W, 3) float32 array or a list. A photo whose longer side exceeds
    `tile` is processed in tiles of at most tile x tile px overlapping by `overlap` px, with
    normalisation statistics from a copy downscaled to `tile`, so memory stays bounded.
    Raises InputError / ImageError for bad images, StyleTransferError for a bad model file.
    """
    if not isinstance(generator, Generator):
        generator = load_generator(generator)
    tile = int(tile) - int(tile) % 4
    if overlap < 8 or tile < overlap + 8:
        raise InputError(f"need an overlap of at least 8 px and a tile at least 8 px larger, got tile {tile}, overlap {overlap}")
    single = not isinstance(images, (list, tuple))
    results = []
    for item in [images] if single else images:
        image = load_image(item, min_size=MIN_INPUT) if isinstance(item, (str, Path)) else check_image(item, "image")
        if image.ndim != 3:
            raise InputError(f"apply takes (H, W, 3) images, got shape {image.shape}")
        if min(image.shape[:2]) < MIN_INPUT:
            raise InputError(f"image of {image.shape[0]}x{image.shape[1]} px is too small; each side must be at least {MIN_INPUT} px")
        if max(image.shape[:2]) <= tile:
            results.append(generator.transform(image[None])[0].numpy())
        else:
            stats = generator.norm_stats(resize_image(image, max_side=tile)[None])
            results.append(apply_tiled(lambda patch: generator.transform(patch[None], stats)[0].numpy(), image, tile,
                                       overlap))
    return results[0] if single else results
