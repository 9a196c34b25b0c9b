"""Checks for lesson 02: SGD on linear models.

Four exercises: ``standardise`` (scaling with the training statistics),
``sgd_step`` (one step of linear regression by hand), an optimiser class whose
``step(model)`` updates every layer in place, and ``train_epoch`` (one epoch of
shuffled mini-batches, as :func:`course_lib.train.fit` runs it).
"""

from __future__ import annotations

import copy

import numpy as np

from .common import (PASSED, Unchanged, as_number, compare_arrays, compare_scalar, constant_ratio,
                     fail, format_pair, no_delegation, tolerance)


def _close(got: object, expected: np.ndarray) -> bool:
    """``got`` is a finite array equal to ``expected`` within the tolerance of its dtype."""
    if not isinstance(got, np.ndarray) or got.shape != np.shape(expected):
        return False
    if not (np.issubdtype(got.dtype, np.number) and np.all(np.isfinite(got))):
        return False
    rtol, atol = tolerance(got, expected)
    return bool(np.allclose(got, expected, rtol=rtol, atol=atol))


# --- exercise: standardise -------------------------------------------------------------
def _std_or_one(X: np.ndarray, axis: int, ddof: int = 0) -> np.ndarray:
    std = X.std(axis=axis, ddof=ddof, keepdims=True)
    return np.where(std > 0, std, 1.0)


def _standardise_cases():
    """(X_train, X_test) pairs: features on scales 1000 times apart, test data shifted."""
    rng = np.random.default_rng(7)
    scale, shift = np.array([1.0, 10.0, 100.0, 0.1]), np.array([5.0, -3.0, 400.0, 0.5])
    # the test rows come from another distribution, so their own statistics differ
    yield rng.normal(size=(40, 4)) * scale + shift, rng.normal(0.5, 2.0, (10, 4)) * scale + shift
    scale, shift = np.array([2.0, 0.5, 30.0]), np.array([1.0, 2.0, -3.0])
    yield rng.normal(size=(7, 3)) * scale + shift, rng.normal(size=(1, 3)) * scale + shift


def _standardise_slip(name: str, got: np.ndarray, X: np.ndarray, X_train: np.ndarray,
                      X_test: np.ndarray) -> None:
    """Fail naming the slip if ``got`` is a known wrong way to standardise ``X``."""
    mean, std = X_train.mean(axis=0, keepdims=True), _std_or_one(X_train, 0)
    both = np.vstack([X_train, X_test])
    spread = np.ptp(X_train, axis=0, keepdims=True)
    slips = [
        ((X - X.mean(axis=1, keepdims=True)) / _std_or_one(X, 1),
         "uses statistics per row (axis=1). Each feature needs its own mean and standard "
         "deviation, taken over the samples: axis=0."),
        ((X - X.mean(axis=0, keepdims=True)) / _std_or_one(X, 0),
         "is scaled with the test set's own mean and standard deviation. Use the training "
         "statistics for the test set too: the test set stands for new data, which arrives "
         "one sample at a time and must not shape the preprocessing."),
        ((X - both.mean(axis=0, keepdims=True)) / _std_or_one(both, 0),
         "uses the mean and standard deviation of the training and test sets together. "
         "Compute them on X_train only, so nothing about the test set leaks into training."),
        ((X - mean) / _std_or_one(X_train, 0, ddof=1),
         "divides by the sample standard deviation (ddof=1). Use np.std's default ddof=0, "
         "as StandardScaler does."),
        (X - mean, "is centred but not divided by the standard deviation."),
        (X / std, "is divided by the standard deviation but not centred: subtract the "
                  "training mean first."),
        ((X - mean) / std ** 2, "is divided by the variance: take its square root (np.std "
                                "gives the standard deviation directly)."),
        ((X - X_train.min(axis=0, keepdims=True)) / np.where(spread > 0, spread, 1.0),
         "looks like min-max scaling. Standardise instead: subtract the mean, divide by the "
         "standard deviation."),
    ]
    slips += [
        ((X - X_test.mean(axis=0, keepdims=True)) / _std_or_one(X_test, 0),
         "is scaled with the test set's mean and standard deviation. Compute them on X_train "
         "and use them for both sets: the test set stands for new data and must not shape "
         "the preprocessing."),
        ((X - X_train.mean()) / X_train.std(),
         "uses one mean and one standard deviation of the whole array (no axis). Each feature "
         "needs its own, taken over the samples: axis=0."),
        ((X - X.mean()) / X.std(),
         "uses one mean and one standard deviation of the whole array (no axis), of this very "
         "set. Each feature needs its own, taken over the training samples: "
         "X_train.mean(axis=0)."),
        ((X - both.mean()) / both.std(),
         "uses one mean and one standard deviation of all the data (no axis, train and test "
         "together). Each feature needs its own, over the training samples: axis=0."),
    ]
    if name == "X_train_std":  # on the training rows, the test-only slips look right
        slips = [slips[0]] + slips[2:]
    for candidate, message in slips:
        if _close(got, candidate):
            fail(f"{name} {message}")


