"""`stylize` against the TensorFlow tutorial's loop: time per step, and time to the loop's
quality, judged by measures of the results that neither optimises. One process, same
network, layers and images.

    python benchmarks/stylize.py [--sizes 256 512] [--rounds 3] [--calibrate] [--choose]

The tutorial loop is the public TensorFlow style-transfer tutorial's, as users know it
(https://www.tensorflow.org/tutorials/generative/style_transfer), on the package's ImageNet
VGG16 as a Keras model and `stylize`'s layers: Gram matrices averaged over positions; the
loss style_weight * mean over layers of mean((G - A)^2) + content_weight * mean over layers
of mean((F - P)^2) + 30 * tf.image.total_variation; Adam with learning rate 0.02, beta_1
0.99 and epsilon 0.1; the image clipped to [0, 1]; one `tf.function` step on the
full-resolution image. The tutorial's weights (1e-2 style, 1e4 content) belong to
Caffe-preprocessed VGG19 features, whose scale differs from these weights' features;
TUTORIAL_WEIGHTS were chosen with --calibrate to make the loop's 300-step result as stylised
as `stylize`'s 300 L-BFGS steps on the bundled pair at 256 px: none of the weights tried gets
there (style distance 0.165 at best against 0.112; larger weights leave the total variation
term too weak and the result noisier), so the loop uses the most stylising of them.
The strong Adam loop is the package's own loss with one plain `tf.function` Adam step.

Quality is a pair of measures of a result that no loss here optimises: the style distance
to the style image (`metrics.style_distance`) and LPIPS to the photo. A run reaches the
loop's quality when both are at most those of the loop's result after 300 steps.

Prints, in one run:
1. time per step at each size: the tutorial loop, the strong Adam loop, and `stylize`'s
   L-BFGS iteration and Adam step in float32 and bfloat16, timed in alternating rounds;
2. for each size and pair (the bundled pair, on which the defaults were chosen, and a pair of
   held-out photo and held-out style): the loop's 300 steps (seconds, measures), then
   `stylize` with its defaults in float32 and in bfloat16: seconds, steps, why it stopped,
   measures, whether it reached the loop's quality and its time as a fraction of the
   loop's (targets: at most 0.15 in float32, 0.10 in bfloat16), and the first step at
   which it reached that quality;
3. the settings measured.
--calibrate prints the style distance of the loop's 300-step result for several weights;
--choose runs L-BFGS and Adam for 300 steps on both pairs at 256 px and prints, for
candidate tolerances, where the convergence test would stop each and whether the loop's
quality was reached there: the measurements the defaults were chosen from.
"""

import argparse
import dataclasses
import time

import keras
import numpy as np
import tensorflow as tf

from styletransfer import images, metrics, weights
from styletransfer.features import FeatureExtractor
from styletransfer.losses import PerceptualLoss, blended_gram_targets
from styletransfer.optimize import CONTENT_LAYERS, STYLE_LAYERS, converged, stylize
from styletransfer.settings import StylizeSettings

PAIRS = {"bundled": ("data/contents/chelsea.jpg", "data/styles/strokes.jpg"),
         "held out": ("data/held_out/raccoon.jpg", "data/held_out_styles/starry_night.jpg")}
DEFAULTS = StylizeSettings()
TUTORIAL_STEPS = 300
TUTORIAL_WEIGHTS = {"style": 1e6, "content": 1e5}  # chosen with --calibrate (see the module doc)
CALIBRATION = [(1e5, 3e7), (1e6, 3e7), (3e5, 3e4), (1e6, 1e5), (1e6, 3e5), (3e6, 3e5), (1e7, 1e6)]  # (style, content)
TUTORIAL_TV = 30.0
TARGETS = {"float32": 0.15, "bfloat16": 0.10}  # the most of the loop's time `stylize` may take
LAYERS = list(CONTENT_LAYERS) + list(STYLE_LAYERS)


def keras_vgg16():
    """The package's ImageNet VGG16 as a Keras functional model: x in [0, 1] -> {layer: features}."""
    w = weights.load_weights("vgg16")
    vgg = keras.applications.VGG16(include_top=False, weights=None, input_shape=(None, None, 3))
    convs = [layer for layer in vgg.layers if isinstance(layer, keras.layers.Conv2D)]
    for layer, kernel, bias in zip(convs, w.kernels, w.biases):
        layer.set_weights([kernel, bias])
    vgg.trainable = False
    model = keras.Model(vgg.input, [vgg.get_layer(n).output for n in LAYERS])
    mean, std = np.array(w.preprocessing.mean, "float32"), np.array(w.preprocessing.std, "float32")
    return lambda x: dict(zip(LAYERS, model((x - mean) / std)))


def gram(x):
    return tf.einsum("bijc,bijd->bcd", x, x) / tf.cast(tf.shape(x)[1] * tf.shape(x)[2], tf.float32)


