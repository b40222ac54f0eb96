"""Training the feed-forward generator with perceptual and adversarial losses.

The frozen ImageNet VGG16 is the loss network (the transfer-learning part); a PatchGAN
discriminator (Isola et al., 2017, https://arxiv.org/abs/1611.07004) judges crops of the
style image(s) against generated images. The generator minimises, per image x with
stylisation g(x):

    L_G = a * [sum_l c_l |F_l(g(x)) - F_l(x)|^2 / |F_l(x)|^2] / sum_l c_l
        + b * [sum_l s_l |G_l(g(x)) - A_l|^2 / |A_l|^2] / sum_l s_l
        + t * TV(g(x)) + d * L_adv(D(g(x)))

(the perceptual losses of Johnson et al., 2016, https://arxiv.org/abs/1603.08155, at their
layers, the `styletransfer.losses.PerceptualLoss`; A_l is the mean Gram matrix of the
style images), and the discriminator D minimises

    least squares (Mao et al., 2017, https://arxiv.org/abs/1611.04076):
        mean (D(s) - 1)^2 + mean D(g(x))^2;                 G's term: mean (D(g(x)) - 1)^2
    hinge (Lim and Ye, 2017, https://arxiv.org/abs/1705.02894):
        mean relu(1 - D(s)) + mean relu(1 + D(g(x)));       G's term: -mean D(g(x))

over style crops s. d = 0 is plain perceptual training, and then no discriminator is built.

A run lives in one folder: ``checkpoint.npz`` (every variable, the step and the history,
written atomically every `checkpoint_every` steps and on Ctrl-C), ``samples/`` (a grid of
inputs and outputs every `sample_every` steps) and finally ``generator.keras``. Calling
`train_generator` again with the same folder and settings resumes where it stopped.
"""

import collections
import dataclasses
import json
import math
import threading
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ._tensorflow import keras, tf
from . import checks
from ._atomic import atomic_path
from .errors import ImageError, InputError, StyleTransferError
from .features import FeatureExtractor
from .generator import Generator, InstanceNormalization
from .images import IMAGE_SUFFIXES, check_file, check_image, image_files, load_folder, load_image, resize_image, save_image
from .losses import PerceptualLoss, blended_gram_targets

__all__ = ["train_generator", "TrainResult", "PatchDiscriminator", "ContentImages", "discriminator_loss", "generator_adversarial_loss", "random_crop",
           "CONTENT_LAYERS", "STYLE_LAYERS"]

# Johnson et al. (2016): content at relu2_2, style at relu1_2, relu2_2, relu3_3, relu4_3.
CONTENT_LAYERS = {"block2_conv2": 1.0}
STYLE_LAYERS = {"block1_conv2": 1.0, "block2_conv2": 1.0, "block3_conv3": 1.0, "block4_conv3": 1.0}


def PatchDiscriminator(width=32, depth=3, name="patch_discriminator"):
    """PatchGAN: 4x4 stride-2 convolutions (width, 2 width, ...), LeakyReLU(0.2) and instance
    normalisation after all but the first, then a 4x4 convolution to one score per patch.
    (B, H, W, 3) in [0, 1] -> (B, H / 2^depth, W / 2^depth, 1).

    Unlike Isola et al.'s, the first convolution has no bias either (the normalised ones need
    none): with one, TensorFlow's graph optimiser tries to fuse convolution, bias and
    LeakyReLU in the training step, fails, and prints an error on every run."""
    layers = [keras.Input((None, None, 3)), keras.layers.Rescaling(2.0, offset=-1.0)]
    for i in range(depth):
        layers.append(keras.layers.Conv2D(width * 2**i, 4, strides=2, padding="same", use_bias=False, name=f"conv{i + 1}"))
        if i > 0:
            layers.append(InstanceNormalization(name=f"norm{i + 1}"))
        layers.append(keras.layers.LeakyReLU(0.2))
    layers.append(keras.layers.Conv2D(1, 4, padding="same", name="score"))
    return keras.Sequential(layers, name=name)


ADVERSARIAL = ("lsgan", "hinge")


def discriminator_loss(kind, real_scores, fake_scores):
    """D's loss on style-crop scores and generated-image scores, for "lsgan" or "hinge" (see the module doc)."""
    if kind == "lsgan":
        return tf.reduce_mean(tf.square(real_scores - 1.0)) + tf.reduce_mean(tf.square(fake_scores))
    return tf.reduce_mean(tf.nn.relu(1.0 - real_scores)) + tf.reduce_mean(tf.nn.relu(1.0 + fake_scores))


