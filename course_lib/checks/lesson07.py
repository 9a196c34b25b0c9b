"""Checks for lesson 07: automatic differentiation.

Six exercises build a small engine of one's own: the topological order of a graph,
``unbroadcast``, ``backward`` (reverse order, gradients added at fan-out), and the
vector-Jacobian products of ``*`` and ``/``, of ``exp`` and ``log``, of ``sum`` and
``mean``. The references are written here from the definitions (and agree with
``course_lib.autograd``, which the tests check). A graph node, in the lesson and here,
has ``.value`` (an ndarray), ``.parents`` (a tuple of nodes), ``.vjp`` (None for a leaf,
else a function of the output's gradient that returns one gradient per parent) and
``.grad`` (None until backward reaches it).

An answer that calls ``course_lib.autograd`` (its Tensor or its functions) is refused:
the exercise is to write the piece.
"""

from __future__ import annotations

import types

import numpy as np

from .common import PASSED, Unchanged, compare_arrays, fail, no_delegation

#: course_lib's engine: an answer that reaches it (directly, through a helper of its own or
#: a Tensor) gets no credit (common.no_delegation watches the calls while a check runs)
_ENGINE = ("course_lib.autograd.topological_order", "course_lib.autograd.unbroadcast",
           "course_lib.autograd.Tensor")

__all__ = ["check_topo_sort", "check_unbroadcast", "check_backward", "check_mul_div_vjp",
           "check_exp_log_vjp", "check_sum_mean_vjp"]


def _refuse_reference(fn: object, name: str) -> None:
    """Fail if ``fn`` reads anything of course_lib.autograd from its globals."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return
    names, stack = set(), [code]
    while stack:  # the names of fn and of the functions and lambdas defined in it
        c = stack.pop()
        names.update(c.co_names)
        stack.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
    for n in names:
        obj = fn.__globals__.get(n)
        module = getattr(obj, "__name__", "") if isinstance(obj, types.ModuleType) else \
            getattr(obj, "__module__", "")
        uses_package = (isinstance(obj, types.ModuleType) and obj.__name__ == "course_lib"
                        and "autograd" in names)
        if (isinstance(module, str) and module.startswith("course_lib.autograd")) or uses_package:
            fail(f"{name} uses course_lib.autograd ({n}): the exercise is to write this piece "
                 f"yourself, with NumPy.")


def _call(fn, name: str, *args):
    """``fn(*args)``; a NotImplementedError passes through, any other error names the call."""
    try:
        return fn(*args)
    except NotImplementedError:
        raise
    except Exception as err:  # the student's code raised: say where, and what came in
        _raised(name, err)


def _raised(name: str, err: Exception) -> None:
    """Fail naming the error the student's code raised in ``name``."""
    hint = ""
    if "read-only" in str(err):
        hint = (" An in-place += wrote into an array that a vjp returned (here a read-only "
                "view from np.broadcast_to; it may also be shared with another node). "
                "Store a new array: parent.grad = parent.grad + g.")
    fail(f"{name} raised {type(err).__name__}: {err}.{hint}")


# --- the nodes the checks build their graphs from --------------------------------------------

class _Node:
    """A graph node as the lesson's: value, parents, vjp, grad."""

    def __init__(self, value, parents=(), vjp=None, name=""):
        self.value = np.asarray(value, dtype=np.float64)
        self.parents, self.vjp, self.grad, self.name = tuple(parents), vjp, None, name

    def __repr__(self) -> str:
        return f"node {self.name}" if self.name else "a node"


def _leaf(value, name):
    return _Node(value, name=name)


def _add(a, b, name=""):
    return _Node(a.value + b.value, (a, b), lambda g: (g, g), name)   # the same g to both


def _mul(a, b, name=""):
    return _Node(a.value * b.value, (a, b), lambda g: (g * b.value, g * a.value), name)


def _sum(a, name=""):
    return _Node(a.value.sum(), (a,), lambda g: (np.broadcast_to(g, a.value.shape),), name)


def _tanh(a, name=""):
    out = np.tanh(a.value)
    return _Node(out, (a,), lambda g: (g * (1 - out * out),), name)


# --- exercise 1: topological order ---------------------------------------------------------

def _reachable(root) -> set[int]:
    seen, stack = set(), [root]
    while stack:
        n = stack.pop()
        if id(n) not in seen:
            seen.add(id(n))
            stack.extend(n.parents)
    return seen


