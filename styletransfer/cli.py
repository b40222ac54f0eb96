"""The ``styletransfer`` command line: thin wrappers over the package."""

import argparse
import sys
from pathlib import Path

from .errors import StyleTransferError

__all__ = ["main"]

MEASURES = {"gram": "Gram distance", "euclidean": "Euclidean distance", "cosine": "cosine similarity"}
STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")


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
            fig.savefig(tmp, format=Path(args.output).suffix.lstrip(".") or "png", dpi=120)
        print(f"wrote {args.output}")


def _stylize(args):
    from . import images
    from .optimize import stylize

    images.output_format(args.output)  # fail before a long run, not after
    result = stylize(
        args.content, args.styles, style_blend=args.blend, size=args.size, max_side=args.max_side, steps=args.steps,
        optimizer=args.optimizer, levels=args.levels, init=args.init, content_weight=args.content_weight,
        style_weight=args.style_weight, tv_weight=args.tv_weight, preserve_colors=args.preserve_colors,
        mask=args.mask, seed=args.seed, net=args.net,
    )
    images.save_image(args.output, result.image)
    last = result.history[-1] if result.history else {"total": float("nan")}
    if result.stopped:
        print(f"stopped early: {result.stopped}", file=sys.stderr)
    print(f"wrote {args.output} ({result.image.shape[1]}x{result.image.shape[0]} px, {len(result.history)} steps, "
          f"final loss {last['total']:.4g}, {result.wall_time:.1f} s)")


def _lpips(args):
    from . import images, metrics

    a = images.load_image(args.image_a)
    b = images.load_image(args.image_b, size=a.shape[:2])
    print(f"LPIPS ({args.net}): {float(metrics.lpips(a, b, net=args.net)):.4f}")


def _weights(args):
    from . import weights

    for net in args.nets:
        w = weights.load_weights(net, args.source)
        print(f"{net}: {len(w.kernels)} conv layers from {w.source}, {w.preprocessing.name} preprocessing")
    print(f"cache: {weights.cache_dir()}")


def build_parser():
    parser = argparse.ArgumentParser(prog="styletransfer", description="Image style transfer with transfer learning.")
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("stylize", help="stylise a photo with one or more style images (Gatys et al.)")
    p.add_argument("content", help="the photo")
    p.add_argument("styles", nargs="+", metavar="style", help="one or more style images")
    p.add_argument("-o", "--output", required=True, help="where to write the result (.png, .jpg, ...)")
    p.add_argument("--blend", type=float, nargs="+", help="weights of the style images (default: equal)")
    p.add_argument("--size", type=int, help="longer side of the result in px (default: the photo's, at most --max-side)")
    p.add_argument("--max-side", type=int, default=512, help="larger photos are downscaled (default 512)")
    p.add_argument("--steps", type=int, default=300, help="optimisation steps per pyramid level (default 300)")
    p.add_argument("--optimizer", choices=("lbfgs", "adam"), default="lbfgs")
    p.add_argument("--levels", type=int, default=1, help="coarse-to-fine pyramid levels (default 1)")
    p.add_argument("--init", choices=("content", "noise"), default="content")
    p.add_argument("--content-weight", type=float, default=1.0)
    p.add_argument("--style-weight", type=float, default=10.0, help="style strength (default 10)")
    p.add_argument("--tv-weight", type=float, default=1.0)
    p.add_argument("--preserve-colors", choices=("luminance", "match"), help="keep the photo's colours")
    p.add_argument("--mask", help="grey image: white = stylise, black = keep the photo")
    p.add_argument("--net", choices=("vgg16", "vgg19"), default="vgg16")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=_stylize)

    p = commands.add_parser("similarity", help="style x content similarity (or distance) matrix of two image folders")
    p.add_argument("styles", help="folder of style images")
    p.add_argument("contents", help="folder of content images")
    p.add_argument("--metric", choices=tuple(MEASURES), default="gram", help="gram/euclidean: distance, lower is closer; cosine: similarity")
    p.add_argument("--layers", nargs="+", default=list(STYLE_LAYERS), help="VGG16 layers to compare (averaged)")
    p.add_argument("--net", choices=("vgg16", "alexnet", "vgg19"), default="vgg16")
    p.add_argument("--size", type=int, default=256, help="longer image side in px (exact square for cosine/euclidean)")
    p.add_argument("-o", "--output", help="also write a heatmap image (e.g. similarity.png)")
    p.set_defaults(run=_similarity)

    p = commands.add_parser("lpips", help="LPIPS perceptual distance between two images")
    p.add_argument("image_a")
    p.add_argument("image_b", help="resized to the first image's size")
    p.add_argument("--net", choices=("vgg", "alex"), default="vgg")
    p.set_defaults(run=_lpips)

    p = commands.add_parser("weights", help="fetch and cache the pretrained weights, and say where they are")
    p.add_argument("--nets", nargs="+", choices=("vgg16", "alexnet", "vgg19"), default=["vgg16", "alexnet"])
    p.add_argument("--source", default="imagenet", help="'imagenet', 'keras' or a weights file")
    p.set_defaults(run=_weights)
    return parser


def main(argv=None):
    """Run the command line; returns the exit status (0 ok, 1 a user error, 2 bad usage)."""
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except StyleTransferError as e:
        print(f"styletransfer: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("styletransfer: interrupted", file=sys.stderr)
        return 130
    return 0
