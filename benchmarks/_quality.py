"""The quality measures the generator benchmarks share: the held-out photos, the scores of a
stylisation, and `stylize`'s scores on the same pairs, kept in a file because they take
minutes to measure."""

import json
import time
from pathlib import Path

import numpy as np

from styletransfer import images, metrics
from styletransfer.generator import apply
from styletransfer.optimize import stylize

DATA = Path(__file__).resolve().parent.parent / "data"
HELD_OUT = [DATA / "held_out" / "raccoon.jpg", DATA / "contents" / "chelsea.jpg"]
MEASURES = ("style", "colour", "LPIPS")
TARGETS = (1.2, 1.25, 1.2)  # the most each may be, as a ratio to stylize's
REFERENCES = Path.home() / ".cache" / "styletransfer" / "stylize_scores.json"  # stylize's scores, kept between runs
REFERENCE_RUN = {"steps": 300, "tol": None}  # stylize's reference: 300 L-BFGS steps, every one run


def training_photos():
    """Every sample photo that is not held out."""
    return [p for p in sorted((DATA / "contents").iterdir()) if p not in HELD_OUT] + [DATA / "training"]


def held_out_photos():
    """{file name: image} of the photos no bundled generator trains on."""
    return {p.name: images.load_image(p) for p in HELD_OUT}


def judge(image, photo, style):
    """(style distance, colour distance, LPIPS to the photo) of a stylisation: measures no
    method optimises (`metrics.style_distance`, `metrics.colour_distance`) and LPIPS for content."""
    return (metrics.style_distance(image, style), metrics.colour_distance(image, style),
            float(metrics.lpips(image, photo)))


def references(path, photos, style, style_name):
    """`stylize`'s scores (REFERENCE_RUN, the rest defaults) on each photo with `style`, measured once and kept in `path`."""
    path = Path(path)
    known = json.loads(path.read_text()) if path.exists() else {}
    for name, photo in photos.items():
        key = f"{name} {style_name}"
        if key not in known:
            start = time.perf_counter()
            known[key] = judge(stylize(photo, style, progress=False, **REFERENCE_RUN).image, photo, style)
            print(f"stylize (300 steps) on {name} with {style_name}: "
                  + ", ".join(f"{m} {v:.3f}" for m, v in zip(MEASURES, known[key]))
                  + f", {time.perf_counter() - start:.0f} s", flush=True)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(known, indent=1))
    return {name: known[f"{name} {style_name}"] for name in photos}


def ratios(image, photo, style, reference):
    """The scores of `image` divided by `stylize`'s (`reference`, one photo's triple)."""
    return [s / r for s, r in zip(judge(image, photo, style), reference)]


def photo_ratios(generator, style, photos, reference):
    """{photo name: (the generator's result, its `ratios` to `stylize`'s)} for each of `photos`
    ({name: image}); `reference` holds `stylize`'s scores per photo name (`references`)."""
    results = {}
    for name, photo in photos.items():
        stylised = apply(generator, photo)
        results[name] = (stylised, ratios(stylised, photo, style, reference[name]))
    return results


def worst_ratios(generator, style, photos, reference):
    """Each measure's largest ratio to `stylize`'s over `photos` for a generator's results."""
    return np.max([r for _, r in photo_ratios(generator, style, photos, reference).values()], axis=0).tolist()