def _graphs():
    """(description, root) pairs: a chain, a diamond, a node used twice by one op, a DAG."""
    x = _leaf(np.ones(2), "x")
    chain = _sum(_tanh(_mul(x, x, "x*x"), "tanh"), "sum")
    a, b = _leaf(np.ones(3), "a"), _leaf(np.ones(3), "b")
    h = _tanh(a, "h")
    diamond = _sum(_add(_mul(h, b, "h*b"), _tanh(h, "tanh(h)"), "+"), "sum")
    rng = np.random.default_rng(70)
    nodes = [_leaf(np.ones(2), f"leaf{i}") for i in range(4)]
    for i in range(16):  # each new node uses two earlier ones, at random
        p, q = rng.choice(len(nodes), size=2, replace=False)
        nodes.append((_add if i % 2 else _mul)(nodes[p], nodes[q], f"n{i}"))
    dag = _sum(nodes[-1], "sum")
    s = _leaf(np.ones(2), "s")  # s feeds the root's + directly and, deeper, through s*s
    skip = _sum(_add(s, _tanh(_mul(s, s, "s*s"), "tanh"), "+"), "sum")
    return [("a chain x -> x*x -> tanh -> sum", chain),
            ("a skip connection: sum(s + tanh(s * s))", skip),
            ("a diamond (h feeds two ops whose results are added)", diamond),
            ("a random graph of 21 nodes where many nodes feed several others", dag)]


@no_delegation(*_ENGINE)
def check_topo_sort(topo_sort) -> None:
    """Check ``topo_sort(root)``: every node ``root`` depends on, once, parents first.

    It must return a list (or tuple) holding each node reachable from ``root`` through
    ``.parents`` exactly once, every node after all of its parents, ``root`` last. Any
    such order passes. Tried on a chain, a diamond and a random graph of 21 nodes.

    Names the usual slips: the order reversed (root first), a node listed twice (no
    record of the nodes visited), nodes missing (the leaves, the root), nothing returned.
    """
    _refuse_reference(topo_sort, "topo_sort")
    for label, root in _graphs():
        what = f"topo_sort(root) for {label}"
        order = _call(topo_sort, what, root)
        if order is None:
            fail(f"{what} returned None: did the function forget to return the list?")
        if not isinstance(order, (list, tuple)):
            fail(f"{what} should return a list of nodes, got {type(order).__name__}.")
        order = list(order)
        expected = _reachable(root)
        ids = [id(n) for n in order]
        if len(ids) != len(set(ids)):
            twice = next(n for n in order if ids.count(id(n)) > 1)
            fail(f"{what} lists {twice!r} {ids.count(id(twice))} times. A node reached by "
                 f"several paths must appear once: keep a set of the nodes visited and skip "
                 f"them.")
        if set(ids) - expected:
            fail(f"{what} holds {len(set(ids) - expected)} item(s) that are not nodes of the "
                 f"graph; return the nodes themselves.")
        missing = expected - set(ids)
        if missing:
            leaves = sum(1 for n in _all_nodes(root) if id(n) in missing and not n.parents)
            fail(f"{what} misses {len(missing)} of the {len(expected)} nodes "
                 f"({leaves} of them leaves{', and the root' if id(root) in missing else ''}). "
                 f"Visit every parent of every node, down to the leaves, and list each node.")
        position = {id(n): i for i, n in enumerate(order)}
        if order[0] is root and len(order) > 1:
            fail(f"{what} puts the root first: that is the order backward visits the nodes "
                 f"in, the reverse of a topological order. Return parents before children "
                 f"(append a node after all of its parents), the root last.")
        for node in order:
            for parent in node.parents:
                if position[id(parent)] > position[id(node)]:
                    fail(f"{what} puts {node!r} before its parent {parent!r}. Append a node "
                         f"only once all of its parents are in the list (a depth-first "
                         f"search that appends after the recursive calls).")
        if order[-1] is not root:
            fail(f"{what} does not end with the root.")
    print(PASSED)


def _all_nodes(root):
    seen, stack, out = set(), [root], []
    while stack:
        n = stack.pop()
        if id(n) not in seen:
            seen.add(id(n))
            out.append(n)
            stack.extend(n.parents)
    return out


# --- exercise 2: unbroadcast -----------------------------------------------------------------

