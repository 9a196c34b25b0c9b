"""Lesson 07's checks: every correct style passes, every typical slip fails with its message."""

import numpy as np
import pytest

from check_helpers import fails

from course_lib import autograd
from course_lib.checks.lesson07 import (check_backward, check_exp_log_vjp, check_mul_div_vjp,
                                        check_sum_mean_vjp, check_topo_sort, check_unbroadcast)


# --- exercise 1: topological order -----------------------------------------------------------

def topo_recursive(root):
    order, visited = [], set()

    def visit(node):
        if id(node) in visited:
            return
        visited.add(id(node))
        for parent in node.parents:
            visit(parent)
        order.append(node)

    visit(root)
    return order


def topo_kahn(root):
    # Kahn's algorithm on the reachable nodes: another correct style.
    nodes, stack = {}, [root]
    while stack:
        n = stack.pop()
        if id(n) not in nodes:
            nodes[id(n)] = n
            stack.extend(n.parents)
    waiting = {k: len(set(id(p) for p in n.parents)) for k, n in nodes.items()}
    children = {k: [] for k in nodes}
    for k, n in nodes.items():
        for p in set(id(p) for p in n.parents):
            children[p].append(k)
    ready = [k for k, w in waiting.items() if w == 0]
    order = []
    while ready:
        k = ready.pop()
        order.append(nodes[k])
        for c in children[k]:
            waiting[c] -= 1
            if waiting[c] == 0:
                ready.append(c)
    return tuple(order)


def topo_reversed(root):
    return topo_recursive(root)[::-1]


def topo_no_visited(root):
    order = []

    def visit(node):
        for parent in node.parents:
            visit(parent)
        order.append(node)

    visit(root)
    return order


def topo_preorder(root):
    order, visited = [], set()

    def visit(node):
        if id(node) in visited:
            return
        visited.add(id(node))
        order.append(node)
        for parent in node.parents:
            visit(parent)

    visit(root)
    return order[1:] + order[:1]  # pre-order, with the root moved to the end


def topo_no_leaves(root):
    return [n for n in topo_recursive(root) if n.parents]


def topo_no_return(root):
    topo_recursive(root)


@pytest.mark.parametrize("answer", [topo_recursive, topo_kahn])
def test_topo_sort_accepts_correct_orders(answer, capsys):
    check_topo_sort(answer)
    assert "All checks passed" in capsys.readouterr().out


@pytest.mark.parametrize("answer, match", [
    (topo_reversed, "puts the root first"), (topo_no_visited, "times"),
    (topo_no_leaves, "misses"), (topo_no_return, "forget to return"),
    (topo_preorder, "before its parent")])
def test_topo_sort_names_the_slips(answer, match):
    fails(check_topo_sort, answer, match=match)


def test_topo_sort_refuses_course_libs():
    fails(check_topo_sort, lambda root: autograd.topological_order(root),
          match="uses course_lib.autograd")


def test_not_implemented_passes_through():
    def unwritten(*args):
        raise NotImplementedError("Your turn")

    with pytest.raises(NotImplementedError):
        check_topo_sort(unwritten)


# --- exercise 2: unbroadcast -----------------------------------------------------------------

def unbroadcast_loop(grad, shape):
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for i, n in enumerate(shape):
        if n == 1:
            grad = grad.sum(axis=i, keepdims=True)
    return grad


def unbroadcast_compact(grad, shape):
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(extra + i for i, n in enumerate(shape) if n == 1)
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


@pytest.mark.parametrize("answer", [unbroadcast_loop, unbroadcast_compact])
def test_unbroadcast_accepts_correct_styles(answer, capsys):
    check_unbroadcast(answer)
    assert "All checks passed" in capsys.readouterr().out


def unbroadcast_no_keepdims(grad, shape):
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for i in reversed(range(len(shape))):
        if shape[i] == 1:
            grad = grad.sum(axis=i)
    return grad


def unbroadcast_mean(grad, shape):
    while grad.ndim > len(shape):
        grad = grad.mean(axis=0)
    for i, n in enumerate(shape):
        if n == 1:
            grad = grad.mean(axis=i, keepdims=True)
    return grad


