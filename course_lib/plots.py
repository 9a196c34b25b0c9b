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


def chain_diagram(nodes: list[str], forward: list[str], backward: list[str], *,
                  params: dict[int, tuple[str, str, str]] | None = None,
                  ax: plt.Axes | None = None) -> plt.Axes:
    """Draw a chain of ops as boxes joined by arrows, with values forward and gradients back.

    Parameters
    ----------
    nodes : list of str
        Box labels, left to right, e.g. ``["x", "MatMul", "BiasAdd", "Sigmoid", "MSE", "L"]``.
    forward : list of str, one per gap (``len(nodes) - 1``)
        Written in blue above the arrow from ``nodes[i]`` to ``nodes[i + 1]``: the
        value that flows forward.
    backward : list of str, one per gap
        Written in red below the arrow back from ``nodes[i + 1]`` to ``nodes[i]``:
        the gradient of the loss with respect to that value.
    params : dict, optional
        ``{i: (name, value, gradient)}``: a parameter box above ``nodes[i]``,
        with its value (blue) and gradient (red) beside its arrow.
    ax : Axes, optional
    """
    from matplotlib.patches import FancyBboxPatch

    if len(forward) != len(nodes) - 1 or len(backward) != len(nodes) - 1:
        raise ValueError(f"chain_diagram: forward and backward need one label per gap "
                         f"({len(nodes) - 1}), got {len(forward)} and {len(backward)}.")
    params = params or {}
    step, width, height = 3.6, 1.3, 0.8
    ax = ax or plt.subplots(figsize=(2.3 * len(nodes), 3.4))[1]
    blue, red = "tab:blue", "tab:red"

    def box(cx: float, cy: float, text: str, color: str) -> None:
        ax.add_patch(FancyBboxPatch((cx - width / 2, cy - height / 2), width, height,
                                    boxstyle="round,pad=0.05", facecolor=color,
                                    edgecolor="0.3"))
        ax.text(cx, cy, text, ha="center", va="center", fontsize=11)

    def arrow(x0: float, y0: float, x1: float, y1: float, color: str) -> None:
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops={"arrowstyle": "-|>", "color": color, "lw": 1.5})

    last = len(nodes) - 1
    for i, label in enumerate(nodes):
        box(i * step, 0, label, "0.92" if i in (0, last) else "#fdf1d6")
    for i, (value, grad) in enumerate(zip(forward, backward)):
        x0, x1 = i * step + width / 2 + 0.1, (i + 1) * step - width / 2 - 0.1
        arrow(x0, 0.15, x1, 0.15, blue)
        arrow(x1, -0.15, x0, -0.15, red)
        ax.text((x0 + x1) / 2, 0.25, value, ha="center", va="bottom", color=blue, fontsize=9)
        ax.text((x0 + x1) / 2, -0.25, grad, ha="center", va="top", color=red, fontsize=9)
    for i, (name, value, grad) in params.items():
        cx, cy = i * step, 1.9
        box(cx, cy, name, "#e3eef9")
        arrow(cx, cy - height / 2 - 0.05, cx, height / 2 + 0.08, blue)
        ax.text(cx - 0.12, 1.0, value, ha="right", va="center", color=blue, fontsize=9)
        ax.text(cx + 0.12, 1.0, grad, ha="left", va="center", color=red, fontsize=9)
    ax.set_xlim(-width, last * step + width)
    ax.set_ylim(-1.0, 2.5 if params else 1.0)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def predicted_vs_true(y_true: np.ndarray, y_pred: np.ndarray, *, ax: plt.Axes | None = None,
                      title: str | None = None, unit: str = "") -> plt.Axes:
    """Scatter a regression model's predictions against the targets, with the line y = x.

    Points on the dashed diagonal are perfect predictions; the vertical distance
    of a point from it is that sample's error. The title reports the RMSE.
    """
    y_true, y_pred = np.ravel(y_true), np.ravel(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"predicted_vs_true: y_true and y_pred need the same number of "
                         f"values, got {y_true.size} and {y_pred.size}.")
    ax = ax or plt.subplots(figsize=(4, 4))[1]
    lo, hi = min(y_true.min(), y_pred.min()), max(y_true.max(), y_pred.max())
    ax.plot([lo, hi], [lo, hi], "k--", lw=1, label="perfect")
    ax.scatter(y_true, y_pred, s=12, alpha=0.7)
    rmse = float(np.sqrt(np.mean((y_pred - y_true) ** 2)))
    ax.set_title(f"{title + ': ' if title else ''}RMSE {rmse:.2f}{unit}")
    ax.set_xlabel("true value")
    ax.set_ylabel("predicted value")
    ax.set_aspect("equal")
    ax.grid(alpha=0.3)
    return ax


