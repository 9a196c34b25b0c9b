"""Reverse-mode automatic differentiation on NumPy arrays: a ``Tensor`` that records its graph.

Every operation on a :class:`Tensor` computes its value with NumPy and, when
one of its inputs requires a gradient, records a node: the inputs (its
*parents*) and a small function, its *local backward*, that turns the gradient
of the output into the gradients of the inputs (a vector-Jacobian product).
``loss.backward()`` then visits the graph in reverse topological order, so that
each node's gradient is complete before it is passed on, and

* **adds** the gradients that reach a tensor through several paths (fan-out);
* sums a gradient back to its input's shape where NumPy broadcast the input
  (:func:`unbroadcast`);
* stores the result in ``.grad`` of the *leaves* that ``requires_grad`` (the
  parameters and inputs one built oneself), adding it to what is there already,
  as PyTorch does: set ``.grad = None`` before the next step.

Where lesson 01's layers hold the maths of an op (MatMul, BiasAdd, Sigmoid, Tanh,
ReLU, the fused softmax-cross-entropy), the Tensor op *is* that layer: its node
runs the layer's ``forward`` and its local backward is the layer's ``backward``
(:func:`_layer_node`). The other ops are a few lines each, in the style of
micrograd, but on arrays and with broadcasting.

>>> x = Tensor([[1.0, 2.0]], requires_grad=True)
>>> W = Tensor([[1.0], [-1.0]], requires_grad=True)
>>> loss = (x @ W).tanh().sum()
>>> loss.backward()
>>> x.grad.shape, W.grad.shape
((1, 2), (2, 1))
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from .layers import BiasAdd, Layer, MatMul, ReLU, Sigmoid, Tanh
from .losses import SoftmaxCrossEntropyLoss
from .validation import check_bool, describe, values_checked

__all__ = ["Tensor", "no_grad", "is_grad_enabled", "topological_order", "unbroadcast",
           "softmax_cross_entropy", "concatenate", "stack"]

# A local backward: the output's gradient -> one gradient per parent (None where not needed).
Backward = Callable[[np.ndarray], Sequence["np.ndarray | None"]]

_GRAD_ENABLED = True


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Within this block, operations compute values only and record no graph.

    For evaluation and for parameter updates (``p.data -= lr * p.grad`` needs no graph).
    """
    global _GRAD_ENABLED
    previous, _GRAD_ENABLED = _GRAD_ENABLED, False
    try:
        yield
    finally:
        _GRAD_ENABLED = previous


def is_grad_enabled() -> bool:
    """False inside :func:`no_grad`."""
    return _GRAD_ENABLED


# --------------------------------------------------------------------------------------
# Turning inputs into arrays, with the course's messages
# --------------------------------------------------------------------------------------
def _as_array(data: object, where: str, dtype: np.dtype | None = None) -> np.ndarray:
    """``data`` as a float ndarray (ints and bools become float64); TypeError for the rest."""
    if isinstance(data, Tensor):
        raise TypeError(f"{where}: data is already a Tensor; use it as it is, or "
                        f"t.detach() for a copy outside the graph.")
    if isinstance(data, (np.matrix, np.ma.MaskedArray)):
        raise TypeError(f"{where}: data is a {type(data).__name__}; pass a plain ndarray "
                        f"(np.asarray(data)).")
    try:
        array = np.asarray(data)
    except ValueError as err:  # ragged nested lists
        raise ValueError(f"{where}: data must be a number or a rectangular array, got "
                         f"{describe(data)} ({err}).") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{where}: data must hold real numbers (int or float), got "
                        f"{describe(data)} with dtype {array.dtype}. Convert it first, "
                        f"e.g. np.asarray(data, dtype=np.float64).")
    if dtype is not None:
        return array.astype(dtype, copy=False)
    if array.dtype.kind != "f" or array.dtype not in (np.float32, np.float64):
        array = array.astype(np.float64)
    if np.isnan(array).any():
        raise ValueError(f"{where}: data contains {int(np.isnan(array).sum())} NaN values "
                         f"(shape {array.shape}); check where they came from.")
    return array


