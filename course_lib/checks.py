"""Checks for the lessons' "your turn" exercises.

Each check takes the student's result (or function), compares it with the
reference in course_lib, and either prints "All checks passed" or raises
:class:`ExerciseError` with a message that names what is wrong: a shape, the
value at an index, a gradient off by a factor. Every check is tested with a
correct and a wrong answer in tests/test_checks_lesson0N.py.
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


# --- lesson 00: getting started -------------------------------------------------------

def check_prepare_images(prepare_images) -> None:
    """Check ``prepare_images(images)``: uint8 images (N, H, W) -> floats (N, H*W) in [0, 1].

    Calls it on fixed random batches of 3 and then 1 MNIST-sized images and
    compares with ``images.reshape(N, -1) / 255``. Names the usual slips:
    images changed in place, not flattened, the whole batch flattened into one
    vector, one column per image, integer values (``//`` or no division),
    values up to 255, a wrong factor (``/ 256``).
    """
    rng = np.random.default_rng(0)
    for n in (3, 1):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        images[0, 0, 0], images[-1, -1, -1] = 0, 255
        original = images.copy()
        what = f"prepare_images(images) for images of shape {images.shape}"
        got = prepare_images(images)
        if not np.array_equal(images, original):
            _fail(f"{what} changed `images` in place. Leave the input alone and return a new "
                  f"array: images.reshape(...) / 255.0 makes one.")
        expected = images.reshape(n, -1) / 255.0
        if isinstance(got, np.ndarray):
            if got.shape == images.shape:
                _fail(f"{what} returned shape {got.shape}: the images are still 28x28 grids. "
                      f"Flatten each into 784 numbers: images.reshape(len(images), -1).")
            if got.shape == (n * 784,):
                _fail(f"{what} returned shape {got.shape}: the whole batch became one vector. "
                      f"Keep one row per image: images.reshape(len(images), -1), "
                      f"shape {expected.shape}.")
            if n > 1 and got.shape == (784, n):
                _fail(f"{what} returned shape {got.shape}, one column per image. The course puts "
                      f"the batch first: one row per image, shape {expected.shape}.")
            if got.shape == expected.shape and not np.issubdtype(got.dtype, np.floating):
                _fail(f"{what} returned integers (dtype {got.dtype}). Divide by 255.0 with `/` "
                      f"to get floats from 0 to 1; `//` rounds almost every pixel down to 0.")
            if got.shape == expected.shape and np.nanmax(got) > 1.5:
                _fail(f"{what} has values up to {np.nanmax(got):g}. Scale them to the range "
                      f"0 to 1: divide by 255.")
        compare_arrays(got, expected, what, rtol=1e-6, atol=1e-7)
    print(PASSED)


# --- lesson 01: layers forward and backward -------------------------------------------

#: the one sample lesson 01's Jacobian check feeds in: both signs, away from the kink at 0
L01_SAMPLE = np.array([1.5, -2.0, 0.3, -0.7, 2.2])


def _l01_fixed_slope(slopes: np.ndarray, alpha: float, what: str) -> None:
    """Name a constant slope on the negative side other than ``alpha`` (0: ReLU; or a fixed one)."""
    if slopes.size == 0 or not np.allclose(slopes, slopes.flat[0]):
        return
    slope = float(slopes.flat[0])
    if np.isclose(slope, alpha):
        return
    if np.isclose(slope, 0.0):
        _fail(f"{what} is ReLU's: where x <= 0 the slope of LeakyReLU is alpha = {alpha}, not 0.")
    if np.isclose(slope, 1.0):
        _fail(f"{what} uses slope 1 where x <= 0, like the identity: there the slope is "
              f"alpha = {alpha}.")
    _fail(f"{what} uses the slope {slope:.4g} where x <= 0, expected alpha = {alpha}: use the "
          f"alpha you were given, not a fixed number.")


def check_leaky_relu_jacobian(jacobian_fn) -> None:
    """Check ``jacobian_fn(x, alpha)``: LeakyReLU's full Jacobian at one sample.

    LeakyReLU is ``y = x`` where ``x > 0`` and ``y = alpha * x`` elsewhere. For
    a sample ``x`` of shape (K,) the Jacobian ``dy/dx`` is the (K, K) matrix
    ``diag(where(x > 0, 1, alpha))``. The check calls ``jacobian_fn`` with
    :data:`L01_SAMPLE` and two values of alpha, and names the usual slips: only
    the diagonal returned, ReLU's Jacobian (alpha forgotten), a fixed alpha,
    a wrong entry.
    """
    x = L01_SAMPLE
    negative = x <= 0
    for alpha in (0.1, 0.25):
        what = f"leaky_relu_jacobian(x, alpha={alpha}) for x = {x.tolist()}"
        expected = np.diag(np.where(negative, alpha, 1.0))
        got = jacobian_fn(x.copy(), alpha)
        if isinstance(got, np.ndarray) and got.shape == x.shape:
            start = ("They are the right slopes, but the" if np.allclose(got, np.diag(expected))
                     else "The")
            _fail(f"{what} returned {x.size} numbers, shape {got.shape}. {start} Jacobian "
                  f"of an op from K numbers to K numbers is a (K, K) matrix: entry [i, j] is "
                  f"dy_i/dx_j. Put the slopes on its diagonal with np.diag.")
        if (isinstance(got, np.ndarray) and got.shape == expected.shape
                and np.all(np.isfinite(got))):
            diagonal = np.diag(got)
            off_diagonal = got - np.diag(diagonal)
            if np.allclose(off_diagonal, 0) and np.allclose(diagonal[~negative], 1):
                _l01_fixed_slope(diagonal[negative], alpha, what)
        compare_arrays(got, expected, what)
    print(PASSED)


def check_leaky_relu(layer_cls) -> None:
    """Check a LeakyReLU layer class: ``layer_cls(alpha=...)`` with ``forward`` and ``backward``.

    Builds the layer with two values of alpha, runs ``forward`` on a fixed
    (4, 5) batch and ``backward`` on a fixed upstream gradient, and compares
    both with the reference ``y = where(x > 0, x, alpha x)``,
    ``dx = where(x > 0, g, alpha g)``. Names the usual slips: not a Layer
    class, no ``alpha`` argument, input or ``grad_out`` changed in place, the
    local derivative returned without multiplying by ``grad_out``, ReLU's
    backward, a fixed alpha, a wrong shape or value.
    """
    from .layers import Layer

    if not (isinstance(layer_cls, type) and issubclass(layer_cls, Layer)):
        _fail(f"Pass the class itself (LeakyReLU, not LeakyReLU()), a subclass of "
              f"course_lib.layers.Layer; got {layer_cls!r}.")
    rng = np.random.default_rng(1)
    X = rng.standard_normal((4, 5))
    X[np.abs(X) < 0.05] = 0.5  # keep away from the kink at 0
    G = rng.standard_normal((4, 5))
    negative = X <= 0
    for alpha in (0.1, 0.25):
        try:
            layer = layer_cls(alpha=alpha)
        except TypeError as err:
            _fail(f"{layer_cls.__name__}(alpha={alpha}) failed: {err}. The constructor should "
                  f"take the negative slope as a keyword argument alpha and store it.")
        x = X.copy()
        y = layer.forward(x)
        if not np.array_equal(x, X):
            _fail("forward changed its input x in place; the layer before owns that array. "
                  "Return a new array, e.g. with np.where.")
        what = f"forward(x) with alpha={alpha}"
        if isinstance(y, np.ndarray) and y.shape == X.shape and np.all(np.isfinite(y)):
            if np.allclose(y[~negative], X[~negative]):
                _l01_fixed_slope(y[negative] / X[negative], alpha, what)
        compare_arrays(y, np.where(negative, alpha * X, X), what)

        g = G.copy()
        dx = layer.backward(g)
        if not np.array_equal(g, G):
            _fail("backward changed grad_out in place; the next layer owns that array. "
                  "Return a new array, e.g. grad_out * slope or np.where(...).")
        what = f"backward(grad_out) with alpha={alpha}"
        expected = np.where(negative, alpha * G, G)
        if isinstance(dx, np.ndarray) and dx.shape == X.shape and np.all(np.isfinite(dx)):
            if np.allclose(dx, np.where(negative, alpha, 1.0)):
                _fail(f"{what} returned the local slope dy/dx (1 or alpha) itself. The chain "
                      f"rule multiplies it by the upstream gradient: dL/dx = grad_out * dy/dx.")
            if np.allclose(dx[~negative], G[~negative]):
                _l01_fixed_slope(dx[negative] / G[negative], alpha, what)
        compare_arrays(dx, expected, what)
    print(PASSED)


# --- lesson 02: SGD on linear models ----------------------------------------------------

def _l02_close(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal up to rounding (tight enough to tell ddof=0 from ddof=1)."""
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-7, atol=1e-9))


