"""Checks for lesson 03: backpropagation through an MLP, the digits network, momentum and Adam."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..layers import Layer
from .common import (PASSED, ExerciseError, Unchanged, compare_arrays, constant_ratio, fail,
                     no_delegation, tolerance)

#: lesson 03's digits network: (kind, n_in, n_out) per layer; logits out, no final Softmax
L03_DIGITS_LAYERS = (("Dense", 64, 89), ("Tanh", None, None), ("Dense", 89, 10))


# --- exercise 1: backpropagation by hand ----------------------------------------------------

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


def _l03_course_lib_grads(X: np.ndarray, y: np.ndarray, W1: np.ndarray, b1: np.ndarray,
                          W2: np.ndarray, b2: np.ndarray) -> tuple[np.ndarray, ...]:
    """(dW1, db1, dW2, db2) from course_lib's Dense, Tanh and SoftmaxCrossEntropyLoss."""
    from ..layers import Dense, Tanh
    from ..losses import SoftmaxCrossEntropyLoss
    from ..model import Sequential

    (d, H), K = W1.shape, W2.shape[1]
    model = Sequential([Dense(d, H, rng=0), Tanh(), Dense(H, K, rng=0)])
    for layer, W, b in ((model.layers[0], W1, b1), (model.layers[2], W2, b2)):
        layer.params["W"][...], layer.params["b"][...] = W, b
    loss = SoftmaxCrossEntropyLoss()
    loss.forward(model.forward(X), y)
    model.backward(loss.backward())
    return (model.layers[0].grads["W"], model.layers[0].grads["b"],
            model.layers[2].grads["W"], model.layers[2].grads["b"])


_L03_BACKWARD_SLIPS = {
    "no_softmax": "uses the scores z in z - t. The gradient of softmax cross-entropy with "
                  "respect to z is softmax(z) - t: apply the softmax first.",
    "sigmoid_derivative": "uses sigmoid's derivative h (1 - h). Tanh's derivative is "
                          "1 - h**2, with h = tanh(a).",
    "pre_activation": "takes tanh's derivative at the wrong array: 1 - a**2 with the "
                      "pre-activation a. It is 1 - h**2 with the output h = tanh(a).",
    "no_derivative": "passes the gradient through the hidden layer without multiplying by "
                     "tanh's derivative 1 - h**2.",
}


#: course_lib's layers and losses that would do mlp_backward's backpropagation for the student
_MLP_BACKWARD_TOOLS = ("course_lib.layers.Dense", "course_lib.layers.MatMul",
                       "course_lib.layers.BiasAdd", "course_lib.layers.Tanh",
                       "course_lib.losses.SoftmaxCrossEntropyLoss")


