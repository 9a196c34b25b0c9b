"""Simulated class, lesson 10 (attention and a transformer): attention, the causal mask,
attention's backward, LayerNorm's backward, split/merge heads, a causal self-attention layer."""

from class_simulation.answer import Answer

SETUP = """
import numpy as np

from course_lib import checks
from course_lib.autograd import Tensor
from course_lib.gradcheck import check_layer, numerical_gradient, relative_error
from course_lib.layers import Layer
from course_lib.text import VOCAB, VOCAB_SIZE, decode, encode_words
"""

ATT = "checks.check_attention(attention)"
CAUSAL = "checks.check_causal_attention(make_causal_mask, masked_attention)"
ABWD = "checks.check_attention_backward(attention_backward)"
LN = "checks.check_layer_norm_backward(layer_norm_backward)"
HEADS = "checks.check_heads(split_heads, merge_heads)"
LAYER = "checks.check_self_attention_layer(CausalSelfAttention)"


def attention_answer(scores: str, softmax_axis: str = "-1", out: str = "w @ v") -> str:
    return f"""
def attention(q, k, v):
    d = q.shape[-1]
    s = {scores}
    s = s - s.max(axis={softmax_axis}, keepdims=True)
    w = np.exp(s) / np.exp(s).sum(axis={softmax_axis}, keepdims=True)
    return {out}, w
"""


GOOD_MASK = """
def make_causal_mask(T):
    return np.tril(np.ones((T, T), dtype=bool))

"""


def masked(body: str) -> str:
    return GOOD_MASK + "\ndef masked_attention(q, k, v, mask):\n" + body


MASKED_GOOD = """    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    s = np.where(mask, s, -np.inf)
    w = np.exp(s - s.max(axis=-1, keepdims=True))
    w /= w.sum(axis=-1, keepdims=True)
    return w @ v, w
"""


def abwd(body: str) -> str:
    return """
def attention_backward(grad_out, q, k, v, weights):
    T = lambda a: np.swapaxes(a, -1, -2)
    scale = 1 / np.sqrt(q.shape[-1])
    dv = T(weights) @ grad_out
    da = grad_out @ T(v)
""" + body


def ln(body: str) -> str:
    return """
def layer_norm_backward(grad_out, x, gamma, eps):
    mu = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    inv = 1 / np.sqrt(var + eps)
    xh = (x - mu) * inv
    D = x.shape[-1]
    gx = grad_out * gamma
""" + body


LN_SUMS = """    dgamma = (grad_out * xh).reshape(-1, D).sum(axis=0)
    dbeta = grad_out.reshape(-1, D).sum(axis=0)
"""

GOOD_SPLIT = """
def split_heads(x, num_heads):
    N, T, D = x.shape
    return x.reshape(N, T, num_heads, D // num_heads).transpose(0, 2, 1, 3)

"""
GOOD_MERGE = """

def merge_heads(x):
    N, H, T, d = x.shape
    return x.transpose(0, 2, 1, 3).reshape(N, T, H * d)
"""

# the student's earlier answers (exercises 1-5), which their layer uses
EARLIER = GOOD_SPLIT + GOOD_MERGE + GOOD_MASK + """
def masked_attention(q, k, v, mask):
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    s = np.where(mask, s, -np.inf)
    w = np.exp(s - s.max(axis=-1, keepdims=True))
    w = w / w.sum(axis=-1, keepdims=True)
    return w @ v, w


def attention_backward(grad_out, q, k, v, weights):
    scale = 1 / np.sqrt(q.shape[-1])
    dv = np.swapaxes(weights, -1, -2) @ grad_out
    da = grad_out @ np.swapaxes(v, -1, -2)
    ds = weights * (da - (da * weights).sum(axis=-1, keepdims=True)) * scale
    return ds @ k, np.swapaxes(ds, -1, -2) @ q, dv

"""


