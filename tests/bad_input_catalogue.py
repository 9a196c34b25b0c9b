"""A catalogue of bad inputs thrown at ``course_lib`` as students would, each outcome classified.

Run it as a script to print every case and the counts per outcome::

    .venv/bin/python tests/bad_input_catalogue.py            # the table and the counts
    .venv/bin/python tests/bad_input_catalogue.py --quiet    # the counts only

``tests/test_bad_input_catalogue.py`` runs the same cases under pytest and
requires each to end as ``clear`` or ``works``.

Outcomes
--------
clear
    The case should fail, and ``course_lib`` raised one of the expected
    exception types itself, with a message that matches the case's words
    (naming the argument and what was expected or what came).
works
    The case does what it should (a valid input, or an odd one that can be
    handled correctly), and the result passes the case's check.
misleading
    ``course_lib`` raised its own error, but of another type, with a message
    that does not name the problem, or for an input that should have worked.
raw
    The error came from inside NumPy or Python (``'Dense' object is not
    iterable``, ``could not convert string to float``), not from a check.
silent
    No error, but the result is wrong (or a wrong input was accepted).
hang
    Still running after ``TIMEOUT`` seconds (interrupted).

Python's own errors for a missing or an extra argument (``SGD()``) name the
argument already and are not in the catalogue.
"""

from __future__ import annotations

import argparse
import re
import signal
import sys
import traceback
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from course_lib import data, gradcheck  # noqa: E402
from course_lib.layers import (BatchNorm, BiasAdd, Conv3x3, Dense, Dropout,  # noqa: E402
                               Flatten, Identity, MatMul, MaxPool2, ReLU, Sigmoid, Softmax,
                               Tanh)
from course_lib.losses import CrossEntropyLoss, MSELoss, SoftmaxCrossEntropyLoss  # noqa: E402
from course_lib.model import Sequential  # noqa: E402
from course_lib.optim import SGD, SGDW, Adam  # noqa: E402
from course_lib.train import accuracy, evaluate, fit  # noqa: E402

TIMEOUT = 120  # seconds before a case counts as a hang (the sampled Dense(784, 128) check takes ~6 s quiet, several times that on a busy CI worker)
COURSE_LIB = str(REPO / "course_lib")
OUTCOMES = ("clear", "works", "misleading", "raw", "silent", "hang")


@dataclass
class Case:
    """One bad (or odd) input.

    Attributes
    ----------
    name : str
        What is tried, as a student would write it.
    call : callable
        Runs the case; its return value goes to ``check``.
    raises : tuple of exception types
        The errors that count as ``clear``; empty when the case must work.
    words : str
        A regular expression the error message must match to count as ``clear``.
    check : callable, optional
        ``check(result) -> bool``: when the call returns, whether the result is
        right (``works``) or not (``silent``). Without it, returning at all is
        ``silent`` for a case that ``raises`` and ``works`` for one that does not.
    """

    name: str
    call: Callable[[], object]
    raises: tuple[type[BaseException], ...] = ()
    words: str = ""
    check: Callable[[object], bool] | None = None


class _Timeout(BaseException):
    """Raised by the alarm; a BaseException so that no ``except Exception`` swallows it."""


def _alarm(signum: int, frame: object) -> None:
    raise _Timeout


def _raised_by_course_lib(err: BaseException) -> bool:
    """Whether a ``raise`` statement of course_lib raised ``err`` (a check, not a crash).

    An error from NumPy, from Python itself (``'>' not supported between
    instances of 'str' and 'int'``, a missing argument) or from an expression
    on a course_lib line that is not a ``raise`` is a raw error.
    """
    frames = traceback.extract_tb(err.__traceback__)
    if not frames or not frames[-1].filename.startswith(COURSE_LIB):
        return False
    return (frames[-1].line or "").lstrip().startswith("raise")


def classify(case: Case, timeout: int = TIMEOUT) -> tuple[str, str]:
    """Run ``case`` and return (outcome, detail): the outcome is one of :data:`OUTCOMES`."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(timeout)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            result = case.call()
    except _Timeout:
        return "hang", f"still running after {timeout} s"
    except Exception as err:  # noqa: BLE001 - classifying every error is the point
        detail = f"{type(err).__name__}: {err}"
        if not _raised_by_course_lib(err):
            return "raw", detail
        if case.raises and isinstance(err, case.raises) and re.search(case.words, str(err)):
            return "clear", detail
        return "misleading", detail
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    if case.check is not None:
        try:
            ok = bool(case.check(result))
        except Exception as err:  # noqa: BLE001
            return "silent", f"returned, check failed ({type(err).__name__}: {err})"
        return ("works", "correct result") if ok else ("silent", f"wrong result: {result!r:.80}")
    if case.raises:
        return "silent", f"accepted, returned {result!r:.80}"
    return "works", "accepted"


# --------------------------------------------------------------------------------------
# Helpers the cases share
# --------------------------------------------------------------------------------------
def _X(n: int = 8, d: int = 4, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, d))


def _labels(n: int = 8, k: int = 3, seed: int = 0) -> np.ndarray:
    return np.arange(n) % k


def _mlp() -> Sequential:
    return Sequential([Dense(4, 5, rng=0), Tanh(), Dense(5, 3, rng=1)])


def _fit(**overrides: object) -> object:
    """fit on a tiny classification problem, with some arguments replaced."""
    args = dict(model=_mlp(), loss=SoftmaxCrossEntropyLoss(), optimizer=SGD(0.1), X=_X(),
                y=_labels(), epochs=1, batch_size=4, progress=False)
    args.update(overrides)
    return fit(args.pop("model"), args.pop("loss"), args.pop("optimizer"), args.pop("X"),
               args.pop("y"), **args)


def _backward_after_failed_forward(layer: object, good: np.ndarray, bad: object) -> object:
    """forward(good) works, forward(bad) fails: backward must not reuse good's cache."""
    y = layer.forward(good)
    try:
        layer.forward(bad)
    except Exception:  # noqa: BLE001 - the failure is the setup
        pass
    return layer.backward(np.ones_like(y))


def _loss_backward_after_failed_forward(loss: object, pred: np.ndarray, target: np.ndarray,
                                        bad_target: object) -> object:
    loss.forward(pred, target)
    try:
        loss.forward(pred, bad_target)
    except Exception:  # noqa: BLE001
        pass
    return loss.backward()


def _step(optimizer: object, model: object) -> object:
    """One optimiser step on ``model`` after a forward and backward pass of a real layer."""
    layer = Dense(4, 3, rng=0)
    layer.backward(np.ones_like(layer.forward(_X())))
    optimizer.step(model)
    return layer


def _adam_zero_gradient(eps: float) -> np.ndarray:
    layer = Dense(4, 3, rng=0)
    layer.forward(_X())
    layer.backward(np.zeros((8, 3)))
    Adam(0.01, eps=eps).step(layer)
    return layer.params["W"]