@no_delegation(tools=_MLP_BACKWARD_TOOLS)
def check_mlp_backward(mlp_backward: Callable) -> None:
    """Check ``mlp_backward(X, y, W1, b1, W2, b2) -> (dW1, db1, dW2, db2)``.

    The network: ``h = tanh(X @ W1 + b1)``, ``z = h @ W2 + b2``, and the loss is the
    softmax cross-entropy of the scores z against integer labels y, averaged over
    the batch. The answer is compared with course_lib's Dense, Tanh and
    SoftmaxCrossEntropyLoss on a batch of 6 (4 features, 5 hidden units, 3 classes)
    and on a batch of 1 (3 features, 2 hidden units, 4 classes), so that no shape is
    square. Any correct answer passes: a tuple or a list, matrix products, einsum or
    loops, float32 arrays (compared with float32's tolerance).

    Names the usual slips: not four arrays, a gradient transposed, a bias gradient
    kept 2-d (keepdims), the 1/N forgotten, the wrong sign, z - t instead of
    softmax(z) - t, sigmoid's derivative h (1 - h) for tanh's 1 - h**2, the
    derivative taken at the pre-activation, no derivative at all, an input changed
    in place, a wrong value. An answer that lets course_lib's layers and loss
    backpropagate (Dense, Tanh, SoftmaxCrossEntropyLoss) gets no credit.
    """
    rng = np.random.default_rng(3)
    names = ("dW1", "db1", "dW2", "db2")
    for N, d, H, K in ((6, 4, 5, 3), (1, 3, 2, 4)):
        X, y = rng.standard_normal((N, d)), rng.integers(0, K, size=N)
        W1, b1 = rng.standard_normal((d, H)), 0.5 * rng.standard_normal(H)
        W2, b2 = rng.standard_normal((H, K)), 0.5 * rng.standard_normal(K)
        expected = _l03_course_lib_grads(X, y, W1, b1, W2, b2)
        batch = f"a batch of {N}" if N > 1 else "a batch of 1"
        inputs = Unchanged(X=X, y=y, W1=W1, b1=b1, W2=W2, b2=b2)
        out = mlp_backward(X, y, W1, b1, W2, b2)
        inputs.check(f"mlp_backward on {batch}")
        if not (isinstance(out, (tuple, list)) and len(out) == 4):
            fail(f"mlp_backward should return four arrays (dW1, db1, dW2, db2), got "
                 f"{type(out).__name__}" + (f" of length {len(out)}"
                                            if isinstance(out, (tuple, list)) else "") + ".")
        for name, got, exp in zip(names, out, expected):
            if not isinstance(got, np.ndarray) or got.shape == exp.shape:
                continue
            if got.ndim == 2 and got.shape == exp.T.shape:
                fail(f"{name} has shape {got.shape}, the transpose of its parameter's "
                     f"{exp.shape}. A gradient has the shape of its parameter: "
                     f"dW = (input).T @ delta.")
            if exp.ndim == 1 and got.shape == (1, *exp.shape):
                fail(f"{name} has shape {got.shape}, the bias has shape {exp.shape}: sum delta "
                     f"over the batch axis without keepdims, delta.sum(axis=0).")
        for name, got, exp in zip(names, out, expected):
            what = f"{name} (on {batch})"
            if (isinstance(got, np.ndarray) and got.shape == exp.shape
                    and np.issubdtype(got.dtype, np.floating) and np.all(np.isfinite(got))):
                rtol, atol = tolerance(got, exp)
                if not np.allclose(got, exp, rtol=rtol, atol=atol):
                    c = constant_ratio(got, exp)
                    if c is not None and N > 1 and np.isclose(c, N, rtol=1e-3):
                        fail(f"{what} is N = {N} times too large. The loss is a mean over the "
                             f"batch: divide by N (e.g. delta2 = (softmax(z) - t) / N).")
                    if c is not None and N > 1 and np.isclose(c, 1 / N, rtol=1e-3):
                        if name.startswith("db"):
                            fail(f"{what} is 1/N = 1/{N} of the expected value: delta already "
                                 f"carries the loss's 1/N, so the bias gradient is its sum over "
                                 f"the batch, delta.sum(axis=0), not its mean.")
                        fail(f"{what} is 1/N = 1/{N} of the expected value: the 1/N is taken "
                             f"twice. Divide once, in delta2 = (softmax(z) - t) / N, and not "
                             f"again in the weight gradients.")
                    if c is not None and np.isclose(c, -1, rtol=1e-3):
                        fail(f"{what} has the wrong sign. Start from dL/dz = softmax(z) - t "
                             f"(prediction minus target).")
                    for slip, message in _L03_BACKWARD_SLIPS.items():
                        alternative = _l03_mlp_grads(X, y, W1, b1, W2, b2, slip)
                        wrong = alternative[names.index(name)]
                        if (np.allclose(got, wrong, rtol=rtol, atol=atol)
                                and not np.allclose(wrong, exp, rtol=rtol, atol=atol)):
                            fail(f"{what} {message}")
            compare_arrays(got, exp, what)
    print(PASSED)


# --- exercise 2: the digits network ----------------------------------------------------------

