"""Argument checks shared by the layers, losses and loaders.

Every public ``forward`` validates its input here *before* any arithmetic, so a
mistake surfaces as a message that names what was expected and what came,
instead of a NaN or a broadcasting error from deep inside NumPy.
"""

from __future__ import annotations

import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)


def check_float_array(x: object, name: str, *, ndim: int | tuple[int, ...] | None = None,
                      where: str = "") -> np.ndarray:
    """Return ``x`` if it is a finite float32/float64 ndarray of the right rank.

    Parameters
    ----------
    x : object
        The value to check.
    name : str
        What the value is called in the error message (e.g. ``"x"``).
    ndim : int or tuple of int, optional
        Allowed numbers of dimensions.
    where : str
        Who is checking (e.g. ``"Dense.forward"``), for the message.

    Raises
    ------
    TypeError
        If ``x`` is not a NumPy array of float32 or float64.
    ValueError
        If ``x`` has the wrong number of dimensions, is empty, or holds NaN/inf.
    """
    prefix = f"{where}: " if where else ""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{prefix}{name} must be a NumPy array, got {type(x).__name__}. "
                        f"Convert it with np.asarray({name}, dtype=np.float64).")
    if x.dtype not in FLOAT_DTYPES:
        hint = " (images: X.astype(np.float32) / 255)" if x.dtype == np.uint8 else ""
        raise TypeError(f"{prefix}{name} must have dtype float32 or float64, got {x.dtype}. "
                        f"Convert it with {name}.astype(np.float64){hint}.")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if x.ndim not in allowed:
            expected = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{prefix}{name} must be {expected} (batch first), "
                             f"got shape {x.shape} ({x.ndim}-D).")
    if x.ndim > 0 and x.shape[0] == 0:
        raise ValueError(f"{prefix}{name} is an empty batch (shape {x.shape}); "
                         f"pass at least one sample.")
    # A sum is one fast pass; it is inf or NaN whenever an element is (or, rarely,
    # when it overflows), and only then is the exact elementwise test needed.
    with np.errstate(over="ignore", invalid="ignore"):
        total = x.sum()
    if not np.isfinite(total) and not np.isfinite(x).all():
        n_nan = int(np.isnan(x).sum())
        n_inf = int(np.isinf(x).sum())
        raise ValueError(f"{prefix}{name} contains {n_nan} NaN and {n_inf} infinite values "
                         f"(shape {x.shape}). Check the data, or lower the learning rate "
                         f"if training diverged.")
    return x


def check_labels(y: object, n_samples: int, n_classes: int, *, where: str = "") -> np.ndarray:
    """Return classification targets as a float one-hot (N, K) array.

    Accepts integer labels of shape (N,) with values in [0, K), or a one-hot /
    probability array of shape (N, K).
    """
    prefix = f"{where}: " if where else ""
    if not isinstance(y, np.ndarray):
        raise TypeError(f"{prefix}target must be a NumPy array, got {type(y).__name__}.")
    if y.ndim == 1:
        if not np.issubdtype(y.dtype, np.integer):
            raise TypeError(f"{prefix}integer class labels of shape (N,) were expected, got "
                            f"dtype {y.dtype}. Use y.astype(np.int64), or pass one-hot "
                            f"targets of shape (N, {n_classes}).")
        if y.shape[0] != n_samples:
            raise ValueError(f"{prefix}target has {y.shape[0]} labels but the prediction "
                             f"has {n_samples} rows; they must match.")
        if y.size and (y.min() < 0 or y.max() >= n_classes):
            raise ValueError(f"{prefix}labels must lie in [0, {n_classes}) for {n_classes} "
                             f"classes, got values from {y.min()} to {y.max()}.")
        onehot = np.zeros((n_samples, n_classes))
        onehot[np.arange(n_samples), y] = 1.0
        return onehot
    if y.ndim == 2:
        if y.shape != (n_samples, n_classes):
            raise ValueError(f"{prefix}one-hot target must have shape ({n_samples}, "
                             f"{n_classes}) like the prediction, got {y.shape}.")
        check_float_array(y.astype(np.float64, copy=False), "target", where=where)
        if (y < 0).any():
            raise ValueError(f"{prefix}one-hot target must be non-negative, got a minimum "
                             f"of {y.min()}.")
        return y
    raise ValueError(f"{prefix}target must be labels (N,) or one-hot (N, K), got shape "
                     f"{y.shape}.")


def check_same_shape(got: tuple, expected: tuple, name: str, *, where: str = "") -> None:
    """Raise ValueError unless two shapes are equal."""
    if tuple(got) != tuple(expected):
        prefix = f"{where}: " if where else ""
        raise ValueError(f"{prefix}{name} must have shape {tuple(expected)}, got {tuple(got)}.")