def activation_histograms(activations: dict, *, bins: int = 40,
                          value_range: tuple[float, float] | None = None,
                          size: float = 2.0) -> plt.Figure:
    """Histograms of hidden activations: one row per run, one column per layer.

    Parameters
    ----------
    activations : dict
        Run label -> list of arrays, the activations of each layer (any shape;
        all values are pooled). Every run must list the same number of layers.
    bins : int, default 40
    value_range : (low, high), optional
        Common x-range of every histogram, e.g. (-1, 1) for tanh; by default each
        row uses the range of its own values.
    size : float, default 2.0
        Width of one panel in inches.
    """
    labels = list(activations)
    n_layers = {len(activations[label]) for label in labels}
    if len(n_layers) != 1:
        raise ValueError(f"activation_histograms: every run needs the same number of layers, "
                         f"got {sorted(n_layers)}.")
    ncols = n_layers.pop()
    fig, axes = plt.subplots(len(labels), ncols, figsize=(ncols * size, len(labels) * size * 0.8),
                             squeeze=False, sharex="row" if value_range is None else True)
    for r, label in enumerate(labels):
        for c, values in enumerate(activations[label]):
            values = np.ravel(values)
            ax = axes[r, c]
            ax.hist(values, bins=bins, range=value_range, color=f"C{r}")
            ax.set_yticks([])
            ax.set_title(f"layer {c + 1}: std {values.std():.2g}", fontsize=8)
        axes[r, 0].set_ylabel(label)
    fig.tight_layout()
    return fig


def confusion_matrices(matrices: dict, *, labels: list | None = None, log: bool = True,
                       size: float = 4.2, cmap: str = "Blues") -> plt.Figure:
    """Draw confusion matrices side by side, one per entry of ``matrices`` (title -> (K, K)).

    Uses scikit-learn's ``ConfusionMatrixDisplay``: rows are the true class, columns
    the predicted one, each cell shows its count. With ``log=True`` (default) the
    colour scale is logarithmic and empty cells are left white, so the few errors
    off the diagonal stand out next to the large counts on it.
    """
    from matplotlib.colors import LogNorm
    from sklearn.metrics import ConfusionMatrixDisplay

    fig, axes = plt.subplots(1, len(matrices), figsize=(size * len(matrices), size),
                             squeeze=False)
    vmax = max(int(np.max(cm)) for cm in matrices.values())
    for ax, (title, cm) in zip(axes.flat, matrices.items()):
        im_kw = {"norm": LogNorm(vmin=1, vmax=max(vmax, 2))} if log else {"vmin": 0,
                                                                           "vmax": vmax}
        display = ConfusionMatrixDisplay(np.asarray(cm), display_labels=labels)
        display.plot(ax=ax, cmap=cmap, colorbar=False, values_format="d", im_kw=im_kw,
                     text_kw={"fontsize": 7})
        if log:  # hide the zeros: they carry no information and crowd the picture
            for text in display.text_.flat:
                if text.get_text() == "0":
                    text.set_text("")
        ax.set_title(title)
    fig.tight_layout()
    return fig


def image_row(images: list, titles: list[str] | None = None, *, cmap: str = "gray_r",
              size: float = 2.4, grid: bool = False, colorbar: bool = False,
              symmetric: bool = False) -> plt.Figure:
    """Show 2-D arrays of possibly different sizes side by side, each in a panel of the same size.

    Parameters
    ----------
    images : list of 2-D arrays
    titles : list of str, optional
    cmap : str
    size : float
        Panel width in inches.
    grid : bool
        Draw a thin line between pixels, so sizes can be compared by counting.
    colorbar : bool
        A colour bar per panel.
    symmetric : bool
        Colour limits +-max|value| per panel, so zero sits in the middle of a
        diverging colour map such as "RdBu_r".
    """
    fig, axes = plt.subplots(1, len(images), figsize=(len(images) * size, size * 1.1),
                             squeeze=False)
    for k, (ax, image) in enumerate(zip(axes[0], images)):
        image = np.asarray(image)
        limits = {}
        if symmetric:
            m = float(np.abs(image).max()) or 1.0
            limits = {"vmin": -m, "vmax": m}
        im = ax.imshow(image, cmap=cmap, **limits)
        ax.set_xticks([])
        ax.set_yticks([])
        if grid:
            h, w = image.shape
            ax.set_xticks(np.arange(-0.5, w, 1), minor=True)
            ax.set_yticks(np.arange(-0.5, h, 1), minor=True)
            ax.grid(which="minor", color="0.6", linewidth=0.3)
            ax.tick_params(which="minor", length=0)
        if titles is not None:
            ax.set_title(titles[k], fontsize=10)
        if colorbar:
            fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    return fig


