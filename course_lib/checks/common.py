"""What every lesson's checks share: the error they raise and how they compare answers.

A check takes a student's answer (an array, a function or a class), compares
it with the reference in course_lib and either prints :data:`PASSED` or
raises :class:`ExerciseError` with a message that names the slip. The helpers
here make every check accept every correct answer:

* the tolerance follows the dtype of the answer (float32 answers are fine);
* a NumPy scalar, a Python number and a 0-d array are all accepted for a number;
* a difference is printed with as many digits as it takes to see it;
* an input changed in place is named (:class:`Unchanged`).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from typing import NoReturn

import numpy as np

PASSED = "All checks passed"

#: (rtol, atol) by the precision of the answer; atol is scaled by the size of the values
TOLERANCES = {2: (1e-2, 1e-3), 4: (1e-4, 1e-6), 8: (1e-6, 1e-8)}


class ExerciseError(AssertionError):
    """A "your turn" answer is not right yet; the message says what to look at."""


def fail(message: str) -> NoReturn:
    """Raise :class:`ExerciseError` with ``message``."""
    raise ExerciseError(message)


def passed() -> None:
    """Print :data:`PASSED`: the line a student looks for."""
    print(PASSED)


def tolerance(*arrays: object) -> tuple[float, float]:
    """``(rtol, atol)`` for comparing answers of these dtypes: the least precise float wins.

    Integer and bool arrays count as exact (float64's tolerance). ``atol`` is
    scaled by the largest magnitude among the arrays, so it is relative to the
    size of the numbers being compared.
    """
    itemsize, scale = 8, 1.0
    for a in arrays:
        a = np.asarray(a)
        if np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.complexfloating):
            itemsize = min(itemsize, a.real.dtype.itemsize)
        if a.size and np.issubdtype(a.dtype, np.number):
            finite = np.abs(a[np.isfinite(a)]) if a.ndim else np.abs(a.reshape(1))
            if finite.size:
                scale = max(scale, float(finite.max()))
    rtol, atol = TOLERANCES.get(itemsize, TOLERANCES[8])
    return rtol, atol * scale


def format_pair(got: float, expected: float) -> tuple[str, str]:
    """Both numbers with the fewest significant digits (at least 6) that tell them apart."""
    got, expected = float(got), float(expected)
    for digits in range(6, 18):
        a, b = f"{got:.{digits}g}", f"{expected:.{digits}g}"
        if a != b:
            return a, b
    return repr(got), repr(expected)


def constant_ratio(got: np.ndarray, expected: np.ndarray) -> float | None:
    """The constant c with ``got == c * expected`` everywhere (a forgotten 1/N, a 2), or None."""
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        return None
    nonzero = np.abs(expected) > 1e-12
    if not nonzero.any():
        return None
    c = float(np.median(got[nonzero] / expected[nonzero]))
    rtol, atol = tolerance(got)
    return c if np.allclose(got, c * expected, rtol=max(rtol, 1e-6), atol=atol) else None


def is_number(value: object) -> bool:
    """Whether ``value`` is one number: a Python or NumPy scalar (not a bool) or a 0-d array."""
    return (isinstance(value, (int, float, np.integer, np.floating))
            and not isinstance(value, (bool, np.bool_))) or (
        isinstance(value, np.ndarray) and value.shape == ())


def as_number(got: object, what: str) -> float:
    """``got`` as a float: a Python number, a NumPy scalar or a 0-d array; else ExerciseError."""
    if isinstance(got, (bool, np.bool_)):
        fail(f"{what} should be a number, got the boolean {got!r}.")
    if isinstance(got, (int, float, np.integer, np.floating)):
        return float(got)
    if isinstance(got, np.ndarray):
        if got.shape == ():
            return float(got)
        if got.size == 1:
            fail(f"{what} should be a single number, got an array of shape {got.shape}. "
                 f"Take the number out with .item() or float(...), or sum over every axis.")
        fail(f"{what} should be a single number, got an array of shape {got.shape}: "
             f"something was not summed or averaged over all its axes.")
    fail(f"{what} should be a number, got {type(got).__name__}.")


def compare_scalar(got: object, expected: float, what: str, *, rtol: float | None = None,
                   atol: float | None = None) -> None:
    """Raise ExerciseError unless ``got`` is a number close to ``expected``."""
    value = as_number(got, what)
    default_rtol, default_atol = tolerance(got if isinstance(got, np.generic | np.ndarray)
                                           else np.float64(value), expected)
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    if not np.isfinite(value):
        fail(f"{what} is {value}, expected {float(expected):.6g}.")
    if np.isclose(value, expected, rtol=rtol, atol=atol):
        return
    a, b = format_pair(value, expected)
    message = f"{what} is {a}, expected {b}."
    if expected != 0 and value != 0:
        ratio = value / expected
        if abs(ratio - round(ratio)) < 1e-6 * abs(ratio) and round(ratio) not in (0, 1):
            message += f" It is {round(ratio)} times the expected value."
        elif abs(1 / ratio - round(1 / ratio)) < 1e-6 / abs(ratio) and round(1 / ratio) > 1:
            message += f" It is 1/{round(1 / ratio)} of the expected value."
    fail(message)


def compare_arrays(got: object, expected: np.ndarray, what: str, *, rtol: float | None = None,
                   atol: float | None = None) -> None:
    """Raise ExerciseError naming the first difference between ``got`` and ``expected``.

    Checks, in order: that ``got`` is an array (a number is fine where
    ``expected`` is one), its shape, NaN or inf, then the values, with a
    tolerance that follows the dtype of ``got`` unless ``rtol``/``atol`` are
    given. For values it reports the worst index with enough digits to see the
    difference and, when ``got`` is a constant multiple of ``expected`` (a
    forgotten 1/N or factor 2), that factor.
    """
    expected = np.asarray(expected)
    if expected.shape == () and not isinstance(got, np.ndarray):
        compare_scalar(got, float(expected), what, rtol=rtol, atol=atol)
        return
    if isinstance(got, (list, tuple)):
        fail(f"{what} should be a NumPy array of shape {expected.shape}, got a "
             f"{type(got).__name__}. Build it with NumPy operations, or wrap it: np.array(...).")
    if isinstance(got, np.matrix):
        fail(f"{what} is an np.matrix; use a plain np.ndarray (np.asarray(...)): `*` on "
             f"matrices is a matrix product.")
    if not isinstance(got, np.ndarray):
        fail(f"{what} should be a NumPy array of shape {expected.shape}, got "
             f"{type(got).__name__}" + (" (did the function forget to return?)."
                                        if got is None else "."))
    if got.shape != expected.shape:
        hint = ""
        if got.shape == expected.shape[::-1] and got.ndim == 2:
            hint = " That is the transpose of the expected shape."
        elif got.size == expected.size:
            hint = " It holds the right number of values in the wrong shape."
        fail(f"{what} should have shape {expected.shape}, got {got.shape}.{hint}")
    if not (np.issubdtype(got.dtype, np.number) or got.dtype == np.bool_):
        fail(f"{what} should hold numbers, got dtype {got.dtype}.")
    bad = ~np.isfinite(got)
    if bad.any():
        idx = tuple(int(i) for i in np.unravel_index(np.argmax(bad), got.shape))
        fail(f"{what} contains {got[idx]} at index {idx}: an overflow, a log of 0 or a "
             f"division by 0 on the way.")
    default_rtol, default_atol = tolerance(got, expected)
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    if np.allclose(got, expected, rtol=rtol, atol=atol):
        return
    g64, e64 = got.astype(np.float64), expected.astype(np.float64)
    diff = np.abs(g64 - e64) - rtol * np.abs(e64)
    idx = tuple(int(i) for i in np.unravel_index(np.argmax(diff), got.shape))
    a, b = format_pair(g64[idx], e64[idx])
    where = f"at index {idx} " if got.ndim else ""
    message = (f"{what} is wrong: {where}it is {a}, expected {b} "
               f"(largest difference {np.abs(g64 - e64).max():.3g}).")
    c = constant_ratio(g64, e64)
    if c is not None and not np.isclose(c, 1):
        message += f" It is {c:.4g} times the expected value everywhere."
    fail(message)


class Unchanged:
    """Copies of the arrays handed to a student's code, to name one it changed in place.

    >>> inputs = Unchanged(x=x, grad_out=g)
    >>> dx = layer.backward(g)
    >>> inputs.check("backward(grad_out)")
    """

    def __init__(self, **arrays: np.ndarray) -> None:
        self._arrays = arrays
        self._copies = {name: np.array(a, copy=True) for name, a in arrays.items()}

    def check(self, where: str) -> None:
        """Raise ExerciseError naming the first array that differs from its copy."""
        for name, array in self._arrays.items():
            copy = self._copies[name]
            if np.shape(array) != copy.shape or not np.array_equal(array, copy, equal_nan=True):
                fail(f"{where} changed its input `{name}` in place. Whoever passed it in still "
                     f"uses it: compute into a new array (`a = a * 2`, not `a *= 2`; "
                     f"np.where, copy()) and leave `{name}` as it was.")


def require(exercise: str, check: Callable[..., None], *args: object) -> None:
    """Run ``check(*args)`` quietly before a cell builds on the student's answer.

    Raises ExerciseError saying which exercise to solve first when the
    answer is not written yet (NotImplementedError), fails its check, or
    raises; prints nothing when the check passes.
    """
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            check(*args)
    except NotImplementedError:
        raise ExerciseError(f"This cell builds on your answer to {exercise}, which is not "
                            f"written yet. Solve that exercise first, then run this cell "
                            f"again.") from None
    except ExerciseError as err:
        raise ExerciseError(f"This cell builds on your answer to {exercise}, whose check does "
                            f"not pass yet: {err}") from None
    except Exception as err:
        raise ExerciseError(f"This cell builds on your answer to {exercise}, which raised "
                            f"{type(err).__name__}: {err}. Run that exercise's check cell "
                            f"to see where.") from err
