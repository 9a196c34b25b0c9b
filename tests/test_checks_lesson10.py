"""Lesson 10's exercise checks: correct answers in several styles pass, each usual slip is
rejected with its own message, and answers that call course_lib's own pieces are refused."""

import numpy as np
import pytest

from check_helpers import fails, passes

from course_lib import checks
from course_lib.layers import Layer, MultiHeadSelfAttention
from course_lib.layers import attention as ref


def softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# --- exercise 1: attention ---------------------------------------------------------------
def attention_right(q, k, v):
    w = softmax(q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1]))
    return w @ v, w


def attention_einsum(q, k, v):
    s = np.einsum("...td,...sd->...ts", q, k) / q.shape[-1] ** 0.5
    s = s - s.max(-1, keepdims=True)
    w = np.exp(s) / np.exp(s).sum(-1, keepdims=True)
    return np.einsum("...ts,...se->...te", w, v), w


def test_attention_correct(capsys):
    passes(capsys, checks.check_attention, attention_right)
    passes(capsys, checks.check_attention, attention_einsum)


@pytest.mark.parametrize("answer, match", [
    (lambda q, k, v: (softmax(q @ np.swapaxes(k, -1, -2)) @ v, softmax(q @ np.swapaxes(k, -1, -2))),
     "does not scale"),
    (lambda q, k, v: (None, softmax(q @ np.swapaxes(k, -1, -2) / q.shape[-1])), "divides the scores by d"),
    (lambda q, k, v: (None, softmax(q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1]), axis=-2)),
     "wrong axis"),
    (lambda q, k, v: attention_right(q, k, v)[0], r"should return a tuple \(out, weights\)"),
    (lambda q, k, v: (np.swapaxes(attention_right(q, k, v)[1], -1, -2) @ v,
                      attention_right(q, k, v)[1]), "transposed weights"),
    (ref.scaled_dot_product_attention, "calls course_lib|course_lib's"),
])
def test_attention_slips(answer, match):
    fails(checks.check_attention, answer, match=match)


def test_attention_in_place_is_named():
    def scaled_in_place(q, k, v):
        q /= np.sqrt(q.shape[-1])
        w = softmax(q @ np.swapaxes(k, -1, -2))
        return w @ v, w
    fails(checks.check_attention, scaled_in_place, match="changed its input `q` in place")


def test_delegation_through_an_alias_is_refused():
    from course_lib.layers import scaled_dot_product_attention as sdpa

    def wrapper(q, k, v):
        return sdpa(q, k, v)
    fails(checks.check_attention, wrapper, match="calls course_lib's sdpa")


# --- exercise 2: the causal mask ---------------------------------------------------------
def mask_right(T):
    return np.tril(np.ones((T, T), dtype=bool))


def mask_compare(T):
    return np.arange(T)[None, :] <= np.arange(T)[:, None]


def masked_right(q, k, v, mask):
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    w = softmax(np.where(mask, s, -np.inf))
    return w @ v, w


def masked_big_negative(q, k, v, mask):
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    w = softmax(np.where(mask, s, -1e9))
    return w @ v, w


def masked_renormalised(q, k, v, mask):  # masking after the softmax, then renormalising: right
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    w = softmax(s) * mask
    w = w / w.sum(-1, keepdims=True)
    return w @ v, w


def test_causal_correct(capsys):
    passes(capsys, checks.check_causal_attention, mask_right, masked_right)
    passes(capsys, checks.check_causal_attention, mask_compare, masked_big_negative)
    passes(capsys, checks.check_causal_attention, mask_right, masked_renormalised)


def _masked_with(transform):
    def answer(q, k, v, mask):
        s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
        w = transform(s, mask)
        return w @ v, w
    return answer


@pytest.mark.parametrize("mask, match", [
    (lambda T: np.tril(np.ones((T, T), dtype=bool), k=-1), "masks the diagonal"),
    (lambda T: np.triu(np.ones((T, T), dtype=bool)), "upper triangle"),
    (lambda T: np.tril(np.ones((T, T))), "make it boolean"),
])
def test_mask_slips(mask, match):
    fails(checks.check_causal_attention, mask, masked_right, match=match)