@no_delegation(tools=("sklearn.preprocessing.StandardScaler",))
def check_standardise(standardise) -> None:
    """Check ``standardise(X_train, X_test) -> (X_train_std, X_test_std)``.

    Expected, for ``X`` = ``X_train`` and ``X_test`` alike:
    ``(X - X_train.mean(axis=0)) / X_train.std(axis=0)`` (ddof=0, as scikit-learn's
    StandardScaler). Tried on a training set of 40 x 4 with a test set of 10 rows from
    another distribution, and on 7 x 3 with a single test row; the data has no constant
    column. Any dtype the function returns is fine (the tolerance follows it), and so are
    a tuple or a list. Names the usual slips: not a pair, the pair in the wrong order, a
    statistic returned instead of the data, statistics per row (axis=1), the test set
    scaled with its own statistics, statistics of train and test together, the sample
    standard deviation (ddof=1), the variance, only centred, only divided, min-max
    scaling, and an input changed in place. An answer that calls scikit-learn's
    StandardScaler, which the exercise redoes by hand, gets no credit.

    Parameters
    ----------
    standardise : callable
        The student's ``standardise(X_train, X_test)``.
    """
    for X_train, X_test in _standardise_cases():
        inputs = Unchanged(X_train=X_train, X_test=X_test)
        out = standardise(X_train, X_test)
        inputs.check("standardise(X_train, X_test)")
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            fail("standardise should return a pair (X_train_std, X_test_std), got "
                 f"{type(out).__name__}" + (f" of length {len(out)}"
                                            if isinstance(out, (tuple, list)) else "") + ".")
        got_train, got_test = out
        if (isinstance(got_train, np.ndarray) and isinstance(got_test, np.ndarray)
                and got_train.shape == X_test.shape and got_test.shape == X_train.shape):
            fail("standardise returned the pair in the wrong order: first X_train_std, then "
                 "X_test_std.")
        mean, std = X_train.mean(axis=0, keepdims=True), _std_or_one(X_train, 0)
        for name, got, X in (("X_train_std", got_train, X_train), ("X_test_std", got_test, X_test)):
            if isinstance(got, np.ndarray) and got.shape != X.shape:
                if got.size == X.shape[1]:
                    fail(f"{name} has shape {got.shape}, one number per feature: that is a "
                         f"statistic, not the data. Return the whole array, standardised, with "
                         f"the shape of the data, {X.shape}.")
                fail(f"{name} should have the shape of the data it scales, {X.shape}, got "
                     f"{got.shape}.")
            expected = (X - mean) / std
            if not _close(got, expected):
                _standardise_slip(name, got, X, X_train, X_test)
            compare_arrays(got, expected, f"{name} (train {X_train.shape[0]} x "
                                          f"{X_train.shape[1]}, test {X_test.shape[0]} rows)")
    print(PASSED)


# --- exercise: sgd_step ---------------------------------------------------------------
def _course_lib_step(W: np.ndarray, b: np.ndarray, X: np.ndarray, y: np.ndarray,
                     lr: float) -> tuple[np.ndarray, np.ndarray]:
    """One step of course_lib's Dense + MSELoss + SGD from (W, b): what fit does per batch."""
    from ..layers import Dense
    from ..losses import MSELoss
    from ..optim import SGD

    layer = Dense(*W.shape)
    layer.params["W"][...], layer.params["b"][...] = W, b
    loss = MSELoss()
    loss.forward(layer.forward(X), y)
    layer.backward(loss.backward())
    SGD(lr).step(layer)
    return layer.params["W"].copy(), layer.params["b"].copy()


