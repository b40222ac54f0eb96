"""The ``styletransfer`` command line: thin wrappers over the package."""

import argparse
import dataclasses
import os
import signal
import sys
import warnings
from pathlib import Path

from .errors import InputError, StyleTransferError
from .settings import ADVERSARIAL, LOSS_LAYERS, OPTIMIZERS, PRECISIONS, DecoderSettings, StylizeSettings, TrainSettings

__all__ = ["main"]

MEASURES = {"gram": "Gram distance", "euclidean": "Euclidean distance", "cosine": "cosine similarity"}
STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")


FIGURE_SUFFIXES = (".png", ".pdf", ".svg", ".jpg", ".jpeg")


def _check_similarity(args):
    from . import checks, images

    for folder in (args.styles, args.contents):
        if not Path(folder).is_dir():
            raise InputError(f"{folder}: no such folder")
    checks.number("--size", args.size, minimum=images.MIN_SIZE, integer=True)
    if args.output:
        checks.writable_file(args.output, FIGURE_SUFFIXES)


def _similarity(args):
    import numpy as np

    from . import images, metrics, plotting
    from ._atomic import atomic_path
    from .features import FeatureExtractor

    size = None if args.metric == "gram" else (args.size, args.size)
    styles = images.load_folder(args.styles, size=size, max_side=args.size, skip_bad=True)
    contents = images.load_folder(args.contents, size=size, max_side=args.size, skip_bad=True)
    extractor = FeatureExtractor(args.layers, net=args.net)
    matrix = metrics.set_similarity(extractor, styles.images, contents.images, args.metric)
    rows, columns = [p.stem for p in styles.paths], [p.stem for p in contents.paths]
    width = max(map(len, rows + columns)) + 2
    measure = MEASURES[args.metric]
    print(f"{measure}, styles (rows) x contents (columns), {args.net} layers {', '.join(args.layers)}:")
    print(" " * width + "".join(c.rjust(width) for c in columns))
    for name, row in zip(rows, np.atleast_2d(matrix)):
        print(name.ljust(width) + "".join(f"{v:{width}.4g}" for v in row))
    if args.output:
        fig = plotting.similarity_heatmap(matrix, rows, columns, title=f"{measure}: styles x contents")
        with atomic_path(args.output) as tmp:
            fig.savefig(tmp, format={".jpg": "jpeg"}.get(Path(args.output).suffix.lower(), Path(args.output).suffix.lower().lstrip(".")), dpi=120)
        print(f"wrote {args.output}")


def _stylize_settings(args):
    """The command's `StylizeSettings` (checked); the rest keep their defaults."""
    return StylizeSettings(size=args.size, max_side=args.max_side, steps=args.steps, optimizer=args.optimizer,
                           levels=args.levels, content_weight=args.content_weight, style_weight=args.style_weight,
                           tv_weight=args.tv_weight, preserve_colors=args.preserve_colors, seed=args.seed,
                           tol=None if args.tol == 0 else args.tol, window=args.window, precision=args.precision)


def _train_settings(args):
    """The command's `TrainSettings` (checked): every option of the command line that is one of them."""
    return TrainSettings(**{field.name: getattr(args, field.name) for field in dataclasses.fields(TrainSettings)
                            if hasattr(args, field.name)})


def _check_stylize(args):
    from . import checks, images

    for path in (args.content, *args.styles, *([args.mask] if args.mask else [])):
        images.check_file(path)
    _stylize_settings(args)
    checks.style_blend(args.blend, len(args.styles))
    checks.writable_file(args.output, tuple(images.SAVE_FORMATS))
    checks.not_an_input(args.output, [args.content, *args.styles], args.overwrite)
    checks.number("--preview-every", args.preview_every, minimum=1, integer=True)
    if args.preview:
        checks.writable_file(args.preview, tuple(images.SAVE_FORMATS))
        checks.not_an_input(args.preview, [args.content, *args.styles, args.output], args.overwrite)


def _stylize(args):
    from . import images
    from .optimize import stylize

    preview = None
    if args.preview:
        def preview(step, losses, image):
            images.save_image(args.preview, image)

    result = stylize(args.content, args.styles, style_blend=args.blend, init=args.init, mask=args.mask, net=args.net,
                     callback=preview, callback_every=args.preview_every, **dataclasses.asdict(_stylize_settings(args)))
    images.save_image(args.output, result.image)
    print(f"wrote {args.output} ({result.image.shape[1]}x{result.image.shape[0]} px): {_stylize_summary(result)}")


