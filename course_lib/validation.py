"""Argument checks shared by the layers, losses, optimisers, training loop and loaders.

Every public ``forward`` validates its input here *before* any arithmetic, so a
mistake surfaces as a message that names what was expected and what came,
instead of a NaN or a broadcasting error from deep inside NumPy. The scalar
checks (:func:`check_number`, :func:`check_int`, :func:`check_bool`) run once,
where an object is built or a function is called, never per batch.

Arrays are scanned for NaN and inf once, where they enter: ``Sequential.forward``
and ``backward`` scan the array they are given, then run their layers inside
:func:`values_checked`, in which :func:`check_float_array` checks only type, dtype and
rank (constant time) and skips the scan of the values the model itself produced.
"""

from __future__ import annotations

import inspect
import math
from contextvars import ContextVar

import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)

# True inside `values_checked()`: the arrays were scanned where they entered.
_VALUES_CHECKED: ContextVar[bool] = ContextVar("values_checked", default=False)


class values_checked:  # noqa: N801 - used like a function: `with values_checked():`
    """Within this block, :func:`check_float_array` skips its scan for NaN and inf.

    For code that has scanned its input already and passes the arrays it computes from
    it between layers (a model's forward and backward, the training loop): a value
    that overflows there still shows up as a loss that is not finite, which ``fit``
    reports. Type, dtype, rank and shape are still checked. (A class rather than a
    generator-based context manager: it is entered several times per training step.)
    """

    def __enter__(self) -> None:
        self._token = _VALUES_CHECKED.set(True)

    def __exit__(self, *exc: object) -> None:
        _VALUES_CHECKED.reset(self._token)


def describe(value: object) -> str:
    """A short description of ``value`` for a message: its type and, when short, its repr.

    Examples: ``str '0.1'``, ``None``, ``list [0.1]``, ``ndarray of shape (2, 3)``.
    """
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"{type(value).__name__} of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, type):
        return f"the class {value.__name__}"
    text = repr(value)
    if len(text) > 40:
        if isinstance(value, (list, tuple)):
            return f"a {type(value).__name__} of {len(value)} items"
        text = text[:37] + "..."
    return f"{type(value).__name__} {text}"


def _prefix(where: str) -> str:
    return f"{where}: " if where else ""