def _l02_ratio(got: np.ndarray, expected: np.ndarray) -> float | None:
    """The constant c with ``got == c * expected`` everywhere, or None."""
    nonzero = np.abs(expected) > 1e-12
    if not nonzero.any():
        return None
    c = float(np.median(got[nonzero] / expected[nonzero]))
    return c if np.allclose(got, c * expected, rtol=1e-6, atol=1e-10) else None


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
                _fail(f"{name} has shape {got.shape}, one number per feature: that is a "
                      f"statistic, not the data. Return the whole array, standardised, with the "
                      f"shape of the data, {X.shape}.")
            _fail(f"{name} should have the shape of the data it scales, {X.shape}, got "
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
                    _fail(f"{name} {message}")
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
            _fail(f"sgd_step should return a pair (W_new, b_new), got {type(out).__name__}"
                  + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else "") + ".")
        batch = f"a batch of {N}" if N > 1 else "one sample"
        for (label, param), new in zip((("W", W), ("b", b)), out):
            what = f"{label}_new (on {batch})"
            if not isinstance(new, np.ndarray):
                _fail(f"{what} should be a NumPy array of shape {param.shape}, got "
                      f"{type(new).__name__}.")
            if new.shape != param.shape:
                hint = ""
                if N > 1 and N in new.shape:
                    hint = (" The prediction X @ W + b has shape (N, 1) and y has shape (N,), "
                            "so their difference broadcasts to (N, N). Use y[:, None] or "
                            "y.reshape(-1, 1).")
                _fail(f"{what} should have the shape of {label}, {param.shape}, got "
                      f"{new.shape}.{hint}")
            step, expected = new - param, -lr * grads[label]
            if np.all(np.isfinite(step)) and not np.allclose(step, expected, rtol=1e-6, atol=1e-10):
                c = _l02_ratio(step, expected)
                if c is not None:
                    if np.isclose(c, 0):
                        _fail(f"{what} equals {label}: the parameters did not change. "
                              f"Return {label} - lr * dL/d{label}.")
                    if np.isclose(c, -1):
                        _fail(f"{what} moved {label} uphill, along the gradient. Gradient "
                              f"descent subtracts it: {label} - lr * dL/d{label}.")
                    if np.isclose(c, 0.5):
                        _fail(f"The step for {label} ({batch}) is half the expected one. "
                              f"The derivative of (y_hat - y)**2 is 2 (y_hat - y): keep the 2.")
                    if N > 1 and np.isclose(c, N):
                        _fail(f"The step for {label} ({batch}) is N = {N} times too large. "
                              f"The loss is a mean over the batch, so its gradient has a 1/N: "
                              f"divide the sum by N.")
                    if np.isclose(c, 1 / lr):
                        _fail(f"The step for {label} ({batch}) is the whole gradient: multiply "
                              f"it by the learning rate lr.")
            compare_arrays(step, expected, f"the step {label}_new - {label} (on {batch})")
    print(PASSED)