def generator_adversarial_loss(kind, fake_scores):
    """G's adversarial term: ``mean (D(g(x)) - 1)^2`` (lsgan) or ``-mean D(g(x))`` (hinge)."""
    if kind == "lsgan":
        return tf.reduce_mean(tf.square(fake_scores - 1.0))
    return -tf.reduce_mean(fake_scores)


CACHE_BYTES = 512 * 2**20  # decoded training photos kept in memory


class ContentImages:
    """Content photos read lazily from a folder (or a list of folders and files): any
    number and size.

    ``batch(step)`` returns (batch, size, size, 3) random crops of random files (each scaled
    so its shorter side is `size`, then flipped at random), a function of (seed, stream, step)
    only, so a resumed run sees the same data. A file that cannot be read is skipped and reported
    once (in a warning and in ``skipped``).
    """

    def __init__(self, sources, size, batch, seed=0):
        sources = [sources] if isinstance(sources, (str, Path)) else list(sources)
        self.paths = []
        for source in map(Path, sources):
            if source.is_dir():
                self.paths += image_files(source)
            elif source.is_file():
                self.paths.append(source)
            else:
                raise ImageError(f"{source}: no such folder or file")
        self.folder = ", ".join(map(str, sources))
        if not self.paths:
            raise ImageError(f"{self.folder}: no images (looked for {', '.join(IMAGE_SUFFIXES)})")
        self.size, self.batch_size, self.seed = size, batch, seed
        self.skipped = {}
        self._cache, self._cached_bytes, self._lock = collections.OrderedDict(), 0, threading.Lock()  # tf.data's threads read

    def _read(self, index):
        """The photo at `index` scaled to shorter side `size`: decoded once (reduced while
        decoding) and kept in a cache of at most `CACHE_BYTES`, so a small folder is decoded
        once per run and a large one streams. None for a file that cannot be read."""
        path = self.paths[index]
        with self._lock:
            if path in self.skipped:
                return None
            if path in self._cache:
                self._cache.move_to_end(path)
                return self._cache[path]
        try:
            image = _shorter_side(load_image(path, max_side=_training_scale(path, self.size)), self.size)
        except ImageError as e:
            with self._lock:
                if path not in self.skipped:
                    self.skipped[path] = str(e)
                    warnings.warn(f"skipped {e}", stacklevel=2)
            return None
        with self._lock:
            if path not in self._cache:
                self._cache[path] = image
                self._cached_bytes += image.nbytes
            while self._cached_bytes > CACHE_BYTES and len(self._cache) > 1:
                self._cached_bytes -= self._cache.popitem(last=False)[1].nbytes
        return image

    def crop(self, rng):
        """One random crop; files that cannot be read are passed over."""
        start = int(rng.integers(len(self.paths)))
        for k in range(len(self.paths)):
            image = self._read((start + k) % len(self.paths))
            if image is not None:
                return random_crop(image, self.size, rng)
        raise ImageError(f"{self.folder}: none of the {len(self.paths)} image files could be read")

    def batch(self, step, stream=0):
        rng = np.random.default_rng([self.seed, stream, int(step)])
        return np.stack([self.crop(rng) for _ in range(self.batch_size)])


def _training_scale(path, size):
    """The `max_side` that brings the photo at `path` to shorter side `size` (None if it is
    not larger), read from the header, so a large photo is decoded reduced, not in full."""
    w, h = check_file(path)
    return math.ceil(max(w, h) * size / min(w, h)) if min(w, h) > size else None


def _shorter_side(image, size):
    """`image` scaled so its shorter side is `size` px."""
    h, w = image.shape[:2]
    scale = size / min(h, w)
    return resize_image(image, size=(max(size, round(h * scale)), max(size, round(w * scale))))


def random_crop(image, size, rng):
    """A random size x size crop of `image` (both sides at least `size`), flipped left-right
    with probability 1/2."""
    y = int(rng.integers(image.shape[0] - size + 1))
    x = int(rng.integers(image.shape[1] - size + 1))
    crop = image[y:y + size, x:x + size]
    return crop[:, ::-1] if rng.random() < 0.5 else crop


@dataclasses.dataclass
class TrainResult:
    """What `train_generator` returns: the generator, the per-step loss history, the run
    folder, the exported model path, the settings, the skipped content files
    ({path: reason}), the step the run started from (0, or where it resumed) and whether this
    process wrote the run folder (under a multi-worker strategy only worker 0 does)."""

    generator: Generator
    history: list
    run_dir: Path
    model_path: Path
    settings: dict
    skipped: dict
    resumed_from: int
    wrote: bool