def conv_sliding_window(image: np.ndarray, kernel: np.ndarray, positions: list[tuple[int, int]],
                        *, cmap: str = "gray_r") -> plt.Figure:
    """Picture a 3x3 filter sliding over an image: input, filter and output feature map.

    Each output pixel (i, j) of a valid 3x3 convolution (cross-correlation) is the
    filter times the window ``image[i:i+3, j:j+3]``, summed. The windows at
    ``positions`` are outlined on the input, in the same colour as the output
    pixel they make.

    Parameters
    ----------
    image : ndarray (H, W)
    kernel : ndarray (3, 3)
    positions : list of (i, j)
        Top-left corners of the windows to outline, 0 <= i <= H-3, 0 <= j <= W-3.
    """
    from matplotlib.patches import Rectangle

    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    windows = np.lib.stride_tricks.sliding_window_view(image, (3, 3))  # (H-2, W-2, 3, 3)
    out = np.einsum("ijkl,kl->ij", windows, kernel)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.6), gridspec_kw={"width_ratios": [1, 0.6, 1]})
    axes[0].imshow(image, cmap=cmap)
    axes[0].set_title(f"input {image.shape[0]}x{image.shape[1]}")
    m = float(np.abs(kernel).max()) or 1.0
    axes[1].imshow(kernel, cmap="RdBu_r", vmin=-m, vmax=m)
    for (a, b), value in np.ndenumerate(kernel):
        axes[1].text(b, a, f"{value:.2g}", ha="center", va="center", fontsize=11)
    axes[1].set_title("3x3 filter")
    m = float(np.abs(out).max()) or 1.0
    axes[2].imshow(out, cmap="RdBu_r", vmin=-m, vmax=m)
    axes[2].set_title(f"output {out.shape[0]}x{out.shape[1]}")
    for k, (i, j) in enumerate(positions):
        colour = colours[k % len(colours)]
        axes[0].add_patch(Rectangle((j - 0.5, i - 0.5), 3, 3, fill=False, lw=2, ec=colour))
        axes[2].add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, lw=2, ec=colour))
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig


def speed_bars(times: dict, *, ax: plt.Axes | None = None, unit: str = "ms") -> plt.Axes:
    """Grouped bars of run times on a log scale, each labelled with its value.

    Parameters
    ----------
    times : dict
        ``{group: {variant: seconds}}``, e.g. ``{"1 image": {"naive": 0.2,
        "vectorised": 0.001}, "batch of 32": {...}}``. Every group has the same variants.
    unit : {"ms", "s"}
        Unit of the axis and the labels.
    """
    ax = ax or plt.subplots(figsize=(6, 3.8))[1]
    scale = {"ms": 1e3, "s": 1.0}[unit]
    groups = list(times)
    variants = list(times[groups[0]])
    width = 0.8 / len(variants)
    for k, variant in enumerate(variants):
        xs = np.arange(len(groups)) + (k - (len(variants) - 1) / 2) * width
        values = [times[g][variant] * scale for g in groups]
        bars = ax.bar(xs, values, width, label=variant)
        for bar, value in zip(bars, values):
            label = f"{value:,.0f}" if value >= 100 else f"{value:.2g}"
            ax.annotate(f"{label} {unit}", (bar.get_x() + bar.get_width() / 2, value),
                        ha="center", va="bottom", fontsize=8, xytext=(0, 2),
                        textcoords="offset points")
    ax.set_xticks(np.arange(len(groups)), groups)
    ax.set_yscale("log")
    ax.set_ylabel(f"time ({unit}, log scale)")
    ax.legend()
    ax.grid(axis="y", alpha=0.3, which="both")
    return ax


