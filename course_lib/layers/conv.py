"""Lesson 04's convolution and pooling: Conv3x3, MaxPool2 and their im2col helpers."""

from __future__ import annotations

import numpy as np

from ..initializers import as_generator, initialize
from ..validation import check_float_dtype, check_int
from .core import Layer


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

