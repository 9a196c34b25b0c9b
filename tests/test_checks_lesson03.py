"""Lesson 03's exercise checks: a correct answer passes, each usual slip gets its message.

Also smoke tests for the plot helpers lessons 02 and 03 added to course_lib.plots.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from course_lib import checks, plots  # noqa: E402
from course_lib.layers import Dense, ReLU, Sigmoid, Softmax, Tanh  # noqa: E402
from course_lib.model import Sequential  # noqa: E402


# --- check_digits_model ----------------------------------------------------------------
def test_digits_model_correct_passes(capsys):
    rng = np.random.default_rng(0)
    checks.check_digits_model(Sequential([Dense(64, 89, init="glorot", rng=rng), Tanh(),
                                          Dense(89, 10, init="glorot", rng=rng)]))
    assert capsys.readouterr().out.strip() == checks.PASSED


@pytest.mark.parametrize("make,message", [
    (lambda: [Dense(64, 89, rng=0), Tanh(), Dense(89, 10, rng=0)],
     r"should be a course_lib.model.Sequential, got list"),
    (lambda: Sequential([Dense(64, 89, rng=0), Tanh(), Dense(89, 10, rng=0), Softmax()]),
     r"The last layer is a Softmax. Leave it out"),
    (lambda: Sequential([Dense(64, 89, rng=0), Tanh(), Dense(89, 10, rng=0), Sigmoid()]),
     r"The output has an activation, Sigmoid\(\)"),
    (lambda: Sequential([Dense(64, 89, rng=0), Dense(89, 10, rng=0)]),
     r"should have 3 layers, .* got 2: Dense\(64 -> 89"),
    (lambda: Sequential([Dense(64, 89, rng=0), ReLU(), Dense(89, 10, rng=0)]),
     r"Layer 1, the hidden activation, should be Tanh\(\), got ReLU\(\)"),
    (lambda: Sequential([Dense(89, 64, rng=0), Tanh(), Dense(89, 10, rng=0)]),
     r"Layer 0 should be Dense\(64 -> 89\), got Dense\(89 -> 64\)\. n_in and n_out are swapped"),
    (lambda: Sequential([Dense(64, 89, rng=0), Tanh(), Dense(89, 1, rng=0)]),
     r"Layer 2 should be Dense\(89 -> 10\), got Dense\(89 -> 1\)\.$"),
    (lambda: Sequential([Tanh(), Tanh(), Dense(89, 10, rng=0)]),
     r"Layer 0 should be Dense\(64 -> 89\), got Tanh\(\)"),
    (lambda: Sequential([Dense(64, 89, init="zeros"), Tanh(), Dense(89, 10, rng=0)]),
     r"Layer 0's weights are all zero"),
])
def test_digits_model_slips(make, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_digits_model(make())


# --- check_mlp_backward ----------------------------------------------------------------
def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def backward_right(X, y, W1, b1, W2, b2):
    N = len(X)
    h = np.tanh(X @ W1 + b1)
    p = softmax(h @ W2 + b2)
    p[np.arange(N), y] -= 1.0
    delta2 = p / N
    delta1 = (delta2 @ W2.T) * (1 - h ** 2)
    return X.T @ delta1, delta1.sum(axis=0), h.T @ delta2, delta2.sum(axis=0)


def test_mlp_backward_correct_passes(capsys):
    checks.check_mlp_backward(backward_right)
    checks.check_mlp_backward(lambda *args: list(backward_right(*args)))
    assert capsys.readouterr().out.split() == checks.PASSED.split() * 2


def backward_variant(*, per_sample_sum=False, scores=False, local="tanh", transpose_w1=False,
                     sign=1.0):
    def backward(X, y, W1, b1, W2, b2):
        N = len(X)
        a = X @ W1 + b1
        h = np.tanh(a)
        z = h @ W2 + b2
        t = np.eye(W2.shape[1])[y]
        delta2 = sign * ((z if scores else softmax(z)) - t) / (1 if per_sample_sum else N)
        slope = {"tanh": 1 - h ** 2, "sigmoid": h * (1 - h), "pre": 1 - a ** 2,
                 "none": 1.0}[local]
        delta1 = (delta2 @ W2.T) * slope
        dW1 = X.T @ delta1
        return (dW1.T if transpose_w1 else dW1), delta1.sum(axis=0), h.T @ delta2, \
            delta2.sum(axis=0)
    return backward


@pytest.mark.parametrize("wrong,message", [
    (lambda *args: backward_right(*args)[:3], r"should return four arrays \(dW1, db1, dW2, db2\)"
                                              r", got tuple of length 3"),
    (lambda *args: {"dW1": 0}, r"should return four arrays .* got dict"),
    (backward_variant(transpose_w1=True), r"dW1 has shape \(5, 4\), the transpose of its "
                                          r"parameter's \(4, 5\)"),
    (backward_variant(per_sample_sum=True), r"dW1 is N = 6 times too large"),
    (backward_variant(sign=-1.0), r"dW1 has the wrong sign"),
    (backward_variant(scores=True), r"dW1 uses the scores z in z - t"),
    (backward_variant(local="sigmoid"), r"dW1 uses sigmoid's derivative h \(1 - h\)"),
    (backward_variant(local="pre"), r"dW1 takes tanh's derivative at the wrong array"),
    (backward_variant(local="none"), r"dW1 passes the gradient through the hidden layer without"),
    (lambda *args: (*backward_right(*args)[:3], np.zeros(3)), r"db2 is wrong: at index"),
    (lambda *args: (*backward_right(*args)[:3], np.zeros(2)), r"db2 should have shape \(3,\), "
                                                              r"got \(2,\)"),
])
def test_mlp_backward_slips(wrong, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_mlp_backward(wrong)


# --- the plot helpers of lessons 02 and 03 ---------------------------------------------
def test_predicted_vs_true_reports_rmse():
    ax = plots.predicted_vs_true(np.array([1.0, 2.0, 3.0]), np.array([[1.0], [2.0], [5.0]]),
                                 title="test")
    assert ax.get_title() == f"test: RMSE {np.sqrt(4 / 3):.2f}"
    with pytest.raises(ValueError, match="same number of values, got 3 and 2"):
        plots.predicted_vs_true(np.zeros(3), np.zeros(2))
    plt.close("all")


def test_activation_histograms_grid():
    rng = np.random.default_rng(0)
    runs = {"small": [rng.normal(0, 0.1, 50), rng.normal(0, 0.01, (5, 10))],
            "right": [rng.normal(0, 1, 50), rng.normal(0, 1, (5, 10))]}
    fig = plots.activation_histograms(runs, value_range=(-1, 1))
    assert len(fig.axes) == 4
    assert fig.axes[0].get_ylabel() == "small" and fig.axes[1].get_title().startswith("layer 2")
    with pytest.raises(ValueError, match="same number of layers, got \\[1, 2\\]"):
        plots.activation_histograms({"a": [np.zeros(3)], "b": [np.zeros(3), np.zeros(3)]})
    plt.close("all")
