"""LayerNorm and MultiHeadSelfAttention against PyTorch (CPU, float64): outputs, input gradients
and every parameter gradient agree to TOL.

The PyTorch side is built from functional ops (``torch.nn.functional.layer_norm``, ``softmax``,
matrix products) with course_lib's weights copied in, in the course's ``x @ W`` convention, so
that the two sides share the maths and nothing else: the forward is PyTorch's arithmetic and the
gradients are PyTorch's autograd, against course_lib's hand-written backward.
"""

import numpy as np
import pytest

from course_lib.layers import LayerNorm, MultiHeadSelfAttention

torch = pytest.importorskip("torch")

TOL = 1e-7  # the tolerance of every independent check (tests/independent/conftest.py)
F = torch.nn.functional


def close(got: np.ndarray, expected: "torch.Tensor", what: str) -> None:
    np.testing.assert_allclose(got, expected.detach().numpy(), rtol=TOL, atol=TOL, err_msg=what)


def leaf(a: np.ndarray) -> "torch.Tensor":
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("shape", [(5, 8), (3, 6, 8)])
def test_layer_norm(seed, shape):
    rng = np.random.default_rng(seed)
    layer = LayerNorm(shape[-1])
    layer.params["gamma"][:] = rng.standard_normal(shape[-1])
    layer.params["beta"][:] = rng.standard_normal(shape[-1])
    x = rng.standard_normal(shape) * 2 + 0.5
    g = rng.standard_normal(shape)

    y = layer.forward(x)
    dx = layer.backward(g)

    tx, tgamma, tbeta = leaf(x), leaf(layer.params["gamma"]), leaf(layer.params["beta"])
    ty = F.layer_norm(tx, (shape[-1],), tgamma, tbeta, eps=layer.eps)
    ty.backward(torch.tensor(g))
    close(y, ty, "LayerNorm output")
    close(dx, tx.grad, "LayerNorm dL/dx")
    close(layer.grads["gamma"], tgamma.grad, "LayerNorm dL/dgamma")
    close(layer.grads["beta"], tbeta.grad, "LayerNorm dL/dbeta")


def torch_attention(x, p, num_heads: int, causal: bool):
    """Multi-head self-attention from PyTorch's functional ops, weights as x @ W."""
    N, T, D = x.shape
    d = D // num_heads

    def heads(t):  # (N, T, D) -> (N, heads, T, d)
        return t.reshape(N, T, num_heads, d).transpose(1, 2)

    q, k, v = (heads(x @ p[f"W{n}"] + p[f"b{n}"]) for n in "qkv")
    scores = q @ k.transpose(-1, -2) / d ** 0.5
    if causal:
        allowed = torch.tril(torch.ones(T, T, dtype=torch.bool))
        scores = scores.masked_fill(~allowed, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    o = (weights @ v).transpose(1, 2).reshape(N, T, D)
    return o @ p["Wo"] + p["bo"], weights


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("num_heads", [1, 4])
@pytest.mark.parametrize("causal", [False, True])
def test_multi_head_self_attention(seed, num_heads, causal):
    rng = np.random.default_rng(seed)
    N, T, D = 3, 7, 8
    layer = MultiHeadSelfAttention(D, num_heads, causal=causal, rng=seed)
    for name, value in layer.params.items():  # non-zero biases too
        value[...] = rng.standard_normal(value.shape) * 0.5
    x = rng.standard_normal((N, T, D))
    g = rng.standard_normal((N, T, D))

    y = layer.forward(x)
    dx = layer.backward(g)

    tx = leaf(x)
    tp = {name: leaf(value) for name, value in layer.params.items()}
    ty, tw = torch_attention(tx, tp, num_heads, causal)
    ty.backward(torch.tensor(g))

    close(y, ty, "attention output")
    close(layer.attn_weights, tw, "attention weights")
    close(dx, tx.grad, "attention dL/dx")
    assert set(layer.grads) == set(tp)
    for name in tp:
        close(layer.grads[name], tp[name].grad, f"attention dL/d{name}")


def test_against_torch_multihead_attention_module():
    """And against nn.MultiheadAttention itself (its weights are x @ W.T: W transposed)."""
    rng = np.random.default_rng(3)
    N, T, D, H = 2, 5, 6, 3
    layer = MultiHeadSelfAttention(D, H, causal=True, rng=3)
    for value in layer.params.values():
        value[...] = rng.standard_normal(value.shape) * 0.5
    p = layer.params
    x = rng.standard_normal((N, T, D))
    mha = torch.nn.MultiheadAttention(D, H, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.tensor(np.concatenate([p["Wq"], p["Wk"], p["Wv"]], 1).T))
        mha.in_proj_bias.copy_(torch.tensor(np.concatenate([p["bq"], p["bk"], p["bv"]])))
        mha.out_proj.weight.copy_(torch.tensor(p["Wo"].T))
        mha.out_proj.bias.copy_(torch.tensor(p["bo"]))
    tx = torch.tensor(x)
    future = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)  # True = hidden
    ty, tw = mha(tx, tx, tx, attn_mask=future, average_attn_weights=False)
    close(layer.forward(x), ty, "attention output vs nn.MultiheadAttention")
    close(layer.attn_weights, tw, "attention weights vs nn.MultiheadAttention")