def _unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    extra = grad.ndim - len(shape)
    g = grad.sum(axis=tuple(range(extra))) if extra else grad
    ones = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=ones, keepdims=True) if ones else g


def _left_aligned(grad: np.ndarray, shape: tuple) -> np.ndarray | None:
    """The slip: size-1 axes of ``shape`` summed at the same index of grad (left-aligned)."""
    try:
        for i, n in enumerate(shape):
            if n == 1:
                grad = grad.sum(axis=i, keepdims=True)
        while grad.ndim > len(shape):
            grad = grad.sum(axis=0)
    except ValueError:
        return None
    return grad


UNBROADCAST_CASES = [((2, 3, 4), (2, 3, 4)), ((5, 3), (3,)), ((5, 3), (5, 1)),
                     ((2, 3, 4), (4,)), ((2, 3, 4), (3, 1)), ((2, 3, 4), (1, 4)),
                     ((2, 3, 4), (2, 1, 4)), ((2, 3), ()), ((2, 3), (1,))]


@no_delegation(*_ENGINE)
def check_unbroadcast(unbroadcast) -> None:
    """Check ``unbroadcast(grad, shape)``: ``grad`` summed back to an input's ``shape``.

    Sum over the leading axes that broadcasting added, and over the axes where
    ``shape`` has size 1 while ``grad`` has more, keeping them (size 1); return ``grad``
    itself (or a copy) when the shapes are equal. Tried on nine pairs of shapes, with
    axes of different sizes so that every axis can be told apart, in float64 and float32,
    and ``grad`` must not be changed.

    Names the usual slips: a mean instead of a sum, the size-1 axes dropped (no
    keepdims), the wrong axes summed, the gradient returned with the output's shape.
    """
    _refuse_reference(unbroadcast, "unbroadcast")
    rng = np.random.default_rng(71)
    for dtype in (np.float64, np.float32):
        for grad_shape, shape in UNBROADCAST_CASES:
            grad = rng.standard_normal(grad_shape).astype(dtype)
            inputs = Unchanged(grad=grad)
            what = (f"unbroadcast(grad, {shape}) with grad of shape {grad_shape} "
                    f"({np.dtype(dtype).name})")
            got = _call(unbroadcast, what, grad, shape)
            inputs.check(what)
            expected = _unbroadcast(grad.astype(np.float64), shape)
            if isinstance(got, (int, float, np.generic)) and shape == ():
                got = np.asarray(got)
            if isinstance(got, np.ndarray) and got.shape != tuple(shape):
                if got.shape == grad_shape:
                    fail(f"{what} returned the gradient with the output's shape {grad_shape}. "
                         f"Sum it over the broadcast axes down to {shape}.")
                left = _left_aligned(grad.astype(np.float64), shape)
                if left is not None and left.shape == got.shape and np.allclose(
                        got, left, rtol=1e-4, atol=1e-4):
                    fail(f"{what} has shape {got.shape}: it sums the axes where {shape} has "
                         f"size 1 counted from the left of grad. Shapes line up from the right "
                         f"(the last axes): sum the {len(grad_shape) - len(shape)} leading "
                         f"axes away first, then the size-1 axes.")
                if got.size == expected.size and np.allclose(got.ravel(), expected.ravel(),
                                                             rtol=1e-4, atol=1e-4):
                    fail(f"{what} has the right sums in shape {got.shape}, not {shape}: the "
                         f"axes where the input has size 1 must stay, with size 1 "
                         f"(sum(..., keepdims=True)).")
                fail(f"{what} should have shape {tuple(shape)}, got {got.shape}: sum over the "
                     f"leading axes broadcasting added ({len(grad_shape) - len(shape)} here), "
                     f"then over the axes where the input has size 1.")
            if isinstance(got, np.ndarray) and got.shape == expected.shape and expected.size:
                count = grad.size // max(expected.size, 1)
                if count > 1 and np.allclose(got, expected / count, rtol=1e-4, atol=1e-6):
                    fail(f"{what} averages the copies; sum them: each copy of a broadcast "
                         f"entry passes its whole gradient to it.")
            compare_arrays(got, expected, what)
    print(PASSED)


# --- exercise 3: backward --------------------------------------------------------------------

