"""The benchmark's yardstick: the course's MLP and CNN training steps as minimal NumPy.

No classes, no checks, no framework: the same maths as ``course_lib`` (``Dense``,
``ReLU``, ``Conv3x3``, ``MaxPool2``, ``Flatten``, ``SoftmaxCrossEntropyLoss``, ``SGD``)
written as one function per step, on arrays of one dtype. ``benchmarks/bench.py``
times course_lib against it; ``tests/test_fast_paths.py`` checks that both give the
same numbers, so the comparison is between two codes of one computation.

Parameters are lists of arrays, updated in place: ``[W1, b1, W2, b2, ...]`` for the
MLP, ``[W_conv (F, 1, 3, 3), b_conv (F,), W_dense (F * 13 * 13, 10), b_dense (10,)]``
for the CNN on 28x28 images.
"""

from __future__ import annotations

import numpy as np


def softmax_cross_entropy(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of logits z (N, K) for labels y (N,), and dL/dz (N, K)."""
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    n = len(y)
    loss = -float(log_p[np.arange(n), y].sum()) / n
    g = np.exp(log_p)
    g[np.arange(n), y] -= 1
    g /= n
    return loss, g


def mlp_init(sizes: tuple[int, ...], rng: np.random.Generator, dtype=np.float32) -> list:
    """He-initialised weights (n_in, n_out) and zero biases, [W1, b1, W2, b2, ...]."""
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        params.append((rng.standard_normal((n_in, n_out)) * np.sqrt(2 / n_in)).astype(dtype))
        params.append(np.zeros(n_out, dtype=dtype))
    return params


def mlp_step(params: list, x: np.ndarray, y: np.ndarray, lr: float) -> float:
    """One SGD step of the ReLU MLP (Dense, ReLU, ..., Dense, softmax cross-entropy)."""
    Ws, bs = params[0::2], params[1::2]
    hs = [x]                                   # the input of every Dense
    for W, b in zip(Ws[:-1], bs[:-1]):
        hs.append(np.maximum(hs[-1] @ W + b, 0))
    loss, g = softmax_cross_entropy(hs[-1] @ Ws[-1] + bs[-1], y)
    for k in range(len(Ws) - 1, -1, -1):
        dW, db = hs[k].T @ g, g.sum(axis=0)
        if k:                                  # no gradient for the input
            g = (g @ Ws[k].T) * (hs[k] > 0)
        Ws[k] -= lr * dW
        bs[k] -= lr * db
    return loss


def cnn_init(num_filters: int, rng: np.random.Generator, dtype=np.float32) -> list:
    """He-initialised 3x3 filters and dense weights, zero biases."""
    F = num_filters
    return [(rng.standard_normal((F, 1, 3, 3)) * np.sqrt(2 / 9)).astype(dtype),
            np.zeros(F, dtype=dtype),
            (rng.standard_normal((F * 169, 10)) * np.sqrt(2 / (F * 169))).astype(dtype),
            np.zeros(10, dtype=dtype)]


def cnn_step(params: list, x: np.ndarray, y: np.ndarray, lr: float) -> float:
    """One SGD step of Conv3x3(F), MaxPool2, Flatten, Dense(F*169, 10) on x (N, 1, 28, 28)."""
    W, b, V, c = params
    N, F = len(x), len(b)
    # conv: the 9 taps of every position as columns, one product per image
    cols = np.empty((N, 3, 3, 26, 26), dtype=x.dtype)
    for i in range(3):
        for j in range(3):
            cols[:, i, j] = x[:, 0, i:i + 26, j:j + 26]
    cols = cols.reshape(N, 9, 676)
    a = W.reshape(F, 9) @ cols + b[:, None]                     # (N, F, 676)
    a = a.reshape(N, F, 26, 26)
    # 2x2 max-pool: the four corners of every window; the gradient to the first maximum
    corners = [a[:, :, i::2, j::2] for i, j in ((0, 0), (0, 1), (1, 0), (1, 1))]
    h = np.maximum(np.maximum(corners[0], corners[1]), np.maximum(corners[2], corners[3]))
    loss, g = softmax_cross_entropy(h.reshape(N, -1) @ V + c, y)
    dV, dc = h.reshape(N, -1).T @ g, g.sum(axis=0)
    dh = (g @ V.T).reshape(h.shape)
    da = np.empty_like(a)
    taken = np.zeros(h.shape, dtype=bool)
    for corner, (i, j) in zip(corners, ((0, 0), (0, 1), (1, 0), (1, 1))):
        first = (corner == h) & ~taken
        taken |= first
        da[:, :, i::2, j::2] = dh * first
    da = da.reshape(N, F, 676)
    dW = np.matmul(da, cols.transpose(0, 2, 1)).sum(axis=0).reshape(F, 1, 3, 3)
    db = da.sum(axis=(0, 2))
    for p, d in zip(params, (dW, db, dV, dc)):
        p -= lr * d
    return loss
