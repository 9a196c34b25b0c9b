"""Lesson 05's exercise checks: a correct answer passes, each usual slip gets its own message.

Also smoke tests for the lesson's plot helpers, plots.confusion_matrices and plots.histogram_grid.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402

from course_lib import checks, plots  # noqa: E402
from course_lib.checks import lesson05  # noqa: E402
from course_lib.layers import sigmoid  # noqa: E402


# --- check_sigmoid_slope ---------------------------------------------------------------
def sigmoid_prime_right(x):
    s = sigmoid(x)
    return s * (1 - s)


def test_sigmoid_slope_correct_passes(capsys):
    checks.check_sigmoid_slope(sigmoid_prime_right, 0.25, 0.25 ** 3)
    assert capsys.readouterr().out.strip() == checks.PASSED


def test_sigmoid_slope_accepts_the_exp_formula_and_numpy_scalars(capsys):
    checks.check_sigmoid_slope(lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2,
                               np.float64(0.25), np.float32(1 / 64))
    assert capsys.readouterr().out.strip() == checks.PASSED


@pytest.mark.parametrize("wrong,message", [
    (sigmoid, r"returned sigmoid\(x\) itself"),
    (lambda x: 1 - np.tanh(x) ** 2, r"is tanh's derivative"),
    (lambda x: 1 - sigmoid(x) ** 2, r"returned 1 - s\*\*2"),
    (lambda x: 1 - sigmoid(x), r"returned 1 - s; multiply by s"),
    (lambda x: 2 * sigmoid_prime_right(x), r"It is 2 times the expected value"),
    (lambda x: sigmoid_prime_right(x)[:-1], r"should have shape \(33,\), got \(32,\)"),
    (lambda x: sigmoid_prime_right(x).tolist(), r"should be a NumPy array.*got a list"),
    (lambda x: sigmoid_prime_right(x) + (x == 0), r"at index \(16,\) it is 1.25, expected 0.25"),
])
def test_sigmoid_slope_wrong_function_is_named(wrong, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_sigmoid_slope(wrong, 0.25, 0.25 ** 3)


@pytest.mark.parametrize("max_slope,bound,message", [
    (0.5, 0.25 ** 3, r"max_slope = 0.5 is the value sigmoid\(0\), not its slope"),
    (1.0, 0.25 ** 3, r"max_slope = 1 is the largest slope of tanh"),
    (0.2, 0.25 ** 3, r"max_slope = 0.2 is not the largest value"),
    ("0.25", 0.25 ** 3, r"max_slope should be a number, got str"),
    (0.25, 0.75, r"adds the three slopes; the chain rule multiplies them"),
    (0.25, 0.25 ** 4, r"counts four sigmoids"),
    (0.25, 0.25, r"is one layer's bound"),
    (0.25, 0.5 ** 3, r"uses sigmoid\(0\) = 0.5, the value, not the slope"),
    (0.25, 0.01, r"three_layer_bound = 0.01, expected max_slope \*\* 3 = 0.015625"),
    (0.25, None, r"three_layer_bound should be a number, got NoneType"),
])
def test_sigmoid_slope_wrong_numbers_are_named(max_slope, bound, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_sigmoid_slope(sigmoid_prime_right, max_slope, bound)


# --- check_macro_f1 ---------------------------------------------------------------------
def macro_f1_right(cm):
    tp = np.diag(cm).astype(float)
    fp = cm.sum(axis=0) - tp
    fn = cm.sum(axis=1) - tp
    return float(np.mean(2 * tp / (2 * tp + fp + fn)))


def macro_f1_from_precision_recall(cm):
    tp = np.diag(cm).astype(float)
    predicted, support = cm.sum(axis=0), cm.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = tp / support
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros_like(tp),
                   where=precision + recall > 0)
    return f1.mean()


def per_class(cm):
    tp = np.diag(cm).astype(float)
    return tp, cm.sum(axis=0).astype(float), cm.sum(axis=1).astype(float)


def test_macro_f1_correct_passes(capsys):
    checks.check_macro_f1(macro_f1_right)
    assert capsys.readouterr().out.strip() == checks.PASSED


def test_macro_f1_precision_recall_route_with_zero_guard_passes(capsys):
    checks.check_macro_f1(macro_f1_from_precision_recall)
    assert capsys.readouterr().out.strip() == checks.PASSED


def test_macro_f1_reference_is_sklearn():
    cm = checks.L05_CONFUSION
    y_true = np.repeat(np.arange(4), cm.sum(axis=1))
    y_pred = np.concatenate([np.repeat(np.arange(4), row) for row in cm])
    assert np.isclose(macro_f1_right(cm), f1_score(y_true, y_pred, average="macro"))


def test_macro_f1_slips_differ_on_the_fixed_matrix():
    values = [v for v, _ in lesson05._l05_macro_f1_slips(lesson05.L05_CONFUSION)]
    values.append(macro_f1_right(checks.L05_CONFUSION))
    assert np.min(np.diff(np.sort(values))) > 1e-3


def accuracy_slip(cm):
    return np.trace(cm) / cm.sum()


def weighted_slip(cm):
    tp, predicted, support = per_class(cm)
    return float(((2 * tp / (predicted + support)) * support).sum() / support.sum())


def f1_of_means_slip(cm):
    tp, predicted, support = per_class(cm)
    p = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0).mean()
    r = (tp / support).mean()
    return 2 * p * r / (p + r)


def arithmetic_slip(cm):
    tp, predicted, support = per_class(cm)
    p = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    return float(((p + tp / support) / 2).mean())


def precision_slip(cm):
    tp, predicted, _ = per_class(cm)
    return np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0).mean()


def recall_slip(cm):
    tp, _, support = per_class(cm)
    return (tp / support).mean()


def no_zero_guard(cm):
    tp, predicted, support = per_class(cm)
    precision, recall = tp / predicted, tp / support
    return float(np.mean(2 * precision * recall / (precision + recall)))


def per_class_slip(cm):
    tp, predicted, support = per_class(cm)
    return 2 * tp / (predicted + support)


@pytest.mark.parametrize("wrong,message", [
    (accuracy_slip, r"4 classes\) = 0\.834\d+ is the accuracy \(the micro-averaged F1\)"),
    (weighted_slip, r"weights = class sizes \(average='weighted'\)"),
    (f1_of_means_slip, r"harmonic mean of the macro precision and macro recall"),
    (arithmetic_slip, r"averages precision and recall arithmetically"),
    (precision_slip, r"is the macro precision"),
    (recall_slip, r"is the macro recall"),
    (no_zero_guard, r"class 7 is never predicted is nan\. A class that is never predicted has "
                    r"TP \+ FP = 0"),
    (per_class_slip, r"returned 4 numbers, one per class"),
    (lambda cm: str(macro_f1_right(cm)), r"should return a number \(a float\), got str"),
    (lambda cm: macro_f1_right(cm) + 0.01, r"expected 0\.796\d+ \(scikit-learn's f1_score"),
    (lambda cm: macro_f1_right(cm[:3, :3]), r"for L05_CONFUSION \(4 classes\) = "),
])
def test_macro_f1_wrong_is_named(wrong, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_macro_f1(wrong)


def test_macro_f1_accepts_a_zero_dim_array(capsys):
    checks.check_macro_f1(lambda cm: np.array(macro_f1_right(cm)))
    assert capsys.readouterr().out.strip() == checks.PASSED


# --- plots.confusion_matrices -----------------------------------------------------------
@pytest.mark.parametrize("log", [True, False])
def test_confusion_matrices_draws_one_panel_per_matrix(log):
    cm = checks.L05_CONFUSION
    fig = plots.confusion_matrices({"a": cm, "b": cm.T}, labels=list("wxyz"), log=log)
    try:
        assert [ax.get_title() for ax in fig.axes] == ["a", "b"]
        texts = [t.get_text() for t in fig.axes[0].texts]
        assert texts[0] == "9" and texts[5] == "48"
        assert ("" in texts) == log and ("0" in texts) == (not log)
    finally:
        plt.close(fig)