#: course_lib's pieces that would compute the step's gradients (or the step) for the student
#: what the lesson uses before sgd_step and could compute its gradients (refused as tools)
_SGD_STEP_TOOLS = ("course_lib.layers.Dense", "course_lib.layers.MatMul",
                   "course_lib.layers.BiasAdd", "course_lib.losses.MSELoss")


@no_delegation("course_lib.optim.SGD", tools=_SGD_STEP_TOOLS)
def check_sgd_step(sgd_step) -> None:
    """Check ``sgd_step(W, b, X, y, lr) -> (W_new, b_new)``: one SGD step of linear regression.

    The model is ``y_hat = X @ W + b`` with W (d, 1), b (1,), X (N, d), y (N,); the
    loss is ``mean((y_hat - y)**2)`` over the batch. Expected:
    ``W_new = W - lr * 2/N * X.T @ (y_hat - y)``, ``b_new = b - lr * 2/N * sum(y_hat - y)``,
    the step that course_lib's Dense, MSELoss and SGD take (the check computes it with
    them). Tried on a batch of 5 and on one sample (per-sample SGD); updating W and b in
    place and returning them is fine, and so is a float32 answer. Names the usual slips:
    not a pair, the (N, 1) minus (N,) broadcast, no change, a step uphill, the 2 or the
    1/N or lr forgotten, a step some other multiple of the right one, X or y changed in
    place. An answer that lets course_lib's Dense, MSELoss or SGD compute the gradients or
    the step gets no credit.

    Parameters
    ----------
    sgd_step : callable
        The student's ``sgd_step(W, b, X, y, lr)``.
    """
    rng = np.random.default_rng(2)
    lr, d = 0.1, 3
    for N in (5, 1):
        X, y = rng.standard_normal((N, d)), rng.standard_normal(N)
        W, b = rng.standard_normal((d, 1)), rng.standard_normal(1)
        expected = _course_lib_step(W, b, X, y, lr)
        inputs = Unchanged(X=X, y=y)
        out = sgd_step(W.copy(), b.copy(), X, y, lr)
        inputs.check("sgd_step(W, b, X, y, lr)")
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            fail(f"sgd_step should return a pair (W_new, b_new), got {type(out).__name__}"
                 + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else "") + ".")
        batch = f"a batch of {N}" if N > 1 else "one sample"
        for label, param, new, new_expected in zip("Wb", (W, b), out, expected):
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
            if _close(new, new_expected):
                continue
            step = np.asarray(new, dtype=np.float64) - param
            if np.issubdtype(new.dtype, np.floating):
                step = step.astype(new.dtype)  # compare the step at the answer's precision
            c = constant_ratio(step, new_expected - param) if np.all(np.isfinite(step)) else None
            if c is not None:
                if np.isclose(c, 0, atol=1e-6):
                    fail(f"{what} equals {label}: the parameters did not change. Return "
                         f"{label} - lr * dL/d{label}.")
                if np.isclose(c, -1):
                    fail(f"{what} moved {label} uphill, along the gradient. Gradient descent "
                         f"subtracts it: {label} - lr * dL/d{label}.")
                if np.isclose(c, 0.5):
                    fail(f"The step for {label} ({batch}) is half the expected one. The "
                         f"derivative of (y_hat - y)**2 is 2 (y_hat - y): keep the 2.")
                if N > 1 and np.isclose(c, N):
                    fail(f"The step for {label} ({batch}) is N = {N} times too large. The "
                         f"loss is a mean over the batch, so its gradient has a 1/N: divide "
                         f"the sum by N.")
                if N > 1 and np.isclose(c, 1 / N):
                    fail(f"The step for {label} ({batch}) is 1/N = 1/{N} of the expected one: "
                         f"the 1/N of the mean is taken twice. Divide the summed gradient by N "
                         f"once (np.mean already divides).")
                if np.isclose(c, 1 / lr):
                    fail(f"The step for {label} ({batch}) is the whole gradient: multiply it "
                         f"by the learning rate lr.")
                # the ratio of the steps says more than the values of the new parameters
                fail(f"The step for {label} ({batch}), {label}_new - {label}, is {c:.4g} "
                     f"times the expected -lr * dL/d{label}.")
            compare_arrays(new, new_expected, what)
    print(PASSED)