def _l03_check_digits_structure(model: object, what: str) -> None:
    """Name the first way ``model`` is not Sequential([Dense(64, 89), Tanh(), Dense(89, 10)])."""
    from ..layers import Dense, Softmax, Tanh
    from ..model import Sequential

    if model is None:
        fail(f"{what} returned None: did the function forget to `return` the model?")
    if not isinstance(model, Sequential):
        fail(f"{what} should return a course_lib.model.Sequential, got "
             f"{type(model).__name__}. Wrap the layers in a list: "
             f"Sequential([Dense(...), Tanh(), Dense(...)]).")
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


def _l03_weights(model: object) -> list[np.ndarray]:
    return [model.layers[0].params["W"], model.layers[2].params["W"]]


def check_build_digits_model(build_digits_model: Callable) -> None:
    """Check ``build_digits_model(seed) -> Sequential``: lesson 03's digits network.

    Expected: ``Sequential([Dense(64, 89), Tanh(), Dense(89, 10)])``, both Dense
    layers with ``init="glorot"`` drawn, in that order, from ONE generator
    ``np.random.default_rng(seed)`` (so the model is the lesson's
    ``mlp([64, 89, 10], Tanh, seed=seed)``). It outputs ten scores (logits) for
    ``SoftmaxCrossEntropyLoss``, which applies the softmax itself. The check builds
    the model with seeds 0 and 1, and 0 again; float32 parameters are fine.

    Names the usual slips: the model passed instead of the function, nothing
    returned, not a Sequential, a final Softmax, an activation on the output, a
    missing or extra layer, a layer of the wrong kind or size (n_in and n_out
    swapped), weights left at zero, weights that change from call to call (an
    unseeded generator) or ignore the seed, another init than Glorot's, each layer
    seeded on its own (both drawing the same random numbers).
    """
    from ..layers import Dense
    from ..model import Sequential

    if isinstance(build_digits_model, Sequential) or not callable(build_digits_model):
        fail(f"Pass the function itself, check_build_digits_model(build_digits_model), not "
             f"what it returns (got {type(build_digits_model).__name__}).")
    models = {}
    for seed in (0, 1):
        models[seed] = build_digits_model(seed)
        _l03_check_digits_structure(models[seed], f"build_digits_model({seed})")
    again = build_digits_model(0)
    _l03_check_digits_structure(again, "build_digits_model(0)")
    if not all(np.array_equal(a, b) for a, b in zip(_l03_weights(models[0]),
                                                     _l03_weights(again))):
        fail("Two calls build_digits_model(0) give different weights. Make the generator "
             "inside the function from its argument, rng = np.random.default_rng(seed), so "
             "the same seed always gives the same network.")
    if all(np.array_equal(a, b) for a, b in zip(_l03_weights(models[0]),
                                                 _l03_weights(models[1]))):
        fail("build_digits_model(0) and build_digits_model(1) give the same weights: the "
             "seed argument is not used. Seed the generator with it: "
             "np.random.default_rng(seed).")
    for seed, model in models.items():
        rng = np.random.default_rng(seed)
        expected = [Dense(64, 89, init="glorot", rng=rng).params["W"],
                    Dense(89, 10, init="glorot", rng=rng).params["W"]]
        for index, got, exp in zip((0, 2), _l03_weights(model), expected):
            rtol, atol = tolerance(got, exp)
            if np.allclose(got, exp, rtol=rtol, atol=atol):
                continue
            layer = model.layers[index]
            limit = np.sqrt(6.0 / (layer.n_in + layer.n_out))
            largest = float(np.abs(got).max())
            if largest > limit * (1 + 1e-6) or largest < 0.9 * limit:
                fail(f"Layer {index}'s weights are not Glorot's: they reach {largest:.3g}, "
                     f"while init=\"glorot\" draws them uniformly in +-sqrt(6 / (n_in + n_out))"
                     f" = +-{limit:.3g}. Pass init=\"glorot\" to both Dense layers (Dense's "
                     f"default is \"he\", for ReLU).")
            own = Dense(89, 10, init="glorot", rng=seed).params["W"]
            if index == 2 and np.allclose(got, own, rtol=rtol, atol=atol):
                fail("Layer 2 has a generator of its own, seeded with the same seed as layer "
                     "0's: both layers then start from the same random numbers. Make one "
                     "generator, rng = np.random.default_rng(seed), and pass it to both "
                     "layers, so the second continues where the first stopped.")
            fail(f"build_digits_model({seed}): layer {index}'s weights are Glorot-sized but "
                 f"not the expected ones. Draw both layers, in order, from one generator "
                 f"rng = np.random.default_rng({seed}): Dense(64, 89, init=\"glorot\", "
                 f"rng=rng), then Dense(89, 10, init=\"glorot\", rng=rng).")
    print(PASSED)