def _graph_fan_out(rng):
    """loss = sum(x * x + tanh(x)), x used three times."""
    x = _leaf(rng.standard_normal((2, 3)), "x")
    loss = _sum(_add(_mul(x, x, "x*x"), _tanh(x, "tanh(x)"), "+"), "loss")
    expected = 2 * x.value + (1 - np.tanh(x.value) ** 2)
    parts = [2 * x.value, x.value, 1 - np.tanh(x.value) ** 2, x.value + 1 - np.tanh(x.value) ** 2]
    return x, loss, expected, parts


def _graph_bias(rng):
    """loss = sum(tanh(X * w + b)) with w (3,) and b (3,) broadcast over the rows of X (4, 3)."""
    X = _leaf(rng.standard_normal((4, 3)), "X")
    w, b = _leaf(rng.standard_normal(3), "w"), _leaf(rng.standard_normal(3), "b")
    z = X.value * w.value + b.value
    loss = _sum(_tanh(_add(_mul(X, w, "X*w"), b, "+ b"), "tanh"), "loss")
    d = 1 - np.tanh(z) ** 2
    return X, w, b, loss, d * w.value, (d * X.value).sum(axis=0), d.sum(axis=0)


@no_delegation(*_ENGINE)
def check_backward(backward) -> None:
    """Check ``backward(root)``: every node's gradient, by the chain rule in reverse order.

    ``backward`` must set ``root.grad`` to ones, visit the nodes of ``topo_sort(root)`` in
    reverse, and for each node with a ``vjp`` pass ``node.grad`` to it and add each
    gradient it returns, summed back to the parent's shape with ``unbroadcast``, to the
    parent's ``.grad`` (None counts as 0). Tried on a graph where x feeds three ops, one
    where a weight and a bias are broadcast over a batch, one where a ``+`` passes the
    same array to two leaves, and twice on two graphs that share a leaf (gradients
    accumulate, as in PyTorch). Uses your ``topo_sort`` and ``unbroadcast``.

    Names the usual slips: ``=`` instead of ``+=`` at fan-out, the nodes visited in
    forward order, the gradient not summed back to the parent's shape, two leaves
    sharing one gradient array (an in-place ``+=`` on it changes both), leaf
    gradients reset between backward calls.
    """
    _refuse_reference(backward, "backward")
    rng = np.random.default_rng(72)
    x, loss, expected, parts = _graph_fan_out(rng)
    what = "backward(loss) for loss = sum(x * x + tanh(x))"
    try:
        backward(loss)
    except TypeError as err:
        if "NoneType" not in str(err):
            _raised(what, err)
        if loss.grad is None:
            fail(f"{what} raised TypeError ({err}): a vjp got None. loss.grad is still None: "
                 f"start with root.grad = np.ones_like(root.value), dL/dL = ones.")
        fail(f"{what} raised TypeError ({err}): a vjp got a node's .grad while it was still "
             f"None. Visit the nodes in reverse topological order (reversed(topo_sort(root)), "
             f"the root first), so that every node's gradient is complete before its vjp "
             f"passes it on.")
    except NotImplementedError:
        raise
    except Exception as err:  # noqa: BLE001 - the student's code raised: name it
        _raised(what, err)
    if x.grad is None:
        fail(f"{what} left x.grad as None. Set loss.grad to ones, then walk the nodes in "
             f"reverse topological order and pass each node's gradient to its parents.")
    if isinstance(x.grad, np.ndarray) and x.grad.shape == x.value.shape:
        for part in parts:
            if np.allclose(x.grad, part) and not np.allclose(part, expected):
                fail(f"{what}: x.grad holds only part of the gradient. x feeds three ops (it "
                     f"is both parents of x * x, and the input of tanh): the gradients from "
                     f"all of them must be added (parent.grad = parent.grad + g), not the "
                     f"last one kept (parent.grad = g).")
    if isinstance(loss.grad, np.ndarray) and not np.allclose(loss.grad, 1):
        fail(f"{what}: loss.grad is {loss.grad}; the gradient of the loss with respect to "
             f"itself is 1.")
    compare_arrays(x.grad, expected, f"x.grad after {what}")

    X, w, b, loss, dX, dw, db = _graph_bias(rng)
    what = "backward(loss) for loss = sum(tanh(X * w + b)), X (4, 3), w and b (3,)"
    _call(backward, what, loss)
    for leaf, exp in ((X, dX), (w, dw), (b, db)):
        got = leaf.grad
        if isinstance(got, np.ndarray) and got.shape != leaf.value.shape:
            fail(f"{what}: {leaf.name}.grad has shape {got.shape}, but {leaf.name} has shape "
                 f"{leaf.value.shape}. Sum each gradient back to its parent's shape with "
                 f"unbroadcast(g, parent.value.shape) before adding it.")
        compare_arrays(got, exp, f"{leaf.name}.grad after {what}")

    for c_first in (True, False):  # whichever of the two ops backward reaches first
        a, c = _leaf(rng.standard_normal(3), "a"), _leaf(rng.standard_normal(3), "c")
        s, square = _add(a, c, "a + c"), _mul(a, a, "a*a")   # a + c passes one g to a and c
        loss = _sum(_add(s, square, "+") if c_first else _add(square, s, "+"), "loss")
        what = ("backward(loss) for loss = "
                + ("sum((a + c) + a * a)" if c_first else "sum(a * a + (a + c))"))
        _call(backward, what, loss)
        if isinstance(c.grad, np.ndarray) and c.grad.shape == (3,) and not np.allclose(c.grad, 1):
            fail(f"{what}: c.grad is {np.round(c.grad, 4)}, expected ones: adding to a.grad "
                 f"changed c.grad. The + node passes one array g to both parents; storing it "
                 f"(parent.grad = g) and later adding in place (parent.grad += ...) changes "
                 f"both. Store a new array: parent.grad = parent.grad + g, or g.copy() the "
                 f"first time.")
        compare_arrays(c.grad, np.ones(3), f"c.grad after {what}")
        compare_arrays(a.grad, 1 + 2 * a.value, f"a.grad after {what}")

    W = _leaf(rng.standard_normal((2, 3)), "W")
    first, second = _sum(_mul(W, W, "W*W"), "loss1"), _sum(_tanh(W, "tanh(W)"), "loss2")
    what = "backward(loss1), then backward(loss2), two graphs that share the leaf W"
    _call(backward, what, first)
    _call(backward, what, second)
    expected = 2 * W.value + 1 - np.tanh(W.value) ** 2
    if isinstance(W.grad, np.ndarray) and np.allclose(W.grad, 1 - np.tanh(W.value) ** 2):
        fail(f"{what}: W.grad holds only the second loss's gradient. backward must add to a "
             f"leaf's .grad, not reset it: gradients accumulate over backward calls (as in "
             f"PyTorch), and the training loop resets them before each step.")
    compare_arrays(W.grad, expected, f"W.grad after {what}")
    print(PASSED)