def unbroadcast_trailing(grad, shape):
    # sums the trailing axes instead of the leading ones
    while grad.ndim > len(shape):
        grad = grad.sum(axis=-1)
    for i, n in enumerate(shape):
        if n == 1:
            grad = grad.sum(axis=i, keepdims=True)
    return grad


def unbroadcast_in_place(grad, shape):
    grad *= 1.0
    grad[...] = grad
    result = unbroadcast_loop(grad, shape)
    grad += 1
    return result


@pytest.mark.parametrize("answer, match", [
    (lambda grad, shape: grad, "output's shape"), (unbroadcast_no_keepdims, "size 1"),
    (unbroadcast_mean, "averages"), (unbroadcast_trailing, "should have shape|wrong"),
    (unbroadcast_in_place, "in place"),
    (lambda grad, shape: autograd.unbroadcast(grad, shape), "uses course_lib.autograd")])
def test_unbroadcast_names_the_slips(answer, match):
    fails(check_unbroadcast, answer, match=match)


# --- exercise 3: backward --------------------------------------------------------------------
# backward uses the notebook's topo_sort and unbroadcast: here, module globals.
topo_sort = topo_recursive
unbroadcast = unbroadcast_loop


def backward_correct(root):
    root.grad = np.ones_like(root.value)
    for node in reversed(topo_sort(root)):
        if node.vjp is None:
            continue
        for parent, g in zip(node.parents, node.vjp(node.grad)):
            g = unbroadcast(g, parent.value.shape)
            parent.grad = g if parent.grad is None else parent.grad + g
    # (g may be shared; the + above makes a new array, and `g` is never changed in place)


def backward_dict(root):
    # Another style: the gradients of interior nodes in a dict, written to .grad at the end.
    grads = {id(root): np.ones_like(root.value)}
    for node in reversed(topo_sort(root)):
        g_node = grads.get(id(node))
        if g_node is None:
            continue
        if node.vjp is None:
            node.grad = g_node.copy() if node.grad is None else node.grad + g_node
            continue
        node.grad = g_node
        for parent, g in zip(node.parents, node.vjp(g_node)):
            g = unbroadcast(g, parent.value.shape)
            grads[id(parent)] = grads[id(parent)] + g if id(parent) in grads else g


def backward_assign(root):
    root.grad = np.ones_like(root.value)
    for node in reversed(topo_sort(root)):
        if node.vjp is not None:
            for parent, g in zip(node.parents, node.vjp(node.grad)):
                parent.grad = unbroadcast(g, parent.value.shape)


def backward_forward_order(root):
    root.grad = np.ones_like(root.value)
    for node in topo_sort(root):
        if node.vjp is not None and node.grad is not None:
            for parent, g in zip(node.parents, node.vjp(node.grad)):
                g = unbroadcast(g, parent.value.shape)
                parent.grad = g if parent.grad is None else parent.grad + g


def backward_no_unbroadcast(root):
    root.grad = np.ones_like(root.value)
    for node in reversed(topo_sort(root)):
        if node.vjp is not None:
            for parent, g in zip(node.parents, node.vjp(node.grad)):
                parent.grad = g if parent.grad is None else parent.grad + g


def backward_alias(root):
    root.grad = np.ones_like(root.value)
    for node in reversed(topo_sort(root)):
        if node.vjp is not None:
            for parent, g in zip(node.parents, node.vjp(node.grad)):
                g = unbroadcast(g, parent.value.shape)
                if parent.grad is None:
                    parent.grad = g
                else:
                    parent.grad += g


def backward_reset(root):
    for node in topo_sort(root):
        node.grad = None
    backward_correct(root)


@pytest.mark.parametrize("answer", [backward_correct, backward_dict])
def test_backward_accepts_correct_styles(answer, capsys):
    check_backward(answer)
    assert "All checks passed" in capsys.readouterr().out


@pytest.mark.parametrize("answer, match", [
    (backward_assign, "only part of the gradient"),
    (backward_forward_order, "x.grad|left x.grad as None|wrong"),
    (backward_no_unbroadcast, "unbroadcast"),
    (backward_alias, "changed c.grad|parent.grad = parent.grad \\+ g"),
    (backward_reset, "only the second loss")])
