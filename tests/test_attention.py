"""Attention and the transformer's pieces: gradients against central differences, the
properties that define them (causality, order, normalisation), stability and clear errors."""

import numpy as np
import pytest

from course_lib.gradcheck import check_layer, numerical_gradient, relative_error
from course_lib.layers import (FeedForward, LayerNorm, MultiHeadSelfAttention,
                               PositionalEmbedding, TransformerBlock, attention_backward,
                               causal_mask, layer_norm_backward, merge_heads,
                               scaled_dot_product_attention, split_heads)
from course_lib.model import Sequential

TOL = 1e-6
SEEDS = [0, 1, 2]


def assert_gradients(errors, zero=()):
    """Every relative error < TOL, except for the parameters in ``zero``, whose gradient
    is exactly 0 (checked separately): there the relative error compares noise with noise."""
    assert errors
    for name, err in errors.items():
        if name not in zero:
            assert err < TOL, f"gradient of {name}: relative error {err:.2e}"


def randomise(layer, rng):
    """Non-trivial values for every parameter (LayerNorm starts at gamma 1, beta 0)."""
    for name, p in layer.params.items():
        p[...] = rng.standard_normal(p.shape) * (0.5 if p.ndim == 2 else 1.0)
    return layer


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", [(3, 5), (2, 4, 5), (1, 1, 3)])
def test_layer_norm_gradients(seed, shape):
    rng = np.random.default_rng(seed)
    layer = randomise(LayerNorm(shape[-1]), rng)
    errors = check_layer(layer, rng.standard_normal(shape) * 3 + 1, seed=seed)
    assert set(errors) == {"x", "gamma", "beta"}
    assert_gradients(errors)


def test_layer_norm_forward_normalises_each_row():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 6, 8)) * 5 + 3
    y = LayerNorm(8).forward(x)
    np.testing.assert_allclose(y.mean(axis=-1), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=-1), 1, atol=1e-5)  # biased variance, eps 1e-5
    # each row alone: the same row in another batch gives the same output
    np.testing.assert_allclose(LayerNorm(8).forward(x[1:2]), y[1:2])


def test_layer_norm_constant_row_is_finite():
    y = LayerNorm(4).forward(np.full((2, 4), 1e6))
    assert np.isfinite(y).all() and np.abs(y).max() < 1e-6


def test_layer_norm_backward_function_matches_numerical():
    rng = np.random.default_rng(3)
    x, gamma, G = rng.standard_normal((3, 7)), rng.standard_normal(7), rng.standard_normal((3, 7))

    def f():
        xc = x - x.mean(-1, keepdims=True)
        return float((gamma * xc / np.sqrt((xc ** 2).mean(-1, keepdims=True) + 1e-5) * G).sum())

    xc = x - x.mean(-1, keepdims=True)
    inv = 1 / np.sqrt((xc ** 2).mean(-1, keepdims=True) + 1e-5)
    dx = layer_norm_backward(G, xc * inv, inv, gamma)
    assert relative_error(dx, numerical_gradient(f, x)) < TOL


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("heads", [1, 2, 4])
@pytest.mark.parametrize("causal", [False, True])
def test_attention_gradients(seed, heads, causal):
    rng = np.random.default_rng(seed)
    layer = randomise(MultiHeadSelfAttention(8, heads, causal=causal, rng=seed), rng)
    x = rng.standard_normal((2, 5, 8))
    errors = check_layer(layer, x, seed=seed)
    assert set(errors) == {"x", "Wq", "Wk", "Wv", "Wo", "bq", "bk", "bv", "bo"}
    # bk adds q . bk to every score of a row, which the softmax ignores: its gradient is 0.
    assert_gradients(errors, zero={"bk"})
    assert np.abs(layer.grads["bk"]).max() < 1e-12


def test_attention_input_grad_false_fills_grads_only():
    rng = np.random.default_rng(0)
    layer = MultiHeadSelfAttention(6, 2, causal=True, rng=0)
    x, g = rng.standard_normal((3, 4, 6)), rng.standard_normal((3, 4, 6))
    layer.forward(x)
    dx = layer.backward(g)
    full = {k: v.copy() for k, v in layer.grads.items()}
    layer.forward(x)
    assert layer.backward(g, input_grad=False) is None and dx.shape == x.shape
    for k, v in full.items():
        np.testing.assert_allclose(layer.grads[k], v)


