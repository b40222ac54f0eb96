"""Generator size against quality and speed: the table the default width and depth are chosen from.

    python benchmarks/generator_sizes.py --runs ~/runs/sizes [--steps 3000] [--size 128] [--scale 256]
        [--sizes 8x5 16x5 32x5] [--style data/styles/strokes.jpg]

For each size WxR (width W, R residual blocks) a generator is trained on the sample
photos (`data/contents` without chelsea, and `data/training`) with the package's default
losses, into its own run folder under --runs: run the command again and every training
resumes where it stopped, so the table can be built over several sittings. Keep --runs
outside the checkout. Then each generator is judged on chelsea, which no training saw,
against `stylize` with its defaults on the same pair, by measures no method optimises
(`metrics.style_distance`, `metrics.colour_distance`; LPIPS to the photo for content),
and timed per megapixel through `apply` at 1024 px. Ratios below 1 are better than `stylize`.
"""

import argparse
import time
from pathlib import Path

import numpy as np

from _timing import timed
from styletransfer import images, metrics
from styletransfer.gan import train_generator
from styletransfer.generator import apply
from styletransfer.optimize import stylize
from styletransfer.settings import TrainSettings

DATA = Path(__file__).resolve().parent.parent / "data"
HELD_OUT = DATA / "contents" / "chelsea.jpg"


def training_photos():
    """Every sample photo except the held-out one."""
    return [p for p in sorted((DATA / "contents").iterdir()) if p != HELD_OUT] + [DATA / "training"]


def judge(image, photo, style):
    return (metrics.style_distance(image, style), metrics.colour_distance(image, style),
            float(metrics.lpips(image, photo)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", required=True, type=Path, help="folder for the run folders (outside the checkout)")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--size", type=int, default=128, help="training crop size in px")
    parser.add_argument("--scale", type=int, default=TrainSettings.scale, help="photos' shorter side before cropping, px")
    parser.add_argument("--sizes", nargs="+", default=["8x5", "16x5", "32x5"], help="WIDTHxRES_BLOCKS")
    parser.add_argument("--style", type=Path, default=DATA / "styles" / "strokes.jpg")
    args = parser.parse_args()

    photo, style = images.load_image(HELD_OUT), images.load_image(args.style)
    start = time.perf_counter()
    reference = judge(stylize(photo, style, progress=False).image, photo, style)
    print(f"stylize (defaults) on {HELD_OUT.name}: style {reference[0]:.3f}, colour {reference[1]:.3f}, "
          f"LPIPS {reference[2]:.3f}, {time.perf_counter() - start:.0f} s")
    big = np.random.default_rng(0).uniform(size=(1024, 1024, 3)).astype(np.float32)
    print("size   params  steps  s/MP   style (x stylize)  colour (x stylize)  LPIPS (x stylize)")
    for size in args.sizes:
        width, res_blocks = map(int, size.split("x"))
        result = train_generator(training_photos(), args.style, args.runs / f"{args.style.stem}_w{width}_r{res_blocks}",
                                 steps=args.steps, size=args.size, scale=args.scale, width=width, res_blocks=res_blocks, progress=False)
        generator = result.generator
        seconds = timed(lambda: apply(generator, big), 2)
        scores = judge(apply(generator, photo), photo, style)
        ratios = [s / r for s, r in zip(scores, reference)]
        print(f"{size:6s} {generator.count_params():7d} {len(result.history):6d} {seconds:5.3f}  "
              + "  ".join(f"{s:.3f} ({q:.2f})      " for s, q in zip(scores, ratios)))


if __name__ == "__main__":
    main()