def tutorial_loop(content, style, style_weight=TUTORIAL_WEIGHTS["style"], content_weight=TUTORIAL_WEIGHTS["content"]):
    """The tutorial's setup: (its `tf.function` step, which returns the loss, and the image variable)."""
    features = keras_vgg16()
    style_targets = {n: gram(f) for n, f in features(style[None]).items() if n in STYLE_LAYERS}
    content_targets = {n: f for n, f in features(content[None]).items() if n in CONTENT_LAYERS}
    image = tf.Variable(content[None])
    opt = keras.optimizers.Adam(learning_rate=0.02, beta_1=0.99, epsilon=0.1)

    @tf.function
    def train_step():
        with tf.GradientTape() as tape:
            out = features(image)
            style_loss = tf.add_n([tf.reduce_mean((gram(out[n]) - style_targets[n]) ** 2) for n in STYLE_LAYERS])
            content_loss = tf.add_n([tf.reduce_mean((out[n] - content_targets[n]) ** 2) for n in CONTENT_LAYERS])
            loss = (style_weight * style_loss / len(STYLE_LAYERS) + content_weight * content_loss / len(CONTENT_LAYERS)
                    + TUTORIAL_TV * tf.image.total_variation(image)[0])
        opt.apply_gradients([(tape.gradient(loss, image), image)])
        image.assign(tf.clip_by_value(image, 0.0, 1.0))
        return loss

    return train_step, image


def strong_adam_loop(content, style):
    """The package's loss with one plain `tf.function` Adam step (learning rate 0.02): (step, image)."""
    features = keras_vgg16()
    content_targets = features(content[None])
    loss_of = PerceptualLoss(CONTENT_LAYERS, STYLE_LAYERS, blended_gram_targets([features(style[None])], STYLE_LAYERS),
                             DEFAULTS.content_weight, DEFAULTS.style_weight, DEFAULTS.tv_weight)
    image = tf.Variable(content[None])
    opt = keras.optimizers.Adam(learning_rate=0.02, epsilon=1e-8)

    @tf.function
    def train_step():
        with tf.GradientTape() as tape:
            loss = tf.add_n(list(loss_of(features(image), image, content_targets).values()))
        opt.apply_gradients([(tape.gradient(loss, image), image)])
        image.assign(tf.clip_by_value(image, 0.0, 1.0))
        return loss

    return train_step, image


def run_tutorial(content, style, steps=TUTORIAL_STEPS, **weights_):
    """(result image, seconds including the setup) of `steps` tutorial steps."""
    start = time.perf_counter()
    step, image = tutorial_loop(content, style, **weights_)
    for _ in range(steps):
        step()
    return image.numpy()[0], time.perf_counter() - start


def measures(image, content, style):
    return metrics.style_distance(image, style), float(metrics.lpips(image, content))


def load_pair(name, size):
    content, style = PAIRS[name]
    return images.load_image(content, max_side=size), images.load_image(style, max_side=size)


def per_step_times(size, rounds, steps=12):
    """Part 1: {name: median seconds per step} at `size`, the loops and `stylize` alternating."""
    content, style = load_pair("bundled", size)
    loops = {"tutorial loop": tutorial_loop(content, style)[0], "strong Adam loop": strong_adam_loop(content, style)[0]}
    extractors = {p: FeatureExtractor(LAYERS, precision=p) for p in ("float32", "bfloat16")}
    ours = {f"stylize {o} {p}": dict(optimizer=o, extractor=e) for p, e in extractors.items() for o in ("lbfgs", "adam")}
    for options in ours.values():  # trace once, outside the timings
        stylize(content, style, steps=3, progress=False, **options)
    seconds = {name: [] for name in [*loops, *ours]}
    for _ in range(rounds):
        for name, step in loops.items():
            step()
            start = time.perf_counter()
            for _ in range(steps):
                step()
            seconds[name].append((time.perf_counter() - start) / steps)
        for name, options in ours.items():
            times = [h["time"] for h in stylize(content, style, steps=steps + 1, tol=None, progress=False, **options).history]
            seconds[name].append((times[-1] - times[0]) / (len(times) - 1))
    return {name: float(np.median(s)) for name, s in seconds.items()}


def reached(result_measures, loop_measures):
    return all(ours <= theirs for ours, theirs in zip(result_measures, loop_measures))


def first_reached(content, style, loop_measures, taken, history, every):
    """(step, seconds) of the first snapshot that reaches the loop's quality, or None."""
    times = {h["step"]: h["time"] for h in history}
    for step, image in taken[::every]:
        if reached(measures(image, content, style), loop_measures):
            return step, times[step]
    return None


