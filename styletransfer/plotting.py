"""Every matplotlib figure the package and notebooks show."""

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

if TYPE_CHECKING:  # for the hints only
    from ._tensorflow import tf

__all__ = ["show_images", "similarity_heatmap", "feature_grid", "loss_curves", "loss_terms", "training_curves", "tradeoff_plot", "mean_and_range"]


def show_images(images: "Iterable[np.ndarray | tf.Tensor]", titles: Sequence[str] | None = None,
                columns: int | None = None, size: float = 3.0) -> Figure:
    """A row (or grid) of RGB images in [0, 1] with optional titles; returns the figure."""
    images = list(images)
    columns = columns or len(images)
    rows = int(np.ceil(len(images) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(size * columns, size * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for i, image in enumerate(images):
        ax = axes.ravel()[i]
        ax.imshow(np.clip(np.asarray(image), 0, 1))
        if titles:
            ax.set_title(titles[i])
    fig.tight_layout()
    return fig


def similarity_heatmap(matrix: "np.ndarray | tf.Tensor", row_labels: Sequence[str], column_labels: Sequence[str],
                       title: str = "", cmap: str = "viridis", fmt: str = "{:.3g}") -> Figure:
    """Heatmap of an (N_rows, N_columns) similarity matrix with each value written in its cell."""
    matrix = np.asarray(matrix)
    fig, ax = plt.subplots(figsize=(1.3 * matrix.shape[1] + 2.5, 0.9 * matrix.shape[0] + 1.5))
    im = ax.imshow(matrix, cmap=cmap)
    ax.set_xticks(range(matrix.shape[1]), column_labels, rotation=30, ha="right")
    ax.set_yticks(range(matrix.shape[0]), row_labels)
    middle = (matrix.max() + matrix.min()) / 2
    for (i, j), value in np.ndenumerate(matrix):
        ax.text(j, i, fmt.format(value), ha="center", va="center", color="black" if value > middle else "white")
    ax.set_title(title)
    fig.colorbar(im, ax=ax)
    fig.tight_layout()
    return fig


def feature_grid(feature_map: "np.ndarray | tf.Tensor", channels: int = 16, columns: int = 8, title: str = "",
                 size: float = 1.4) -> Figure:
    """The first `channels` channels of one (H, W, C) feature map, each scaled to its own range."""
    maps = np.asarray(feature_map)
    channels = min(channels, maps.shape[-1])
    rows = int(np.ceil(channels / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(size * columns, size * rows + 0.4), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for c in range(channels):
        axes.ravel()[c].imshow(maps[..., c], cmap="magma")
    fig.suptitle(title or f"{channels} of {maps.shape[-1]} channels, {maps.shape[0]}x{maps.shape[1]}")
    fig.tight_layout()
    return fig


def loss_curves(histories: dict[str, list[dict]], key: str = "total", x: str = "step", log: bool = True,
                title: str = "") -> Figure:
    """One line per run: `histories` maps a label to a `StylizeResult.history` (or any list of
    dicts holding `x` and `key`)."""
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for label, history in histories.items():
        ax.plot([h[x] for h in history], [h[key] for h in history], label=label)
    return _finish(fig, ax, "time (s)" if x == "time" else x, f"{key} loss", log, title)


def loss_terms(history: list[dict], keys: Iterable[str] = ("total", "content", "style", "tv"), log: bool = True,
               title: str = "") -> Figure:
    """The terms of one run's loss against the step: one line per key present in `history`."""
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for key in keys:
        if key in history[0]:
            ax.plot([h["step"] for h in history], [h[key] for h in history], label=key)
    return _finish(fig, ax, "step", "weighted loss", log, title)


def _finish(fig, ax, xlabel, ylabel, log, title):
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if log:
        ax.set_yscale("log")
    ax.legend()
    ax.set_title(title)
    fig.tight_layout()
    return fig


def training_curves(histories: dict[str, dict[str, list[float]]], metric: str = "accuracy",
                    title: str = "") -> Figure:
    """Training and validation `metric` per epoch; `histories` maps a label to a Keras
    ``History.history`` dict."""
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for i, (label, history) in enumerate(histories.items()):
        color = f"C{i}"
        ax.plot(history[metric], color=color, linestyle="--", label=f"{label} (train)")
        if f"val_{metric}" in history:
            ax.plot(history[f"val_{metric}"], color=color, label=f"{label} (test)")
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    ax.legend(fontsize="small")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def tradeoff_plot(rows: list[dict], x: str = "seconds", y: str = "style distance", label: str = "method",
                  title: str = "") -> Figure:
    """A labelled scatter of `rows` (a list of dicts), e.g. time against style distance per method."""
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for i, row in enumerate(rows):
        ax.scatter(row[x], row[y], color=f"C{i}", s=60)
        ax.annotate(str(row[label]), (row[x], row[y]), textcoords="offset points", xytext=(6, 4))
    ax.set_xscale("log")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def mean_and_range(results: dict[str, dict[float, list[float]]], xlabel: str, ylabel: str, title: str = "",
                   log_x: bool = True) -> Figure:
    """One line per method through the mean over runs (e.g. seeds), with a bar from the
    smallest to the largest run: `results` maps a label to {x: [values of the runs]}."""
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for i, (label, runs) in enumerate(results.items()):
        xs = sorted(runs)
        values = [np.asarray(runs[x], float) for x in xs]
        means = np.array([v.mean() for v in values])
        spread = np.array([[m - v.min() for m, v in zip(means, values)], [v.max() - m for m, v in zip(means, values)]])
        ax.errorbar(xs, means, yerr=spread, color=f"C{i}", marker="o", capsize=4, label=label)
    if log_x:
        ax.set_xscale("log")
        ax.set_xticks(sorted({x for runs in results.values() for x in runs}), [str(x) for x in sorted({x for runs in results.values() for x in runs})])
    return _finish(fig, ax, xlabel, ylabel, False, title)
