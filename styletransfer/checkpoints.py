"""A training run's folder: its settings, named checkpoints and loss history.

    out/
      settings.json     the run's settings; a run resumed here must have the same ones
      checkpoints/      `tf.train.CheckpointManager` checkpoints ckpt-<step>, the last `KEEP` kept
      history.jsonl     one JSON line of losses per step, appended before each checkpoint
      lock              locked (`fcntl.flock`) while a training writes here, so that a second
                        one, started by mistake, is refused instead of mixing its steps in

Every variable is saved under a name, never a position: a model's weights by their path
inside the model ("in_conv/kernel"), an optimiser's state by the weight it belongs to
("in_conv/kernel/momentum") or its own name ("iteration"). Restoring is therefore immune to
the order in which variables were created. The data position needs no variable: the
batches are a function of the seed and the step (`styletransfer.data`).

Under a distribution strategy only the worker that `strategy.extended.should_checkpoint`
names writes the folder; the others save to a temporary folder that is deleted, as
TensorFlow's multi-worker guide asks (a save takes part in collective operations).
"""

import fcntl
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np

from ._tensorflow import keras, tf
from . import checks
from ._atomic import atomic_path
from .errors import StyleTransferError

__all__ = ["RunFolder", "model_variables", "optimizer_variables", "load_model_file", "KEEP"]

KEEP = 3  # checkpoints kept


def _inside(model, variable):
    """`variable`'s path below `model` ("generator/in_conv/kernel" -> "in_conv/kernel")."""
    prefix = model.name + "/"
    if not variable.path.startswith(prefix):
        raise StyleTransferError(f"variable {variable.path} is not below model {model.name}")
    return variable.path[len(prefix):]


def model_variables(model: keras.Model) -> dict:
    """{path inside the model: tf.Variable} of every weight of `model`."""
    named = {_inside(model, v): v.value for v in model.weights}
    if len(named) != len(model.weights):
        raise StyleTransferError(f"{model.name} has two weights with the same path")
    return named


def copy_model_variables(source: keras.Model, target: keras.Model) -> None:
    """Assign every weight of `source` to the weight of `target` with the same path inside the model."""
    theirs = model_variables(source)
    for name, variable in model_variables(target).items():
        variable.assign(theirs[name])


def optimizer_variables(optimizer: keras.optimizers.Optimizer, model: keras.Model) -> dict:
    """{name: tf.Variable} of an optimiser's state for `model`. Keras names each slot
    "<weight path with _ for />_<slot>" (`Optimizer.add_variable_from_reference`); it is
    filed as "<weight's path inside the model>/<slot>", the rest under their own names."""
    owners = sorted(((v.path.replace("/", "_") + "_", _inside(model, v)) for v in model.trainable_weights),
                    key=lambda pair: -len(pair[0]))  # the longest matching prefix is the owner
    named = {}
    for v in optimizer.variables:
        owner = next(((prefix, name) for prefix, name in owners if v.name.startswith(prefix)), None)
        key = f"{owner[1]}/{v.name[len(owner[0]):]}" if owner else v.name
        if key in named:
            raise StyleTransferError(f"two optimiser variables would be saved as {key}")
        named[key] = v.value
    return named


def load_model_file(path, cls: type, what: str) -> keras.Model:
    """The `cls` model saved as ``.keras`` at `path` (`what` names it in messages). Raises
    InputError for a missing file or one that is not a zip archive, StyleTransferError for an
    archive that Keras cannot load or that holds another kind of model."""
    path = checks.model_file(path)
    try:
        model = keras.saving.load_model(path, compile=False)
    except Exception as e:  # keras raises many types for a bad archive
        raise StyleTransferError(f"{path}: not a saved {what} ({type(e).__name__}: {str(e).splitlines()[0][:200]})") from None
    if not isinstance(model, cls):
        raise StyleTransferError(f"{path}: holds a {type(model).__name__}, not a styletransfer {cls.__name__}")
    return model


