"""Checks for lesson 01: layers forward and backward."""

from __future__ import annotations

import numpy as np

from .common import PASSED, compare_arrays, fail

#: the one sample lesson 01's Jacobian check feeds in: both signs, away from the kink at 0
L01_SAMPLE = np.array([1.5, -2.0, 0.3, -0.7, 2.2])


def _l01_fixed_slope(slopes: np.ndarray, alpha: float, what: str) -> None:
    """Name a constant slope on the negative side other than ``alpha`` (0: ReLU; or a fixed one)."""
    if slopes.size == 0 or not np.allclose(slopes, slopes.flat[0]):
        return
    slope = float(slopes.flat[0])
    if np.isclose(slope, alpha):
        return
    if np.isclose(slope, 0.0):
        fail(f"{what} is ReLU's: where x <= 0 the slope of LeakyReLU is alpha = {alpha}, not 0.")
    if np.isclose(slope, 1.0):
        fail(f"{what} uses slope 1 where x <= 0, like the identity: there the slope is "
              f"alpha = {alpha}.")
    fail(f"{what} uses the slope {slope:.4g} where x <= 0, expected alpha = {alpha}: use the "
          f"alpha you were given, not a fixed number.")


def check_leaky_relu_jacobian(jacobian_fn) -> None:
    """Check ``jacobian_fn(x, alpha)``: LeakyReLU's full Jacobian at one sample.

    LeakyReLU is ``y = x`` where ``x > 0`` and ``y = alpha * x`` elsewhere. For
    a sample ``x`` of shape (K,) the Jacobian ``dy/dx`` is the (K, K) matrix
    ``diag(where(x > 0, 1, alpha))``. The check calls ``jacobian_fn`` with
    :data:`L01_SAMPLE` and two values of alpha, and names the usual slips: only
    the diagonal returned, ReLU's Jacobian (alpha forgotten), a fixed alpha,
    a wrong entry.
    """
    x = L01_SAMPLE
    negative = x <= 0
    for alpha in (0.1, 0.25):
        what = f"leaky_relu_jacobian(x, alpha={alpha}) for x = {x.tolist()}"
        expected = np.diag(np.where(negative, alpha, 1.0))
        got = jacobian_fn(x.copy(), alpha)
        if isinstance(got, np.ndarray) and got.shape == x.shape:
            start = ("They are the right slopes, but the" if np.allclose(got, np.diag(expected))
                     else "The")
            fail(f"{what} returned {x.size} numbers, shape {got.shape}. {start} Jacobian "
                  f"of an op from K numbers to K numbers is a (K, K) matrix: entry [i, j] is "
                  f"dy_i/dx_j. Put the slopes on its diagonal with np.diag.")
        if (isinstance(got, np.ndarray) and got.shape == expected.shape
                and np.all(np.isfinite(got))):
            diagonal = np.diag(got)
            off_diagonal = got - np.diag(diagonal)
            if np.allclose(off_diagonal, 0) and np.allclose(diagonal[~negative], 1):
                _l01_fixed_slope(diagonal[negative], alpha, what)
        compare_arrays(got, expected, what)
    print(PASSED)


def check_leaky_relu(layer_cls) -> None:
    """Check a LeakyReLU layer class: ``layer_cls(alpha=...)`` with ``forward`` and ``backward``.

    Builds the layer with two values of alpha, runs ``forward`` on a fixed
    (4, 5) batch and ``backward`` on a fixed upstream gradient, and compares
    both with the reference ``y = where(x > 0, x, alpha x)``,
    ``dx = where(x > 0, g, alpha g)``. Names the usual slips: not a Layer
    class, no ``alpha`` argument, input or ``grad_out`` changed in place, the
    local derivative returned without multiplying by ``grad_out``, ReLU's
    backward, a fixed alpha, a wrong shape or value.
    """
    from ..layers import Layer

    if not (isinstance(layer_cls, type) and issubclass(layer_cls, Layer)):
        fail(f"Pass the class itself (LeakyReLU, not LeakyReLU()), a subclass of "
              f"course_lib.layers.Layer; got {layer_cls!r}.")
    rng = np.random.default_rng(1)
    X = rng.standard_normal((4, 5))
    X[np.abs(X) < 0.05] = 0.5  # keep away from the kink at 0
    G = rng.standard_normal((4, 5))
    negative = X <= 0
    for alpha in (0.1, 0.25):
        try:
            layer = layer_cls(alpha=alpha)
        except TypeError as err:
            fail(f"{layer_cls.__name__}(alpha={alpha}) failed: {err}. The constructor should "
                  f"take the negative slope as a keyword argument alpha and store it.")
        x = X.copy()
        y = layer.forward(x)
        if not np.array_equal(x, X):
            fail("forward changed its input x in place; the layer before owns that array. "
                  "Return a new array, e.g. with np.where.")
        what = f"forward(x) with alpha={alpha}"
        if isinstance(y, np.ndarray) and y.shape == X.shape and np.all(np.isfinite(y)):
            if np.allclose(y[~negative], X[~negative]):
                _l01_fixed_slope(y[negative] / X[negative], alpha, what)
        compare_arrays(y, np.where(negative, alpha * X, X), what)

        g = G.copy()
        dx = layer.backward(g)
        if not np.array_equal(g, G):
            fail("backward changed grad_out in place; the next layer owns that array. "
                  "Return a new array, e.g. grad_out * slope or np.where(...).")
        what = f"backward(grad_out) with alpha={alpha}"
        expected = np.where(negative, alpha * G, G)
        if isinstance(dx, np.ndarray) and dx.shape == X.shape and np.all(np.isfinite(dx)):
            if np.allclose(dx, np.where(negative, alpha, 1.0)):
                fail(f"{what} returned the local slope dy/dx (1 or alpha) itself. The chain "
                      f"rule multiplies it by the upstream gradient: dL/dx = grad_out * dy/dx.")
            if np.allclose(dx[~negative], G[~negative]):
                _l01_fixed_slope(dx[negative] / G[negative], alpha, what)
        compare_arrays(dx, expected, what)
    print(PASSED)
