"""Attention and the pieces of a small transformer: LayerNorm, MultiHeadSelfAttention,
PositionalEmbedding, FeedForward, TransformerBlock, and the functions they are made of.

Sequences are batch first: vectors (N, T, D) (batch, positions, features). Every
weight is used as ``x @ W`` (the course's convention): a PyTorch ``nn.Linear``'s
``weight`` is ``W.T``.

The functions do one step each, on plain arrays, so that a lesson can show (and a
check can compare) one idea at a time:

- :func:`scaled_dot_product_attention` and :func:`attention_backward`:
  ``softmax(Q K^T / sqrt(d)) V`` over the last two axes, and its gradients;
- :func:`causal_mask`: which positions a position may look at (itself and earlier);
- :func:`split_heads` and :func:`merge_heads`: (N, T, D) <-> (N, heads, T, D / heads);
- :func:`layer_norm_backward`: the gradient through the normalisation of the last axis.
"""

from __future__ import annotations

import math

import numpy as np

from ..initializers import as_generator
from ..validation import check_float_array, check_float_dtype, check_int, check_number, \
    values_checked
from .core import Layer, softmax


# --------------------------------------------------------------------------------------
# The functions
# --------------------------------------------------------------------------------------
def causal_mask(T: int) -> np.ndarray:
    """Which keys each query may attend to when the future is hidden.

    Returns a bool array (T, T): ``mask[t, s]`` is True when s <= t (the lower
    triangle, diagonal included: a position sees itself and every earlier one).
    """
    T = check_int(T, "T", where="causal_mask")
    return np.tril(np.ones((T, T), dtype=bool))


def scaled_dot_product_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray,
                                 mask: np.ndarray | None = None
                                 ) -> tuple[np.ndarray, np.ndarray]:
    """``softmax(q k^T / sqrt(d)) v`` over the last two axes, with an optional mask.

    Parameters
    ----------
    q : ndarray, shape (..., T, d)
        Queries, one per position (any leading axes: batch, heads).
    k : ndarray, shape (..., S, d)
        Keys, one per position that can be looked at.
    v : ndarray, shape (..., S, e)
        Values, what each position hands over.
    mask : bool ndarray, shape (T, S) (or broadcastable to (..., T, S)), optional
        True where query t may look at key s. A masked score becomes -inf before
        the softmax, so its weight is exactly 0; every row must keep one True.

    Returns
    -------
    out : ndarray, shape (..., T, e)
        Each query's weighted average of the values.
    weights : ndarray, shape (..., T, S)
        The attention weights: each row is >= 0 and sums to 1 over the keys.
    """
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1]).astype(q.dtype)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    weights = softmax(scores)
    return weights @ v, weights


