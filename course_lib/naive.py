"""Loop versions of the convolution and max-pooling, kept for teaching.

These follow the maths one image, one position at a time: easy to read,
hundreds of times slower than :class:`course_lib.layers.Conv3x3` and
:class:`course_lib.layers.MaxPool2` (lesson 04), :class:`course_lib.layers.Conv2d` and
:class:`course_lib.layers.MaxPool2d` (lesson 08), with which the tests check they agree.
Shapes are as in those layers: images (N, C, H, W), filters (F, C, k, k).
"""

from __future__ import annotations

import numpy as np


def conv3x3_forward_naive(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Valid 3x3 convolution (cross-correlation), stride 1.

    x (N, C, H, W), W (F, C, 3, 3), b (F,) -> y (N, F, H-2, W-2).
    """
    N, C, H, W_ = x.shape
    F = W.shape[0]
    y = np.zeros((N, F, H - 2, W_ - 2), dtype=x.dtype)
    for n in range(N):
        for f in range(F):
            for i in range(H - 2):
                for j in range(W_ - 2):
                    y[n, f, i, j] = np.sum(x[n, :, i:i + 3, j:j + 3] * W[f]) + b[f]
    return y


def conv3x3_backward_naive(x: np.ndarray, W: np.ndarray,
                           grad_out: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of the valid 3x3 convolution.

    Each output y[n, f, i, j] touched the patch x[n, :, i:i+3, j:j+3] through
    W[f], so its gradient g flows back as g * W[f] into the patch and
    g * patch into W[f].

    Returns
    -------
    dx (N, C, H, W), dW (F, C, 3, 3), db (F,)
    """
    N, C, H, W_ = x.shape
    F = W.shape[0]
    dx, dW = np.zeros_like(x), np.zeros_like(W)
    db = np.zeros(F, dtype=W.dtype)
    for n in range(N):
        for f in range(F):
            for i in range(H - 2):
                for j in range(W_ - 2):
                    g = grad_out[n, f, i, j]
                    dx[n, :, i:i + 3, j:j + 3] += g * W[f]
                    dW[f] += g * x[n, :, i:i + 3, j:j + 3]
                    db[f] += g
    return dx, dW, db


def maxpool2_forward_naive(x: np.ndarray) -> np.ndarray:
    """2x2 max-pool, stride 2: x (N, C, H, W) -> y (N, C, H//2, W//2)."""
    N, C, H, W = x.shape
    y = np.zeros((N, C, H // 2, W // 2), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(H // 2):
                for j in range(W // 2):
                    y[n, c, i, j] = x[n, c, 2 * i:2 * i + 2, 2 * j:2 * j + 2].max()
    return y


def maxpool2_backward_naive(x: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
    """Gradient of the 2x2 max-pool: each window's gradient goes to its first
    maximum in row-major order, and nowhere else. Returns dx (N, C, H, W)."""
    N, C, H, W = x.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(H // 2):
                for j in range(W // 2):
                    window = x[n, c, 2 * i:2 * i + 2, 2 * j:2 * j + 2]
                    a, b = np.unravel_index(np.argmax(window), (2, 2))
                    dx[n, c, 2 * i + a, 2 * j + b] = grad_out[n, c, i, j]
    return dx


def maxpool2_backward_all_ties_naive(x: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
    """The *wrong* pool gradient that many from-scratch CNNs use: every position
    equal to the window's maximum gets the full gradient. With a tie (e.g. four
    zeros of an MNIST background) the gradient is counted several times, which
    no function's derivative does; the gradient check in lesson 04 shows it."""
    N, C, H, W = x.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(H // 2):
                for j in range(W // 2):
                    window = x[n, c, 2 * i:2 * i + 2, 2 * j:2 * j + 2]
                    mask = window == window.max()
                    dx[n, c, 2 * i:2 * i + 2, 2 * j:2 * j + 2] = mask * grad_out[n, c, i, j]
    return dx


# --------------------------------------------------------------------------------------
# Lesson 08: any kernel size, stride and padding (Conv2d, MaxPool2d)
# --------------------------------------------------------------------------------------
def _pad(x: np.ndarray, padding: int) -> np.ndarray:
    return np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))


def conv2d_forward_naive(x: np.ndarray, W: np.ndarray, b: np.ndarray, *, stride: int = 1,
                         padding: int = 0) -> np.ndarray:
    """Convolution (cross-correlation) with zero padding and a stride, one output at a time.

    x (N, C, H, W), W (F, C, k, k), b (F,) -> y (N, F, Ho, Wo),
    ``Ho = (H + 2 padding - k) // stride + 1``.
    """
    xp = _pad(x, padding)
    N, C, H, W_ = xp.shape
    F, _, k, _ = W.shape
    Ho, Wo = (H - k) // stride + 1, (W_ - k) // stride + 1
    y = np.zeros((N, F, Ho, Wo), dtype=x.dtype)
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    patch = xp[n, :, i * stride:i * stride + k, j * stride:j * stride + k]
                    y[n, f, i, j] = np.sum(patch * W[f]) + b[f]
    return y


def conv2d_backward_naive(x: np.ndarray, W: np.ndarray, grad_out: np.ndarray, *,
                          stride: int = 1, padding: int = 0
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`conv2d_forward_naive`: dx (N, C, H, W), dW (F, C, k, k), db (F,).

    Each output y[n, f, i, j] touched one patch of the padded input through W[f]: its
    gradient g flows back as g * W[f] into that patch and g * patch into W[f]. The
    gradient of the padding is thrown away at the end (the zeros are not inputs).
    """
    xp = _pad(x, padding)
    F, _, k, _ = W.shape
    N, _, Ho, Wo = grad_out.shape
    dxp, dW = np.zeros_like(xp), np.zeros_like(W)
    db = np.zeros(F, dtype=W.dtype)
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    g = grad_out[n, f, i, j]
                    rows = slice(i * stride, i * stride + k)
                    cols = slice(j * stride, j * stride + k)
                    dxp[n, :, rows, cols] += g * W[f]
                    dW[f] += g * xp[n, :, rows, cols]
                    db[f] += g
    H, W_ = x.shape[2:]
    return dxp[:, :, padding:padding + H, padding:padding + W_], dW, db


def maxpool2d_forward_naive(x: np.ndarray, kernel_size: int, stride: int | None = None
                            ) -> np.ndarray:
    """Max over k x k windows every ``stride`` pixels (default k): x (N, C, H, W) -> y."""
    k = kernel_size
    s = k if stride is None else stride
    N, C, H, W = x.shape
    Ho, Wo = (H - k) // s + 1, (W - k) // s + 1
    y = np.zeros((N, C, Ho, Wo), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    y[n, c, i, j] = x[n, c, i * s:i * s + k, j * s:j * s + k].max()
    return y


def maxpool2d_backward_naive(x: np.ndarray, grad_out: np.ndarray, kernel_size: int,
                             stride: int | None = None) -> np.ndarray:
    """Gradient of :func:`maxpool2d_forward_naive`: each window's gradient goes to its first
    maximum in row-major order (``np.argmax``); overlapping windows add up. dx (N, C, H, W)."""
    k = kernel_size
    s = k if stride is None else stride
    N, C, Ho, Wo = grad_out.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    window = x[n, c, i * s:i * s + k, j * s:j * s + k]
                    a, b = np.unravel_index(np.argmax(window), (k, k))
                    dx[n, c, i * s + a, j * s + b] += grad_out[n, c, i, j]
    return dx
