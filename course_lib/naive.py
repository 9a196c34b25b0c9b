"""Loop versions of the convolution and max-pooling, kept for teaching.

These follow the maths one image, one position at a time: easy to read,
hundreds of times slower than :class:`course_lib.layers.Conv3x3` and
:class:`course_lib.layers.MaxPool2`, with which the tests check they agree.
Shapes are as in those layers: images (N, C, H, W), filters (F, C, 3, 3).
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