def _stylize_summary(result):
    """Where a run's time went, in one line: steps, seconds before the first step and per step, why it ended."""
    steps = len(result.history)
    if not steps:
        return f"no steps in {result.wall_time:.1f} s, {result.stopped}"
    first = result.history[0]["time"]
    per_step = (result.history[-1]["time"] - first) / (steps - 1) if steps > 1 else first
    why = result.stopped or f"ran all {steps} steps"
    return (f"{steps} steps in {result.wall_time:.1f} s ({first:.1f} s to the first step, then {per_step:.2f} s per step, "
            f"{result.settings['precision']}); {why}")


def _check_train(args):
    from . import checks, images

    for source in args.content:
        if not Path(source).is_dir():
            images.check_file(source)
    if not Path(args.style).is_dir():
        images.check_file(args.style)
    _train_settings(args)
    if args.init:
        checks.model_file(args.init)
    checks.writable_folder(args.out)


def _stop_like_ctrl_c():
    """Make SIGTERM (kill, a job scheduler) and SIGINT (also for a job started in the background,
    where the shell ignores it) stop training as Ctrl-C does: a checkpoint is written first."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)


def _train(args):
    from .gan import train_generator

    _stop_like_ctrl_c()
    result = train_generator(args.content, args.style, args.out, init=args.init, resume=not args.no_resume,
                             strategy=_strategy(args.strategy), **dataclasses.asdict(_train_settings(args)))
    _report(result)


def _report(result):
    """Where a finished training run wrote its model, after how many steps, and its last losses."""
    if result.resumed_from:
        print(f"resumed at step {result.resumed_from}")
    last = result.history[-1] if result.history else {}
    summary = ", ".join(f"{k} {v:.4g}" for k, v in last.items() if k not in ("step", "time"))
    action = "wrote" if result.wrote else "worker 0 writes"
    print(f"{action} {result.model_path} after {len(result.history)} steps ({summary})")


def _strategy(name):
    from ._tensorflow import tf

    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return None


def apply_targets(inputs, output):
    """Where `styletransfer apply` writes each input: one input and an `output` with an image
    suffix -> that file; otherwise `output` is a folder and each result is ``<name>.png``
    (``<name>_<suffix>.png`` for inputs that share a name, e.g. a.jpg and a.png). Raises
    InputError for an `output` with an unknown suffix that is not an existing folder, for
    several inputs into one file, or when two inputs would still share a path."""
    from . import images

    out = Path(output)
    if out.suffix.lower() in images.SAVE_FORMATS and not out.is_dir():
        if len(inputs) > 1:
            raise InputError(f"{out}: give a folder, not a file, for {len(inputs)} images")
        return [out]
    if out.suffix and not out.is_dir():
        raise InputError(f"{out}: unknown image suffix {out.suffix!r}; give a file ending in one of "
                         f"{', '.join(images.SAVE_FORMATS)}, or a folder name without a suffix")
    stems = [Path(p).stem for p in inputs]
    names = [f"{stem}_{Path(p).suffix.lstrip('.').lower()}.png" if stems.count(stem) > 1 else f"{stem}.png"
             for stem, p in zip(stems, inputs)]
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes:
        raise InputError(f"{out}: two inputs would both be written to {clashes[0]}; rename one of them")
    return [out / name for name in names]


def _check_apply(args):
    from . import checks, images

    checks.model_file(args.model)
    for path in args.images:
        images.check_file(path)
    checks.number("--tile", args.tile, minimum=64, integer=True)
    targets = apply_targets(args.images, args.output)
    for target in targets:
        checks.writable_file(target, tuple(images.SAVE_FORMATS))
        checks.not_an_input(target, [args.model, *args.images], args.overwrite)


def _apply(args):
    from . import images
    from .generator import apply, load_generator

    generator = load_generator(args.model)
    for path, target in zip(args.images, apply_targets(args.images, args.output)):
        images.save_image(target, apply(generator, path, tile=args.tile))
        print(f"wrote {target}")


def _decoder_path(args):
    """--decoder, or the bundled decoder of the sample data folder."""
    if args.decoder:
        return Path(args.decoder)
    from .tutorial import data_dir

    return data_dir() / "decoders" / "adain.keras"


def _photos(source):
    """The photos of `source`: an image file, or every image of a folder."""
    from . import images

    if Path(source).is_dir():
        found = images.image_files(source)
        if not found:
            raise InputError(f"{source}: no images (looked for {', '.join(images.IMAGE_SUFFIXES)})")
        return found
    images.check_file(source)
    return [Path(source)]


def _check_anystyle(args):
    from . import checks, images

    checks.model_file(_decoder_path(args))
    photos = _photos(args.content)
    for path in (*args.styles, *([args.mask] if args.mask else [])):
        images.check_file(path)
    checks.number("--alpha", args.alpha, minimum=0, maximum=1)
    checks.number("--tile", args.tile, minimum=320, integer=True)
    if args.weights is not None:
        checks.style_blend(args.weights, len(args.styles), "--weights")
    if args.mask and (args.weights is not None or len(args.styles) > 2):
        raise InputError("--mask places one or two styles; it does not combine with --weights or more styles")
    targets = apply_targets(photos, args.output)
    for target in targets:
        checks.writable_file(target, tuple(images.SAVE_FORMATS))
        checks.not_an_input(target, [*photos, *args.styles, *([args.mask] if args.mask else [])], args.overwrite)


def _anystyle(args):
    import time

    from . import images
    from .adain import Encoder, load_decoder, stylize_any

    decoder, encoder = load_decoder(_decoder_path(args)), Encoder()
    photos = _photos(args.content)
    for path, target in zip(photos, apply_targets(photos, args.output)):
        start = time.perf_counter()
        image = stylize_any(path, args.styles, decoder, alpha=args.alpha, weights=args.weights,
                            preserve_colors=args.preserve_colors, mask=args.mask, tile=args.tile, encoder=encoder)
        images.save_image(target, image)
        print(f"wrote {target} ({image.shape[1]}x{image.shape[0]} px, {time.perf_counter() - start:.1f} s)")


def _decoder_settings(args):
    """The command's `DecoderSettings` (checked); --drawn defaults to 1 without --style."""
    values = {field.name: getattr(args, field.name) for field in dataclasses.fields(DecoderSettings) if hasattr(args, field.name)}
    if values["drawn"] is None:
        values["drawn"] = DecoderSettings.drawn if args.style else 1.0
    return DecoderSettings(**values)


