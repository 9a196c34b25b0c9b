"""course_lib.autograd: every Tensor op and composite graphs against central differences.

Each gradient test builds a graph from leaves, takes L = sum(out * G) for a fixed random G
(so every output entry matters), runs backward, and compares every leaf's .grad with
numerical_gradient of L (float64, relative error < 1e-7).
"""

import pathlib

import numpy as np
import pytest

import course_lib
from course_lib import autograd
from course_lib.autograd import (Tensor, concatenate, is_grad_enabled, no_grad,
                                 softmax_cross_entropy, stack, topological_order, unbroadcast)
from course_lib.gradcheck import numerical_gradient, relative_error
from course_lib.layers import Dense, ReLU
from course_lib.losses import SoftmaxCrossEntropyLoss
from course_lib.model import Sequential

TOL = 1e-7
SEEDS = [0, 1, 2]


def gradcheck(build, *arrays, seed=0):
    """Compare backward with central differences for every input of ``build``; return the errors."""
    rng = np.random.default_rng(seed + 100)
    leaves = [Tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    out = build(*leaves)
    G = rng.standard_normal(out.shape)
    (out * G).sum().backward()
    errors = []
    for leaf in leaves:
        assert leaf.grad is not None, "a leaf that requires a gradient got none"
        assert leaf.grad.shape == leaf.shape
        numeric = numerical_gradient(lambda: float((build(*leaves).data * G).sum()), leaf.data)
        errors.append(relative_error(leaf.grad, numeric))
    assert max(errors) < TOL, f"relative errors {errors}"
    return errors


def away_from_zero(rng, shape, low=0.3):
    """Values with |x| >= low: no kink of relu or tie of max within the finite-difference step."""
    x = rng.uniform(low, 2.0, size=shape)
    return x * rng.choice([-1.0, 1.0], size=shape)


# ---------------------------------------------------------------------------------------
# Every op on its own
# ---------------------------------------------------------------------------------------
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("op", list(BINARY))
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((5, 3), (3,)),
                                    ((3,), (5, 3)), ((2, 3), (1,)), ((2, 3, 4), (3, 1)),
                                    ((4,), ())])
def test_binary_ops_with_broadcasting(seed, op, shapes):
    rng = np.random.default_rng(seed)
    a, b = (away_from_zero(rng, s) for s in shapes)
    gradcheck(BINARY[op], a, b, seed=seed)


@pytest.mark.parametrize("op", ["radd", "rsub", "rmul", "rdiv", "neg"])
def test_ops_with_a_number_or_array_on_the_left(op, rng):
    c = away_from_zero(rng, (4,))
    build = {"radd": lambda x: 2.5 + x, "rsub": lambda x: c - x, "rmul": lambda x: c * x,
             "rdiv": lambda x: 3.0 / x, "neg": lambda x: -x}[op]
    gradcheck(build, away_from_zero(rng, (3, 4)))


@pytest.mark.parametrize("p", [2, 3, 0.5, -1, -1.5])
def test_pow_by_a_number(p, rng):
    gradcheck(lambda x: x ** p, rng.uniform(0.5, 2.0, size=(3, 4)))


@pytest.mark.parametrize("fn", ["exp", "log", "sqrt", "tanh", "sigmoid", "relu"])
@pytest.mark.parametrize("seed", SEEDS)
def test_elementwise_functions(fn, seed):
    rng = np.random.default_rng(seed)
    x = away_from_zero(rng, (4, 5))
    if fn in ("log", "sqrt"):
        x = np.abs(x)
    gradcheck(lambda t: getattr(t, fn)(), x, seed=seed)


@pytest.mark.parametrize("shapes", [((4, 3), (3, 5)),           # lesson 01's MatMul
                                    ((2, 4, 3), (2, 3, 5)),      # batched
                                    ((2, 3, 4, 5), (2, 3, 5, 4)),  # (N, h, T, d) @ (N, h, d, T)
                                    ((2, 4, 3), (3, 3)),         # (N, T, D) @ (D, D)
                                    ((3, 3), (2, 3, 4)),         # a matrix times a batch
                                    ((1, 3, 4, 5), (2, 1, 5, 2)),  # batch axes broadcast
                                    ((3,), (3, 4)), ((4, 3), (3,)), ((3,), (3,)),
                                    ((3,), (2, 3, 4)), ((2, 4, 3), (3,))])
