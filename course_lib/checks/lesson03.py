"""Checks for lesson 03: MLPs on Boston, iris and digits."""

from __future__ import annotations

import numpy as np

from .common import PASSED, compare_arrays, constant_ratio, fail

#: lesson 03's digits network: (kind, n_in, n_out) per layer; logits out, no final Softmax
L03_DIGITS_LAYERS = (("Dense", 64, 89), ("Tanh", None, None), ("Dense", 89, 10))


def check_digits_model(model) -> None:
    """Check lesson 03's network for the 8x8 digits: ``Dense(64, 89), Tanh, Dense(89, 10)``.

    It outputs ten scores (logits) for ``SoftmaxCrossEntropyLoss``, which applies the
    softmax itself. Names the usual slips: not a Sequential, a final Softmax, an
    activation on the output, a missing or extra layer, a layer of the wrong kind or
    size (n_in and n_out swapped), weights left at zero, the output shape.
    """
    from ..layers import Dense, Layer, Softmax, Tanh
    from ..model import Sequential

    if not isinstance(model, Sequential):
        fail(f"model should be a course_lib.model.Sequential, got {type(model).__name__}. "
              f"Wrap the layers in a list: Sequential([Dense(...), Tanh(), Dense(...)]).")
    layers = model.layers
    listing = ", ".join(repr(layer) for layer in layers)
    if isinstance(layers[-1], Softmax):
        fail("The last layer is a Softmax. Leave it out: SoftmaxCrossEntropyLoss takes the "
              "raw scores (logits) and applies the softmax itself, more stably.")
    if len(layers) == 4 and isinstance(layers[2], Dense) and not isinstance(layers[3], Dense):
        fail(f"The output has an activation, {layers[3]!r}. End with the Dense(89 -> 10) "
              f"layer: its ten scores go straight into SoftmaxCrossEntropyLoss.")
    if len(layers) != len(L03_DIGITS_LAYERS):
        fail(f"The model should have 3 layers, Dense(64 -> 89), Tanh, Dense(89 -> 10); got "
              f"{len(layers)}: {listing}.")
    for i, (layer, (kind, n_in, n_out)) in enumerate(zip(layers, L03_DIGITS_LAYERS)):
        if kind == "Tanh":
            if not isinstance(layer, Tanh):
                fail(f"Layer {i}, the hidden activation, should be Tanh(), got {layer!r}.")
            continue
        if not isinstance(layer, Dense):
            fail(f"Layer {i} should be Dense({n_in} -> {n_out}), got {layer!r}.")
        if (layer.n_in, layer.n_out) != (n_in, n_out):
            swapped = (layer.n_in, layer.n_out) == (n_out, n_in)
            fail(f"Layer {i} should be Dense({n_in} -> {n_out}), got Dense({layer.n_in} -> "
                  f"{layer.n_out})." + (" n_in and n_out are swapped: Dense(n_in, n_out)."
                                        if swapped else ""))
        if not np.any(layer.params["W"]):
            fail(f"Layer {i}'s weights are all zero. Then every hidden unit computes the same "
                  f"thing and gets the same gradient, so they never become different: use a "
                  f"random init such as init=\"glorot\".")
    if not all(isinstance(layer, Layer) for layer in layers):  # pragma: no cover - Sequential checks
        fail("Every item of the model must be a course_lib Layer.")
    out = model.predict(np.zeros((2, 64)))
    if out.shape != (2, 10):  # pragma: no cover - implied by the layer checks
        fail(f"The model should map a batch (2, 64) to (2, 10), got {out.shape}.")
    print(PASSED)


def _l03_mlp_grads(X: np.ndarray, y: np.ndarray, W1: np.ndarray, b1: np.ndarray,
                   W2: np.ndarray, b2: np.ndarray, slip: str = "") -> tuple[np.ndarray, ...]:
    """Gradients of the tanh MLP with softmax cross-entropy, or of one usual slip of them."""
    from ..layers import softmax

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
    from ..layers import Dense, Tanh
    from ..losses import SoftmaxCrossEntropyLoss
    from ..model import Sequential

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
        fail(f"mlp_backward should return four arrays (dW1, db1, dW2, db2), got "
              f"{type(out).__name__}" + (f" of length {len(out)}"
                                         if isinstance(out, (tuple, list)) else "") + ".")
    names = ("dW1", "db1", "dW2", "db2")
    for name, got, exp in zip(names, out, expected):
        if isinstance(got, np.ndarray) and got.shape != exp.shape and got.shape == exp.T.shape:
            fail(f"{name} has shape {got.shape}, the transpose of its parameter's {exp.shape}. "
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
            c = constant_ratio(got, exp)
            if c is not None and np.isclose(c, N):
                fail(f"{name} is N = {N} times too large. The loss is a mean over the batch: "
                      f"divide by N (e.g. delta2 = (softmax(z) - t) / N).")
            if c is not None and np.isclose(c, -1):
                fail(f"{name} has the wrong sign. Start from dL/dz = softmax(z) - t "
                      f"(prediction minus target).")
            for slip, message in slips.items():
                alternative = _l03_mlp_grads(X, y, W1, b1, W2, b2, slip)[names.index(name)]
                if np.allclose(got, alternative, rtol=1e-6, atol=1e-10):
                    fail(f"{name} {message}")
        compare_arrays(got, exp, name)
    print(PASSED)
