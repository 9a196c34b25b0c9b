"""The core ops: the Layer protocol, MatMul, BiasAdd, Dense, the activations, Softmax, Flatten.

See :mod:`course_lib.layers` for the protocol every layer follows.
"""

from __future__ import annotations

import numpy as np

from ..initializers import as_generator, initialize
from ..validation import check_float_array, check_float_dtype, check_int, check_same_shape


class Layer:
    """Base class: parameter bookkeeping and the checks every layer shares.

    ``training`` (default True) is the layer's mode: :class:`Dropout` and
    :class:`BatchNorm` behave differently in training and in evaluation;
    ``Sequential.train()`` / ``Sequential.eval()`` set it on every layer.
    """

    #: the mode: True while training, False when evaluating (a class default, so that
    #: a subclass that does not call ``Layer.__init__`` has it too)
    training: bool = True

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self._out_shape: tuple[int, ...] | None = None

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def forward(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, grad_out: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def name(self) -> str:
        """The class name, or the name given with ``self.name = ...``."""
        return getattr(self, "_name", None) or type(self).__name__

    @name.setter
    def name(self, value: str) -> None:  # a subclass may name its instances (self.name = ...)
        self._name = str(value)

    def num_params(self) -> int:
        """Number of trainable scalars."""
        return int(sum(p.size for p in self.params.values()))

    def astype(self, dtype: type) -> "Layer":
        """Convert the parameters to ``dtype`` (float32 or float64), in place; returns self."""
        dtype = check_float_dtype(dtype, where=f"{self.name}.astype")
        for key, value in self.params.items():
            self.params[key] = value.astype(dtype)
        self.grads = {}
        return self

    # -- shared checks -------------------------------------------------------------
    def _check_input(self, x: np.ndarray, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
        # Every forward starts here: forget the last forward's cache first, so that
        # if this forward fails, backward says so instead of using stale values.
        self._out_shape = None
        return check_float_array(x, "x", ndim=ndim, where=f"{self.name}.forward")

    def _check_grad_out(self, grad_out: np.ndarray) -> np.ndarray:
        where = f"{self.name}.backward"
        if getattr(self, "_out_shape", None) is None:
            raise RuntimeError(f"{where}: call forward before backward; backward needs the "
                               f"values that forward caches, and there are none (forward has "
                               f"not run yet, or its last call failed).")
        check_float_array(grad_out, "grad_out", where=where)
        check_same_shape(grad_out.shape, self._out_shape, "grad_out (the shape of forward's "
                         "output)", where=where)
        return grad_out

    def __repr__(self) -> str:
        return f"{self.name}()"


# --------------------------------------------------------------------------------------
# Affine ops
# --------------------------------------------------------------------------------------
class MatMul(Layer):
    """Matrix multiplication ``y = x @ W``.

    Parameters
    ----------
    W : ndarray, shape (d, k)

    Shapes: x (N, d) -> y (N, k). Gradients: dx = g @ W.T (N, d), dW = x.T @ g (d, k).
    ``backward(g, input_grad=False)`` computes dW only and returns None.
    """

    def __init__(self, W: np.ndarray) -> None:
        super().__init__()
        check_float_array(W, "W", ndim=2, where="MatMul")
        self.params["W"] = W

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x, ndim=2)
        W = self.params["W"]
        if x.shape[1] != W.shape[0]:
            raise ValueError(f"{self.name}.forward: x has {x.shape[1]} features (shape "
                             f"{x.shape}) but W expects {W.shape[0]} (W shape {W.shape}).")
        return self._forward(x)

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        return self._backward(self._check_grad_out(grad_out), input_grad)

    # The arithmetic without the checks, for Dense, which has checked already.
    def _forward(self, x: np.ndarray) -> np.ndarray:
        self._x = x
        y = x @ self.params["W"].astype(x.dtype, copy=False)
        self._out_shape = y.shape
        return y

    def _backward(self, g: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        W = self.params["W"]
        self.grads["W"] = (self._x.T @ g).astype(W.dtype, copy=False)
        return g @ W.T.astype(g.dtype, copy=False) if input_grad else None

    def __repr__(self) -> str:
        return f"MatMul({self.params['W'].shape[0]} -> {self.params['W'].shape[1]})"


class BiasAdd(Layer):
    """Add a bias to every row: ``y = x + b``.

    Parameters
    ----------
    b : ndarray, shape (k,)

    Shapes: x (N, k) -> y (N, k). Gradients: dx = g, db = g.sum(axis=0) (k,).
    """

    def __init__(self, b: np.ndarray) -> None:
        super().__init__()
        check_float_array(b, "b", ndim=1, where="BiasAdd")
        self.params["b"] = b

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x, ndim=2)
        b = self.params["b"]
        if x.shape[1] != b.shape[0]:
            raise ValueError(f"{self.name}.forward: x has {x.shape[1]} columns (shape {x.shape}) "
                             f"but the bias has {b.shape[0]}.")
        return self._forward(x)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return self._backward(self._check_grad_out(grad_out))

    # The arithmetic without the checks, for Dense, which has checked already.
    def _forward(self, x: np.ndarray) -> np.ndarray:
        y = x + self.params["b"].astype(x.dtype, copy=False)
        self._out_shape = y.shape
        return y

    def _backward(self, g: np.ndarray) -> np.ndarray:
        self.grads["b"] = g.sum(axis=0).astype(self.params["b"].dtype, copy=False)
        return g


class Dense(Layer):
    """A fully connected layer: a MatMul followed by a BiasAdd, ``y = x @ W + b``.

    Parameters
    ----------
    n_in, n_out : int
        Input and output features.
    init : str, default "he"
        Weight initialisation, see :func:`course_lib.initializers.initialize`.
        Biases start at zero.
    rng : numpy.random.Generator, int or None
        Source of randomness for the weights.
    dtype : float32 or float64, default float64

    Shapes: x (N, n_in) -> y (N, n_out). Params "W" (n_in, n_out), "b" (n_out,).
    ``backward(g, input_grad=False)`` fills the grads only and returns None.
    """

    def __init__(self, n_in: int, n_out: int, *, init: str = "he",
                 rng: np.random.Generator | int | None = None, dtype: type = np.float64) -> None:
        super().__init__()
        n_in = check_int(n_in, "n_in", where="Dense")
        n_out = check_int(n_out, "n_out", where="Dense")
        dtype = check_float_dtype(dtype, where="Dense")
        self.n_in, self.n_out, self.init = n_in, n_out, init
        W = initialize((n_in, n_out), n_in, n_out, init, as_generator(rng), dtype)
        self.matmul = MatMul(W)
        self.bias_add = BiasAdd(np.zeros(n_out, dtype=dtype))

    # Dense's params are its parts' params, so an optimizer updating them in
    # place updates the MatMul and BiasAdd that compute with them.
    @property
    def params(self) -> dict[str, np.ndarray]:
        return {"W": self.matmul.params["W"], "b": self.bias_add.params["b"]}

    @params.setter
    def params(self, value: dict) -> None:  # set by Layer.__init__; parts own the arrays
        pass

    @property
    def grads(self) -> dict[str, np.ndarray]:
        grads = {}
        if "W" in self.matmul.grads:
            grads["W"] = self.matmul.grads["W"]
        if "b" in self.bias_add.grads:
            grads["b"] = self.bias_add.grads["b"]
        return grads

    @grads.setter
    def grads(self, value: dict) -> None:
        pass

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x, ndim=2)
        if x.shape[1] != self.n_in:
            raise ValueError(f"Dense({self.n_in} -> {self.n_out}).forward expects inputs with "
                             f"{self.n_in} features, got shape {x.shape}. The previous layer's "
                             f"output size (or the data's feature count) must equal n_in.")
        # x is checked once, here; the parts skip their own checks of it.
        y = self.bias_add._forward(self.matmul._forward(x))
        self._out_shape = y.shape
        return y

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        g = self._check_grad_out(grad_out)
        return self.matmul._backward(self.bias_add._backward(g), input_grad)

    def astype(self, dtype: type) -> "Dense":
        dtype = check_float_dtype(dtype, where="Dense.astype")
        self.matmul.astype(dtype)
        self.bias_add.astype(dtype)
        return self

    def __repr__(self) -> str:
        return f"Dense({self.n_in} -> {self.n_out}, init={self.init!r})"