# --- exercise: an SGD optimiser class --------------------------------------------------
def _optimizer_models():
    """(description, layers, dtype): two Dense layers of one shape, then of different shapes."""
    from ..layers import Dense, ReLU, Tanh

    # equal shapes, so a step that mixes up the layers shows in the values, not as an error
    yield "Dense(3 -> 3), Tanh, Dense(3 -> 3)", \
        lambda: [Dense(3, 3, rng=1), Tanh(), Dense(3, 3, rng=2)], np.float64
    yield "Dense(4 -> 2), ReLU, Dense(2 -> 1) in float32", \
        lambda: [Dense(4, 2, rng=3), ReLU(), Dense(2, 1, rng=4)], np.float32


def _optimizer_slip(model, before, grads, lr: float, label: str, t: int) -> None:
    """Fail naming the slip if the params moved by a known wrong step."""
    dense = [i for i, layer in enumerate(model.layers) if layer.params]
    moved = {i: {k: not np.array_equal(p, before[i][k]) for k, p in model.layers[i].params.items()}
             for i in dense}
    if not any(any(m.values()) for m in moved.values()):
        fail(f"step(model) left every parameter unchanged ({label}). If you wrote "
             f"`p = p - self.lr * g`, that makes a new array and binds the name p to it: the "
             f"layer's array stays as it was (and so does `layer.params[name] = ...`, since "
             f"a Dense layer hands out a new dict each time). Update the array itself, in "
             f"place: `p -= self.lr * g`.")
    for i in dense:
        for k, p in model.layers[i].params.items():
            step = (np.asarray(p, dtype=np.float64) - before[i][k]).astype(p.dtype)
            expected = -lr * grads[i][k].astype(np.float64)
            if _close(step, expected):
                continue
            where = f"layer {i}'s {k!r} (model {label}, step {t})"
            if not moved[i][k]:
                first = "the first" if i != dense[0] else "another"
                fail(f"step(model) did not change {where}, while {first} layer's did: loop "
                     f"over every layer in model.layers and every name in layer.params "
                     f"(a layer without parameters has an empty dict).")
            for j in dense:
                if j != i and k in grads[j] and grads[j][k].shape == step.shape \
                        and _close(step, -lr * grads[j][k]):
                    fail(f"{where} moved by layer {j}'s gradient: update each layer's params "
                         f"with the grads of the same layer, layer.params[name] with "
                         f"layer.grads[name].")
            c = constant_ratio(step, expected)
            if c is not None and np.isclose(c, -1):
                fail(f"{where} moved uphill, along the gradient: subtract it, p -= lr * g.")
            if c is not None and np.isclose(c, 1 / lr):
                fail(f"{where} moved by the whole gradient: multiply it by the learning rate, "
                     f"p -= self.lr * g.")
            if c is not None and step.size > 1:
                fail(f"{where} moved {c:.4g} times -lr * g; the step is p -= self.lr * g.")


