"""Simulated class, lesson 07 (autograd): topo_sort, unbroadcast, backward and the vjps of
mul/div, exp/log, sum/mean."""

from class_simulation.answer import Answer

# the import cell, then the lesson's Var and its operations (cells before the exercises)
SETUP = '''
import numpy as np

from course_lib import checks
from course_lib.gradcheck import numerical_gradient, relative_error
from course_lib.layers import BiasAdd, Dense, MatMul, Tanh
from course_lib.losses import SoftmaxCrossEntropyLoss
from course_lib.model import Sequential
from course_lib.optim import SGD
from course_lib.train import accuracy


class Var:
    def __init__(self, value, parents=(), vjp=None, op="", name=""):
        self.value = np.asarray(value, dtype=np.float64)
        self.parents, self.vjp = parents, vjp
        self.op, self.name = op, name
        self.grad = None


def as_var(value):
    return value if isinstance(value, Var) else Var(value)
'''

TOPO = "checks.check_topo_sort(topo_sort)"
UNB = "checks.check_unbroadcast(unbroadcast)"
BACKWARD = "checks.check_backward(backward)"
MULDIV = "checks.check_mul_div_vjp(mul_vjp, div_vjp)"
EXPLOG = "checks.check_exp_log_vjp(exp_vjp, log_vjp)"
SUMMEAN = "checks.check_sum_mean_vjp(sum_vjp, mean_vjp)"

# the student's earlier answers (exercises 1 and 2), which their backward calls
EARLIER = '''
def topo_sort(root):
    order, seen = [], set()

    def visit(node):
        if id(node) in seen:
            return
        seen.add(id(node))
        for parent in node.parents:
            visit(parent)
        order.append(node)

    visit(root)
    return order


def unbroadcast(grad, shape):
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad

'''

GOOD_MUL = '''
def mul_vjp(g, a, b):
    return g * b, g * a

'''
GOOD_DIV = '''

def div_vjp(g, a, b):
    return g / b, -g * a / b ** 2
'''
GOOD_EXP = '''
def exp_vjp(g, x, out):
    return g * out

'''
GOOD_LOG = '''

def log_vjp(g, x):
    return g / x
'''
GOOD_SUM = '''
def sum_vjp(g, shape, axis, keepdims):
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, shape)

'''
GOOD_MEAN = '''

def mean_vjp(g, shape, axis, keepdims):
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, shape) * (np.size(g) / np.prod(shape))
'''

