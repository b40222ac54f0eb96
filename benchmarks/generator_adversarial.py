"""What the adversarial term changes: the same training with and without it, over seeds,
judged by measures neither setting optimises.

    python benchmarks/generator_adversarial.py --runs ~/runs/adversarial [--init data/generators/strokes.keras]
        [--style data/styles/waves.jpg] [--steps 750] [--seeds 0 1 2] [--width 16 --res-blocks 5] [--style-weight 1]
        [--adversarial-weights 0 0.05] [--references FILE]

For each adversarial weight and seed, a generator is fine-tuned from --init (a generator trained
on another style; `--init none` starts from random weights) for --steps steps on the sample
photos that are not held out (128-px crops, scale 256), each in its own folder under --runs,
then judged on the held-out photos (style distance, colour distance and LPIPS as ratios to
`stylize`'s, worst of the photos; `_quality`). Printed: every run's ratios, and per weight the
mean and the spread (largest minus smallest) over the seeds, so a difference between the
weights can be read against the difference between seeds. Everything resumes: run the
command again after an interruption.
"""

import argparse
from pathlib import Path

import numpy as np

from _quality import DATA, MEASURES, REFERENCES, held_out_photos, references, training_photos, worst_ratios
from styletransfer import images
from styletransfer.gan import train_generator
from styletransfer.settings import TrainSettings


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", required=True, type=Path, help="folder for the run folders (outside the checkout)")
    parser.add_argument("--references", type=Path, default=REFERENCES,
                        help="file keeping stylize's scores on the held-out photos (measured when missing; default %(default)s)")
    parser.add_argument("--init", default=str(DATA / "generators" / "strokes.keras"),
                        help="the generator to start from, or 'none' for random weights")
    parser.add_argument("--style", type=Path, default=DATA / "styles" / "waves.jpg")
    parser.add_argument("--steps", type=int, default=750)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--width", type=int, default=TrainSettings.width)
    parser.add_argument("--res-blocks", type=int, default=TrainSettings.res_blocks)
    parser.add_argument("--style-weight", type=float, default=1.0)
    parser.add_argument("--adversarial-weights", type=float, nargs="+", default=[0.0, 0.05])
    args = parser.parse_args()

    init = None if args.init == "none" else args.init
    start = Path(args.init).stem if init else "random"
    photos = held_out_photos()
    style = images.load_image(args.style)
    reference = references(args.references, photos, style, args.style.name)
    print(f"{args.steps} steps from {args.init}, style {args.style.name}, style weight {args.style_weight:g}; "
          "ratios to stylize, worst of the held-out photos")
    results = {}
    for weight in args.adversarial_weights:
        for seed in args.seeds:
            name = f"{start}_{args.style.stem}_{args.steps}_adv{weight:g}_s{seed}"
            result = train_generator(training_photos(), args.style, args.runs / name, steps=args.steps, size=128,
                                     scale=256, width=args.width, res_blocks=args.res_blocks,
                                     style_weight=args.style_weight, adversarial_weight=weight, seed=seed, init=init,
                                     progress=False, sample_every=args.steps)
            results.setdefault(weight, []).append(worst_ratios(result.generator, style, photos, reference))
            print(f"adversarial weight {weight:<5g} seed {seed}: "
                  + "  ".join(f"{m} {v:.2f}" for m, v in zip(MEASURES, results[weight][-1])), flush=True)
    print("\nper adversarial weight, over seeds " + " ".join(map(str, args.seeds)) + ": mean (spread)")
    for weight, rows in results.items():
        rows = np.array(rows)
        print(f"   {weight:<5g} " + "  ".join(f"{m} {mean:.3f} ({spread:.3f})" for m, mean, spread
                                          in zip(MEASURES, rows.mean(axis=0), np.ptp(rows, axis=0))))


if __name__ == "__main__":
    main()