def layer(forward_attention: str = "masked_attention(q, k, v, make_causal_mask(T))",
          init: str = "super().__init__()", extra: str = "", bo_grad: str = "g2.sum(axis=0)"):
    """A CausalSelfAttention built on the student's earlier functions; pieces can be swapped."""
    return EARLIER + f"""
class CausalSelfAttention(Layer):
    def __init__(self, embed_dim, num_heads, rng):
        {init}
        self.num_heads = num_heads
        bound = 1 / np.sqrt(embed_dim)
        for name in "qkvo":
            self.params["W" + name] = rng.uniform(-bound, bound, (embed_dim, embed_dim))
            self.params["b" + name] = np.zeros(embed_dim)
{extra}
    def forward(self, x):
        N, T, D = x.shape
        p, H = self.params, self.num_heads
        self.x = x
        q, k, v = (split_heads(x @ p["W" + n] + p["b" + n], H) for n in "qkv")
        o, w = {forward_attention}
        self.q, self.k, self.v, self.w = q, k, v, w
        self.o = merge_heads(o)
        return self.o @ p["Wo"] + p["bo"]

    def backward(self, grad_out):
        N, T, D = grad_out.shape
        p, H = self.params, self.num_heads
        g2 = grad_out.reshape(N * T, D)
        self.grads["Wo"] = self.o.reshape(N * T, D).T @ g2
        self.grads["bo"] = {bo_grad}
        do = split_heads(grad_out @ p["Wo"].T, H)
        dq, dk, dv = attention_backward(do, self.q, self.k, self.v, self.w)
        x2 = self.x.reshape(N * T, D)
        dx = 0
        for n, dh in zip("qkv", (dq, dk, dv)):
            d2 = merge_heads(dh).reshape(N * T, D)
            self.grads["W" + n] = x2.T @ d2
            self.grads["b" + n] = d2.sum(axis=0)
            dx = dx + d2 @ p["W" + n].T
        return dx.reshape(N, T, D)
"""