@pytest.mark.parametrize("transform, match", [
    (lambda s, m: softmax(s) * m, "masks after the softmax"),
    (lambda s, m: softmax(np.where(m, s, 0.0)), "sets the hidden scores to 0"),
    (lambda s, m: softmax(s), "ignores the mask"),
    (lambda s, m: softmax(np.where(m.T, s, -np.inf)), "transposed mask"),
])
def test_masked_attention_slips(transform, match):
    fails(checks.check_causal_attention, mask_right, _masked_with(transform), match=match)


# --- exercise 3: attention's backward -----------------------------------------------------
def backward_right(g, q, k, v, w):
    d = q.shape[-1]
    dv = np.swapaxes(w, -1, -2) @ g
    da = g @ np.swapaxes(v, -1, -2)
    ds = w * (da - (da * w).sum(-1, keepdims=True)) / np.sqrt(d)
    return ds @ k, np.swapaxes(ds, -1, -2) @ q, dv


def backward_einsum(g, q, k, v, w):
    scale = 1 / np.sqrt(q.shape[-1])
    dv = np.einsum("...ts,...te->...se", w, g)
    da = np.einsum("...te,...se->...ts", g, v)
    ds = w * da - w * np.einsum("...ts,...ts->...t", w, da)[..., None]
    return (np.einsum("...ts,...sd->...td", ds, k) * scale,
            np.einsum("...ts,...td->...sd", ds, q) * scale, dv)


def test_attention_backward_correct(capsys):
    passes(capsys, checks.check_attention_backward, backward_right)
    passes(capsys, checks.check_attention_backward, backward_einsum)


def _backward_with(**changes):
    def answer(g, q, k, v, w):
        d = q.shape[-1]
        sT = lambda a: np.swapaxes(a, -1, -2)  # noqa: E731
        dv = (w @ g) if changes.get("dv_no_T") else sT(w) @ g
        da = g @ sT(v)
        ds = w * da if changes.get("no_sub") else w * (da - (da * w).sum(-1, keepdims=True))
        if not changes.get("no_scale"):
            ds = ds / np.sqrt(d)
        dk = ds @ q if changes.get("dk_no_T") else sT(ds) @ q
        return ds @ k, dk, dv
    return answer


@pytest.mark.parametrize("changes, match", [
    ({"dv_no_T": True}, "uses the weights untransposed"),
    ({"no_sub": True}, "subtracted term"),
    ({"no_scale": True}, "1/sqrt"),
    ({"dk_no_T": True}, r"dS\^T"),
])
def test_attention_backward_slips(changes, match):
    fails(checks.check_attention_backward, _backward_with(**changes), match=match)


def test_attention_backward_delegation_refused():
    fails(checks.check_attention_backward, ref.attention_backward, match="course_lib")


# --- exercise 4: LayerNorm's backward ---------------------------------------------------
def ln_right(g, x, gamma, eps):
    xc = x - x.mean(-1, keepdims=True)
    inv = 1 / np.sqrt((xc ** 2).mean(-1, keepdims=True) + eps)
    xh = xc * inv
    gx = g * gamma
    dx = inv * (gx - gx.mean(-1, keepdims=True) - xh * (gx * xh).mean(-1, keepdims=True))
    D = x.shape[-1]
    return dx, (g * xh).reshape(-1, D).sum(0), g.reshape(-1, D).sum(0)


def ln_long_form(g, x, gamma, eps):
    # the chain rule written step by step, through the variance and the mean
    D = x.shape[-1]
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    std = np.sqrt(var + eps)
    xh = (x - mu) / std
    dxh = g * gamma
    dvar = (dxh * (x - mu) * -0.5 * std ** -3).sum(-1, keepdims=True)
    dmu = (-dxh / std).sum(-1, keepdims=True) + dvar * (-2 * (x - mu)).mean(-1, keepdims=True)
    dx = dxh / std + dvar * 2 * (x - mu) / D + dmu / D
    axes = tuple(range(x.ndim - 1))
    return dx, (g * xh).sum(axis=axes), g.sum(axis=axes)