def filters_and_feature_maps(image: np.ndarray, filters: np.ndarray, maps: np.ndarray, *,
                             ncols: int = 8) -> plt.Figure:
    """A digit, the filters of a one-channel Conv3x3 and the feature maps they make from it.

    Parameters
    ----------
    image : ndarray (H, W)
    filters : ndarray (F, 3, 3) or (F, 1, 3, 3)
        Drawn with a diverging colour map, zero in the middle (red positive, blue negative).
    maps : ndarray (F, H', W')
        The feature maps, one per filter, same colour map.
    ncols : int
        Filters per row; more filters wrap onto further pairs of rows (filters above
        their maps).
    """
    filters = np.asarray(filters).reshape(len(filters), 3, 3)
    F = len(filters)
    ncols = min(ncols, F)
    blocks = -(-F // ncols)
    fig, axes = plt.subplots(2 * blocks, ncols + 1, figsize=(1.3 * (ncols + 1), 2.9 * blocks),
                             squeeze=False)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes[:, 0]:
        ax.axis("off")
    axes[0, 0].axis("on")
    axes[0, 0].imshow(image, cmap="gray_r")
    axes[0, 0].set_title("input", fontsize=9)
    for f in range(F):
        row, col = 2 * (f // ncols), 1 + f % ncols
        for ax, array, label in ((axes[row, col], filters[f], "filter"),
                                 (axes[row + 1, col], maps[f], "map")):
            m = float(np.abs(array).max()) or 1.0
            ax.imshow(array, cmap="RdBu_r", vmin=-m, vmax=m)
            ax.set_title(f"{label} {f}", fontsize=9)
    for f in range(F, blocks * ncols):
        row, col = 2 * (f // ncols), 1 + f % ncols
        axes[row, col].axis("off")
        axes[row + 1, col].axis("off")
    fig.tight_layout()
    return fig


def _graph_parents(node: object) -> tuple:
    """A graph node's parents: ``.parents`` (the lesson's Var) or ``._parents`` (Tensor)."""
    parents = getattr(node, "parents", None)
    return tuple(getattr(node, "_parents", ()) if parents is None else parents)


def _graph_label(node: object) -> str:
    name = getattr(node, "name", "") or getattr(node, "op", "") or getattr(node, "_op", "")
    value = getattr(node, "value", getattr(node, "data", None))
    shape = np.shape(value) if value is not None else ()
    return f"{name or 'const'}\n{shape}" if shape else (name or "const")


def draw_graph(root: object, *, ax: plt.Axes | None = None) -> plt.Axes:
    """Draw the graph ``root`` was computed from, leaves on the left, ``root`` on the right.

    A node is anything with ``parents`` (or ``_parents``), a tuple of nodes; its label
    is its ``name``, else its ``op`` (``_op``), with its value's shape. Leaves (shaded)
    are in the first column, the root in the last, every other node as far right as
    the nodes that use it allow, so every arrow, from a parent to the node computed
    from it, points right.
    """
    nodes, stack, seen = [], [root], set()
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen.add(id(node))
            nodes.append(node)
            stack.extend(_graph_parents(node))
    # A node's distance from the root along its longest path to it: each interior node
    # sits as far right as its uses allow, next to the node that uses it; leaves at the left.
    height = {id(root): 0}
    for _ in nodes:  # relax until stable: at most one pass per node
        changed = False
        for node in nodes:
            for parent in _graph_parents(node):
                h = height.get(id(node), 0) + 1
                if height.get(id(parent), -1) < h:
                    height[id(parent)], changed = h, True
        if not changed:
            break
    top = max(height.values())
    depth = {id(n): 0 if not _graph_parents(n) else top - height[id(n)] for n in nodes}
    columns: dict[int, list] = {}
    for node in reversed(nodes):
        columns.setdefault(depth[id(node)], []).append(node)
    xy = {}
    for d, column in columns.items():
        for i, node in enumerate(column):
            xy[id(node)] = (d, (len(column) - 1) / 2 - i)
    size = (1.6 * (len(columns) + 1), 0.9 * max(map(len, columns.values())) + 1)
    ax = ax or plt.subplots(figsize=size)[1]
    for node in nodes:
        for parent in set(map(id, _graph_parents(node))):
            ax.annotate("", xy=xy[id(node)], xytext=xy[parent],
                        arrowprops={"arrowstyle": "->", "color": "0.4", "shrinkA": 22,
                                    "shrinkB": 22})
    for node in nodes:
        leaf = not _graph_parents(node)
        ax.text(*xy[id(node)], _graph_label(node), ha="center", va="center", fontsize=9,
                bbox={"boxstyle": "round", "facecolor": "0.85" if leaf else "white",
                      "edgecolor": "0.3"})
    ax.set_xlim(-0.6, max(columns) + 0.6)
    heights = [y for _, y in xy.values()]
    ax.set_ylim(min(heights) - 0.7, max(heights) + 0.7)
    ax.axis("off")
    return ax