class RunFolder:
    """The folder of one run. `objects` maps names to {name: variable} dicts (see
    `model_variables`, `optimizer_variables`) and must hold a scalar int64 variable "step".

    With `resume`, a folder that holds this run's checkpoints is restored by `restore()`;
    without it, the folder's earlier checkpoints and history are deleted and the run starts
    afresh. Raises StyleTransferError, with one line, for a folder of a run with other
    settings, a checkpoint that cannot be read, or a folder written by an earlier version
    (``checkpoint.npz``, weights stored by position: it is refused, never guessed at).

    A writer holds the folder's lock from construction until `close` (or the end of a
    ``with`` block); another writer into the same folder meanwhile gets StyleTransferError.
    """

    def __init__(self, folder, settings: dict, objects: dict, *, writer: bool = True, resume: bool = True):
        self.folder, self.settings, self.writer = Path(folder), settings, writer
        self.objects, self.step = objects, objects["step"]
        self.checkpoint = tf.train.Checkpoint(**objects)
        self._scratch = None if writer else tempfile.mkdtemp(prefix="styletransfer-worker-")
        directory = self.folder / "checkpoints" if writer else Path(self._scratch)
        self.manager = tf.train.CheckpointManager(self.checkpoint, str(directory), max_to_keep=KEEP,
                                                  checkpoint_name="ckpt")
        self.history_path = self.folder / "history.jsonl"
        self._written = 0  # history entries already in history.jsonl
        old = self.folder / "checkpoint.npz"
        if resume and old.exists():
            raise StyleTransferError(f"{old}: a run folder of an earlier version, which stored weights by position; "
                                     "this version cannot resume it safely; train into another folder")
        self._lock = self._take_lock() if writer else None
        if writer and not resume:
            shutil.rmtree(self.folder / "checkpoints", ignore_errors=True)
            self.history_path.unlink(missing_ok=True)
            (self.folder / "settings.json").unlink(missing_ok=True)
        self.resume = resume

    def _take_lock(self):
        """Lock the folder for this run until `close`; StyleTransferError if another run holds it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        lock = open(self.folder / "lock", "a")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise StyleTransferError(f"{self.folder}: another training is writing to this folder; wait for it to end "
                                     "or train into another folder") from None
        return lock

    def restore(self) -> list:
        """Restore the newest checkpoint, if any; returns the loss history up to its step."""
        latest = self.manager.latest_checkpoint if self.writer else tf.train.latest_checkpoint(str(self.folder / "checkpoints"))
        if not self.resume or latest is None:
            return []
        stored = self._stored_settings()
        differ = [k for k in self.settings if stored.get(k) != self.settings[k]]
        if differ:
            raise StyleTransferError(f"{self.folder}: the run there used other settings ({', '.join(differ)}); "
                                     "use another output folder or the same settings")
        try:
            self.checkpoint.restore(latest).assert_existing_objects_matched()
        except (tf.errors.OpError, ValueError, AssertionError, IndexError, OSError) as e:
            reason = (str(e).strip().splitlines() or [type(e).__name__])[0]
            raise StyleTransferError(f"{latest}: unreadable checkpoint ({reason}); move {self.folder / 'checkpoints'} "
                                     "away to start afresh, or train into another folder") from None
        step = int(self.step.numpy())
        history = [h for h in self._read_history() if h["step"] <= step]
        if self.writer:
            with atomic_path(self.history_path) as tmp:  # drop lines written after the checkpoint
                Path(tmp).write_text("".join(json.dumps(h) + "\n" for h in history))
        self._written = len(history)
        return history

    def _stored_settings(self):
        path = self.folder / "settings.json"
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError) as e:
            raise StyleTransferError(f"{path}: unreadable ({e.__class__.__name__}); the checkpoints beside it cannot be "
                                     "matched to settings; train into another folder") from None

    def _read_history(self):
        if not self.history_path.exists():
            return []
        lines = self.history_path.read_text().splitlines()
        history = []
        for line in lines:
            try:
                history.append(json.loads(line))
            except ValueError:  # a line cut short by a crash
                break
        return history

    def save(self, history: list) -> None:
        """Append the new history entries, then write a checkpoint of every object. Refuses
        (StyleTransferError) to save weights that are NaN or infinite."""
        for name, variables in self.objects.items():
            for key, v in (variables.items() if isinstance(variables, dict) else [("", variables)]):
                value = np.asarray(v.numpy())
                if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
                    raise StyleTransferError(f"training produced NaN or infinite weights ({name} {key}); the checkpoints "
                                             f"in {self.folder / 'checkpoints'} were kept (lower the learning rates)")
        if self.writer:
            if not (self.folder / "settings.json").exists():
                self.folder.mkdir(parents=True, exist_ok=True)
                with atomic_path(self.folder / "settings.json") as tmp:
                    Path(tmp).write_text(json.dumps(self.settings, indent=1))
            with open(self.history_path, "a") as f:
                f.writelines(json.dumps(h) + "\n" for h in history[self._written:])
            self._written = len(history)
        self.manager.save(checkpoint_number=int(self.step.numpy()))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        """Unlock the folder; delete a non-writing worker's temporary checkpoints."""
        if self._lock:
            self._lock.close()  # releases the flock
            self._lock = None
        if self._scratch:
            shutil.rmtree(self._scratch, ignore_errors=True)