def instance_example(cls: type, args: str = "...") -> str:
    """How to create an instance of ``cls`` in a message: ``ReLU()``, ``Dense(...)``, ``SGD(0.1)``.

    ``args`` is shown only when the class cannot be created without arguments.
    """
    try:
        parameters = list(inspect.signature(cls).parameters.values())
    except (TypeError, ValueError):  # no signature to read: show the placeholder
        return f"{cls.__name__}({args})"
    required = [p for p in parameters if p.default is p.empty
                and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    return f"{cls.__name__}({args if required else ''})"


def check_not_class(value: object, name: str, kind: str, *, where: str = "",
                    args: str = "...") -> None:
    """Raise TypeError if ``value`` is a class where an instance of it belongs.

    Parameters
    ----------
    value : object
        What was passed.
    name : str
        The argument's name, for the message.
    kind : str
        What an instance is, with its article (``"an optimizer"``, ``"a layer"``).
    where : str
        Who is checking, for the message.
    args : str
        Example constructor arguments for a class that needs some (``"0.1"``).
    """
    if isinstance(value, type):
        example = instance_example(value, args)
        raise TypeError(f"{_prefix(where)}{name} is the class {value.__name__}, not {kind}: "
                        f"pass {example}, not {value.__name__}.")


def check_plain_array(x: object, name: str, *, where: str = "",
                      convert: str | None = None) -> np.ndarray:
    """Return ``x`` if it is a NumPy ndarray, and not an ``np.matrix`` or masked array.

    ``np.matrix`` makes ``*`` a matrix product, which silently breaks elementwise
    code; a masked array's mask would be ignored. ``convert`` is the fix the
    message suggests for anything else (default ``np.asarray(name)``).
    """
    if not isinstance(x, np.ndarray):
        fix = convert or f"np.asarray({name})"
        raise TypeError(f"{_prefix(where)}{name} must be a NumPy array, got {type(x).__name__}. "
                        f"Convert it with {fix}.")
    if isinstance(x, np.matrix):
        raise TypeError(f"{_prefix(where)}{name} is a numpy.matrix, whose * is a matrix product "
                        f"and breaks elementwise code; pass an ndarray: np.asarray({name}).")
    if isinstance(x, np.ma.MaskedArray):
        raise TypeError(f"{_prefix(where)}{name} is a masked array (numpy.ma), whose mask the "
                        f"course's code would ignore; fill or drop the masked values first, "
                        f"e.g. {name}.filled(0.0) or {name}[~{name}.mask].")
    return x


def is_real_number(value: object) -> bool:
    """int, float or a NumPy integer/float scalar or 0-d array; not bool, str or complex."""
    if isinstance(value, np.ndarray):
        if value.ndim != 0:
            return False
        value = value[()]
    return (isinstance(value, (int, float, np.integer, np.floating))
            and not isinstance(value, (bool, np.bool_)))


def check_number(value: object, name: str, *, where: str = "", low: float | None = None,
                 high: float | None = None, low_open: bool = False,
                 high_open: bool = True) -> float:
    """Return ``value`` as a float if it is one finite real number in the allowed range.

    Accepts Python ints and floats, NumPy integer and float scalars and 0-d
    arrays (``np.array(0.1)``); rejects bool, strings, None, complex numbers,
    lists and arrays of several numbers.

    Parameters
    ----------
    value : object
        What was passed.
    name : str
        The argument's name, for the message (e.g. ``"lr"``).
    where : str
        Who is checking (e.g. ``"SGD"``).
    low, high : float, optional
        Bounds of the allowed range.
    low_open, high_open : bool
        Whether the bound itself is excluded (default: ``[low, high)``).

    Raises
    ------
    TypeError
        If ``value`` is not one real number.
    ValueError
        If it is NaN, infinite or out of range.
    """
    lo = "" if low is None else (f"> {low:g}" if low_open else f">= {low:g}")
    hi = "" if high is None else (f"< {high:g}" if high_open else f"<= {high:g}")
    if low == 0 and low_open and high is None:
        requirement = "a positive number"
    elif lo and hi:
        requirement = (f"a number in {'(' if low_open else '['}{low:g}, {high:g}"
                       f"{')' if high_open else ']'}")
    else:
        requirement = f"a number {lo or hi}".rstrip()
    prefix = _prefix(where)
    if not is_real_number(value):
        hint = ""
        if isinstance(value, str):
            hint = " Pass the number itself, without quotes."
        elif isinstance(value, np.ndarray) or isinstance(value, (list, tuple)):
            hint = " Pass one number, not a sequence."
        raise TypeError(f"{prefix}{name} must be {requirement}, got {describe(value)}.{hint}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{prefix}{name} must be {requirement} and finite, got {number}.")
    too_low = low is not None and (number <= low if low_open else number < low)
    too_high = high is not None and (number >= high if high_open else number > high)
    if too_low or too_high:
        raise ValueError(f"{prefix}{name} must be {requirement}, got {value!r}.")
    return number


def check_int(value: object, name: str, *, where: str = "", low: int = 1) -> int:
    """Return ``value`` as an int if it is a whole number >= ``low`` (not a bool or a float).

    Raises
    ------
    TypeError
        If ``value`` is not a Python or NumPy integer (``True``, ``2.5``, ``"3"``).
    ValueError
        If it is below ``low``.
    """
    requirement = "a positive int" if low == 1 else f"an int >= {low}"
    if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)):
        hint = ""
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            hint = f" Use {int(value)}."
        raise TypeError(f"{_prefix(where)}{name} must be {requirement}, got "
                        f"{describe(value)}.{hint}")
    if value < low:
        raise ValueError(f"{_prefix(where)}{name} must be {requirement}, got {value!r}.")
    return int(value)


