"""Lesson 02's exercise checks: a correct answer passes, each usual slip gets its message."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from course_lib import checks, plots  # noqa: E402
from course_lib.layers import Dense, ReLU, Sigmoid, Softmax, Tanh  # noqa: E402
from course_lib.model import Sequential  # noqa: E402


# --- check_standardisation -------------------------------------------------------------
@pytest.fixture
def splits():
    rng = np.random.default_rng(0)
    scale = np.array([1.0, 10.0, 100.0, 0.1])
    X_train = rng.normal(5.0, 1.0, size=(40, 4)) * scale
    X_test = rng.normal(6.0, 2.0, size=(10, 4)) * scale
    X_train[:, 3] = 7.0  # a constant column: StandardScaler divides it by 1
    return X_train, X_test


def std(X, axis=0, ddof=0):
    s = X.std(axis=axis, ddof=ddof, keepdims=True)
    return np.where(s > 0, s, 1.0)


def test_standardisation_correct_passes(splits, capsys):
    X_train, X_test = splits
    scaler = StandardScaler().fit(X_train)
    checks.check_standardisation(scaler.transform(X_train), scaler.transform(X_test),
                                 X_train, X_test)
    mu, sigma = X_train.mean(axis=0), std(X_train)
    checks.check_standardisation((X_train - mu) / sigma, (X_test - mu) / sigma, X_train, X_test)
    assert capsys.readouterr().out.split() == checks.PASSED.split() * 2


def both_stats(X_train, X_test):
    both = np.vstack([X_train, X_test])
    return both.mean(axis=0), std(both)


@pytest.mark.parametrize("make,message", [
    (lambda tr, te, X: (X - X.mean(axis=1, keepdims=True)) / std(X, axis=1),
     r"X_train_std uses statistics per row \(axis=1\)"),
    (lambda tr, te, X: (X - tr.mean(axis=0)) / std(tr, ddof=1),
     r"X_train_std divides by the sample standard deviation \(ddof=1\)"),
    (lambda tr, te, X: X - tr.mean(axis=0), r"X_train_std is centred but not divided"),
    (lambda tr, te, X: X / std(tr), r"X_train_std is divided by the standard deviation but "
                                    r"not centred"),
    (lambda tr, te, X: (X - tr.min(axis=0)) / np.where(np.ptp(tr, axis=0) > 0, np.ptp(tr, axis=0),
                                                       1.0),
     r"X_train_std looks like min-max scaling"),
    (lambda tr, te, X: (X - both_stats(tr, te)[0]) / both_stats(tr, te)[1],
     r"X_train_std uses the mean and standard deviation of the training and test sets "
     r"together"),
    (lambda tr, te, X: tr.std(axis=0), r"X_train_std has shape \(4,\), one number per feature"),
    (lambda tr, te, X: X[:5], r"X_train_std should have the shape of the data it scales, "
                              r"\(40, 4\), got \(5, 4\)"),
    (lambda tr, te, X: ((X - tr.mean(axis=0)) / std(tr)).tolist(),
     r"X_train_std should be a NumPy array.*got a list"),
    (lambda tr, te, X: 2 * (X - tr.mean(axis=0)) / std(tr),
     r"X_train_std is wrong: at index .* 2 times the expected value"),
])
def test_standardisation_train_slips(splits, make, message):
    X_train, X_test = splits
    mu, sigma = X_train.mean(axis=0), std(X_train)
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_standardisation(make(X_train, X_test, X_train), (X_test - mu) / sigma,
                                     X_train, X_test)


def test_standardisation_test_set_with_its_own_statistics(splits):
    X_train, X_test = splits
    mu, sigma = X_train.mean(axis=0), std(X_train)
    own = StandardScaler().fit_transform(X_test)
    with pytest.raises(checks.ExerciseError, match=r"X_test_std is scaled with the test set's "
                                                   r"own mean and standard deviation"):
        checks.check_standardisation((X_train - mu) / sigma, own, X_train, X_test)


# --- check_sgd_step --------------------------------------------------------------------
def step_right(W, b, X, y, lr):
    residual = X @ W + b - y[:, None]
    N = len(X)
    return W - lr * 2 / N * X.T @ residual, b - lr * 2 / N * residual.sum(axis=0)


def step_in_place(W, b, X, y, lr):
    residual = X @ W + b - y.reshape(-1, 1)
    W -= lr * 2 * X.T @ residual / len(X)
    b -= lr * 2 * residual.mean(axis=0)
    return W, b


def test_sgd_step_correct_passes(capsys):
    checks.check_sgd_step(step_right)
    checks.check_sgd_step(step_in_place)
    assert capsys.readouterr().out.split() == checks.PASSED.split() * 2


def scaled(factor):
    """A step ``factor`` times the right one."""
    def step(W, b, X, y, lr):
        W_new, b_new = step_right(W, b, X, y, lr)
        return W + factor * (W_new - W), b + factor * (b_new - b)
    return step


def step_broadcast(W, b, X, y, lr):
    residual = X @ W + b - y  # (N, 1) - (N,) -> (N, N)
    N = len(X)
    return W - lr * 2 / N * X.T @ residual, b - lr * 2 / N * residual.sum(axis=0)


def step_sum(W, b, X, y, lr):
    residual = X @ W + b - y[:, None]
    return W - lr * 2 * X.T @ residual, b - lr * 2 * residual.sum(axis=0)


@pytest.mark.parametrize("wrong,message", [
    (lambda W, b, X, y, lr: W - lr, r"should return a pair \(W_new, b_new\), got ndarray"),
    (lambda W, b, X, y, lr: (W, b, 0.0), r"should return a pair \(W_new, b_new\), got tuple of "
                                         r"length 3"),
    (step_broadcast, r"W_new \(on a batch of 5\) should have the shape of W, \(3, 1\), got "
                     r"\(3, 5\)\. .* broadcasts to \(N, N\)"),
    (lambda W, b, X, y, lr: (step_right(W, b, X, y, lr)[0], float(b[0])),
     r"b_new \(on a batch of 5\) should be a NumPy array of shape \(1,\), got float"),
    (lambda W, b, X, y, lr: (W, b), r"W_new \(on a batch of 5\) equals W: the parameters did "
                                    r"not change"),
    (scaled(-1.0), r"moved W uphill, along the gradient"),
    (scaled(0.5), r"The step for W \(a batch of 5\) is half the expected one.*keep the 2"),
    (step_sum, r"The step for W \(a batch of 5\) is N = 5 times too large"),
    (scaled(10.0), r"is the whole gradient: multiply it by the learning rate lr"),
    (scaled(3.0), r"the step W_new - W \(on a batch of 5\) is wrong: .* 3 times the expected"),
])
def test_sgd_step_slips(wrong, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_sgd_step(wrong)


def test_sgd_step_wrong_only_for_one_sample():
    def step(W, b, X, y, lr):  # right for batches, wrong bias step for a single sample
        W_new, b_new = step_right(W, b, X, y, lr)
        return W_new, (b_new if len(X) > 1 else b + 0.01)
    with pytest.raises(checks.ExerciseError, match=r"the step b_new - b \(on one sample\)"):
        checks.check_sgd_step(step)