def test_backward_names_the_slips(answer, match):
    fails(check_backward, answer, match=match)


# --- exercises 4-6: vector-Jacobian products --------------------------------------------------

def mul_vjp(g, a, b):
    return g * b, g * a


def div_vjp(g, a, b):
    return g / b, -g * a / b ** 2


def test_mul_div_accept_correct_styles(capsys):
    check_mul_div_vjp(mul_vjp, div_vjp)
    check_mul_div_vjp(lambda g, a, b: [b * g, a * g],
                      lambda g, a, b: (g * (1 / b), -(g * a) / (b * b)))
    assert capsys.readouterr().out.count("All checks passed") == 2


@pytest.mark.parametrize("mul, div, match", [
    (lambda g, a, b: (g * a, g * b), div_vjp, "its own input"),
    (lambda g, a, b: (b, a), div_vjp, "leaves out g"),
    (lambda g, a, b: g * b, div_vjp, "pair"),
    (mul_vjp, lambda g, a, b: (g / b, g * a / b ** 2), "wrong sign"),
    (mul_vjp, lambda g, a, b: (g / b, -g * a / b), "square"),
    (mul_vjp, lambda g, a, b: (g / b, -g / b ** 2), "leaves out a"),
    (mul_vjp, lambda g, a, b: (g * b, -g * a / b ** 2), "1/b"),
])
def test_mul_div_name_the_slips(mul, div, match):
    fails(check_mul_div_vjp, mul, div, match=match)


def exp_vjp(g, x, out):
    return g * out


def log_vjp(g, x):
    return g / x


def test_exp_log_accept_correct_styles(capsys):
    check_exp_log_vjp(exp_vjp, log_vjp)
    check_exp_log_vjp(lambda g, x, out: g * np.exp(x), lambda g, x: g * (1.0 / x))
    assert capsys.readouterr().out.count("All checks passed") == 2


@pytest.mark.parametrize("exp, log, match", [
    (lambda g, x, out: g * x, log_vjp, "multiplies g by x"),
    (lambda g, x, out: out, log_vjp, "leaves out g"),
    (exp_vjp, lambda g, x: g * x, "multiplies by x"),
    (exp_vjp, lambda g, x: g * np.log(x), "log"),
    (exp_vjp, lambda g, x: -g / x, "minus sign"),
    (exp_vjp, lambda g, x: g / x ** 2, "x\\*\\*2"),
])
def test_exp_log_name_the_slips(exp, log, match):
    fails(check_exp_log_vjp, exp, log, match=match)


def sum_vjp(g, shape, axis, keepdims):
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, shape)


def mean_vjp(g, shape, axis, keepdims):
    axes = range(len(shape)) if axis is None else np.atleast_1d(axis)
    return sum_vjp(g, shape, axis, keepdims) / np.prod([shape[a] for a in axes])


def sum_vjp_ones(g, shape, axis, keepdims):
    # another style: ones times g with the axes put back, a writeable array
    if axis is None:
        return np.ones(shape) * g
    axes = (axis,) if isinstance(axis, int) else axis
    return np.ones(shape) * (g if keepdims else np.expand_dims(g, axes))


def test_sum_mean_accept_correct_styles(capsys):
    check_sum_mean_vjp(sum_vjp, mean_vjp)
    check_sum_mean_vjp(sum_vjp_ones, lambda g, shape, axis, keepdims: sum_vjp_ones(
        g, shape, axis, keepdims) * np.size(g) / np.prod(shape))
    assert capsys.readouterr().out.count("All checks passed") == 2


@pytest.mark.parametrize("s, m, match", [
    (lambda g, shape, axis, keepdims: np.broadcast_to(g, shape), mean_vjp, "wrong axis"),
    (sum_vjp, sum_vjp, "no 1/N"),
    (sum_vjp, lambda g, shape, axis, keepdims: sum_vjp(g, shape, axis, keepdims) / np.prod(shape),
     "whole input"),
    (lambda g, shape, axis, keepdims: g, mean_vjp, "input's shape"),
    (sum_vjp, lambda g, shape, axis, keepdims: autograd.Tensor(np.zeros(shape)).mean().data,
     "uses course_lib.autograd"),
])
def test_sum_mean_name_the_slips(s, m, match):
    fails(check_sum_mean_vjp, s, m, match=match)


