"""Checks for lesson 01: layers forward and backward.

The student writes the backward passes of MatMul, BiasAdd, Sigmoid, Tanh and
ReLU, a LeakyReLU (its Jacobian and its layer) and softmax + cross-entropy as
one loss. Each check builds the student's class, feeds it fixed float64
batches (a batch of one, non-square shapes so that a transpose shows), compares
with the reference and, when the answer is wrong, compares it with the usual
wrong variants to name the slip.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..losses import Loss
from .common import (PASSED, Unchanged, as_number, compare_arrays, compare_scalar, fail,
                     layer_interface, no_delegation, tolerance)

#: the one sample lesson 01's Jacobian check feeds in: both signs, away from the kink at 0
L01_SAMPLE = np.array([1.5, -2.0, 0.3, -0.7, 2.2])

#: (wrong variant, message naming the slip)
Slips = Sequence[tuple[object, str]]


# --------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------
def _l01_class(cls: object, name: str) -> None:
    """Fail unless ``cls`` is a class with forward and backward methods."""
    if not isinstance(cls, type):
        fail(f"Pass the class itself ({name}, not {name}()), a subclass of "
             f"course_lib.layers.Layer as in the template; got {cls!r}.")
    if not (callable(getattr(cls, "forward", None)) and callable(getattr(cls, "backward", None))):
        fail(f"{cls.__name__} needs forward and backward methods: make it a subclass of "
             f"course_lib.layers.Layer, as in the template, and write them.")


def _l01_new(cls: type, *args: object, **kwargs: object) -> object:
    """``cls(*args, **kwargs)``, naming a constructor that does not take them."""
    try:
        obj = cls(*args, **kwargs)
    except TypeError as err:
        shown = ", ".join([f"{type(a).__name__}" for a in args]
                          + [f"{k}={v!r}" for k, v in kwargs.items()])
        fail(f"{cls.__name__}({shown}) failed: {err}. Keep the template's __init__: "
             f"the check builds the class as the lesson does.")
    if not (isinstance(obj, Loss) or callable(getattr(obj, "loss", None))):
        layer_interface(obj, cls.__name__)
    return obj


def _l01_call(what: str, fn: Callable, *args: object, shapes: str = "") -> object:
    """Call the student's ``fn``; turn the usual errors into a message that says where to look.

    NotImplementedError (an exercise not written yet) passes through unchanged.
    """
    try:
        with np.errstate(all="ignore"):  # the message below names an overflow; no warning spam
            return fn(*args)
    except AttributeError as err:
        fail(f"{what} raised AttributeError: {err}. backward can use only what forward stored "
             f"on self (self.x = x, self.y = y, ...): store it in forward, under the name "
             f"backward reads.")
    except KeyError as err:
        fail(f"{what} raised KeyError: {err}. self.grads starts empty: assign the gradient "
             f"(self.grads['W'] = ...) rather than adding to it, and read the parameter from "
             f"self.params under its name.")
    except ValueError as err:
        fail(f"{what} raised ValueError: {err}. {shapes}".rstrip())
    except IndexError as err:
        fail(f"{what} raised IndexError: {err}. {shapes}".rstrip())
    except TypeError as err:
        fail(f"{what} raised TypeError: {err}. Keep the template's signatures: forward(self, x) "
             f"and backward(self, grad_out) for a layer, forward(self, z, y) and "
             f"backward(self) for the loss.")


def _l01_close(got: object, candidate: object) -> bool:
    """``got`` equals ``candidate`` (same shape, equal up to the dtype's rounding)."""
    if not isinstance(got, (np.ndarray, np.generic, float, int)) or isinstance(got, bool):
        return False
    got, candidate = np.asarray(got), np.asarray(candidate)
    if got.shape != candidate.shape or not (np.issubdtype(got.dtype, np.number)
                                            or got.dtype == np.bool_):
        return False
    rtol, atol = tolerance(got, candidate)  # from got's own dtype: float32 answers are fine
    got = got.astype(np.float64)
    if not np.all(np.isfinite(got)):
        return False
    return bool(np.allclose(got, candidate, rtol=rtol, atol=atol))


def _l01_compare(got: object, expected: np.ndarray, what: str, slips: Slips = ()) -> None:
    """Pass when ``got`` is right; else name the first slip it equals; else compare_arrays."""
    if not _l01_close(got, expected):
        for candidate, message in slips:
            if _l01_close(got, candidate):
                fail(f"{what} {message}")
    compare_arrays(got, expected, what)


def _l01_grad(layer: object, key: str, expected: np.ndarray, what: str) -> object:
    """``layer.grads[key]``, naming a gradient stored elsewhere or not at all."""
    grads = getattr(layer, "grads", None)
    if not isinstance(grads, dict):
        fail(f"{what}: self.grads should be a dict (course_lib.layers.Layer.__init__ makes an "
             f"empty one: call super().__init__() in __init__).")
    if key in grads:
        return grads[key]
    elsewhere = [name for name, value in vars(layer).items()
                 if name != "grads" and _l01_close(value, expected)]
    if elsewhere:
        fail(f"{what} stored the right gradient in self.{elsewhere[0]}, but the optimizer looks "
             f"for it in self.grads[{key!r}], under the parameter's name.")
    keys = f" (it has {sorted(grads)})" if grads else " (it is empty)"
    fail(f"{what} did not store dL/d{key} in self.grads[{key!r}]{keys}. backward returns dL/dx "
         f"and stores each parameter's gradient in self.grads, under the name the parameter "
         f"has in self.params.")


def _l01_accumulated(layer: object, key: str, first: np.ndarray, second: np.ndarray,
                     what: str) -> None:
    """After a second backward, ``grads[key]`` must be the second gradient, not the sum."""
    got = layer.grads.get(key) if isinstance(getattr(layer, "grads", None), dict) else None
    _l01_compare(got, second, f"self.grads[{key!r}] after a second backward(grad_out)", [
        (first + second, f"is the sum of both calls' gradients: backward added to "
                         f"self.grads[{key!r}] (+=). Overwrite it (=): each backward stores the "
                         f"gradient of the current batch; the optimizer uses it, then the next "
                         f"batch's backward replaces it."),
        (first, "is still the first call's gradient: store the gradient on every call."),
    ])


def _l01_forward(layer: object, x: np.ndarray, expected: np.ndarray, what: str,
                 slips: Slips = (), **also_unchanged: np.ndarray) -> object:
    inputs = Unchanged(x=x, **also_unchanged)
    y = _l01_call(what, layer.forward, x)
    inputs.check("forward(x)")
    _l01_compare(y, expected, what, slips)
    return y


# --------------------------------------------------------------------------------------
# Exercise 1: MatMul
# --------------------------------------------------------------------------------------
@no_delegation("course_lib.layers.MatMul", "course_lib.layers.Dense")
def check_matmul(layer_cls: type) -> None:
    """Check ``layer_cls(W)``, a MatMul layer ``y = x @ W``, above all its ``backward``.

    Builds the layer with W of shape (d, k) for (N, d, k) = (4, 3, 3) (square,
    so that ``grad_out @ W`` runs), (5, 4, 2) and (1, 3, 5) (a batch of one);
    runs forward on x (N, d), then ``backward(grad_out)`` with grad_out (N, k),
    and expects ``dL/dx = grad_out @ W.T`` returned and
    ``self.grads["W"] = x.T @ grad_out``. A second backward with another
    grad_out must overwrite the gradient, not add to it.

    Names the usual slips: dx = grad_out @ W (W not transposed), dL/dW
    returned as dx, dW transposed (grad_out.T @ x), dW without x (grad_out
    itself, or its sum over the batch), dW averaged over the batch (a 1/N),
    the batch summed before the product, the gradient not stored in
    ``self.grads["W"]`` (or stored under another name), gradients accumulated
    across calls, x, W or grad_out changed in place, a matrix product whose
    shapes do not line up, backward reading something forward did not store.
    """
    _l01_class(layer_cls, "MyMatMul")
    rng = np.random.default_rng(101)
    for N, d, k in ((4, 3, 3), (5, 4, 2), (1, 3, 5)):
        W = rng.standard_normal((d, k))
        x, g, g2 = (rng.standard_normal(s) for s in ((N, d), (N, k), (N, k)))
        layer = _l01_new(layer_cls, W)
        sizes = f"x {x.shape}, W {W.shape}"
        _l01_forward(layer, x, x @ W, f"forward(x) with {sizes}", W=W)

        what = f"backward(grad_out) with {sizes}, grad_out {g.shape}"
        shapes = (f"Line the shapes up: grad_out is (N, k) = {g.shape} and W is (d, k) = "
                  f"{W.shape}; dL/dx has the shape of x, (N, d) = {x.shape}, and dL/dW the "
                  f"shape of W. Which products of grad_out, x, W and their transposes give "
                  f"those shapes?")
        inputs = Unchanged(x=x, W=W, grad_out=g)
        dx = _l01_call(what, layer.backward, g, shapes=shapes)
        inputs.check("backward(grad_out)")
        dx_slips = [(x.T @ g, "is dL/dW (x.T @ grad_out). backward returns dL/dx, with the shape "
                              "of x, and stores dL/dW in self.grads['W'].")]
        if d == k:
            dx_slips.append((g @ W, "is grad_out @ W: W has to be transposed on the way back. "
                                    "Forward maps d inputs to k outputs with W (d, k); backward "
                                    "maps the k output gradients back to d with W.T (k, d)."))
        _l01_compare(dx, g @ W.T, f"dL/dx returned by {what}", dx_slips)

        expected = x.T @ g
        dW = _l01_grad(layer, "W", expected, what)
        _l01_compare(dW, expected, f"self.grads['W'] after {what}", [
            (g.T @ x, f"is transposed: it is grad_out.T @ x, whose entry [l, j] belongs to "
                      f"W[j, l]. A gradient is laid out like its parameter, W (d, k) = "
                      f"{W.shape}: x.T @ grad_out."),
            (g, "is grad_out itself: the weight W[j, l] multiplies the input x[:, j], so its "
                "gradient multiplies grad_out by x: x.T @ grad_out."),
            (g.sum(axis=0), "is grad_out summed over the batch, without the input: that is a "
                            "bias's gradient. W multiplies x, so dL/dW = x.T @ grad_out."),
            (expected / N, f"is divided by the batch size N = {N}: grad_out already carries the "
                           f"loss's 1/N (the loss is a mean), so the weight gradient is the "
                           f"plain sum over the batch, x.T @ grad_out, with no second 1/N."),
            (np.outer(x.sum(axis=0), g.sum(axis=0)),
             "multiplies the batch sums of x and grad_out. Sum the per-sample products "
             "instead (sample n contributes the outer product of x[n] and grad_out[n]): "
             "x.T @ grad_out does exactly that."),
        ])
        dW = np.array(dW, copy=True)
        inputs = Unchanged(x=x, W=W, grad_out=g2)
        _l01_call(f"a second {what}", layer.backward, g2, shapes=shapes)
        inputs.check("backward(grad_out)")
        _l01_accumulated(layer, "W", dW, x.T @ g2, what)
    print(PASSED)


# --------------------------------------------------------------------------------------
# Exercise 2: BiasAdd
# --------------------------------------------------------------------------------------
@no_delegation("course_lib.layers.BiasAdd", "course_lib.layers.Dense")
def check_bias_add(layer_cls: type) -> None:
    """Check ``layer_cls(b)``, a BiasAdd layer ``y = x + b``, above all its ``backward``.

    Builds the layer with b of shape (k,) for batches (N, k) = (4, 4) (square,
    so that a sum over the wrong axis has the right shape), (5, 3) and (1, 4);
    runs forward, then ``backward(grad_out)``, and expects ``grad_out`` itself
    returned (dL/dx) and ``self.grads["b"] = grad_out.sum(axis=0)``, shape (k,).
    A second backward must overwrite the gradient.

    Names the usual slips: db summed over axis 1 (the features) or over every
    axis, db averaged (a 1/N), db with keepdims (shape (1, k)), db = grad_out
    unsummed, db returned instead of dx, the gradient not stored in
    ``self.grads["b"]``, gradients accumulated across calls, x, b or grad_out
    changed in place.
    """
    _l01_class(layer_cls, "MyBiasAdd")
    rng = np.random.default_rng(102)
    for N, k in ((4, 4), (5, 3), (1, 4)):
        b = rng.standard_normal(k)
        x, g, g2 = (rng.standard_normal((N, k)) for _ in range(3))
        layer = _l01_new(layer_cls, b)
        sizes = f"x {x.shape}, b {b.shape}"
        _l01_forward(layer, x, x + b, f"forward(x) with {sizes}", b=b)

        what = f"backward(grad_out) with {sizes}"
        shapes = (f"dL/dx has the shape of x, {x.shape}; dL/db the shape of b, {b.shape}.")
        inputs = Unchanged(x=x, b=b, grad_out=g)
        dx = _l01_call(what, layer.backward, g, shapes=shapes)
        inputs.check("backward(grad_out)")
        _l01_compare(dx, g, f"dL/dx returned by {what}", [
            (g.sum(axis=0), "is dL/db. backward returns dL/dx: y = x + b passes every gradient "
                            "straight through to x, so dL/dx = grad_out; dL/db goes into "
                            "self.grads['b']."),
        ])
        expected = g.sum(axis=0)
        db = _l01_grad(layer, "b", expected, what)
        _l01_compare(db, expected, f"self.grads['b'] after {what}", [
            (g.sum(axis=1), "is summed over axis 1, the features of each sample. b is added to "
                            "every row, so its gradient collects the rows: sum over axis 0, the "
                            "batch."),
            (g.mean(axis=0), f"is averaged over the batch (a 1/N, N = {N}): grad_out already "
                             f"carries the loss's 1/N, so db is the plain sum over axis 0."),
            (g.sum(axis=0, keepdims=True), f"has shape (1, {k}): drop keepdims=True, b has "
                                           f"shape {b.shape}."),
            (g, f"is grad_out itself, one row per sample. b is shared by all {N} rows, so its "
                f"gradient is the sum of the rows' gradients: grad_out.sum(axis=0)."),
            (g.sum(), "sums over every axis into one number: sum over axis 0 only, one number "
                      "per bias."),
        ])
        db = np.array(db, copy=True)
        inputs = Unchanged(x=x, b=b, grad_out=g2)
        _l01_call(f"a second {what}", layer.backward, g2, shapes=shapes)
        inputs.check("backward(grad_out)")
        _l01_accumulated(layer, "b", db, g2.sum(axis=0), what)
    print(PASSED)


# --------------------------------------------------------------------------------------
# Exercises 3-5: Sigmoid, Tanh, ReLU
# --------------------------------------------------------------------------------------
def _l01_activation(layer_cls: type, name: str, seed: int, f: Callable, slope: Callable,
                    forward_slips: Callable, backward_slips: Callable) -> None:
    """Shared check of an elementwise activation: forward, backward, then both again.

    ``slope(x, y)`` is dy/dx; ``forward_slips(x)`` and ``backward_slips(x, y, g)``
    list the wrong variants with their messages.
    """
    _l01_class(layer_cls, f"My{name}")
    rng = np.random.default_rng(seed)
    layer = _l01_new(layer_cls)
    for shape in ((4, 5), (1, 3), (3, 2)):  # one layer for all: backward uses the latest forward
        x = 2 * rng.standard_normal(shape)
        x[np.abs(x) < 0.1] = 0.5  # away from ReLU's kink at 0, where either slope is fine
        g, g2 = rng.standard_normal(shape), rng.standard_normal(shape)
        y_expected = f(x)
        what = f"forward(x) for x of shape {shape}"
        y = _l01_forward(layer, x, y_expected, what, forward_slips(x))
        y_kept = np.array(y, copy=True)

        what = f"backward(grad_out) for x of shape {shape}"
        expected = g * slope(x, y_expected)
        inputs = Unchanged(x=x, grad_out=g)
        dx = _l01_call(what, layer.backward, g)
        inputs.check("backward(grad_out)")
        if isinstance(y, np.ndarray) and not np.array_equal(y, y_kept, equal_nan=True):
            fail(f"{what} changed forward's output y in place, the next layer's input. "
                 f"Compute the slope into a new array (y * (1 - y), not y *= ...).")
        _l01_compare(dx, expected, what, [
            (slope(x, y_expected), "is the local slope dy/dx itself. The chain rule multiplies "
                                   "it by the upstream gradient: dL/dx = grad_out * dy/dx."),
            *backward_slips(x, y_expected, g),
        ])
        dx2 = _l01_call(f"a second {what}", layer.backward, g2)
        if not _l01_close(dx2, g2 * slope(x, y_expected)):
            fail(f"A second {what} after the same forward gave a wrong answer, though the first "
                 f"was right: backward changed what forward cached. Keep the cache as forward "
                 f"left it and compute into new arrays.")
    print(PASSED)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@no_delegation("course_lib.layers.Sigmoid")
def check_sigmoid(layer_cls: type) -> None:
    """Check ``layer_cls()``, a Sigmoid layer: ``y = 1 / (1 + exp(-x))``, ``dx = g * y * (1 - y)``.

    One layer runs forward and backward on batches of shape (4, 5), (1, 3) and
    (3, 2) in turn (so backward must use the latest forward's cache), and a
    second backward after each forward must give the same kind of answer.

    Names the usual slips: sigmoid(-x) in forward, the local slope returned
    without multiplying by grad_out, ``x * (1 - x)`` (the slope at the input,
    not the cached output), sigmoid applied again to the cached output,
    ``g * (1 - y)`` or ``g * y`` (half the slope), x, grad_out or the
    forward's output changed in place, backward reading something forward did
    not store.
    """
    _l01_activation(
        layer_cls, "Sigmoid", 103, _sigmoid, lambda x, y: y * (1 - y),
        lambda x: [(_sigmoid(-x), "is sigmoid(-x): mind the sign in the exponent, "
                                  "y = 1 / (1 + np.exp(-x)).")],
        lambda x, y, g: [
            (g * x * (1 - x), "uses the input x where the slope needs the output y = sigmoid(x): "
                              "dy/dx = y * (1 - y). Store y in forward and use it."),
            (g * _sigmoid(y) * (1 - _sigmoid(y)), "applies the sigmoid again to the cached "
             "output: y is already sigmoid(x), so the slope is y * (1 - y)."),
            (g * (1 - y), "is grad_out * (1 - y): the slope of the sigmoid is y * (1 - y)."),
            (g * y, "is grad_out * y: the slope of the sigmoid is y * (1 - y)."),
        ])


@no_delegation("course_lib.layers.Tanh")
def check_tanh(layer_cls: type) -> None:
    """Check ``layer_cls()``, a Tanh layer: ``y = tanh(x)``, ``dx = g * (1 - y**2)``.

    The same runs as :func:`check_sigmoid`. Names the usual slips: the local
    slope returned without multiplying by grad_out, ``1 - x**2`` (the slope at
    the input, not the cached output), tanh applied again to the cached output,
    ``1 - y`` or ``1 + y**2``, x, grad_out or the forward's output changed in
    place, backward reading something forward did not store.
    """
    _l01_activation(
        layer_cls, "Tanh", 104, np.tanh, lambda x, y: 1 - y ** 2,
        lambda x: [(np.tanh(-x), "is tanh(-x): y = np.tanh(x).")],
        lambda x, y, g: [
            (g * (1 - x ** 2), "computes 1 - x**2 with the input x; the slope is 1 - y**2 with "
                               "the output y = tanh(x). Store y in forward and use it."),
            (g * (1 - np.tanh(y) ** 2), "applies tanh again to the cached output: y is already "
                                        "tanh(x), so the slope is 1 - y**2."),
            (g * (1 - y), "is grad_out * (1 - y): the slope of tanh is 1 - y**2 (y squared)."),
            (g * (1 + y ** 2), "is grad_out * (1 + y**2): the slope of tanh is 1 - y**2."),
        ])


@no_delegation("course_lib.layers.ReLU")
def check_relu(layer_cls: type) -> None:
    """Check ``layer_cls()``, a ReLU layer: ``y = max(x, 0)``, ``dx = g`` where ``x > 0``, else 0.

    The same runs as :func:`check_sigmoid`; no input lies within 0.1 of the kink
    at 0, so either convention there (x > 0 or x >= 0) passes.

    Names the usual slips: the mask returned without multiplying by grad_out,
    grad_out multiplied by x or by y, the mask inverted, ReLU applied to
    grad_out (the mask from grad_out's sign, not x's), grad_out passed through
    unmasked, |x| or the mask returned by forward, x, grad_out or the
    forward's output changed in place (``x[x < 0] = 0``,
    ``grad_out[mask] = 0``), backward reading something forward did not store.
    """
    _l01_activation(
        layer_cls, "ReLU", 105, lambda x: np.maximum(x, 0), lambda x, y: (x > 0).astype(float),
        lambda x: [(np.abs(x), "is |x|: ReLU sets negative inputs to 0, np.maximum(x, 0)."),
                   ((x > 0).astype(float), "is the mask x > 0 itself: the output is the input "
                                           "where it is positive, np.maximum(x, 0)."),
                   (np.minimum(x, 0), "keeps the negative part: ReLU is np.maximum(x, 0).")],
        lambda x, y, g: [
            (g * x, "multiplies grad_out by x: ReLU's slope is 1 where x > 0 and 0 elsewhere, "
                    "a mask, not x."),
            (g * y, "multiplies grad_out by the output y: ReLU's slope is 1 where x > 0 and 0 "
                    "elsewhere, a mask, not y."),
            (g * (x <= 0), "lets the gradient through where x <= 0 and blocks it where x > 0: "
                           "the mask is inverted."),
            (np.maximum(g, 0), "applies ReLU to grad_out. The mask comes from forward's input "
                               "(x > 0), not from the sign of the gradient."),
            (g, "passes every gradient through. Where x <= 0 the output is the constant 0, so "
                "the gradient there is 0: multiply by the mask x > 0."),
        ])


# --------------------------------------------------------------------------------------
# Exercises 6-7: LeakyReLU
# --------------------------------------------------------------------------------------
def _l01_fixed_slope(slopes: np.ndarray, alpha: float, what: str) -> None:
    """Name a constant slope on the negative side other than ``alpha`` (0: ReLU; or a fixed one)."""
    if slopes.size == 0 or not np.allclose(slopes, slopes.flat[0]):
        return
    slope = float(slopes.flat[0])
    if np.isclose(slope, alpha):
        return
    if np.isclose(slope, 0.0):
        fail(f"{what} is ReLU's: where x <= 0 the slope of LeakyReLU is alpha = {alpha}, not 0.")
    if np.isclose(slope, 1.0):
        fail(f"{what} uses slope 1 where x <= 0, like the identity: there the slope is "
             f"alpha = {alpha}.")
    if np.isclose(slope, -alpha):
        fail(f"{what} uses the slope -alpha = {slope:.4g} where x <= 0: the sign is wrong. "
             f"There y = alpha * x, whose slope is +alpha = {alpha}.")
    fail(f"{what} uses the slope {slope:.4g} where x <= 0, expected alpha = {alpha}: use the "
         f"alpha you were given, not a fixed number.")


def check_leaky_relu_jacobian(jacobian_fn: Callable) -> None:
    """Check ``jacobian_fn(x, alpha)``: LeakyReLU's full Jacobian at one sample.

    LeakyReLU is ``y = x`` where ``x > 0`` and ``y = alpha * x`` elsewhere. For
    a sample ``x`` of shape (K,) the Jacobian ``dy/dx`` is the (K, K) matrix
    ``diag(where(x > 0, 1, alpha))``. The check calls ``jacobian_fn`` with a
    copy of :data:`L01_SAMPLE` and two values of alpha; loops, np.diag or
    np.eye all pass, in float32 too.

    Names the usual slips: only the diagonal returned, ReLU's Jacobian (alpha
    forgotten), a fixed alpha, slope 1 everywhere, a wrong entry, a list
    instead of an array.
    """
    if not callable(jacobian_fn):
        fail(f"Pass the function itself (leaky_relu_jacobian, not leaky_relu_jacobian(...)); "
             f"got {jacobian_fn!r}.")
    x = L01_SAMPLE
    negative = x <= 0
    for alpha in (0.1, 0.25):
        what = f"leaky_relu_jacobian(x, alpha={alpha}) for x = {x.tolist()}"
        expected = np.diag(np.where(negative, alpha, 1.0))
        got = _l01_call(what, jacobian_fn, x.copy(), alpha)
        if isinstance(got, np.ndarray) and got.shape == x.shape:
            start = ("They are the right slopes, but the" if np.allclose(got, np.diag(expected))
                     else "The")
            fail(f"{what} returned {x.size} numbers, shape {got.shape}. {start} Jacobian "
                 f"of an op from K numbers to K numbers is a (K, K) matrix: entry [i, j] is "
                 f"dy_i/dx_j. Put the slopes on its diagonal with np.diag.")
        if (isinstance(got, np.ndarray) and got.shape == expected.shape
                and np.all(np.isfinite(got))):
            if np.allclose(got, np.diag(np.where(negative, alpha * x, x))):
                fail(f"{what} has the outputs y (x, or alpha * x where x <= 0) on its "
                     f"diagonal. The Jacobian holds the slopes dy_i/dx_i: 1 where x > 0, alpha "
                     f"elsewhere.")
            diagonal = np.diag(got)
            off_diagonal = got - np.diag(diagonal)
            if np.allclose(off_diagonal, 0) and np.allclose(diagonal[~negative], 1):
                _l01_fixed_slope(diagonal[negative], alpha, what)
        compare_arrays(got, expected, what)
    print(PASSED)


def check_leaky_relu(layer_cls: type) -> None:
    """Check a LeakyReLU layer class: ``layer_cls(alpha=...)`` with ``forward`` and ``backward``.

    Builds the layer with two values of alpha, runs ``forward`` on a fixed
    (4, 5) batch and ``backward`` on a fixed upstream gradient, and compares
    both with the reference ``y = where(x > 0, x, alpha x)``,
    ``dx = where(x > 0, g, alpha g)``. No input lies near the kink at 0.

    Names the usual slips: not a class, no ``alpha`` argument, x or
    ``grad_out`` changed in place, the local derivative returned without
    multiplying by ``grad_out``, ReLU's forward or backward, a fixed alpha,
    slope 1 or -alpha on the negative side, a wrong shape or value, backward
    reading something forward did not store.
    """
    _l01_class(layer_cls, "LeakyReLU")
    rng = np.random.default_rng(1)
    X = rng.standard_normal((4, 5))
    X[np.abs(X) < 0.05] = 0.5  # keep away from the kink at 0
    G = rng.standard_normal((4, 5))
    negative = X <= 0
    for alpha in (0.1, 0.25):
        try:
            layer = layer_cls(alpha=alpha)
        except TypeError as err:
            fail(f"{layer_cls.__name__}(alpha={alpha}) failed: {err}. The constructor should "
                 f"take the negative slope as a keyword argument alpha and store it.")
        layer_interface(layer, f"{layer_cls.__name__}(alpha={alpha})")
        x = X.copy()
        inputs = Unchanged(x=x)
        what = f"forward(x) with alpha={alpha}"
        y = _l01_call(what, layer.forward, x)
        inputs.check("forward(x)")
        if isinstance(y, np.ndarray) and y.shape == X.shape and np.all(np.isfinite(y)):
            if np.allclose(y[~negative], X[~negative]):
                _l01_fixed_slope(y[negative] / X[negative], alpha, what)
        compare_arrays(y, np.where(negative, alpha * X, X), what)

        g = G.copy()
        inputs = Unchanged(grad_out=g)
        what = f"backward(grad_out) with alpha={alpha}"
        dx = _l01_call(what, layer.backward, g)
        inputs.check("backward(grad_out)")
        expected = np.where(negative, alpha * G, G)
        if isinstance(dx, np.ndarray) and dx.shape == X.shape and np.all(np.isfinite(dx)):
            if np.allclose(dx, np.where(negative, alpha, 1.0)):
                fail(f"{what} returned the local slope dy/dx (1 or alpha) itself. The chain "
                     f"rule multiplies it by the upstream gradient: dL/dx = grad_out * dy/dx.")
        if isinstance(dx, np.ndarray) and dx.shape == X.shape and np.all(np.isfinite(dx)):
            if np.allclose(dx[~negative], G[~negative]):
                _l01_fixed_slope(dx[negative] / G[negative], alpha, what)
        _l01_compare(dx, expected, what, [
            (np.where(G > 0, G, alpha * G), "takes the slope from the sign of grad_out. The "
                                            "slope (1 or alpha) comes from forward's input: "
                                            "where x > 0, not where grad_out > 0."),
            (np.where(negative, G, alpha * G), "has the two slopes swapped: 1 where x > 0, "
                                               "alpha elsewhere; the mask is inverted."),
            (G * np.where(negative, alpha * X, X), "multiplies grad_out by the output y: the "
                                                   "slope is 1 or alpha, not y."),
        ])
    print(PASSED)


# --------------------------------------------------------------------------------------
# Exercise 8: softmax + cross-entropy, fused
# --------------------------------------------------------------------------------------
def _l01_log_softmax(z: np.ndarray, axis: int = 1) -> np.ndarray:
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _l01_loss_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    """(logits (N, K), integer labels (N,)): random batches, a batch of one, huge logits."""
    rng = np.random.default_rng(106)
    cases = []
    for N, K, scale in ((5, 3, 2.0), (1, 4, 1.0), (6, 10, 3.0)):
        cases.append((scale * rng.standard_normal((N, K)), rng.permutation(np.arange(N) % K)))
    # exp(1000) overflows and exp(-1000) underflows, yet every probability here is moderate
    cases.append((np.array([[1000.0, 999.0, 998.0], [-1000.0, -999.0, -1001.0]]),
                  np.array([1, 0])))
    return cases


@no_delegation("course_lib.losses.SoftmaxCrossEntropyLoss", "course_lib.losses.CrossEntropyLoss")
def check_softmax_cross_entropy(loss_cls: type) -> None:
    """Check ``loss_cls()``, softmax + cross-entropy on logits: ``forward(z, y)``, ``backward()``.

    ``forward(z, y)`` takes logits z (N, K) and integer labels y (N,) and returns
    the number ``L = -mean_n log softmax(z)[n, y[n]]``; ``backward()`` returns
    ``dL/dz = (softmax(z) - onehot(y)) / N``, shape (N, K). One instance is
    tried on batches of 5 x 3, 1 x 4 and 6 x 10 logits, and on logits around
    +-1000 (which overflow ``np.exp`` unless each row's maximum is subtracted
    first); ``backward`` is called twice after each forward. A NumPy scalar,
    a 0-d array or a float are all fine as the loss.

    Names the usual slips: the loss summed instead of averaged, averaged over
    N K entries, its sign, one loss per sample (an array), the softmax over the
    wrong axis, a log base other than e, nan or inf from large logits; in
    backward: the 1/N missing, the labels subtracted as numbers instead of
    one-hot, y - p (the sign), p / N (y forgotten), dL/dp instead of dL/dz, the
    cached probabilities changed by backward, z or y changed in place, an
    array of the wrong shape.
    """
    if not isinstance(loss_cls, type):
        fail(f"Pass the class itself (MySoftmaxCrossEntropy, not MySoftmaxCrossEntropy()); "
             f"got {loss_cls!r}.")
    if not (callable(getattr(loss_cls, "forward", None))
            and callable(getattr(loss_cls, "backward", None))):
        fail(f"{loss_cls.__name__} needs forward(z, y) and backward() methods.")
    loss = _l01_new(loss_cls)
    for z, y in _l01_loss_cases():
        N, K = z.shape
        huge = np.abs(z).max() > 500
        log_p = _l01_log_softmax(z)
        p, onehot = np.exp(log_p), np.eye(K)[y]
        per_sample = -log_p[np.arange(N), y]
        expected = float(per_sample.mean())
        about = "logits around +-1000" if huge else f"logits of shape {z.shape}"
        what = f"forward(z, y) for {about}"

        inputs = Unchanged(z=z, y=y)
        got = _l01_call(what, loss.forward, z, y,
                        shapes=f"y holds {N} integer labels in [0, {K}), shape (N,) = {y.shape}; "
                               f"z has shape (N, K) = {z.shape}.")
        inputs.check("forward(z, y)")
        if isinstance(got, np.ndarray) and got.ndim > 0 and got.size > 1:
            if got.shape == (N,) and _l01_close(got, per_sample):
                fail(f"{what} returned one loss per sample, shape {got.shape}. The loss is "
                     f"their mean over the batch, a single number.")
            fail(f"{what} should be a single number, got an array of shape {got.shape}.")
        value = as_number(got, what)
        if not np.isfinite(value):
            if huge:
                fail(f"{what} is {value}: np.exp(1000) overflows to inf (and exp(-1000) "
                     f"underflows to 0), so inf / inf or log(0) appear. Subtract each row's "
                     f"largest logit before np.exp (z - z.max(axis=1, keepdims=True)): the "
                     f"softmax does not change, and nothing overflows.")
            fail(f"{what} is {value}: a log of 0 or a division by 0 on the way.")
        if not np.isclose(value, expected, rtol=1e-4, atol=1e-6):
            wrong_axis = -_l01_log_softmax(z, axis=0)[np.arange(N), y].mean()
            for candidate, message in (
                    (-expected, "has the wrong sign: the loss is -mean(log p[true class]), a "
                                "positive number."),
                    (N * expected, f"is the sum over the batch; the loss is the mean over the "
                                   f"N = {N} samples: divide by N."),
                    (expected / K, f"is averaged over all N * K = {N * K} entries. Average over "
                                   f"the N samples only: for each sample the one-hot target "
                                   f"picks the one log-probability of its true class."),
                    (wrong_axis, "normalises the softmax over axis 0, the batch. Each sample's "
                                 "K logits make its own distribution: sum over axis=1 with "
                                 "keepdims=True."),
                    (expected / np.log(2), "uses log base 2: cross-entropy uses the natural "
                                           "log, np.log."),
                    (expected / np.log(10), "uses log base 10: cross-entropy uses the natural "
                                            "log, np.log.")):
                if np.isclose(value, candidate, rtol=1e-4, atol=1e-6):
                    fail(f"{what} {message}")
        compare_scalar(got, expected, what)

        what = f"backward() after forward(z, y) for {about}"
        inputs = Unchanged(z=z, y=y)
        grad = _l01_call(what, loss.backward)
        inputs.check("backward()")
        grad = np.array(grad, copy=True) if isinstance(grad, np.ndarray) else grad
        expected_grad = (p - onehot) / N
        _l01_compare(grad, expected_grad, what, [
            (p - onehot, f"is not divided by N = {N}. The loss is a mean over the batch, so each "
                         f"sample's gradient p - t (t one-hot) carries a 1/N: (p - t) / N."),
            ((p - y[:, None]) / N, "subtracts the labels themselves from every column. y must be "
                                   "one-hot here: subtract 1 from p only at each sample's true "
                                   "class (np.eye(K)[y], or p[np.arange(N), y] -= 1 on a copy)."),
            (p - y[:, None], "subtracts the labels themselves and is not divided by N: make them "
                             "one-hot (subtract 1 only at the true class), then divide by N."),
            ((onehot - p) / N, "has the wrong sign: the gradient is (p - t) / N with t one-hot, "
                               "predicted minus true."),
            ((p - onehot) / N ** 2, f"is divided by N = {N} twice, (p - t) / N**2. The loss "
                                    f"is a mean, so the gradient carries one 1/N: (p - t) / N."),
            (p / N, "is p / N: subtract the one-hot target t, (p - t) / N."),
            (-onehot / (N * p), "is dL/dp, the gradient with respect to the probabilities. The "
                                "fused loss returns the gradient with respect to the logits z: "
                                "(p - t) / N."),
            ((np.exp(_l01_log_softmax(z, axis=0)) - onehot) / N,
             "uses a softmax over axis 0, the batch: normalise each row (axis=1)."),
        ])
        again = _l01_call(f"a second {what}", loss.backward)
        if not _l01_close(again, expected_grad):
            fail(f"A second backward() after the same forward returned something else: backward "
                 f"changed what forward cached (e.g. self.p[...] -= 1 on the cached "
                 f"probabilities). Work on a copy: grad = self.p.copy().")
    print(PASSED)
