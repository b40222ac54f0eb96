"""Training the feed-forward generator with perceptual and adversarial losses.

The frozen ImageNet VGG16 is the loss network (the transfer-learning part); a PatchGAN
discriminator (`styletransfer.adversarial`) judges crops of the style image(s) against
generated images. The generator minimises, per image x with stylisation g(x):

    L_G = a * [sum_l c_l |F_l(g(x)) - F_l(x)|^2 / |F_l(x)|^2] / sum_l c_l
        + b * [sum_l s_l |G_l(g(x)) - A_l|^2 / |A_l|^2] / sum_l s_l
        + t * TV(g(x)) + d * L_adv(D(g(x)))

(the perceptual losses of Johnson et al., 2016, https://arxiv.org/abs/1603.08155, the
`styletransfer.losses.PerceptualLoss`; A_l is the mean Gram matrix of the style images),
and the discriminator its least-squares or hinge loss. The layers l are by default those
`optimize.stylize` uses (Gatys et al.: content at relu4_2, style at relu1_1 .. relu5_1);
`layers="johnson"` takes Johnson et al.'s (content at relu2_2, style at relu1_2, relu2_2,
relu3_3, relu4_3). Measured on the held-out photo (see the README): with Johnson et
al.'s layers the generator reaches a lower training loss than `stylize`'s own result
while its style distance stays about twice `stylize`'s, a uniform diagonal grating; with
Gatys et al.'s the same training matches `stylize`'s style and colour distances. d = 0 is
plain perceptual training, and then no discriminator is built.

The loop, checkpoints and resuming are `styletransfer.training.run_training`'s.

A run lives in one folder (`styletransfer.checkpoints.RunFolder`): settings.json,
checkpoints/ (every `checkpoint_every` steps and on Ctrl-C), history.jsonl, ``samples/``
(a grid of inputs and outputs every `sample_every` steps) and finally ``generator.keras``.
Calling `train_generator` again with the same folder and settings resumes where it stopped.
"""

import dataclasses
from pathlib import Path

import numpy as np

from ._tensorflow import keras, tf
from . import checks, optimize
from .adversarial import PatchDiscriminator, discriminator_loss, generator_adversarial_loss
from .checkpoints import copy_model_variables, model_variables, optimizer_variables
from .data import SAMPLES, TrainingPhotos, content_batches, style_images, training_batches
from .errors import InputError
from .features import FeatureExtractor
from .generator import Generator, load_generator
from .images import save_image
from .losses import PerceptualLoss, blended_gram_targets
from .settings import TrainSettings
from .training import run_training

__all__ = ["train_generator", "TrainResult", "Trainer", "copy_weights", "PatchDiscriminator", "LAYERS", "loss_layers"]

# (content layers, style layers) by the paper that chose them.
LAYERS = {
    "gatys": (optimize.CONTENT_LAYERS, optimize.STYLE_LAYERS),
    "johnson": ({"block2_conv2": 1.0}, {"block1_conv2": 1.0, "block2_conv2": 1.0, "block3_conv3": 1.0, "block4_conv3": 1.0}),
}


def loss_layers(name: str = TrainSettings.layers) -> list:
    """Every VGG16 layer the losses of `layers=name` read: what the loss network must output."""
    content, style = LAYERS[name]
    return list(dict.fromkeys([*content, *style]))


@dataclasses.dataclass
class TrainResult:
    """What `train_generator` returns: the generator, the per-step loss history, the run
    folder, the exported model path, the settings, the skipped content files
    ({path: reason}), the step the run started from (0, or where it resumed) and whether this
    process wrote the run folder (under a multi-worker strategy only one worker does)."""

    generator: Generator
    history: list
    run_dir: Path
    model_path: Path
    settings: TrainSettings
    skipped: dict
    resumed_from: int
    wrote: bool


