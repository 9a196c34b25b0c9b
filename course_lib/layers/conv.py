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


def patches(x: np.ndarray, kernel_size: int, stride: int = 1) -> np.ndarray:
    """Every k x k patch of ``x`` (already padded), each image's as the columns of a matrix.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    kernel_size, stride : int

    Returns
    -------
    cols : ndarray, shape (N, C * k * k, Ho * Wo)
        ``cols[n, :, i * Wo + j]`` is ``x[n, :, i*s:i*s+k, j*s:j*s+k]`` flattened
        channel-major like a filter of shape (C, k, k). With the filter matrix
        ``Wmat`` (F, C k k), ``Wmat @ cols`` is the convolution in (N, F, Ho Wo) order.

    One strided slice copy per filter tap (k * k of them, each a whole
    (N, C, Ho, Wo) block): no loop over images or positions.
    """
    N, C, H, W = x.shape
    k, s = kernel_size, stride
    Ho, Wo = (H - k) // s + 1, (W - k) // s + 1
    cols = np.empty((N, C, k, k, Ho, Wo), dtype=x.dtype)
    for di in range(k):
        for dj in range(k):
            cols[:, :, di, dj] = x[:, :, di:di + s * (Ho - 1) + 1:s, dj:dj + s * (Wo - 1) + 1:s]
    return cols.reshape(N, C * k * k, Ho * Wo)


def add_patches(dcols: np.ndarray, x_shape: tuple[int, int, int, int], kernel_size: int,
                stride: int = 1) -> np.ndarray:
    """The adjoint of :func:`patches`: add each patch gradient back where it came from.

    Parameters
    ----------
    dcols : ndarray, shape (N, C * k * k, Ho * Wo)
    x_shape : (N, C, H, W), the shape of the (padded) input of :func:`patches`

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    """
    N, C, H, W = x_shape
    k, s = kernel_size, stride
    Ho, Wo = (H - k) // s + 1, (W - k) // s + 1
    # Accumulate in (H, W, N, C) order: each of the k * k additions then runs over
    # long contiguous rows of N * C numbers (measured about 1.7x faster than (N, C, H, W)).
    d = dcols.reshape(N, C, k, k, Ho, Wo).transpose(2, 3, 4, 5, 0, 1)   # (k, k, Ho, Wo, N, C)
    dx = np.zeros((H, W, N, C), dtype=dcols.dtype)
    for di in range(k):
        for dj in range(k):
            dx[di:di + s * (Ho - 1) + 1:s, dj:dj + s * (Wo - 1) + 1:s] += d[di, dj]
    return dx.transpose(2, 3, 0, 1)


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

    Forward pads, gathers each image's patches as columns (:func:`patches`, shape
    (N, C k k, Ho Wo)) and multiplies the (F, C k k) filter matrix by them: one product
    per image, already in (N, F, Ho, Wo) order. Backward is two more products per image,
    :func:`add_patches` and cutting the padding off. ``backward(g, input_grad=False)``
    fills the grads only (no dx) and returns None.
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
        xp = pad_images(x, self.padding)
        Wmat = self.params["W"].reshape(F, C * k * k).astype(x.dtype, copy=False)
        self._cols = patches(xp, k, self.stride)          # (N, C*k*k, Ho*Wo)
        y = np.matmul(Wmat, self._cols)                   # (N, F, Ho*Wo)
        y += self.params["b"].astype(x.dtype, copy=False)[:, None]
        y = y.reshape(N, F, Ho, Wo)
        self._x_shape, self._xp_shape = x.shape, xp.shape
        self._out_shape = y.shape
        return y

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        g = self._check_grad_out(grad_out)
        N, C, H, W = self._x_shape
        F, k, p = self.out_channels, self.kernel_size, self.padding
        g3 = g.reshape(N, F, -1)                          # (N, F, Ho*Wo)
        W_ = self.params["W"]
        # dW = sum over images of g_n @ cols_n.T: N small products, then one sum
        dW = np.matmul(g3, self._cols.transpose(0, 2, 1)).sum(axis=0)
        self.grads["W"] = dW.reshape(W_.shape).astype(W_.dtype, copy=False)
        self.grads["b"] = g.sum(axis=(0, 2, 3)).astype(W_.dtype, copy=False)
        if not input_grad:
            return None
        dcols = np.matmul(W_.reshape(F, C * k * k).T.astype(g.dtype, copy=False), g3)
        dxp = add_patches(dcols, self._xp_shape, k, self.stride)
        return dxp[:, :, p:p + H, p:p + W] if p else dxp

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

    Forward records, for every window, which of its k * k positions (taps, row-major)
    holds the first maximum: with windows side by side (s = k) one reshape puts each
    window on the last axis and ``argmax`` (which returns the first maximum) finds it;
    otherwise a loop over the taps, each a strided slice of the whole batch, keeps the
    running maximum and, with a strict ``>``, the first tap that holds it. Backward
    sends each window's gradient to that tap, one strided slice per tap.
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
        if s == k:  # windows side by side: one reshape lines each window up on the last axis
            windows = x[:, :, :Ho * k, :Wo * k].reshape(N, C, Ho, k, Wo, k)
            windows = windows.transpose(0, 1, 2, 4, 3, 5).reshape(N, C, Ho, Wo, k * k)
            arg = windows.argmax(axis=-1)                 # argmax names the *first* maximum
            y = np.take_along_axis(windows, arg[..., None], axis=-1)[..., 0]
        else:       # overlapping or spaced windows: one strided slice per tap
            taps = self._taps(Ho, Wo)
            y = x[next(taps)].copy()
            arg = np.zeros(y.shape, dtype=np.intp)
            for t, tap in enumerate(taps, start=1):
                window = x[tap]
                better = window > y                       # strict: a tie keeps the earlier tap
                np.copyto(y, window, where=better)
                arg[better] = t
        self._arg = arg
        self._x_shape = x.shape
        self._out_shape = y.shape
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        g = self._check_grad_out(grad_out)
        N, C, Ho, Wo = g.shape
        k, s = self.kernel_size, self.stride
        dx = np.zeros(self._x_shape, dtype=g.dtype)
        for t, tap in enumerate(self._taps(Ho, Wo)):
            if s >= k:  # windows do not overlap: each input is written at most once
                np.multiply(g, self._arg == t, out=dx[tap])
            else:
                dx[tap] += g * (self._arg == t)
        return dx

    def __repr__(self) -> str:
        stride = "" if self.stride == self.kernel_size else f", stride={self.stride}"
        return f"MaxPool2d({self.kernel_size}{stride})"
