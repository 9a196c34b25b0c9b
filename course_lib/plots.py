"""Plotting helpers the lessons share (matplotlib). Each returns the Axes or Figure it drew on."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


def image_grid(images: np.ndarray, titles: list[str] | None = None, *, ncols: int = 8,
               size: float = 1.2, cmap: str = "gray") -> plt.Figure:
    """Show images (N, H, W) in a grid, with an optional title under each."""
    n = len(images)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size * 1.15),
                             squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i, (ax, image) in enumerate(zip(axes.flat, images)):
        ax.imshow(image, cmap=cmap)
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    fig.tight_layout()
    return fig


def learning_curves(histories: dict, *, metric: str = "loss", ax: plt.Axes | None = None,
                    logy: bool = False) -> plt.Axes:
    """Plot one History attribute (``loss``, ``val_loss``, ``val_accuracy``) per run, by epoch."""
    ax = ax or plt.subplots(figsize=(5, 3.5))[1]
    for label, history in histories.items():
        values = getattr(history, metric)
        ax.plot(range(1, len(values) + 1), values, marker="o", ms=3, label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric.replace("_", " "))
    if logy:
        ax.set_yscale("log")
    ax.legend()
    ax.grid(alpha=0.3)
    return ax
