"""The settings of stylisation, of generator training and of AdaIN decoder training, as frozen
dataclasses.

Each field's default is the one default of that setting: `optimize.stylize`,
`gan.train_generator`, `adain.train_decoder` and the command line all take theirs from here. Creating a settings
object checks every field (`checks.number` and the allowed choices) and raises InputError
with one line naming the setting, so a mistake is answered before any work. The module
imports neither TensorFlow nor Keras: the command line checks settings before TensorFlow
starts.
"""

import dataclasses

from . import checks
from .errors import InputError
from .pixels import MIN_SIZE

__all__ = ["StylizeSettings", "TrainSettings", "DecoderSettings", "OPTIMIZERS", "COLOR_MODES", "ADVERSARIAL", "LOSS_LAYERS", "PRECISIONS"]

OPTIMIZERS = ("lbfgs", "adam")
COLOR_MODES = (None, "luminance", "match")
ADVERSARIAL = ("lsgan", "hinge")
LOSS_LAYERS = ("gatys", "johnson")
PRECISIONS = ("float32", "bfloat16")


def _choice(name, value, allowed):
    if value not in allowed:
        raise InputError(f"{name} must be one of {', '.join(map(repr, allowed))}, got {value!r}")


@dataclasses.dataclass(frozen=True)
class StylizeSettings:
    """The numeric and named settings of `optimize.stylize` (see its docstring for each).

    `steps` is one count for every pyramid level or a tuple of one count per level.
    """

    size: int | None = None
    max_side: int | None = 512
    steps: int | tuple = 300
    optimizer: str = "lbfgs"
    learning_rate: float = 0.02
    levels: int = 1
    content_weight: float = 1.0
    style_weight: float = 10.0
    tv_weight: float = 1.0
    preserve_colors: str | None = None
    pooling: str = "max"
    seed: int = 0
    max_seconds: float | None = None
    tol: float | None = 0.02
    window: int = 10
    precision: str = "float32"

    def __post_init__(self):
        if self.size is not None:
            checks.number("size", self.size, minimum=MIN_SIZE, integer=True)
        if self.max_side is not None:
            checks.number("max_side", self.max_side, minimum=MIN_SIZE, integer=True)
        checks.number("levels", self.levels, minimum=1, maximum=8, integer=True)
        counts = self.steps if isinstance(self.steps, (list, tuple)) else [self.steps]
        for n in counts:
            checks.number("steps", n, minimum=1, integer=True)
        if isinstance(self.steps, (list, tuple)) and len(self.steps) != self.levels:
            raise InputError(f"steps has {len(self.steps)} entries for {self.levels} levels")
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        checks.number("learning_rate", self.learning_rate, above=0)
        for name in ("content_weight", "style_weight", "tv_weight"):
            checks.number(name, getattr(self, name), minimum=0)
        _choice("preserve_colors", self.preserve_colors, COLOR_MODES)
        _choice("pooling", self.pooling, ("max", "avg"))
        checks.number("seed", self.seed, minimum=0, integer=True)
        if self.max_seconds is not None:
            checks.number("max_seconds", self.max_seconds, above=0)
        if self.tol is not None:
            checks.number("tol", self.tol, minimum=0, maximum=1)
        checks.number("window", self.window, minimum=1, integer=True)
        _choice("precision", self.precision, PRECISIONS)

    @property
    def step_counts(self):
        """The steps of each pyramid level, coarsest first."""
        return list(self.steps) if isinstance(self.steps, (list, tuple)) else [self.steps] * self.levels


class _RunSettings:
    """What the settings of a training run share: the checks of the fields every run has, and
    which settings a resumed run may change."""

    MAY_CHANGE = ("steps", "checkpoint_every", "sample_every")

    def _check_run(self):
        for name in ("steps", "batch", "width", "checkpoint_every", "sample_every"):
            checks.number(name, getattr(self, name), minimum=1, integer=True)
        for name in ("size", "scale"):
            checks.number(name, getattr(self, name), minimum=MIN_SIZE, integer=True)
        checks.number("learning_rate", self.learning_rate, above=0)
        checks.number("seed", self.seed, minimum=0, integer=True)

    def must_match(self):
        """The settings a resumed run must share with the run that wrote the folder."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k not in self.MAY_CHANGE}


@dataclasses.dataclass(frozen=True)
class TrainSettings(_RunSettings):
    """The settings of `gan.train_generator` (see its docstring for each).

    A run folder can be resumed only with the same settings, except those in `MAY_CHANGE`.
    """

    steps: int = 2000
    size: int = 256
    scale: int = 256
    style_scale: int | None = None
    batch: int = 4
    width: int = 16
    res_blocks: int = 5
    content_weight: float = 1.0
    style_weight: float = 10.0
    tv_weight: float = 1.0
    layers: str = "gatys"
    adversarial_weight: float = 0.05
    adversarial: str = "lsgan"
    learning_rate: float = 1e-3
    disc_learning_rate: float = 2e-4
    disc_width: int = 32
    disc_depth: int = 3
    checkpoint_every: int = 100
    sample_every: int = 100
    seed: int = 0

    def __post_init__(self):
        self._check_run()
        if self.style_scale is not None:
            checks.number("style_scale", self.style_scale, minimum=MIN_SIZE, integer=True)
        checks.number("res_blocks", self.res_blocks, minimum=0, integer=True)
        for name in ("content_weight", "style_weight", "tv_weight", "adversarial_weight"):
            checks.number(name, getattr(self, name), minimum=0)
        _choice("adversarial", self.adversarial, ADVERSARIAL)
        _choice("layers", self.layers, LOSS_LAYERS)
        checks.number("disc_learning_rate", self.disc_learning_rate, above=0)
        checks.number("disc_width", self.disc_width, minimum=1, integer=True)
        checks.number("disc_depth", self.disc_depth, minimum=1, integer=True)


@dataclasses.dataclass(frozen=True)
class DecoderSettings(_RunSettings):
    """The settings of `adain.train_decoder` (see its docstring for each).

    A run folder can be resumed only with the same settings, except those in `MAY_CHANGE`.
    """

    steps: int = 10000
    size: int = 128
    scale: int = 256
    style_scale: int = 256
    batch: int = 8
    width: int = 64
    style_weight: float = 3.0
    drawn: float = 0.75
    learning_rate: float = 1e-4
    ema_momentum: float = 0.999
    precision: str = "float32"
    checkpoint_every: int = 250
    sample_every: int = 500
    seed: int = 0

    def __post_init__(self):
        self._check_run()
        checks.number("style_scale", self.style_scale, minimum=MIN_SIZE, integer=True)
        checks.number("style_weight", self.style_weight, minimum=0)
        checks.number("drawn", self.drawn, minimum=0, maximum=1)
        checks.number("ema_momentum", self.ema_momentum, minimum=0, below=1)  # at 1 the average would never move
        _choice("precision", self.precision, PRECISIONS)
