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


def lstm_init(vocab: int, embed: int, hidden: int, rng: np.random.Generator,
              dtype=np.float32) -> list:
    """[W_emb (V, E), Wx (E, 4H), Wh (H, 4H), b (4H,), Wy (H, V), by (V,)], gates i, f, g, o."""
    bound, out_bound = 1 / np.sqrt(hidden), 1 / np.sqrt(hidden)
    return [rng.standard_normal((vocab, embed)).astype(dtype),
            rng.uniform(-bound, bound, (embed, 4 * hidden)).astype(dtype),
            rng.uniform(-bound, bound, (hidden, 4 * hidden)).astype(dtype),
            rng.uniform(-bound, bound, 4 * hidden).astype(dtype),
            rng.uniform(-out_bound, out_bound, (hidden, vocab)).astype(dtype),
            rng.uniform(-out_bound, out_bound, vocab).astype(dtype)]


def _sigmoid(a: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)


def lstm_step(params: list, x: np.ndarray, y: np.ndarray, mask: np.ndarray, lr: float) -> float:
    """One SGD step of Embedding -> LSTM -> Dense at every step, masked cross-entropy.

    x, y (N, T) tokens, mask (N, T) bool: the lesson-09 character model's training step.
    """
    W_emb, Wx, Wh, b, Wy, by = params
    N, T = x.shape
    H = Wh.shape[0]
    e = W_emb[x]                                                  # (N, T, E)
    ax = (e.reshape(N * T, -1) @ Wx + b).reshape(N, T, 4 * H)
    z = np.empty((N, T, 4 * H), dtype=e.dtype)                   # gates after nonlinearity
    c = np.empty((N, T, H), dtype=e.dtype)
    h = np.empty((N, T, H), dtype=e.dtype)
    h_t = np.zeros((N, H), dtype=e.dtype)
    c_t = np.zeros((N, H), dtype=e.dtype)
    for t in range(T):
        a = ax[:, t] + h_t @ Wh
        z[:, t, :2 * H] = _sigmoid(a[:, :2 * H])
        z[:, t, 2 * H:3 * H] = np.tanh(a[:, 2 * H:3 * H])
        z[:, t, 3 * H:] = _sigmoid(a[:, 3 * H:])
        c_t = z[:, t, H:2 * H] * c_t + z[:, t, :H] * z[:, t, 2 * H:3 * H]
        h_t = z[:, t, 3 * H:] * np.tanh(c_t)
        c[:, t], h[:, t] = c_t, h_t
    logits = h.reshape(N * T, H) @ Wy + by
    # masked softmax cross-entropy, mean over the real steps
    flat_y, flat_m = y.reshape(-1), mask.reshape(-1)
    s = logits - logits.max(axis=1, keepdims=True)
    log_p = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    count = flat_m.sum()
    rows = np.arange(N * T)
    loss = -float(log_p[rows, flat_y][flat_m].sum()) / count
    g = np.exp(log_p)
    g[rows, flat_y] -= 1
    g *= (flat_m / count)[:, None].astype(g.dtype)
    dWy, dby = h.reshape(N * T, H).T @ g, g.sum(axis=0)
    dh_out = (g @ Wy.T).reshape(N, T, H)
    # backpropagation through time
    tanh_c = np.tanh(c)
    da = np.empty_like(z)
    dh_next = np.zeros((N, H), dtype=e.dtype)
    dc_next = np.zeros((N, H), dtype=e.dtype)
    zeros = np.zeros((N, H), dtype=e.dtype)
    for t in range(T - 1, -1, -1):
        i, f = z[:, t, :H], z[:, t, H:2 * H]
        gg, o = z[:, t, 2 * H:3 * H], z[:, t, 3 * H:]
        c_prev = c[:, t - 1] if t else zeros
        dh = dh_out[:, t] + dh_next
        dc = dc_next + dh * o * (1 - tanh_c[:, t] ** 2)
        da[:, t, :H] = dc * gg * i * (1 - i)
        da[:, t, H:2 * H] = dc * c_prev * f * (1 - f)
        da[:, t, 2 * H:3 * H] = dc * i * (1 - gg ** 2)
        da[:, t, 3 * H:] = dh * tanh_c[:, t] * o * (1 - o)
        dc_next = dc * f
        dh_next = da[:, t] @ Wh.T
    h_prev = np.concatenate([np.zeros((N, 1, H), dtype=e.dtype), h[:, :-1]], axis=1)
    da2 = da.reshape(N * T, 4 * H)
    dWx = e.reshape(N * T, -1).T @ da2
    dWh = h_prev.reshape(N * T, H).T @ da2
    db = da2.sum(axis=0)
    de = da2 @ Wx.T
    dW_emb = np.zeros_like(W_emb)
    np.add.at(dW_emb, x.reshape(-1), de)
    for p, d in zip(params, (dW_emb, dWx, dWh, db, dWy, dby)):
        p -= lr * d
    return loss


