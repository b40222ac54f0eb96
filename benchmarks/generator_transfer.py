"""Transfer learning for generators: steps and time to reach a from-scratch run's quality
when training starts from random weights, from a generator trained on another style, or
from a generator pretrained to reproduce photos.

    python benchmarks/generator_transfer.py --runs ~/runs/transfer --other RUN_OR_MODEL.keras
        [--style data/styles/waves.jpg] [--steps 3000] [--seeds 0 1 2] [--scratch-seeds 0]
        [--width 16 --res-blocks 5 --style-weight 1 --adversarial-weight 0] [--references FILE]

Every run trains on the sample photos that are not held out (128-px crops, scale 256) in
its own folder under --runs, in stretches of steps/16, steps/8, steps/4 (the fine-tuned
runs) and on to steps/2 and steps (the runs from random weights); the start of a fine-tuned
run is judged as its step 0, and after each stretch the generator is judged on the held-out
photos (style distance, colour distance and LPIPS as ratios to `stylize`'s, worst of the
photos; `_quality`). The starts:

    scratch      random weights, --scratch-seeds;
    other        the weights of --other (a generator of the same size trained on another style);
    autoencoder  the weights of a generator first trained for steps/4 with the content loss
                 only (no style, no adversarial term): it learns to reproduce photos.

"Reached" means a style ratio and an LPIPS ratio each no more than 5% above the mean of the
from-scratch runs' final values. The time of a run counts only its training steps (the
seconds in its loss history), not judging or start-up; the autoencoder's own steps are
counted for its runs; the first step of each sitting, which also builds TensorFlow's graph,
counts as a median step. Everything resumes: run the command again after an interruption.
"""

import argparse
import json
from pathlib import Path

import numpy as np

from _quality import DATA, MEASURES, REFERENCES, held_out_photos, references, training_photos, worst_ratios
from styletransfer import images
from styletransfer.gan import train_generator
from styletransfer.generator import load_generator
from styletransfer.settings import TrainSettings

TOLERANCE = 1.05


def training_seconds(history):
    """Seconds of training in a loss history that may span several sittings (each sitting's
    clock starts again at 0). The first step of a sitting also builds TensorFlow's graph: it
    counts as the run's median step instead."""
    steps, last = [], None
    for entry in history:
        steps.append(None if last is None or entry["time"] < last else entry["time"] - last)
        last = entry["time"]
    median = float(np.median([s for s in steps if s is not None] or [0.0]))
    return sum(median if s is None else s for s in steps)


def report(name, n, row):
    print(f"{name:16s} step {n:5d}  {row['seconds']:6.0f} s  "
          + "  ".join(f"{m} {v:.2f}" for m, v in zip(MEASURES, row["worst"])), flush=True)


def run(folder, args, steps, style, photos, reference, log, log_path, init=None, **kwargs):
    """Train `folder` up to each of `steps` in turn, judging after each (and its start, step 0,
    when it starts from `init`); returns the log rows."""
    rows = log.setdefault(folder.name, {})
    if init is not None and "0" not in rows:
        rows["0"] = {"seconds": 0.0, "worst": worst_ratios(load_generator(init), style, photos, reference)}
        log_path.write_text(json.dumps(log, indent=1))
        report(folder.name, 0, rows["0"])
    for n in steps:
        if str(n) in rows:
            continue
        result = train_generator(training_photos(), args.style, folder, steps=n, size=128, scale=256,
                                 width=args.width, res_blocks=args.res_blocks, style_weight=args.style_weight,
                                 adversarial_weight=args.adversarial_weight, progress=False,
                                 checkpoint_every=min(n, 250), sample_every=n, init=init, **kwargs)
        rows[str(n)] = {"seconds": training_seconds(result.history),
                        "worst": worst_ratios(result.generator, style, photos, reference)}
        log_path.write_text(json.dumps(log, indent=1))
        report(folder.name, n, rows[str(n)])
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", required=True, type=Path, help="folder for the run folders (outside the checkout)")
    parser.add_argument("--references", type=Path, default=REFERENCES,
                        help="file keeping stylize's scores on the held-out photos (measured when missing; default %(default)s)")
    parser.add_argument("--other", required=True, type=Path, help="a generator.keras trained on another style")
    parser.add_argument("--style", type=Path, default=DATA / "styles" / "waves.jpg")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--scratch-seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--width", type=int, default=TrainSettings.width)
    parser.add_argument("--res-blocks", type=int, default=TrainSettings.res_blocks)
    parser.add_argument("--style-weight", type=float, default=1.0)
    parser.add_argument("--adversarial-weight", type=float, default=0.0,
                        help="default 0: with the other defaults, the bundled waves generator's settings")
    args = parser.parse_args()

    args.runs.mkdir(parents=True, exist_ok=True)
    log_path = args.runs / "transfer.json"
    log = json.loads(log_path.read_text()) if log_path.exists() else {}
    photos = held_out_photos()
    style = images.load_image(args.style)
    reference = references(args.references, photos, style, args.style.name)
    short = [args.steps // 16, args.steps // 8, args.steps // 4]
    scratch = {s: run(args.runs / f"scratch_s{s}", args, short + [args.steps // 2, args.steps], style, photos,
                      reference, log, log_path, seed=s) for s in args.scratch_seeds}
    autoencoder = args.runs / "autoencoder"
    pretrain = train_generator(training_photos(), args.style, autoencoder, steps=args.steps // 4, size=128, scale=256,
                               width=args.width, res_blocks=args.res_blocks, style_weight=0.0,
                               adversarial_weight=0.0, progress=False, sample_every=args.steps // 4)
    pretrain_seconds = training_seconds(pretrain.history)
    starts = {"other": args.other, "autoencoder": pretrain.model_path}
    tuned = {(name, s): run(args.runs / f"{name}_s{s}", args, short, style, photos, reference, log, log_path, seed=s,
                                init=path)
             for name, path in starts.items() for s in args.seeds}

    final = np.mean([rows[str(args.steps)]["worst"] for rows in scratch.values()], axis=0)
    seconds = np.mean([rows[str(args.steps)]["seconds"] for rows in scratch.values()])
    print(f"\nfrom scratch, {args.steps} steps ({seconds:.0f} s, mean of {len(scratch)} seed(s)): "
          + ", ".join(f"{m} {v:.2f}" for m, v in zip(MEASURES, final)) + " (ratios to stylize, worst photo)")
    print(f"the autoencoder's pretraining: {args.steps // 4} steps, {pretrain_seconds:.0f} s")
    print("steps to reach it (style and LPIPS each within 5%), per seed:")
    runs = {**{("scratch", s): rows for s, rows in scratch.items()}, **tuned}
    for (name, s), rows in runs.items():
        reached = [int(n) for n, row in rows.items()
                   if row["worst"][0] <= TOLERANCE * final[0] and row["worst"][2] <= TOLERANCE * final[2]]
        first = min(reached, default=None)
        extra = pretrain_seconds if name == "autoencoder" else 0.0
        print(f"   {name:12s} seed {s}: " + (f"{first} steps, {rows[str(first)]['seconds'] + extra:.0f} s"
                                              if first is not None else f"not within {max(map(int, rows))} steps"))


if __name__ == "__main__":
    main()