# --- exercises 4-6: vector-Jacobian products ------------------------------------------------

def _pair(got, what: str):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        fail(f"{what} should return a pair (grad_a, grad_b), got "
             f"{type(got).__name__ if got is not None else 'None (a missing return?)'}"
             + (f" of length {len(got)}" if isinstance(got, (tuple, list)) else "") + ".")
    return got


def _first_slip(got, expected, slips, what: str) -> None:
    if not (isinstance(got, np.ndarray) and got.shape == np.shape(expected)
            and np.all(np.isfinite(got))):
        return
    if np.allclose(got, expected, rtol=1e-5, atol=1e-7):
        return
    for wrong, message in slips:
        if np.shape(wrong) == got.shape and np.allclose(got, wrong, rtol=1e-5, atol=1e-7) \
                and not np.allclose(wrong, expected, rtol=1e-5, atol=1e-7):
            fail(f"{what} {message}")


def _vjp_inputs(seed: int):
    """Two (g, a, b) triples of 3x4 arrays; a and b away from 0 (|a|, |b| in [0.5, 2])."""
    rng = np.random.default_rng(seed)

    def away_from_zero():
        return rng.uniform(0.5, 2.0, (3, 4)) * rng.choice([-1, 1], (3, 4))

    return [(rng.standard_normal((3, 4)), away_from_zero(), away_from_zero()) for _ in range(2)]


