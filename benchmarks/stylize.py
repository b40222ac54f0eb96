"""Stylisation speed against a plain reference loop, in one process, on the same
images, network, layers and loss.

    python benchmarks/stylize.py [--reference-steps 500] [--rounds 3]

The reference is the loop of the public TensorFlow style-transfer tutorial: a Keras
VGG16 model whose outputs are the chosen layers, style targets computed once, and one
`tf.function` Adam step (learning rate 0.02) on the full-resolution image, clipped to
[0, 1]. It uses the same ImageNet weights, preprocessing and loss as the package (the
tutorial's own epsilon of 0.1 is meant for its summed loss; on this mean loss Adam's
standard epsilon keeps the step the same size as there).

Prints (1) time per optimisation step at 256 and 512 px, ours / reference, measured in
alternating rounds so that both loops see the same machine load (the first steps of each
round, which include tracing, excluded), and
(2) time to quality: wall time until the full-resolution loss falls below the loss the
reference reaches after --reference-steps steps at 256 px, for Adam, L-BFGS and
L-BFGS with a 2-level pyramid, each as a ratio to the reference's time.
"""

import argparse
import time

import keras
import numpy as np
import tensorflow as tf

from styletransfer import images, weights
from styletransfer.features import FeatureExtractor
from styletransfer.metrics import gram_matrix
from styletransfer.optimize import CONTENT_LAYERS, STYLE_LAYERS, CONTENT_WEIGHT, STYLE_WEIGHT, TV_WEIGHT, stylize

CONTENT = "data/contents/chelsea.jpg"
STYLE = "data/styles/strokes.jpg"


def reference_step(content, style):
    """The tutorial's setup; returns its `tf.function` Adam step, which returns the loss."""
    w = weights.load_weights("vgg16")
    vgg = keras.applications.VGG16(include_top=False, weights=None, input_shape=(None, None, 3))
    convs = [layer for layer in vgg.layers if isinstance(layer, keras.layers.Conv2D)]
    for layer, kernel, bias in zip(convs, w.kernels, w.biases):
        layer.set_weights([kernel, bias])
    vgg.trainable = False
    names = list(CONTENT_LAYERS) + list(STYLE_LAYERS)
    model = keras.Model(vgg.input, [vgg.get_layer(n).output for n in names])
    mean, std = np.array(w.preprocessing.mean, "float32"), np.array(w.preprocessing.std, "float32")

    def features(x):
        return dict(zip(names, model((x - mean) / std)))

    content_targets = {n: features(content[None])[n] for n in CONTENT_LAYERS}
    style_targets = {n: gram_matrix(features(style[None])[n]) for n in STYLE_LAYERS}
    image = tf.Variable(content[None])
    opt = keras.optimizers.Adam(learning_rate=0.02, epsilon=1e-8)

    @tf.function
    def train_step():
        with tf.GradientTape() as tape:
            f = features(image)
            c = tf.add_n([tf.reduce_mean((f[n] - content_targets[n]) ** 2) / tf.reduce_mean(content_targets[n] ** 2) for n in CONTENT_LAYERS]) / len(CONTENT_LAYERS)
            s = tf.add_n([tf.reduce_mean((gram_matrix(f[n]) - style_targets[n]) ** 2) / tf.reduce_mean(style_targets[n] ** 2) for n in STYLE_LAYERS]) / len(STYLE_LAYERS)
            tv = tf.reduce_mean(tf.abs(image[:, 1:] - image[:, :-1])) + tf.reduce_mean(tf.abs(image[:, :, 1:] - image[:, :, :-1]))
            loss = CONTENT_WEIGHT * c + STYLE_WEIGHT * s + TV_WEIGHT * tv
        opt.apply_gradients([(tape.gradient(loss, image), image)])
        image.assign(tf.clip_by_value(image, 0.0, 1.0))
        return loss

    return train_step


def reference_run(step, steps, start):
    """`steps` reference steps; returns (losses per step, seconds since `start` per step)."""
    losses, times = [], []
    for _ in range(steps):
        losses.append(float(step()))
        times.append(time.perf_counter() - start)
    return np.array(losses), np.array(times)


def per_step(times, skip=3):
    return (times[-1] - times[skip]) / (len(times) - 1 - skip)


def time_to(history, threshold, final_size):
    for h in history:
        if h["size"] == final_size and h["total"] <= threshold:
            return h["time"]
    return float("inf")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference-steps", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    print(f"1. time per optimisation step (Adam), ours / reference: {args.rounds} rounds of 15 steps each, alternating")
    for size in (256, 512):
        content = images.load_image(CONTENT, max_side=size)
        style = images.load_image(STYLE, max_side=size)
        step = reference_step(content, style)
        extractor = FeatureExtractor(list(CONTENT_LAYERS) + list(STYLE_LAYERS))
        ratios = []
        for _ in range(args.rounds):
            ref_t = per_step(reference_run(step, 15, time.perf_counter())[1])
            ours = stylize(content, style, optimizer="adam", steps=15, progress=False, extractor=extractor)
            our_t = per_step(np.array([h["time"] for h in ours.history]))
            ratios.append(our_t / ref_t)
            print(f"   {size} px: reference {ref_t:.3f} s/step, ours {our_t:.3f} s/step, ratio {our_t / ref_t:.2f}")
        print(f"   {size} px: median ratio {np.median(ratios):.2f}")

    content = images.load_image(CONTENT, max_side=256)
    style = images.load_image(STYLE, max_side=256)
    start = time.perf_counter()
    ref_losses, ref_times = reference_run(reference_step(content, style), args.reference_steps, start)
    threshold, ref_time = ref_losses[-1], ref_times[-1]
    print(f"\n2. time to quality at 256 px: the reference reaches loss {threshold:.4f} after "
          f"{args.reference_steps} steps in {ref_time:.1f} s")
    final = content.shape[:2]
    configs = {
        "adam": dict(optimizer="adam", steps=args.reference_steps),
        "lbfgs": dict(optimizer="lbfgs", steps=300),
        "lbfgs + pyramid (2 levels)": dict(optimizer="lbfgs", levels=2, steps=[100, 300]),
    }
    for name, options in configs.items():
        result = stylize(content, style, progress=False, **options)
        t = time_to(result.history, threshold, final)
        steps = next((h["step"] for h in result.history if h["size"] == final and h["total"] <= threshold), None)
        print(f"   {name:28s} {t:7.1f} s  (step {steps}, final loss {result.history[-1]['total']:.4f})  ratio {t / ref_time:.2f}")


if __name__ == "__main__":
    main()