# --- slips a simulated class found (tests/class_simulation/lesson07.py) ----------------------

def topo_bfs_reversed(root):
    seen, queue, order = {id(root)}, [root], []
    while queue:
        node = queue.pop(0)
        order.append(node)
        for p in node.parents:
            if id(p) not in seen:
                seen.add(id(p))
                queue.append(p)
    return order[::-1]


def test_topo_sort_breadth_first_reversed_is_refused():
    fails(check_topo_sort, topo_bfs_reversed, match="before its parent")


def parents_first(node):  # a helper of the student's own that hands the work to course_lib
    return autograd.topological_order(node)


def test_topo_sort_refuses_course_libs_through_a_helper():
    fails(check_topo_sort, lambda root: parents_first(root), match="course_lib.*yourself")


def unbroadcast_left_aligned(grad, shape):
    for i, n in enumerate(shape):
        if n == 1:
            grad = grad.sum(axis=i, keepdims=True)
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    return grad


def test_unbroadcast_left_aligned_axes_are_named():
    fails(check_unbroadcast, unbroadcast_left_aligned, match="line up from the right")


def backward_no_root_grad(root):
    for node in reversed(topo_recursive(root)):
        if node.vjp is not None:
            for parent, g in zip(node.parents, node.vjp(node.grad)):
                g = unbroadcast_loop(np.asarray(g), parent.value.shape)
                parent.grad = g if parent.grad is None else parent.grad + g


def backward_forward_order_none(root):
    root.grad = np.ones_like(root.value)
    for node in topo_recursive(root):
        if node.vjp is not None:
            for parent, g in zip(node.parents, node.vjp(node.grad)):
                parent.grad = g if parent.grad is None else parent.grad + g


@pytest.mark.parametrize("answer, match", [
    (backward_no_root_grad, "root.grad = np.ones_like"),
    (backward_forward_order_none, "reverse topological order"),
])
def test_backward_none_gradients_are_named(answer, match):
    fails(check_backward, answer, match=match)


@pytest.mark.parametrize("mul, div, exp, log, match", [
    (mul_vjp, lambda g, a, b: (g * a / b, -g * a / b ** 2), None, None, "the output, in grad_a"),
    (None, None, exp_vjp, lambda g, x: g / (1 + x), "1 \\+ x"),
])
def test_vjp_slips_found_by_the_class(mul, div, exp, log, match):
    if mul is not None:
        fails(check_mul_div_vjp, mul, div, match=match)
    else:
        fails(check_exp_log_vjp, exp, log, match=match)


def test_sum_vjp_returning_a_scalar_is_named():
    fails(check_sum_mean_vjp, lambda g, shape, axis, keepdims: np.asarray(g) * 1.0, mean_vjp,
          match="input's shape")


def test_vjps_through_course_libs_tensor_are_refused():
    def mul_by_tensor(g, a, b):
        ta, tb = autograd.Tensor(a, requires_grad=True), autograd.Tensor(b, requires_grad=True)
        (ta * tb * g).sum().backward()
        return ta.grad, tb.grad

    fails(check_mul_div_vjp, mul_by_tensor, div_vjp, match="course_lib.autograd")


def test_sum_vjp_raising_on_axis_none_or_keepdims_is_named():
    def no_none(g, shape, axis, keepdims):
        if not keepdims:
            g = np.expand_dims(g, axis)
        return np.broadcast_to(g, shape)

    def expands_always(g, shape, axis, keepdims):
        if axis is not None:
            g = np.expand_dims(g, axis)
        return np.broadcast_to(g, shape)

    fails(check_sum_mean_vjp, no_none, mean_vjp, match="axis=None means every axis")
    fails(check_sum_mean_vjp, expands_always, mean_vjp, match="already has the reduced axes")