@no_delegation("course_lib.optim.SGD")
def check_sgd_optimizer(optimizer_class) -> None:
    """Check an optimiser class: ``optimizer_class(lr).step(model)`` does ``p -= lr * g``.

    ``step`` must update, in place, every parameter of every layer of ``model``
    (``model.layers``; ``layer.params`` and ``layer.grads`` have the same names). Tried
    for three steps in a row, each after a backward on a new batch, against
    :class:`course_lib.optim.SGD` on the same model: on ``Dense(3, 3), Tanh, Dense(3, 3)``
    (the Tanh has no parameters) and on a float32 ``Dense(4, 2), ReLU, Dense(2, 1)``.
    Names the usual slips: parameters unchanged (a copy updated: ``p = p - lr * g`` binds
    a new array to the name p), only the first layer updated, a layer stepped with another
    layer's gradient, the gradient added, the learning rate forgotten, another multiple of
    the step, a layer without parameters not skipped, a gradient changed in place.

    Parameters
    ----------
    optimizer_class : type
        The student's class: ``optimizer_class(lr)`` has a ``step(model)`` method.
    """
    from ..model import Sequential
    from ..optim import SGD

    lr = 0.1
    rng = np.random.default_rng(11)
    for label, make, dtype in _optimizer_models():
        model, reference = Sequential(make()).astype(dtype), Sequential(make()).astype(dtype)
        optimizer, reference_optimizer = optimizer_class(lr), SGD(lr)
        n_in, n_out = model.layers[0].n_in, model.layers[-1].n_out
        for t in range(1, 4):
            X = rng.standard_normal((5, n_in)).astype(dtype)
            grad_out = rng.standard_normal((5, n_out)).astype(dtype)
            for m in (model, reference):
                m.forward(X)
                m.backward(grad_out)
            before = [{k: p.copy() for k, p in layer.params.items()} for layer in model.layers]
            grads = [dict(layer.grads) for layer in model.layers]
            inputs = Unchanged(**{f"layer {i} grads[{k!r}]": g for i, gs in enumerate(grads)
                                  for k, g in gs.items()})
            try:
                optimizer.step(model)
            except KeyError as err:
                fail(f"step(model) raised KeyError {err} on the model {label}: not every layer "
                     f"has every parameter (a Tanh or ReLU has none). Loop over "
                     f"layer.params.items() of each layer.")
            reference_optimizer.step(reference)
            inputs.check(f"step(model) (model {label}, step {t})")
            _optimizer_slip(model, before, grads, lr, label, t)
            for i, (layer, ref) in enumerate(zip(model.layers, reference.layers)):
                for k, p in layer.params.items():
                    compare_arrays(p, ref.params[k], f"layer {i}'s {k!r} after step {t} "
                                                     f"(model {label})")
    print(PASSED)


# --- exercise: train_epoch ------------------------------------------------------------
class _Log(list):
    """What a student's train_epoch did, in order: ("forward", x), ("loss", (y, value)), ..."""

    def last(self, *kinds: str) -> str | None:
        return next((kind for kind, _ in reversed(self) if kind in kinds), None)


def _spy_model(layers: list, log: _Log):
    """A Sequential that logs each forward (with its input) and backward."""
    from ..model import Sequential

    class SpyModel(Sequential):
        def forward(self, x):
            log.append(("forward", np.array(x, copy=True)))
            return super().forward(x)

        def backward(self, grad_out):
            log.append(("backward", None))
            return super().backward(grad_out)

    return SpyModel(layers)


class _SpyLoss:
    """A loss that logs its targets and values; otherwise the loss it wraps."""

    def __init__(self, loss, log: _Log) -> None:
        self.loss, self.log = loss, log
        self.is_classification = loss.is_classification

    def forward(self, pred, target):
        value = self.loss.forward(pred, target)
        self.log.append(("loss", (np.array(target, copy=True), value)))
        return value

    __call__ = forward

    def backward(self):
        return self.loss.backward()


class _SpyOptimizer:
    """course_lib's SGD that first checks a backward came between the last forward and it."""

    def __init__(self, lr: float, log: _Log) -> None:
        from ..optim import SGD

        self.sgd, self.log = SGD(lr), log

    def step(self, model) -> None:
        last = self.log.last("forward", "backward", "step")
        if last != "backward":
            fail("train_epoch called optimizer.step(model) " + {
                "forward": "after a forward pass with no model.backward(loss.backward()) in "
                           "between. The step uses the gradients that backward computes, so "
                           "each batch runs forward, loss, backward, and only then step.",
                "step": "twice for one batch: one step per mini-batch, after its backward.",
                None: "before any forward pass: each batch runs forward, loss, backward, "
                      "then step."}[last])
        self.log.append(("step", None))
        self.sgd.step(model)


def _epoch_cases():
    """(description, make layers, loss class, X, y, batch_size, lr)."""
    from ..layers import Dense, Tanh
    from ..losses import MSELoss, SoftmaxCrossEntropyLoss

    rng = np.random.default_rng(3)
    yield ("regression, N = 10, batch_size 4: batches of 4, 4 and 2",
           lambda: [Dense(3, 4, rng=1), Tanh(), Dense(4, 2, rng=2)], MSELoss,
           rng.standard_normal((10, 3)), rng.standard_normal((10, 2)), 4, 0.1)
    yield ("classification, N = 7, batch_size 1: per-sample SGD",
           lambda: [Dense(3, 3, rng=3)], SoftmaxCrossEntropyLoss,
           rng.standard_normal((7, 3)), np.array([0, 2, 1, 1, 0, 2, 2]), 1, 0.2)
    yield ("regression, N = 5, batch_size 8: one batch of 5",
           lambda: [Dense(3, 1, rng=4)], MSELoss,
           rng.standard_normal((5, 3)), rng.standard_normal(5), 8, 0.1)


