"""The ops of a neural network, each an object with ``forward`` and ``backward``.

Every layer follows one protocol:

- ``layer.params``: dict name -> ndarray of trainable arrays (empty for
  parameter-free ops); ``layer.grads``: the same keys, filled by ``backward``.
- ``layer.forward(x) -> y`` caches what ``backward`` needs. A forward that
  fails (bad input) leaves no cache, so a ``backward`` after it raises
  "call forward before backward" instead of reusing the previous batch's values.
- ``layer.backward(grad_out) -> grad_x`` takes dL/dy (same shape as y) and
  returns dL/dx (same shape as x). It overwrites ``layer.grads`` (never adds
  to them), so calling it twice gives the same result. The layers with weights
  (MatMul, Dense, Conv3x3) also take ``input_grad=False``: fill ``grads`` and
  skip dL/dx (returning None), which a model's first layer does not need in
  training and which costs as much as the weight gradient.
- Arrays are batch first. A layer computes in the dtype of its input
  (float32 or float64); ``layer.astype(dtype)`` converts its parameters.

Backward passes are vector-Jacobian products: they never build the Jacobian.
"""

from __future__ import annotations

import numpy as np

from .initializers import as_generator, initialize
from .validation import (check_float_array, check_float_dtype, check_int, check_number,
                         check_same_shape)


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
        return type(self).__name__

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

    exp is only ever taken of -|x| <= 0, so it lies in (0, 1].
    """
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z)).astype(x.dtype, copy=False)


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


# --------------------------------------------------------------------------------------
# Convolution, pooling, reshaping
# --------------------------------------------------------------------------------------
def im2col_3x3(x: np.ndarray) -> np.ndarray:
    """Gather every 3x3 patch of ``x`` into a row.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)

    Returns
    -------
    cols : ndarray, shape (N * (H-2) * (W-2), C * 9)
        Row ``(n, i, j)`` holds the patch ``x[n, :, i:i+3, j:j+3]``, flattened
        channel-major like a filter of shape (C, 3, 3).

    Nine slices, one per filter tap, each copying a whole (N, C, H-2, W-2)
    block: no loop over images or pixels.
    """
    N, C, H, W = x.shape
    Ho, Wo = H - 2, W - 2
    cols = np.empty((N, Ho, Wo, C, 3, 3), dtype=x.dtype)
    xt = x.transpose(0, 2, 3, 1)  # (N, H, W, C): patches become contiguous rows
    for di in range(3):
        for dj in range(3):
            cols[:, :, :, :, di, dj] = xt[:, di:di + Ho, dj:dj + Wo, :]
    return cols.reshape(N * Ho * Wo, C * 9)


def col2im_3x3(dcols: np.ndarray, x_shape: tuple[int, int, int, int]) -> np.ndarray:
    """The adjoint of :func:`im2col_3x3`: add each patch gradient back where it came from.

    Parameters
    ----------
    dcols : ndarray, shape (N * (H-2) * (W-2), C * 9)
    x_shape : (N, C, H, W)

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    """
    N, C, H, W = x_shape
    Ho, Wo = H - 2, W - 2
    d = dcols.reshape(N, Ho, Wo, C, 3, 3)
    dxt = np.zeros((N, H, W, C), dtype=dcols.dtype)
    for di in range(3):
        for dj in range(3):
            dxt[:, di:di + Ho, dj:dj + Wo, :] += d[:, :, :, :, di, dj]
    return dxt.transpose(0, 3, 1, 2)


def patches_3x3(x: np.ndarray) -> np.ndarray:
    """The patches of :func:`im2col_3x3`, each image's as the columns of a matrix.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)

    Returns
    -------
    cols : ndarray, shape (N, C * 9, (H-2) * (W-2))
        ``cols[n, :, i * (W-2) + j]`` is ``im2col_3x3(x)`` row ``(n, i, j)``. With a
        filter matrix ``Wmat`` (F, C * 9), ``Wmat @ cols`` is (N, F, (H-2) * (W-2)):
        the convolution already in (N, F, H-2, W-2) order, with no transpose.

    Nine slice copies straight from x (no transpose of x either).
    """
    N, C, H, W = x.shape
    Ho, Wo = H - 2, W - 2
    cols = np.empty((N, C, 3, 3, Ho, Wo), dtype=x.dtype)
    for di in range(3):
        for dj in range(3):
            cols[:, :, di, dj] = x[:, :, di:di + Ho, dj:dj + Wo]
    return cols.reshape(N, C * 9, Ho * Wo)


def add_patches_3x3(dcols: np.ndarray, x_shape: tuple[int, int, int, int]) -> np.ndarray:
    """The adjoint of :func:`patches_3x3`: add each patch gradient back where it came from.

    Parameters
    ----------
    dcols : ndarray, shape (N, C * 9, (H-2) * (W-2))
    x_shape : (N, C, H, W)

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    """
    N, C, H, W = x_shape
    Ho, Wo = H - 2, W - 2
    d = dcols.reshape(N, C, 3, 3, Ho, Wo)
    dx = np.zeros(x_shape, dtype=dcols.dtype)
    for di in range(3):
        for dj in range(3):
            dx[:, :, di:di + Ho, dj:dj + Wo] += d[:, :, di, dj]
    return dx


class Conv3x3(Layer):
    """3x3 convolution (cross-correlation, as in every deep-learning library), valid
    padding, stride 1.

    Parameters
    ----------
    num_filters : int
        F, the number of output channels.
    in_channels : int, default 1
        C, the number of input channels.
    init : str, default "he"
        Filter initialisation with fan_in = 9 C, see :func:`course_lib.initializers.initialize`.
    rng : numpy.random.Generator, int or None
    dtype : float32 or float64, default float64

    Shapes: x (N, C, H, W), or (N, H, W) taken as C = 1 -> y (N, F, H-2, W-2).
    Params "W" (F, C, 3, 3), "b" (F,).
    ``y[n, f, i, j] = b[f] + sum_{c, di, dj} W[f, c, di, dj] * x[n, c, i+di, j+dj]``.

    Forward gathers the patches of :func:`im2col_3x3`, each image's as columns
    (:func:`patches_3x3`, shape (N, 9 C, Ho Wo)), and multiplies the (F, 9 C) filter
    matrix by them: one product per image, whose result is already in (N, F, Ho, Wo)
    order. Backward is two more products per image and :func:`add_patches_3x3`;
    ``backward(g, input_grad=False)`` fills the grads only (no dx) and returns None.
    """

    def __init__(self, num_filters: int, in_channels: int = 1, *, init: str = "he",
                 rng: np.random.Generator | int | None = None, dtype: type = np.float64) -> None:
        super().__init__()
        num_filters = check_int(num_filters, "num_filters", where="Conv3x3")
        in_channels = check_int(in_channels, "in_channels", where="Conv3x3")
        dtype = check_float_dtype(dtype, where="Conv3x3")
        self.num_filters, self.in_channels, self.init = num_filters, in_channels, init
        fan_in, fan_out = 9 * in_channels, 9 * num_filters
        self.params["W"] = initialize((num_filters, in_channels, 3, 3), fan_in, fan_out, init,
                                      as_generator(rng), dtype)
        self.params["b"] = np.zeros(num_filters, dtype=dtype)

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x, ndim=(3, 4))
        self._x_shape_in = x.shape
        if x.ndim == 3:
            x = x[:, None, :, :]
        N, C, H, W = x.shape
        if C != self.in_channels:
            raise ValueError(f"Conv3x3.forward expects {self.in_channels} input channel(s), got "
                             f"input of shape {self._x_shape_in} with {C}. Images are "
                             f"(N, C, H, W), or (N, H, W) for one channel.")
        if H < 3 or W < 3:
            raise ValueError(f"Conv3x3.forward needs images of at least 3x3, got {H}x{W}.")
        F = self.num_filters
        Wmat = self.params["W"].reshape(F, C * 9).astype(x.dtype, copy=False)
        self._cols = patches_3x3(x)                       # (N, C*9, Ho*Wo)
        y = np.matmul(Wmat, self._cols)                   # (N, F, Ho*Wo)
        y += self.params["b"].astype(x.dtype, copy=False)[:, None]
        y = y.reshape(N, F, H - 2, W - 2)
        self._x_shape = x.shape
        self._out_shape = y.shape
        return y

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        g = self._check_grad_out(grad_out)
        N, C, H, W = self._x_shape
        F = self.num_filters
        g3 = g.reshape(N, F, -1)                          # (N, F, Ho*Wo)
        W_ = self.params["W"]
        # dW = sum over images of g_n @ cols_n.T: N small products, then one sum
        dW = np.matmul(g3, self._cols.transpose(0, 2, 1)).sum(axis=0)
        self.grads["W"] = dW.reshape(F, C, 3, 3).astype(W_.dtype, copy=False)
        self.grads["b"] = g.sum(axis=(0, 2, 3)).astype(W_.dtype, copy=False)
        if not input_grad:
            return None
        dcols = np.matmul(W_.reshape(F, C * 9).T.astype(g.dtype, copy=False), g3)
        dx = add_patches_3x3(dcols, self._x_shape)
        return dx.reshape(self._x_shape_in)

    def __repr__(self) -> str:
        return f"Conv3x3({self.num_filters} filters, {self.in_channels} channel(s))"


class MaxPool2(Layer):
    """2x2 max-pooling with stride 2.

    Shapes: x (N, C, H, W) -> y (N, C, H//2, W//2); an odd last row or column
    is dropped, as in PyTorch's default.

    The gradient of each window goes to exactly one input: the first maximum
    in row-major order (PyTorch's choice). Giving it to every tied maximum
    would multiply the gradient and is not the derivative of anything.

    The four corners of every window are four strided slices of x
    (``x[:, :, di::2, dj::2]``), so both passes are a few whole-array
    operations with no loop over windows. Forward keeps three comparisons,
    each a strict ``>`` so that a tie goes to the earlier corner: right beats
    left in the top row, right beats left in the bottom row, bottom row beats
    top row. Together they name each window's first maximum.
    """

    #: the window positions (di, dj) in row-major order: ties go to the earliest
    OFFSETS = ((0, 0), (0, 1), (1, 0), (1, 1))

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x, ndim=4)
        N, C, H, W = x.shape
        if H < 2 or W < 2:
            raise ValueError(f"MaxPool2.forward needs H and W of at least 2, got shape {x.shape}.")
        Ho, Wo = H // 2, W // 2
        c00, c01, c10, c11 = (x[:, :, di:2 * Ho:2, dj:2 * Wo:2] for di, dj in self.OFFSETS)
        top, bottom = np.maximum(c00, c01), np.maximum(c10, c11)
        # (right of the top pair wins, right of the bottom pair wins, bottom pair wins)
        self._wins = (c01 > c00, c11 > c10, bottom > top)
        y = np.maximum(top, bottom)
        self._x_shape = x.shape
        self._out_shape = y.shape
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        g = self._check_grad_out(grad_out)
        N, C, H, W = self._x_shape
        Ho, Wo = H // 2, W // 2
        right_top, right_bottom, bottom = self._wins
        g_top, g_bottom = g * ~bottom, g * bottom        # the row of the window's maximum
        # every element is written below, except an odd last row or column: those stay 0
        dx = (np.zeros if H % 2 or W % 2 else np.empty)(self._x_shape, dtype=g.dtype)
        for (di, dj), g_row, wins in zip(self.OFFSETS, (g_top, g_top, g_bottom, g_bottom),
                                         (~right_top, right_top, ~right_bottom, right_bottom)):
            np.multiply(g_row, wins, out=dx[:, :, di:2 * Ho:2, dj:2 * Wo:2])
        return dx


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


# --------------------------------------------------------------------------------------
# Regularisation and normalisation: layers that behave differently in training and in
# evaluation (``layer.training``)
# --------------------------------------------------------------------------------------
class Dropout(Layer):
    """Inverted dropout: in training, zero each unit with probability ``p`` and scale the
    kept ones by ``1 / (1 - p)``; in evaluation, the identity.

    Parameters
    ----------
    p : float
        The probability of dropping a unit, in [0, 1). 0 keeps every unit.
    rng : numpy.random.Generator, int or None
        Source of the masks (an int seeds a new generator; None: fresh randomness).

    Shapes: any -> same. Training: ``y = x * mask / (1 - p)`` with ``mask`` 1 with
    probability ``1 - p`` (drawn anew on every forward), and ``dx = g * mask / (1 - p)``
    with the same mask. The scaling keeps ``E[y] = x``, so evaluation needs no change:
    ``y = x``, ``dx = g``.
    """

    def __init__(self, p: float, *, rng: np.random.Generator | int | None = None) -> None:
        super().__init__()
        self.p = check_number(p, "p (the probability of dropping a unit)", where="Dropout",
                              low=0.0, high=1.0)
        self.rng = as_generator(rng)

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x)
        if self.training and self.p > 0:
            keep = self.rng.random(x.shape) >= self.p
            # mask / (1 - p) once, in x's dtype: forward and backward multiply by it
            self._scale = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - self.p))
        else:
            self._scale = None
        self._out_shape = x.shape
        return x if self._scale is None else x * self._scale

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        g = self._check_grad_out(grad_out)
        return g if self._scale is None else g * self._scale

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


class BatchNorm(Layer):
    """Batch normalisation of the features of a batch (Ioffe and Szegedy, 2015).

    Parameters
    ----------
    num_features : int
        D, the number of features (columns) of the input.
    momentum : float, default 0.1
        In [0, 1]: the weight of the newest batch in the running statistics.
    eps : float, default 1e-5
        > 0, added to the variance before the square root.
    dtype : float32 or float64, default float64

    Shapes: x (N, D) -> y (N, D). Params "gamma" (D,), ones, and "beta" (D,), zeros.

    Training (``self.training``): with the batch mean ``mu`` and the biased batch
    variance ``var`` of each feature,
    ``x_hat = (x - mu) / sqrt(var + eps)``, ``y = gamma * x_hat + beta``; the running
    statistics move towards the batch's, as in PyTorch:
    ``running_mean = (1 - momentum) * running_mean + momentum * mu`` and the same for
    ``running_var`` with the *unbiased* variance ``var * N / (N - 1)``. A batch of one
    sample has no variance and is refused.

    Evaluation: the same formula with ``running_mean`` and ``running_var`` (they
    start at 0 and 1) in place of the batch's statistics.

    Backward, training mode (every x moves mu and var, hence the mean terms):
    ``dx = gamma / sqrt(var + eps) * (g - mean(g) - x_hat * mean(g * x_hat))``
    (means over the batch), ``dgamma = sum(g * x_hat)``, ``dbeta = sum(g)``.
    In evaluation mode the statistics are constants: ``dx = g * gamma / sqrt(running_var + eps)``.
    """

    def __init__(self, num_features: int, *, momentum: float = 0.1, eps: float = 1e-5,
                 dtype: type = np.float64) -> None:
        super().__init__()
        self.num_features = check_int(num_features, "num_features", where="BatchNorm")
        self.momentum = check_number(momentum, "momentum", where="BatchNorm", low=0.0,
                                     high=1.0, high_open=False)
        self.eps = check_number(eps, "eps", where="BatchNorm", low=0.0, low_open=True)
        dtype = check_float_dtype(dtype, where="BatchNorm")
        self.params["gamma"] = np.ones(self.num_features, dtype=dtype)
        self.params["beta"] = np.zeros(self.num_features, dtype=dtype)
        self.running_mean = np.zeros(self.num_features, dtype=dtype)
        self.running_var = np.ones(self.num_features, dtype=dtype)

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x, ndim=2)
        D = self.num_features
        if x.shape[1] != D:
            raise ValueError(f"BatchNorm({D}).forward expects inputs with {D} features, got "
                             f"shape {x.shape}.")
        dt = x.dtype
        if self.training:
            n = x.shape[0]
            if n < 2:
                raise ValueError(f"BatchNorm.forward in training mode needs a batch of at least "
                                 f"2 samples to compute a variance, got shape {x.shape}. Use "
                                 f"larger batches, or call model.eval() to predict.")
            mean = x.mean(axis=0)
            var = x.var(axis=0)  # biased (divides by N): what normalises this batch
            m = self.momentum
            self.running_mean = ((1 - m) * self.running_mean + m * mean).astype(
                self.running_mean.dtype, copy=False)
            self.running_var = ((1 - m) * self.running_var + m * var * (n / (n - 1))).astype(
                self.running_var.dtype, copy=False)
        else:
            mean = self.running_mean.astype(dt, copy=False)
            var = self.running_var.astype(dt, copy=False)
        self._inv_std = (1.0 / np.sqrt(var + dt.type(self.eps))).astype(dt, copy=False)
        self._x_hat = (x - mean) * self._inv_std
        self._batch_stats = self.training
        y = self._x_hat * self.params["gamma"].astype(dt, copy=False) \
            + self.params["beta"].astype(dt, copy=False)
        self._out_shape = y.shape
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        g = self._check_grad_out(grad_out)
        gamma = self.params["gamma"]
        x_hat = self._x_hat
        self.grads["gamma"] = (g * x_hat).sum(axis=0).astype(gamma.dtype, copy=False)
        self.grads["beta"] = g.sum(axis=0).astype(gamma.dtype, copy=False)
        scale = gamma.astype(g.dtype, copy=False) * self._inv_std
        if not self._batch_stats:
            return g * scale
        return scale * (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0))

    def astype(self, dtype: type) -> "BatchNorm":
        dtype = check_float_dtype(dtype, where="BatchNorm.astype")
        super().astype(dtype)
        self.running_mean = self.running_mean.astype(dtype)
        self.running_var = self.running_var.astype(dtype)
        return self

    def __repr__(self) -> str:
        return f"BatchNorm({self.num_features}, momentum={self.momentum}, eps={self.eps})"
