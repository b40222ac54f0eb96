"""Optimisation-based stylisation (Gatys, Ecker and Bethge, 2016,
https://doi.org/10.1109/CVPR.2016.265): adjust the pixels of an image so that its VGG16
features match the content image's and its Gram statistics match the style's.

The loss is a weighted mean over the layers of each term, and each layer's term a mean,
so the same weights work at every image size and for any number of layers:

    L(x) = a * [sum_l c_l |F_l(x) - F_l(p)|^2 / |F_l(p)|^2] / sum_l c_l
         + b * [sum_l s_l |G_l(x) - A_l|^2 / |A_l|^2] / sum_l s_l
         + t * TV(x)

with F_l the features of layer l, p the content image, G_l the Gram matrix (averaged over
positions, `metrics.gram_matrix`), A_l = sum_k w_k G_l(style_k) the blended style target,
|.|^2 the mean square, c_l and s_l the relative layer weights, and
TV(x) = mean |x[i+1, j] - x[i, j]| + mean |x[i, j+1] - x[i, j]| the mean absolute
difference of vertically and horizontally neighbouring pixels (over pixels and colours).
With a mask m, F_l and G_l are taken of m * x + (1 - m) * p, and TV of x.

Gatys et al.'s layer loss E_l = 1/(4 N_l^2 M_l^2) sum (G^_l - A^_l)^2, with Gram matrices
summed over the M_l positions, is a quarter of |G_l - A_l|^2 here. Dividing each layer's
term by its target's mean square makes it a relative error that does not depend on the
scale of the layer's features (the mean squares of VGG16's Gram matrices differ between
layers by orders of magnitude), so c_l and s_l are relative importances. Content and style
targets are computed once per resolution.

The default optimiser is L-BFGS. One of its iterations costs more than an Adam step (it
may evaluate the loss more than once), and the two settle on different balances of the
loss's terms, so neither steps nor losses rank them; measures of the results that neither
optimises do. Against the TensorFlow tutorial's loop on the same network (300 Adam steps;
chelsea and strokes at 256 px, two CPU cores), L-BFGS reached the loop's style distance
and LPIPS to the photo after 71 steps, and Adam with this loss had not after 300 (the
README gives the times; `python benchmarks/stylize.py --choose`, which also chose the stop:
tol 0.02 over 10 steps ended L-BFGS after 103 and 105 steps on the two pairs measured).
"""

import dataclasses
import math
import time
import warnings
from collections.abc import Iterable

import numpy as np
import scipy.optimize
from tqdm.auto import tqdm

from ._tensorflow import keras, tf
from . import checks, colors
from .errors import InputError
from .features import MIN_SIZE, FeatureExtractor
from .images import check_file, check_image, load_image, resize_image
from .losses import PerceptualLoss, blended_gram_targets
from .settings import StylizeSettings

__all__ = ["stylize", "StylizeResult", "CONTENT_LAYERS", "STYLE_LAYERS", "Stylizer", "converged"]

CONTENT_LAYERS = {"block4_conv2": 1.0}
STYLE_LAYERS = {"block1_conv1": 1.0, "block2_conv1": 1.0, "block3_conv1": 1.0, "block4_conv1": 1.0, "block5_conv1": 1.0}


@dataclasses.dataclass
class StylizeResult:
    """What `stylize` returns: the image (H, W, 3) float32 in [0, 1], the loss history
    (one dict per step: step, level, size, time since the start in s, total, content, style,
    tv), the settings
    used, the wall time in seconds, and `stopped` (why the run ended early, else None)."""

    image: np.ndarray
    history: list
    settings: dict
    wall_time: float
    stopped: str = None


