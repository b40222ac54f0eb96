"""Render the README's figures from full-size runs with the real ImageNet weights.

    python docs/make_figures.py [stylize] [losses] [similarity] [generator] [anystyle]   (default: all)

Each figure is written atomically to docs/<name>.png; the README shows it with this
command as its caption.
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from styletransfer import images, metrics, plotting  # noqa: E402
from styletransfer._atomic import atomic_path  # noqa: E402
from styletransfer.adain import Encoder, load_decoder, stylize_any  # noqa: E402
from styletransfer.features import FeatureExtractor  # noqa: E402
from styletransfer.generator import apply, load_generator  # noqa: E402
from styletransfer.optimize import STYLE_LAYERS, stylize  # noqa: E402

DOCS = Path(__file__).parent
DATA = DOCS.parent / "data"


def save(fig, name):
    with atomic_path(DOCS / f"{name}.png") as tmp:
        fig.savefig(tmp, format="png", dpi=90, bbox_inches="tight")
    print(f"wrote {DOCS / name}.png")


def stylize_figure():
    photo = images.load_image(DATA / "contents" / "chelsea.jpg", max_side=384)
    style = images.load_image(DATA / "styles" / "strokes.jpg")
    result = stylize(photo, style, steps=300, tol=None)  # all 300 steps, as the caption says
    save(plotting.show_images([photo, style, result.image], ["content", "style", "L-BFGS, 300 steps, 384 px"], size=4), "stylize")


def losses_figure():
    photo = images.load_image(DATA / "contents" / "coffee.jpg", max_side=256)
    style = images.load_image(DATA / "styles" / "waves.jpg")
    runs = {name: stylize(photo, style, steps=200, optimizer=name, tol=None).history for name in ("adam", "lbfgs")}
    save(plotting.loss_curves(runs, x="time", title="total loss against time, 256 px"), "losses")


def similarity_figure():
    extractor = FeatureExtractor(list(STYLE_LAYERS))
    styles = images.load_folder(DATA / "styles", max_side=256)
    contents = images.load_folder(DATA / "contents", max_side=256)
    matrix = metrics.set_similarity(extractor, styles.images, contents.images, "gram")
    save(plotting.similarity_heatmap(matrix, [p.stem for p in styles.paths], [p.stem for p in contents.paths],
                                     title="Gram distance, styles x contents (lower = closer)"), "similarity")


def held_out_photos():
    """The two photos no bundled model trained on: the raccoon (512 px) and the cat (384 px)."""
    return [images.load_image(DATA / "held_out" / "raccoon.jpg"), images.load_image(DATA / "contents" / "chelsea.jpg")]


def generator_figure():
    """Each bundled generator (a row: its style, then its results) on the held-out photos."""
    photos = held_out_photos()
    cells, titles = [], []
    for path in sorted((DATA / "generators").glob("*.keras")):
        generator = load_generator(path)
        cells += [images.load_image(DATA / "styles" / f"{path.stem}.jpg", max_side=384), *apply(generator, photos)]
        titles += [f"{path.stem} (style)", f"{path.name}, raccoon (512 px)", f"{path.name}, chelsea (384 px)"]
    save(plotting.show_images(cells, titles, columns=3, size=4), "generator")


def anystyle_figure():
    """The bundled AdaIN decoder (a row per held-out style: the style, then its results) on the held-out photos."""
    photos = held_out_photos()
    decoder, encoder = load_decoder(DATA / "decoders" / "adain.keras"), Encoder()
    cells, titles = [], []
    for path in sorted((DATA / "held_out_styles").glob("*.jpg"), key=lambda p: p.name != "starry_night.jpg"):
        style = images.load_image(path)
        cells += [images.resize_image(style, max_side=384), *(stylize_any(p, style, decoder, encoder=encoder) for p in photos)]
        titles += [f"{path.stem} (style)", "AdaIN, raccoon (512 px)", "AdaIN, chelsea (384 px)"]
    save(plotting.show_images(cells, titles, columns=3, size=4), "anystyle")


FIGURES = {"stylize": stylize_figure, "losses": losses_figure, "similarity": similarity_figure, "generator": generator_figure,
           "anystyle": anystyle_figure}

if __name__ == "__main__":
    for name in sys.argv[1:] or FIGURES:
        FIGURES[name]()