# --- lesson 03: MLPs on Boston, iris and digits --------------------------------------------

#: lesson 03's digits network: (kind, n_in, n_out) per layer; logits out, no final Softmax
L03_DIGITS_LAYERS = (("Dense", 64, 89), ("Tanh", None, None), ("Dense", 89, 10))


def check_digits_model(model) -> None:
    """Check lesson 03's network for the 8x8 digits: ``Dense(64, 89), Tanh, Dense(89, 10)``.

    It outputs ten scores (logits) for ``SoftmaxCrossEntropyLoss``, which applies the
    softmax itself. Names the usual slips: not a Sequential, a final Softmax, an
    activation on the output, a missing or extra layer, a layer of the wrong kind or
    size (n_in and n_out swapped), weights left at zero, the output shape.
    """
    from .layers import Dense, Layer, Softmax, Tanh
    from .model import Sequential

    if not isinstance(model, Sequential):
        _fail(f"model should be a course_lib.model.Sequential, got {type(model).__name__}. "
              f"Wrap the layers in a list: Sequential([Dense(...), Tanh(), Dense(...)]).")
    layers = model.layers
    listing = ", ".join(repr(layer) for layer in layers)
    if isinstance(layers[-1], Softmax):
        _fail("The last layer is a Softmax. Leave it out: SoftmaxCrossEntropyLoss takes the "
              "raw scores (logits) and applies the softmax itself, more stably.")
    if len(layers) == 4 and isinstance(layers[2], Dense) and not isinstance(layers[3], Dense):
        _fail(f"The output has an activation, {layers[3]!r}. End with the Dense(89 -> 10) "
              f"layer: its ten scores go straight into SoftmaxCrossEntropyLoss.")
    if len(layers) != len(L03_DIGITS_LAYERS):
        _fail(f"The model should have 3 layers, Dense(64 -> 89), Tanh, Dense(89 -> 10); got "
              f"{len(layers)}: {listing}.")
    for i, (layer, (kind, n_in, n_out)) in enumerate(zip(layers, L03_DIGITS_LAYERS)):
        if kind == "Tanh":
            if not isinstance(layer, Tanh):
                _fail(f"Layer {i}, the hidden activation, should be Tanh(), got {layer!r}.")
            continue
        if not isinstance(layer, Dense):
            _fail(f"Layer {i} should be Dense({n_in} -> {n_out}), got {layer!r}.")
        if (layer.n_in, layer.n_out) != (n_in, n_out):
            swapped = (layer.n_in, layer.n_out) == (n_out, n_in)
            _fail(f"Layer {i} should be Dense({n_in} -> {n_out}), got Dense({layer.n_in} -> "
                  f"{layer.n_out})." + (" n_in and n_out are swapped: Dense(n_in, n_out)."
                                        if swapped else ""))
        if not np.any(layer.params["W"]):
            _fail(f"Layer {i}'s weights are all zero. Then every hidden unit computes the same "
                  f"thing and gets the same gradient, so they never become different: use a "
                  f"random init such as init=\"glorot\".")
    if not all(isinstance(layer, Layer) for layer in layers):  # pragma: no cover - Sequential checks
        _fail("Every item of the model must be a course_lib Layer.")
    out = model.predict(np.zeros((2, 64)))
    if out.shape != (2, 10):  # pragma: no cover - implied by the layer checks
        _fail(f"The model should map a batch (2, 64) to (2, 10), got {out.shape}.")
    print(PASSED)


