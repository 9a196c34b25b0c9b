"""Gradient checking: compare a backward pass with central finite differences.

``(f(x + h) - f(x - h)) / 2h`` has error O(h^2) from the Taylor series plus
O(eps_machine / h) from rounding; in float64 with h = 1e-6 both are tiny, so
a correct backward agrees to about 1e-8 relative error. In float32 rounding
alone is ~1e-2 at that h: always check gradients in float64.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .layers import Layer
from .losses import Loss


def numerical_gradient(f: Callable[[], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of the scalar ``f()`` with respect to the array ``x``.

    ``x`` is perturbed in place, one element at a time, and restored; ``f``
    must read ``x`` (e.g. a closure over a layer whose parameter ``x`` is).

    Returns
    -------
    ndarray, same shape as ``x``
    """
    if x.dtype != np.float64:
        raise TypeError(f"numerical_gradient: x must be float64 for an accurate check, got "
                        f"{x.dtype}. Use x.astype(np.float64).")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        f_plus = f()
        x[i] = old - h
        f_minus = f()
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


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


def check_layer(layer: Layer, x: np.ndarray, *, seed: int = 0, h: float = 1e-6) -> dict[str, float]:
    """Gradient-check ``layer`` at input ``x``.

    Uses the scalar ``L = sum(forward(x) * G)`` for a fixed random ``G``, so that
    ``dL/dy = G`` exercises every output. Compares ``backward(G)`` with
    central differences for x and for every parameter.

    Parameters
    ----------
    layer : Layer
        With float64 parameters.
    x : ndarray, float64
    seed : int
        For the random upstream gradient G.

    Returns
    -------
    dict
        ``{"x": err, "W": err, ...}``: the relative error of dL/dx and of each
        parameter gradient. A correct layer gives < 1e-7.
    """
    if x.dtype != np.float64 or any(p.dtype != np.float64 for p in layer.params.values()):
        raise TypeError("check_layer: x and the layer's params must be float64 for an accurate "
                        "check; build the layer with dtype=np.float64 and pass x.astype(np.float64).")
    x = x.copy()
    G = np.random.default_rng(seed).standard_normal(layer.forward(x).shape)
    analytic_x = layer.backward(G)  # uses the cache of the forward just above
    analytic = {k: v.copy() for k, v in layer.grads.items()}

    def f() -> float:
        return float(np.sum(layer.forward(x) * G))

    errors = {"x": relative_error(analytic_x, numerical_gradient(f, x, h))}
    for name, param in layer.params.items():
        errors[name] = relative_error(analytic[name], numerical_gradient(f, param, h))
    return errors


def check_loss(loss: Loss, pred: np.ndarray, target: np.ndarray, *,
               h: float = 1e-6) -> float:
    """Relative error between ``loss.backward()`` and central differences of ``loss.forward``."""
    pred = pred.copy()
    loss.forward(pred, target)
    analytic = loss.backward().copy()
    numeric = numerical_gradient(lambda: loss.forward(pred, target), pred, h)
    return relative_error(analytic, numeric)
