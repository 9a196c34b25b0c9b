"""Gradient checking: compare a backward pass with central finite differences.

``(f(x + h) - f(x - h)) / 2h`` has error O(h^2) from the Taylor series plus
O(eps_machine / h) from rounding; in float64 with h = 1e-6 both are tiny, so
a correct backward agrees to about 1e-8 relative error. In float32 rounding
alone is ~1e-2 at that h: always check gradients in float64.

Each entry costs two evaluations of the function (two forward passes), so
:func:`check_layer` and :func:`check_loss` check at most ``max_entries``
entries of each array: a larger array (``Dense(784, 128)`` has 100,352
weights) is checked at that many entries chosen at random, as CS231n's
``grad_check_sparse`` does, with a warning that says so.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from .layers import Layer
from .losses import Loss
from .validation import (check_float_array, check_int, check_not_class, check_number,
                         describe, is_real_number)

#: the default number of entries per array that check_layer and check_loss check
MAX_ENTRIES = 1000


def _check_float64(x: object, name: str, where: str) -> np.ndarray:
    """``x`` must be a finite float64 ndarray: float32 rounding would swamp the check."""
    if isinstance(x, np.ndarray) and x.dtype != np.float64 and x.dtype.kind in "fiub":
        raise TypeError(f"{where}: {name} must be float64 for an accurate check, got "
                        f"{x.dtype}. Use {name}.astype(np.float64).")
    return check_float_array(x, name, where=where)


def _check_h(h: object, where: str) -> float:
    return check_number(h, "h (the finite-difference step)", where=where, low=0.0,
                        low_open=True)


def _check_scalar_function(f: object, where: str) -> None:
    if not callable(f):
        raise TypeError(f"{where}: f must be a function of no arguments that returns the loss "
                        f"(e.g. lambda: loss.forward(model.forward(x), y)), got {describe(f)}. "
                        f"The order is numerical_gradient(f, x).")


def _check_value(value: object, where: str) -> None:
    if not is_real_number(value):
        raise TypeError(f"{where}: f() must return one number (the loss), got "
                        f"{describe(value)}. Reduce it to a scalar, e.g. with np.sum.")


def _central_difference(f: Callable[[], float], x: np.ndarray, index: tuple, h: float) -> float:
    """(f(x + h e_i) - f(x - h e_i)) / 2h for one entry ``index``, restoring x[index]."""
    old = x[index]
    x[index] = old + h
    f_plus = f()
    x[index] = old - h
    f_minus = f()
    x[index] = old
    return (f_plus - f_minus) / (2 * h)


def numerical_gradient(f: Callable[[], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of the scalar ``f()`` with respect to the array ``x``.

    ``x`` is perturbed in place, one element at a time, and restored; ``f``
    must read ``x`` (e.g. a closure over a layer whose parameter ``x`` is).
    It costs two calls of ``f`` per entry of ``x``.

    Parameters
    ----------
    f : callable
        A function of no arguments returning one number.
    x : ndarray of float64
    h : float, default 1e-6
        The step, > 0.

    Returns
    -------
    ndarray, same shape as ``x``
    """
    where = "numerical_gradient"
    _check_scalar_function(f, where)
    x = _check_float64(x, "x", where)
    h = _check_h(h, where)
    _check_value(f(), where)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        grad[index] = _central_difference(f, x, index, h)
    return grad