def _l03_mlp_grads(X: np.ndarray, y: np.ndarray, W1: np.ndarray, b1: np.ndarray,
                   W2: np.ndarray, b2: np.ndarray, slip: str = "") -> tuple[np.ndarray, ...]:
    """Gradients of the tanh MLP with softmax cross-entropy, or of one usual slip of them."""
    from .layers import softmax

    N, K = len(X), W2.shape[1]
    T = np.zeros((N, K))
    T[np.arange(N), y] = 1.0
    a = X @ W1 + b1
    h = np.tanh(a)
    z = h @ W2 + b2
    delta2 = ((z if slip == "no_softmax" else softmax(z)) - T) / N
    back = delta2 @ W2.T
    local = {"sigmoid_derivative": h * (1 - h), "pre_activation": 1 - a * a,
             "no_derivative": np.ones_like(h)}.get(slip, 1 - h * h)
    delta1 = back * local
    return X.T @ delta1, delta1.sum(axis=0), h.T @ delta2, delta2.sum(axis=0)


def check_mlp_backward(mlp_backward) -> None:
    """Check ``mlp_backward(X, y, W1, b1, W2, b2) -> (dW1, db1, dW2, db2)``.

    The network: ``h = tanh(X @ W1 + b1)``, ``z = h @ W2 + b2``, and the loss is the
    softmax cross-entropy of the scores z against integer labels y, averaged over
    the batch. The answer is compared with course_lib's Dense, Tanh and
    SoftmaxCrossEntropyLoss on a fixed batch. Names the usual slips: not four arrays,
    a gradient transposed, the 1/N forgotten, z - t instead of softmax(z) - t,
    sigmoid's derivative h (1 - h) for tanh's 1 - h**2, the derivative taken at the
    pre-activation, no derivative at all, a wrong value.
    """
    from .layers import Dense, Tanh
    from .losses import SoftmaxCrossEntropyLoss
    from .model import Sequential

    rng = np.random.default_rng(3)
    N, d, H, K = 6, 4, 5, 3
    X, y = rng.standard_normal((N, d)), rng.integers(0, K, size=N)
    W1, b1 = rng.standard_normal((d, H)), 0.5 * rng.standard_normal(H)
    W2, b2 = rng.standard_normal((H, K)), 0.5 * rng.standard_normal(K)

    model = Sequential([Dense(d, H, rng=0), Tanh(), Dense(H, K, rng=0)])
    model.layers[0].params["W"][...], model.layers[0].params["b"][...] = W1, b1
    model.layers[2].params["W"][...], model.layers[2].params["b"][...] = W2, b2
    loss = SoftmaxCrossEntropyLoss()
    loss.forward(model.forward(X), y)
    model.backward(loss.backward())
    expected = (model.layers[0].grads["W"], model.layers[0].grads["b"],
                model.layers[2].grads["W"], model.layers[2].grads["b"])

    out = mlp_backward(X.copy(), y.copy(), W1.copy(), b1.copy(), W2.copy(), b2.copy())
    if not (isinstance(out, (tuple, list)) and len(out) == 4):
        _fail(f"mlp_backward should return four arrays (dW1, db1, dW2, db2), got "
              f"{type(out).__name__}" + (f" of length {len(out)}"
                                         if isinstance(out, (tuple, list)) else "") + ".")
    names = ("dW1", "db1", "dW2", "db2")
    for name, got, exp in zip(names, out, expected):
        if isinstance(got, np.ndarray) and got.shape != exp.shape and got.shape == exp.T.shape:
            _fail(f"{name} has shape {got.shape}, the transpose of its parameter's {exp.shape}. "
                  f"A gradient has the shape of its parameter: dW = (input).T @ delta.")
    slips = {
        "no_softmax": "uses the scores z in z - t. The gradient of softmax cross-entropy with "
                      "respect to z is softmax(z) - t: apply the softmax first.",
        "sigmoid_derivative": "uses sigmoid's derivative h (1 - h). Tanh's derivative is "
                              "1 - h**2, with h = tanh(a).",
        "pre_activation": "takes tanh's derivative at the wrong array: 1 - a**2 with the "
                          "pre-activation a. It is 1 - h**2 with the output h = tanh(a).",
        "no_derivative": "passes the gradient through the hidden layer without multiplying by "
                         "tanh's derivative 1 - h**2.",
    }
    for name, got, exp in zip(names, out, expected):
        if (isinstance(got, np.ndarray) and got.shape == exp.shape and np.all(np.isfinite(got))
                and not np.allclose(got, exp, rtol=1e-6, atol=1e-10)):
            c = _l02_ratio(got, exp)
            if c is not None and np.isclose(c, N):
                _fail(f"{name} is N = {N} times too large. The loss is a mean over the batch: "
                      f"divide by N (e.g. delta2 = (softmax(z) - t) / N).")
            if c is not None and np.isclose(c, -1):
                _fail(f"{name} has the wrong sign. Start from dL/dz = softmax(z) - t "
                      f"(prediction minus target).")
            for slip, message in slips.items():
                alternative = _l03_mlp_grads(X, y, W1, b1, W2, b2, slip)[names.index(name)]
                if np.allclose(got, alternative, rtol=1e-6, atol=1e-10):
                    _fail(f"{name} {message}")
        compare_arrays(got, exp, name)
    print(PASSED)