def time_to_quality(size, pair, every=5):
    """Part 2 for one size and pair."""
    content, style = load_pair(pair, size)
    loop_image, loop_seconds = run_tutorial(content, style)
    loop_measures = measures(loop_image, content, style)
    print(f"   {size} px, {pair} pair ({' x '.join(p.split('/')[-1] for p in PAIRS[pair])}): tutorial loop "
          f"{TUTORIAL_STEPS} steps in {loop_seconds:.1f} s, style distance {loop_measures[0]:.3f}, LPIPS {loop_measures[1]:.3f}")
    for precision, target in TARGETS.items():
        taken = []
        result = stylize(content, style, progress=False, precision=precision, callback_every=1,
                         callback=lambda step, losses, image: taken.append((step, image)))
        ours = measures(result.image, content, style)
        ok = reached(ours, loop_measures)
        first = first_reached(content, style, loop_measures, taken, result.history, every)
        ratio = result.wall_time / loop_seconds
        verdict = "reached" if ok else "NOT reached"
        print(f"      stylize {precision:8s} {result.wall_time:6.1f} s, {len(result.history)} steps "
              f"({result.stopped or 'all steps'}): style distance {ours[0]:.3f}, LPIPS {ours[1]:.3f}: quality {verdict}, "
              f"time {ratio:.2f} of the loop's (target at most {target:.2f}: {'met' if ok and ratio <= target else 'missed'})"
              + (f"; first reached at step {first[0]}, {first[1]:.1f} s ({first[1] / loop_seconds:.2f})" if first
                 else "; not reached at any checked step"))


def calibrate(weights_list):
    content, style = load_pair("bundled", 256)
    ours = measures(stylize(content, style, progress=False, tol=None, steps=300).image, content, style)
    print(f"stylize, 300 L-BFGS steps: style distance {ours[0]:.3f}, LPIPS {ours[1]:.3f}")
    for style_weight, content_weight in weights_list:
        image, seconds = run_tutorial(content, style, style_weight=style_weight, content_weight=content_weight)
        d, lp = measures(image, content, style)
        print(f"tutorial loop, style weight {style_weight:g}, content weight {content_weight:g}: style distance {d:.3f}, "
              f"LPIPS {lp:.3f} ({seconds:.1f} s)", flush=True)


def choose(tols=(0.1, 0.05, 0.02, 0.01, 0.005), windows=(5, 10, 20)):
    """Where the convergence test would stop L-BFGS and Adam (300 steps, 256 px), and the quality there."""
    for pair in PAIRS:
        content, style = load_pair(pair, 256)
        loop_image, loop_seconds = run_tutorial(content, style)
        loop_measures = measures(loop_image, content, style)
        print(f"   {pair} pair at 256 px: loop {loop_seconds:.1f} s, style distance {loop_measures[0]:.3f}, "
              f"LPIPS {loop_measures[1]:.3f}")
        for optimizer in ("lbfgs", "adam"):
            taken = []
            result = stylize(content, style, optimizer=optimizer, steps=300, tol=None, progress=False, callback_every=1,
                             callback=lambda step, losses, image: taken.append((step, image)))
            totals, times = [h["total"] for h in result.history], [h["time"] for h in result.history]
            first = first_reached(content, style, loop_measures, taken, result.history, 5)
            print(f"      {optimizer}: first reached the loop's quality at "
                  + (f"step {first[0]}, {first[1]:.1f} s ({first[1] / loop_seconds:.2f})" if first else "no checked step"))
            for window in windows:
                for tol in tols:
                    stop = next((n for n in range(1, len(totals)) if converged(totals[:n], tol, window)), len(totals))
                    d, lp = measures(taken[stop - 1][1], content, style)
                    print(f"         window {window:2d}, tol {tol:<6g} stops at step {stop:3d}, {times[stop - 1]:5.1f} s "
                          f"({times[stop - 1] / loop_seconds:.2f}): style distance {d:.3f}, LPIPS {lp:.3f}, "
                          f"{'reached' if reached((d, lp), loop_measures) else 'not reached'}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calibrate", action="store_true", help="only the choice of the tutorial loop's weights")
    parser.add_argument("--choose", action="store_true", help="only the measurements the defaults were chosen from")
    args = parser.parse_args()
    if args.calibrate:
        calibrate(CALIBRATION)
        return
    if args.choose:
        choose()
        return

    print(f"1. seconds per step ({args.rounds} alternating rounds, median)")
    for size in args.sizes:
        seconds = per_step_times(size, args.rounds)
        tutorial, strong = seconds["tutorial loop"], seconds["strong Adam loop"]
        for name, s in seconds.items():
            print(f"   {size} px  {name:28s} {s:.3f} s  ratio to the tutorial loop {s / tutorial:.2f}, "
                  f"to the strong Adam loop {s / strong:.2f}")
        for optimizer in ("lbfgs", "adam"):
            print(f"   {size} px  bfloat16 speed-up of stylize {optimizer}: "
                  f"{seconds[f'stylize {optimizer} float32'] / seconds[f'stylize {optimizer} bfloat16']:.2f}x")

    print(f"\n2. time to the tutorial loop's {TUTORIAL_STEPS}-step quality (style distance and LPIPS both at most the loop's)")
    for size in args.sizes:
        for pair in PAIRS:
            time_to_quality(size, pair)

    print("\n3. settings: stylize's defaults " + ", ".join(f"{k}={v}" for k, v in dataclasses.asdict(DEFAULTS).items())
          + f"; tutorial loop: style weight {TUTORIAL_WEIGHTS['style']:g}, content weight {TUTORIAL_WEIGHTS['content']:g}, "
          f"total variation weight {TUTORIAL_TV:g}, Adam(0.02, beta_1=0.99, epsilon=0.1)")


if __name__ == "__main__":
    main()