def _rows(batch: np.ndarray, X: np.ndarray) -> list[int] | None:
    """The index in X of each row of ``batch``, or None if a row is not a row of X."""
    if batch.ndim != X.ndim or batch.shape[1:] != X.shape[1:]:
        return None
    found = []
    for row in batch.reshape(len(batch), -1):
        match = np.flatnonzero(np.all(X.reshape(len(X), -1) == row, axis=1))
        if not match.size:
            return None
        found.append(int(match[0]))
    return found


def _epoch_slip(log: _Log, X: np.ndarray, y: np.ndarray, batch_size: int, order: np.ndarray,
                label: str) -> None:
    """Fail naming the slip if the logged batches are not fit's batches in fit's order."""
    n = len(X)
    sizes = [min(batch_size, n - s) for s in range(0, n, batch_size)]
    forwards = [x for kind, x in log if kind == "forward"]
    losses = [value for kind, value in log if kind == "loss"]
    steps = sum(kind == "step" for kind, _ in log)
    where = f"({label})"
    if not forwards:
        fail(f"train_epoch ran no forward pass {where}. An epoch visits every sample once: "
             f"{len(sizes)} batch{'es' if len(sizes) > 1 else ''} of sizes {sizes} here.")
    got_sizes = [len(x) for x in forwards]
    if got_sizes == sizes[:-1] and sizes[-1] < batch_size:
        fail(f"train_epoch dropped the last, smaller batch {where}: with N = {n} and "
             f"batch_size = {batch_size} the batches have sizes {sizes}. Slice "
             f"order[start:start + batch_size] for start in range(0, N, batch_size); the "
             f"last slice is simply shorter.")
    if got_sizes != sizes:
        fail(f"train_epoch ran forward on batches of sizes {got_sizes} {where}; expected "
             f"{sizes}: one pass over the data in slices of batch_size, the last one "
             f"smaller if N is not a multiple of it.")
    rows = [_rows(x, X) for x in forwards]
    if all(r is not None for r in rows):
        visited = np.concatenate(rows)
        if sorted(visited) != list(range(n)):
            fail(f"the batches of one epoch {where} do not visit every sample exactly once "
                 f"(rows {visited.tolist()}): shuffle the indices with a permutation, "
                 f"not by drawing them with replacement.")
        if np.array_equal(visited, np.arange(n)):
            fail(f"train_epoch did not shuffle {where}: the batches take the rows in their "
                 f"stored order. Draw order = rng.permutation(len(X)) at the start of the "
                 f"epoch and slice X[order[...]], y[order[...]].")
        if not np.array_equal(visited, order):
            fail(f"train_epoch shuffled in an order other than rng.permutation(len(X)) with "
                 f"the rng passed in {where}. Draw the order once per epoch with that call, "
                 f"as fit does, so that the same seed gives the same run.")
        if len(losses) == len(rows):
            for r, (target, _) in zip(rows, losses):
                if np.shape(target) != np.shape(y[r]) or not np.array_equal(target, y[r]):
                    fail(f"the targets given to the loss are not the rows of y that belong to "
                         f"the batch of X {where}: X and y were not indexed with the same "
                         f"order (two permutations, or only one of them shuffled). Draw one "
                         f"order and index both with it.")
    if steps == 0:
        fail(f"train_epoch never called optimizer.step(model) {where}: after each batch's "
             f"backward, the step updates the parameters.")
    if steps != len(sizes):
        times = f"{steps} time" + ("s" if steps != 1 else "")
        fail(f"train_epoch called optimizer.step {times} for {len(sizes)} batches {where}: "
             f"one step per mini-batch, right after its backward.")