def _numerical_at(f: Callable[[], float], x: np.ndarray, flat: np.ndarray, h: float) -> np.ndarray:
    """Central differences at the entries ``flat`` (indices into x.ravel()) only."""
    return np.array([_central_difference(f, x, np.unravel_index(i, x.shape), h) for i in flat])


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """``||a - b|| / (||a|| + ||b||)``: 0 when equal, ~1 when unrelated.

    The norm form stays meaningful where single entries are (near) zero,
    e.g. a ReLU's gradient, where an elementwise ratio would divide noise by noise.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"relative_error: shapes differ, {a.shape} vs {b.shape}.")
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


def _compare(f: Callable[[], float], x: np.ndarray, analytic: np.ndarray, h: float,
             max_entries: int | None, rng: np.random.Generator) -> tuple[float, bool]:
    """Relative error of ``analytic`` against central differences in x; (error, sampled)."""
    analytic = np.asarray(analytic, dtype=np.float64)
    if max_entries is None or x.size <= max_entries:
        numeric = np.zeros_like(x)
        for index in np.ndindex(x.shape):
            numeric[index] = _central_difference(f, x, index, h)
        return relative_error(analytic, numeric), False
    flat = np.sort(rng.choice(x.size, size=max_entries, replace=False))
    return relative_error(analytic.ravel()[flat], _numerical_at(f, x, flat, h)), True


def _warn_sampled(where: str, sizes: dict[str, int], max_entries: int) -> None:
    listing = ", ".join(f"{name} ({size:,} entries)" for name, size in sizes.items())
    warnings.warn(f"{where}: checked {max_entries:,} entries chosen at random of {listing}, "
                  f"not all of them (two forward passes per entry would take long). A correct "
                  f"gradient still gives a relative error < 1e-7. Pass max_entries=None to "
                  f"check every entry, or a smaller input.", UserWarning, stacklevel=3)


def _check_max_entries(max_entries: object, where: str) -> int | None:
    return None if max_entries is None else check_int(max_entries, "max_entries", where=where)


def check_layer(layer: Layer, x: np.ndarray, *, seed: int = 0, h: float = 1e-6,
                max_entries: int | None = MAX_ENTRIES) -> dict[str, float]:
    """Gradient-check ``layer`` at input ``x``.

    Uses the scalar ``L = sum(forward(x) * G)`` for a fixed random ``G``, so that
    ``dL/dy = G`` exercises every output. Compares ``backward(G)`` with
    central differences for x and for every parameter.

    Parameters
    ----------
    layer : Layer
        An instance (anything with forward, backward and a params dict), with
        float64 parameters.
    x : ndarray, float64
    seed : int
        For the random upstream gradient G (and the entries sampled).
    h : float, default 1e-6
        The finite-difference step, > 0.
    max_entries : int or None, default 1000
        Check at most this many entries of x and of each parameter; a larger
        array is checked at entries chosen at random, with a warning. None
        checks every entry.

    Returns
    -------
    dict
        ``{"x": err, "W": err, ...}``: the relative error of dL/dx and of each
        parameter gradient. A correct layer gives < 1e-7.
    """
    where = "check_layer"
    check_not_class(layer, "layer", "a layer", where=where)
    if not (callable(getattr(layer, "forward", None))
            and callable(getattr(layer, "backward", None))):
        raise TypeError(f"{where}: layer must have forward and backward methods, got "
                        f"{describe(layer)}.")
    x = _check_float64(x, "x", where)
    params = getattr(layer, "params", {})
    if any(p.dtype != np.float64 for p in params.values()):
        raise TypeError("check_layer: x and the layer's params must be float64 for an accurate "
                        "check; build the layer with dtype=np.float64 and pass x.astype(np.float64).")
    seed = check_int(seed, "seed", where=where, low=0)
    h = _check_h(h, where)
    max_entries = _check_max_entries(max_entries, where)
    x = x.copy()
    rng = np.random.default_rng(seed)
    G = rng.standard_normal(layer.forward(x).shape)
    analytic_x = layer.backward(G)  # uses the cache of the forward just above
    analytic = {k: np.array(v, dtype=np.float64) for k, v in layer.grads.items()}
    missing = [name for name in params if name not in analytic]
    if missing:
        raise RuntimeError(f"{where}: after backward, layer.grads has no {missing[0]!r}; "
                           f"backward must set the gradient of every parameter in layer.params.")

    def f() -> float:
        return float(np.sum(layer.forward(x) * G))

    errors, sampled = {}, {}
    errors["x"], was_sampled = _compare(f, x, analytic_x, h, max_entries, rng)
    if was_sampled:
        sampled["x"] = x.size
    for name, param in params.items():
        errors[name], was_sampled = _compare(f, param, analytic[name], h, max_entries, rng)
        if was_sampled:
            sampled[name] = param.size
    if sampled:
        _warn_sampled(where, sampled, max_entries)
    return errors


def check_loss(loss: Loss, pred: np.ndarray, target: np.ndarray, *, h: float = 1e-6,
               max_entries: int | None = MAX_ENTRIES, seed: int = 0) -> float:
    """Relative error between ``loss.backward()`` and central differences of ``loss.forward``.

    Parameters
    ----------
    loss : Loss
        An instance (anything with forward(pred, target) and backward()).
    pred : ndarray, float64
    target : ndarray
        As the loss expects it.
    h : float, default 1e-6
    max_entries : int or None, default 1000
        As in :func:`check_layer`.
    seed : int
        Which entries are checked when pred has more than ``max_entries``.
    """
    where = "check_loss"
    check_not_class(loss, "loss", "a loss", where=where)
    if not (callable(getattr(loss, "forward", None)) and callable(getattr(loss, "backward", None))):
        raise TypeError(f"{where}: loss must have forward(pred, target) and backward() methods, "
                        f"got {describe(loss)}.")
    pred = _check_float64(pred, "pred", where).copy()
    h = _check_h(h, where)
    max_entries = _check_max_entries(max_entries, where)
    rng = np.random.default_rng(check_int(seed, "seed", where=where, low=0))
    _check_value(loss.forward(pred, target), where)
    analytic = np.asarray(loss.backward()).copy()
    error, sampled = _compare(lambda: loss.forward(pred, target), pred, analytic, h, max_entries,
                              rng)
    if sampled:
        _warn_sampled(where, {"pred": pred.size}, max_entries)
    return error