@pytest.mark.parametrize("heads", [1, 3])
def test_causal_attention_ignores_the_future(heads):
    rng = np.random.default_rng(1)
    layer = MultiHeadSelfAttention(6, heads, causal=True, rng=1)
    x = rng.standard_normal((2, 7, 6))
    y = layer.forward(x)
    x2 = x.copy()
    x2[:, 4:] = rng.standard_normal((2, 3, 6)) * 10  # change positions 4, 5, 6
    y2 = layer.forward(x2)
    np.testing.assert_allclose(y2[:, :4], y[:, :4], atol=1e-12)
    assert not np.allclose(y2[:, 4:], y[:, 4:])
    w = layer.attn_weights
    assert w.shape == (2, heads, 7, 7)
    np.testing.assert_allclose(w.sum(-1), 1)
    assert (w[..., ~causal_mask(7)] == 0).all()


def test_attention_without_mask_is_permutation_equivariant():
    """Without positions, attention does not know the order: permuting the inputs permutes the
    outputs the same way (why a transformer needs positional embeddings)."""
    rng = np.random.default_rng(2)
    layer = MultiHeadSelfAttention(4, 2, rng=2)
    x = rng.standard_normal((1, 5, 4))
    perm = np.array([3, 0, 4, 1, 2])
    np.testing.assert_allclose(layer.forward(x[:, perm]), layer.forward(x)[:, perm], atol=1e-12)


def test_attention_one_head_matches_the_formula():
    rng = np.random.default_rng(4)
    layer = randomise(MultiHeadSelfAttention(3, 1, rng=4), rng)
    p = layer.params
    x = rng.standard_normal((1, 4, 3))[0]
    q, k, v = x @ p["Wq"] + p["bq"], x @ p["Wk"] + p["bk"], x @ p["Wv"] + p["bv"]
    s = q @ k.T / np.sqrt(3)
    a = np.exp(s) / np.exp(s).sum(1, keepdims=True)
    np.testing.assert_allclose(layer.forward(x[None])[0], a @ v @ p["Wo"] + p["bo"])


def test_attention_survives_huge_scores():
    q = np.array([[[1e4, 0.0], [-1e4, 3.0]]])
    out, w = scaled_dot_product_attention(q, q, q)
    assert np.isfinite(out).all() and np.isfinite(w).all()
    out, w = scaled_dot_product_attention(q, q, q, causal_mask(2))
    assert np.isfinite(out).all() and w[0, 0, 1] == 0


@pytest.mark.parametrize("mask", [False, True])
def test_attention_backward_function_matches_numerical(mask):
    rng = np.random.default_rng(5)
    q, k, v = (rng.standard_normal((2, 4, 3)) for _ in range(3))
    v = np.concatenate([v, v[..., :1]], axis=-1)  # a value size e != d
    m = causal_mask(4) if mask else None
    G = rng.standard_normal((2, 4, 4))
    _, w = scaled_dot_product_attention(q, k, v, m)
    grads = attention_backward(G, q, k, v, w)
    for arr, grad in zip((q, k, v), grads):
        num = numerical_gradient(
            lambda: float((scaled_dot_product_attention(q, k, v, m)[0] * G).sum()), arr)
        assert relative_error(grad, num) < TOL


def test_split_and_merge_heads():
    x = np.arange(2 * 3 * 6).reshape(2, 3, 6).astype(float)
    h = split_heads(x, 2)
    assert h.shape == (2, 2, 3, 3)
    np.testing.assert_array_equal(h[1, 0, 2], x[1, 2, :3])   # head 0 of position 2
    np.testing.assert_array_equal(h[1, 1, 2], x[1, 2, 3:])   # head 1 of position 2
    np.testing.assert_array_equal(merge_heads(h), x)


def test_causal_mask():
    np.testing.assert_array_equal(causal_mask(3), [[1, 0, 0], [1, 1, 0], [1, 1, 1]])


@pytest.mark.parametrize("seed", SEEDS)
def test_positional_embedding_gradients(seed):
    rng = np.random.default_rng(seed)
    layer = PositionalEmbedding(6, 4, rng=seed)
    errors = check_layer(layer, rng.standard_normal((3, 5, 4)), seed=seed)
    assert set(errors) == {"x", "P"}
    assert_gradients(errors)
    assert (layer.grads["P"][5] == 0).all()  # position 5 was not used


