"""The training loop shared by the generator (`styletransfer.gan`) and the AdaIN decoder
(`styletransfer.adain`): one `tf.function` step under a `tf.distribute` strategy, a run
folder with named checkpoints and a loss history, resuming, progress and sample grids.

A trainer is any object with

    step                   a scalar int64 tf.Variable, the number of steps taken
    objects()              {name: {name: variable}} of everything a checkpoint holds, with "step"
    replica_step(*batch)   one optimisation step on this replica's share of a batch; returns
                           {name: loss}, each divided by the number of replicas (so that their
                           sum over the replicas is the mean over the global batch)
    save_samples(path)     writes a picture of what the model does now
    trained_model()        the network to save at the end (a keras.Model)

The loop is a plain loop over one compiled step, not `keras.Model.fit`: one step may update
two models with two optimisers in a fixed order; the batches are indexed by the step, so a
resumed run sees exactly the uninterrupted run's data; Ctrl-C and a non-finite loss must
write or keep a checkpoint; and the same step runs under any strategy. With `fit` each of
these would be a callback or an override working around its epoch-based loop.
"""

import dataclasses
import math
import time
from collections.abc import Callable
from pathlib import Path

from tqdm.auto import tqdm

from ._tensorflow import tf
from ._atomic import atomic_path
from .checkpoints import RunFolder
from .errors import StyleTransferError

__all__ = ["run_training", "Run"]


@dataclasses.dataclass
class Run:
    """What `run_training` returns: the loss history (one dict per step: "step", "time" in
    seconds since this sitting started, and the losses), the step the run started from (0,
    or where it resumed) and whether this process wrote the run folder (under a multi-worker
    strategy only one worker does)."""

    history: list
    resumed_from: int
    wrote: bool


def run_training(trainer, batches: Callable[[int], tf.data.Dataset], run_dir: Path, identity: dict, *, steps: int,
                 checkpoint_every: int, sample_every: int, strategy: tf.distribute.Strategy, model_path: Path,
                 resume: bool = True, progress: bool = True, desc: str = "train") -> Run:
    """Train `trainer` (see the module doc) up to `steps`, in `run_dir`, then save
    `trainer.trained_model()` to `model_path`, atomically, from the process that writes the
    run folder.

    `batches(start)` returns the dataset of the batches for steps start .. steps - 1 (each
    element a tuple, the arguments of `replica_step`); `identity` is what a resumed run must
    share with the run that wrote the folder (`checkpoints.RunFolder`). A checkpoint is
    written every `checkpoint_every` steps, at the end and on Ctrl-C (which then raises
    KeyboardInterrupt); samples every `sample_every` steps and at the end. A non-finite loss
    raises StyleTransferError and keeps the last checkpoint.
    """
    writer = strategy.extended.should_checkpoint
    with RunFolder(run_dir, identity, trainer.objects(), writer=writer, resume=resume) as folder:
        history = folder.restore()
        resumed_from = int(trainer.step.numpy())

        @tf.function
        def distributed_step(*batch):
            per_replica = strategy.run(trainer.replica_step, args=batch)
            return {k: strategy.reduce("SUM", v, axis=None) for k, v in per_replica.items()}

        dataset = strategy.experimental_distribute_dataset(batches(resumed_from))
        bar = tqdm(total=steps, initial=resumed_from, disable=not progress or not writer, desc=desc)
        start = time.perf_counter()
        try:
            for batch in dataset:
                losses = {k: float(v) for k, v in distributed_step(*batch).items()}
                trainer.step.assign_add(1)
                step = int(trainer.step.numpy())
                if not all(map(math.isfinite, losses.values())):
                    raise StyleTransferError(f"the loss became {losses['total']} at step {step}; lower the learning rate "
                                             f"(the checkpoints in {run_dir} are intact)")
                history.append({"step": step, "time": time.perf_counter() - start, **losses})
                bar.update(1)
                bar.set_postfix({k: f"{v:.3g}" for k, v in losses.items()}, refresh=False)
                if step % checkpoint_every == 0 or step == steps:
                    folder.save(history)
                if writer and (step % sample_every == 0 or step == steps):
                    trainer.save_samples(Path(run_dir) / "samples" / f"step_{step:06d}.png")
        except KeyboardInterrupt:
            folder.save(history)
            raise
        finally:
            bar.close()
        if writer:
            with atomic_path(model_path) as tmp:
                trainer.trained_model().save(tmp)
    return Run(history, resumed_from, writer)