@no_delegation("course_lib.train.fit", "course_lib.train._train_epochs")
def check_train_epoch(train_epoch) -> None:
    """Check ``train_epoch(model, loss, optimizer, X, y, batch_size, rng) -> mean loss``.

    One epoch as :func:`course_lib.train.fit` runs it: ``order = rng.permutation(N)``;
    for each slice ``order[start:start + batch_size]`` (the last may be smaller): forward,
    loss, ``model.backward(loss.backward())``, ``optimizer.step(model)``. It returns the
    mean loss over the epoch's samples, each batch's loss weighted by its size, as
    ``History.loss``. Tried for two epochs in a row (one ``rng``) on a regression with
    batches of 4, 4 and 2, a per-sample classification with integer labels, and a batch
    larger than the data; the parameters after each epoch and the returned loss are
    compared with ``fit`` run with the same generator. Any number type is fine for the
    loss. Names the usual slips: no shuffle, another order than ``rng.permutation``, X and
    y in different orders, the last partial batch dropped, step before backward or
    without it, no step or not one per batch, the mean of the batch means (or their sum,
    or the last batch's loss) instead of the sample-weighted mean, X or y changed in
    place.

    Parameters
    ----------
    train_epoch : callable
        The student's ``train_epoch(model, loss, optimizer, X, y, batch_size, rng)``.
    """
    from ..model import Sequential
    from ..optim import SGD
    from ..train import fit

    for label, make, loss_class, X, y, batch_size, lr in _epoch_cases():
        log = _Log()
        model = _spy_model(make(), log)
        reference, reference_optimizer = Sequential(make()), SGD(lr)
        loss, optimizer = _SpyLoss(loss_class(), log), _SpyOptimizer(lr, log)
        rng = np.random.default_rng(5)
        reference_rng, order_rng = copy.deepcopy(rng), copy.deepcopy(rng)
        for epoch in (1, 2):
            log.clear()
            inputs = Unchanged(X=X, y=y)
            got = train_epoch(model, loss, optimizer, X, y, batch_size, rng)
            inputs.check("train_epoch(model, loss, optimizer, X, y, batch_size, rng)")
            where = f"{label}, epoch {epoch}"
            _epoch_slip(log, X, y, batch_size, order_rng.permutation(len(X)), where)
            history = fit(reference, loss_class(), reference_optimizer, X, y, epochs=1,
                          batch_size=batch_size, seed=reference_rng, progress=False)
            for i, (layer, ref) in enumerate(zip(model.layers, reference.layers)):
                for k, p in layer.params.items():
                    compare_arrays(p, ref.params[k], f"layer {i}'s {k!r} after the epoch ({where})")
            _epoch_loss(got, history.loss[0], log, len(X), where)
    print(PASSED)


def _epoch_loss(got: object, expected: float, log: _Log, n: int, where: str) -> None:
    """Compare the returned loss with fit's, naming the usual wrong averages."""
    if got is None:
        fail(f"train_epoch returned None ({where}): return the epoch's mean loss.")
    value = as_number(got, f"the loss train_epoch returned ({where})")
    rtol, atol = tolerance(got if isinstance(got, np.generic | np.ndarray) else np.float64(value),
                           expected)
    if np.isclose(value, expected, rtol=rtol, atol=atol):
        return
    batch = [(len(target), v) for kind, x in log if kind == "loss" for target, v in [x]]
    sizes = np.array([s for s, _ in batch])
    values = np.array([v for _, v in batch])
    a, b = format_pair(value, expected)
    wrong = [
        (values.mean() if len(values) else np.nan,
         "the mean of the batch losses. A smaller last batch would then count as much as a "
         "full one: weight each batch's loss by its size, sum, and divide by N"),
        ((sizes * values).sum() if len(values) else np.nan,
         "the sum of batch loss x batch size: divide it by N, the number of samples"),
        (values.sum() if len(values) else np.nan,
         "the sum of the batch losses: weight each by its batch size and divide by N"),
        (values[-1] if len(values) else np.nan,
         "the last batch's loss only: average over the whole epoch, each batch weighted by "
         "its size"),
    ]
    for candidate, message in wrong:
        if np.isfinite(candidate) and np.isclose(value, candidate, rtol=rtol, atol=atol):
            fail(f"the loss train_epoch returned ({where}) is {a}, expected {b}: it is "
                 f"{message}.")
    compare_scalar(got, expected, f"the loss train_epoch returned ({where})")
