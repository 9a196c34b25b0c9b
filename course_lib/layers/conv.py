"""Convolution and pooling: lesson 04's Conv3x3 and MaxPool2 with their im2col helpers,
lesson 08's Conv2d and MaxPool2d (any kernel size, stride and padding)."""

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



# --------------------------------------------------------------------------------------
# General convolution and max-pooling (lesson 08): any kernel size, stride and padding
# --------------------------------------------------------------------------------------
def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    """The output length of a convolution or pooling along one axis (PyTorch's rule).

    ``(size + 2 * padding - kernel_size) // stride + 1``: the number of window positions
    that fit in the padded input, a last partial window dropped.

    Raises
    ------
    ValueError
        If the kernel is larger than the padded input.
    """
    padded = size + 2 * padding
    if kernel_size > padded:
        raise ValueError(f"the kernel ({kernel_size}) is larger than the padded input "
                         f"({size} + 2 * {padding} = {padded}); use a smaller kernel or more "
                         f"padding.")
    return (padded - kernel_size) // stride + 1


def pad_images(x: np.ndarray, padding: int) -> np.ndarray:
    """``x`` (N, C, H, W) with ``padding`` rows and columns of zeros on every side
    (N, C, H + 2p, W + 2p); ``x`` itself when ``padding`` is 0."""
    if padding == 0:
        return x
    N, C, H, W = x.shape
    out = np.zeros((N, C, H + 2 * padding, W + 2 * padding), dtype=x.dtype)
    out[:, :, padding:padding + H, padding:padding + W] = x
    return out


