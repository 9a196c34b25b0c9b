"""The benchmark's yardstick: the course's MLP and CNNs' training steps as minimal NumPy.

No classes, no checks, no framework: the same maths as ``course_lib`` (``Dense``,
``ReLU``, ``Conv3x3``, ``MaxPool2``, ``Flatten``, ``SoftmaxCrossEntropyLoss``, ``SGD``)
written as one function per step, on arrays of one dtype. ``benchmarks/bench.py``
times course_lib against it; ``tests/test_fast_paths.py`` checks that both give the
same numbers, so the comparison is between two codes of one computation.

Parameters are lists of arrays, updated in place: ``[W1, b1, W2, b2, ...]`` for the
MLP, ``[W_conv (F, 1, 3, 3), b_conv (F,), W_dense (F * 13 * 13, 10), b_dense (10,)]``
for the CNN on 28x28 images; ``[W1, b1, W2, b2, V1, c1, V2, c2]`` for lesson 08's
LeNet-style network (:func:`lenet_step`).
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


# --------------------------------------------------------------------------------------
# Lesson 08: the LeNet-style network of Conv2d and MaxPool2d
# --------------------------------------------------------------------------------------
def lenet_init(channels: tuple[int, int], hidden: int, rng: np.random.Generator,
               dtype=np.float32) -> list:
    """He-initialised [W1 (c1, 1, 5, 5), b1, W2 (c2, c1, 5, 5), b2, V1 (16 c2, hidden), c1,
    V2 (hidden, 10), c2] for 28x28 images."""
    c1, c2 = channels
    shapes = [((c1, 1, 5, 5), 25), ((c2, c1, 5, 5), 25 * c1), ((16 * c2, hidden), 16 * c2),
              ((hidden, 10), hidden)]
    params = []
    for shape, fan_in in shapes:
        params.append((rng.standard_normal(shape) * np.sqrt(2 / fan_in)).astype(dtype))
        params.append(np.zeros(shape[0] if len(shape) == 4 else shape[1], dtype=dtype))
    return params


def _conv_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Valid k x k convolution, stride 1: y (N, F, Ho, Wo) and the patch matrix
    (C k k, Ho Wo N), batch last, the layout of course_lib's Conv2d."""
    N, C, H, Wd = x.shape
    F, _, k, _ = W.shape
    Ho, Wo = H - k + 1, Wd - k + 1
    xt = x.transpose(1, 2, 3, 0)
    cols = np.empty((C, k, k, Ho, Wo, N), dtype=x.dtype)
    for i in range(k):
        for j in range(k):
            cols[:, i, j] = xt[:, i:i + Ho, j:j + Wo]
    cols = cols.reshape(C * k * k, -1)
    y = W.reshape(F, -1) @ cols + b[:, None]
    return np.ascontiguousarray(y.reshape(F, Ho, Wo, N).transpose(3, 0, 1, 2)), cols


def _conv_backward(g: np.ndarray, W: np.ndarray, cols: np.ndarray, x_shape: tuple,
                   input_grad: bool) -> tuple:
    """dW, db and (if input_grad) dx of :func:`_conv_forward`."""
    N, C, H, Wd = x_shape
    F, _, k, _ = W.shape
    Ho, Wo = H - k + 1, Wd - k + 1
    gmat = g.transpose(1, 2, 3, 0).reshape(F, -1)
    dW, db = (gmat @ cols.T).reshape(W.shape), gmat.sum(axis=1)
    if not input_grad:
        return dW, db, None
    d = (W.reshape(F, -1).T @ gmat).reshape(C, k, k, Ho, Wo, N)
    dxt = np.zeros((C, H, Wd, N), dtype=g.dtype)
    for i in range(k):
        for j in range(k):
            dxt[:, i:i + Ho, j:j + Wo] += d[:, i, j]
    return dW, db, np.ascontiguousarray(dxt.transpose(3, 0, 1, 2))


def _pool_forward(a: np.ndarray) -> np.ndarray:
    """2x2 max-pool, stride 2 (even sizes)."""
    return np.maximum(np.maximum(a[:, :, 0::2, 0::2], a[:, :, 0::2, 1::2]),
                      np.maximum(a[:, :, 1::2, 0::2], a[:, :, 1::2, 1::2]))


def _pool_backward(dh: np.ndarray, a: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Each window's gradient to its first maximum in row-major order."""
    da = np.empty_like(a)
    taken = np.zeros(h.shape, dtype=bool)
    for i, j in ((0, 0), (0, 1), (1, 0), (1, 1)):
        first = (a[:, :, i::2, j::2] == h) & ~taken
        taken |= first
        da[:, :, i::2, j::2] = dh * first
    return da


def lenet_step(params: list, x: np.ndarray, y: np.ndarray, lr: float) -> float:
    """One SGD step of Conv2d(1, c1, 5), MaxPool2d(2), ReLU, Conv2d(c1, c2, 5), MaxPool2d(2),
    ReLU, Flatten, Dense(16 c2, hidden), ReLU, Dense(hidden, 10) on x (N, 1, 28, 28)."""
    W1, b1, W2, b2, V1, c1, V2, c2 = params
    N = len(x)
    a1, cols1 = _conv_forward(x, W1, b1)                 # (N, c1, 24, 24)
    p1 = _pool_forward(a1)
    h1 = np.maximum(p1, 0)                               # (N, c1, 12, 12)
    a2, cols2 = _conv_forward(h1, W2, b2)                # (N, c2, 8, 8)
    p2 = _pool_forward(a2)
    h2 = np.maximum(p2, 0).reshape(N, -1)                # (N, 16 c2)
    z1 = h2 @ V1 + c1
    h3 = np.maximum(z1, 0)
    loss, g = softmax_cross_entropy(h3 @ V2 + c2, y)
    dV2, dc2 = h3.T @ g, g.sum(axis=0)
    g = (g @ V2.T) * (z1 > 0)
    dV1, dc1 = h2.T @ g, g.sum(axis=0)
    g = ((g @ V1.T).reshape(p2.shape)) * (p2 > 0)
    dW2, db2, g = _conv_backward(_pool_backward(g, a2, p2), W2, cols2, h1.shape, True)
    g = _pool_backward(g * (p1 > 0), a1, p1)
    dW1, db1, _ = _conv_backward(g, W1, cols1, x.shape, False)
    for p, d in zip(params, (dW1, db1, dW2, db2, dV1, dc1, dV2, dc2)):
        p -= lr * d
    return loss
