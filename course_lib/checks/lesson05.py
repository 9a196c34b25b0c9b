"""Checks for lesson 05: activations on MNIST."""

from __future__ import annotations

import numpy as np

from .common import PASSED, compare_arrays, fail

#: Where check_sigmoid_slope evaluates the student's sigmoid derivative.
L05_GRID = np.linspace(-8.0, 8.0, 33)

#: A small confusion matrix (rows: true class, columns: predicted) for check_macro_f1;
#: its accuracy, weighted F1, macro precision and recall all differ from its macro F1.
L05_CONFUSION = np.array([[9, 0, 0, 0],
                          [2, 48, 8, 4],
                          [0, 0, 10, 0],
                          [4, 4, 0, 44]])


def _l05_sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def check_sigmoid_slope(sigmoid_prime, max_slope: float, three_layer_bound: float) -> None:
    """Check the sigmoid-derivative exercise.

    ``sigmoid_prime(x)`` must return ``s (1 - s)`` with ``s = sigmoid(x)``, elementwise;
    ``max_slope`` its largest value (0.25, at x = 0); ``three_layer_bound`` the most
    that three sigmoid layers can scale a gradient by through their slopes alone
    (0.25 ** 3). Names the usual slips: sigmoid itself returned, tanh's derivative,
    ``1 - s**2``, the value sigmoid(0) = 0.5 given as the slope, slopes added instead
    of multiplied, the output layer counted.
    """
    x = L05_GRID.copy()
    s = _l05_sigmoid(L05_GRID)
    expected = s * (1.0 - s)
    got = sigmoid_prime(x)
    what = "sigmoid_prime(x) on x = np.linspace(-8, 8, 33)"
    if isinstance(got, np.ndarray) and got.shape == expected.shape and np.all(np.isfinite(got)):
        slips = [(s, "returned sigmoid(x) itself; the slope is sigmoid(x) * (1 - sigmoid(x))."),
                 (1.0 - np.tanh(L05_GRID) ** 2, "is tanh's derivative, 1 - tanh(x)**2; for the "
                                                "sigmoid s it is s * (1 - s)."),
                 (1.0 - s ** 2, "returned 1 - s**2 (tanh's rule applied to the sigmoid); for "
                                "the sigmoid s the slope is s * (1 - s)."),
                 (1.0 - s, "returned 1 - s; multiply by s: the slope is s * (1 - s).")]
        for wrong, message in slips:
            if np.allclose(got, wrong) and not np.allclose(got, expected):
                fail(f"{what} {message}")
    compare_arrays(got, expected, what)

    if not isinstance(max_slope, (int, float, np.floating, np.integer)):
        fail(f"max_slope should be a number, got {type(max_slope).__name__}.")
    if np.isclose(max_slope, 0.5):
        fail("max_slope = 0.5 is the value sigmoid(0), not its slope: the slope at 0 is "
              "sigmoid(0) * (1 - sigmoid(0)) = 0.5 * 0.5.")
    if np.isclose(max_slope, 1.0):
        fail("max_slope = 1 is the largest slope of tanh (and ReLU's slope); the sigmoid is "
              "flatter: evaluate sigmoid_prime on a grid and take the maximum.")
    if not np.isclose(max_slope, 0.25, rtol=1e-3):
        fail(f"max_slope = {max_slope:.4g} is not the largest value of sigmoid_prime: look at "
              f"sigmoid_prime(np.linspace(-5, 5, 1001)).max() and where it is reached.")

    if not isinstance(three_layer_bound, (int, float, np.floating, np.integer)):
        fail(f"three_layer_bound should be a number, got {type(three_layer_bound).__name__}.")
    if np.isclose(three_layer_bound, 0.75):
        fail("three_layer_bound = 0.75 adds the three slopes; the chain rule multiplies them: "
              "max_slope ** 3.")
    if np.isclose(three_layer_bound, 0.25 ** 4):
        fail("three_layer_bound = 0.25 ** 4 counts four sigmoids; the network has three hidden "
              "sigmoid layers (the output layer is linear, its softmax is in the loss).")
    if np.isclose(three_layer_bound, 0.25):
        fail("three_layer_bound = 0.25 is one layer's bound; the gradient passes through three "
              "sigmoid layers, and the chain rule multiplies their slopes.")
    if np.isclose(three_layer_bound, 0.5 ** 3):
        fail("three_layer_bound = 0.5 ** 3 uses sigmoid(0) = 0.5, the value, not the slope 0.25.")
    if not np.isclose(three_layer_bound, 0.25 ** 3, rtol=1e-3):
        fail(f"three_layer_bound = {three_layer_bound:.4g}, expected max_slope ** 3 = "
              f"{0.25 ** 3}: three layers, each multiplying the gradient by at most max_slope.")
    print(PASSED)