class Trainer:
    """The models, optimisers and the per-replica train step of one run, for
    `training.run_training`; build it inside the strategy's scope. `objects()` names
    everything a checkpoint holds; `save_samples` stylises the photos `samples` (a batch)."""

    def __init__(self, settings: TrainSettings, styles: list, extractor: FeatureExtractor, samples=None):
        s = self.settings = settings
        self.samples = samples
        self.adversarial = s.adversarial_weight > 0
        self.generator = Generator(s.width, s.res_blocks, seed=s.seed)
        self.generator.build()
        self.g_opt = keras.optimizers.Adam(s.learning_rate, beta_1=0.9)
        self.g_opt.build(self.generator.trainable_variables)
        self.extractor = extractor
        style_features = [extractor(style[None]) for style in styles]  # one VGG16 pass per style image
        content_layers, style_layers = LAYERS[s.layers]
        self.loss = PerceptualLoss(content_layers, style_layers, blended_gram_targets(style_features, style_layers),
                                   s.content_weight, s.style_weight, s.tv_weight)
        if self.adversarial:
            self.discriminator = PatchDiscriminator(s.disc_width, s.disc_depth, seed=s.seed)
            self.d_opt = keras.optimizers.Adam(s.disc_learning_rate, beta_1=0.5)
            self.d_opt.build(self.discriminator.trainable_variables)
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")

    def objects(self) -> dict:
        """Every variable of the run by name, for `RunFolder`."""
        out = {"generator": model_variables(self.generator),
               "generator_optimizer": optimizer_variables(self.g_opt, self.generator), "step": self.step}
        if self.adversarial:
            out.update(discriminator=model_variables(self.discriminator),
                       discriminator_optimizer=optimizer_variables(self.d_opt, self.discriminator))
        return out

    def save_samples(self, path):
        _save_samples(path, self.generator, self.samples)

    def trained_model(self) -> keras.Model:
        return self.generator

    def generator_losses(self, content_features, fake, fake_scores):
        """The weighted terms of L_G (each a mean over this replica's images)."""
        losses = self.loss(self.extractor.maps(fake), fake, content_features)
        if fake_scores is not None:
            losses["adversarial"] = self.settings.adversarial_weight * generator_adversarial_loss(
                self.settings.adversarial, fake_scores)
        return losses

    def discriminator_step(self, fake, style_crops, replicas):
        with tf.GradientTape() as tape:
            d_loss = discriminator_loss(self.settings.adversarial, self.discriminator(style_crops), self.discriminator(fake))
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