# --- exercises 3 and 4: momentum and Adam -----------------------------------------------------

#: the optimiser checks' model: the shapes of W and b of layers 0 and 2 (layer 1 is a Tanh,
#: with no parameters); every shape differs, so one state shared by several parameters fails
L03_OPTIMIZER_SHAPES = {0: {"W": (4, 3), "b": (3,)}, 2: {"W": (3, 2), "b": (2,)}}
#: how many steps the optimiser checks take, each with new gradients
L03_STEPS = 5
#: the tiny gradient one weight gets at every step: there, eps inside or outside the sqrt shows
L03_TINY_GRADIENT = 2e-6

_L03Key = tuple[int, str]                  # (layer index, param name)
_L03Params = dict[_L03Key, np.ndarray]     # every param of the model, or its grads
_L03Steps = list[_L03Params]               # one per step: its grads, or the params after it


class _L03Weights(Layer):
    """A layer with params W and b whose grads the optimiser checks set by hand."""

    def __init__(self, W: np.ndarray, b: np.ndarray) -> None:
        super().__init__()
        self.params = {"W": W, "b": b}

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x @ self.params["W"] + self.params["b"]

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out @ self.params["W"].T

    def __repr__(self) -> str:
        return f"Weights{self.params['W'].shape}"


def _l03_optimizer_case(dtype: type) -> tuple[_L03Params, _L03Steps]:
    """Initial params {(layer, name): array} and the gradients of each of the L03_STEPS steps.

    The gradients change from step to step, with both signs. Weight [0, 0] of layer 0
    gets a gradient of 0 at every step (Adam without eps divides 0 by 0 there), and
    weight [1, 2] a tiny one (where eps inside the square root shows).
    """
    rng = np.random.default_rng(30)
    params = {(i, name): rng.standard_normal(shape).astype(dtype)
              for i, shapes in L03_OPTIMIZER_SHAPES.items() for name, shape in shapes.items()}
    grads = []
    for step in range(L03_STEPS):
        g = {key: (0.5 * rng.standard_normal(p.shape)).astype(dtype) for key, p in params.items()}
        g[(0, "W")][0, 0] = 0.0
        g[(0, "W")][1, 2] = L03_TINY_GRADIENT * (1 + 0.25 * step)
        grads.append(g)
    return params, grads


def _l03_shared_state(err: Exception, what: str) -> None:
    shapes = ", ".join(f"{shape}" for shapes in L03_OPTIMIZER_SHAPES.values()
                       for shape in shapes.values())
    fail(f"{what}: step raised {type(err).__name__}: {err}. The model's parameters have "
         f"different shapes ({shapes}): is one state array shared by several parameters (one "
         f"for all, or one per name such as 'W', which both layers have)? Keep one per "
         f"parameter, e.g. in a dict keyed by (layer index, name).")