ANSWERS = [
    # --- exercise 1: topo_sort ------------------------------------------------------------
    Answer("topo_sort", "iterative post-order with an explicit stack", "correct", '''
def topo_sort(root):
    order, done, stack = [], set(), [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif node not in done:
            done.add(node)
            stack.append((node, True))
            stack.extend((p, False) for p in node.parents if p not in done)
    return order
''', TOPO),
    Answer("topo_sort", "Kahn's algorithm on counts of children", "correct", '''
def topo_sort(root):
    nodes, stack = {}, [root]
    while stack:
        n = stack.pop()
        if id(n) not in nodes:
            nodes[id(n)] = n
            stack.extend(n.parents)
    children = {i: 0 for i in nodes}
    for n in nodes.values():
        for p in set(map(id, n.parents)):
            children[p] += 1
    ready, reverse = [root], []
    while ready:
        n = ready.pop()
        reverse.append(n)
        for p in {id(q): q for q in n.parents}.values():
            children[id(p)] -= 1
            if children[id(p)] == 0:
                ready.append(p)
    return reverse[::-1]
''', TOPO),
    Answer("topo_sort", "recursion with a list of visited nodes, returns a tuple", "correct", '''
def topo_sort(root, visited=None, order=None):
    visited = [] if visited is None else visited
    order = [] if order is None else order
    if any(v is root for v in visited):
        return tuple(order)
    visited.append(root)
    for p in root.parents:
        topo_sort(p, visited, order)
    order.append(root)
    return tuple(order)
''', TOPO),
    Answer("topo_sort", "appends before visiting the parents (root first)", "wrong", '''
def topo_sort(root):
    order, seen = [], set()

    def visit(node):
        if id(node) in seen:
            return
        seen.add(id(node))
        order.append(node)
        for p in node.parents:
            visit(p)

    visit(root)
    return order
''', TOPO, names=("root first",)),
    Answer("topo_sort", "no record of visited nodes", "wrong", '''
def topo_sort(root):
    order = []
    for p in root.parents:
        order.extend(topo_sort(p))
    order.append(root)
    return order
''', TOPO, names=("times", "visited")),
    Answer("topo_sort", "breadth-first from the root, then reversed", "wrong", '''
def topo_sort(root):
    seen, queue, order = {id(root)}, [root], []
    while queue:
        node = queue.pop(0)
        order.append(node)
        for p in node.parents:
            if id(p) not in seen:
                seen.add(id(p))
                queue.append(p)
    return order[::-1]
''', TOPO, names=("before its parent",)),
    Answer("topo_sort", "leaves left out (only nodes with parents)", "wrong", '''
def topo_sort(root):
    order, seen = [], set()

    def visit(node):
        if id(node) in seen:
            return
        seen.add(id(node))
        for p in node.parents:
            visit(p)
        if node.parents:
            order.append(node)

    visit(root)
    return order
''', TOPO, names=("leaves",)),
    Answer("topo_sort", "forgets to return the list", "wrong", '''
def topo_sort(root):
    order, seen = [], set()

    def visit(node):
        if id(node) not in seen:
            seen.add(id(node))
            for p in node.parents:
                visit(p)
            order.append(node)

    visit(root)
''', TOPO, names=("forget to return",)),
    Answer("topo_sort", "imports course_lib's topological_order", "delegates", '''
from course_lib.autograd import topological_order


def topo_sort(root):
    return topological_order(root)
''', TOPO, names=("course_lib.autograd", "yourself")),
    Answer("topo_sort", "course_lib's order through a helper of one's own", "delegates", '''
import course_lib.autograd as ag


def parents_first(node):
    return ag.topological_order(node)


def topo_sort(root):
    return parents_first(root)
''', TOPO, names=("course_lib", "yourself")),

    # --- exercise 2: unbroadcast ----------------------------------------------------------
    Answer("unbroadcast", "axes found on the shape padded with ones", "correct", '''
def unbroadcast(grad, shape):
    padded = (1,) * (grad.ndim - len(shape)) + tuple(shape)
    axes = tuple(i for i, n in enumerate(padded) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=axes, keepdims=True).reshape(shape) if axes else grad.reshape(shape)
''', UNB),
    Answer("unbroadcast", "a while loop, then keepdims sums over size-1 axes", "correct", '''
def unbroadcast(grad, shape):
    out = grad
    while out.ndim > len(shape):
        out = out.sum(0)
    for i in range(len(shape)):
        if shape[i] == 1:
            out = np.sum(out, axis=i, keepdims=True)
    return out
''', UNB),
    Answer("unbroadcast", "averages the broadcast copies", "wrong", '''
def unbroadcast(grad, shape):
    while grad.ndim > len(shape):
        grad = grad.mean(axis=0)
    for i, n in enumerate(shape):
        if n == 1:
            grad = grad.mean(axis=i, keepdims=True)
    return grad
''', UNB, names=("averages", "sum")),
    Answer("unbroadcast", "size-1 axes summed away (no keepdims)", "wrong", '''
def unbroadcast(grad, shape):
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for i in reversed(range(len(shape))):
        if shape[i] == 1 and grad.shape[i] != 1:
            grad = grad.sum(axis=i)
    return grad
''', UNB, names=("keepdims",)),
    Answer("unbroadcast", "only the leading axes summed", "wrong", '''
def unbroadcast(grad, shape):
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    return grad
''', UNB, names=("output's shape",)),
    Answer("unbroadcast", "sums the trailing axes instead of the leading ones", "wrong", '''
def unbroadcast(grad, shape):
    while grad.ndim > len(shape):
        grad = grad.sum(axis=-1)
    for i, n in enumerate(shape):
        if n == 1:
            grad = grad.sum(axis=i, keepdims=True)
    return grad
''', UNB, names=("leading axes",)),
    Answer("unbroadcast", "size-1 axes counted from the left of grad (not aligned right)",
           "wrong", '''
def unbroadcast(grad, shape):
    for i, n in enumerate(shape):
        if n == 1:
            grad = grad.sum(axis=i, keepdims=True)
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    return grad
''', UNB, names=("right", "last axes")),
    Answer("unbroadcast", "course_lib's unbroadcast under another name", "delegates", '''
from course_lib import autograd


def unbroadcast(grad, shape):
    return autograd.unbroadcast(grad, shape)
''', UNB, names=("course_lib.autograd", "yourself")),

    # --- exercise 3: backward -------------------------------------------------------------
    Answer("backward", "None means 0; a new array on every addition", "correct", EARLIER + '''
def backward(root):
    root.grad = np.ones_like(root.value)
    for node in reversed(topo_sort(root)):
        if node.vjp is None:
            continue
        for parent, g in zip(node.parents, node.vjp(node.grad)):
            g = unbroadcast(g, parent.value.shape)
            parent.grad = g if parent.grad is None else parent.grad + g
''', BACKWARD),
    Answer("backward", "float 1.0 at the root, a copy the first time then +=", "correct",
           EARLIER + '''
def backward(root):
    root.grad = 1.0
    order = topo_sort(root)
    for i in range(len(order) - 1, -1, -1):
        node = order[i]
        if not node.parents:
            continue
        grads = node.vjp(node.grad)
        for k, parent in enumerate(node.parents):
            g = unbroadcast(np.asarray(grads[k], dtype=np.float64), parent.value.shape)
            if parent.grad is None:
                parent.grad = np.array(g, copy=True)
            else:
                parent.grad += g
''', BACKWARD),
    Answer("backward", "= instead of += at fan-out", "wrong", EARLIER + '''
def backward(root):
    root.grad = np.ones_like(root.value)
    for node in reversed(topo_sort(root)):
        if node.vjp is not None:
            for parent, g in zip(node.parents, node.vjp(node.grad)):
                parent.grad = unbroadcast(g, parent.value.shape)
''', BACKWARD, names=("added", "parent.grad = g")),
    Answer("backward", "nodes in forward (topological) order", "wrong", EARLIER + '''
def backward(root):
    root.grad = np.ones_like(root.value)
    for node in topo_sort(root):
        if node.vjp is not None:
            for parent, g in zip(node.parents, node.vjp(node.grad)):
                g = unbroadcast(g, parent.value.shape)
                parent.grad = g if parent.grad is None else parent.grad + g
''', BACKWARD, names=("reverse",)),
    Answer("backward", "root.grad never set", "wrong", EARLIER + '''
def backward(root):
    for node in reversed(topo_sort(root)):
        if node.vjp is not None:
            for parent, g in zip(node.parents, node.vjp(node.grad)):
                g = unbroadcast(g, parent.value.shape)
                parent.grad = g if parent.grad is None else parent.grad + g
''', BACKWARD, names=("root.grad", "ones")),
    Answer("backward", "gradients not summed back with unbroadcast", "wrong", EARLIER + '''
def backward(root):
    root.grad = np.ones_like(root.value)
    for node in reversed(topo_sort(root)):
        if node.vjp is not None:
            for parent, g in zip(node.parents, node.vjp(node.grad)):
                parent.grad = g if parent.grad is None else parent.grad + g
''', BACKWARD, names=("unbroadcast",)),
    Answer("backward", "stores the vjp's array, then += into it (shared)", "wrong", EARLIER + '''
def backward(root):
    root.grad = np.ones_like(root.value)
    for node in reversed(topo_sort(root)):
        if node.vjp is None:
            continue
        for parent, g in zip(node.parents, node.vjp(node.grad)):
            g = unbroadcast(g, parent.value.shape)
            if parent.grad is None:
                parent.grad = g
            else:
                parent.grad += g
''', BACKWARD, names=("in-place +=", "new array")),
    Answer("backward", "zeroes every gradient first (leaves reset)", "wrong", EARLIER + '''
def backward(root):
    order = topo_sort(root)
    for node in order:
        node.grad = np.zeros_like(node.value)
    root.grad = np.ones_like(root.value)
    for node in reversed(order):
        if node.vjp is not None:
            for parent, g in zip(node.parents, node.vjp(node.grad)):
                parent.grad = parent.grad + unbroadcast(g, parent.value.shape)
''', BACKWARD, names=("accumulate", "reset")),
    Answer("backward", "course_lib's topological order through the student's topo_sort",
           "delegates", '''
import course_lib.autograd


def topo_sort(root):
    return course_lib.autograd.topological_order(root)


def unbroadcast(grad, shape):
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


def backward(root):
    root.grad = np.ones_like(root.value)
    for node in reversed(topo_sort(root)):
        if node.vjp is not None:
            for parent, g in zip(node.parents, node.vjp(node.grad)):
                g = unbroadcast(g, parent.value.shape)
                parent.grad = g if parent.grad is None else parent.grad + g
''', BACKWARD, names=("course_lib", "yourself")),

    # --- exercise 4: mul and div ----------------------------------------------------------
    Answer("mul_div_vjp", "np.multiply / np.divide, a list", "correct", '''
def mul_vjp(g, a, b):
    return [np.multiply(g, b), np.multiply(a, g)]


def div_vjp(g, a, b):
    return [np.divide(g, b), np.negative(g) * a / np.square(b)]
''', MULDIV),
    Answer("mul_div_vjp", "powers of b and the output reused", "correct", '''
def mul_vjp(g, a, b):
    return b * g, a * g


def div_vjp(g, a, b):
    inv = b ** -1.0
    out = a * inv
    return g * inv, -g * out * inv
''', MULDIV),
    Answer("mul_div_vjp", "mul's gradients swapped", "wrong", '''
def mul_vjp(g, a, b):
    return g * a, g * b
''' + GOOD_DIV, MULDIV, names=("own input",)),
    Answer("mul_div_vjp", "div's grad_b without the minus", "wrong", GOOD_MUL + '''
def div_vjp(g, a, b):
    return g / b, g * a / b ** 2
''', MULDIV, names=("sign",)),
    Answer("mul_div_vjp", "div's grad_b with b not squared", "wrong", GOOD_MUL + '''
def div_vjp(g, a, b):
    return g / b, -g * a / b
''', MULDIV, names=("square",)),
    Answer("mul_div_vjp", "div's grad_b without a", "wrong", GOOD_MUL + '''
def div_vjp(g, a, b):
    return g / b, -g / b ** 2
''', MULDIV, names=("leaves out a",)),
    Answer("mul_div_vjp", "mul without the incoming g", "wrong", '''
def mul_vjp(g, a, b):
    return b, a
''' + GOOD_DIV, MULDIV, names=("leaves out g",)),
    Answer("mul_div_vjp", "div's grad_a as g * a / b (the output)", "wrong", GOOD_MUL + '''
def div_vjp(g, a, b):
    return g * a / b, -g * a / b ** 2
''', MULDIV, names=("1/b",)),
    Answer("mul_div_vjp", "course_lib's Tensor does the work", "delegates", '''
from course_lib.autograd import Tensor


def mul_vjp(g, a, b):
    ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    (ta * tb * g).sum().backward()
    return ta.grad, tb.grad


def div_vjp(g, a, b):
    ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    (ta / tb * g).sum().backward()
    return ta.grad, tb.grad
''', MULDIV, names=("course_lib.autograd", "yourself")),

    # --- exercise 5: exp and log ----------------------------------------------------------
    Answer("exp_log_vjp", "exp recomputed, log by a negative power", "correct", '''
def exp_vjp(g, x, out):
    return g * np.exp(x)


def log_vjp(g, x):
    return g * x ** -1
''', EXPLOG),
    Answer("exp_log_vjp", "np.multiply / np.reciprocal", "correct", '''
def exp_vjp(g, x, out):
    return np.multiply(out, g)


def log_vjp(g, x):
    return np.reciprocal(x) * g
''', EXPLOG),
    Answer("exp_log_vjp", "exp's vjp times x", "wrong", '''
def exp_vjp(g, x, out):
    return g * x
''' + GOOD_LOG, EXPLOG, names=("multiplies g by x",)),
    Answer("exp_log_vjp", "log's vjp as g * log(x)", "wrong", GOOD_EXP + '''
def log_vjp(g, x):
    return g * np.log(x)
''', EXPLOG, names=("log(x)",)),
    Answer("exp_log_vjp", "log's vjp with a minus", "wrong", GOOD_EXP + '''
def log_vjp(g, x):
    return -g / x
''', EXPLOG, names=("minus",)),
    Answer("exp_log_vjp", "log's vjp as for log(1 + x)", "wrong", GOOD_EXP + '''
def log_vjp(g, x):
    return g / (1 + x)
''', EXPLOG, names=("1/x", "1 + x")),
    Answer("exp_log_vjp", "exp's vjp multiplies g in place", "wrong", '''
def exp_vjp(g, x, out):
    g *= out
    return g
''' + GOOD_LOG, EXPLOG, names=("in place", "`g`")),
    Answer("exp_log_vjp", "exp of out again", "wrong", '''
def exp_vjp(g, x, out):
    return g * np.exp(out)
''' + GOOD_LOG, EXPLOG, names=("exp of out again",)),
    Answer("exp_log_vjp", "course_lib's Tensor.exp/log backward", "delegates", '''
import course_lib.autograd as ag


def exp_vjp(g, x, out):
    t = ag.Tensor(x, requires_grad=True)
    (t.exp() * g).sum().backward()
    return t.grad


def log_vjp(g, x):
    t = ag.Tensor(x, requires_grad=True)
    (t.log() * g).sum().backward()
    return t.grad
''', EXPLOG, names=("course_lib.autograd", "yourself")),

    # --- exercise 6: sum and mean ---------------------------------------------------------
    Answer("sum_mean_vjp", "ones times g reshaped; count from the sizes", "correct", '''
def _kept(g, shape, axis, keepdims):
    if axis is None:
        return np.reshape(g, (1,) * len(shape))
    if keepdims:
        return g
    axes = (axis,) if np.isscalar(axis) else tuple(axis)
    return np.expand_dims(g, tuple(a % len(shape) for a in axes))


def sum_vjp(g, shape, axis, keepdims):
    return np.ones(shape) * _kept(g, shape, axis, keepdims)


def mean_vjp(g, shape, axis, keepdims):
    n = int(np.prod(shape)) // int(np.size(g))
    return sum_vjp(g, shape, axis, keepdims) / n
''', SUMMEAN),
    Answer("sum_mean_vjp", "mean from sum_vjp and the reduced axes' sizes", "correct", '''
def sum_vjp(g, shape, axis, keepdims):
    g = np.asarray(g)
    if not keepdims and axis is not None:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, shape).copy()


def mean_vjp(g, shape, axis, keepdims):
    if axis is None:
        count = np.prod(shape)
    else:
        axes = axis if isinstance(axis, tuple) else (axis,)
        count = np.prod([shape[a] for a in axes])
    return sum_vjp(g, shape, axis, keepdims) / count
''', SUMMEAN),
    Answer("sum_mean_vjp", "mean without its 1/N", "wrong", GOOD_SUM + '''
def mean_vjp(g, shape, axis, keepdims):
    return sum_vjp(g, shape, axis, keepdims)
''', SUMMEAN, names=("1/N",)),
    Answer("sum_mean_vjp", "broadcast without putting the axis back", "wrong", '''
def sum_vjp(g, shape, axis, keepdims):
    return np.broadcast_to(g, shape)

''' + GOOD_MEAN, SUMMEAN, names=("wrong axis",)),
    Answer("sum_mean_vjp", "mean divided by the whole input's size", "wrong", GOOD_SUM + '''
def mean_vjp(g, shape, axis, keepdims):
    return sum_vjp(g, shape, axis, keepdims) / np.prod(shape)
''', SUMMEAN, names=("whole input",)),
    Answer("sum_mean_vjp", "axis=None not handled (expand_dims(g, None))", "wrong", '''
def sum_vjp(g, shape, axis, keepdims):
    if not keepdims:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, shape)

''' + GOOD_MEAN, SUMMEAN, names=("every axis", "broadcast")),
    Answer("sum_mean_vjp", "keepdims ignored (axis put back twice)", "wrong", '''
def sum_vjp(g, shape, axis, keepdims):
    if axis is not None:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, shape)

''' + GOOD_MEAN, SUMMEAN, names=("already has", "without np.expand_dims")),
    Answer("sum_mean_vjp", "returns g in its own shape", "wrong", '''
def sum_vjp(g, shape, axis, keepdims):
    return np.asarray(g) * 1.0

''' + GOOD_MEAN, SUMMEAN, names=("input's shape",)),
    Answer("sum_mean_vjp", "course_lib's Tensor.sum / mean", "delegates", '''
from course_lib.autograd import Tensor


def sum_vjp(g, shape, axis, keepdims):
    t = Tensor(np.zeros(shape), requires_grad=True)
    (t.sum(axis=axis, keepdims=keepdims) * g).sum().backward()
    return t.grad


def mean_vjp(g, shape, axis, keepdims):
    t = Tensor(np.zeros(shape), requires_grad=True)
    (t.mean(axis=axis, keepdims=keepdims) * g).sum().backward()
    return t.grad
''', SUMMEAN, names=("course_lib.autograd", "yourself")),
]