# --------------------------------------------------------------------------------------
# Activations (elementwise, any shape)
# --------------------------------------------------------------------------------------
class Identity(Layer):
    """The linear activation ``y = x``. Shapes: any -> same. dx = g."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x)
        self._out_shape = x.shape
        return x

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return self._check_grad_out(grad_out)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function 1 / (1 + exp(-x)), without overflow for large |x|.

    exp is only ever taken of -|x| <= 0, so it lies in (0, 1]. A Python number or an
    integer array gives float64 (``sigmoid(0.0)`` is 0.5 as a 0-d array); a float32 array
    stays float32.
    """
    x = np.asarray(x)
    dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.float64
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z)).astype(dtype, copy=False)


class Sigmoid(Layer):
    """Logistic sigmoid ``y = 1 / (1 + exp(-x))``.

    Shapes: any -> same. dx = g * y * (1 - y). Stable for inputs like +-1000.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x)
        self._y = sigmoid(x)
        self._out_shape = x.shape
        return self._y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        g = self._check_grad_out(grad_out)
        return g * self._y * (1.0 - self._y)


class Tanh(Layer):
    """Hyperbolic tangent. Shapes: any -> same. dx = g * (1 - y**2)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x)
        self._y = np.tanh(x)
        self._out_shape = x.shape
        return self._y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        g = self._check_grad_out(grad_out)
        return g * (1.0 - self._y * self._y)


class ReLU(Layer):
    """Rectified linear unit ``y = max(x, 0)``.

    Shapes: any -> same. dx = g where x > 0, else 0 (the subgradient 0 at x = 0).
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x)
        self._mask = x > 0
        self._out_shape = x.shape
        return np.maximum(x, 0)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        g = self._check_grad_out(grad_out)
        return g * self._mask


def softmax(z: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, shifted by the row maximum so exp never overflows."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


class Softmax(Layer):
    """Softmax over the last axis: ``y_i = exp(x_i) / sum_j exp(x_j)``.

    Shapes: (N, K) -> (N, K), each row a probability vector.
    The Jacobian of one row is ``diag(y) - y y^T``; backward applies it without
    building it: ``dx = y * (g - sum(g * y, axis=-1))``.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x, ndim=(1, 2))
        self._y = softmax(x)
        self._out_shape = x.shape
        return self._y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        g = self._check_grad_out(grad_out)
        y = self._y
        return y * (g - (g * y).sum(axis=-1, keepdims=True))



class Flatten(Layer):
    """Flatten all but the batch axis, row-major. Shapes: (N, ...) -> (N, prod(...))."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x)
        if x.ndim < 2:
            raise ValueError(f"Flatten.forward expects a batch (N, ...), got shape {x.shape}.")
        self._x_shape = x.shape
        y = x.reshape(x.shape[0], -1)
        self._out_shape = y.shape
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        g = self._check_grad_out(grad_out)
        return g.reshape(self._x_shape)