def _l03_run(optimizer: object, params: _L03Params,
             grads: _L03Steps, what: str) -> _L03Steps:
    """``optimizer.step`` on a fresh model, once per step's grads; the params after each step."""
    from ..layers import Tanh
    from ..model import Sequential

    model = Sequential([_L03Weights(params[(0, "W")].copy(), params[(0, "b")].copy()), Tanh(),
                        _L03Weights(params[(2, "W")].copy(), params[(2, "b")].copy())])
    arrays = {(i, name): model.layers[i].params[name] for i, name in params}
    path = []
    for step, step_grads in enumerate(grads, start=1):
        for (i, name), g in step_grads.items():
            model.layers[i].grads[name] = g.copy()
        given = Unchanged(**{f"layers[{i}].grads[{name!r}]": model.layers[i].grads[name]
                             for i, name in step_grads})
        try:
            with np.errstate(all="ignore"):
                optimizer.step(model)
        except ValueError as err:
            if "broadcast" in str(err) or "shape" in str(err):
                _l03_shared_state(err, what)
            raise
        except KeyError as err:
            fail(f"{what}: step raised KeyError {err}. Take each parameter's gradient from the "
                 f"same layer and name, layer.grads[name], and create a parameter's state (zeros) "
                 f"the first time step meets it, before reading it.")
        except ZeroDivisionError as err:
            fail(f"{what}: step raised ZeroDivisionError ({err}). With t = 0, 1 - beta**t is 0: "
                 f"increment self.t at the start of step, before using it, so the first step "
                 f"has t = 1.")
        given.check(f"{what}, step {step}")
        for (i, name), array in arrays.items():
            if model.layers[i].params.get(name) is not array:
                fail(f"{what}: after step {step}, layers[{i}].params[{name!r}] is a new array. "
                     f"Update the parameter in place (p -= ..., p += ..., p[...] = ...): "
                     f"course_lib's Dense computes with the arrays it holds and never sees a "
                     f"new one put in a dict (its params dict is made afresh at each access).")
        path.append({key: array.copy() for key, array in arrays.items()})
    return path


def _l03_close(got: np.ndarray, expected: np.ndarray) -> bool:
    rtol, atol = tolerance(got, expected)
    return got.shape == expected.shape and bool(
        np.allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True))


def _l03_compare_paths(got: _L03Steps, expected: _L03Steps,
                       slips: list[tuple[_L03Steps, str]], what: str,
                       initial: _L03Params, unchanged_note: str = "") -> None:
    """Name the first step where ``got`` leaves ``expected``: a known slip, or the values."""
    for step, (now, reference) in enumerate(zip(got, expected), start=1):
        wrong = [key for key in reference
                 if not (np.all(np.isfinite(now[key])) and _l03_close(now[key], reference[key]))]
        if not wrong:
            continue
        if step == 1 and all(np.array_equal(now[key], initial[key]) for key in initial):
            fail(f"{what}: after step 1 no parameter has changed. `p = p - ...` (or p + ...) "
                 f"makes a new array and rebinds the local name p, while the layer keeps the old "
                 f"one: change it in place, p -= ... (or p += ...).{unchanged_note}")
        for path, message in slips:
            if all(_l03_close(got[s][key], path[s][key]) for s in range(step) for key in reference):
                fail(f"{what}: {message}")
        i, name = wrong[0]
        try:
            compare_arrays(now[(i, name)], reference[(i, name)],
                           f"{what}: layers[{i}].params[{name!r}] after step {step} of {L03_STEPS}")
        except ExerciseError as err:
            if step == 1:
                raise
            raise ExerciseError(f"{err} The steps before were right, so look at what step keeps "
                                f"from one call to the next: the state of each parameter, "
                                f"created once and updated at every step.") from None


def _l03_class(optimizer_class: object, name: str) -> None:
    if not isinstance(optimizer_class, type):
        fail(f"Pass the class itself, {name}, not an instance or a function (got "
             f"{type(optimizer_class).__name__}): the check creates its own optimisers.")


def _l03_momentum_path(params: _L03Params, grads: _L03Steps,
                       lr: float, momentum: float, slip: str = "") -> _L03Steps:
    """The params after each heavy-ball momentum step, or after a usual slip's step."""
    p = {key: value.astype(np.float64) for key, value in params.items()}
    velocity = {key: np.zeros_like(value) for key, value in p.items()}
    path = []
    for step_grads in grads:
        for key, g in step_grads.items():
            old = np.zeros_like(p[key]) if slip == "reset" else velocity[key]
            rate = (1.0 - momentum) * lr if slip == "dampened" else lr
            velocity[key] = momentum * old - rate * g
            p[key] = p[key] - velocity[key] if slip == "uphill" else p[key] + velocity[key]
        path.append({key: value.copy() for key, value in p.items()})
    return path