@no_delegation(*_ENGINE)
def check_mul_div_vjp(mul_vjp, div_vjp) -> None:
    """Check ``mul_vjp(g, a, b)`` and ``div_vjp(g, a, b)``: (grad_a, grad_b) of a * b, a / b.

    ``g`` is the gradient of the output; each function returns the pair of gradients
    with respect to ``a`` and ``b``, in the output's shape (the engine sums them back
    with unbroadcast). Tried on 3x4 arrays, two seeds.

    Names the usual slips: the inputs swapped (a * b's gradient for a is g * b), g left
    out, the sign of d(a/b)/db, b not squared in it, a left out of it.
    """
    _refuse_reference(mul_vjp, "mul_vjp")
    _refuse_reference(div_vjp, "div_vjp")
    for g, a, b in _vjp_inputs(73):
        inputs = Unchanged(g=g, a=a, b=b)
        what = "mul_vjp(g, a, b) for 3x4 arrays"
        ga, gb = _pair(_call(mul_vjp, what, g, a, b), what)
        inputs.check(what)
        for got, exp, other, name in ((ga, g * b, g * a, "grad_a"), (gb, g * a, g * b, "grad_b")):
            _first_slip(got, exp, [(other, f"gives {name} = g times its own input: the "
                                           f"derivative of a * b with respect to a is b, and "
                                           f"with respect to b is a."),
                                   (exp / g, f"leaves out g in {name}: multiply the local "
                                             f"derivative by the gradient g of the output.")],
                        f"{what}:")
            compare_arrays(got, exp, f"{name} of {what}")
        what = "div_vjp(g, a, b) for 3x4 arrays"
        ga, gb = _pair(_call(div_vjp, what, g, a, b), what)
        inputs.check(what)
        _first_slip(ga, g / b, [(g * b, "multiplies by b in grad_a; d(a/b)/da = 1/b."),
                                (g * a / b, "multiplies g by a / b, the output, in grad_a; "
                                            "d(a/b)/da = 1/b: g / b."),
                                (1 / b, "leaves out g in grad_a: g / b.")], f"{what}:")
        compare_arrays(ga, g / b, f"grad_a of {what}")
        expected = -g * a / b ** 2
        _first_slip(gb, expected,
                    [(g * a / b ** 2, "has the wrong sign in grad_b: d(a/b)/db = -a / b**2."),
                     (-g * a / b, "does not square b in grad_b: d(a/b)/db = -a / b**2."),
                     (-g / b ** 2, "leaves out a in grad_b: d(a/b)/db = -a / b**2."),
                     (-a / b ** 2, "leaves out g in grad_b.")], f"{what}:")
        compare_arrays(gb, expected, f"grad_b of {what}")
    print(PASSED)


@no_delegation(*_ENGINE)
def check_exp_log_vjp(exp_vjp, log_vjp) -> None:
    """Check ``exp_vjp(g, x, out)`` (``out = exp(x)``) and ``log_vjp(g, x)``.

    Each returns the gradient with respect to ``x``: ``g * out`` (reusing the forward's
    output) and ``g / x``. Tried on 3x4 arrays (x > 0 for log), two seeds.

    Names the usual slips: g * x, g left out, log's gradient as g * log(x) or -g / x.
    """
    _refuse_reference(exp_vjp, "exp_vjp")
    _refuse_reference(log_vjp, "log_vjp")
    for g, x, _ in _vjp_inputs(74):
        out = np.exp(x)
        inputs = Unchanged(g=g, x=x, out=out)
        what = "exp_vjp(g, x, out) for 3x4 arrays"
        got = _call(exp_vjp, what, g, x, out)
        inputs.check(what)
        _first_slip(got, g * out, [(g * x, "multiplies g by x; the derivative of exp is exp "
                                           "itself: g * out."),
                                   (out, "leaves out g: g * out."),
                                   (g * np.exp(out), "takes exp of out again; out is exp(x) "
                                                     "already: g * out.")], f"{what}")
        compare_arrays(got, g * out, what)
        xp = np.abs(x)
        inputs = Unchanged(g=g, x=xp)
        what = "log_vjp(g, x) for 3x4 arrays, x > 0"
        got = _call(log_vjp, what, g, xp)
        inputs.check(what)
        _first_slip(got, g / xp, [(g * xp, "multiplies by x; d(log x)/dx = 1/x: g / x."),
                                  (g * np.log(xp), "multiplies by log(x); d(log x)/dx = 1/x."),
                                  (-g / xp, "has a minus sign: d(log x)/dx = +1/x."),
                                  (1 / xp, "leaves out g: g / x."),
                                  (g / xp ** 2, "divides by x**2: d(log x)/dx = 1/x."),
                                  (g / (1 + xp), "divides by 1 + x (the derivative of "
                                                 "log(1 + x)); d(log x)/dx = 1/x: g / x.")],
                    what)
        compare_arrays(got, g / xp, what)
    print(PASSED)