def test_layer_norm_backward_correct(capsys):
    passes(capsys, checks.check_layer_norm_backward, ln_right)
    passes(capsys, checks.check_layer_norm_backward, ln_long_form)


def _ln_with(change):
    def answer(g, x, gamma, eps):
        dx, dgamma, dbeta = ln_right(g, x, gamma, eps)
        xc = x - x.mean(-1, keepdims=True)
        inv = 1 / np.sqrt((xc ** 2).mean(-1, keepdims=True) + eps)
        xh, gx = xc * inv, g * gamma
        if change == "no_means":
            dx = gx * inv
        elif change == "no_var_term":
            dx = inv * (gx - gx.mean(-1, keepdims=True))
        elif change == "no_mean_term":
            dx = inv * (gx - xh * (gx * xh).mean(-1, keepdims=True))
        elif change == "batch_axis":
            dx = inv * (gx - gx.mean(0, keepdims=True) - xh * (gx * xh).mean(0, keepdims=True))
        elif change == "no_gamma":
            dx = inv * (g - g.mean(-1, keepdims=True) - xh * (g * xh).mean(-1, keepdims=True))
        elif change == "dgamma_axis0":
            dgamma = (g * xh).sum(0)
        elif change == "dbeta_axis0":
            dbeta = g.sum(0)
        return dx, dgamma, dbeta
    return answer


@pytest.mark.parametrize("change, match", [
    ("no_means", "forgets both mean terms"),
    ("no_var_term", "variance's term"),
    ("no_mean_term", "mean's term"),
    ("batch_axis", "batch axis"),
    ("no_gamma", "leaves out gamma"),
    ("dgamma_axis0", "dgamma.*first axis only"),
    ("dbeta_axis0", "dbeta.*first axis only"),
])
def test_layer_norm_backward_slips(change, match):
    fails(checks.check_layer_norm_backward, _ln_with(change), match=match)