def check_bool(value: object, name: str, *, where: str = "") -> bool:
    """Return ``value`` if it is True or False (a NumPy bool too); TypeError for anything else.

    A string such as ``"no"`` would otherwise count as true.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{_prefix(where)}{name} must be True or False, got {describe(value)}.")
    return bool(value)


def check_float_dtype(dtype: object, *, where: str = "") -> np.dtype:
    """Return ``np.dtype(dtype)`` if it is float32 or float64; TypeError otherwise."""
    try:
        result = np.dtype(dtype)
    except TypeError:
        result = None
    if result not in FLOAT_DTYPES:
        got = result.name if result is not None else describe(dtype)
        raise TypeError(f"{_prefix(where)}dtype must be float32 or float64, got {got}. "
                        f"Use dtype=np.float64 (or np.float32 for speed).")
    return result


def check_numeric_array(y: object, name: str, *, where: str = "") -> np.ndarray:
    """Return ``y`` if it is an ndarray of real numbers (ints or floats), with at least one axis.

    Strings, objects, bools and complex numbers are rejected: NumPy would convert
    some of them silently (a string target parsed, an imaginary part dropped).
    """
    check_plain_array(y, name, where=where)
    if y.ndim == 0:
        raise ValueError(f"{_prefix(where)}{name} must have one entry per sample (shape (N,) "
                         f"or (N, K)), got a 0-d array.")
    kind = y.dtype.kind
    if kind not in "iuf":
        fix = {"b": f"{name}.astype(np.int64) for labels, {name}.astype(np.float64) for values",
               "c": f"{name}.real if the imaginary parts are 0",
               "U": f"{name}.astype(np.float64) (or np.int64 for labels)",
               "S": f"{name}.astype(np.float64) (or np.int64 for labels)"}.get(
                   kind, f"np.asarray({name}, dtype=np.float64)")
        raise TypeError(f"{_prefix(where)}{name} must hold real numbers (int or float), got "
                        f"dtype {y.dtype}. Convert it with {fix}.")
    return y


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
        If ``x`` has the wrong number of dimensions, is empty, or holds NaN/inf (the
        last not tested inside :func:`values_checked`).
    """
    prefix = f"{where}: " if where else ""
    check_plain_array(x, name, where=where, convert=f"np.asarray({name}, dtype=np.float64)")
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
    if _VALUES_CHECKED.get():
        return x
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
    probability array of shape (N, K) whose rows are non-negative and sum to 1.

    Raises
    ------
    ValueError
        If the prediction has fewer than 2 columns (``n_classes < 2``: a softmax
        of one score is always 1, so loss and gradient are 0), the shapes do not
        match, a label is out of range, or a one-hot row does not sum to 1.
    TypeError
        If ``y`` is not an array of integer labels or of floats.
    """
    prefix = f"{where}: " if where else ""
    if n_classes < 2:
        raise ValueError(f"{prefix}the prediction has {n_classes} column, but a classifier "
                         f"needs one score per class (K >= 2): the softmax of one score is "
                         f"always 1, so the loss is 0 and the gradient 0 whatever the weights. "
                         f"Give the last layer one output per class, e.g. Dense(..., 2) for "
                         f"two classes.")
    check_plain_array(y, "target", where=where)
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
        if y.shape == (n_samples, 1):
            raise ValueError(f"{prefix}target has shape {y.shape}, a column; pass the class "
                             f"labels with shape ({n_samples},) (y.ravel()), or one-hot rows "
                             f"of shape ({n_samples}, {n_classes}).")
        if y.shape != (n_samples, n_classes):
            raise ValueError(f"{prefix}one-hot target must have shape ({n_samples}, "
                             f"{n_classes}) like the prediction, got {y.shape}.")
        check_float_array(y.astype(np.float64, copy=False), "target", where=where)
        if (y < 0).any():
            raise ValueError(f"{prefix}one-hot target must be non-negative, got a minimum "
                             f"of {y.min()}.")
        row_sums = y.sum(axis=1)
        worst = int(np.abs(row_sums - 1).argmax())
        if abs(row_sums[worst] - 1) > 1e-3:
            raise ValueError(f"{prefix}each one-hot target row must sum to 1 (one class, or a "
                             f"probability distribution over the classes), got row sums from "
                             f"{row_sums.min():.3g} to {row_sums.max():.3g} (row {worst} sums "
                             f"to {row_sums[worst]:.3g}). A row of zeros would give no loss "
                             f"and no gradient; build the targets with one_hot(labels, "
                             f"{n_classes}).")
        return y
    raise ValueError(f"{prefix}target must be labels (N,) or one-hot (N, K), got shape "
                     f"{y.shape}.")


def check_same_shape(got: tuple, expected: tuple, name: str, *, where: str = "") -> None:
    """Raise ValueError unless two shapes are equal."""
    if tuple(got) != tuple(expected):
        prefix = f"{where}: " if where else ""
        raise ValueError(f"{prefix}{name} must have shape {tuple(expected)}, got {tuple(got)}.")