def train_generator(content, style, out, *, steps: int = TrainSettings.steps, size: int = TrainSettings.size,
                    scale: int = TrainSettings.scale, style_scale: int | None = TrainSettings.style_scale,
                    batch: int = TrainSettings.batch, width: int = TrainSettings.width,
                    res_blocks: int = TrainSettings.res_blocks, content_weight: float = TrainSettings.content_weight,
                    style_weight: float = TrainSettings.style_weight, tv_weight: float = TrainSettings.tv_weight,
                    layers: str = TrainSettings.layers,
                    adversarial_weight: float = TrainSettings.adversarial_weight,
                    adversarial: str = TrainSettings.adversarial, learning_rate: float = TrainSettings.learning_rate,
                    disc_learning_rate: float = TrainSettings.disc_learning_rate,
                    disc_width: int = TrainSettings.disc_width, disc_depth: int = TrainSettings.disc_depth,
                    checkpoint_every: int = TrainSettings.checkpoint_every,
                    sample_every: int = TrainSettings.sample_every, seed: int = TrainSettings.seed,
                    init: str | Path | Generator | None = None, resume: bool = True,
                    strategy: tf.distribute.Strategy | None = None, progress: bool = True,
                    extractor: FeatureExtractor | None = None) -> TrainResult:
    """Train a `Generator` to stylise any photo like `style`; returns a `TrainResult`.

    Args:
        content: a folder of content photos (any number and size; bad files are skipped), or a
            list of folders and image files.
        style: a style image path or array, a list of them, or a folder (a style collection).
        out: the run folder; resumed if it holds a checkpoint of a run with the same settings
            and `resume` is true (with `resume` false its earlier checkpoints are deleted).
        steps: total optimisation steps (a resumed run continues up to this number).
        size, batch: crop size in px (the cost of a step) and global batch size.
        scale: the photos' shorter side in px before cropping (each sample at a random scale
            within a factor `data.ZOOM` of it): the generator learns to stylise photos of
            about this size, whatever the crop size.
        style_scale: the style images' shorter side in px; None keeps them at their own size,
            as `optimize.stylize` does.
        width, res_blocks: the generator's size (see `Generator`).
        content_weight, style_weight, tv_weight, adversarial_weight: a, b, t, d of L_G.
        layers: the loss layers, "gatys" (those of `optimize.stylize`) or "johnson".
        adversarial: "lsgan" or "hinge".
        learning_rate, disc_learning_rate: Adam step sizes of generator and discriminator.
        disc_width, disc_depth: the PatchGAN's size.
        checkpoint_every, sample_every: how often to write a checkpoint and a sample grid.
        seed: seeds the weights and the data; the same seed gives the same run.
        init: start from a trained generator (a ``.keras`` path or a `Generator`) instead of
            random weights: transfer learning for generators. All its weights are copied (the
            discriminator and the optimisers start afresh); a generator of another size is
            refused before any work. A resumed run continues from its checkpoint instead.
        strategy: a `tf.distribute.Strategy` (e.g. MirroredStrategy); the batch is split across its
            replicas. Under MultiWorkerMirroredStrategy only one worker writes to `out`.
        extractor: the loss network (default: ImageNet VGG16 with the outputs `loss_layers(layers)`).

    Defaults are those of `settings.TrainSettings`. Ctrl-C writes a checkpoint, then raises
    KeyboardInterrupt. Raises ImageError / InputError for bad inputs, StyleTransferError when
    `out` holds a run with other settings or a checkpoint that cannot be read.
    """
    settings = TrainSettings(steps=steps, size=size, scale=scale, style_scale=style_scale, batch=batch, width=width,
                             res_blocks=res_blocks,
                             content_weight=content_weight, style_weight=style_weight, tv_weight=tv_weight,
                             layers=layers, adversarial_weight=adversarial_weight, adversarial=adversarial,
                             learning_rate=learning_rate, disc_learning_rate=disc_learning_rate, disc_width=disc_width,
                             disc_depth=disc_depth, checkpoint_every=checkpoint_every, sample_every=sample_every,
                             seed=seed)
    strategy = strategy or tf.distribute.get_strategy()
    if batch % strategy.num_replicas_in_sync:
        raise InputError(f"batch {batch} must be a multiple of the {strategy.num_replicas_in_sync} replicas")
    run_dir = checks.writable_folder(out)
    start = load_generator(init) if isinstance(init, (str, Path)) else init
    if start is not None:
        _check_fits(start, width, res_blocks)
    photos = TrainingPhotos(content, size, scale)
    styles = style_images(style, size, style_scale)
    identity = {**settings.must_match(), "content": [str(Path(c).resolve()) for c in _as_list(content)],
                "style": str(Path(style).resolve()) if isinstance(style, (str, Path)) else "arrays",
                "init": str(Path(init).resolve()) if isinstance(init, (str, Path)) else None if init is None else "model"}

    samples = next(iter(content_batches(photos, batch, seed, 0, 1, stream=SAMPLES, cache_bytes=0))).numpy()  # the grid's photos
    with strategy.scope():
        if extractor is None:
            extractor = FeatureExtractor(loss_layers(layers))
        trainer = Trainer(settings, styles, extractor, samples)
        if start is not None:
            copy_weights(start, trainer.generator)
    model_path = run_dir / "generator.keras"
    run = run_training(trainer, lambda first: training_batches(photos, styles, batch, seed, first, steps), run_dir, identity,
                       steps=steps, checkpoint_every=checkpoint_every, sample_every=sample_every, strategy=strategy,
                       model_path=model_path, resume=resume, progress=progress)
    return TrainResult(trainer.generator, run.history, run_dir, model_path, settings,
                       {str(p): r for p, r in photos.skipped.items()}, run.resumed_from, run.wrote)


def copy_weights(source: Generator, target: Generator) -> None:
    """Copy every weight of `source` into the weight of `target` with the same name (its path
    inside the model). Raises InputError, with one line, unless the two generators have the
    same architecture (width, residual blocks, kernel size)."""
    _check_fits(source, target.width, target.res_blocks, target.kernel)
    copy_model_variables(source, target)


def _check_fits(source, width, res_blocks, kernel=9):
    if (source.width, source.res_blocks, source.kernel) != (width, res_blocks, kernel):
        raise InputError(f"the init generator (width {source.width}, {source.res_blocks} residual blocks, kernel "
                         f"{source.kernel}) does not fit this run (width {width}, {res_blocks} residual blocks, kernel "
                         f"{kernel}); give a generator of the same size or change --width / --res-blocks")


def _as_list(sources):
    return [sources] if isinstance(sources, (str, Path)) else list(sources)


def _save_samples(path, generator, contents):
    """A grid: the sample photos in the top row, their stylisations below."""
    outputs = generator(contents).numpy()
    grid = np.concatenate([np.concatenate(list(contents), axis=1), np.concatenate(list(outputs), axis=1)], axis=0)
    save_image(path, grid)
