"""The adversarial half of generator training: a PatchGAN discriminator and its losses.

The discriminator D (Isola et al., 2017, https://arxiv.org/abs/1611.07004) scores each patch
of an image as style (high) or generated (low). Over style crops s and generated images
g(x), D minimises and the generator's adversarial term is

    least squares (Mao et al., 2017, https://arxiv.org/abs/1611.04076):
        mean (D(s) - 1)^2 + mean D(g(x))^2;                 G's term: mean (D(g(x)) - 1)^2
    hinge (Lim and Ye, 2017, https://arxiv.org/abs/1705.02894):
        mean relu(1 - D(s)) + mean relu(1 + D(g(x)));       G's term: -mean D(g(x))
"""

from ._tensorflow import keras, tf
from .generator import InstanceNormalization
from .seeding import glorot_uniform
from .settings import ADVERSARIAL

__all__ = ["PatchDiscriminator", "discriminator_loss", "generator_adversarial_loss", "ADVERSARIAL"]


def PatchDiscriminator(width: int = 32, depth: int = 3, seed: int = 0, name: str = "patch_discriminator") -> keras.Model:
    """PatchGAN: 4x4 stride-2 convolutions (width, 2 width, ...), LeakyReLU(0.2) and instance
    normalisation after all but the first, then a 4x4 convolution to one score per patch.
    (B, H, W, 3) in [0, 1] -> (B, H / 2^depth, W / 2^depth, 1). `seed` fixes the initial
    weights (drawn from another stream than a `Generator`'s of the same seed).

    Unlike Isola et al.'s, the first convolution has no bias either (the normalised ones need
    none): with one, TensorFlow's graph optimiser tries to fuse convolution, bias and
    LeakyReLU in the training step, fails, and prints an error on every run."""
    kernels = glorot_uniform(seed, stream=1)
    layers = [keras.Input((None, None, 3)), keras.layers.Rescaling(2.0, offset=-1.0)]
    for i in range(depth):
        layers.append(keras.layers.Conv2D(width * 2**i, 4, strides=2, padding="same", use_bias=False,
                                          kernel_initializer=next(kernels), name=f"conv{i + 1}"))
        if i > 0:
            layers.append(InstanceNormalization(name=f"norm{i + 1}"))
        layers.append(keras.layers.LeakyReLU(0.2))
    layers.append(keras.layers.Conv2D(1, 4, padding="same", kernel_initializer=next(kernels), name="score"))
    return keras.Sequential(layers, name=name)


def discriminator_loss(kind: str, real_scores, fake_scores) -> tf.Tensor:
    """D's loss on style-crop scores and generated-image scores, for "lsgan" or "hinge" (see the module doc)."""
    if kind == "lsgan":
        return tf.reduce_mean(tf.square(real_scores - 1.0)) + tf.reduce_mean(tf.square(fake_scores))
    return tf.reduce_mean(tf.nn.relu(1.0 - real_scores)) + tf.reduce_mean(tf.nn.relu(1.0 + fake_scores))


def generator_adversarial_loss(kind: str, fake_scores) -> tf.Tensor:
    """G's adversarial term: ``mean (D(g(x)) - 1)^2`` (lsgan) or ``-mean D(g(x))`` (hinge)."""
    if kind == "lsgan":
        return tf.reduce_mean(tf.square(fake_scores - 1.0))
    return -tf.reduce_mean(fake_scores)