_L03_MOMENTUM_SLIPS = {
    "reset": "the velocity starts from zero at every step, so the parameters follow plain SGD, "
             "p -= lr * g. Keep each parameter's velocity between calls of step: create it "
             "(zeros) only the first time step meets that parameter, store it on self, and "
             "update it there: v = momentum * v - lr * g.",
    "uphill": "the parameters move uphill, along the gradient. The velocity is "
              "v = momentum * v - lr * g, and the parameter moves by it: p += v.",
    "dampened": "the velocity is an average, v = momentum * v - (1 - momentum) * lr * g, so "
                "every step is (1 - momentum) times too short. The heavy ball has no "
                "(1 - momentum): v = momentum * v - lr * g.",
}


@no_delegation("course_lib.optim.SGD")
def check_momentum(optimizer_class: type) -> None:
    """Check ``optimizer_class(lr, momentum)``: SGD with heavy-ball momentum.

    ``step(model)`` must update every parameter p of every layer of ``model`` in
    place with its own velocity v, created as zeros at the parameter's first step:
    ``v = momentum * v - lr * g``, then ``p += v``, as ``course_lib.optim.SGD(lr,
    momentum)`` does. The check builds a two-layer model (parameters of shapes
    (4, 3), (3,), (3, 2), (2,) with a Tanh, which has none, between), sets new
    gradients before each of 5 steps and compares every parameter after every step
    with course_lib's, in float64 (lr 0.1, momentum 0.9) and in float32 (lr 0.05,
    momentum 0.5; float32's tolerance). Any correct form passes: velocity updated in
    place or rebuilt, state keyed by (layer index, name) or by ``id(p)``, or the
    equivalent ``v = momentum * v + g; p -= lr * v``.

    Names the usual slips: the instance passed instead of the class, the velocity
    reset at every step (plain SGD), one velocity shared by several parameters, the
    step uphill (``+= lr * g``), a (1 - momentum) damping, the parameter rebound
    instead of updated in place, no parameter changed, the gradients changed in
    place, a wrong value at a given step.
    """
    from ..optim import SGD

    _l03_class(optimizer_class, "MomentumOptimizer")
    for dtype, lr, momentum in ((np.float64, 0.1, 0.9), (np.float32, 0.05, 0.5)):
        params, grads = _l03_optimizer_case(dtype)
        what = (f"{optimizer_class.__name__}(lr={lr}, momentum={momentum}) on "
                f"{np.dtype(dtype).name} parameters")
        got = _l03_run(optimizer_class(lr=lr, momentum=momentum), params, grads, what)
        expected = _l03_run(SGD(lr, momentum=momentum), params, grads, "course_lib's SGD")
        slips = [(_l03_momentum_path(params, grads, lr, momentum, slip), message)
                 for slip, message in _L03_MOMENTUM_SLIPS.items()]
        _l03_compare_paths(got, expected, slips, what, params, unchanged_note=(
            " Or p moved with the velocity before it was updated, still zero at the first "
            "step: update v first, then p += v."))
    print(PASSED)