@pytest.mark.parametrize("seed", SEEDS)
def test_matmul(shapes, seed):
    rng = np.random.default_rng(seed)
    a, b = (rng.standard_normal(s) for s in shapes)
    gradcheck(lambda x, y: x @ y, a, b, seed=seed)


def test_matmul_with_an_array_on_either_side(rng):
    W = rng.standard_normal((3, 2))
    gradcheck(lambda x: x @ W, rng.standard_normal((4, 3)))
    x = rng.standard_normal((4, 3))
    gradcheck(lambda w: x @ w, W)


REDUCTIONS = [None, 0, 1, -1, (0, 2), (1,)]


@pytest.mark.parametrize("reduction", ["sum", "mean", "var", "max"])
@pytest.mark.parametrize("axis", REDUCTIONS)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions(reduction, axis, keepdims, rng):
    x = rng.standard_normal((2, 3, 4))
    gradcheck(lambda t: getattr(t, reduction)(axis=axis, keepdims=keepdims), x)


def test_reductions_give_numpy_values(rng):
    x = rng.standard_normal((2, 3, 4))
    t = Tensor(x)
    np.testing.assert_allclose(t.sum(axis=(0, 2)).data, x.sum(axis=(0, 2)))
    np.testing.assert_allclose(t.mean(axis=1, keepdims=True).data, x.mean(axis=1, keepdims=True))
    np.testing.assert_allclose(t.var(axis=-1).data, x.var(axis=-1))
    np.testing.assert_allclose(t.max(axis=0).data, x.max(axis=0))
    assert t.sum().shape == () and isinstance(t.sum().data, np.ndarray)


def test_max_shares_the_gradient_between_ties():
    x = Tensor(np.array([[1.0, 3.0, 3.0], [0.0, -1.0, 2.0]]), requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0, 0.5, 0.5], [0, 0, 1]])


def test_mean_carries_its_one_over_n():
    x = Tensor(np.ones((4, 5)), requires_grad=True)
    x.mean().backward()
    np.testing.assert_allclose(x.grad, np.full((4, 5), 1 / 20))


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_and_log_softmax_along_any_axis(fn, axis, rng):
    x = rng.standard_normal((2, 3, 4))
    gradcheck(lambda t: getattr(t, fn)(axis=axis), x)
    expected = np.exp(x) / np.exp(x).sum(axis=axis, keepdims=True)
    got = getattr(Tensor(x), fn)(axis=axis).data
    np.testing.assert_allclose(got, expected if fn == "softmax" else np.log(expected))


@pytest.mark.parametrize("shape", [(6, 2), (3, 4), (2, 3, 2), (12,), (-1, 3)])
def test_reshape(shape, rng):
    gradcheck(lambda t: t.reshape(*shape), rng.standard_normal((3, 4)))
    gradcheck(lambda t: t.reshape(shape), rng.standard_normal((3, 4)))


@pytest.mark.parametrize("axes", [(), (1, 0, 2), (2, 0, 1), (0, 2, 1), (-1, 0, 1)])
def test_transpose(axes, rng):
    x = rng.standard_normal((2, 3, 4))
    gradcheck(lambda t: t.transpose(*axes), x)
    np.testing.assert_array_equal(Tensor(x).transpose(*axes).data, x.transpose(*axes))


def test_T(rng):
    gradcheck(lambda t: t.T, rng.standard_normal((3, 4)))


@pytest.mark.parametrize("index", [
    (slice(1, 3),), (slice(None), slice(0, 4)), (1,), (Ellipsis, 2),      # basic slices
    (np.array([0, 2, 2, 1]),),                      # fancy, with a repeated row
    (np.array([[0, 1], [1, 1]]),),                  # an embedding lookup (N, T) -> (N, T, D)
    (slice(None), np.array([4, 0, 4])),             # fancy on the second axis
    (np.array([0, 1, 2]), np.array([1, 3, 1])),     # one entry per row (a label lookup)
])
def test_getitem(index, rng):
    index = index[0] if len(index) == 1 else index
    x = rng.standard_normal((3, 5))
    gradcheck(lambda t: t[index], x)
    np.testing.assert_array_equal(Tensor(x)[index].data, x[index])