def _as_image(image, name, max_side):
    if isinstance(image, np.ndarray) or tf.is_tensor(image):
        image = check_image(image, name)
        if image.ndim != 3:
            raise InputError(f"{name} must be one (H, W, 3) image, got shape {image.shape}")
        if min(image.shape[:2]) < MIN_SIZE:
            raise InputError(f"{name} of {image.shape[0]}x{image.shape[1]} px is too small; each side must be at least {MIN_SIZE} px")
    else:  # a file: decoded reduced when it is larger than max_side, never at full size first
        width, height = check_file(image)
        if max_side and max(width, height) > max_side:
            warnings.warn(f"{name} of {height}x{width} px is larger than max_side={max_side}; downscaled", stacklevel=3)
        return load_image(image, max_side=max_side)
    if max_side and max(image.shape[:2]) > max_side:
        warnings.warn(f"{name} of {image.shape[0]}x{image.shape[1]} px is larger than max_side={max_side}; downscaled", stacklevel=3)
        image = resize_image(image, max_side=max_side)
    return image


class Stylizer:
    """The loss of one stylisation at one resolution, with targets computed once.

    ``loss_and_grad(x)`` returns (total, parts, gradient) for a (1, H, W, 3) image.
    """

    def __init__(self, extractor: FeatureExtractor, content: np.ndarray, styles: list[np.ndarray],
                 style_blend: Iterable[float] | None, content_layers: dict[str, float], style_layers: dict[str, float],
                 content_weight: float, style_weight: float, tv_weight: float, mask: np.ndarray | None = None):
        self.extractor = extractor
        self.content = tf.constant(content[None])
        self.mask = None if mask is None else tf.constant(mask[None, :, :, None])
        content_features = extractor(self.content)
        self.content_targets = {name: content_features[name] for name in content_layers}
        self.loss = PerceptualLoss(content_layers, style_layers,
                                   blended_gram_targets([extractor(s[None]) for s in styles], style_layers, style_blend),
                                   content_weight, style_weight, tv_weight)
        self._step = tf.function(self.loss_and_gradient)

    def composite(self, x: np.ndarray | tf.Tensor) -> np.ndarray | tf.Tensor:
        """The image the loss sees: inside the mask x, outside it the content."""
        return x if self.mask is None else self.mask * x + (1.0 - self.mask) * self.content

    def _losses(self, x):
        parts = self.loss(self.extractor.maps(self.composite(x)), x, self.content_targets)
        return tf.add_n(list(parts.values())), parts

    def loss_and_gradient(self, x: tf.Tensor | tf.Variable) -> tuple[tf.Tensor, dict[str, tf.Tensor], tf.Tensor]:
        """(total, parts, gradient) for a (1, H, W, 3) tensor, traced into the caller's graph:
        call it inside your own `tf.function` (`loss_and_grad` is the compiled form)."""
        with tf.GradientTape() as tape:
            tape.watch(x)
            total, parts = self._losses(x)
        return total, parts, tape.gradient(total, x)

    def loss_and_grad(self, x: np.ndarray | tf.Tensor) -> tuple[tf.Tensor, dict[str, tf.Tensor], tf.Tensor]:
        return self._step(tf.convert_to_tensor(x, tf.float32))


def _level_sizes(shape, levels):
    h, w = shape
    sizes = [(max(MIN_SIZE, round(h / 2**k)), max(MIN_SIZE, round(w / 2**k))) for k in range(levels - 1, -1, -1)]
    return [s for i, s in enumerate(sizes) if i == 0 or s != sizes[i - 1]]


class _Stop(Exception):
    """Ends a run early: `image` is what to return (at the current level's size)."""

    def __init__(self, message, image, warn):
        super().__init__(message)
        self.image, self.warn = image, warn


def converged(totals: list[float], tol: float, window: int) -> bool:
    """The convergence test on a level's losses so far, L[0] .. L[n]: they fell by less than the
    fraction `tol` over the last `window` steps, L[n - window] - L[n] < tol * |L[n - window]|."""
    return len(totals) > window and totals[-window - 1] - totals[-1] < tol * abs(totals[-window - 1])


