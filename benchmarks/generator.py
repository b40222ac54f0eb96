"""Generator speed on the CPU: inference per megapixel, and training steps per second.

    python benchmarks/generator.py [--width 8 --res-blocks 5] [--train-steps 10]

Prints
(1) inference time per megapixel at 512 and 1024 px through `styletransfer.generator.apply`,
    and its ratio to a plain reference: the same Keras model called eagerly on the whole image;
(2) the time of `apply` on a 4000 x 3000 photo (tiled, bounded memory), per megapixel;
(3) training steps per second at 256 px with batch 4 (ImageNet VGG16 loss network and the
    PatchGAN), the first steps (graph tracing) excluded.
"""

import argparse
import tempfile
from pathlib import Path

import numpy as np

from _timing import timed
from styletransfer.gan import train_generator
from styletransfer.generator import Generator, apply


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=8)
    parser.add_argument("--res-blocks", type=int, default=5)
    parser.add_argument("--train-steps", type=int, default=10)
    args = parser.parse_args()
    generator = Generator(args.width, args.res_blocks)
    generator.build()
    rng = np.random.default_rng(0)
    print(f"generator width {args.width}, {args.res_blocks} residual blocks, {generator.count_params()} parameters")

    print("1. inference, s per megapixel")
    for size in (512, 1024):
        image = rng.uniform(size=(size, size, 3)).astype(np.float32)
        ours = timed(lambda: apply(generator, image), 3)
        reference = timed(lambda: generator(image[None]).numpy(), 3)
        mp = size * size / 1e6
        print(f"   {size} px: apply {ours / mp:.3f} s/MP, plain eager call {reference / mp:.3f} s/MP, ratio {ours / reference:.2f}")

    photo = rng.uniform(size=(3000, 4000, 3)).astype(np.float32)
    t = timed(lambda: apply(generator, photo), 1)
    print(f"2. a 4000 x 3000 photo (tiles of 1024 px): {t:.1f} s, {t / 12:.3f} s/MP")

    with tempfile.TemporaryDirectory() as tmp:
        photos = Path(tmp) / "photos"
        photos.mkdir()
        from styletransfer.images import save_image
        for i in range(4):
            save_image(photos / f"{i}.png", rng.uniform(size=(300, 400, 3)))
        style = rng.uniform(size=(300, 300, 3)).astype(np.float32)
        warmup = 3
        result = train_generator(photos, style, Path(tmp) / "run", steps=warmup + args.train_steps, size=256, batch=4,
                                 width=args.width, res_blocks=args.res_blocks, progress=False,
                                 checkpoint_every=10**6, sample_every=10**6)
        times = [h["time"] for h in result.history]
        per_step = (times[-1] - times[warmup - 1]) / args.train_steps
        print(f"3. training at 256 px, batch 4: {1 / per_step:.2f} steps/s ({per_step:.2f} s/step)")


if __name__ == "__main__":
    main()