# --- lesson 04: the CNN on MNIST ---------------------------------------------------------

#: (height, width, num_filters) that check_conv_pool_shape tries, with the right answers
L04_SHAPE_CASES = (((28, 28, 8), (8, 13, 13)), ((8, 8, 16), (16, 3, 3)),
                   ((27, 27, 8), (8, 12, 12)), ((12, 7, 4), (4, 5, 2)))


def check_conv_pool_shape(conv_pool_shape) -> None:
    """Check ``conv_pool_shape(height, width, num_filters) -> (F, H_out, W_out)``.

    The shape of one image's output after a valid 3x3 convolution with
    ``num_filters`` filters (stride 1) and a 2x2 max-pool (stride 2, an odd last
    row or column dropped), as Conv3x3 and MaxPool2 compute it. Tries square,
    odd and non-square sizes. Names the usual slips: not three ints, the filter
    count missing or not first, the pooling forgotten, the convolution's shrink
    by 2 forgotten or taken as 3, rounding up, height and width swapped.
    """
    answers = []
    for (h, w, f), expected in L04_SHAPE_CASES:
        what = f"conv_pool_shape({h}, {w}, {f})"
        got = conv_pool_shape(h, w, f)
        if isinstance(got, np.ndarray):
            got = tuple(got.tolist())
        if not isinstance(got, (tuple, list)) or not all(
                isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in got):
            _fail(f"{what} should return a tuple of ints (filters, height, width), got "
                  f"{got!r}. Use // to halve: / gives floats.")
        got = tuple(int(n) for n in got)
        if got != expected and got == expected[1:]:
            _fail(f"{what} returned {got}, the height and width only. Put the number of "
                  f"filters (feature maps) first: {expected}.")
        if len(got) != 3:
            _fail(f"{what} should return three numbers (filters, height, width), got {got}.")
        if got[0] != f:
            if f in got[1:]:
                _fail(f"{what} returned {got}: the number of filters goes first, as in "
                      f"Conv3x3's output (N, F, H, W). Expected {expected}.")
            _fail(f"{what} returned {got}: the first entry is the number of filters, {f}, "
                  f"one feature map per filter. Expected {expected}.")
        answers.append(got)
    # A slip is named when it explains every answer; some agree with the right one on
    # some sizes (27 // 2 == (27 - 2 + 1) // 2), so all four sizes are looked at together.
    slips = [(lambda h, w: (h - 2, w - 2), "is the size after the convolution only; the 2x2 "
              "max-pool then halves height and width (rounding down)."),
             (lambda h, w: (h // 2, w // 2), "forgets that the valid 3x3 convolution first "
              "shrinks the image by 2 (28 -> 26)."),
             (lambda h, w: ((h - 1) // 2, (w - 1) // 2), "rounds up, or shrinks by 1 in the "
              "convolution. A 3x3 filter fits at H - 2 positions, and the pool drops an odd "
              "last row or column: (H - 2) // 2."),
             (lambda h, w: ((h - 3) // 2, (w - 3) // 2), "shrinks by 3 in the convolution. A "
              "3x3 filter fits at H - 2 positions along an axis of H."),
             (lambda h, w: ((w - 2) // 2, (h - 2) // 2), "swaps height and width: return "
              "(filters, height, width).")]
    wrong = [(case, got) for case, got in zip(L04_SHAPE_CASES, answers) if got != case[1]]
    if not wrong:
        print(PASSED)
        return
    ((h, w, f), expected), got = wrong[0]
    what = f"conv_pool_shape({h}, {w}, {f})"
    for rule, message in slips:
        if all(got[1:] == rule(*case[:2]) for (case, _), got in zip(L04_SHAPE_CASES, answers)):
            _fail(f"{what} returned {got}: it {message} Expected {expected}.")
    _fail(f"{what} returned {got}, expected {expected}: (F, (H - 2) // 2, (W - 2) // 2).")


def _l04_conv_at(x: np.ndarray, W: np.ndarray, b: np.ndarray, i: int, j: int) -> np.ndarray:
    """The reference: output (F,) of a valid 3x3 cross-correlation of x (C, H, W) at (i, j)."""
    return np.einsum("fcij,cij->f", W, x[:, i:i + 3, j:j + 3]) + b


def check_conv3x3_at(conv3x3_at) -> None:
    """Check ``conv3x3_at(x, W, b, i, j) -> y``: one position of a 3x3 convolution.

    ``x`` is one image (C, H, W), ``W`` the filters (F, C, 3, 3), ``b`` the biases
    (F,); ``y`` (F,) holds ``y[f] = b[f] + sum_{c,di,dj} W[f,c,di,dj] x[c,i+di,j+dj]``,
    the column (i, j) of Conv3x3's output. Uses two channels and three filters.
    Names the usual slips: the wrong shape (channels not summed), i and j swapped,
    the window centred on (i, j), the filter flipped (true convolution), the
    bias forgotten.
    """
    from .layers import Conv3x3

    rng = np.random.default_rng(4)
    C, F, H, W_ = 2, 3, 7, 8
    x = rng.standard_normal((C, H, W_))
    W = rng.standard_normal((F, C, 3, 3))
    b = rng.standard_normal(F)
    conv = Conv3x3(F, C, rng=0)
    conv.params["W"][...], conv.params["b"][...] = W, b
    y_all = conv.forward(x[None])[0]                     # (F, H-2, W-2)
    for i, j in ((2, 4), (4, 1), (0, 0), (4, 5)):
        what = f"conv3x3_at(x, W, b, {i}, {j})"
        x_in, W_in, b_in = x.copy(), W.copy(), b.copy()
        got = conv3x3_at(x_in, W_in, b_in, i, j)
        if not (np.array_equal(x_in, x) and np.array_equal(W_in, W)
                and np.array_equal(b_in, b)):
            _fail(f"{what} changed its inputs in place; compute y without writing to x, W or b.")
        expected = y_all[:, i, j]
        if np.ndim(got) == 0 and isinstance(got, (float, int, np.number)):
            _fail(f"{what} is a single number; it should have shape {expected.shape}, one "
                  f"number per filter. Sum over (channel, row, column) only, not filters.")
        if isinstance(got, np.ndarray) and got.shape != expected.shape:
            if got.shape in ((F, C), (C, F), (F, C, 3, 3)):
                _fail(f"{what} has shape {got.shape}; it should be {expected.shape}, one number "
                      f"per filter. Sum over the channels as well as the 3x3 window.")
        if isinstance(got, np.ndarray) and got.shape == expected.shape:
            slips = [(y_all[:, j, i] if max(i, j) < min(H, W_) - 2 else None,
                      "swaps i and j: i is the row (height), j the column (width), "
                      "x[:, i:i+3, j:j+3]."),
                     (y_all[:, i - 1, j - 1] if min(i, j) >= 1 else None,
                      "centres the window on (i, j). Output (i, j) of a valid convolution "
                      "uses the window whose top-left corner is (i, j): x[:, i:i+3, j:j+3]."),
                     (_l04_conv_at(x, W[:, :, ::-1, ::-1], b, i, j),
                      "flips the filter, as the convolution of signal processing does. Deep "
                      "learning's 'convolution' is a cross-correlation: W[f, c, di, dj] "
                      "multiplies x[c, i + di, j + dj], no flip."),
                     (expected - b, "forgets the bias: add b[f] to each filter's sum.")]
            for alternative, message in slips:
                if alternative is not None and np.allclose(got, alternative, rtol=1e-6,
                                                           atol=1e-10) \
                        and not np.allclose(alternative, expected, rtol=1e-6, atol=1e-10):
                    _fail(f"{what} {message}")
        compare_arrays(got, expected, what)
    print(PASSED)


def check_maxpool2_forward(maxpool2_forward) -> None:
    """Check ``maxpool2_forward(x) -> y``: 2x2 max-pooling, stride 2, on (N, C, H, W).

    Compares with :class:`course_lib.layers.MaxPool2` on an even-sized input, an
    odd-sized one (the last row and column are dropped) and one with many ties.
    Names the usual slips: the input changed in place, the odd row or column
    kept, one corner of each window only (plain subsampling), the average or the
    minimum instead of the maximum, the maximum of two corners only.
    """
    from .layers import MaxPool2

    rng = np.random.default_rng(5)
    inputs = [rng.standard_normal((2, 3, 6, 8)), rng.standard_normal((1, 2, 7, 5)),
              rng.integers(0, 3, size=(2, 1, 6, 6)).astype(np.float64)]
    for x in inputs:
        what = f"maxpool2_forward(x) for x of shape {x.shape}"
        x_in = x.copy()
        got = maxpool2_forward(x_in)
        if not np.array_equal(x_in, x):
            _fail(f"{what} changed x in place; compute the result without writing to x.")
        expected = MaxPool2().forward(x)
        N, C, H, W = x.shape
        if (isinstance(got, np.ndarray) and got.shape != expected.shape
                and got.shape == (N, C, -(-H // 2), -(-W // 2))):
            _fail(f"{what} has shape {got.shape}, expected {expected.shape}: an odd last row or "
                  f"column has no full 2x2 window and is dropped. Slice up to 2 * (H // 2), "
                  f"e.g. x[:, :, 0:2 * (H // 2):2, 0:2 * (W // 2):2].")
        if isinstance(got, np.ndarray) and got.shape == expected.shape:
            Ho, Wo = H // 2, W // 2
            corners = np.stack([x[:, :, di:2 * Ho:2, dj:2 * Wo:2]
                                for di in (0, 1) for dj in (0, 1)])
            slips = [(corners[0], "keeps only the top-left corner of each window (plain "
                                  "subsampling): take the maximum of all four corners, "
                                  "x[:, :, 0::2, 0::2], x[:, :, 0::2, 1::2], x[:, :, 1::2, 0::2] "
                                  "and x[:, :, 1::2, 1::2]."),
                     (corners.mean(axis=0), "averages each window (average pooling); max-pooling "
                                            "keeps the largest value."),
                     (corners.min(axis=0), "takes the minimum of each window; max-pooling keeps "
                                           "the largest value."),
                     (np.maximum(corners[0], corners[1]), "takes the maximum of the two top "
                                                          "corners only; use all four."),
                     (np.maximum(corners[0], corners[2]), "takes the maximum of the two left "
                                                          "corners only; use all four."),
                     (np.maximum(corners[0], corners[3]), "takes the maximum of two diagonal "
                                                          "corners only; use all four.")]
            for alternative, message in slips:
                if np.allclose(got, alternative) and not np.allclose(alternative, expected):
                    _fail(f"{what} {message}")
        compare_arrays(got, expected, what)
    print(PASSED)

# --- lesson 05: activations on MNIST ------------------------------------------------------

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
                _fail(f"{what} {message}")
    compare_arrays(got, expected, what)

    if not isinstance(max_slope, (int, float, np.floating, np.integer)):
        _fail(f"max_slope should be a number, got {type(max_slope).__name__}.")
    if np.isclose(max_slope, 0.5):
        _fail("max_slope = 0.5 is the value sigmoid(0), not its slope: the slope at 0 is "
              "sigmoid(0) * (1 - sigmoid(0)) = 0.5 * 0.5.")
    if np.isclose(max_slope, 1.0):
        _fail("max_slope = 1 is the largest slope of tanh (and ReLU's slope); the sigmoid is "
              "flatter: evaluate sigmoid_prime on a grid and take the maximum.")
    if not np.isclose(max_slope, 0.25, rtol=1e-3):
        _fail(f"max_slope = {max_slope:.4g} is not the largest value of sigmoid_prime: look at "
              f"sigmoid_prime(np.linspace(-5, 5, 1001)).max() and where it is reached.")

    if not isinstance(three_layer_bound, (int, float, np.floating, np.integer)):
        _fail(f"three_layer_bound should be a number, got {type(three_layer_bound).__name__}.")
    if np.isclose(three_layer_bound, 0.75):
        _fail("three_layer_bound = 0.75 adds the three slopes; the chain rule multiplies them: "
              "max_slope ** 3.")
    if np.isclose(three_layer_bound, 0.25 ** 4):
        _fail("three_layer_bound = 0.25 ** 4 counts four sigmoids; the network has three hidden "
              "sigmoid layers (the output layer is linear, its softmax is in the loss).")
    if np.isclose(three_layer_bound, 0.25):
        _fail("three_layer_bound = 0.25 is one layer's bound; the gradient passes through three "
              "sigmoid layers, and the chain rule multiplies their slopes.")
    if np.isclose(three_layer_bound, 0.5 ** 3):
        _fail("three_layer_bound = 0.5 ** 3 uses sigmoid(0) = 0.5, the value, not the slope 0.25.")
    if not np.isclose(three_layer_bound, 0.25 ** 3, rtol=1e-3):
        _fail(f"three_layer_bound = {three_layer_bound:.4g}, expected max_slope ** 3 = "
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
            _fail(f"{what} returned {got.shape[0]} numbers, one per class. Macro F1 is one "
                  f"number: the mean of the per-class F1 scores.")
        if isinstance(got, np.ndarray) and got.ndim == 0:
            got = got.item()
        if not isinstance(got, (int, float, np.floating, np.integer)):
            _fail(f"{what} should return a number (a float), got {type(got).__name__}.")
        got = float(got)
        if not np.isfinite(got):
            _fail(f"{what} is {got}. A class that is never predicted has TP + FP = 0, so its "
                  f"precision TP / (TP + FP) is 0 / 0. Count it as 0, as scikit-learn does, or "
                  f"use F1 = 2 TP / (2 TP + FP + FN), which is defined whenever the class "
                  f"occurs.")
        if np.isclose(got, expected, rtol=1e-6, atol=1e-9):
            continue
        for wrong, message in _l05_macro_f1_slips(cm):
            if np.isclose(got, wrong, rtol=1e-6, atol=1e-9):
                _fail(f"{what} = {got:.6f} {message} Expected {expected:.6f}.")
        _fail(f"{what} = {got:.6f}, expected {expected:.6f} (scikit-learn's f1_score with "
              f"average='macro'). Per class k: TP = cm[k, k], FP = column sum - TP, FN = row "
              f"sum - TP, F1_k = 2 TP / (2 TP + FP + FN); then the mean over classes.")
    print(PASSED)