def _l03_adam_path(params: _L03Params, grads: _L03Steps,
                   lr: float, beta1: float, beta2: float, eps: float,
                   slip: str = "") -> _L03Steps:
    """The params after each Adam step, or after a usual slip's step."""
    p = {key: value.astype(np.float64) for key, value in params.items()}
    m = {key: np.zeros_like(value) for key, value in p.items()}
    v = {key: np.zeros_like(value) for key, value in p.items()}
    path, visits = [], 0
    b1, b2 = (1.0 - beta1, 1.0 - beta2) if slip == "betas_swapped" else (beta1, beta2)
    with np.errstate(all="ignore"):
        for step, step_grads in enumerate(grads, start=1):
            for key, g in step_grads.items():
                visits += 1
                t = {"t_stays_1": 1, "no_state": 1, "t_per_param": visits,
                     "t_zero": step - 1}.get(slip, step)
                fresh = slip in ("reset", "no_state")
                m[key] = b1 * (0.0 if fresh else m[key]) + (1.0 - b1) * g
                v[key] = b2 * (0.0 if fresh else v[key]) + (1.0 - b2) * {
                    "g_not_squared": g, "g_abs": np.abs(g)}.get(slip, g * g)
                c1, c2 = 1.0 - beta1 ** t, 1.0 - beta2 ** t
                if slip == "folded":
                    update = lr * np.sqrt(c2) / c1 * m[key] / (np.sqrt(v[key]) + eps)
                else:
                    m_hat = m[key] if slip in ("no_bias_correction", "v_only") else m[key] / c1
                    v_hat = v[key] if slip in ("no_bias_correction", "m_only") else v[key] / c2
                    denominator = {"eps_inside": np.sqrt(v_hat + eps),
                                   "no_eps": np.sqrt(v_hat)}.get(slip, np.sqrt(v_hat) + eps)
                    update = lr * m_hat / denominator
                p[key] = p[key] + update if slip == "uphill" else p[key] - update
            path.append({key: value.copy() for key, value in p.items()})
    return path


def _l03_adam_slips(beta1: float, beta2: float, eps: float) -> dict[str, str]:
    first = (1.0 - beta1) / np.sqrt(1.0 - beta2)
    count = sum(len(shapes) for shapes in L03_OPTIMIZER_SHAPES.values())
    return {
        "no_bias_correction":
            f"the bias correction is missing. m and v start at 0, so after the first step "
            f"m = (1 - beta1) g and v = (1 - beta2) g**2, and without dividing by "
            f"1 - beta1**t and 1 - beta2**t the first step is (1 - beta1) / sqrt(1 - beta2) = "
            f"{first:.3g} times the right one. Step with m_hat = m / (1 - beta1**t) and "
            f"v_hat = v / (1 - beta2**t).",
        "m_only": "only m is bias-corrected: divide v by 1 - beta2**t as well, "
                  "v_hat = v / (1 - beta2**t).",
        "v_only": "only v is bias-corrected: divide m by 1 - beta1**t as well, "
                  "m_hat = m / (1 - beta1**t).",
        "t_zero": "the first step divides by zero: with t = 0, 1 - beta1**t is 0. Increment "
                  "self.t at the start of step, before using it, so that the first step has "
                  "t = 1.",
        "t_stays_1": "the bias correction uses t = 1 at every step: self.t must count the "
                     "steps, incremented once at the start of every call of step.",
        "t_per_param": f"t grows once per parameter instead of once per step (this model has "
                       f"{count} parameter arrays). Increment self.t once per call of step, "
                       f"before the loop over the parameters, not inside it.",
        "eps_inside": f"eps is inside the square root, sqrt(v_hat + eps). Where a gradient is "
                      f"tiny (one weight here gets about {L03_TINY_GRADIENT:g}), "
                      f"sqrt(eps) = {np.sqrt(eps):.1g} swamps sqrt(v_hat) and the step "
                      f"shrinks. Add eps after the square root: m_hat / (sqrt(v_hat) + eps), as "
                      f"course_lib and the Adam paper do.",
        "no_eps": "there is no eps in the denominator: where a gradient has been 0 at every "
                  "step (one weight here), m_hat / sqrt(v_hat) is 0 / 0 = nan. Divide by "
                  "sqrt(v_hat) + eps.",
        "g_not_squared": "v is updated with g instead of g**2. v is the running mean of the "
                         "squared gradient: v = beta2 * v + (1 - beta2) * g**2.",
        "g_abs": "v is updated with |g| instead of g**2. v is the running mean of the squared "
                 "gradient, v = beta2 * v + (1 - beta2) * g**2, so that sqrt(v_hat) has the size "
                 "of g.",
        "folded": f"the bias correction is folded into the learning rate, "
                  f"lr * sqrt(1 - beta2**t) / (1 - beta1**t) * m / (sqrt(v) + eps). That form "
                  f"(from the Adam paper) scales eps too, which shows where a gradient is tiny "
                  f"(one weight here gets about {L03_TINY_GRADIENT:g}). Write the form of the "
                  f"lesson: m_hat / (sqrt(v_hat) + eps).",
        "reset": "m and v start from zero at every step. Keep each parameter's m and v between "
                 "calls of step: create them (zeros) the first time step meets that parameter, "
                 "store them on self, and update them there.",
        "no_state": "nothing is kept between steps (m, v and t start afresh at every call), so "
                    "every step is a first step, about lr * g / |g|. Keep m and v (one of each "
                    "per parameter) and the step count t on self.",
        "uphill": "the parameters move uphill, along the gradient: "
                  "p -= lr * m_hat / (sqrt(v_hat) + eps), with a minus.",
        "betas_swapped": "beta and 1 - beta are swapped: m = beta1 * m + (1 - beta1) * g keeps "
                         "most of the old average and adds a little of the new gradient (and "
                         "v = beta2 * v + (1 - beta2) * g**2).",
    }