def _style_images(style, size):
    """Style images (one path/array, a list, or a folder), each scaled so its shorter side is `size`:
    the Gram targets and the discriminator's crops see the style at the scale of the training crops."""
    if isinstance(style, (str, Path)) and Path(style).is_dir():
        images = load_folder(style, skip_bad=True).images
    elif isinstance(style, (list, tuple)):
        images = [load_image(s) if isinstance(s, (str, Path)) else s for s in style]
    else:
        images = [load_image(style) if isinstance(style, (str, Path)) else style]
    return [_shorter_side(check_image(image, "style"), size) for image in images]


class _Trainer:
    """The models, optimisers and the distributed train step of one run."""

    def __init__(self, settings, styles, extractor):
        s = settings
        self.settings = settings
        self.adversarial = s["adversarial_weight"] > 0
        self.generator = Generator(s["width"], s["res_blocks"])
        self.generator.build()
        self.g_opt = keras.optimizers.Adam(s["learning_rate"], beta_1=0.9)
        self.g_opt.build(self.generator.trainable_variables)
        self.extractor = extractor
        style_features = [extractor(style[None]) for style in styles]  # one VGG16 pass per style image
        self.loss = PerceptualLoss(CONTENT_LAYERS, STYLE_LAYERS, blended_gram_targets(style_features, STYLE_LAYERS),
                                   s["content_weight"], s["style_weight"], s["tv_weight"])
        if self.adversarial:
            self.discriminator = PatchDiscriminator(s["disc_width"], s["disc_depth"])
            self.d_opt = keras.optimizers.Adam(s["disc_learning_rate"], beta_1=0.5)
            self.d_opt.build(self.discriminator.trainable_variables)
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")

    def variables(self):
        """Every variable a checkpoint holds, in a fixed order."""
        out = list(self.generator.weights) + list(self.g_opt.variables)
        if self.adversarial:
            out += list(self.discriminator.weights) + list(self.d_opt.variables)
        return out

    def generator_losses(self, content_features, fake, fake_scores):
        """The weighted terms of L_G (each a mean over this replica's images)."""
        s = self.settings
        losses = self.loss(self.extractor.maps(fake), fake, content_features)
        if fake_scores is not None:
            losses["adversarial"] = s["adversarial_weight"] * generator_adversarial_loss(s["adversarial"], fake_scores)
        return losses

    def discriminator_step(self, fake, style_crops, replicas):
        with tf.GradientTape() as tape:
            d_loss = discriminator_loss(self.settings["adversarial"], self.discriminator(style_crops), self.discriminator(fake))
            scaled = d_loss / replicas
        grads = tape.gradient(scaled, self.discriminator.trainable_variables)
        self.d_opt.apply_gradients(zip(grads, self.discriminator.trainable_variables))
        return scaled

    def replica_step(self, content, style_crops):
        """One step on this replica's share of the batch; losses are divided by the number of
        replicas so that the optimisers' sum over replicas is the mean over the global batch."""
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        out = {}
        content_features = self.extractor.maps(content)
        with tf.GradientTape() as tape:
            fake = self.generator(content)
            if self.adversarial:  # the discriminator's step first, on the same generated images
                with tape.stop_recording():
                    out["discriminator"] = self.discriminator_step(fake, style_crops, replicas)
            losses = self.generator_losses(content_features, fake, self.discriminator(fake) if self.adversarial else None)
            total = tf.add_n(list(losses.values())) / replicas
        grads = tape.gradient(total, self.generator.trainable_variables)
        self.g_opt.apply_gradients(zip(grads, self.generator.trainable_variables))
        out.update({k: v / replicas for k, v in losses.items()}, total=total)
        return out


def _settings(**kwargs):
    s = dict(kwargs)
    if s["adversarial"] not in ADVERSARIAL:
        raise InputError(f"adversarial must be 'lsgan' or 'hinge', got {s['adversarial']!r}")
    checks.train_settings(**{k: s[k] for k in (
        "steps", "size", "batch", "width", "res_blocks", "content_weight", "style_weight", "tv_weight",
        "adversarial_weight", "learning_rate", "disc_learning_rate", "disc_width", "disc_depth", "checkpoint_every",
        "sample_every")})
    return s