@pytest.mark.parametrize("seed", SEEDS)
def test_feed_forward_gradients(seed):
    rng = np.random.default_rng(seed)
    layer = randomise(FeedForward(4, 7, rng=seed), rng)
    errors = check_layer(layer, rng.standard_normal((2, 3, 4)), seed=seed)
    assert set(errors) == {"x", "W1", "b1", "W2", "b2"}
    assert_gradients(errors)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("causal", [False, True])
def test_transformer_block_gradients(seed, causal):
    rng = np.random.default_rng(seed)
    block = TransformerBlock(6, 2, mlp_ratio=2, causal=causal, rng=seed)
    for part in (block.ln1, block.ln2):
        randomise(part, rng)
    errors = check_layer(block, rng.standard_normal((2, 4, 6)), seed=seed)
    assert len(errors) == 1 + 2 + 8 + 2 + 4
    assert_gradients(errors, zero={"attn.bk"})


def test_transformer_block_params_are_the_parts_arrays():
    block = TransformerBlock(4, 2, rng=0)
    block.params["attn.Wq"] -= 1.0  # what an optimiser does: in place
    np.testing.assert_array_equal(block.params["attn.Wq"], block.attn.params["Wq"])
    assert block.num_params() == 2 * 8 + 4 * 20 + (4 * 16 + 16 + 16 * 4 + 4)


def test_float32_in_float32_out():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 8)).astype(np.float32)
    model = Sequential([PositionalEmbedding(5, 8, rng=0), TransformerBlock(8, 2, rng=0),
                        LayerNorm(8)]).astype(np.float32)
    y = model.forward(x)
    assert y.dtype == np.float32
    assert model.backward(np.ones_like(y)).dtype == np.float32
    # the same layers in float64 agree to float32 precision
    y64 = model.astype(np.float64).forward(x.astype(np.float64))
    np.testing.assert_allclose(y, y64, atol=1e-4)


# -- clear errors ----------------------------------------------------------------------
def test_heads_must_divide_embed_dim():
    with pytest.raises(ValueError, match=r"embed_dim \(10\) must be divisible by num_heads "
                                         r"\(3\).*\[1, 2, 5, 10\]"):
        MultiHeadSelfAttention(10, 3)


@pytest.mark.parametrize("layer, x, match", [
    (MultiHeadSelfAttention(4, 2), np.zeros((2, 4)), "must be 3-D"),
    (MultiHeadSelfAttention(4, 2), np.zeros((2, 3, 5)), "4 features on the last axis"),
    (LayerNorm(4), np.zeros((2, 3, 5)), "4 features on the last axis"),
    (LayerNorm(4), np.zeros(4), r"2-D or 3-D.*got shape \(4,\)"),
    (PositionalEmbedding(3, 4), np.zeros((1, 5, 4)), "5 positions.*max_len"),
    (TransformerBlock(4, 2), np.zeros((1, 2, 3)), "4 features"),
    (FeedForward(4, 8), np.zeros((1, 2, 3)), "4 features"),
])
def test_bad_input_is_named(layer, x, match):
    with pytest.raises(ValueError, match=match):
        layer.forward(x)


def test_nan_input_is_refused():
    x = np.zeros((1, 2, 4))
    x[0, 1, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        MultiHeadSelfAttention(4, 2).forward(x)


def test_backward_before_forward():
    with pytest.raises(RuntimeError, match="call forward before backward"):
        MultiHeadSelfAttention(4, 2).backward(np.zeros((1, 2, 4)))
    with pytest.raises(RuntimeError, match="call forward before backward"):
        TransformerBlock(4, 2).backward(np.zeros((1, 2, 4)))


@pytest.mark.parametrize("make, match", [
    (lambda: MultiHeadSelfAttention(4, 2, causal="yes"), "causal must be True or False"),
    (lambda: MultiHeadSelfAttention(0, 1), "embed_dim"),
    (lambda: LayerNorm(4, eps=0), "eps"),
    (lambda: LayerNorm(4.5), "normalized_shape"),
    (lambda: PositionalEmbedding(0, 4), "max_len"),
])
def test_bad_arguments(make, match):
    with pytest.raises((TypeError, ValueError), match=match):
        make()