SUM_CASES = [((3, 4), None, False), ((3, 4), 0, False), ((3, 4), 1, True), ((4, 4), 1, False),
             ((2, 3, 4), (0, 2), False), ((2, 3, 4), -1, True), ((2, 3, 4), (1,), False)]


def _reduced_axes(shape, axis):
    if axis is None:
        return tuple(range(len(shape)))
    axes = (axis,) if isinstance(axis, int) else axis
    return tuple(a % len(shape) for a in axes)


@no_delegation(*_ENGINE)
def check_sum_mean_vjp(sum_vjp, mean_vjp) -> None:
    """Check ``sum_vjp(g, shape, axis, keepdims)`` and ``mean_vjp(g, shape, axis, keepdims)``.

    ``shape`` is the input's shape, ``axis`` None (every axis), an int or a tuple of
    ints, and ``g`` the gradient of ``x.sum(axis, keepdims)`` (or ``.mean``): each
    returns the gradient with respect to ``x``, an array of ``shape``. Tried on seven
    cases, among them a square 4x4 input (where spreading g along the wrong axis
    still gives the right shape) and negative and tuple axes.

    Names the usual slips: a mean without its 1/N, the count of the wrong axes, g spread
    along the wrong axis (the reduced axis not put back before broadcasting), the
    result in g's shape.
    """
    _refuse_reference(sum_vjp, "sum_vjp")
    _refuse_reference(mean_vjp, "mean_vjp")
    rng = np.random.default_rng(75)
    for shape, axis, keepdims in SUM_CASES:
        x = rng.standard_normal(shape)
        g = np.asarray(rng.standard_normal(x.sum(axis=axis, keepdims=keepdims).shape))
        axes = _reduced_axes(shape, axis)
        g_kept = g if keepdims else np.expand_dims(g, axes)
        count = int(np.prod([shape[a] for a in axes]))
        for name, fn, expected in (("sum_vjp", sum_vjp, np.broadcast_to(g_kept, shape)),
                                   ("mean_vjp", mean_vjp, np.broadcast_to(g_kept, shape) / count)):
            what = f"{name}(g, {shape}, axis={axis!r}, keepdims={keepdims})"
            inputs = Unchanged(g=g)
            try:
                got = fn(g, shape, axis, keepdims)
            except NotImplementedError:
                raise
            except Exception as err:  # noqa: BLE001 - the student's code raised: name it
                if axis is None:
                    fail(f"{what} raised {type(err).__name__}: {err}. axis=None means every "
                         f"axis was summed: g is one number, so spread it over the whole "
                         f"input (np.broadcast_to(g, shape)); np.expand_dims(g, None) fails.")
                if keepdims:
                    fail(f"{what} raised {type(err).__name__}: {err}. With keepdims=True, g "
                         f"already has the reduced axes (with size 1): broadcast it as it is, "
                         f"without np.expand_dims.")
                _raised(what, err)
            inputs.check(what)
            if isinstance(got, (np.generic, float, int)) and not isinstance(got, bool):
                got = np.asarray(got)  # a scalar: g itself, not spread over the input
            if isinstance(got, np.ndarray) and got.shape != shape:
                fail(f"{what} should return an array of the input's shape {shape}, got "
                     f"{got.shape}. Put the reduced axes back (np.expand_dims(g, axis) when "
                     f"keepdims is False) and broadcast to {shape} (np.broadcast_to).")
            slips = []
            if not keepdims and g.ndim and g.shape == shape[len(shape) - g.ndim:]:
                wrong = np.broadcast_to(g, shape)
                slips.append((wrong / (count if name == "mean_vjp" else 1),
                              f"spreads g along the wrong axis: broadcasting g of shape "
                              f"{g.shape} lines it up with the last axes of {shape}. Put the "
                              f"summed axis back first: np.expand_dims(g, axis)."))
            if name == "mean_vjp":
                slips.append((expected * count, f"has no 1/N: each of the {count} entries "
                                                 f"averaged counts 1/{count} in the mean."))
                total = int(np.prod(shape))
                if total != count:
                    slips.append((expected * count / total,
                                  f"divides by the size of the whole input ({total}); the mean "
                                  f"is over the {count} entries of the reduced axes only."))
            _first_slip(got, expected, slips, what)
            compare_arrays(got, expected, what)
    print(PASSED)
