"""Checks for the lessons' "your turn" exercises.

Each check takes the student's result (or function), compares it with the
reference in course_lib, and either prints "All checks passed" or raises
:class:`ExerciseError` with a message that names what is wrong: a shape, the
value at an index, a gradient off by a factor. Every check is tested with a
correct and a wrong answer in tests/test_checks.py.
"""

from __future__ import annotations

import numpy as np

PASSED = "All checks passed"


class ExerciseError(AssertionError):
    """A "your turn" answer is not right yet; the message says what to look at."""


def _fail(message: str) -> None:
    raise ExerciseError(message)


def compare_arrays(got: object, expected: np.ndarray, what: str, *, rtol: float = 1e-6,
                   atol: float = 1e-8) -> None:
    """Raise ExerciseError naming the first difference between ``got`` and ``expected``.

    Checks, in order: that ``got`` is an array, its shape, NaNs, then values; for
    values it reports the worst index and, when ``got`` is a constant multiple of
    ``expected`` (a forgotten 1/N or factor 2), that factor.
    """
    if not isinstance(got, np.ndarray):
        _fail(f"{what} should be a NumPy array, got {type(got).__name__}.")
    if got.shape != expected.shape:
        _fail(f"{what} should have shape {expected.shape}, got {got.shape}.")
    if not np.all(np.isfinite(got)):
        _fail(f"{what} contains NaN or inf at index "
              f"{np.unravel_index(np.argmax(~np.isfinite(got)), got.shape)}.")
    if np.allclose(got, expected, rtol=rtol, atol=atol):
        return
    diff = np.abs(got - expected)
    idx = tuple(int(i) for i in np.unravel_index(np.argmax(diff), got.shape))
    message = (f"{what} is wrong: at index {idx} it is {got[idx]:.6g}, expected "
               f"{expected[idx]:.6g} (max abs difference {diff.max():.3g}).")
    nonzero = np.abs(expected) > 1e-12
    if nonzero.any():
        ratios = got[nonzero] / expected[nonzero]
        if np.allclose(ratios, ratios.flat[0], rtol=1e-4) and not np.isclose(ratios.flat[0], 1):
            message += f" It is {ratios.flat[0]:.4g} times the expected value everywhere."
    _fail(message)


# --- lesson 01: layers forward and backward -------------------------------------------

# --- lesson 02: SGD on linear models ----------------------------------------------------

# --- lesson 03: MLPs on Boston, iris and digits --------------------------------------------

# --- lesson 04: the CNN on MNIST ---------------------------------------------------------

# --- lesson 05: activations on MNIST ------------------------------------------------------