@no_delegation("course_lib.optim.Adam")
def check_adam(optimizer_class: type) -> None:
    """Check ``optimizer_class(lr, beta1, beta2, eps)``: Adam with bias correction.

    ``step(model)`` must count the step, ``t += 1``, and update every parameter p of
    every layer of ``model`` in place with its own moments m and v (zeros at its
    first step): ``m = beta1 m + (1 - beta1) g``, ``v = beta2 v + (1 - beta2) g**2``,
    ``m_hat = m / (1 - beta1**t)``, ``v_hat = v / (1 - beta2**t)``,
    ``p -= lr * m_hat / (sqrt(v_hat) + eps)``, as ``course_lib.optim.Adam`` does.
    The check builds a two-layer model (parameters of shapes (4, 3), (3,), (3, 2),
    (2,) with a Tanh between), sets new gradients before each of 5 steps and
    compares every parameter after every step with course_lib's, in float64 (lr 0.01
    and the default betas and eps 1e-8) and float32 (lr 0.02, beta1 0.8, beta2
    0.99, eps 1e-6; float32's tolerance). One weight gets a zero gradient at every
    step and one a tiny gradient (2e-6), so that eps shows: eps inside the square
    root, or the paper's form with the correction folded into the learning rate
    (which scales eps), is NOT accepted. Any other correct form passes: moments
    updated in place or rebuilt, state keyed by (layer index, name) or ``id(p)``,
    the correction factors computed once per step.

    Names the usual slips: the instance passed instead of the class, the bias
    correction missing (or on m or v only), t starting at 0, not incremented, or
    counted per parameter, eps inside the square root or missing, v updated with g
    instead of g**2, the correction folded into the learning rate, m and v reset at
    every step, no state at all, one state shared by several parameters, the step
    uphill, beta and 1 - beta swapped, a parameter rebound instead of updated in
    place, no parameter changed, the gradients changed in place, a wrong value at a
    given step.
    """
    from ..optim import Adam

    _l03_class(optimizer_class, "AdamOptimizer")
    for dtype, lr, beta1, beta2, eps in ((np.float64, 0.01, 0.9, 0.999, 1e-8),
                                         (np.float32, 0.02, 0.8, 0.99, 1e-6)):
        params, grads = _l03_optimizer_case(dtype)
        what = (f"{optimizer_class.__name__}(lr={lr}, beta1={beta1}, beta2={beta2}, eps={eps}) "
                f"on {np.dtype(dtype).name} parameters")
        optimizer = optimizer_class(lr=lr, beta1=beta1, beta2=beta2, eps=eps)
        got = _l03_run(optimizer, params, grads, what)
        expected = _l03_run(Adam(lr, beta1=beta1, beta2=beta2, eps=eps), params, grads,
                            "course_lib's Adam")
        slips = [(_l03_adam_path(params, grads, lr, beta1, beta2, eps, slip), message)
                 for slip, message in _l03_adam_slips(beta1, beta2, eps).items()]
        _l03_compare_paths(got, expected, slips, what, params)
    print(PASSED)