def _as_tensor(value: object, like: "Tensor", where: str) -> "Tensor":
    """A Tensor as it is; a number or array as a constant (a Python number takes like's dtype)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Tensor(_as_array(value, where, dtype=like.dtype))
    return Tensor(_as_array(value, where))


@contextlib.contextmanager
def _numerics(where: str) -> Iterator[None]:
    """Turn NumPy's overflow, division by 0 and invalid-value warnings into a clear error."""
    try:
        with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            yield
    except FloatingPointError as err:
        raise ValueError(f"{where}: {err} (a result would be inf or NaN). Check the inputs' "
                         f"range; for softmax and its log use .softmax(), .log_softmax() or "
                         f"softmax_cross_entropy, which shift by the maximum.") from None


def _broadcast_shape(a: "Tensor", b: "Tensor", op: str) -> tuple[int, ...]:
    try:
        return np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"Tensor {op}: shapes {a.shape} and {b.shape} do not broadcast. NumPy "
                         f"lines shapes up from the right and each pair of sizes must be equal "
                         f"or 1 (e.g. (N, k) with (k,) or (N, 1)).") from None


# --------------------------------------------------------------------------------------
# Sums that undo broadcasting; the order of the graph
# --------------------------------------------------------------------------------------
def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` down to ``shape``: the gradient of an input that NumPy broadcast.

    A broadcast input is used once per copy, so its gradient is the *sum* of the
    copies' gradients: over the leading axes NumPy added, and (keeping them) over
    the axes where the input had size 1.

    Parameters
    ----------
    grad : ndarray, the shape of the op's output
    shape : tuple of int, the input's shape (broadcastable to ``grad.shape``)

    Returns
    -------
    ndarray of shape ``shape``
    """
    shape = tuple(shape)
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra < 0:
        raise ValueError(f"unbroadcast: a gradient of shape {grad.shape} cannot come from an "
                         f"input of shape {shape}, which has more axes.")
    summed = grad.sum(axis=tuple(range(extra))) if extra else grad
    ones = tuple(i for i, n in enumerate(shape) if n == 1 and summed.shape[i] != 1)
    if ones:
        summed = summed.sum(axis=ones, keepdims=True)
    if summed.shape != shape:
        raise ValueError(f"unbroadcast: a gradient of shape {grad.shape} does not come from "
                         f"broadcasting shape {shape}.")
    return summed


def topological_order(root: "Tensor") -> list["Tensor"]:
    """Every tensor ``root`` depends on, each after all of its parents; ``root`` last.

    A depth-first search that appends a node once all its parents are in the list.
    It uses an explicit stack rather than recursion, so that the graph of a long
    sequence (thousands of nodes deep) does not reach Python's recursion limit.
    """
    order: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        stack.extend((parent, False) for parent in reversed(node._parents)
                     if id(parent) not in visited)
    return order


# --------------------------------------------------------------------------------------
# The Tensor
# --------------------------------------------------------------------------------------
class Tensor:
    """An ndarray that remembers how it was computed, so that ``backward`` can differentiate.

    Parameters
    ----------
    data : array-like of real numbers
        Kept as float32 or float64 (float64 for ints, bools and other floats).
    requires_grad : bool, default False
        Whether ``backward`` should compute this tensor's gradient (True for parameters).
    name : str, optional
        A label for pictures of the graph.

    Attributes
    ----------
    data : ndarray
        The value.
    grad : ndarray or None
        dLoss/d(this tensor), the shape of ``data``; None until a backward reaches it.
        Backward *adds* to it: reset it with ``t.grad = None``.
    requires_grad : bool
    is_leaf : bool
        True for a tensor one created (not the result of an op).
    """

    # NumPy defers to the Tensor in `ndarray + Tensor`, so the result is a Tensor.
    __array_ufunc__ = None

    def __init__(self, data: object, requires_grad: bool = False, *, name: str = "") -> None:
        self.data = _as_array(data, "Tensor")
        self.requires_grad = check_bool(requires_grad, "requires_grad", where="Tensor")
        self.grad: np.ndarray | None = None
        self.name = name
        self._parents: tuple[Tensor, ...] = ()
        self._backward: Backward | None = None
        self._op = ""
        self._retains_grad = False

    # -- description ---------------------------------------------------------------
    shape = property(lambda self: self.data.shape, doc="The shape of data.")
    ndim = property(lambda self: self.data.ndim, doc="The number of axes of data.")
    size = property(lambda self: self.data.size, doc="The number of entries of data.")
    dtype = property(lambda self: self.data.dtype, doc="float32 or float64.")

    @property
    def is_leaf(self) -> bool:
        return self._backward is None

    def item(self) -> float:
        """The value of a one-element tensor as a Python float."""
        if self.size != 1:
            raise ValueError(f"Tensor.item: only a one-element tensor is one number; this one "
                             f"has shape {self.shape}.")
        return float(self.data.reshape(()))

    def detach(self) -> "Tensor":
        """A new leaf with a copy of the value, outside the graph (no gradient flows back)."""
        return Tensor(self.data.copy())

    def retain_grad(self) -> "Tensor":
        """Keep this interior tensor's gradient in ``.grad`` after backward (leaves always do)."""
        self._retains_grad = True
        return self

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        grad = ", requires_grad=True" if self.requires_grad else ""
        op = f", op={self._op!r}" if self._op else ""
        body = np.array2string(self.data, precision=4, separator=", ", prefix="Tensor(")
        return f"Tensor({body}{grad}{op})"

    # -- building the graph ----------------------------------------------------------
    @staticmethod
    def _node(data: np.ndarray, parents: tuple["Tensor", ...], backward: Backward,
              op: str) -> "Tensor":
        """The result of an op: a node of the graph if a parent requires a gradient."""
        out = Tensor.__new__(Tensor)
        # np.asarray: a reduction to one number gives a NumPy scalar; keep an ndarray.
        out.data, out.grad, out.name, out._retains_grad = np.asarray(data), None, "", False
        out.requires_grad = _GRAD_ENABLED and any(p.requires_grad for p in parents)
        out._op = op
        if out.requires_grad:
            out._parents, out._backward = parents, backward
        else:  # nothing to differentiate: keep no graph (so memory is freed)
            out._parents, out._backward = (), None
        return out

    # -- backward --------------------------------------------------------------------
    def backward(self, grad: object = None) -> None:
        """Compute dself/dleaf for every leaf that requires a gradient, adding it to ``.grad``.

        Parameters
        ----------
        grad : array-like, optional
            dLoss/dself when self is not the loss itself (same shape as self); by
            default 1, which needs self to hold one number.
        """
        where = "Tensor.backward"
        if not self.requires_grad:
            raise RuntimeError(f"{where}: this tensor does not require a gradient: no tensor it "
                               f"was computed from has requires_grad=True (or it was computed "
                               f"inside no_grad()).")
        if grad is None:
            if self.size != 1:
                raise ValueError(f"{where}: backward() needs a single number (a loss), got a "
                                 f"tensor of shape {self.shape}. Reduce it first (.sum() or "
                                 f".mean()), or pass dLoss/dself: t.backward(grad) with grad of "
                                 f"shape {self.shape}.")
            seed = np.ones_like(self.data)
        else:
            seed = _as_array(grad.data if isinstance(grad, Tensor) else grad, where,
                             dtype=self.dtype)
            if seed.shape != self.shape:
                raise ValueError(f"{where}: grad must have the shape of the tensor, "
                                 f"{self.shape}, got {seed.shape}.")
        grads: dict[int, np.ndarray] = {id(self): seed}
        with _numerics(where):
            for node in reversed(topological_order(self)):
                g = grads.pop(id(node), None)
                if g is None:  # no path from this node to self
                    continue
                if node.is_leaf or node._retains_grad:
                    # A fresh array: g may be shared with another node's gradient.
                    node.grad = g.copy() if node.grad is None else node.grad + g
                if node.is_leaf:
                    continue
                for parent, parent_grad in zip(node._parents, node._backward(g)):
                    if parent_grad is None or not parent.requires_grad:
                        continue
                    parent_grad = unbroadcast(np.asarray(parent_grad), parent.shape)
                    key = id(parent)
                    # Fan-out: a tensor used twice gets the sum of both gradients.
                    grads[key] = grads[key] + parent_grad if key in grads else parent_grad

    # -- elementwise arithmetic, with broadcasting ---------------------------------------
    def __add__(self, other: object) -> "Tensor":
        a, b = self, _as_tensor(other, self, "Tensor +")
        if a.ndim == 1 and b.ndim == 2:
            a, b = b, a
        if a.ndim == 2 and b.ndim == 1 and a.shape[1] == b.shape[0] and a.dtype == b.dtype:
            # x (N, k) + b (k,): lesson 01's BiasAdd, whose backward sums over the batch.
            return _layer_node(BiasAdd(b.data), a, "+", b=b)
        _broadcast_shape(a, b, "+")
        return Tensor._node(a.data + b.data, (a, b), lambda g: (g, g), "+")

    def __mul__(self, other: object) -> "Tensor":
        a, b = self, _as_tensor(other, self, "Tensor *")
        _broadcast_shape(a, b, "*")

        def backward(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return g * b.data, g * a.data

        return Tensor._node(a.data * b.data, (a, b), backward, "*")

    def __truediv__(self, other: object) -> "Tensor":
        a, b = self, _as_tensor(other, self, "Tensor /")
        _broadcast_shape(a, b, "/")
        with _numerics("Tensor /"):
            out = a.data / b.data

        def backward(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return g / b.data, -g * a.data / (b.data * b.data)

        return Tensor._node(out, (a, b), backward, "/")

    def __neg__(self) -> "Tensor":
        return Tensor._node(-self.data, (self,), lambda g: (-g,), "neg")

    def __sub__(self, other: object) -> "Tensor":
        a, b = self, _as_tensor(other, self, "Tensor -")
        _broadcast_shape(a, b, "-")
        return Tensor._node(a.data - b.data, (a, b), lambda g: (g, -g), "-")

    def __radd__(self, other: object) -> "Tensor":
        return _as_tensor(other, self, "Tensor +") + self

    def __rsub__(self, other: object) -> "Tensor":
        return _as_tensor(other, self, "Tensor -") - self

    def __rmul__(self, other: object) -> "Tensor":
        return _as_tensor(other, self, "Tensor *") * self

    def __rtruediv__(self, other: object) -> "Tensor":
        return _as_tensor(other, self, "Tensor /") / self

    def __pow__(self, exponent: object) -> "Tensor":
        if isinstance(exponent, Tensor) or not (isinstance(exponent, (int, float, np.integer,
                                                                      np.floating))
                                                 and not isinstance(exponent, bool)):
            raise TypeError(f"Tensor **: the exponent must be a number, got "
                            f"{describe(exponent)}; for x**y with a tensor y use "
                            f"(y * x.log()).exp().")
        p = float(exponent)
        with _numerics(f"Tensor ** {exponent}"):
            out = self.data ** p

        def backward(g: np.ndarray) -> tuple[np.ndarray]:
            return (g * p * self.data ** (p - 1),)

        return Tensor._node(out, (self,), backward, f"**{exponent:g}")

    # -- matrix product ---------------------------------------------------------------
    def __matmul__(self, other: object) -> "Tensor":
        return _matmul(self, _as_tensor(other, self, "Tensor @"))

    def __rmatmul__(self, other: object) -> "Tensor":
        return _matmul(_as_tensor(other, self, "Tensor @"), self)

    # -- elementwise functions ----------------------------------------------------------
    def exp(self) -> "Tensor":
        with _numerics("Tensor.exp"):
            out = np.exp(self.data)
        return Tensor._node(out, (self,), lambda g: (g * out,), "exp")

    def log(self) -> "Tensor":
        if (self.data <= 0).any():
            raise ValueError(f"Tensor.log: the input has {int((self.data <= 0).sum())} values "
                             f"<= 0 (smallest {self.data.min():.3g}), where log is -inf or NaN. "
                             f"For the log of a softmax use .log_softmax() or "
                             f"softmax_cross_entropy, which never take log(0).")
        x = self.data
        return Tensor._node(np.log(x), (self,), lambda g: (g / x,), "log")

    def sqrt(self) -> "Tensor":
        if (self.data < 0).any():
            raise ValueError(f"Tensor.sqrt: the input has {int((self.data < 0).sum())} negative "
                             f"values (smallest {self.data.min():.3g}); add a small eps first, "
                             f"as in (var + eps).sqrt().")
        out = np.sqrt(self.data)
        return Tensor._node(out, (self,), lambda g: (g / (2 * out),), "sqrt")

    def tanh(self) -> "Tensor":
        return _layer_node(Tanh(), self, "tanh")

    def sigmoid(self) -> "Tensor":
        return _layer_node(Sigmoid(), self, "sigmoid")

    def relu(self) -> "Tensor":
        return _layer_node(ReLU(), self, "relu")

    # -- reductions ---------------------------------------------------------------------
    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> "Tensor":
        axes = _axes(axis, self.ndim, "Tensor.sum")
        shape = self.shape

        def backward(g: np.ndarray) -> tuple[np.ndarray]:
            # Each input entry adds once to its sum: its gradient is the sum's gradient.
            return (np.broadcast_to(_keep_axes(g, axes, keepdims), shape),)

        return Tensor._node(self.data.sum(axis=axes, keepdims=keepdims), (self,), backward,
                            "sum")

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> "Tensor":
        axes = _axes(axis, self.ndim, "Tensor.mean")
        count = int(np.prod([self.shape[i] for i in axes]))
        shape = self.shape

        def backward(g: np.ndarray) -> tuple[np.ndarray]:
            # As sum, and each entry counts 1/count in the mean.
            return (np.broadcast_to(_keep_axes(g, axes, keepdims) / count, shape),)

        return Tensor._node(self.data.mean(axis=axes, keepdims=keepdims), (self,), backward,
                            "mean")

    def var(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> "Tensor":
        """The (biased, 1/N) variance, as LayerNorm and BatchNorm use it."""
        centred = self - self.mean(axis=axis, keepdims=True)
        return (centred * centred).mean(axis=axis, keepdims=keepdims)

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> "Tensor":
        """The maximum; its gradient goes to the maximal entries (shared equally on ties)."""
        axes = _axes(axis, self.ndim, "Tensor.max")
        if self.size == 0:
            raise ValueError("Tensor.max: the tensor is empty; there is no maximum.")
        top = self.data.max(axis=axes, keepdims=True)

        def backward(g: np.ndarray) -> tuple[np.ndarray]:
            winners = self.data == top
            share = winners / winners.sum(axis=axes, keepdims=True)
            return (share * _keep_axes(g, axes, keepdims),)

        out = top if keepdims else top.reshape([n for i, n in enumerate(self.shape)
                                                if i not in axes])
        return Tensor._node(out, (self,), backward, "max")

    # -- softmax along an axis ------------------------------------------------------------
    def softmax(self, axis: int = -1) -> "Tensor":
        """exp(x) / sum(exp(x)) along ``axis``, shifted by the maximum: exp never overflows."""
        axis = _axes(axis, self.ndim, "Tensor.softmax")
        e = np.exp(self.data - self.data.max(axis=axis, keepdims=True))
        y = e / e.sum(axis=axis, keepdims=True)

        def backward(g: np.ndarray) -> tuple[np.ndarray]:
            # The Jacobian diag(y) - y y^T, applied without building it (as lesson 01's Softmax).
            return (y * (g - (g * y).sum(axis=axis, keepdims=True)),)

        return Tensor._node(y, (self,), backward, "softmax")

    def log_softmax(self, axis: int = -1) -> "Tensor":
        """x - max - log(sum(exp(x - max))) along ``axis``: finite for logits of +-1000."""
        axis = _axes(axis, self.ndim, "Tensor.log_softmax")
        shifted = self.data - self.data.max(axis=axis, keepdims=True)
        out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))

        def backward(g: np.ndarray) -> tuple[np.ndarray]:
            return (g - np.exp(out) * g.sum(axis=axis, keepdims=True),)

        return Tensor._node(out, (self,), backward, "log_softmax")

    # -- shapes -------------------------------------------------------------------------
    def reshape(self, *shape: int | tuple[int, ...]) -> "Tensor":
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        try:
            out = self.data.reshape(shape)
        except (ValueError, TypeError) as err:
            raise ValueError(f"Tensor.reshape: cannot reshape shape {self.shape} "
                             f"({self.size} entries) into {shape}: {err}.") from None
        old = self.shape
        return Tensor._node(out, (self,), lambda g: (g.reshape(old),), "reshape")

    def transpose(self, *axes: int | tuple[int, ...]) -> "Tensor":
        """Permute the axes (all reversed when none are given), as ndarray.transpose."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        axes = tuple(axes) if axes else tuple(reversed(range(self.ndim)))
        if sorted(int(a) % max(self.ndim, 1) for a in axes) != list(range(self.ndim)):
            raise ValueError(f"Tensor.transpose: axes {axes} are not a permutation of the "
                             f"{self.ndim} axes of a tensor of shape {self.shape}.")
        axes = tuple(int(a) % self.ndim for a in axes)
        inverse = tuple(np.argsort(axes))
        return Tensor._node(self.data.transpose(axes), (self,),
                            lambda g: (g.transpose(inverse),), "transpose")

    @property
    def T(self) -> "Tensor":  # noqa: N802 - as ndarray.T
        """The tensor with its axes reversed."""
        return self.transpose()

    def __getitem__(self, index: object) -> "Tensor":
        """Basic slices and integer-array (fancy) indexing, as NumPy does them.

        The backward adds each output gradient at the place it was read from; with
        ``np.add.at`` an entry read twice (an embedding row used by two tokens) gets both.
        """
        if isinstance(index, Tensor):
            index = index.data
        if isinstance(index, tuple):
            index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
        try:
            out = self.data[index]
        except (IndexError, TypeError) as err:
            raise IndexError(f"Tensor[...]: the index {describe(index)} does not fit a tensor "
                             f"of shape {self.shape}: {err}.") from None

        def backward(g: np.ndarray) -> tuple[np.ndarray]:
            grad = np.zeros_like(self.data)
            np.add.at(grad, index, g)
            return (grad,)

        return Tensor._node(out, (self,), backward, "index")


# --------------------------------------------------------------------------------------
# Ops that are lesson 01's layers
# --------------------------------------------------------------------------------------
def _layer_node(layer: Layer, x: Tensor, op: str, **params: Tensor) -> Tensor:
    """Run lesson 01's ``layer`` on ``x`` as one node; its local backward is ``layer.backward``.

    ``params`` are the tensors whose arrays the layer was built with (W of a MatMul, b
    of a BiasAdd): their gradients are what the layer's backward puts in ``layer.grads``.
    """
    with values_checked():  # the tensors' values were checked where they entered
        y = layer.forward(x.data)

    def backward(g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        with values_checked():
            if isinstance(layer, MatMul):
                dx = layer.backward(g, input_grad=x.requires_grad)
            else:
                dx = layer.backward(g)
        return (dx, *(layer.grads[name] for name in params))

    return Tensor._node(y, (x, *params.values()), backward, op)


def _matmul(a: Tensor, b: Tensor) -> Tensor:
    """``a @ b`` with NumPy's rules: 2-D, batched N-d (batch axes broadcast), 1-D vectors."""
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"Tensor @: both operands need at least one axis, got shapes {a.shape} "
                         f"and {b.shape}; multiply by a number with *.")
    inner_a = a.shape[-1]
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if inner_a != inner_b:
        raise ValueError(f"Tensor @: shapes {a.shape} and {b.shape} do not fit: the last axis "
                         f"of the left ({inner_a}) must equal the "
                         f"{'only' if b.ndim == 1 else 'second-to-last'} axis of the right "
                         f"({inner_b}).")
    if a.ndim == 2 and b.ndim == 2 and a.dtype == b.dtype and a.shape[0] > 0:
        # x (N, d) @ W (d, k): lesson 01's MatMul, dx = g W^T and dW = x^T g.
        return _layer_node(MatMul(b.data), a, "@", W=b)
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ValueError(f"Tensor @: the batch axes of shapes {a.shape} and {b.shape} "
                         f"({a.shape[:-2]} and {b.shape[:-2]}) do not broadcast.") from None
    # A vector is a matrix with one row (on the left) or one column (on the right).
    A = a.data[None, :] if a.ndim == 1 else a.data
    B = b.data[:, None] if b.ndim == 1 else b.data

    def backward(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # Put back the axes NumPy dropped: the right vector's column, then the left's row.
        if b.ndim == 1:
            g = g[..., None]
        if a.ndim == 1:
            g = g[..., None, :]
        # The 2-D rule on the last two axes; the engine sums over broadcast batch axes.
        grad_a = g @ np.swapaxes(B, -1, -2)
        grad_b = np.swapaxes(A, -1, -2) @ g
        if a.ndim == 1:
            grad_a = grad_a[..., 0, :]
        if b.ndim == 1:
            grad_b = grad_b[..., 0]
        return grad_a, grad_b

    return Tensor._node(a.data @ b.data, (a, b), backward, "@")


def softmax_cross_entropy(logits: Tensor, labels: np.ndarray) -> Tensor:
    """The mean cross-entropy of softmax(logits) against integer labels, as one node.

    Lesson 01's :class:`~course_lib.losses.SoftmaxCrossEntropyLoss` computes the value
    and the local backward ``(softmax(z) - onehot) / N``; it stays finite for logits of
    +-1000. Logits (..., K) with labels (...) are flattened to (M, K) and (M,): the mean
    is over all M positions (a sequence model's tokens).

    Parameters
    ----------
    logits : Tensor, shape (N, K) or (..., K)
    labels : ndarray of int, shape (N,) or (...), values in [0, K)

    Returns
    -------
    Tensor of shape () (one number)
    """
    where = "softmax_cross_entropy"
    if not isinstance(logits, Tensor):
        raise TypeError(f"{where}: logits must be a Tensor, got {describe(logits)}; wrap an "
                        f"array with Tensor(x).")
    if isinstance(labels, Tensor):
        labels = labels.data
    labels = np.asarray(labels)
    if logits.ndim < 2:
        raise ValueError(f"{where}: logits must be (N, K), one row of scores per sample, got "
                         f"shape {logits.shape}.")
    if logits.ndim > 2:
        if labels.shape != logits.shape[:-1]:
            raise ValueError(f"{where}: labels must have shape {logits.shape[:-1]} (the logits' "
                             f"shape without the class axis), got {labels.shape}.")
        logits, labels = logits.reshape(-1, logits.shape[-1]), labels.reshape(-1)
    loss = SoftmaxCrossEntropyLoss()
    value = loss.forward(logits.data, labels)
    return Tensor._node(np.asarray(value, dtype=logits.dtype), (logits,),
                        lambda g: (g * loss.backward(),), "softmax_ce")


# --------------------------------------------------------------------------------------
# Joining tensors
# --------------------------------------------------------------------------------------
def _as_tensors(tensors: object, where: str) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)) or not tensors:
        raise TypeError(f"{where}: pass a non-empty list of tensors, got {describe(tensors)}.")
    first = next((t for t in tensors if isinstance(t, Tensor)), None)
    if first is None:
        return [Tensor(t) for t in tensors]
    return [_as_tensor(t, first, where) for t in tensors]


def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis; each gets back its own slice of the gradient."""
    parts = _as_tensors(tensors, "concatenate")
    try:
        out = np.concatenate([t.data for t in parts], axis=axis)
    except (ValueError, np.exceptions.AxisError) as err:
        raise ValueError(f"concatenate: shapes {[t.shape for t in parts]} cannot be joined "
                         f"along axis {axis}: {err}.") from None
    ends = np.cumsum([t.shape[axis] for t in parts])[:-1]
    return Tensor._node(out, tuple(parts), lambda g: np.split(g, ends, axis=axis), "concat")


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Stack tensors of one shape along a new axis; each gets back its own slice."""
    parts = _as_tensors(tensors, "stack")
    try:
        out = np.stack([t.data for t in parts], axis=axis)
    except (ValueError, np.exceptions.AxisError) as err:
        raise ValueError(f"stack: shapes {[t.shape for t in parts]} cannot be stacked along "
                         f"axis {axis}: {err}.") from None
    new_axis = axis % out.ndim
    return Tensor._node(out, tuple(parts),
                        lambda g: [np.take(g, i, axis=new_axis) for i in range(len(parts))],
                        "stack")


# --------------------------------------------------------------------------------------
# Axis helpers for the reductions
# --------------------------------------------------------------------------------------
def _axes(axis: object, ndim: int, where: str) -> tuple[int, ...]:
    """``axis`` (None, an int or a tuple of ints) as a tuple of non-negative axes; None: all."""
    if axis is None:
        return tuple(range(ndim))
    single = isinstance(axis, (int, np.integer)) and not isinstance(axis, bool)
    items = (axis,) if single else axis
    if not isinstance(items, (tuple, list)) or not all(
            isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in items):
        raise TypeError(f"{where}: axis must be None, an int or a tuple of ints, got "
                        f"{describe(axis)}.")
    if any(not -ndim <= a < ndim for a in items) or (ndim == 0 and items):
        raise ValueError(f"{where}: axis {axis} is out of range for a tensor with {ndim} "
                         f"axes.")
    return tuple(int(a) % ndim for a in items)


def _keep_axes(g: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """A reduction's output gradient with the reduced axes put back (size 1), to broadcast."""
    return g if keepdims else np.expand_dims(g, axes)