class _Converged(Exception):
    """Ends a level whose loss stopped falling (see `tol`): `image` is its best image."""

    def __init__(self, message, image):
        super().__init__(message)
        self.image = image


def stylize(content, style, *, style_blend=None, size: int | None = StylizeSettings.size,
            max_side: int | None = StylizeSettings.max_side, steps: int | tuple = StylizeSettings.steps,
            optimizer: str = StylizeSettings.optimizer, learning_rate: float = StylizeSettings.learning_rate,
            levels: int = StylizeSettings.levels, init="content", content_weight: float = StylizeSettings.content_weight,
            style_weight: float = StylizeSettings.style_weight, tv_weight: float = StylizeSettings.tv_weight,
            content_layers: dict | None = None, style_layers: dict | None = None,
            preserve_colors: str | None = StylizeSettings.preserve_colors, mask=None, net: str = "vgg16",
            weights="imagenet", pooling: str = StylizeSettings.pooling, seed: int = StylizeSettings.seed,
            max_seconds: float | None = StylizeSettings.max_seconds, tol: float | None = StylizeSettings.tol,
            window: int = StylizeSettings.window, precision: str = StylizeSettings.precision, callback=None,
            callback_every: int = 10, progress: bool = True, extractor: FeatureExtractor | None = None) -> "StylizeResult":
    """Stylise `content` with `style` by optimising pixels; returns a `StylizeResult`.

    Args:
        content: the photo, an (H, W, 3) array in [0, 1] or an image path.
        style: one style image (array or path) or a list of them.
        style_blend: weights of the style images (normalised to sum 1); equal by default.
        size: the longer side of the result in px (default: the content's, at most `max_side`).
        max_side: larger content is downscaled with a warning (default 512).
        steps: the most optimisation steps per pyramid level (an int, or one int per level);
            `tol` usually ends a level sooner.
        optimizer: "lbfgs" (scipy's L-BFGS-B, pixels bounded to [0, 1]) or "adam".
        learning_rate: Adam's step size.
        levels: pyramid levels; level k runs at 1/2^k of the size, coarsest first,
            each starting from the previous result upsampled.
        init: "content", "noise" (uniform, from `seed`) or an (H, W, 3) start image.
        content_weight, style_weight, tv_weight: a, b, t in the loss; `style_weight`
            is the style-strength knob.
        content_layers, style_layers: {layer name: relative weight}.
        preserve_colors: None, "luminance" (transfer on luminance only, keep the content's
            chroma) or "match" (first match the style's colour mean and covariance to the content's).
        mask: (H, W) array or image path in [0, 1]; 1 = stylise, 0 = keep the content.
        net, weights, pooling: the feature extractor (see FeatureExtractor), or pass `extractor`.
        seed: seeds the noise start; the same seed and inputs give the same image.
        max_seconds: stop after the first step that ends this many seconds after the start
            (None: run every step); `result.stopped` then says so. Compares optimisers at
            equal wall time.
        tol, window: a level ends early once its loss fell by less than the fraction `tol`
            over the last `window` steps, (L[n - window] - L[n]) / L[n - window] < tol; the
            last level ending so ends the run and `result.stopped` says after how many steps.
            None runs every step.
        precision: "float32" or "bfloat16" (the feature network computes in bfloat16; the
            loss, its gradient and the pixels stay float32). A CPU without bfloat16 gets a
            warning and float32.
        callback: called as callback(step, losses, image) every `callback_every` steps.
        progress: show a tqdm progress bar with the current losses.

    Defaults are those of `settings.StylizeSettings`. A loss that becomes NaN or infinite stops the run with a warning; the best image so
    far is returned and `result.stopped` says why. Raises InputError / ImageError for bad inputs.
    """
    start_time = time.perf_counter()
    options = StylizeSettings(size=size, max_side=max_side, steps=tuple(steps) if isinstance(steps, list) else steps,
                              optimizer=optimizer, learning_rate=learning_rate, levels=levels,
                              content_weight=content_weight, style_weight=style_weight, tv_weight=tv_weight,
                              preserve_colors=preserve_colors, pooling=pooling, seed=seed, max_seconds=max_seconds,
                              tol=tol, window=window, precision=precision)
    checks.style_blend(style_blend, len(style) if isinstance(style, (list, tuple)) else 1)
    content = _as_image(content, "content", max_side)
    styles = [_as_image(s, "style", None) for s in (style if isinstance(style, (list, tuple)) else [style])]
    blend = np.ones(len(styles)) if style_blend is None else np.asarray(style_blend, np.float64)
    blend = blend / blend.sum()
    step_counts = options.step_counts
    if size:
        h, w = content.shape[:2]
        content = resize_image(content, size=(round(h * size / max(h, w)), round(w * size / max(h, w))))
    content_layers = dict(content_layers or CONTENT_LAYERS)
    style_layers = dict(style_layers or STYLE_LAYERS)
    if extractor is None:
        extractor = FeatureExtractor(list(content_layers) + list(style_layers), net=net, weights=weights, pooling=pooling,
                                     precision=precision)
    mask_image = _mask(mask, content.shape[:2])

    original_content = content
    if preserve_colors == "luminance":
        content = colors.luminance_rgb(content)
        styles = [colors.luminance_rgb(colors.match_luminance(s, content)) for s in styles]
    elif preserve_colors == "match":
        styles = [colors.match_color(s, content) for s in styles]

    settings = dict(size=content.shape[:2], steps=step_counts, optimizer=optimizer, learning_rate=learning_rate,
                    levels=levels, init=init if isinstance(init, str) else "image", content_weight=content_weight,
                    style_weight=style_weight, tv_weight=tv_weight, content_layers=content_layers,
                    style_layers=style_layers, style_blend=blend.tolist(), preserve_colors=preserve_colors,
                    mask=mask is not None, net=net, pooling=pooling, seed=seed, tol=tol, window=window,
                    precision=extractor.precision)
    x = _initial(init, content, seed)
    history, stopped = [], None
    bar = tqdm(total=sum(step_counts), disable=not progress, desc="stylize")
    step = 0
    try:
        for level, (hw, n_steps) in enumerate(zip(_level_sizes(content.shape[:2], levels), step_counts)):
            scale = hw[0] / content.shape[0]
            stylizer = Stylizer(
                extractor, resize_image(content, size=hw),
                [resize_image(s, max_side=max(MIN_SIZE, round(max(s.shape[:2]) * scale))) if scale < 1 else s for s in styles],
                blend, content_layers, style_layers, content_weight, style_weight, tv_weight,
                None if mask_image is None else resize_image(np.repeat(mask_image[..., None], 3, -1), size=hw)[..., 0])
            x = resize_image(x, size=hw)
            best = {"loss": math.inf, "image": x}  # the best image at this level's resolution
            totals = []  # this level's losses, for the convergence test

            def record(image, total, parts):
                nonlocal step
                losses = {"total": float(total), **{k: float(v) for k, v in parts.items()}}
                if not all(map(math.isfinite, losses.values())):
                    raise _Stop(f"the loss became {losses['total']} at step {step + 1}; returned the best image so far",
                                best["image"], warn=True)
                if losses["total"] < best["loss"]:
                    best.update(loss=losses["total"], image=image)
                step += 1
                elapsed = time.perf_counter() - start_time
                history.append({"step": step, "level": level, "size": hw, "time": elapsed, **losses})
                bar.update(1)
                bar.set_postfix({k: f"{v:.3g}" for k, v in losses.items()}, refresh=False)
                if callback is not None and step % callback_every == 0:
                    callback(step, losses, np.asarray(stylizer.composite(image[None])[0]))
                if max_seconds is not None and elapsed >= max_seconds:
                    raise _Stop(f"stopped at the time limit of {max_seconds:g} s after {step} steps", image, warn=False)
                totals.append(losses["total"])
                if tol is not None and len(totals) < n_steps and converged(totals, tol, window):
                    raise _Converged(f"converged after {step} steps: the loss fell by less than {tol:g} of itself "
                                     f"over the last {window} steps", best["image"])

            run = _run_lbfgs if optimizer == "lbfgs" else _run_adam
            try:
                x = run(stylizer, x, n_steps, learning_rate, record)
            except _Converged as e:
                x = e.image
                if level == len(step_counts) - 1:
                    stopped = str(e)
    except _Stop as e:
        stopped, x = str(e), e.image
        if e.warn:
            warnings.warn(stopped, stacklevel=2)
    finally:
        bar.close()
    image = resize_image(x, size=content.shape[:2])  # a run stopped at a coarse level still gives the full size
    if mask_image is not None:
        image = mask_image[..., None] * image + (1.0 - mask_image[..., None]) * content
    if preserve_colors == "luminance":
        image = colors.transfer_luminance(image, original_content)
    return StylizeResult(np.clip(image, 0, 1).astype(np.float32), history, settings, time.perf_counter() - start_time, stopped)


