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
L-BFGS with a 2-level pyramid, each as a ratio to the reference's time, and
(3) Adam against L-BFGS at equal wall time, judged by measures of the result that neither
optimises (`metrics.style_distance` to the style, LPIPS to the photo). The loss alone
cannot rank them: they settle on different balances of its terms, so each runs at style
weights 3, 10 and 30, and the two are compared at equal content kept: the style distance
at LPIPS 0.5, interpolated between the weights, after each of --budgets seconds, and the
time each needs to reach Adam's value after the longest budget.
"""

import argparse
import time

import keras
import numpy as np
import tensorflow as tf

from styletransfer import images, metrics, weights
from styletransfer.features import FeatureExtractor
from styletransfer.losses import PerceptualLoss, blended_gram_targets
from styletransfer.optimize import CONTENT_LAYERS, STYLE_LAYERS, stylize
from styletransfer.settings import StylizeSettings

CONTENT = "data/contents/chelsea.jpg"
STYLE = "data/styles/strokes.jpg"
DEFAULTS = StylizeSettings()


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


def snapshots(content, style, extractor, seconds, every=5, **options):
    """Run `stylize` for `seconds`; returns [(seconds since the start, image)] every `every` steps."""
    taken = []
    result = stylize(content, style, steps=100_000, max_seconds=seconds, progress=False, extractor=extractor,
                     callback=lambda step, losses, image: taken.append((step, image)), callback_every=every, **options)
    times = {h["step"]: h["time"] for h in result.history}
    return [(times[step], image) for step, image in taken]


WEIGHTS = (3.0, DEFAULTS.style_weight, 30.0)  # style weights of part 3
KEPT = 0.5  # LPIPS to the photo at which part 3 compares the optimisers


def style_at_kept(points):
    """The style distance at LPIPS = KEPT, interpolated linearly between the (LPIPS, style distance)
    points of one optimiser's style weights (None if KEPT lies outside them)."""
    points = sorted(points)
    for (l0, d0), (l1, d1) in zip(points, points[1:]):
        if l0 <= KEPT <= l1:
            return d0 + (KEPT - l0) / (l1 - l0) * (d1 - d0)
    return None


def equal_time(content, style, budgets, every=20):
    """Part 3: both optimisers at several style weights, measured every `every` steps."""
    extractor = FeatureExtractor(list(CONTENT_LAYERS) + list(STYLE_LAYERS))
    stylize(content, style, steps=3, progress=False, extractor=extractor)  # trace once, outside the timings
    measured = {}
    for optimizer in ("lbfgs", "adam"):
        for w in WEIGHTS:
            taken = snapshots(content, style, extractor, max(budgets), every, optimizer=optimizer, style_weight=w)
            measured[optimizer, w] = [(t, metrics.style_distance(image, style), float(metrics.lpips(image, content)))
                                      for t, image in taken]

    def front(optimizer, seconds):
        """(LPIPS, style distance) of each weight's last image taken within `seconds`."""
        latest = [[m for m in measured[optimizer, w] if m[0] <= seconds] for w in WEIGHTS]
        return [(m[-1][2], m[-1][1]) for m in latest if m]

    for budget in budgets:
        for optimizer in ("lbfgs", "adam"):
            points = ", ".join(f"weight {w:g}: {d:.3f} / {lp:.3f}" for w, (lp, d) in zip(WEIGHTS, front(optimizer, budget)))
            at_kept = style_at_kept(front(optimizer, budget))
            print(f"   {budget:4.0f} s  {optimizer:5s} style distance / LPIPS  {points};  style distance at LPIPS "
                  f"{KEPT:g}: " + (f"{at_kept:.3f}" if at_kept is not None else "out of range"))
    target = style_at_kept(front("adam", max(budgets)))
    times = sorted({m[0] for runs in measured.values() for m in runs})
    print(f"   time until the style distance at LPIPS {KEPT:g} is {target:.3f} or lower (Adam's after {max(budgets):g} s):")
    for optimizer in ("lbfgs", "adam"):
        reached = next((t for t in times if (d := style_at_kept(front(optimizer, t))) is not None and d <= target), None)
        print(f"      {optimizer:5s} " + (f"{reached:5.1f} s, {reached / max(budgets):.2f} of Adam's time" if reached
                                          else "not within the budget"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference-steps", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--budgets", type=float, nargs="+", default=[15.0, 45.0])
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

    print("\n3. Adam against L-BFGS at equal wall time, 256 px, by measures of the result:")
    equal_time(content, style, args.budgets)


if __name__ == "__main__":
    main()