# --------------------------------------------------------------------------------------
# Lesson 10: a causal character transformer (pre-LayerNorm blocks), one SGD step
# --------------------------------------------------------------------------------------
# Parameters: [E (V, D), P (T_max, D)] + per block [ln1 gamma, ln1 beta, Wq, Wk, Wv, Wo,
# bq, bk, bv, bo, ln2 gamma, ln2 beta, W1 (D, M), b1, W2 (M, D), b2] + [lnf gamma, lnf beta,
# Wout (D, V), bout (V,)]: the same maths as course_lib's Embedding, PositionalEmbedding,
# TransformerBlock, LayerNorm, TimeDense and SequenceCrossEntropyLoss, with the same
# initialisation (and so the same numbers from the same seed).
BLOCK_PARAMS = 16


def transformer_init(vocab: int, dim: int, heads: int, blocks: int, max_len: int,
                     rng: np.random.Generator, dtype=np.float32) -> list:
    """The parameters, drawn in the order course_lib's layers draw them from one generator."""
    D, M = dim, 4 * dim
    params = [rng.standard_normal((vocab, D)), rng.standard_normal((max_len, D))]
    for _ in range(blocks):
        b = 1 / np.sqrt(D)
        attn = [rng.uniform(-b, b, size=(D, D)) for _ in range(4)] + [np.zeros(D)] * 4
        W1 = rng.uniform(-1, 1, size=(D, M)) / np.sqrt(D)
        W2 = rng.uniform(-1, 1, size=(M, D)) / np.sqrt(M)
        params += [np.ones(D), np.zeros(D), *attn, np.ones(D), np.zeros(D),
                   W1, np.zeros(M), W2, np.zeros(D)]
    b = 1 / np.sqrt(D)
    params += [np.ones(D), np.zeros(D), rng.uniform(-b, b, size=(D, vocab)),
               rng.uniform(-b, b, size=vocab)]
    return [p.astype(dtype) for p in params]


def _layer_norm(x, gamma, beta, eps=1e-5):
    xc = x - x.mean(-1, keepdims=True)
    inv = 1 / np.sqrt((xc * xc).mean(-1, keepdims=True) + x.dtype.type(eps))
    x_hat = xc * inv
    return x_hat * gamma + beta, (x_hat, inv)


def _layer_norm_back(g, gamma, cache):
    x_hat, inv = cache
    gx = g * gamma
    dx = inv * (gx - gx.mean(-1, keepdims=True) - x_hat * (gx * x_hat).mean(-1, keepdims=True))
    return dx, (g * x_hat).reshape(-1, g.shape[-1]).sum(0), g.reshape(-1, g.shape[-1]).sum(0)