# --- exercise 5: heads --------------------------------------------------------------------
def split_right(x, num_heads):
    N, T, D = x.shape
    return x.reshape(N, T, num_heads, D // num_heads).transpose(0, 2, 1, 3)


def merge_right(x):
    N, H, T, d = x.shape
    return x.transpose(0, 2, 1, 3).reshape(N, T, H * d)


def split_stack(x, num_heads):
    d = x.shape[-1] // num_heads
    return np.stack([x[..., h * d:(h + 1) * d] for h in range(num_heads)], axis=1)


def merge_concat(x):
    return np.concatenate([x[:, h] for h in range(x.shape[1])], axis=-1)


def test_heads_correct(capsys):
    passes(capsys, checks.check_heads, split_right, merge_right)
    passes(capsys, checks.check_heads, split_stack, merge_concat)


@pytest.mark.parametrize("split, merge, match", [
    (lambda x, h: x.reshape(x.shape[0], h, x.shape[1], -1), merge_right,
     "mixing positions and heads"),
    (lambda x, h: x.reshape(*x.shape[:2], -1, h).transpose(0, 3, 1, 2), merge_right,
     "h, h \\+ heads"),
    (split_right, lambda x: x.reshape(x.shape[0], x.shape[2], -1), "without moving the heads"),
    (ref.split_heads, merge_right, "course_lib"),
])
def test_heads_slips(split, merge, match):
    fails(checks.check_heads, split, merge, match=match)


# --- exercise 6: the layer ----------------------------------------------------------------
class SelfAttentionRight(Layer):
    def __init__(self, embed_dim, num_heads, rng):
        super().__init__()
        self.h = num_heads
        b = 1 / np.sqrt(embed_dim)
        for n in "qkvo":
            self.params["W" + n] = rng.uniform(-b, b, (embed_dim, embed_dim))
            self.params["b" + n] = np.zeros(embed_dim)

    def forward(self, x):
        p, N, T, D = self.params, *x.shape
        self.x = x
        q, k, v = (split_right(x @ p["W" + n] + p["b" + n], self.h) for n in "qkv")
        s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(D // self.h)
        w = softmax(np.where(mask_right(T), s, -np.inf))
        self.q, self.k, self.v, self.w = q, k, v, w
        self.o = merge_right(w @ v)
        return self.o @ p["Wo"] + p["bo"]

    def backward(self, g):
        p = self.params
        self.grads["Wo"] = np.einsum("ntd,nte->de", self.o, g)
        self.grads["bo"] = g.sum((0, 1))
        do = split_right(g @ p["Wo"].T, self.h)
        dq, dk, dv = backward_right(do, self.q, self.k, self.v, self.w)
        dx = 0
        for n, d in zip("qkv", (dq, dk, dv)):
            d = merge_right(d)
            self.grads["W" + n] = np.einsum("ntd,nte->de", self.x, d)
            self.grads["b" + n] = d.sum((0, 1))
            dx = dx + d @ p["W" + n].T
        return dx


def test_layer_correct(capsys):
    passes(capsys, checks.check_self_attention_layer, SelfAttentionRight)


def test_layer_without_super_init():
    class NoInit(SelfAttentionRight):
        def __init__(self, embed_dim, num_heads, rng):
            self.h = num_heads
    fails(checks.check_self_attention_layer, NoInit, match=r"super\(\).__init__\(\)")


def test_layer_missing_grad():
    class NoBiasGrad(SelfAttentionRight):
        def backward(self, g):
            dx = super().backward(g)
            del self.grads["bk"]
            return dx
    fails(checks.check_self_attention_layer, NoBiasGrad, match="grads\\['bk'\\]")


def test_layer_not_causal():
    class NotCausal(SelfAttentionRight):
        def forward(self, x):
            p = self.params
            self.x = x
            q, k, v = (split_right(x @ p["W" + n] + p["b" + n], self.h) for n in "qkv")
            w = softmax(q @ k.transpose(0, 1, 3, 2) / np.sqrt(x.shape[-1] // self.h))
            self.q, self.k, self.v, self.w = q, k, v, w
            self.o = merge_right(w @ v)
            return self.o @ p["Wo"] + p["bo"]
    fails(checks.check_self_attention_layer, NotCausal, match="forward.*is not causal")


def test_layer_subclass_of_course_lib_refused():
    class Sub(MultiHeadSelfAttention):
        def __init__(self, embed_dim, num_heads, rng):
            super().__init__(embed_dim, num_heads, causal=True, rng=rng)
    fails(checks.check_self_attention_layer, Sub, match="course_lib's .*MultiHeadSelfAttention")


# --- slips a simulated class found (tests/class_simulation/lesson10.py) ---------------------
def attention_scaled_by_e(q, k, v):
    w = softmax(q @ np.swapaxes(k, -1, -2) / np.sqrt(v.shape[-1]))
    return w @ v, w


def attention_unstable(q, k, v):
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    w = np.exp(s) / np.exp(s).sum(axis=-1, keepdims=True)
    return w @ v, w


def softmax_attention(q, k, v):  # a helper of the student's own around course_lib's function
    return ref.scaled_dot_product_attention(q, k, v)


@pytest.mark.parametrize("answer, match", [
    (attention_scaled_by_e, "values' size e"),
    (attention_unstable, "exp overflowed"),
    (lambda q, k, v: softmax_attention(q, k, v), "course_lib"),
])
def test_attention_slips_found_by_the_class(answer, match):
    with pytest.warns(RuntimeWarning) if answer is attention_unstable else _nothing():
        fails(checks.check_attention, answer, match=match)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_causal_mask_inverted_and_unscaled_are_named():
    fails(checks.check_causal_attention, lambda T: np.triu(np.ones((T, T), dtype=bool), k=1),
          masked_right, match="True where the position is hidden")

    def unscaled(q, k, v, mask):
        w = softmax(np.where(mask, q @ np.swapaxes(k, -1, -2), -np.inf))
        return w @ v, w

    fails(checks.check_causal_attention, mask_right, unscaled, match="does not scale")


def test_attention_backward_slips_found_by_the_class():
    def swapped(g, q, k, v, w):
        _, dk, dv = backward_right(g, q, k, v, w)
        return np.swapaxes(_ds(g, v, w, q), -1, -2) @ k, dk, dv

    def wrong_axis(g, q, k, v, w):
        da = g @ np.swapaxes(v, -1, -2)
        ds = w * (da - (da * w).sum(-2, keepdims=True)) / np.sqrt(q.shape[-1])
        return ds @ k, np.swapaxes(ds, -1, -2) @ q, np.swapaxes(w, -1, -2) @ g

    fails(checks.check_attention_backward, swapped, match="uses dS\\^T where dQ needs dS")
    fails(checks.check_attention_backward, wrong_axis, match="over the wrong axis")


def _ds(g, v, w, q):
    da = g @ np.swapaxes(v, -1, -2)
    return w * (da - (da * w).sum(-1, keepdims=True)) / np.sqrt(q.shape[-1])


def test_layer_norm_backward_slips_found_by_the_class():
    def unbiased(g, x, gamma, eps):
        D = x.shape[-1]
        inv = 1 / np.sqrt(x.var(-1, ddof=1, keepdims=True) + eps)
        xh = (x - x.mean(-1, keepdims=True)) * inv
        gx = g * gamma
        dx = inv * (gx - gx.mean(-1, keepdims=True) - xh * (gx * xh).mean(-1, keepdims=True))
        return dx, (g * xh).reshape(-1, D).sum(0), g.reshape(-1, D).sum(0)

    def dbeta_mean(g, x, gamma, eps):
        dx, dgamma, _ = ln_right(g, x, gamma, eps)
        return dx, dgamma, g.reshape(-1, x.shape[-1]).mean(0)

    fails(checks.check_layer_norm_backward, unbiased, match="unbiased variance")
    fails(checks.check_layer_norm_backward, dbeta_mean, match="dbeta is a mean")


def test_split_heads_without_the_transpose_is_named():
    fails(checks.check_heads, lambda x, h: x.reshape(*x.shape[:2], h, -1), merge_right,
          match="move the heads axis before the positions")


def test_layer_slips_found_by_the_class():
    class WideScale(SelfAttentionRight):
        def forward(self, x):
            p = dict(self.params)
            D, d = x.shape[-1], x.shape[-1] // self.h
            self.params = {**p, "Wq": p["Wq"] * np.sqrt(d / D), "bq": p["bq"] * np.sqrt(d / D)}
            try:
                return super().forward(x)
            finally:
                self.params = p

    class BiasPerPosition(SelfAttentionRight):
        def backward(self, grad_out):
            dx = super().backward(grad_out)
            self.grads["bo"] = grad_out.sum(axis=0)
            return dx

    class Helper(Layer):
        def __init__(self, embed_dim, num_heads, rng):
            super().__init__()
            self.inner = _build(embed_dim, num_heads)
            self.params, self.grads = self.inner.params, self.inner.grads

        def forward(self, x):
            return self.inner.forward(x)

        def backward(self, grad_out):
            return self.inner.backward(grad_out)

    fails(checks.check_self_attention_layer, WideScale, match="sqrt\\(D\\), the whole embedding")
    fails(checks.check_self_attention_layer, BiasPerPosition, match="every axis but the last")
    fails(checks.check_self_attention_layer, Helper, match="course_lib")


def _build(embed_dim, num_heads):
    return MultiHeadSelfAttention(embed_dim, num_heads, causal=True, rng=0)


def test_attention_with_k_not_transposed_is_named():
    def untransposed(q, k, v):
        w = softmax(q @ k / np.sqrt(q.shape[-1]))
        return w @ v, w

    fails(checks.check_attention, untransposed, match="k transposed over its last two axes")