def _check_train_decoder(args):
    from . import checks, images

    for source in [*args.content, *(args.style or [])]:
        if not Path(source).is_dir():
            images.check_file(source)
    if args.init:
        checks.model_file(args.init)
    settings = _decoder_settings(args)
    if not args.style and settings.drawn < 1:
        raise InputError("without --style every style must be drawn: give --style images or --drawn 1")
    checks.writable_folder(args.out)


def _train_decoder(args):
    from .adain import train_decoder

    _stop_like_ctrl_c()
    result = train_decoder(args.content, args.style or None, args.out, init=args.init, resume=not args.no_resume,
                           strategy=_strategy(args.strategy),
                           **dataclasses.asdict(_decoder_settings(args)))
    _report(result)


def _check_lpips(args):
    from . import checks, images

    for path in (args.image_a, args.image_b):
        images.check_file(path)
    if args.max_side is not None:
        checks.number("--max-side", args.max_side, minimum=32, integer=True)


def _lpips(args):
    from . import images, metrics

    width, height = images.check_file(args.image_a)
    if args.max_side is not None and max(width, height) > args.max_side:
        warnings.warn(f"lpips: {width}x{height} px images downscaled to at most {args.max_side} px a side (--max-side)")
    a = images.load_image(args.image_a, max_side=args.max_side)
    b = images.load_image(args.image_b, size=a.shape[:2])
    print(f"LPIPS ({args.net}): {float(metrics.lpips(a, b, net=args.net, max_side=None)):.4f}")


def _weights(args):
    from . import weights

    for net in args.nets:
        w = weights.load_weights(net, args.source)
        print(f"{net}: {len(w.kernels)} conv layers from {w.source}, {w.preprocessing.name} preprocessing")
    print(f"cache: {weights.cache_dir()}")