# Settings that must match for a run folder to be resumed (the rest may change, e.g. steps).
_RESUME_KEYS = ("size", "batch", "width", "res_blocks", "content_weight", "style_weight", "tv_weight",
                "adversarial_weight", "adversarial", "learning_rate", "disc_learning_rate", "disc_width", "disc_depth",
                "seed", "style", "content")


def train_generator(content, style, out, *, steps=2000, size=256, batch=4, width=8, res_blocks=5,
                    content_weight=1.0, style_weight=10.0, tv_weight=1.0, adversarial_weight=0.05,
                    adversarial="lsgan", learning_rate=1e-3, disc_learning_rate=2e-4, disc_width=32, disc_depth=3,
                    checkpoint_every=100, sample_every=100, seed=0, resume=True, strategy=None, progress=True,
                    extractor=None):
    """Train a `Generator` to stylise any photo like `style`; returns a `TrainResult`.

    Args:
        content: a folder of content photos (any number and size; bad files are skipped), or a
            list of folders and image files.
        style: a style image path or array, a list of them, or a folder (a style collection).
        out: the run folder (checkpoint, samples, ``generator.keras``); resumed if it holds a
            checkpoint of a run with the same settings and `resume` is true.
        steps: total optimisation steps (a resumed run continues up to this number).
        size, batch: crop size in px and global batch size.
        width, res_blocks: the generator's size (see `Generator`).
        content_weight, style_weight, tv_weight, adversarial_weight: a, b, t, d of L_G.
        adversarial: "lsgan" or "hinge".
        learning_rate, disc_learning_rate: Adam step sizes of generator and discriminator.
        disc_width, disc_depth: the PatchGAN's size.
        checkpoint_every, sample_every: how often to write the checkpoint and a sample grid.
        seed: seeds the weights and the data; the same seed gives the same run.
        strategy: a `tf.distribute.Strategy` (e.g. MirroredStrategy); the batch is split across its
            replicas. Under MultiWorkerMirroredStrategy only the chief (worker 0) writes to `out`.
        extractor: the loss network (default: ImageNet VGG16 cut after the deepest loss layer).

    Ctrl-C writes a checkpoint, then raises KeyboardInterrupt. Raises ImageError / InputError
    for bad inputs, StyleTransferError when `out` holds a run with other settings.
    """
    strategy = strategy or tf.distribute.get_strategy()
    style_id = str(Path(style).resolve()) if isinstance(style, (str, Path)) else "arrays"
    content_id = [str(Path(c).resolve()) for c in ([content] if isinstance(content, (str, Path)) else content)]
    settings = _settings(steps=steps, size=size, batch=batch, width=width, res_blocks=res_blocks,
                         content_weight=content_weight, style_weight=style_weight, tv_weight=tv_weight,
                         adversarial_weight=adversarial_weight, adversarial=adversarial, learning_rate=learning_rate,
                         disc_learning_rate=disc_learning_rate, disc_width=disc_width, disc_depth=disc_depth,
                         checkpoint_every=checkpoint_every, sample_every=sample_every, seed=seed, style=style_id,
                         content=content_id)
    if batch % strategy.num_replicas_in_sync:
        raise InputError(f"batch {batch} must be a multiple of the {strategy.num_replicas_in_sync} replicas")
    run_dir = checks.writable_folder(out)
    data = ContentImages(content, size, batch, seed)
    styles = _style_images(style, size)

    with strategy.scope():
        keras.utils.set_random_seed(seed)
        if extractor is None:
            extractor = FeatureExtractor(list(dict.fromkeys([*CONTENT_LAYERS, *STYLE_LAYERS])))
        trainer = _Trainer(settings, styles, extractor)

    checkpoint = run_dir / "checkpoint.npz"
    history = []
    if resume and checkpoint.exists():
        history = _restore(checkpoint, trainer, settings)
    resumed_from = int(trainer.step.numpy())

    @tf.function
    def distributed_step(content, style_crops):
        per_replica = strategy.run(trainer.replica_step, args=(content, style_crops))
        return {k: strategy.reduce("SUM", v, axis=None) for k, v in per_replica.items()}

    samples = data.batch(0, stream=2)  # a fixed batch for the sample grids
    dataset = strategy.experimental_distribute_dataset(_pipeline(data, styles, resumed_from, steps))
    chief = _is_chief(strategy)
    bar = tqdm(total=steps, initial=resumed_from, disable=not progress or not chief, desc="train")
    start = time.perf_counter()
    try:
        for content, style_crops in dataset:
            losses = {k: float(v) for k, v in distributed_step(content, style_crops).items()}
            trainer.step.assign_add(1)
            step = int(trainer.step.numpy())
            if not all(map(math.isfinite, losses.values())):
                raise StyleTransferError(f"the loss became {losses['total']} at step {step}; lower the learning rates "
                                         f"(the last checkpoint in {run_dir} is intact)")
            history.append({"step": step, "time": time.perf_counter() - start, **losses})
            bar.update(1)
            bar.set_postfix({k: f"{v:.3g}" for k, v in losses.items()}, refresh=False)
            if chief and (step % checkpoint_every == 0 or step == steps):
                _save(checkpoint, trainer, settings, history)
            if chief and (step % sample_every == 0 or step == steps):
                _save_samples(run_dir / "samples" / f"step_{step:06d}.png", trainer.generator, samples)
    except KeyboardInterrupt:
        if chief:
            _save(checkpoint, trainer, settings, history)
        raise
    finally:
        bar.close()
    model_path = run_dir / "generator.keras"
    if chief:
        with atomic_path(model_path) as tmp:
            trainer.generator.save(tmp)
    return TrainResult(trainer.generator, history, run_dir, model_path, settings,
                       {str(p): r for p, r in data.skipped.items()}, resumed_from, chief)


