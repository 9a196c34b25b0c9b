"""Checks for lesson 02: SGD on linear models."""

from __future__ import annotations

import numpy as np

from .common import PASSED, compare_arrays, constant_ratio, fail

def _l02_close(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal up to rounding (tight enough to tell ddof=0 from ddof=1)."""
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-7, atol=1e-9))


def _l02_safe_std(X: np.ndarray, axis: int, ddof: int = 0) -> np.ndarray:
    std = X.std(axis=axis, ddof=ddof, keepdims=True)
    return np.where(std > 0, std, 1.0)


def check_standardisation(X_train_std, X_test_std, X_train: np.ndarray,
                          X_test: np.ndarray) -> None:
    """Check lesson 02's standardisation: both splits scaled with the TRAINING statistics.

    Expected, for ``X`` = ``X_train`` and ``X_test`` alike:
    ``(X - X_train.mean(axis=0)) / X_train.std(axis=0)`` (ddof=0, as scikit-learn's
    StandardScaler; a constant column is divided by 1). Names the usual slips: a
    statistic returned instead of the data, statistics per row (axis=1), the test set
    scaled with its own statistics, statistics of train and test together, the sample
    standard deviation (ddof=1), only centred, only divided, min-max scaling.
    """
    X_train = np.asarray(X_train, dtype=np.float64)
    X_test = np.asarray(X_test, dtype=np.float64)
    mean, std = X_train.mean(axis=0, keepdims=True), _l02_safe_std(X_train, 0)
    both = np.vstack([X_train, X_test])
    for name, got, X in (("X_train_std", X_train_std, X_train), ("X_test_std", X_test_std, X_test)):
        expected = (X - mean) / std
        if isinstance(got, np.ndarray) and got.shape != X.shape:
            if got.size == X.shape[1]:
                fail(f"{name} has shape {got.shape}, one number per feature: that is a "
                      f"statistic, not the data. Return the whole array, standardised, with the "
                      f"shape of the data, {X.shape}.")
            fail(f"{name} should have the shape of the data it scales, {X.shape}, got "
                  f"{got.shape}.")
        if isinstance(got, np.ndarray) and np.all(np.isfinite(got)) and not _l02_close(got, expected):
            spread = X.max(axis=0, keepdims=True) - X.min(axis=0, keepdims=True)
            slips = [
                ((X - X.mean(axis=1, keepdims=True)) / _l02_safe_std(X, 1),
                 "uses statistics per row (axis=1). Each feature needs its own mean and standard "
                 "deviation, taken over the samples: axis=0."),
                ((X - X.mean(axis=0, keepdims=True)) / _l02_safe_std(X, 0),
                 "is scaled with the test set's own mean and standard deviation. Use the "
                 "training statistics for the test set too: the test set stands for new data, "
                 "which arrives one sample at a time and must not shape the preprocessing."),
                ((X - both.mean(axis=0, keepdims=True)) / _l02_safe_std(both, 0),
                 "uses the mean and standard deviation of the training and test sets together. "
                 "Compute them on X_train only, so nothing about the test set leaks into "
                 "training."),
                ((X - mean) / _l02_safe_std(X_train, 0, ddof=1),
                 "divides by the sample standard deviation (ddof=1). Use np.std's default "
                 "ddof=0, as StandardScaler does."),
                (X - mean, "is centred but not divided by the standard deviation."),
                (X / std, "is divided by the standard deviation but not centred: subtract the "
                          "training mean first."),
                ((X - X_train.min(axis=0, keepdims=True)) / np.where(spread > 0, spread, 1.0),
                 "looks like min-max scaling. Standardise instead: subtract the mean, divide by "
                 "the standard deviation."),
            ]
            for candidate, message in slips:
                if _l02_close(got, candidate):
                    fail(f"{name} {message}")
        compare_arrays(got, expected, name)
    print(PASSED)


def check_sgd_step(sgd_step) -> None:
    """Check ``sgd_step(W, b, X, y, lr) -> (W_new, b_new)``: one SGD step of linear regression.

    The model is ``y_hat = X @ W + b`` with W (d, 1), b (1,), X (N, d), y (N,); the
    loss is ``mean((y_hat - y)**2)`` over the batch. Expected:
    ``W_new = W - lr * 2/N * X.T @ (y_hat - y)``, ``b_new = b - lr * 2/N * sum(y_hat - y)``.
    Tried on a batch of 5 and on one sample (per-sample SGD); updating W and b in
    place and returning them is fine. Names the usual slips: not a pair, the (N, 1)
    minus (N,) broadcast, a step uphill, the 2 or the 1/N or lr forgotten, no change.
    """
    rng = np.random.default_rng(2)
    lr, d = 0.1, 3
    for N in (5, 1):
        X, y = rng.standard_normal((N, d)), rng.standard_normal(N)
        W, b = rng.standard_normal((d, 1)), rng.standard_normal(1)
        residual = X @ W + b - y[:, None]
        grads = {"W": 2.0 / N * X.T @ residual, "b": 2.0 / N * residual.sum(axis=0)}
        out = sgd_step(W.copy(), b.copy(), X.copy(), y.copy(), lr)
        if not (isinstance(out, tuple) and len(out) == 2):
            fail(f"sgd_step should return a pair (W_new, b_new), got {type(out).__name__}"
                  + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else "") + ".")
        batch = f"a batch of {N}" if N > 1 else "one sample"
        for (label, param), new in zip((("W", W), ("b", b)), out):
            what = f"{label}_new (on {batch})"
            if not isinstance(new, np.ndarray):
                fail(f"{what} should be a NumPy array of shape {param.shape}, got "
                      f"{type(new).__name__}.")
            if new.shape != param.shape:
                hint = ""
                if N > 1 and N in new.shape:
                    hint = (" The prediction X @ W + b has shape (N, 1) and y has shape (N,), "
                            "so their difference broadcasts to (N, N). Use y[:, None] or "
                            "y.reshape(-1, 1).")
                fail(f"{what} should have the shape of {label}, {param.shape}, got "
                      f"{new.shape}.{hint}")
            step, expected = new - param, -lr * grads[label]
            if np.all(np.isfinite(step)) and not np.allclose(step, expected, rtol=1e-6, atol=1e-10):
                c = constant_ratio(step, expected)
                if c is not None:
                    if np.isclose(c, 0):
                        fail(f"{what} equals {label}: the parameters did not change. "
                              f"Return {label} - lr * dL/d{label}.")
                    if np.isclose(c, -1):
                        fail(f"{what} moved {label} uphill, along the gradient. Gradient "
                              f"descent subtracts it: {label} - lr * dL/d{label}.")
                    if np.isclose(c, 0.5):
                        fail(f"The step for {label} ({batch}) is half the expected one. "
                              f"The derivative of (y_hat - y)**2 is 2 (y_hat - y): keep the 2.")
                    if N > 1 and np.isclose(c, N):
                        fail(f"The step for {label} ({batch}) is N = {N} times too large. "
                              f"The loss is a mean over the batch, so its gradient has a 1/N: "
                              f"divide the sum by N.")
                    if np.isclose(c, 1 / lr):
                        fail(f"The step for {label} ({batch}) is the whole gradient: multiply "
                              f"it by the learning rate lr.")
            compare_arrays(step, expected, f"the step {label}_new - {label} (on {batch})")
    print(PASSED)