class _Parser(argparse.ArgumentParser):
    """argparse with usage mistakes reported in one line (exit status 2)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="styletransfer", description="Image style transfer with transfer learning.")
    parser.add_argument("--verbose", action="store_true", help="show TensorFlow's start-up log lines and full warnings")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = commands.add_parser("stylize", help="stylise a photo with one or more style images (Gatys et al.)")
    p.add_argument("content", help="the photo")
    p.add_argument("styles", nargs="+", metavar="style", help="one or more style images")
    p.add_argument("-o", "--output", required=True, help="where to write the result (.png, .jpg, ...)")
    p.add_argument("--blend", type=float, nargs="+", help="weights of the style images (default: equal)")
    p.add_argument("--size", type=int, help="longer side of the result in px (default: the photo's, at most --max-side)")
    p.add_argument("--max-side", type=int, default=StylizeSettings.max_side,
                   help="larger photos are downscaled (default %(default)s)")
    p.add_argument("--steps", type=int, default=StylizeSettings.steps,
                   help="at most this many optimisation steps per pyramid level (default %(default)s; --tol stops sooner)")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=StylizeSettings.optimizer)
    p.add_argument("--levels", type=int, default=StylizeSettings.levels,
                   help="coarse-to-fine pyramid levels (default %(default)s)")
    p.add_argument("--init", choices=("content", "noise"), default="content")
    p.add_argument("--content-weight", type=float, default=StylizeSettings.content_weight)
    p.add_argument("--style-weight", type=float, default=StylizeSettings.style_weight,
                   help="style strength (default %(default)s)")
    p.add_argument("--tv-weight", type=float, default=StylizeSettings.tv_weight)
    p.add_argument("--preserve-colors", choices=("luminance", "match"), help="keep the photo's colours")
    p.add_argument("--mask", help="grey image: white = stylise, black = keep the photo")
    p.add_argument("--net", choices=("vgg16", "vgg19"), default="vgg16")
    p.add_argument("--seed", type=int, default=StylizeSettings.seed)
    p.add_argument("--tol", type=float, default=StylizeSettings.tol,
                   help="stop once the loss falls by less than this fraction over --window steps (0: run every step; "
                        "default %(default)s)")
    p.add_argument("--window", type=int, default=StylizeSettings.window, help="steps of the --tol test (default %(default)s)")
    p.add_argument("--precision", choices=PRECISIONS, default=StylizeSettings.precision,
                   help="bfloat16 runs the network faster where the CPU supports it (default %(default)s)")
    p.add_argument("--preview", help="write the current image here every --preview-every steps, to watch a long run")
    p.add_argument("--preview-every", type=int, default=10, help="(default %(default)s)")
    p.add_argument("--overwrite", action="store_true", help="allow -o or --preview to name one of the input files")
    p.set_defaults(check=_check_stylize, run=_stylize)

    p = commands.add_parser("train", help="train a feed-forward generator for one style (or a style collection)")
    p.add_argument("--content", required=True, nargs="+", help="folder(s) of content photos, or photo files")
    p.add_argument("--style", required=True, help="a style image, or a folder of style images")
    p.add_argument("--out", required=True, help="run folder: checkpoints/, samples/, generator.keras (resumed if present)")
    p.add_argument("--steps", type=int, default=TrainSettings.steps)
    p.add_argument("--size", type=int, default=TrainSettings.size, help="training crop size in px (default %(default)s)")
    p.add_argument("--scale", type=int, default=TrainSettings.scale,
                   help="shorter side in px the photos are scaled to before cropping, the size of photo the "
                        "generator learns to stylise (default %(default)s)")
    p.add_argument("--style-scale", type=int, default=TrainSettings.style_scale,
                   help="shorter side in px of the style images (default: their own size)")
    p.add_argument("--batch", type=int, default=TrainSettings.batch)
    p.add_argument("--width", type=int, default=TrainSettings.width, help="generator width (default %(default)s)")
    p.add_argument("--res-blocks", type=int, default=TrainSettings.res_blocks)
    p.add_argument("--content-weight", type=float, default=TrainSettings.content_weight)
    p.add_argument("--style-weight", type=float, default=TrainSettings.style_weight)
    p.add_argument("--tv-weight", type=float, default=TrainSettings.tv_weight)
    p.add_argument("--layers", choices=LOSS_LAYERS, default=TrainSettings.layers,
                   help="loss layers: gatys (those of stylize) or johnson (default %(default)s)")
    p.add_argument("--adversarial-weight", type=float, default=TrainSettings.adversarial_weight,
                   help="0 = perceptual losses only")
    p.add_argument("--adversarial", choices=ADVERSARIAL, default=TrainSettings.adversarial)
    p.add_argument("--learning-rate", type=float, default=TrainSettings.learning_rate)
    p.add_argument("--checkpoint-every", type=int, default=TrainSettings.checkpoint_every)
    p.add_argument("--sample-every", type=int, default=TrainSettings.sample_every)
    p.add_argument("--seed", type=int, default=TrainSettings.seed)
    p.add_argument("--init", metavar="MODEL", help="start from this trained generator.keras instead of random weights")
    p.add_argument("--no-resume", action="store_true", help="start afresh even if --out holds a checkpoint")
    p.add_argument("--strategy", choices=("default", "mirrored", "multiworker"), default="default",
                   help="tf.distribute strategy; multiworker reads TF_CONFIG (see README)")
    p.set_defaults(check=_check_train, run=_train)

    p = commands.add_parser("apply", help="stylise photos with a trained generator")
    p.add_argument("model", help="a generator.keras file from `styletransfer train`")
    p.add_argument("images", nargs="+", metavar="image")
    p.add_argument("-o", "--output", required=True,
                   help="for one photo, a file with an image suffix (.png, .jpg, ...); otherwise a folder, "
                        "into which each result is written as <name>.png")
    p.add_argument("--tile", type=int, default=1024, help="photos larger than this are processed in tiles (default 1024)")
    p.add_argument("--overwrite", action="store_true", help="allow an output to replace one of the input files")
    p.set_defaults(check=_check_apply, run=_apply)

    p = commands.add_parser("anystyle", help="stylise photos with any style image in one pass (AdaIN, a trained decoder)")
    p.add_argument("content", help="a photo, or a folder of photos")
    p.add_argument("styles", nargs="+", metavar="style", help="one or more style images (blended)")
    p.add_argument("-o", "--output", required=True,
                   help="for one photo, a file with an image suffix (.png, .jpg, ...); for a folder, a folder")
    p.add_argument("--decoder", help="a decoder.keras from `styletransfer train-decoder` (default: the bundled "
                                     "data/decoders/adain.keras)")
    p.add_argument("--alpha", type=float, default=1.0, help="0 = the photo, 1 = all style (default %(default)s)")
    p.add_argument("--weights", type=float, nargs="+", help="weights of the style images (default: equal)")
    p.add_argument("--preserve-colors", action="store_true", help="keep the photo's colours")
    p.add_argument("--mask", help="grey image the photo's size: one style where white, the photo (or the second "
                                  "style) where black")
    p.add_argument("--tile", type=int, default=1024, help="photos larger than this are processed in tiles (default 1024)")
    p.add_argument("--overwrite", action="store_true", help="allow an output to replace one of the input files")
    p.set_defaults(check=_check_anystyle, run=_anystyle)

    p = commands.add_parser("train-decoder", help="train the AdaIN decoder that `anystyle` uses, for all styles")
    p.add_argument("--content", required=True, nargs="+", help="folder(s) of content photos, or photo files")
    p.add_argument("--style", nargs="+", help="style images or a folder of them (default: drawn styles only)")
    p.add_argument("--out", required=True, help="run folder: checkpoints/, samples/, decoder.keras (resumed if present)")
    p.add_argument("--init", metavar="MODEL", help="start from this trained decoder.keras instead of random weights")
    p.add_argument("--steps", type=int, default=DecoderSettings.steps)
    p.add_argument("--size", type=int, default=DecoderSettings.size, help="training crop size in px (default %(default)s)")
    p.add_argument("--scale", type=int, default=DecoderSettings.scale,
                   help="shorter side in px the photos are scaled to before cropping (default %(default)s)")
    p.add_argument("--style-scale", type=int, default=DecoderSettings.style_scale,
                   help="shorter side in px of the style images (default %(default)s)")
    p.add_argument("--batch", type=int, default=DecoderSettings.batch)
    p.add_argument("--width", type=int, default=DecoderSettings.width, help="decoder width (default %(default)s)")
    p.add_argument("--style-weight", type=float, default=DecoderSettings.style_weight)
    p.add_argument("--drawn", type=float, help="fraction of style samples drawn afresh by the procedural styles "
                                              f"(default {DecoderSettings.drawn} with --style, 1 without)")
    p.add_argument("--learning-rate", type=float, default=DecoderSettings.learning_rate)
    p.add_argument("--ema-momentum", type=float, default=DecoderSettings.ema_momentum,
                   help="momentum of the moving average of the weights that is saved (default %(default)s; 0: the last weights)")
    p.add_argument("--precision", choices=PRECISIONS, default=DecoderSettings.precision,
                   help="bfloat16: compute in bfloat16, about 1.5 times as fast on CPUs that have it (default %(default)s)")
    p.add_argument("--checkpoint-every", type=int, default=DecoderSettings.checkpoint_every)
    p.add_argument("--sample-every", type=int, default=DecoderSettings.sample_every)
    p.add_argument("--seed", type=int, default=DecoderSettings.seed)
    p.add_argument("--no-resume", action="store_true", help="start afresh even if --out holds a checkpoint")
    p.add_argument("--strategy", choices=("default", "mirrored", "multiworker"), default="default",
                   help="tf.distribute strategy; multiworker reads TF_CONFIG (see README)")
    p.set_defaults(check=_check_train_decoder, run=_train_decoder)

    p = commands.add_parser("similarity", help="style x content similarity (or distance) matrix of two image folders")
    p.add_argument("styles", help="folder of style images")
    p.add_argument("contents", help="folder of content images")
    p.add_argument("--metric", choices=tuple(MEASURES), default="gram", help="gram/euclidean: distance, lower is closer; cosine: similarity")
    p.add_argument("--layers", nargs="+", default=list(STYLE_LAYERS), help="VGG16 layers to compare (averaged)")
    p.add_argument("--net", choices=("vgg16", "alexnet", "vgg19"), default="vgg16")
    p.add_argument("--size", type=int, default=256, help="longer image side in px (exact square for cosine/euclidean)")
    p.add_argument("-o", "--output", help=f"also write a heatmap ({', '.join(FIGURE_SUFFIXES)})")
    p.set_defaults(check=_check_similarity, run=_similarity)

    p = commands.add_parser("lpips", help="LPIPS perceptual distance between two images")
    p.add_argument("image_a")
    p.add_argument("image_b", help="resized to the first image's size")
    p.add_argument("--net", choices=("vgg", "alex"), default="vgg")
    p.add_argument("--max-side", type=int, default=1024,
                   help="larger images are downscaled to this longer side, with a warning (default 1024)")
    p.set_defaults(check=_check_lpips, run=_lpips)

    p = commands.add_parser("weights", help="fetch and cache the pretrained weights, and say where they are")
    p.add_argument("--nets", nargs="+", choices=("vgg16", "alexnet", "vgg19"), default=["vgg16", "alexnet"])
    p.add_argument("--source", default="imagenet", help="'imagenet', 'keras' or a weights file")
    p.set_defaults(check=None, run=_weights)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 a user error, 2 bad usage).

    Arguments, input files (from their headers) and outputs are checked before TensorFlow
    is imported, so a mistake is answered at once, in one line, before any work.
    """
    args = build_parser().parse_args(argv)
    if args.verbose:  # before TensorFlow is imported, which only the commands' work does
        os.environ["STYLETRANSFER_VERBOSE"] = "1"
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"
    previous = warnings.showwarning
    if not args.verbose:
        warnings.showwarning = _one_line_warning
    try:
        if args.check is not None:
            args.check(args)
        args.run(args)
    except StyleTransferError as e:
        print(f"styletransfer: error: {e}", file=sys.stderr)
        return 1
    except OSError as e:  # a disk that filled up or a folder that became read-only during the work
        where = f"{e.filename}: " if e.filename else ""
        print(f"styletransfer: error: {where}{e.strerror or e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("styletransfer: interrupted", file=sys.stderr)
        return 130
    finally:
        warnings.showwarning = previous
    return 0


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    print(f"styletransfer: warning: {str(message).splitlines()[0]}", file=sys.stderr)