def _is_chief(strategy):
    """Whether this process writes the run folder: always, except on the non-chief workers
    of a multi-worker strategy (they all share the folder)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    return resolver.task_type == "chief" or (resolver.task_type == "worker" and resolver.task_id == 0)


def _pipeline(data, styles, start, steps):
    """tf.data pipeline of (content crops, style crops) for steps start .. steps - 1, made in
    parallel and in order; each batch depends only on the seed and its step."""
    shape = (data.batch_size, data.size, data.size, 3)

    def batches(step):
        rng = np.random.default_rng([data.seed, 1, int(step)])
        crops = [random_crop(styles[rng.integers(len(styles))], data.size, rng) for _ in range(data.batch_size)]
        return data.batch(step), np.stack(crops)

    def load(step):
        content, style = tf.numpy_function(batches, [step], (tf.float32, tf.float32), stateful=False)
        return tf.ensure_shape(content, shape), tf.ensure_shape(style, shape)

    return (tf.data.Dataset.range(start, steps)
            .map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
            .prefetch(2))


def _save(path, trainer, settings, history):
    """Every variable, the step, the settings and the history in one .npz, written atomically."""
    arrays = {f"v{i:04d}": np.asarray(v.numpy()) for i, v in enumerate(trainer.variables())}
    if not all(np.all(np.isfinite(a)) for a in arrays.values() if a.dtype.kind == "f"):
        raise StyleTransferError(f"training produced NaN or infinite weights; {path} was not overwritten "
                                 "(lower the learning rates)")
    meta = json.dumps({"settings": settings, "history": history, "step": int(trainer.step.numpy())})
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, meta=np.array(meta), **arrays)


def _restore(path, trainer, settings):
    try:
        with np.load(path, allow_pickle=False) as f:
            meta = json.loads(str(f["meta"]))
            arrays = [f[f"v{i:04d}"] for i in range(len(trainer.variables()))]
    except (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile) as e:
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise StyleTransferError(f"{path}: unreadable checkpoint ({reason}); move it away to start afresh, "
                                 "or train into another folder") from None
    differ = [k for k in _RESUME_KEYS if _comparable(k, meta["settings"].get(k)) != settings[k]]
    if differ:
        raise StyleTransferError(f"{path}: the run there used other settings ({', '.join(differ)}); "
                                 "use another output folder or the same settings")
    for variable, value in zip(trainer.variables(), arrays):
        if tuple(variable.shape) != value.shape:
            raise StyleTransferError(f"{path}: checkpoint does not fit this generator; use another output folder")
        variable.assign(value)
    trainer.step.assign(meta["step"])
    return meta["history"]


def _comparable(key, stored):
    """A stored setting as this version records it: paths resolved (older runs stored them as
    given), so the same folder named two ways is the same run."""
    if key == "content" and isinstance(stored, list):
        return [str(Path(c).resolve()) for c in stored]
    if key == "style" and stored not in (None, "arrays"):
        return str(Path(stored).resolve())
    return stored


def _save_samples(path, generator, contents):
    """A grid: the sample photos in the top row, their stylisations below."""
    outputs = generator(contents).numpy()
    grid = np.concatenate([np.concatenate(list(contents), axis=1), np.concatenate(list(outputs), axis=1)], axis=0)
    save_image(path, grid)