def patches(x: np.ndarray, kernel_size: int, stride: int = 1, padding: int = 0) -> np.ndarray:
    """Every k x k patch of the zero-padded ``x`` as a column of one matrix (im2col).

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    kernel_size, stride, padding : int

    Returns
    -------
    cols : ndarray, shape (C * k * k, Ho * Wo * N)
        Column ``(i * Wo + j) * N + n`` is the patch ``xp[n, :, i*s:i*s+k, j*s:j*s+k]`` of
        the padded input xp, flattened channel-major like a filter of shape (C, k, k). So
        the filter matrix ``W.reshape(F, C * k * k)`` times ``cols`` is the whole
        batch's convolution in one matrix product, (F, Ho * Wo * N).

    The batch is the last axis (the columns run over positions, then images): the
    input is copied once into (C, H + 2p, W + 2p, N) order, padding included, and each
    of the k * k filter taps is then one strided slice copy whose rows are N numbers
    long. Measured faster than the (N, C, H, W) order for the batch sizes of lesson 08.
    """
    N, C, H, W = x.shape
    k, s, p = kernel_size, stride, padding
    Ho, Wo = (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1
    xt = np.zeros((C, H + 2 * p, W + 2 * p, N), dtype=x.dtype) if p else \
        np.empty((C, H, W, N), dtype=x.dtype)
    xt[:, p:p + H, p:p + W] = x.transpose(1, 2, 3, 0)
    cols = np.empty((C, k, k, Ho, Wo, N), dtype=x.dtype)
    for di in range(k):
        for dj in range(k):
            cols[:, di, dj] = xt[:, di:di + s * (Ho - 1) + 1:s, dj:dj + s * (Wo - 1) + 1:s]
    return cols.reshape(C * k * k, Ho * Wo * N)


def add_patches(dcols: np.ndarray, x_shape: tuple[int, int, int, int], kernel_size: int,
                stride: int = 1, padding: int = 0) -> np.ndarray:
    """The adjoint of :func:`patches` (col2im): add each patch gradient back where it
    came from, then cut the padding off.

    Parameters
    ----------
    dcols : ndarray, shape (C * k * k, Ho * Wo * N), ordered as :func:`patches` returns
    x_shape : (N, C, H, W), the shape of the input before padding

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    """
    N, C, H, W = x_shape
    k, s, p = kernel_size, stride, padding
    Ho, Wo = (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1
    d = dcols.reshape(C, k, k, Ho, Wo, N)
    dxt = np.zeros((C, H + 2 * p, W + 2 * p, N), dtype=dcols.dtype)
    for di in range(k):
        for dj in range(k):
            dxt[:, di:di + s * (Ho - 1) + 1:s, dj:dj + s * (Wo - 1) + 1:s] += d[:, di, dj]
    return np.ascontiguousarray(dxt[:, p:p + H, p:p + W].transpose(3, 0, 1, 2))


class Conv2d(Layer):
    """2-D convolution with any kernel size, stride and zero padding, PyTorch's layout.

    Parameters
    ----------
    in_channels : int
        C, the channels of the input.
    out_channels : int
        F, the number of filters (channels of the output).
    kernel_size : int
        k: square k x k filters.
    stride : int, default 1
        s: the step between two window positions, in both directions.
    padding : int, default 0
        p: rows and columns of zeros added on every side before convolving.
    init : str, default "he"
        Filter initialisation with fan_in = C k k, see :func:`course_lib.initializers.initialize`.
    rng : numpy.random.Generator, int or None
    dtype : float32 or float64, default float64

    Shapes: x (N, C, H, W) -> y (N, F, Ho, Wo) with
    ``Ho = (H + 2p - k) // s + 1`` (and the same for Wo), see :func:`conv_output_size`.
    Params "W" (F, C, k, k), "b" (F,). With xp the padded input,
    ``y[n, f, i, j] = b[f] + sum_{c, di, dj} W[f, c, di, dj] * xp[n, c, i*s + di, j*s + dj]``
    (cross-correlation, as in every deep-learning library).

    Forward gathers every patch of the padded batch as a column (:func:`patches`, shape
    (C k k, Ho Wo N)) and multiplies the (F, C k k) filter matrix by them: one matrix
    product for the whole batch. Backward is two more products, dW = g cols^T and
    dcols = W^T g, and :func:`add_patches` to put dcols back in place.
    ``backward(g, input_grad=False)`` fills the grads only (no dx) and returns None.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, *,
                 stride: int = 1, padding: int = 0, init: str = "he",
                 rng: np.random.Generator | int | None = None, dtype: type = np.float64) -> None:
        super().__init__()
        where = "Conv2d"
        C = check_int(in_channels, "in_channels", where=where)
        F = check_int(out_channels, "out_channels", where=where)
        k = check_int(kernel_size, "kernel_size", where=where)
        self.stride = check_int(stride, "stride", where=where)
        self.padding = check_int(padding, "padding", where=where, low=0)
        dtype = check_float_dtype(dtype, where=where)
        self.in_channels, self.out_channels, self.kernel_size, self.init = C, F, k, init
        self.params["W"] = initialize((F, C, k, k), C * k * k, F * k * k, init,
                                      as_generator(rng), dtype)
        self.params["b"] = np.zeros(F, dtype=dtype)

    def output_shape(self, H: int, W: int) -> tuple[int, int]:
        """(Ho, Wo) for an input of H x W pixels; ValueError if the kernel does not fit."""
        k, s, p = self.kernel_size, self.stride, self.padding
        try:
            return conv_output_size(H, k, s, p), conv_output_size(W, k, s, p)
        except ValueError as err:
            raise ValueError(f"{self!r}.forward: input of {H}x{W} pixels: {err}") from None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x, ndim=4)
        N, C, H, W = x.shape
        if C != self.in_channels:
            raise ValueError(f"{self!r}.forward expects {self.in_channels} input channel(s) "
                             f"(W has shape {self.params['W'].shape}), got input of shape "
                             f"{x.shape} with {C}. Images are (N, C, H, W).")
        Ho, Wo = self.output_shape(H, W)
        F, k = self.out_channels, self.kernel_size
        Wmat = self.params["W"].reshape(F, C * k * k).astype(x.dtype, copy=False)
        self._cols = patches(x, k, self.stride, self.padding)   # (C*k*k, Ho*Wo*N)
        y = Wmat @ self._cols                                    # (F, Ho*Wo*N): one product
        y += self.params["b"].astype(x.dtype, copy=False)[:, None]
        y = np.ascontiguousarray(y.reshape(F, Ho, Wo, N).transpose(3, 0, 1, 2))
        self._x_shape = x.shape
        self._out_shape = y.shape
        return y

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        g = self._check_grad_out(grad_out)
        F, k = self.out_channels, self.kernel_size
        W_ = self.params["W"]
        gmat = g.transpose(1, 2, 3, 0).reshape(F, -1)            # (F, Ho*Wo*N), as forward's y
        self.grads["W"] = (gmat @ self._cols.T).reshape(W_.shape).astype(W_.dtype, copy=False)
        self.grads["b"] = gmat.sum(axis=1).astype(W_.dtype, copy=False)
        if not input_grad:
            return None
        dcols = W_.reshape(F, -1).T.astype(g.dtype, copy=False) @ gmat   # (C*k*k, Ho*Wo*N)
        return add_patches(dcols, self._x_shape, k, self.stride, self.padding)

    def __repr__(self) -> str:
        extra = (f", stride={self.stride}" if self.stride != 1 else "") + \
                (f", padding={self.padding}" if self.padding else "")
        return f"Conv2d({self.in_channels}, {self.out_channels}, {self.kernel_size}{extra})"


class MaxPool2d(Layer):
    """Max-pooling over k x k windows with any stride (PyTorch's MaxPool2d, no padding).

    Parameters
    ----------
    kernel_size : int
        k: square k x k windows.
    stride : int or None, default None
        s: the step between two windows; None means k (windows side by side).

    Shapes: x (N, C, H, W) -> y (N, C, Ho, Wo), ``Ho = (H - k) // s + 1`` (rows that
    no full window covers are dropped, as in PyTorch).

    The gradient of each window goes to exactly one input, its first maximum in
    row-major order, as lesson 04 teaches (and PyTorch does); with overlapping windows
    (s < k) an input that is the maximum of several windows adds their gradients.

    Both passes loop over the k * k positions of a window (taps, row-major), each a
    strided slice of the whole batch, never over windows: forward takes the running
    maximum; backward goes through the taps in order and gives each window's gradient
    to the first tap equal to its maximum (a mask of the windows already served keeps
    later ties out). Measured several times faster than reshaping every window onto
    an axis for ``argmax``.
    """

    def __init__(self, kernel_size: int, *, stride: int | None = None) -> None:
        super().__init__()
        self.kernel_size = check_int(kernel_size, "kernel_size", where="MaxPool2d")
        self.stride = self.kernel_size if stride is None else check_int(
            stride, "stride", where="MaxPool2d")

    def _taps(self, Ho: int, Wo: int):
        k, s = self.kernel_size, self.stride
        for di in range(k):
            for dj in range(k):
                yield (slice(None), slice(None), slice(di, di + s * (Ho - 1) + 1, s),
                       slice(dj, dj + s * (Wo - 1) + 1, s))

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x, ndim=4)
        N, C, H, W = x.shape
        k, s = self.kernel_size, self.stride
        try:
            Ho, Wo = conv_output_size(H, k, s), conv_output_size(W, k, s)
        except ValueError as err:
            raise ValueError(f"{self!r}.forward: input of shape {x.shape}: {err}") from None
        taps = self._taps(Ho, Wo)
        y = x[next(taps)].copy()
        for tap in taps:                                  # the running maximum, tap by tap
            np.maximum(y, x[tap], out=y)
        self._x, self._y = x, y
        self._x_shape = x.shape
        self._out_shape = y.shape
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        g = self._check_grad_out(grad_out)
        N, C, Ho, Wo = g.shape
        k, s = self.kernel_size, self.stride
        # every input is written below when the windows tile the input exactly
        tiled = s == k and self._x_shape[2:] == (Ho * k, Wo * k)
        dx = (np.empty if tiled else np.zeros)(self._x_shape, dtype=g.dtype)
        taken = np.zeros(g.shape, dtype=bool)             # windows whose maximum is found
        for tap in self._taps(Ho, Wo):
            first = self._x[tap] == self._y               # this tap holds the maximum ...
            first &= ~taken                               # ... and no earlier tap did
            taken |= first
            if s >= k:  # windows do not overlap: each input is written at most once
                np.multiply(g, first, out=dx[tap])
            else:
                dx[tap] += g * first
        return dx

    def __repr__(self) -> str:
        stride = "" if self.stride == self.kernel_size else f", stride={self.stride}"
        return f"MaxPool2d({self.kernel_size}{stride})"