def test_getitem_with_a_boolean_mask(rng):
    x = rng.standard_normal((3, 4))
    mask = x > 0
    gradcheck(lambda t: t[mask], x)


def test_embedding_rows_used_twice_get_both_gradients():
    E = Tensor(np.zeros((4, 2)), requires_grad=True)
    E[np.array([[1, 1], [3, 1]])].sum().backward()
    np.testing.assert_array_equal(E.grad, [[0, 0], [3, 3], [0, 0], [1, 1]])


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concatenate_and_stack(axis, rng):
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    gradcheck(lambda x, y: concatenate([x, y, x], axis=axis), a, b)
    gradcheck(lambda x, y: stack([x, y], axis=axis), a, b)
    np.testing.assert_array_equal(stack([Tensor(a), b], axis=axis).data,
                                  np.stack([a, b], axis=axis))


@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 3)])
def test_softmax_cross_entropy(shape, rng):
    labels = rng.integers(0, shape[-1], size=shape[:-1])
    gradcheck(lambda z: softmax_cross_entropy(z, labels), rng.standard_normal(shape))


def test_softmax_cross_entropy_is_lesson_01s_loss(rng):
    z, y = rng.standard_normal((6, 4)), rng.integers(0, 4, size=6)
    loss = SoftmaxCrossEntropyLoss()
    t = Tensor(z, requires_grad=True)
    value = softmax_cross_entropy(t, y)
    value.backward()
    assert value.item() == loss.forward(z, y)
    np.testing.assert_array_equal(t.grad, loss.backward())


# ---------------------------------------------------------------------------------------
# Composite graphs
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_fan_out_adds_the_gradients(seed):
    rng = np.random.default_rng(seed)
    # x feeds four ops; y twice through one op (y * y)
    gradcheck(lambda x, y: x * x + x.exp() * y * y - x / (y * y + 1), rng.standard_normal((3, 4)),
              rng.standard_normal((3, 4)), seed=seed)


def test_fan_out_by_hand():
    x = Tensor(3.0, requires_grad=True)
    (x * x + x).backward()  # d/dx (x^2 + x) = 2x + 1 = 7
    assert x.grad == 7.0


