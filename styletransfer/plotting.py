"""Every matplotlib figure the package and notebooks show."""

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["show_images", "similarity_heatmap"]


def show_images(images, titles=None, columns=None, size=3.0):
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


def similarity_heatmap(matrix, row_labels, column_labels, title="", cmap="viridis", fmt="{:.3g}"):
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