def _l05_labels_from_confusion(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (y_true, y_pred) pairs a confusion matrix counts, for scikit-learn's metrics."""
    k = cm.shape[0]
    pairs = np.repeat(np.arange(k * k), cm.ravel())
    return pairs // k, pairs % k


def _l05_macro_f1_slips(cm: np.ndarray) -> list[tuple[float, str]]:
    """Answers that come from a usual slip, each with the message that names it."""
    cm = cm.astype(float)
    tp = np.diag(cm)
    support, predicted = cm.sum(axis=1), cm.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(support > 0, tp / support, 0.0)
        f1 = np.where(2 * tp + (predicted - tp) + (support - tp) > 0,
                      2 * tp / (predicted + support), 0.0)
        mp, mr = precision.mean(), recall.mean()
        return [
            (tp.sum() / cm.sum(), "is the accuracy (the micro-averaged F1): every sample counts "
                                  "once. Macro F1 computes F1 for each class, then takes their "
                                  "plain mean, so rare classes count as much as common ones."),
            ((f1 * support).sum() / support.sum(), "is the F1 averaged with weights = class "
                                                   "sizes (average='weighted'); macro F1 gives "
                                                   "every class the same weight."),
            (2 * mp * mr / (mp + mr), "is the harmonic mean of the macro precision and macro "
                                      "recall; macro F1 is the mean of the per-class F1 "
                                      "scores, F1_k = 2 P_k R_k / (P_k + R_k)."),
            (((precision + recall) / 2).mean(), "averages precision and recall arithmetically; "
                                                "F1 is their harmonic mean, "
                                                "2 P R / (P + R)."),
            (mp, "is the macro precision (the mean of TP / column sums); F1 also needs the "
                 "recall TP / row sums."),
            (mr, "is the macro recall (the mean of TP / row sums); F1 also needs the precision "
                 "TP / column sums."),
        ]


def check_macro_f1(macro_f1_fn) -> None:
    """Check ``macro_f1_fn(cm)``: the macro-averaged F1 score from a confusion matrix.

    ``cm[i, j]`` counts samples of true class i predicted as j. The reference is
    scikit-learn's ``f1_score(y_true, y_pred, average="macro")`` on the labels the
    matrix counts. The check uses :data:`L05_CONFUSION` and a 10-class matrix with
    a class that is never predicted, and names the usual slips: the accuracy
    (micro F1), the support-weighted F1, F1 of the averaged precision and recall,
    the arithmetic mean of precision and recall, per-class scores not averaged,
    NaN from a class with no predictions.
    """
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(5)
    big = rng.integers(0, 4, size=(10, 10)) + np.diag(rng.integers(40, 90, size=10))
    big[:, 7] = 0  # class 7 is never predicted: its precision is 0 / 0
    for name, cm in (("L05_CONFUSION (4 classes)", L05_CONFUSION),
                     ("a 10-class matrix in which class 7 is never predicted", big)):
        y_true, y_pred = _l05_labels_from_confusion(cm)
        expected = float(f1_score(y_true, y_pred, average="macro", zero_division=0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            got = macro_f1_fn(cm.copy())
        what = f"macro_f1(cm) for {name}"
        if isinstance(got, np.ndarray) and got.shape == (cm.shape[0],):
            fail(f"{what} returned {got.shape[0]} numbers, one per class. Macro F1 is one "
                  f"number: the mean of the per-class F1 scores.")
        if isinstance(got, np.ndarray) and got.ndim == 0:
            got = got.item()
        if not isinstance(got, (int, float, np.floating, np.integer)):
            fail(f"{what} should return a number (a float), got {type(got).__name__}.")
        got = float(got)
        if not np.isfinite(got):
            fail(f"{what} is {got}. A class that is never predicted has TP + FP = 0, so its "
                  f"precision TP / (TP + FP) is 0 / 0. Count it as 0, as scikit-learn does, or "
                  f"use F1 = 2 TP / (2 TP + FP + FN), which is defined whenever the class "
                  f"occurs.")
        if np.isclose(got, expected, rtol=1e-6, atol=1e-9):
            continue
        for wrong, message in _l05_macro_f1_slips(cm):
            if np.isclose(got, wrong, rtol=1e-6, atol=1e-9):
                fail(f"{what} = {got:.6f} {message} Expected {expected:.6f}.")
        fail(f"{what} = {got:.6f}, expected {expected:.6f} (scikit-learn's f1_score with "
              f"average='macro'). Per class k: TP = cm[k, k], FP = column sum - TP, FN = row "
              f"sum - TP, F1_k = 2 TP / (2 TP + FP + FN); then the mean over classes.")
    print(PASSED)