@pytest.mark.parametrize("seed", SEEDS)
def test_diamond_graph(seed):
    rng = np.random.default_rng(seed)

    def build(x):
        h = x.tanh()
        return (h.sigmoid() * h.relu() + h.T.sum(axis=1)).mean(axis=1, keepdims=True)

    gradcheck(build, away_from_zero(rng, (3, 4)), seed=seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_reshape_transpose_chains(seed):
    rng = np.random.default_rng(seed)

    def build(x, W):
        # (N, T*D) -> (N, T, D) -> (T, N, D) @ (D, D) -> (N, T*D) -> heads (N, h, T, d)
        h = x.reshape(2, 3, 4).transpose(1, 0, 2) @ W
        h = h.transpose(1, 0, 2).reshape(2, 12)
        heads = h.reshape(2, 3, 2, 2).transpose(0, 2, 1, 3)
        scores = heads @ heads.transpose(0, 1, 3, 2)
        return scores.softmax(axis=-1) @ heads

    gradcheck(build, rng.standard_normal((2, 12)), rng.standard_normal((4, 4)), seed=seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_layer_norm_with_a_mask(seed):
    rng = np.random.default_rng(seed)
    mask = np.triu(np.full((3, 3), -1e9), k=1)

    def build(x, gamma, beta):
        norm = (x - x.mean(axis=-1, keepdims=True)) / (x.var(axis=-1, keepdims=True) + 1e-5).sqrt()
        y = norm * gamma + beta
        return (y @ y.transpose(0, 2, 1) + mask).softmax(axis=-1)

    gradcheck(build, rng.standard_normal((2, 3, 4)), rng.standard_normal(4),
              rng.standard_normal(4), seed=seed)


def test_lstm_like_gate_slices(rng):
    def build(x, h, Wx, Wh, b):
        z = x @ Wx + h @ Wh + b
        i, f, o, g = (z[:, k * 3:(k + 1) * 3] for k in range(4))
        c = f.sigmoid() * h + i.sigmoid() * g.tanh()
        return o.sigmoid() * c.tanh()

    gradcheck(build, rng.standard_normal((2, 4)), rng.standard_normal((2, 3)),
              rng.standard_normal((4, 12)), rng.standard_normal((3, 12)), rng.standard_normal(12))


def test_a_long_chain_does_not_reach_the_recursion_limit():
    x = Tensor(np.array([0.5]), requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0001 ** 5000])


@pytest.mark.parametrize("extreme", [1000.0, -1000.0])
def test_extreme_logits(extreme, rng):
    z = rng.standard_normal((4, 3))
    z[:, 0] = extreme
    z[1, 1] = -extreme
    labels = np.array([0, 1, 2, 1])
    t = Tensor(z, requires_grad=True)
    loss = softmax_cross_entropy(t, labels)
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(t.grad).all()
    shifted = z - z.max(axis=1, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(t.grad, (p - np.eye(3)[labels]) / 4, atol=1e-15)
    # the same graph, written with log_softmax and fancy indexing
    t2 = Tensor(z, requires_grad=True)
    picked = t2.log_softmax(axis=1)[np.arange(4), labels]
    loss2 = -picked.mean()
    loss2.backward()
    np.testing.assert_allclose(loss2.item(), loss.item(), rtol=1e-12)
    np.testing.assert_allclose(t2.grad, t.grad, atol=1e-15)
    assert np.isfinite(Tensor(z).softmax(axis=0).data).all()


def test_a_two_layer_network_agrees_with_sequential(rng):
    x, y = rng.standard_normal((8, 5)), rng.integers(0, 3, size=8)
    model = Sequential([Dense(5, 6, rng=1), ReLU(), Dense(6, 3, rng=2)])
    loss = SoftmaxCrossEntropyLoss()
    value = loss.forward(model.forward(x), y)
    model.backward(loss.backward())
    W1, b1 = (Tensor(model.layers[0].params[k].copy(), requires_grad=True) for k in "Wb")
    W2, b2 = (Tensor(model.layers[2].params[k].copy(), requires_grad=True) for k in "Wb")
    t_loss = softmax_cross_entropy((Tensor(x) @ W1 + b1).relu() @ W2 + b2, y)
    t_loss.backward()
    assert abs(t_loss.item() - value) <= 1e-12
    for tensor, layer, key in [(W1, 0, "W"), (b1, 0, "b"), (W2, 2, "W"), (b2, 2, "b")]:
        np.testing.assert_allclose(tensor.grad, model.layers[layer].grads[key], atol=1e-13)


# ---------------------------------------------------------------------------------------
# Leaves, accumulation, no_grad, the order of the graph
# ---------------------------------------------------------------------------------------
def test_grad_accumulates_over_backward_calls_until_reset():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x * x).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    y.backward()
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])
    x.grad = None
    y.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_only_leaves_that_require_grad_get_a_grad(rng):
    x = Tensor(rng.standard_normal((2, 3)))
    w = Tensor(rng.standard_normal(3), requires_grad=True)
    h = x * w
    h.sum().backward()
    assert x.grad is None and h.grad is None and w.grad is not None
    assert w.is_leaf and not h.is_leaf


def test_retain_grad_keeps_an_interior_gradient(rng):
    w = Tensor(rng.standard_normal(3), requires_grad=True)
    h = (w * 2.0).retain_grad()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad, 2 * h.data)


def test_a_leaf_grad_is_its_own_array():
    # x + y passes the same gradient to both: x.grad and y.grad must not be one array
    x, y = (Tensor(np.zeros(2), requires_grad=True) for _ in range(2))
    (x + y).sum().backward()
    x.grad += 1
    np.testing.assert_array_equal(y.grad, [1.0, 1.0])