def _mask(mask, shape):
    if mask is None:
        return None
    m = load_image(mask, min_size=1)[..., 0] if not isinstance(mask, np.ndarray) else np.asarray(mask, np.float32)
    if m.ndim == 3:
        m = m[..., 0]
    if m.ndim != 2 or not np.all(np.isfinite(m)):
        raise InputError(f"mask must be an (H, W) array of finite values in [0, 1], got shape {m.shape}")
    return np.clip(resize_image(np.repeat(m[..., None], 3, -1), size=shape)[..., 0], 0, 1)


def _initial(init, content, seed):
    if isinstance(init, str):
        if init == "content":
            return content.copy()
        if init == "noise":
            return np.random.default_rng(seed).uniform(size=content.shape).astype(np.float32)
        raise InputError(f"init must be 'content', 'noise' or an image, got {init!r}")
    start = check_image(init, "init")
    return resize_image(start, size=content.shape[:2])


def _run_adam(stylizer, x, steps, learning_rate, record):
    """Adam on the pixels, clipped to [0, 1] after each step."""
    variable = tf.Variable(x[None])
    opt = keras.optimizers.Adam(learning_rate=learning_rate, epsilon=1e-8)

    @tf.function
    def step():
        total, parts, grad = stylizer.loss_and_gradient(variable)
        opt.apply_gradients([(grad, variable)])
        variable.assign(tf.clip_by_value(variable, 0.0, 1.0))
        return total, parts

    for _ in range(steps):
        before = variable.numpy()[0]
        total, parts = step()
        record(before, total, parts)
    return variable.numpy()[0]


def _run_lbfgs(stylizer, x, steps, learning_rate, record):
    """scipy's L-BFGS-B on the pixels, bounded to [0, 1]; one recorded step per iteration."""
    shape = (1,) + x.shape
    last = {}

    def fun(flat):
        image = flat.reshape(shape).astype(np.float32)
        total, parts, grad = stylizer.loss_and_grad(image)
        last.update(image=image[0], total=total, parts=parts)
        value = float(total)
        if not math.isfinite(value):  # let the callback report it; give scipy something finite
            record(image[0], total, parts)
        return value, grad.numpy().astype(np.float64).ravel()

    def on_iteration(flat):
        record(last["image"], last["total"], last["parts"])

    result = scipy.optimize.minimize(
        fun, x.astype(np.float64).ravel(), jac=True, method="L-BFGS-B", bounds=scipy.optimize.Bounds(0.0, 1.0),
        callback=on_iteration, options={"maxiter": steps, "maxcor": 20, "maxfun": steps * 2, "ftol": 0.0, "gtol": 0.0},
    )
    return result.x.reshape(x.shape).astype(np.float32)