def attention_backward(grad_out: np.ndarray, q: np.ndarray, k: np.ndarray, v: np.ndarray,
                       weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`scaled_dot_product_attention` with respect to q, k and v.

    With ``A`` the weights (forward's second output), ``G`` = dL/dout and
    ``s = 1 / sqrt(d)``::

        dV = A^T G                          # each value, weighted by who looked at it
        dA = G V^T
        dS = A * (dA - sum(dA * A, axis=-1))   # the softmax's vector-Jacobian product, by row
        dQ = s dS K,   dK = s dS^T Q

    Masked weights are 0, so their dS is 0 too: a mask needs no extra term.
    """
    scale = 1.0 / np.sqrt(q.shape[-1]).astype(q.dtype)
    dv = np.swapaxes(weights, -1, -2) @ grad_out
    da = grad_out @ np.swapaxes(v, -1, -2)
    ds = weights * (da - (da * weights).sum(axis=-1, keepdims=True)) * scale
    return ds @ k, np.swapaxes(ds, -1, -2) @ q, dv


def split_heads(x: np.ndarray, num_heads: int) -> np.ndarray:
    """(N, T, D) -> (N, heads, T, D / heads): head h gets features h*d to (h+1)*d - 1.

    The reshape splits the feature axis (the last) into (heads, d); the transpose then
    puts heads before positions. Reshaping straight to (N, heads, T, d) would mix
    positions and features instead.
    """
    N, T, D = x.shape
    return x.reshape(N, T, num_heads, D // num_heads).transpose(0, 2, 1, 3)


def merge_heads(x: np.ndarray) -> np.ndarray:
    """(N, heads, T, d) -> (N, T, heads * d): the inverse of :func:`split_heads`."""
    N, H, T, d = x.shape
    return x.transpose(0, 2, 1, 3).reshape(N, T, H * d)


def layer_norm_backward(grad_out: np.ndarray, x_hat: np.ndarray, inv_std: np.ndarray,
                        gamma: np.ndarray) -> np.ndarray:
    """dL/dx of ``y = gamma * x_hat + beta``, ``x_hat = (x - mean) * inv_std`` over the last axis.

    Every feature of a row moves that row's mean and variance, hence the two mean
    terms (means over the last axis)::

        g' = grad_out * gamma
        dx = inv_std * (g' - mean(g') - x_hat * mean(g' * x_hat))
    """
    gx = grad_out * gamma
    return inv_std * (gx - gx.mean(axis=-1, keepdims=True)
                      - x_hat * (gx * x_hat).mean(axis=-1, keepdims=True))


# --------------------------------------------------------------------------------------
# The layers
# --------------------------------------------------------------------------------------
def _check_features(layer: Layer, x: np.ndarray, D: int, what: str) -> None:
    if x.shape[-1] != D:
        raise ValueError(f"{layer!r}.forward expects {what} with {D} features on the last axis, "
                         f"got shape {x.shape}.")


class LayerNorm(Layer):
    """Layer normalisation (Ba et al., 2016): each sample's features to mean 0, variance 1.

    Parameters
    ----------
    normalized_shape : int
        D, the size of the last axis (the one normalised).
    eps : float, default 1e-5
        > 0, added to the variance before the square root.
    dtype : float32 or float64, default float64

    Shapes: x (N, D) or (N, T, D) -> y, the same shape. Params "gamma" (D,), ones,
    and "beta" (D,), zeros. Over the last axis, with the *biased* variance (as PyTorch)::

        x_hat = (x - mean) / sqrt(var + eps),   y = gamma * x_hat + beta

    Unlike BatchNorm, the statistics are each row's own: no batch statistics, no
    running averages, the same computation in training and evaluation.
    Backward: see :func:`layer_norm_backward`; ``dgamma = sum(g * x_hat)`` and
    ``dbeta = sum(g)`` over every axis but the last.
    """

    def __init__(self, normalized_shape: int, *, eps: float = 1e-5,
                 dtype: type = np.float64) -> None:
        super().__init__()
        self.normalized_shape = check_int(normalized_shape, "normalized_shape", where="LayerNorm")
        self.eps = check_number(eps, "eps", where="LayerNorm", low=0.0, low_open=True)
        dtype = check_float_dtype(dtype, where="LayerNorm")
        self.params["gamma"] = np.ones(self.normalized_shape, dtype=dtype)
        self.params["beta"] = np.zeros(self.normalized_shape, dtype=dtype)

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x, ndim=(2, 3))
        _check_features(self, x, self.normalized_shape, "x")
        dt = x.dtype
        xc = x - x.mean(axis=-1, keepdims=True)
        var = (xc * xc).mean(axis=-1, keepdims=True)
        self._inv_std = 1.0 / np.sqrt(var + dt.type(self.eps))
        self._x_hat = xc * self._inv_std
        y = self._x_hat * self.params["gamma"].astype(dt, copy=False) \
            + self.params["beta"].astype(dt, copy=False)
        self._out_shape = y.shape
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        g = self._check_grad_out(grad_out)
        gamma = self.params["gamma"]
        D = self.normalized_shape
        g2, x_hat2 = g.reshape(-1, D), self._x_hat.reshape(-1, D)
        self.grads["gamma"] = (g2 * x_hat2).sum(axis=0).astype(gamma.dtype, copy=False)
        self.grads["beta"] = g2.sum(axis=0).astype(gamma.dtype, copy=False)
        return layer_norm_backward(g, self._x_hat, self._inv_std,
                                   gamma.astype(g.dtype, copy=False))

    def __repr__(self) -> str:
        return f"LayerNorm({self.normalized_shape}, eps={self.eps})"


class MultiHeadSelfAttention(Layer):
    """Multi-head self-attention: every position looks at the positions of its own sequence.

    Parameters
    ----------
    embed_dim : int
        D, the features of each position, in and out.
    num_heads : int
        How many heads; must divide D. Each head works on d = D / heads features.
    causal : bool, default False
        If True, position t attends to positions <= t only (:func:`causal_mask`),
        as a model that predicts the next token must.
    rng : numpy.random.Generator, int or None
        Source of randomness: weights uniform in +-1/sqrt(D) (PyTorch's ``nn.Linear``),
        biases zero.
    dtype : float32 or float64, default float64

    Shapes: x (N, T, D) -> y (N, T, D). Params "Wq", "Wk", "Wv", "Wo" (D, D) and
    "bq", "bk", "bv", "bo" (D,)::

        Q, K, V = x Wq + bq, x Wk + bk, x Wv + bv        # (N, T, D) each
        per head h (features h*d to (h+1)*d - 1):
            O_h = softmax(Q_h K_h^T / sqrt(d)) V_h        # (N, T, d)
        y = [O_1 ... O_heads] Wo + bo

    After ``forward``, ``attn_weights`` (N, heads, T, T) holds every head's weights
    (row t: how much position t took from each position), to look at.
    ``backward(g, input_grad=False)`` fills the grads only and returns None.
    """

    _NAMES = ("q", "k", "v")

    def __init__(self, embed_dim: int, num_heads: int, *, causal: bool = False,
                 rng: np.random.Generator | int | None = None, dtype: type = np.float64) -> None:
        super().__init__()
        where = "MultiHeadSelfAttention"
        self.embed_dim = check_int(embed_dim, "embed_dim", where=where)
        self.num_heads = check_int(num_heads, "num_heads", where=where)
        if self.embed_dim % self.num_heads:
            raise ValueError(f"{where}: embed_dim ({self.embed_dim}) must be divisible by "
                             f"num_heads ({self.num_heads}): each head gets embed_dim / num_heads "
                             f"features. Divisors of {self.embed_dim}: "
                             f"{[h for h in range(1, self.embed_dim + 1) if self.embed_dim % h == 0]}.")
        if not isinstance(causal, (bool, np.bool_)):
            raise TypeError(f"{where}: causal must be True or False, got {causal!r}.")
        self.causal = bool(causal)
        dtype = check_float_dtype(dtype, where=where)
        rng = as_generator(rng)
        D = self.embed_dim
        bound = 1.0 / math.sqrt(D)
        for name in ("q", "k", "v", "o"):
            self.params[f"W{name}"] = rng.uniform(-bound, bound, size=(D, D)).astype(dtype)
        for name in ("q", "k", "v", "o"):
            self.params[f"b{name}"] = np.zeros(D, dtype=dtype)
        self.attn_weights: np.ndarray | None = None

    @property
    def head_dim(self) -> int:
        return self.embed_dim // self.num_heads

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x, ndim=3)
        _check_features(self, x, self.embed_dim, "x (N, T, D)")
        N, T, D = x.shape
        dt, p, H = x.dtype, self.params, self.num_heads
        # The three projections as one product: x (N*T, D) @ [Wq Wk Wv] (D, 3D).
        W_qkv = np.concatenate([p["Wq"], p["Wk"], p["Wv"]], axis=1).astype(dt, copy=False)
        b_qkv = np.concatenate([p["bq"], p["bk"], p["bv"]]).astype(dt, copy=False)
        x2 = x.reshape(N * T, D)
        qkv = (x2 @ W_qkv + b_qkv).reshape(N, T, 3, H, D // H).transpose(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]                          # (N, H, T, d) each
        mask = causal_mask(T) if self.causal else None
        o, weights = scaled_dot_product_attention(q, k, v, mask)
        o2 = merge_heads(o).reshape(N * T, D)
        y = (o2 @ p["Wo"].astype(dt, copy=False) + p["bo"].astype(dt, copy=False)).reshape(N, T, D)
        self._x2, self._q, self._k, self._v, self._o2 = x2, q, k, v, o2
        self.attn_weights = weights
        self._out_shape = y.shape
        return y

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        g = self._check_grad_out(grad_out)
        N, T, D = g.shape
        p, H, dt = self.params, self.num_heads, g.dtype
        g2 = g.reshape(N * T, D)
        self.grads["Wo"] = (self._o2.T @ g2).astype(p["Wo"].dtype, copy=False)
        self.grads["bo"] = g2.sum(axis=0).astype(p["bo"].dtype, copy=False)
        do = split_heads((g2 @ p["Wo"].T.astype(dt, copy=False)).reshape(N, T, D), H)
        dq, dk, dv = attention_backward(do, self._q, self._k, self._v, self.attn_weights)
        # (3, N, H, T, d) -> (N*T, 3D), the columns in the order of [Wq Wk Wv].
        dqkv = np.stack([dq, dk, dv]).transpose(1, 3, 0, 2, 4).reshape(N * T, 3 * D)
        dW = self._x2.T @ dqkv
        db = dqkv.sum(axis=0)
        for i, name in enumerate(self._NAMES):
            self.grads[f"W{name}"] = dW[:, i * D:(i + 1) * D].astype(p[f"W{name}"].dtype)
            self.grads[f"b{name}"] = db[i * D:(i + 1) * D].astype(p[f"b{name}"].dtype)
        if not input_grad:
            return None
        W_qkv = np.concatenate([p["Wq"], p["Wk"], p["Wv"]], axis=1).astype(dt, copy=False)
        return (dqkv @ W_qkv.T).reshape(N, T, D)

    def __repr__(self) -> str:
        causal = ", causal=True" if self.causal else ""
        return f"MultiHeadSelfAttention({self.embed_dim}, heads={self.num_heads}{causal})"


class PositionalEmbedding(Layer):
    """Learned positional embeddings: add a trained vector for each position.

    Attention itself ignores order (permute the positions and the outputs are
    permuted the same way); adding ``P[t]`` to the input at position t tells the
    model where each token sits.

    Parameters
    ----------
    max_len : int
        The longest sequence the layer accepts (rows of P).
    embed_dim : int
        D, the features of each position.
    rng : numpy.random.Generator, int or None
        Source of randomness: P standard normal (as PyTorch's ``nn.Embedding``).
    dtype : float32 or float64, default float64

    Shapes: x (N, T, D), T <= max_len -> y = x + P[:T] (N, T, D). Params "P" (max_len, D).
    Gradients: dx = g, dP[:T] = g summed over the batch (rows past T get 0).
    """

    def __init__(self, max_len: int, embed_dim: int, *,
                 rng: np.random.Generator | int | None = None, dtype: type = np.float64) -> None:
        super().__init__()
        self.max_len = check_int(max_len, "max_len", where="PositionalEmbedding")
        self.embed_dim = check_int(embed_dim, "embed_dim", where="PositionalEmbedding")
        dtype = check_float_dtype(dtype, where="PositionalEmbedding")
        self.params["P"] = as_generator(rng).standard_normal(
            (self.max_len, self.embed_dim)).astype(dtype)

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x, ndim=3)
        _check_features(self, x, self.embed_dim, "x (N, T, D)")
        T = x.shape[1]
        if T > self.max_len:
            raise ValueError(f"{self!r}.forward: the sequences have {T} positions but the layer "
                             f"has embeddings for {self.max_len} (max_len); build it with "
                             f"max_len >= {T} or pass shorter sequences.")
        y = x + self.params["P"][:T].astype(x.dtype, copy=False)
        self._out_shape = y.shape
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        g = self._check_grad_out(grad_out)
        P = self.params["P"]
        dP = np.zeros_like(P)
        dP[:g.shape[1]] = g.sum(axis=0)
        self.grads["P"] = dP
        return g

    def __repr__(self) -> str:
        return f"PositionalEmbedding({self.max_len}, {self.embed_dim})"


class FeedForward(Layer):
    """The transformer's MLP, applied to each position alone: ``relu(x W1 + b1) W2 + b2``.

    Parameters
    ----------
    embed_dim : int
        D, the features in and out.
    hidden_dim : int
        The hidden layer's width (often 4 D).
    rng : numpy.random.Generator, int or None
        Weights uniform in +-1/sqrt(fan_in) (PyTorch's ``nn.Linear``), biases zero.
    dtype : float32 or float64, default float64

    Shapes: x (N, T, D) (or (N, D)) -> y, the same shape. Params "W1" (D, hidden),
    "b1" (hidden,), "W2" (hidden, D), "b2" (D,). The weights are shared by every
    position: their gradients sum over the batch and the positions.
    """

    def __init__(self, embed_dim: int, hidden_dim: int, *,
                 rng: np.random.Generator | int | None = None, dtype: type = np.float64) -> None:
        super().__init__()
        self.embed_dim = check_int(embed_dim, "embed_dim", where="FeedForward")
        self.hidden_dim = check_int(hidden_dim, "hidden_dim", where="FeedForward")
        dtype = check_float_dtype(dtype, where="FeedForward")
        rng = as_generator(rng)
        D, M = self.embed_dim, self.hidden_dim
        self.params["W1"] = rng.uniform(-1, 1, size=(D, M)).astype(dtype) / dtype.type(math.sqrt(D))
        self.params["b1"] = np.zeros(M, dtype=dtype)
        self.params["W2"] = rng.uniform(-1, 1, size=(M, D)).astype(dtype) / dtype.type(math.sqrt(M))
        self.params["b2"] = np.zeros(D, dtype=dtype)

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x, ndim=(2, 3))
        _check_features(self, x, self.embed_dim, "x")
        p, dt, D = self.params, x.dtype, self.embed_dim
        x2 = x.reshape(-1, D)
        h = np.maximum(x2 @ p["W1"].astype(dt, copy=False) + p["b1"].astype(dt, copy=False), 0)
        y = (h @ p["W2"].astype(dt, copy=False) + p["b2"].astype(dt, copy=False)).reshape(x.shape)
        self._x2, self._h = x2, h
        self._out_shape = y.shape
        return y

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        g = self._check_grad_out(grad_out)
        p, dt = self.params, g.dtype
        g2 = g.reshape(-1, self.embed_dim)
        self.grads["W2"] = (self._h.T @ g2).astype(p["W2"].dtype, copy=False)
        self.grads["b2"] = g2.sum(axis=0).astype(p["b2"].dtype, copy=False)
        dh = (g2 @ p["W2"].T.astype(dt, copy=False)) * (self._h > 0)
        self.grads["W1"] = (self._x2.T @ dh).astype(p["W1"].dtype, copy=False)
        self.grads["b1"] = dh.sum(axis=0).astype(p["b1"].dtype, copy=False)
        if not input_grad:
            return None
        return (dh @ p["W1"].T.astype(dt, copy=False)).reshape(g.shape)

    def __repr__(self) -> str:
        return f"FeedForward({self.embed_dim} -> {self.hidden_dim} -> {self.embed_dim})"


class TransformerBlock(Layer):
    """A pre-LayerNorm transformer block: attention, then an MLP, each added to its input.

    Parameters
    ----------
    embed_dim : int
        D, the features of each position, in and out.
    num_heads : int
        Heads of the attention; must divide D.
    mlp_ratio : int, default 4
        The MLP's hidden width is ``mlp_ratio * D``.
    causal : bool, default True
        Whether the attention hides the future (True for a next-token model).
    rng : numpy.random.Generator, int or None
    dtype : float32 or float64, default float64

    Shapes: x (N, T, D) -> y (N, T, D)::

        h = x + attn(ln1(x))        # residual connections: the gradient reaches x
        y = h + mlp(ln2(h))         # through the "+ x" paths undiminished

    Params: the parts' params with the part's name first ("ln1.gamma", "attn.Wq",
    "mlp.W1", ...): the same arrays as the parts', so an optimiser that updates
    them in place updates the parts. The parts are ``ln1``, ``attn``, ``ln2``, ``mlp``.
    """

    _PARTS = ("ln1", "attn", "ln2", "mlp")

    def __init__(self, embed_dim: int, num_heads: int, *, mlp_ratio: int = 4,
                 causal: bool = True, rng: np.random.Generator | int | None = None,
                 dtype: type = np.float64) -> None:
        super().__init__()
        where = "TransformerBlock"
        self.embed_dim = check_int(embed_dim, "embed_dim", where=where)
        mlp_ratio = check_int(mlp_ratio, "mlp_ratio", where=where)
        rng = as_generator(rng)
        self.ln1 = LayerNorm(self.embed_dim, dtype=dtype)
        self.attn = MultiHeadSelfAttention(self.embed_dim, num_heads, causal=causal, rng=rng,
                                           dtype=dtype)
        self.ln2 = LayerNorm(self.embed_dim, dtype=dtype)
        self.mlp = FeedForward(self.embed_dim, mlp_ratio * self.embed_dim, rng=rng, dtype=dtype)

    def _parts(self) -> list[tuple[str, Layer]]:
        return [(name, getattr(self, name)) for name in self._PARTS]

    @property
    def params(self) -> dict[str, np.ndarray]:
        return {f"{part}.{k}": v for part, layer in self._parts() for k, v in layer.params.items()}

    @params.setter
    def params(self, value: dict) -> None:  # set by Layer.__init__; the parts own the arrays
        pass

    @property
    def grads(self) -> dict[str, np.ndarray]:
        return {f"{part}.{k}": v for part, layer in self._parts() for k, v in layer.grads.items()}

    @grads.setter
    def grads(self, value: dict) -> None:
        pass

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x, ndim=3)
        _check_features(self, x, self.embed_dim, "x (N, T, D)")
        with values_checked():  # x was scanned just above; the parts need not scan again
            h = x + self.attn.forward(self.ln1.forward(x))
            y = h + self.mlp.forward(self.ln2.forward(h))
        self._out_shape = y.shape
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        g = self._check_grad_out(grad_out)
        with values_checked():
            dh = g + self.ln2.backward(self.mlp.backward(g))
            return dh + self.ln1.backward(self.attn.backward(dh))

    def astype(self, dtype: type) -> "TransformerBlock":
        for _, layer in self._parts():
            layer.astype(dtype)
        return self

    def __repr__(self) -> str:
        causal = ", causal=True" if self.attn.causal else ""
        return (f"TransformerBlock({self.embed_dim}, heads={self.attn.num_heads}, "
                f"mlp={self.mlp.hidden_dim}{causal})")


__all__ = ["LayerNorm", "MultiHeadSelfAttention", "PositionalEmbedding", "FeedForward",
           "TransformerBlock", "causal_mask", "scaled_dot_product_attention",
           "attention_backward", "split_heads", "merge_heads", "layer_norm_backward"]