def test_no_grad_records_nothing(rng):
    w = Tensor(rng.standard_normal(3), requires_grad=True)
    with no_grad():
        assert not is_grad_enabled()
        y = (w * w).sum()
    assert is_grad_enabled()
    assert not y.requires_grad and y.is_leaf
    with pytest.raises(RuntimeError, match="does not require a gradient"):
        y.backward()


def test_no_grad_is_restored_after_an_error():
    with pytest.raises(ZeroDivisionError):
        with no_grad():
            1 / 0
    assert is_grad_enabled()


def test_topological_order(rng):
    a = Tensor(rng.standard_normal(2), requires_grad=True)
    b = Tensor(rng.standard_normal(2), requires_grad=True)
    c = a * b
    d = c + a
    e = (d * c).sum()
    order = topological_order(e)
    assert order[-1] is e
    assert len(order) == len({id(n) for n in order}) == 6  # a, b, c, d, d*c, sum
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for parent in node._parents:
            assert position[id(parent)] < position[id(node)]


def test_unbroadcast():
    g = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(unbroadcast(g, (2, 3, 4)), g)
    np.testing.assert_array_equal(unbroadcast(g, (4,)), g.sum(axis=(0, 1)))
    np.testing.assert_array_equal(unbroadcast(g, (3, 1)), g.sum(axis=(0, 2))[:, None])
    np.testing.assert_array_equal(unbroadcast(g, (1, 1, 4)), g.sum(axis=(0, 1), keepdims=True))
    np.testing.assert_array_equal(unbroadcast(g, ()), g.sum())
    with pytest.raises(ValueError, match="does not come from"):
        unbroadcast(g, (5,))


def test_backward_with_an_explicit_gradient(rng):
    x = Tensor(rng.standard_normal((2, 3)), requires_grad=True)
    G = rng.standard_normal((2, 3))
    (x * 3.0).backward(G)
    np.testing.assert_allclose(x.grad, 3 * G)


def test_dtypes(rng):
    x32 = Tensor(rng.standard_normal((2, 3)).astype(np.float32), requires_grad=True)
    y = (x32 * 2.0 + 1).tanh().sum()
    y.backward()
    assert y.dtype == np.float32 and x32.grad.dtype == np.float32
    assert Tensor([1, 2]).dtype == np.float64
    assert isinstance(np.ones(3) + Tensor(np.ones(3)), Tensor)
    assert isinstance(np.float64(2.0) * Tensor(np.ones(3)), Tensor)


# ---------------------------------------------------------------------------------------
# Lesson 01's layers are the ops' maths; the layers do not know the Tensor
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("layer_name, build", [
    ("MatMul", lambda x, w, b: x @ w), ("BiasAdd", lambda x, w, b: x + b),
    ("Tanh", lambda x, w, b: x.tanh()), ("Sigmoid", lambda x, w, b: x.sigmoid()),
    ("ReLU", lambda x, w, b: x.relu())])