def _attention(x, Wq, Wk, Wv, Wo, bq, bk, bv, bo, heads):
    N, T, D = x.shape
    d = D // heads
    x2 = x.reshape(N * T, D)
    qkv = (x2 @ np.concatenate([Wq, Wk, Wv], 1) + np.concatenate([bq, bk, bv]))
    qkv = qkv.reshape(N, T, 3, heads, d).transpose(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    s = q @ k.transpose(0, 1, 3, 2) / x.dtype.type(np.sqrt(d))
    s = np.where(np.tril(np.ones((T, T), dtype=bool)), s, -np.inf)
    a = np.exp(s - s.max(-1, keepdims=True))
    a /= a.sum(-1, keepdims=True)
    o2 = (a @ v).transpose(0, 2, 1, 3).reshape(N * T, D)
    return (o2 @ Wo + bo).reshape(N, T, D), (x2, q, k, v, a, o2)


def _attention_back(g, Wq, Wk, Wv, Wo, heads, cache):
    x2, q, k, v, a, o2 = cache
    N, T, D = g.shape
    d = D // heads
    g2 = g.reshape(N * T, D)
    dWo, dbo = o2.T @ g2, g2.sum(0)
    do = (g2 @ Wo.T).reshape(N, T, heads, d).transpose(0, 2, 1, 3)
    dv = a.transpose(0, 1, 3, 2) @ do
    da = do @ v.transpose(0, 1, 3, 2)
    ds = a * (da - (da * a).sum(-1, keepdims=True)) / g.dtype.type(np.sqrt(d))
    dq, dk = ds @ k, ds.transpose(0, 1, 3, 2) @ q
    dqkv = np.stack([dq, dk, dv]).transpose(1, 3, 0, 2, 4).reshape(N * T, 3 * D)
    dW, db = x2.T @ dqkv, dqkv.sum(0)
    dx = (dqkv @ np.concatenate([Wq, Wk, Wv], 1).T).reshape(N, T, D)
    return dx, [dW[:, :D], dW[:, D:2 * D], dW[:, 2 * D:], dWo,
                db[:D], db[D:2 * D], db[2 * D:], dbo]


def transformer_step(params: list, inputs: np.ndarray, targets: np.ndarray, mask: np.ndarray,
                     heads: int, lr: float) -> float:
    """One SGD step on a batch of words: tokens (N, T), next tokens (N, T), mask (N, T)."""
    E, P = params[0], params[1]
    blocks = (len(params) - 6) // BLOCK_PARAMS
    N, T = inputs.shape
    x = E[inputs] + P[:T]
    caches = []
    for i in range(blocks):
        (g1, be1, Wq, Wk, Wv, Wo, bq, bk, bv, bo, g2, be2, W1, b1, W2, b2
         ) = params[2 + i * BLOCK_PARAMS: 2 + (i + 1) * BLOCK_PARAMS]
        n1, c1 = _layer_norm(x, g1, be1)
        att, ca = _attention(n1, Wq, Wk, Wv, Wo, bq, bk, bv, bo, heads)
        h = x + att
        n2, c2 = _layer_norm(h, g2, be2)
        n2f = n2.reshape(N * T, -1)
        r = np.maximum(n2f @ W1 + b1, 0)
        x = h + (r @ W2 + b2).reshape(N, T, -1)
        caches.append((c1, ca, c2, n2f, r))
    gf, bf, Wout, bout = params[-4:]
    nf, cf = _layer_norm(x, gf, bf)
    nf2 = nf.reshape(N * T, -1)
    z = (nf2 @ Wout + bout).reshape(N, T, -1)
    # masked softmax cross-entropy, mean over the counted positions
    count = int(mask.sum())
    zs = z - z.max(-1, keepdims=True)
    log_p = zs - np.log(np.exp(zs).sum(-1, keepdims=True))
    picked = np.take_along_axis(log_p, targets[..., None], axis=2)[..., 0]
    loss = -float((picked * mask).sum()) / count
    dz = np.exp(log_p)
    np.put_along_axis(dz, targets[..., None],
                      np.take_along_axis(dz, targets[..., None], axis=2) - 1, axis=2)
    dz *= (mask / count)[..., None].astype(dz.dtype)
    dz2 = dz.reshape(N * T, -1)
    grads = [None] * len(params)
    grads[-2], grads[-1] = nf2.T @ dz2, dz2.sum(0)
    dx, grads[-4], grads[-3] = _layer_norm_back((dz2 @ Wout.T).reshape(N, T, -1), gf, cf)
    for i in range(blocks - 1, -1, -1):
        base = 2 + i * BLOCK_PARAMS
        (g1, be1, Wq, Wk, Wv, Wo, bq, bk, bv, bo, g2, be2, W1, b1, W2, b2
         ) = params[base: base + BLOCK_PARAMS]
        c1, ca, c2, n2f, r = caches[i]
        dx2 = dx.reshape(N * T, -1)
        dW2, db2 = r.T @ dx2, dx2.sum(0)
        dr = (dx2 @ W2.T) * (r > 0)
        dW1, db1 = n2f.T @ dr, dr.sum(0)
        dn2, dg2, dbe2 = _layer_norm_back((dr @ W1.T).reshape(N, T, -1), g2, c2)
        dh = dx + dn2
        dn1, attn_grads = _attention_back(dh, Wq, Wk, Wv, Wo, heads, ca)
        dx1, dg1, dbe1 = _layer_norm_back(dn1, g1, c1)
        dx = dh + dx1
        grads[base: base + BLOCK_PARAMS] = [dg1, dbe1, *attn_grads, dg2, dbe2, dW1, db1, dW2, db2]
    grads[1] = np.zeros_like(P)
    grads[1][:T] = dx.sum(0)
    grads[0] = np.zeros_like(E)
    np.add.at(grads[0], inputs.ravel(), dx.reshape(N * T, -1))
    for p, d in zip(params, grads):
        p -= lr * d
    return loss


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