ANSWERS = [
    # --- exercise 1: attention ------------------------------------------------------------
    Answer("attention", "swapaxes, a stable softmax", "correct",
           attention_answer("q @ np.swapaxes(k, -1, -2) / np.sqrt(d)"), ATT),
    Answer("attention", "einsum with an ellipsis, logsumexp", "correct", """
def attention(q, k, v):
    s = np.einsum("...td,...sd->...ts", q, k) / q.shape[-1] ** 0.5
    m = s.max(axis=-1, keepdims=True)
    logw = s - m - np.log(np.exp(s - m).sum(axis=-1, keepdims=True))
    w = np.exp(logw)
    return np.einsum("...ts,...se->...te", w, v), w
""", ATT),
    Answer("attention", "k.transpose over the last two axes, float32 kept", "correct", """
def attention(q, k, v):
    axes = list(range(k.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    s = np.matmul(q, k.transpose(axes)) * q.dtype.type(1 / np.sqrt(q.shape[-1]))
    e = np.exp(s - np.amax(s, axis=-1, keepdims=True))
    w = e / np.sum(e, axis=-1, keepdims=True)
    return np.matmul(w, v), w
""", ATT),
    Answer("attention", "no 1/sqrt(d)", "wrong",
           attention_answer("q @ np.swapaxes(k, -1, -2)"), ATT, names=("sqrt(d)",)),
    Answer("attention", "scaled by sqrt of the value size e", "wrong",
           attention_answer("q @ np.swapaxes(k, -1, -2) / np.sqrt(v.shape[-1])"), ATT,
           names=("q.shape[-1]", "value")),
    Answer("attention", "softmax over the keys' axis -2", "wrong",
           attention_answer("q @ np.swapaxes(k, -1, -2) / np.sqrt(d)", softmax_axis="-2"), ATT,
           names=("wrong axis",)),
    Answer("attention", "k not transposed", "wrong",
           attention_answer("q @ k / np.sqrt(d)"), ATT, names=("k transposed",)),
    Answer("attention", "values mixed by the transposed weights", "wrong",
           attention_answer("q @ np.swapaxes(k, -1, -2) / np.sqrt(d)",
                            out="np.swapaxes(w, -1, -2) @ v"), ATT,
           names=("transposed weights",)),
    Answer("attention", "softmax without the max (overflows)", "wrong", """
def attention(q, k, v):
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    w = np.exp(s) / np.exp(s).sum(axis=-1, keepdims=True)
    return w @ v, w
""", ATT, names=("overflow", "maximum")),
    Answer("attention", "course_lib's function", "delegates", """
from course_lib.layers import scaled_dot_product_attention


def attention(q, k, v):
    return scaled_dot_product_attention(q, k, v)
""", ATT, names=("course_lib", "yourself")),
    Answer("attention", "course_lib's function through a helper", "delegates", """
from course_lib.layers import attention as attention_module


def softmax_attention(q, k, v):
    return attention_module.scaled_dot_product_attention(q, k, v)


def attention(q, k, v):
    out, w = softmax_attention(q, k, v)
    return out, w
""", ATT, names=("course_lib", "yourself")),

    # --- exercise 2: the causal mask ------------------------------------------------------
    Answer("causal_attention", "arange comparison; a big negative number", "correct", """
def make_causal_mask(T):
    return np.arange(T)[:, None] >= np.arange(T)[None, :]


def masked_attention(q, k, v, mask):
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    s = s + np.where(mask, 0.0, -1e9)
    w = np.exp(s - s.max(axis=-1, keepdims=True))
    w = w / w.sum(axis=-1, keepdims=True)
    return w @ v, w
""", CAUSAL),
    Answer("causal_attention", "~triu(k=1); scores filled with -inf on a copy", "correct", """
def make_causal_mask(T):
    return ~np.triu(np.ones((T, T), dtype=bool), k=1)


def masked_attention(q, k, v, mask):
    s = np.einsum("...td,...sd->...ts", q, k) / np.sqrt(q.shape[-1])
    s = s.copy()
    s[..., ~mask] = -np.inf
    w = np.exp(s - s.max(axis=-1, keepdims=True))
    w /= w.sum(axis=-1, keepdims=True)
    return np.einsum("...ts,...se->...te", w, v), w
""", CAUSAL),
    Answer("causal_attention", "upper triangle kept (the future)", "wrong", """
def make_causal_mask(T):
    return np.triu(np.ones((T, T), dtype=bool))

""" + masked(MASKED_GOOD)[len(GOOD_MASK):], CAUSAL, names=("upper triangle", "future")),
    Answer("causal_attention", "True where hidden (mask inverted)", "wrong", """
def make_causal_mask(T):
    return np.triu(np.ones((T, T), dtype=bool), k=1)

""" + masked(MASKED_GOOD)[len(GOOD_MASK):], CAUSAL, names=("hidden", "may look")),
    Answer("causal_attention", "diagonal hidden", "wrong", """
def make_causal_mask(T):
    return np.tril(np.ones((T, T), dtype=bool), k=-1)

""" + masked(MASKED_GOOD)[len(GOOD_MASK):], CAUSAL, names=("diagonal",)),
    Answer("causal_attention", "0/1 floats", "wrong", """
def make_causal_mask(T):
    return np.tril(np.ones((T, T)))

""" + masked(MASKED_GOOD)[len(GOOD_MASK):], CAUSAL, names=("boolean",)),
    Answer("causal_attention", "mask applied after the softmax", "wrong", masked("""
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    w = np.exp(s - s.max(axis=-1, keepdims=True))
    w = w / w.sum(axis=-1, keepdims=True) * mask
    return w @ v, w
"""), CAUSAL, names=("after the softmax",)),
    Answer("causal_attention", "scores multiplied by the mask (0, not -inf)", "wrong", masked("""
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1]) * mask
    w = np.exp(s - s.max(axis=-1, keepdims=True))
    w = w / w.sum(axis=-1, keepdims=True)
    return w @ v, w
"""), CAUSAL, names=("-inf",)),
    Answer("causal_attention", "masked attention without 1/sqrt(d)", "wrong", masked(
        MASKED_GOOD.replace(" / np.sqrt(q.shape[-1])", "")), CAUSAL, names=("sqrt(d)",)),
    Answer("causal_attention", "course_lib's causal_mask", "delegates", """
from course_lib.layers import causal_mask


def make_causal_mask(T):
    return causal_mask(T)

""" + masked(MASKED_GOOD)[len(GOOD_MASK):], CAUSAL, names=("course_lib", "yourself")),

    # --- exercise 3: attention's backward -------------------------------------------------
    Answer("attention_backward", "the formulas with swapaxes", "correct", abwd("""
    ds = weights * (da - (da * weights).sum(axis=-1, keepdims=True)) * scale
    return ds @ k, T(ds) @ q, dv
"""), ABWD),
    Answer("attention_backward", "einsum, the softmax's Jacobian row by row", "correct", """
def attention_backward(grad_out, q, k, v, weights):
    d = q.shape[-1]
    dv = np.einsum("...ts,...te->...se", weights, grad_out)
    da = np.einsum("...te,...se->...ts", grad_out, v)
    J = weights[..., :, None] * np.eye(weights.shape[-1]) \\
        - weights[..., :, None] * weights[..., None, :]
    ds = np.einsum("...ts,...tsr->...tr", da, J) / np.sqrt(d)
    return (np.einsum("...ts,...sd->...td", ds, k), np.einsum("...ts,...td->...sd", ds, q),
            dv)
""", ABWD),
    Answer("attention_backward", "dv without the transpose", "wrong", """
def attention_backward(grad_out, q, k, v, weights):
    T = lambda a: np.swapaxes(a, -1, -2)
    scale = 1 / np.sqrt(q.shape[-1])
    dv = weights @ grad_out
    da = grad_out @ T(v)
    ds = weights * (da - (da * weights).sum(axis=-1, keepdims=True)) * scale
    return ds @ k, T(ds) @ q, dv
""", ABWD, names=("untransposed",)),
    Answer("attention_backward", "softmax backward without the subtracted term", "wrong",
           abwd("""
    ds = weights * da * scale
    return ds @ k, T(ds) @ q, dv
"""), ABWD, names=("subtracted term",)),
    Answer("attention_backward", "no 1/sqrt(d)", "wrong", abwd("""
    ds = weights * (da - (da * weights).sum(axis=-1, keepdims=True))
    return ds @ k, T(ds) @ q, dv
"""), ABWD, names=("1/sqrt(d)",)),
    Answer("attention_backward", "dq from dS transposed (dq and dk swapped)", "wrong", abwd("""
    ds = weights * (da - (da * weights).sum(axis=-1, keepdims=True)) * scale
    return T(ds) @ k, ds @ q, dv
"""), ABWD, names=("dS^T",)),
    Answer("attention_backward", "softmax's sum over the wrong axis", "wrong", abwd("""
    ds = weights * (da - (da * weights).sum(axis=-2, keepdims=True)) * scale
    return ds @ k, T(ds) @ q, dv
"""), ABWD, names=("axis",)),
    Answer("attention_backward", "weights scaled in place", "wrong", abwd("""
    weights *= scale
    ds = weights * (da - (da * weights).sum(axis=-1, keepdims=True) / scale)
    return ds @ k, T(ds) @ q, dv
"""), ABWD, names=("in place", "weights")),
    Answer("attention_backward", "course_lib's attention_backward", "delegates", """
from course_lib.layers import attention as reference


def attention_backward(grad_out, q, k, v, weights):
    return reference.attention_backward(grad_out, q, k, v, weights)
""", ABWD, names=("course_lib", "yourself")),

    # --- exercise 4: LayerNorm's backward -------------------------------------------------
    Answer("layer_norm_backward", "the compact formula, sums over every other axis", "correct",
           ln(LN_SUMS + """    dx = inv * (gx - gx.mean(-1, keepdims=True)
                - xh * (gx * xh).mean(-1, keepdims=True))
    return dx, dgamma, dbeta
"""), LN),
    Answer("layer_norm_backward", "node by node through var and mean", "correct", """
def layer_norm_backward(grad_out, x, gamma, eps):
    D = x.shape[-1]
    mu = np.mean(x, axis=-1, keepdims=True)
    xc = x - mu
    var = np.mean(xc * xc, axis=-1, keepdims=True)
    std = np.sqrt(var + eps)
    xh = xc / std
    axes = tuple(range(x.ndim - 1))
    dgamma = np.sum(grad_out * xh, axis=axes)
    dbeta = np.sum(grad_out, axis=axes)
    dxh = grad_out * gamma
    dvar = np.sum(dxh * xc, axis=-1, keepdims=True) * -0.5 / std ** 3
    dmu = -np.sum(dxh, axis=-1, keepdims=True) / std
    dx = dxh / std + dvar * 2 * xc / D + dmu / D
    return dx, dgamma, dbeta
""", LN),
    Answer("layer_norm_backward", "both mean terms left out", "wrong", ln(LN_SUMS + """
    return gx * inv, dgamma, dbeta
"""), LN, names=("both mean terms",)),
    Answer("layer_norm_backward", "BatchNorm's means over axis 0", "wrong", ln(LN_SUMS + """
    dx = inv * (gx - gx.mean(0, keepdims=True) - xh * (gx * xh).mean(0, keepdims=True))
    return dx, dgamma, dbeta
"""), LN, names=("batch axis",)),
    Answer("layer_norm_backward", "gamma left out of dx", "wrong", ln(LN_SUMS + """
    g = grad_out
    dx = inv * (g - g.mean(-1, keepdims=True) - xh * (g * xh).mean(-1, keepdims=True))
    return dx, dgamma, dbeta
"""), LN, names=("gamma",)),
    Answer("layer_norm_backward", "unbiased variance (ddof=1)", "wrong", """
def layer_norm_backward(grad_out, x, gamma, eps):
    D = x.shape[-1]
    inv = 1 / np.sqrt(x.var(axis=-1, ddof=1, keepdims=True) + eps)
    xh = (x - x.mean(axis=-1, keepdims=True)) * inv
    gx = grad_out * gamma
    dx = inv * (gx - gx.mean(-1, keepdims=True) - xh * (gx * xh).mean(-1, keepdims=True))
    return dx, (grad_out * xh).reshape(-1, D).sum(0), grad_out.reshape(-1, D).sum(0)
""", LN, names=("unbiased",)),
    Answer("layer_norm_backward", "dgamma and dbeta summed over the first axis only", "wrong",
           ln("""    dgamma, dbeta = (grad_out * xh).sum(axis=0), grad_out.sum(axis=0)
    dx = inv * (gx - gx.mean(-1, keepdims=True) - xh * (gx * xh).mean(-1, keepdims=True))
    return dx, dgamma, dbeta
"""), LN, names=("first axis only",)),
    Answer("layer_norm_backward", "dbeta as a mean", "wrong", ln("""
    dgamma = (grad_out * xh).reshape(-1, D).sum(axis=0)
    dbeta = grad_out.reshape(-1, D).mean(axis=0)
    dx = inv * (gx - gx.mean(-1, keepdims=True) - xh * (gx * xh).mean(-1, keepdims=True))
    return dx, dgamma, dbeta
"""), LN, names=("mean", "sum")),
    Answer("layer_norm_backward", "course_lib's LayerNorm layer", "delegates", """
from course_lib.layers import LayerNorm


def layer_norm_backward(grad_out, x, gamma, eps):
    layer = LayerNorm(x.shape[-1])
    layer.eps = eps
    layer.params["gamma"] = gamma
    layer.forward(x)
    dx = layer.backward(grad_out)
    return dx, layer.grads["gamma"], layer.grads["beta"]
""", LN, names=("course_lib", "yourself")),

    # --- exercise 5: split and merge heads ------------------------------------------------
    Answer("heads", "reshape and swapaxes", "correct", """
def split_heads(x, num_heads):
    N, T, D = x.shape
    return np.swapaxes(x.reshape(N, T, num_heads, -1), 1, 2)


def merge_heads(x):
    N, H, T, d = x.shape
    return np.swapaxes(x, 1, 2).reshape(N, T, -1)
""", HEADS),
    Answer("heads", "np.split along the features; moveaxis and concatenate back", "correct",
           """
def split_heads(x, num_heads):
    return np.array(np.split(x, num_heads, axis=-1)).transpose(1, 0, 2, 3)


def merge_heads(x):
    return np.concatenate(list(np.moveaxis(x, 1, 0)), axis=-1)
""", HEADS),
    Answer("heads", "reshape straight to (N, heads, T, d)", "wrong", """
def split_heads(x, num_heads):
    N, T, D = x.shape
    return x.reshape(N, num_heads, T, D // num_heads)
""" + GOOD_MERGE, HEADS, names=("reshapes straight",)),
    Answer("heads", "heads cut with a stride", "wrong", """
def split_heads(x, num_heads):
    return np.stack([x[..., h::num_heads] for h in range(num_heads)], axis=1)
""" + GOOD_MERGE, HEADS, names=("h + heads",)),
    Answer("heads", "merge without moving the heads axis back", "wrong", GOOD_SPLIT + """
def merge_heads(x):
    N, H, T, d = x.shape
    return x.reshape(N, T, H * d)
""", HEADS, names=("without moving",)),
    Answer("heads", "split without the transpose (N, T, heads, d)", "wrong", """
def split_heads(x, num_heads):
    N, T, D = x.shape
    return x.reshape(N, T, num_heads, D // num_heads)
""" + GOOD_MERGE, HEADS, names=("transpose(0, 2, 1, 3)",)),
    Answer("heads", "course_lib's split_heads / merge_heads", "delegates", """
from course_lib.layers.attention import merge_heads as merge, split_heads as split


def split_heads(x, num_heads):
    return split(x, num_heads)


def merge_heads(x):
    return merge(x)
""", HEADS, names=("course_lib", "yourself")),

    # --- exercise 6: the causal self-attention layer --------------------------------------
    Answer("CausalSelfAttention", "built on the earlier exercises", "correct", layer(), LAYER),
    Answer("CausalSelfAttention", "extra attributes, a mask cached by length", "correct",
           layer(extra="""        self.masks = {}
        self.calls = 0
""", forward_attention="masked_attention(q, k, v, self.masks.setdefault(T, "
                       "make_causal_mask(T)))"), LAYER),
    Answer("CausalSelfAttention", "params and grads made by hand (no super().__init__())",
           "correct", layer(init="self.params, self.grads = {}, {}"), LAYER),
    Answer("CausalSelfAttention", "no super().__init__() and no dicts", "wrong",
           layer(init="pass").replace('self.params["W" + name] = ', 'setattr(self, "W" + name, ')
           .replace("(embed_dim, embed_dim))", "(embed_dim, embed_dim)))")
           .replace('self.params["b" + name] = np.zeros(embed_dim)',
                    'setattr(self, "b" + name, np.zeros(embed_dim))'), LAYER,
           names=("super().__init__()",)),
    Answer("CausalSelfAttention", "not causal (no mask)", "wrong",
           layer(forward_attention="masked_attention(q, k, v, np.ones((T, T), dtype=bool))"),
           LAYER, names=("not causal", "future")),
    Answer("CausalSelfAttention", "scores scaled by sqrt(D), not the head size", "wrong",
           layer(forward_attention="masked_attention(q * np.sqrt(q.shape[-1] / D), k, v, "
                                   "make_causal_mask(T))"), LAYER,
           names=("head",)),
    Answer("CausalSelfAttention", "bo's gradient not summed over the positions", "wrong",
           layer(bo_grad="grad_out.sum(axis=0)"), LAYER, names=("every axis but the last",)),
    Answer("CausalSelfAttention", "subclass of course_lib's layer", "delegates", """
from course_lib.layers import MultiHeadSelfAttention


class CausalSelfAttention(MultiHeadSelfAttention):
    def __init__(self, embed_dim, num_heads, rng):
        super().__init__(embed_dim, num_heads, causal=True, rng=rng)
""", LAYER, names=("course_lib",)),
    Answer("CausalSelfAttention", "course_lib's layer built by a helper", "delegates", """
from course_lib import layers


def build_inner(embed_dim, num_heads):
    return layers.MultiHeadSelfAttention(embed_dim, num_heads, causal=True, rng=0)


class CausalSelfAttention(Layer):
    def __init__(self, embed_dim, num_heads, rng):
        super().__init__()
        self.inner = build_inner(embed_dim, num_heads)
        self.params = self.inner.params
        self.grads = self.inner.grads

    def forward(self, x):
        return self.inner.forward(x)

    def backward(self, grad_out):
        return self.inner.backward(grad_out)
""", LAYER, names=("course_lib", "yourself")),
]