def test_ops_run_lesson_01s_layers(layer_name, build, monkeypatch, rng):
    layer_cls = getattr(autograd, layer_name)
    calls = []
    original = layer_cls.backward

    def spy(self, *args, **kwargs):
        calls.append(layer_name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(layer_cls, "backward", spy)
    x = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    w = Tensor(rng.standard_normal((4, 2)), requires_grad=True)
    b = Tensor(rng.standard_normal(4), requires_grad=True)
    build(x, w, b).sum().backward()
    assert calls == [layer_name]


def test_no_layer_module_imports_autograd():
    layers = pathlib.Path(course_lib.__file__).parent / "layers"
    for path in layers.glob("*.py"):
        assert "autograd" not in path.read_text(), f"{path.name} mentions autograd"


# ---------------------------------------------------------------------------------------
# Bad input: clear errors
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("data, error, match", [
    ("abc", TypeError, "real numbers"), (["a", "b"], TypeError, "real numbers"),
    (np.array([1 + 2j]), TypeError, "real numbers"), ([[1.0, 2.0], [3.0]], ValueError,
                                                     "rectangular"),
    (np.array([1.0, np.nan]), ValueError, "NaN"), (None, TypeError, "real numbers"),
])
def test_tensor_of_bad_data(data, error, match):
    with pytest.raises(error, match=match):
        Tensor(data)


def test_tensor_of_a_tensor_and_bad_requires_grad():
    with pytest.raises(TypeError, match="already a Tensor"):
        Tensor(Tensor(1.0))
    with pytest.raises(TypeError, match="requires_grad must be True or False"):
        Tensor(1.0, requires_grad="yes")


def test_backward_on_a_non_scalar_names_the_fix(rng):
    y = Tensor(rng.standard_normal((2, 3)), requires_grad=True) * 2.0
    with pytest.raises(ValueError, match=r"single number .* shape \(2, 3\).*\.sum\(\)"):
        y.backward()
    with pytest.raises(ValueError, match=r"grad must have the shape"):
        y.backward(np.ones(3))


@pytest.mark.parametrize("op", ["+", "-", "*", "/"])
def test_shapes_that_do_not_broadcast(op, rng):
    a, b = Tensor(rng.standard_normal((2, 3))), Tensor(rng.standard_normal((4,)))
    with pytest.raises(ValueError, match=r"shapes \(2, 3\) and \(4,\) do not broadcast"):
        eval(f"a {op} b")


@pytest.mark.parametrize("shapes, match", [(((2, 3), (4, 5)), "do not fit"),
                                           (((2, 3, 4), (3, 4, 2)), "batch axes"),
                                           (((), (3,)), "at least one axis")])
def test_matmul_shapes_that_do_not_fit(shapes, match):
    a, b = (Tensor(np.ones(s)) for s in shapes)
    with pytest.raises(ValueError, match=match):
        a @ b


@pytest.mark.parametrize("build, error, match", [
    (lambda t: (t - 1.0).log(), ValueError, "values <= 0"),
    (lambda t: (t - 1.0).sqrt(), ValueError, "negative"),
    (lambda t: t / (t - t), ValueError, "inf or NaN"),
    (lambda t: (t * 1000.0).exp(), ValueError, "inf or NaN"),
    (lambda t: t ** t, TypeError, "exponent must be a number"),
    (lambda t: t ** "2", TypeError, "exponent must be a number"),
    (lambda t: t.reshape(4, 4), ValueError, "cannot reshape"),
    (lambda t: t.transpose(0, 0), ValueError, "not a permutation"),
    (lambda t: t.sum(axis=2), ValueError, "out of range"),
    (lambda t: t.mean(axis=1.0), TypeError, "axis must be"),
    (lambda t: t[5], IndexError, "does not fit"),
    (lambda t: softmax_cross_entropy(t, np.array([0, 3])), ValueError, "label"),
    (lambda t: softmax_cross_entropy(t, np.array([0.0, 1.0])), TypeError, "integer"),
    (lambda t: softmax_cross_entropy(t.data, np.array([0, 1])), TypeError, "must be a Tensor"),
    (lambda t: softmax_cross_entropy(t.sum(axis=0), np.array([0])), ValueError, r"\(N, K\)"),
    (lambda t: concatenate(t), TypeError, "list of tensors"),
    (lambda t: stack([t, t.T]), ValueError, "cannot be stacked"),
])
def test_bad_input_gets_a_clear_error(build, error, match):
    t = Tensor(np.array([[0.5, 0.2, 0.1], [0.3, 0.6, 0.9]]), requires_grad=True)
    with pytest.raises(error, match=match):
        build(t)


def test_draw_graph_shows_every_node_once(rng):
    import matplotlib
    matplotlib.use("Agg")
    from course_lib import plots

    x = Tensor(rng.standard_normal((2, 3)), name="x")
    w = Tensor(rng.standard_normal(3), requires_grad=True, name="w")
    loss = (x * w + w).tanh().sum()
    ax = plots.draw_graph(loss)
    labels = [t.get_text() for t in ax.texts if t.get_text()]  # not the arrows
    assert len(labels) == 6  # x, w, *, +, tanh, sum
    assert "x\n(2, 3)" in labels and "sum" in labels