def _with_warnings(call: Callable[[], object]) -> tuple[object, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    return result, [str(w.message) for w in caught]


def _gradcheck_large() -> tuple[object, list[str]]:
    layer = Dense(784, 128, rng=0)
    x = np.random.default_rng(0).standard_normal((16, 784))
    return _with_warnings(lambda: gradcheck.check_layer(layer, x))


def _accurate_and_said(result: tuple[dict, list[str]]) -> bool:
    errors, messages = result
    return max(errors.values()) < 1e-6 and any("random" in m for m in messages)


def _one_output_softmax_ce() -> float:
    model = Sequential([Dense(4, 1, rng=0)])
    history = fit(model, SoftmaxCrossEntropyLoss(), SGD(0.1), _X(), np.zeros(8, dtype=int),
                  epochs=3, batch_size=4, progress=False)
    return history


def _perfect_model() -> tuple[Sequential, np.ndarray, np.ndarray]:
    """A model whose prediction is the label: accuracy 1.0 on (X, y)."""
    X = np.eye(3)[_labels()]
    model = Sequential([Identity()])
    return model, X, _labels()


def _overflowing_single_batch_fit() -> object:
    model = Sequential([Dense(2, 1, rng=0)])
    X = np.array([[1e200, 1e200], [1e200, -1e200]])
    return fit(model, MSELoss(), SGD(0.1), X, np.zeros(2), epochs=1, batch_size=2,
               progress=False)


class _DuckLoss:
    """A student's MSE, not derived from course_lib's Loss."""

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        self.diff = pred - target.reshape(pred.shape)
        return float(np.mean(self.diff ** 2))

    def backward(self) -> np.ndarray:
        return 2 * self.diff / self.diff.size


class _DuckLayer:
    """A student's layer, not derived from course_lib's Layer: y = x * w."""

    def __init__(self, n: int) -> None:
        self.params, self.grads = {"w": np.ones(n)}, {}

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return x * self.params["w"]

    def backward(self, g: np.ndarray) -> np.ndarray:
        self.grads["w"] = (g * self.x).sum(axis=0)
        return g * self.params["w"]


class _ArrayLoss(_DuckLoss):
    """A student's loss that forgot the mean: returns an array."""

    def forward(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        super().forward(pred, target)
        return self.diff ** 2


def _regression_fit(**overrides: object) -> object:
    X = _X(16, 3)
    y = X @ np.array([1.0, -2.0, 0.5])
    args = dict(model=Sequential([Dense(3, 1, rng=0)]), loss=MSELoss(), optimizer=SGD(0.05),
                X=X, y=y, epochs=2, batch_size=4, progress=False)
    args.update(overrides)
    return fit(args.pop("model"), args.pop("loss"), args.pop("optimizer"), args.pop("X"),
               args.pop("y"), **args)


def _trained(history: object) -> bool:
    return len(history.loss) >= 1 and all(np.isfinite(history.loss))


def _env(name: str, value: str, call: Callable[[], object]) -> object:
    import os
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        return call()
    finally:
        if old is None:
            del os.environ[name]
        else:
            os.environ[name] = old


# --------------------------------------------------------------------------------------
# The cases
# --------------------------------------------------------------------------------------
T, V, R = (TypeError,), (ValueError,), (RuntimeError,)
TV = (TypeError, ValueError)
D = (data.DataFileError,)


def cases() -> list[Case]:
    """Every case, grouped by module."""
    X, y = _X(), _labels()
    c: list[Case] = []
    add = c.append

    # -- layers: construction -------------------------------------------------------------
    add(Case('Dense("4", 3)', lambda: Dense("4", 3), TV, r"n_in.*'4'"))
    add(Case("Dense(4.0, 3)", lambda: Dense(4.0, 3), TV, r"n_in.*4\.0"))
    add(Case("Dense(0, 3)", lambda: Dense(0, 3), V, r"n_in.*0"))
    add(Case("Dense(4, -1)", lambda: Dense(4, -1), V, r"n_out.*-1"))
    add(Case("Dense(True, 3)", lambda: Dense(True, 3), TV, r"n_in.*True"))
    add(Case("Dense(None, 3)", lambda: Dense(None, 3), TV, r"n_in.*None"))
    add(Case("Dense(np.int64(4), 3)", lambda: Dense(np.int64(4), 3), check=lambda d: d.n_in == 4))
    add(Case('Dense(4, 3, init="xavier")', lambda: Dense(4, 3, init="xavier"), V, r"init.*xavier"))
    add(Case("Dense(4, 3, init=None)", lambda: Dense(4, 3, init=None), TV, r"init.*None"))
    add(Case('Dense(4, 3, rng="abc")', lambda: Dense(4, 3, rng="abc"), T, r"rng.*str"))
    add(Case("Dense(4, 3, rng=-1)", lambda: Dense(4, 3, rng=-1), TV, r"rng.*-1"))
    add(Case("Dense(4, 3, rng=1.5)", lambda: Dense(4, 3, rng=1.5), T, r"rng.*float"))
    add(Case("Dense(4, 3, dtype=np.int32)", lambda: Dense(4, 3, dtype=np.int32), TV,
             r"dtype.*int32"))
    add(Case("Dense(4, 3, dtype=np.float16)", lambda: Dense(4, 3, dtype=np.float16), TV,
             r"dtype.*float16"))
    add(Case('Dense(4, 3, dtype="banana")', lambda: Dense(4, 3, dtype="banana"), TV,
             r"dtype.*banana"))
    add(Case('Dense(4, 3, dtype="float32")', lambda: Dense(4, 3, dtype="float32"),
             check=lambda d: d.params["W"].dtype == np.float32))
    add(Case("MatMul([[1.0, 2.0]])", lambda: MatMul([[1.0, 2.0]]), T, r"W.*list"))
    add(Case("MatMul(np.ones(3))", lambda: MatMul(np.ones(3)), V, r"W.*2-D"))
    add(Case("MatMul(np.ones((3, 2), dtype=int))", lambda: MatMul(np.ones((3, 2), dtype=int)), T,
             r"W.*int64"))
    add(Case("MatMul(np.matrix(np.ones((3, 2))))", lambda: MatMul(np.matrix(np.ones((3, 2)))), T,
             r"matrix"))
    add(Case("BiasAdd(np.ones((1, 3)))", lambda: BiasAdd(np.ones((1, 3))), V, r"b.*1-D"))
    add(Case("BiasAdd(np.array([1.0, np.nan]))", lambda: BiasAdd(np.array([1.0, np.nan])), V,
             r"NaN"))
    add(Case("Conv3x3(0)", lambda: Conv3x3(0), V, r"num_filters.*0"))
    add(Case("Conv3x3(2.5)", lambda: Conv3x3(2.5), TV, r"num_filters.*2\.5"))
    add(Case("Conv3x3(8, in_channels=0)", lambda: Conv3x3(8, in_channels=0), V, r"in_channels"))
    add(Case("Conv3x3(True)", lambda: Conv3x3(True), TV, r"num_filters.*True"))
    add(Case("Conv3x3(4, dtype=np.int64)", lambda: Conv3x3(4, dtype=np.int64), TV,
             r"dtype.*int64"))

    # -- layers: forward ------------------------------------------------------------------
    add(Case("Dense.forward(list)", lambda: Dense(4, 3, rng=0).forward(X.tolist()), T,
             r"x.*NumPy array.*list"))
    add(Case("Dense.forward(int array)", lambda: Dense(4, 3, rng=0).forward(X.astype(int)), T,
             r"float32 or float64.*int64"))
    add(Case("Dense.forward(uint8 array)",
             lambda: Dense(4, 3, rng=0).forward(X.astype(np.uint8)), T, r"uint8"))
    add(Case("Dense.forward(float16 array)",
             lambda: Dense(4, 3, rng=0).forward(X.astype(np.float16)), T, r"float16"))
    add(Case("Dense.forward(complex array)",
             lambda: Dense(4, 3, rng=0).forward(X.astype(complex)), T, r"complex128"))
    add(Case("Dense.forward(bool array)", lambda: Dense(4, 3, rng=0).forward(X > 0), T, r"bool"))
    add(Case("Dense.forward(object array)",
             lambda: Dense(4, 3, rng=0).forward(X.astype(object)), T, r"object"))
    add(Case("Dense.forward(one sample, 1-D)", lambda: Dense(4, 3, rng=0).forward(X[0]), V,
             r"2-D.*\(4,\)"))
    add(Case("Dense.forward(3-D)", lambda: Dense(4, 3, rng=0).forward(X[None]), V, r"2-D"))
    add(Case("Dense.forward(0-d array)", lambda: Dense(4, 3, rng=0).forward(np.array(1.0)), V,
             r"2-D"))
    add(Case("Dense.forward(float)", lambda: Dense(4, 3, rng=0).forward(1.0), T, r"float"))
    add(Case("Dense.forward(empty batch)", lambda: Dense(4, 3, rng=0).forward(np.ones((0, 4))),
             V, r"empty"))
    add(Case("Dense.forward(5 features for 4)", lambda: Dense(4, 3, rng=0).forward(_X(8, 5)), V,
             r"4 features.*\(8, 5\)"))
    add(Case("Dense.forward(x with NaN)",
             lambda: Dense(4, 3, rng=0).forward(np.where(X > 1, np.nan, X)), V, r"NaN"))
    add(Case("Dense.forward(x with inf)",
             lambda: Dense(4, 3, rng=0).forward(np.where(X > 1, np.inf, X)), V, r"infinite"))
    add(Case("Dense.forward(np.matrix)", lambda: Dense(4, 3, rng=0).forward(np.matrix(X)), T,
             r"matrix"))
    add(Case("Sigmoid.forward(np.matrix) then backward",
             lambda: _backward_np_matrix(Sigmoid()), T, r"matrix"))
    add(Case("Dense.forward(masked array)",
             lambda: Dense(4, 3, rng=0).forward(np.ma.masked_greater(X, 1.0)), T, r"masked"))
    add(Case("Dense.forward(float32 x, float64 params)",
             lambda: Dense(4, 3, rng=0).forward(X.astype(np.float32)),
             check=lambda out: out.dtype == np.float32))
    add(Case("MatMul.forward(wrong features)",
             lambda: MatMul(np.ones((4, 2))).forward(_X(8, 3)), V, r"3 features.*4"))
    add(Case("BiasAdd.forward(wrong columns)", lambda: BiasAdd(np.ones(2)).forward(X), V,
             r"4 columns.*2"))
    add(Case("Sigmoid.forward(list)", lambda: Sigmoid().forward([[1.0, 2.0]]), T, r"list"))
    add(Case("Tanh.forward(int array)", lambda: Tanh().forward(np.ones((2, 2), dtype=int)), T,
             r"int64"))
    add(Case("ReLU.forward(string)", lambda: ReLU().forward("abc"), T, r"str"))
    add(Case("Softmax.forward(3-D)", lambda: Softmax().forward(np.ones((2, 3, 4))), V,
             r"1-D or 2-D"))
    add(Case("Softmax.forward(1-D)", lambda: Softmax().forward(np.zeros(4)),
             check=lambda p: np.allclose(p, 0.25)))
    add(Case("Identity.forward(None)", lambda: Identity().forward(None), T, r"NoneType"))
    add(Case("Conv3x3.forward(2-D)", lambda: Conv3x3(2, rng=0).forward(np.ones((4, 8))), V,
             r"3-D or 4-D"))
    add(Case("Conv3x3.forward(3 channels for 1)",
             lambda: Conv3x3(2, rng=0).forward(np.ones((2, 3, 8, 8))), V, r"1 input channel"))
    add(Case("Conv3x3.forward(2x2 images)",
             lambda: Conv3x3(2, rng=0).forward(np.ones((2, 1, 2, 2))), V, r"3x3"))
    add(Case("Conv3x3.forward(uint8 images)",
             lambda: Conv3x3(2, rng=0).forward(np.zeros((2, 28, 28), dtype=np.uint8)), T,
             r"/ 255"))
    add(Case("Conv3x3.forward(5-D)", lambda: Conv3x3(2, rng=0).forward(np.ones((1, 1, 1, 8, 8))),
             V, r"3-D or 4-D"))
    add(Case("MaxPool2.forward(3-D)", lambda: MaxPool2().forward(np.ones((2, 8, 8))), V, r"4-D"))
    add(Case("MaxPool2.forward(1x5 images)", lambda: MaxPool2().forward(np.ones((2, 1, 1, 5))),
             V, r"at least 2"))
    add(Case("MaxPool2.forward(odd 5x5)", lambda: MaxPool2().forward(np.ones((1, 1, 5, 5))),
             check=lambda out: out.shape == (1, 1, 2, 2)))
    add(Case("Flatten.forward(1-D)", lambda: Flatten().forward(np.ones(5)), V, r"batch"))

    # -- layers: backward -----------------------------------------------------------------
    add(Case("Dense.backward before forward", lambda: Dense(4, 3, rng=0).backward(np.ones((8, 3))),
             R, r"forward"))
    add(Case("Dense.backward(wrong shape)",
             lambda: _forward_then(Dense(4, 3, rng=0), X, np.ones((8, 4))), V, r"\(8, 3\)"))
    add(Case("Dense.backward(list)",
             lambda: _forward_then(Dense(4, 3, rng=0), X, np.ones((8, 3)).tolist()), T, r"list"))
    add(Case("Dense.backward(int array)",
             lambda: _forward_then(Dense(4, 3, rng=0), X, np.ones((8, 3), dtype=int)), T,
             r"int64"))
    add(Case("ReLU.backward(NaN gradient)",
             lambda: _forward_then(ReLU(), X, np.full((8, 4), np.nan)), V, r"NaN"))
    for name, layer, good, bad in [
            ("Dense", Dense(4, 3, rng=0), X, _X(8, 5)),
            ("MatMul", MatMul(np.ones((4, 3))), X, _X(8, 5)),
            ("Sigmoid", Sigmoid(), X, X.astype(int)),
            ("Tanh", Tanh(), X, X.tolist()),
            ("ReLU", ReLU(), X, np.where(X > 1, np.nan, X)),
            ("Softmax", Softmax(), X, np.ones((2, 3, 4))),
            ("Conv3x3", Conv3x3(2, rng=0), np.ones((2, 1, 5, 5)), np.ones((2, 3, 5, 5))),
            ("MaxPool2", MaxPool2(), np.ones((2, 1, 4, 4)), np.ones((2, 4, 4))),
            ("Flatten", Flatten(), np.ones((2, 3, 4)), np.ones(3))]:
        add(Case(f"{name}.backward after a failed forward",
                 lambda layer=layer, good=good, bad=bad:
                 _backward_after_failed_forward(layer, good, bad), R, r"forward"))
    add(Case("Dense(4, 3).astype(np.int32)", lambda: Dense(4, 3, rng=0).astype(np.int32), T,
             r"int32"))
    add(Case('Dense(4, 3).astype("banana")', lambda: Dense(4, 3, rng=0).astype("banana"), TV,
             r"banana"))

    # -- losses ---------------------------------------------------------------------------
    pred1 = _X(8, 1)
    add(Case("MSELoss.forward(pred, string targets)",
             lambda: MSELoss().forward(pred1, np.array(["1.0"] * 8)), T, r"target.*<U3|str"))
    add(Case("MSELoss.forward(pred, complex targets)",
             lambda: MSELoss().forward(pred1, np.ones(8, dtype=complex)), T,
             r"target.*complex"))
    add(Case("MSELoss.forward(pred, object targets)",
             lambda: MSELoss().forward(pred1, np.ones(8, dtype=object)), T, r"target.*object"))
    add(Case("MSELoss.forward(pred, list target)",
             lambda: MSELoss().forward(pred1, [1.0] * 8), T, r"target.*list"))
    add(Case("MSELoss.forward(list pred, target)",
             lambda: MSELoss().forward(pred1.tolist(), np.ones(8)), T, r"pred.*list"))
    add(Case("MSELoss.forward(pred, np.matrix target)",
             lambda: MSELoss().forward(pred1, np.matrix(np.ones((8, 1)))), T, r"matrix"))
    add(Case("MSELoss.forward(pred (4, 3), target (4,))",
             lambda: MSELoss().forward(np.zeros((4, 3)), np.zeros(4)), V, r"\(4, 3\).*\(4,\)"))
    add(Case("MSELoss.forward(pred (8,), target (8, 1))",
             lambda: MSELoss().forward(np.zeros(8), np.zeros((8, 1))), V, r"\(8,\).*\(8, 1\)"))
    add(Case("MSELoss.forward(pred (8, 1), target (8,))",
             lambda: MSELoss().forward(np.ones((8, 1)), np.zeros(8)), check=lambda v: v == 1.0))
    add(Case("MSELoss.forward(pred, int targets)",
             lambda: MSELoss().forward(np.ones((8, 1)), np.zeros(8, dtype=int)),
             check=lambda v: v == 1.0))
    add(Case("MSELoss.forward(pred, NaN target)",
             lambda: MSELoss().forward(pred1, np.full(8, np.nan)), V, r"NaN"))
    add(Case("MSELoss.forward(int pred, target)",
             lambda: MSELoss().forward(np.ones((8, 1), dtype=int), np.ones(8)), T, r"int64"))
    add(Case("MSELoss.backward before forward", lambda: MSELoss().backward(), R, r"forward"))
    add(Case("MSELoss.backward after a failed forward",
             lambda: _loss_backward_after_failed_forward(MSELoss(), pred1, np.ones(8),
                                                         np.ones(5)), R, r"forward"))
    add(Case("SoftmaxCE.backward after a failed forward",
             lambda: _loss_backward_after_failed_forward(SoftmaxCrossEntropyLoss(), X, y,
                                                         y[:3]), R, r"forward"))
    add(Case("CrossEntropyLoss.backward after a failed forward",
             lambda: _loss_backward_after_failed_forward(CrossEntropyLoss(), np.full((8, 3), 1 / 3),
                                                         y, y + 5), R, r"forward"))
    probs = np.full((8, 3), 1 / 3)
    logits3 = _X(8, 3)
    add(Case("SoftmaxCE(one-hot rows all zero)",
             lambda: SoftmaxCrossEntropyLoss().forward(logits3, np.zeros((8, 3))), V,
             r"sum to 1"))
    add(Case("SoftmaxCE(one-hot rows summing to 2)",
             lambda: SoftmaxCrossEntropyLoss().forward(logits3, 2 * np.eye(3)[y]), V,
             r"sum to 1"))
    add(Case("CrossEntropyLoss(one-hot rows summing to 2)",
             lambda: CrossEntropyLoss().forward(probs, 2 * np.eye(3)[y]), V, r"sum to 1"))
    add(Case("SoftmaxCE(label-smoothed rows)",
             lambda: SoftmaxCrossEntropyLoss().forward(logits3, 0.9 * np.eye(3)[y] + 0.1 / 3),
             check=lambda v: np.isfinite(v)))
    add(Case("SoftmaxCE(negative one-hot)",
             lambda: SoftmaxCrossEntropyLoss().forward(logits3, -np.eye(3)[y]), V,
             r"non-negative"))
    add(Case("SoftmaxCE on one output (N, 1)",
             lambda: SoftmaxCrossEntropyLoss().forward(_X(8, 1), np.zeros(8, dtype=int)), V,
             r"1 (column|output|class)"))
    add(Case("CrossEntropyLoss on one output (N, 1)",
             lambda: CrossEntropyLoss().forward(np.ones((8, 1)), np.zeros(8, dtype=int)), V,
             r"1 (column|output|class)"))
    add(Case("one-output model + SoftmaxCE in fit", _one_output_softmax_ce, V,
             r"1 (column|output|class)"))
    add(Case("SoftmaxCE(float labels)",
             lambda: SoftmaxCrossEntropyLoss().forward(logits3, y.astype(float)), T,
             r"integer class labels.*float64"))
    add(Case("SoftmaxCE(bool labels)",
             lambda: SoftmaxCrossEntropyLoss().forward(logits3, y == 1), T, r"bool"))
    add(Case("SoftmaxCE(string labels)",
             lambda: SoftmaxCrossEntropyLoss().forward(logits3, y.astype(str)), T, r"<U21|str"))
    add(Case("SoftmaxCE(label list)",
             lambda: SoftmaxCrossEntropyLoss().forward(logits3, y.tolist()), T, r"list"))
    add(Case("SoftmaxCE(labels out of range)",
             lambda: SoftmaxCrossEntropyLoss().forward(logits3, y + 1), V, r"\[0, 3\)"))
    add(Case("SoftmaxCE(negative labels)",
             lambda: SoftmaxCrossEntropyLoss().forward(logits3, y - 1), V, r"\[0, 3\)"))
    add(Case("SoftmaxCE(3 labels for 8 rows)",
             lambda: SoftmaxCrossEntropyLoss().forward(logits3, y[:3]), V, r"3 labels.*8 rows"))
    add(Case("SoftmaxCE(label column (N, 1))",
             lambda: SoftmaxCrossEntropyLoss().forward(logits3, y[:, None]), V,
             r"\(8, 1\)"))
    add(Case("SoftmaxCE(3-D logits)",
             lambda: SoftmaxCrossEntropyLoss().forward(np.ones((2, 3, 4)), y[:2]), V, r"2-D"))
    add(Case("SoftmaxCE(pred, target swapped)",
             lambda: SoftmaxCrossEntropyLoss().forward(y, logits3), T, r"pred.*int64"))
    add(Case("SoftmaxCE(np.matrix one-hot)",
             lambda: SoftmaxCrossEntropyLoss().forward(logits3, np.matrix(np.eye(3)[y])), T,
             r"matrix"))
    add(Case("SoftmaxCE(uint8 labels)",
             lambda: SoftmaxCrossEntropyLoss().forward(logits3, y.astype(np.uint8)),
             check=lambda v: np.isfinite(v)))
    add(Case("CrossEntropyLoss(logits)",
             lambda: CrossEntropyLoss().forward(logits3, y), V, r"probabilities"))
    add(Case("CrossEntropyLoss(rows not summing to 1)",
             lambda: CrossEntropyLoss().forward(np.full((8, 3), 0.2), y), V, r"sum to 1"))
    add(Case("CrossEntropyLoss(complex probabilities)",
             lambda: CrossEntropyLoss().forward(probs.astype(complex), y), T, r"complex"))

    # -- model ----------------------------------------------------------------------------
    add(Case("Sequential(Dense(4, 3))", lambda: Sequential(Dense(4, 3)), T,
             r"list.*Sequential\(\[Dense"))
    add(Case("Sequential(Dense(4, 3), ReLU())", lambda: Sequential(Dense(4, 3), ReLU()), T,
             r"one list"))
    add(Case("Sequential(Dense)", lambda: Sequential(Dense), T, r"class Dense"))
    add(Case("Sequential([])", lambda: Sequential([]), V, r"at least one layer"))
    add(Case('Sequential("dense")', lambda: Sequential("dense"), T, r"str"))
    add(Case("Sequential(None)", lambda: Sequential(None), T, r"None"))
    add(Case("Sequential([Dense(4, 3), ReLU])", lambda: Sequential([Dense(4, 3), ReLU]), T,
             r"class ReLU.*ReLU\("))
    add(Case("Sequential([Dense, ReLU()])", lambda: Sequential([Dense, ReLU()]), T,
             r"class Dense.*Dense\("))
    add(Case("Sequential([Dense(4, 3), MSELoss()])", lambda: Sequential([Dense(4, 3), MSELoss()]),
             T, r"loss"))
    add(Case('Sequential([Dense(4, 3), "relu"])', lambda: Sequential([Dense(4, 3), "relu"]), T,
             r"item 1.*str"))
    add(Case("Sequential([Dense(4, 3), np.tanh])", lambda: Sequential([Dense(4, 3), np.tanh]), T,
             r"item 1"))
    add(Case("Sequential(tuple of layers)", lambda: Sequential((Dense(4, 3), ReLU())),
             check=lambda m: len(m.layers) == 2))
    add(Case("Sequential(generator of layers)",
             lambda: Sequential(Dense(4, 4, rng=i) for i in range(3)),
             check=lambda m: len(m.layers) == 3))
    add(Case("Sequential([a duck-typed layer])", lambda: Sequential([_DuckLayer(4)]),
             check=lambda m: m.num_params() == 4))
    add(Case("Sequential nested in Sequential, trained",
             lambda: _nested_sequential_trains(), check=lambda moved: moved))
    add(Case("model.predict(list)", lambda: _mlp().predict(X.tolist()), T, r"list"))
    add(Case("model.predict(X, batch_size=0)", lambda: _mlp().predict(X, batch_size=0), V,
             r"batch_size.*0"))
    add(Case("model.predict(X, batch_size=True)", lambda: _mlp().predict(X, batch_size=True), TV,
             r"batch_size.*True"))
    add(Case("model.predict(X, batch_size=2.0)", lambda: _mlp().predict(X, batch_size=2.0), TV,
             r"batch_size.*2\.0"))
    add(Case("model.forward(wrong features)", lambda: _mlp().forward(_X(8, 5)), V, r"4 features"))
    add(Case("model.backward before forward", lambda: _mlp().backward(np.ones((8, 3))), R,
             r"forward"))
    add(Case("model.summary(input_shape=4)", lambda: _mlp().summary(4),
             check=lambda text: "Total params" in text))
    add(Case('model.summary(input_shape="4")', lambda: _mlp().summary("4"), T,
             r"input_shape.*'4'"))
    add(Case("model.astype(np.int64)", lambda: _mlp().astype(np.int64), T, r"int64"))

    # -- optimisers -----------------------------------------------------------------------
    add(Case('SGD("0.1")', lambda: SGD("0.1"), T, r"lr.*'0\.1'"))
    add(Case("SGD(None)", lambda: SGD(None), T, r"lr.*None"))
    add(Case("SGD(0)", lambda: SGD(0), V, r"(lr|learning rate).*0"))
    add(Case("SGD(-0.1)", lambda: SGD(-0.1), V, r"-0\.1"))
    add(Case("SGD(np.inf)", lambda: SGD(np.inf), V, r"inf"))
    add(Case("SGD(np.nan)", lambda: SGD(np.nan), V, r"nan"))
    add(Case("SGD(True)", lambda: SGD(True), T, r"lr.*True"))
    add(Case("SGD([0.1])", lambda: SGD([0.1]), T, r"lr.*list"))
    add(Case("SGD(0.1 + 0j)", lambda: SGD(0.1 + 0j), T, r"lr.*complex"))
    add(Case("SGD(np.array(0.1))", lambda: SGD(np.array(0.1)), check=lambda o: o.lr == 0.1))
    add(Case("SGD(np.float32(0.1))", lambda: SGD(np.float32(0.1)),
             check=lambda o: o.lr == float(np.float32(0.1))))
    add(Case("SGD(1)", lambda: SGD(1), check=lambda o: o.lr == 1.0))
    add(Case("SGD(np.array([0.1, 0.2]))", lambda: SGD(np.array([0.1, 0.2])), TV,
             r"(lr|learning rate).*(0\.1|shape \(2,\))"))
    add(Case("SGD(0.1, momentum=None)", lambda: SGD(0.1, momentum=None), T, r"momentum.*None"))
    add(Case('SGD(0.1, momentum="0.9")', lambda: SGD(0.1, momentum="0.9"), T, r"momentum.*'0\.9'"))
    add(Case("SGD(0.1, momentum=1.0)", lambda: SGD(0.1, momentum=1.0), V, r"momentum.*1\.0"))
    add(Case("SGD(0.1, momentum=-0.5)", lambda: SGD(0.1, momentum=-0.5), V, r"momentum.*-0\.5"))
    add(Case("SGD(0.1, momentum=np.nan)", lambda: SGD(0.1, momentum=np.nan), V, r"momentum.*nan"))
    add(Case("SGDW(0.1, weight_decay=-1)", lambda: SGDW(0.1, weight_decay=-1), V,
             r"weight_decay.*-1"))
    add(Case('SGDW(0.1, weight_decay="0.01")', lambda: SGDW(0.1, weight_decay="0.01"), T,
             r"weight_decay.*'0\.01'"))
    add(Case("SGDW(0.1, weight_decay=np.inf)", lambda: SGDW(0.1, weight_decay=np.inf), V,
             r"weight_decay.*inf"))
    add(Case("SGDW(0.1, momentum=None)", lambda: SGDW(0.1, momentum=None), T, r"momentum.*None"))
    add(Case("Adam(eps=0) on a zero gradient", lambda: _adam_zero_gradient(0.0), V, r"eps.*0"))
    add(Case("Adam(eps=-1)", lambda: Adam(eps=-1), V, r"eps.*-1"))
    add(Case('Adam(eps="1e-8")', lambda: Adam(eps="1e-8"), T, r"eps.*'1e-8'"))
    add(Case("Adam(beta1=None)", lambda: Adam(beta1=None), T, r"beta1.*None"))
    add(Case("Adam(beta2=1.0)", lambda: Adam(beta2=1.0), V, r"beta2.*1\.0"))
    add(Case('Adam(lr="0.001")', lambda: Adam(lr="0.001"), T, r"lr.*'0\.001'"))
    add(Case("Adam(lr=0)", lambda: Adam(lr=0), V, r"(lr|learning rate).*0"))
    add(Case("SGD(0.1).step before backward", lambda: SGD(0.1).step(Dense(4, 3, rng=0)), R,
             r"backward"))
    add(Case('SGD(0.1).step("model")', lambda: _step(SGD(0.1), "model"), T, r"model.*str"))
    add(Case("SGD(0.1).step(Sequential)", lambda: _step(SGD(0.1), Sequential), T,
             r"class Sequential"))
    add(Case("SGD(0.1).step([layer]) (a list of layers)", lambda: _step_list(SGD(0.1)),
             check=lambda moved: moved))
    add(Case("Adam().step(a duck-typed layer)",
             lambda: _duck_step(Adam(0.1)), check=lambda moved: moved))

    # -- fit, evaluate, accuracy ----------------------------------------------------------
    add(Case("fit(model, loss, SGD, ...) (the class)", lambda: _fit(optimizer=SGD), T,
             r"SGD\(0\.1\), not SGD"))
    add(Case("fit(model, loss, Adam, ...) (the class)", lambda: _fit(optimizer=Adam), T,
             r"Adam\(.*\), not Adam"))
    add(Case('fit(model, loss, "sgd", ...)', lambda: _fit(optimizer="sgd"), T, r"optimizer.*str"))
    add(Case("fit(model, loss, None, ...)", lambda: _fit(optimizer=None), T,
             r"optimizer.*None"))
    add(Case("fit(model, SoftmaxCrossEntropyLoss, ...) (the class)",
             lambda: _fit(loss=SoftmaxCrossEntropyLoss), T,
             r"SoftmaxCrossEntropyLoss\(\), not SoftmaxCrossEntropyLoss"))
    add(Case('fit(model, "mse", ...)', lambda: _regression_fit(loss="mse"), T,
             r"loss.*MSELoss\(\).*'mse'"))
    add(Case("fit(model, None, ...)", lambda: _fit(loss=None), T, r"loss.*None"))
    add(Case("fit([layers], loss, ...)", lambda: _fit(model=_mlp().layers), T,
             r"model.*list.*Sequential\("))
    add(Case("fit(Sequential, loss, ...) (the class)", lambda: _fit(model=Sequential), T,
             r"class Sequential"))
    add(Case('fit("model", loss, ...)', lambda: _fit(model="model"), T, r"model.*str"))
    add(Case("fit(a single Dense layer, ...)",
             lambda: _regression_fit(model=Dense(3, 1, rng=0)), check=_trained))
    add(Case("fit with a duck-typed loss", lambda: _regression_fit(loss=_DuckLoss()),
             check=_trained))
    add(Case("fit with a duck-typed layer",
             lambda: _regression_fit(model=Sequential([_DuckLayer(3), Dense(3, 1, rng=0)])),
             check=_trained))
    add(Case("fit with a loss returning an array",
             lambda: _regression_fit(loss=_ArrayLoss()), T, r"one number|a float|scalar"))
    add(Case('fit(..., seed="abc")', lambda: _fit(seed="abc"), T, r"seed.*'abc'"))
    add(Case("fit(..., seed=-1)", lambda: _fit(seed=-1), V, r"seed.*-1"))
    add(Case("fit(..., seed=1.5)", lambda: _fit(seed=1.5), T, r"seed.*1\.5"))
    add(Case("fit(..., seed=np.random.default_rng(0))",
             lambda: _fit(seed=np.random.default_rng(0)), check=_trained))
    add(Case("fit(..., epochs=True)", lambda: _fit(epochs=True), TV, r"epochs.*True"))
    add(Case("fit(..., epochs=0)", lambda: _fit(epochs=0), V, r"epochs.*0"))
    add(Case("fit(..., epochs=2.5)", lambda: _fit(epochs=2.5), TV, r"epochs.*2\.5"))
    add(Case('fit(..., epochs="3")', lambda: _fit(epochs="3"), TV, r"epochs.*'3'"))
    add(Case("fit(..., batch_size=0)", lambda: _fit(batch_size=0), V, r"batch_size.*0"))
    add(Case("fit(..., batch_size=False)", lambda: _fit(batch_size=False), TV,
             r"batch_size.*False"))
    add(Case("fit(..., batch_size=1000) (> N)", lambda: _fit(batch_size=1000), check=_trained))
    add(Case("fit(..., X as a list)", lambda: _fit(X=_X().tolist()), T, r"X.*list"))
    add(Case("fit(..., X of ints)", lambda: _fit(X=_X().astype(int)), T, r"X.*int64"))
    add(Case("fit(..., X of uint8 images)",
             lambda: _fit(X=np.zeros((8, 4), dtype=np.uint8)), T, r"X.*uint8"))
    add(Case("fit(..., y as a list)", lambda: _fit(y=_labels().tolist()), T, r"y.*list"))
    add(Case("fit(..., 8 samples, 7 labels)", lambda: _fit(y=_labels()[:7]), V,
             r"8 samples.*7"))
    add(Case("fit(..., X with NaN)", lambda: _fit(X=np.where(_X() > 1, np.nan, _X())), V,
             r"NaN"))
    add(Case("fit(..., y with NaN) (regression)",
             lambda: _regression_fit(y=np.full(16, np.nan)), V, r"NaN"))
    add(Case("fit(..., y of strings) (regression)",
             lambda: _regression_fit(y=np.array(["1.5"] * 16)), T, r"<U3|str"))
    add(Case("fit(..., y of complex numbers) (regression)",
             lambda: _regression_fit(y=np.ones(16, dtype=complex)), T, r"complex"))
    add(Case("fit(..., y label column (N, 1)) with SoftmaxCE",
             lambda: _fit(y=_labels()[:, None]), V, r"\(\d, 1\)"))
    add(Case("fit(..., float labels) with SoftmaxCE", lambda: _fit(y=_labels().astype(float)), T,
             r"integer"))
    add(Case("fit(..., np.matrix X)", lambda: _fit(X=np.matrix(_X())), T, r"matrix"))
    add(Case("fit(..., validation_data=[X, y]) (a list)",
             lambda: _fit(validation_data=[_X(), _labels()]),
             check=lambda h: len(h.val_loss) == 1))
    add(Case("fit(..., validation_data=(X,))", lambda: _fit(validation_data=(_X(),)), T,
             r"validation_data"))
    add(Case("fit(..., validation_data=X)", lambda: _fit(validation_data=_X()), T,
             r"validation_data"))
    add(Case("fit(..., validation_data with 5 features)",
             lambda: _fit(validation_data=(_X(8, 5), _labels())), V, r"4 features"))
    add(Case('fit(..., classification="yes")', lambda: _fit(classification="yes"), T,
             r"classification.*'yes'"))
    add(Case('fit(..., progress="no")', lambda: _fit(progress="no"), T, r"progress.*'no'"))
    add(Case("fit where the single batch's loss overflows to inf",
             _overflowing_single_batch_fit, V, r"epoch 1.*batch 1"))
    add(Case("fit with lr=1e6 (diverges)",
             lambda: _regression_fit(optimizer=SGD(1e6), epochs=50), V, r"epoch \d+.*batch \d+"))
    add(Case("accuracy(model, X, y[:, None]) (a label column)",
             lambda: accuracy(*_perfect_model()[:2], _perfect_model()[2][:, None]), V,
             r"\(8, 1\)", check=lambda acc: acc == 1.0))
    add(Case("accuracy(model, X, one-hot y)",
             lambda: accuracy(*_perfect_model()[:2], np.eye(3)[_labels()]),
             check=lambda acc: acc == 1.0))
    add(Case("accuracy(model, X, float labels 0.0, 1.0, ...)",
             lambda: accuracy(*_perfect_model()[:2], _labels().astype(float)),
             check=lambda acc: acc == 1.0))
    add(Case("accuracy(model, X, labels out of range)",
             lambda: accuracy(*_perfect_model()[:2], _labels() + 3), V, r"\[0, 3\)"))
    add(Case("evaluate(model, SoftmaxCE(), X, y[:, None])",
             lambda: evaluate(_mlp(), SoftmaxCrossEntropyLoss(), X, y[:, None]), V, r"\(8, 1\)"))
    add(Case("accuracy(model, X, y list)", lambda: accuracy(_mlp(), X, y.tolist()), T,
             r"y.*list"))
    add(Case("accuracy(one-output model, X, y)",
             lambda: accuracy(Sequential([Dense(4, 1, rng=0)]), X, y), V, r"1 (output|column)"))
    add(Case("accuracy(Sequential, X, y) (the class)", lambda: accuracy(Sequential, X, y), T,
             r"class Sequential"))
    add(Case('evaluate(model, "mse", X, y)', lambda: evaluate(_mlp(), "mse", X, np.eye(3)[y]),
             T, r"loss.*'mse'"))
    add(Case("evaluate(model, MSELoss, X, y) (the class)",
             lambda: evaluate(_mlp(), MSELoss, X, np.eye(3)[y]), T, r"MSELoss\(\), not MSELoss"))
    add(Case('evaluate(model, MSELoss(), X, y, classification="yes")',
             lambda: evaluate(_mlp(), MSELoss(), X, np.eye(3)[y], classification="yes"), T,
             r"classification.*'yes'"))

    # -- gradcheck ------------------------------------------------------------------------
    def f0() -> float:
        return 0.0
    add(Case("numerical_gradient(f, list)", lambda: gradcheck.numerical_gradient(f0, [1.0, 2.0]),
             T, r"x.*list"))
    add(Case("numerical_gradient(f, float32 x)",
             lambda: gradcheck.numerical_gradient(f0, np.zeros(3, np.float32)), T, r"float64"))
    add(Case("numerical_gradient(f, int x)",
             lambda: gradcheck.numerical_gradient(f0, np.zeros(3, int)), T, r"float64"))
    add(Case("numerical_gradient(f, x, h=0)",
             lambda: gradcheck.numerical_gradient(lambda: 1.0, np.zeros(3), h=0), V, r"h.*0"))
    add(Case("numerical_gradient(f, x, h=-1e-6)",
             lambda: gradcheck.numerical_gradient(f0, np.zeros(3), h=-1e-6), V, r"h.*-1e-06"))
    add(Case('numerical_gradient(f, x, h="1e-6")',
             lambda: gradcheck.numerical_gradient(f0, np.zeros(3), h="1e-6"), T, r"h.*'1e-6'"))
    add(Case("numerical_gradient(x, f) (swapped)",
             lambda: gradcheck.numerical_gradient(np.zeros(3), f0), T, r"f.*callable|function"))
    add(Case("numerical_gradient(f returning an array, x)",
             lambda: gradcheck.numerical_gradient(lambda: np.zeros(2), np.zeros(3)), TV,
             r"one number|scalar"))
    add(Case("check_layer(layer, list)",
             lambda: gradcheck.check_layer(Sigmoid(), X.tolist()), T, r"x.*list"))
    add(Case("check_layer(Dense, x) (the class)", lambda: gradcheck.check_layer(Dense, X), T,
             r"class Dense"))
    add(Case("check_layer(layer, float32 x)",
             lambda: gradcheck.check_layer(Sigmoid(), X.astype(np.float32)), T, r"float64"))
    add(Case("check_layer(layer, x, h=0)", lambda: gradcheck.check_layer(Sigmoid(), X, h=0), V,
             r"h.*0"))
    add(Case('check_layer(layer, x, seed="a")',
             lambda: gradcheck.check_layer(Sigmoid(), X, seed="a"), T, r"seed.*'a'"))
    add(Case("check_layer(Dense(784, 128), x) (large)", _gradcheck_large,
             check=_accurate_and_said))
    add(Case("check_loss(loss, list, target)",
             lambda: gradcheck.check_loss(MSELoss(), [[1.0]], np.ones((1, 1))), T,
             r"pred.*list"))
    add(Case("check_loss(MSELoss, pred, target) (the class)",
             lambda: gradcheck.check_loss(MSELoss, np.ones((2, 1)), np.ones((2, 1))), T,
             r"MSELoss\(\), not MSELoss"))
    add(Case("check_loss(loss, pred, target, h=0)",
             lambda: gradcheck.check_loss(MSELoss(), np.ones((2, 1)), np.zeros((2, 1)), h=0), V,
             r"h.*0"))
    add(Case("relative_error(a, b) of different shapes",
             lambda: gradcheck.relative_error(np.ones(3), np.ones(4)), V, r"\(3,\).*\(4,\)"))

    # -- data -----------------------------------------------------------------------------
    add(Case('load_mnist(["train"])', lambda: data.load_mnist(["train"]), T, r"split.*list"))
    add(Case('load_mnist("validation")', lambda: data.load_mnist("validation"), V,
             r"'validation'"))
    add(Case("load_mnist(None)", lambda: data.load_mnist(None), TV, r"split.*None"))
    add(Case('load_boston(drop_b="no")', lambda: data.load_boston(drop_b="no"), T,
             r"drop_b.*'no'"))
    add(Case("load_boston(drop_b=None)", lambda: data.load_boston(drop_b=None), T,
             r"drop_b.*None"))
    add(Case("load_boston(drop_b=np.True_)", lambda: data.load_boston(drop_b=np.True_),
             check=lambda r: r[0].shape == (506, 12)))
    add(Case("load_mnist with COURSE_DATA_DIR a missing folder",
             lambda: _env("COURSE_DATA_DIR", "/nonexistent/course-data",
                          lambda: data.load_mnist("test")), D,
             r"/nonexistent/course-data.*COURSE_DATA_DIR"))
    add(Case("one_hot(np.array([], dtype=int))", lambda: data.one_hot(np.array([], dtype=int)), V,
             r"num_classes"))
    add(Case("one_hot([])", lambda: data.one_hot([]), TV, r"num_classes|empty"))
    add(Case("one_hot([], 3)", lambda: data.one_hot([], 3), check=lambda o: o.shape == (0, 3)))
    add(Case("one_hot(y, 2.5)", lambda: data.one_hot(np.array([0, 1]), 2.5), T,
             r"num_classes.*2\.5"))
    add(Case('one_hot(y, "3")', lambda: data.one_hot(np.array([0, 1]), "3"), T,
             r"num_classes.*'3'"))
    add(Case("one_hot(y, 0)", lambda: data.one_hot(np.array([0, 1]), 0), V,
             r"num_classes|\[0, 0\)"))
    add(Case("one_hot(y, True)", lambda: data.one_hot(np.array([0, 0]), True), T,
             r"num_classes.*True"))
    add(Case("one_hot(y, np.int64(3))", lambda: data.one_hot(np.array([0, 2]), np.int64(3)),
             check=lambda o: o.shape == (2, 3)))
    add(Case("one_hot([0, 2, 1]) (a list)", lambda: data.one_hot([0, 2, 1]),
             check=lambda o: o.shape == (3, 3) and o[1, 2] == 1))
    add(Case("one_hot(float labels)", lambda: data.one_hot(np.array([0.0, 1.0])), T,
             r"integer.*float64"))
    add(Case("one_hot(2-D labels)", lambda: data.one_hot(np.zeros((2, 2), dtype=int)), TV,
             r"\(2, 2\)"))
    add(Case("one_hot(negative labels)", lambda: data.one_hot(np.array([-1, 0])), V, r">= 0"))
    add(Case("one_hot(labels >= num_classes)", lambda: data.one_hot(np.array([0, 3]), 3), V,
             r"\[0, 3\)"))

    # -- lesson 06: Dropout, BatchNorm, weight decay, early stopping ------------------------
    add(Case("Dropout(1.0)", lambda: Dropout(1.0), V, r"p \(the probability of dropping.*1\.0"))
    add(Case("Dropout(-0.5)", lambda: Dropout(-0.5), V, r"p \(the probability.*-0\.5"))
    add(Case('Dropout("0.5")', lambda: Dropout("0.5"), T, r"p \(the probability.*'0\.5'"))
    add(Case("Dropout(50) (a percentage)", lambda: Dropout(50), V, r"\[0, 1\).*50"))
    add(Case('Dropout(0.5, rng="seed")', lambda: Dropout(0.5, rng="seed"), T, r"rng.*str"))
    add(Case("Dropout(0.5).backward before forward", lambda: Dropout(0.5).backward(X), R,
             r"call forward before backward"))
    add(Case("BatchNorm(4.0)", lambda: BatchNorm(4.0), T, r"num_features.*4\.0"))
    add(Case("BatchNorm(4, momentum=2)", lambda: BatchNorm(4, momentum=2), V, r"momentum.*2"))
    add(Case("BatchNorm(4, eps=0)", lambda: BatchNorm(4, eps=0), V, r"eps.*0"))
    add(Case("BatchNorm(4) on a batch of one (training)", lambda: BatchNorm(4).forward(X[:1]), V,
             r"at least 2 samples.*\(1, 4\).*eval"))
    add(Case("BatchNorm(3) on 4 features", lambda: BatchNorm(3).forward(X), V,
             r"3 features.*\(8, 4\)"))
    add(Case("BatchNorm(4) on images (N, C, H, W)",
             lambda: BatchNorm(4).forward(np.ones((2, 4, 3, 3))), V, r"2-D.*\(2, 4, 3, 3\)"))
    add(Case("BatchNorm(4) on a batch of one (evaluation)",
             lambda: Sequential([BatchNorm(4)]).eval().forward(X[:1]),
             check=lambda o: o.shape == (1, 4)))
    add(Case("model.predict with BatchNorm, one sample",
             lambda: Sequential([Dense(4, 4, rng=0), BatchNorm(4)]).predict(X[:1]),
             check=lambda o: o.shape == (1, 4)))
    add(Case('model.train("no")', lambda: _mlp().train("no"), T, r"mode.*True or False"))
    add(Case("SGD(0.1, weight_decay=-1e-4)", lambda: SGD(0.1, weight_decay=-1e-4), V,
             r"weight_decay.*>= 0"))
    add(Case('Adam(weight_decay="1e-4")', lambda: Adam(weight_decay="1e-4"), T,
             r"weight_decay.*'1e-4'"))
    add(Case("fit(early_stopping=3) without validation_data",
             lambda: _fit(early_stopping=3), V, r"early_stopping.*validation_data"))
    add(Case("fit(early_stopping=0)",
             lambda: _fit(early_stopping=0, validation_data=(X, y)), V, r"early_stopping.*0"))
    add(Case("fit(early_stopping=2.5)",
             lambda: _fit(early_stopping=2.5, validation_data=(X, y)), T,
             r"early_stopping.*2\.5"))
    add(Case("fit(early_stopping=True)",
             lambda: _fit(early_stopping=True, validation_data=(X, y)), T,
             r"early_stopping.*True"))

    # -- sequences (lesson 09): layers, the masked loss, clipping, words ------------------
    from course_lib.layers import LSTM, RNN, Embedding, TimeDense
    from course_lib.losses import SequenceCrossEntropyLoss
    from course_lib.optim import clip_grad_norm
    from course_lib.text import encode_words
    seq = np.random.default_rng(0).standard_normal((2, 5, 3))
    tokens = np.array([[0, 1, 2], [2, 1, 0]])
    add(Case("Embedding(5, 2).forward(float tokens)",
             lambda: Embedding(5, 2).forward(tokens.astype(float)), T, r"integer token indices"))
    add(Case("Embedding(3, 2).forward(token 3)", lambda: Embedding(3, 2).forward(tokens + 1), V,
             r"\[0, 3\).*from 1 to 3"))
    add(Case("Embedding(5, 2).forward(list)", lambda: Embedding(5, 2).forward([[0, 1]]), T,
             r"NumPy array, got list"))
    add(Case("Embedding(0, 2)", lambda: Embedding(0, 2), V, r"num_embeddings.*0"))
    add(Case("Embedding(5, 2).backward before forward",
             lambda: Embedding(5, 2).backward(np.zeros((2, 3, 2))), R, r"forward before backward"))
    add(Case("RNN(3, 4).forward(2-D x)", lambda: RNN(3, 4).forward(seq[:, 0]), V,
             r"3-D \(batch first\)"))
    add(Case("RNN(4, 4).forward(x with 3 features)", lambda: RNN(4, 4).forward(seq), V,
             r"\(N, T, 4\).*3 features"))
    add(Case("LSTM(3, 4).forward(int x)", lambda: LSTM(3, 4).forward(seq.astype(int)), T,
             r"float32 or float64, got int64"))
    add(Case("LSTM(3, 4).forward(x with NaN)",
             lambda: LSTM(3, 4).forward(np.where(seq > 1, np.nan, seq)), V, r"NaN"))
    add(Case('LSTM(3, "4")', lambda: LSTM(3, "4"), TV, r"hidden_size.*'4'"))
    add(Case("LSTM(3, 4).forward(large x) stays finite",
             lambda: LSTM(3, 4, rng=0).forward(seq * 1e4),
             check=lambda h: bool(np.isfinite(h).all())))
    add(Case("TimeDense(4, 2).forward(x with 3 features)", lambda: TimeDense(4, 2).forward(seq),
             V, r"\(N, T, 4\), got \(2, 5, 3\)"))
    z = np.zeros((2, 3, 4))
    add(Case("SequenceCrossEntropyLoss: target token 4 of 4",
             lambda: SequenceCrossEntropyLoss().forward(z, np.full((2, 3), 4)), V,
             r"\[0, 4\).*from 4 to 4"))
    add(Case("SequenceCrossEntropyLoss: float mask",
             lambda: SequenceCrossEntropyLoss().forward(z, np.zeros((2, 3), int), np.ones((2, 3))),
             T, r"mask must be boolean"))
    add(Case("SequenceCrossEntropyLoss: all-False mask",
             lambda: SequenceCrossEntropyLoss().forward(z, np.zeros((2, 3), int),
                                                        np.zeros((2, 3), bool)), V,
             r"counts no position"))
    add(Case("SequenceCrossEntropyLoss: padding holds -1 (masked)",
             lambda: SequenceCrossEntropyLoss().forward(z, np.array([[1, -1, -1], [2, 3, -1]]),
                                                        np.array([[1, 0, 0], [1, 1, 0]], bool)),
             check=lambda v: np.isclose(v, np.log(4))))
    add(Case("SequenceCrossEntropyLoss: logits 1e4",
             lambda: SequenceCrossEntropyLoss().forward(z + np.eye(4)[[0, 1, 2]] * 1e4,
                                                        np.zeros((2, 3), int)),
             check=lambda v: bool(np.isfinite(v))))
    add(Case("clip_grad_norm(layer, 0)", lambda: clip_grad_norm(Dense(2, 2, rng=0), 0), V,
             r"max_norm"))
    add(Case("clip_grad_norm before backward", lambda: clip_grad_norm(Dense(2, 2, rng=0), 1.0), R,
             r"no gradient"))
    add(Case('clip_grad_norm(layer, "1")', lambda: clip_grad_norm(Dense(2, 2, rng=0), "1"), TV,
             r"max_norm"))
    add(Case('encode_words("cat")', lambda: encode_words("cat"), T, r"pass \[word\]"))
    add(Case('encode_words(["Cat"])', lambda: encode_words(["Cat"]), V, r"lowercase a-z"))
    add(Case('encode_words(["cat"], length=2)', lambda: encode_words(["cat"], length=2), V,
             r"too short"))
    add(Case("split_words(words, (0.5, 0.5, 0.5))",
             lambda: data.split_words(["a", "b", "c"], (0.5, 0.5, 0.5)), V, r"sum to 1"))
    add(Case("split_words(words, seed=-1)",
             lambda: data.split_words(["a", "b", "c", "d"], (0.5, 0.25, 0.25), seed=-1), V,
             r"seed"))
    return c


def _forward_then(layer: object, x: np.ndarray, grad: object) -> object:
    layer.forward(x)
    return layer.backward(grad)


def _backward_np_matrix(layer: object) -> object:
    """Sigmoid's backward with np.matrix: g * y * (1 - y) would be a matrix product."""
    x = np.matrix(_X(2, 2))
    y = layer.forward(x)
    return layer.backward(np.matrix(np.ones_like(y)))


def _nested_sequential_trains() -> bool:
    inner = Sequential([Dense(3, 3, rng=0), Tanh()])
    model = Sequential([inner, Dense(3, 1, rng=1)])
    before = inner.layers[0].params["W"].copy()
    _regression_fit(model=model)
    return not np.array_equal(inner.layers[0].params["W"], before)


def _duck_step(optimizer: object) -> bool:
    layer = _DuckLayer(3)
    layer.forward(np.ones((2, 3)))
    layer.backward(np.ones((2, 3)))
    before = layer.params["w"].copy()
    optimizer.step(layer)
    return not np.array_equal(layer.params["w"], before)


def _step_list(optimizer: object) -> bool:
    layer = Dense(4, 3, rng=0)
    layer.backward(np.ones_like(layer.forward(_X())))
    before = layer.params["W"].copy()
    optimizer.step([layer])
    return not np.array_equal(layer.params["W"], before)


def run(quiet: bool = False) -> Counter:
    """Classify every case; print the table (unless ``quiet``) and the counts."""
    counts: Counter = Counter()
    for case in cases():
        outcome, detail = classify(case)
        counts[outcome] += 1
        if not quiet:
            print(f"{outcome:10s} {case.name:60s} {detail[:110]}")
    total = sum(counts.values())
    print(f"\n{total} cases: " + ", ".join(f"{counts[o]} {o}" for o in OUTCOMES))
    return counts


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quiet", action="store_true", help="print the counts only")
    run(parser.parse_args().quiet)
