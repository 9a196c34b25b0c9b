"""Simulated class, lesson 09 (recurrent networks): masked NLL, the embedding's backward, an
RNN step, BPTT, clipping by global norm, the LSTM step's backward."""

from class_simulation.answer import Answer

SETUP = """
import numpy as np

from course_lib import checks
from course_lib.layers import Dense, Flatten, Tanh, softmax
from course_lib.losses import SoftmaxCrossEntropyLoss
from course_lib.model import Sequential
from course_lib.optim import SGD, Adam
from course_lib.text import VOCAB, VOCAB_SIZE, decode, encode_word, encode_words
"""

NLL = "checks.check_masked_nll(masked_nll)"
EMB = "checks.check_embedding_backward(embedding_backward)"
STEP = "checks.check_rnn_step(rnn_step_forward, rnn_step_backward)"
BPTT = "checks.check_rnn_backward(rnn_backward)"
CLIP = "checks.check_clip_by_global_norm(clip_by_global_norm)"
LSTM_CHECK = "checks.check_lstm_step_backward(lstm_step_backward)"


def nll(loss_lines: str, grad_lines: str) -> str:
    """A masked_nll with a stable log-softmax; ``loss_lines`` and ``grad_lines`` vary."""
    return """
def masked_nll(logits, targets, mask):
    z = logits - logits.max(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    picked = np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]
    count = mask.sum()
""" + loss_lines + """    p = np.exp(logp)
    onehot = np.eye(logits.shape[-1])[targets]
""" + grad_lines


GOOD_LOSS = "    loss = -(picked * mask).sum() / count\n"
GOOD_GRAD = "    return loss, (p - onehot) * mask[..., None] / count\n"

STEP_FWD = """
def rnn_step_forward(x, h_prev, Wx, Wh, b):
    return np.tanh(x @ Wx + h_prev @ Wh + b)

"""


def step_backward(lines: str) -> str:
    return STEP_FWD + "\ndef rnn_step_backward(dh, x, h_prev, h, Wx, Wh):\n" + lines


STEP_GOOD = """    da = dh * (1 - h ** 2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)
"""


def bptt(loop: str) -> str:
    return """
def rnn_backward(grad_h, x, h, Wx, Wh):
    N, T, H = h.shape
    dx = np.zeros(x.shape)
    dWx, dWh, db = np.zeros(Wx.shape), np.zeros(Wh.shape), np.zeros(H)
    dh_next = np.zeros((N, H))
""" + loop + "    return dx, dWx, dWh, db\n"


BPTT_GOOD = """    for t in reversed(range(T)):
        h_prev = h[:, t - 1] if t > 0 else np.zeros((N, H))
        da = (grad_h[:, t] + dh_next) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += h_prev.T @ da
        db += da.sum(axis=0)
        dh_next = da @ Wh.T
"""


def clip(lines: str) -> str:
    return "\ndef clip_by_global_norm(grads, max_norm):\n" + lines


def lstm(lines: str) -> str:
    return """
from course_lib.layers import sigmoid


def lstm_step_backward(dh, dc, x, h_prev, c_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    i, f = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H])
    g, o = np.tanh(a[:, 2 * H:3 * H]), sigmoid(a[:, 3 * H:])
    c = f * c_prev + i * g
    tc = np.tanh(c)
""" + lines + """    da = np.concatenate([di, df, dg, do], axis=1)
    return da @ Wx.T, da @ Wh.T, dc_prev, x.T @ da, h_prev.T @ da, da.sum(axis=0)
"""


LSTM_GOOD = """    dct = dc + dh * o * (1 - tc ** 2)
    di = dct * g * i * (1 - i)
    df = dct * c_prev * f * (1 - f)
    dg = dct * i * (1 - g ** 2)
    do = dh * tc * o * (1 - o)
    dc_prev = dct * f
"""

ANSWERS = [
    # --- exercise 1: masked NLL -----------------------------------------------------------
    Answer("masked_nll", "log-softmax, take_along_axis, one-hot gradient", "correct",
           nll(GOOD_LOSS, GOOD_GRAD), NLL),
    Answer("masked_nll", "the real positions picked with the mask, flat, log-softmax",
           "correct", """
def masked_nll(logits, targets, mask):
    N, T, V = logits.shape
    flat = logits.reshape(-1, V).astype(np.float64)
    keep = mask.ravel()
    z = flat[keep] - flat[keep].max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    probs = np.exp(logp)
    rows = np.arange(keep.sum())
    t = targets.ravel()[keep]
    loss = -np.mean(logp[rows, t])
    d = probs.copy()
    d[rows, t] -= 1
    grad = np.zeros((N * T, V))
    grad[keep] = d / keep.sum()
    return loss, grad.reshape(N, T, V).astype(logits.dtype)
""", NLL),
    Answer("masked_nll", "logaddexp.reduce and np.where for the padding", "correct", """
def masked_nll(logits, targets, mask):
    lse = np.logaddexp.reduce(logits.astype(np.float64), axis=2, keepdims=True)
    logp = logits - lse
    n = np.count_nonzero(mask)
    nll_each = -np.take_along_axis(logp, targets[:, :, None], axis=2)[:, :, 0]
    loss = np.where(mask, nll_each, 0.0).sum() / n
    grad = np.exp(logp)
    np.put_along_axis(grad, targets[:, :, None],
                      np.take_along_axis(grad, targets[:, :, None], axis=2) - 1, axis=2)
    return float(loss), np.where(mask[:, :, None], grad, 0.0) / n
""", NLL),
    Answer("masked_nll", "mean over every position", "wrong", nll(
        "    loss = -(picked * mask).mean()\n",
        "    return loss, (p - onehot) * mask[..., None] / mask.size\n"), NLL,
        names=("every position", "mask.sum()")),
    Answer("masked_nll", "gradient on the padding", "wrong", nll(
        GOOD_LOSS, "    return loss, (p - onehot) / count\n"), NLL, names=("padding",)),
    Answer("masked_nll", "no max subtracted (overflow at logits of 1000)", "wrong", """
def masked_nll(logits, targets, mask):
    e = np.exp(logits)
    p = e / e.sum(axis=-1, keepdims=True)
    picked = np.take_along_axis(p, targets[..., None], axis=-1)[..., 0]
    count = mask.sum()
    loss = -(np.log(picked) * mask).sum() / count
    onehot = np.eye(logits.shape[-1])[targets]
    return loss, (p - onehot) * mask[..., None] / count
""", NLL, names=("overflow", "maximum")),
    Answer("masked_nll", "log of the softmax probabilities (0 at logits of 1000)", "wrong", """
def masked_nll(logits, targets, mask):
    N, T, V = logits.shape
    flat = logits.reshape(-1, V).astype(np.float64)
    keep = mask.ravel()
    z = flat[keep] - flat[keep].max(axis=1, keepdims=True)
    probs = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    rows = np.arange(keep.sum())
    t = targets.ravel()[keep]
    loss = -np.mean(np.log(probs[rows, t]))
    d = probs.copy()
    d[rows, t] -= 1
    grad = np.zeros((N * T, V))
    grad[keep] = d / keep.sum()
    return loss, grad.reshape(N, T, V).astype(logits.dtype)
""", NLL, names=("log-softmax", "underflowed")),
    Answer("masked_nll", "softmax over the time axis", "wrong", """
def masked_nll(logits, targets, mask):
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    picked = np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]
    count = mask.sum()
    loss = -(picked * mask).sum() / count
    onehot = np.eye(logits.shape[-1])[targets]
    return loss, (np.exp(logp) - onehot) * mask[..., None] / count
""", NLL, names=("axis",)),
    Answer("masked_nll", "targets shifted by one again", "wrong", """
def masked_nll(logits, targets, mask):
    z = logits[:, :-1] - logits[:, :-1].max(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    tg, m = targets[:, 1:], mask[:, 1:]
    picked = np.take_along_axis(logp, tg[..., None], axis=-1)[..., 0]
    count = m.sum()
    loss = -(picked * m).sum() / count
    grad = np.zeros(logits.shape)
    grad[:, :-1] = (np.exp(logp) - np.eye(logits.shape[-1])[tg]) * m[..., None] / count
    return loss, grad
""", NLL, names=("shift",)),
    Answer("masked_nll", "gradient with the wrong sign", "wrong", nll(
        GOOD_LOSS, "    return loss, (onehot - p) * mask[..., None] / count\n"), NLL,
        names=("sign",)),
    Answer("masked_nll", "gradient not divided by the count", "wrong", nll(
        GOOD_LOSS, "    return loss, (p - onehot) * mask[..., None]\n"), NLL,
        names=("mask.sum()",)),
    Answer("masked_nll", "logits shifted in place", "wrong", """
def masked_nll(logits, targets, mask):
    logits -= logits.max(axis=-1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    picked = np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]
    count = mask.sum()
    onehot = np.eye(logits.shape[-1])[targets]
    return -(picked * mask).sum() / count, (np.exp(logp) - onehot) * mask[..., None] / count
""", NLL, names=("in place", "logits")),
    Answer("masked_nll", "course_lib's SequenceCrossEntropyLoss", "delegates", """
from course_lib.losses import SequenceCrossEntropyLoss


def masked_nll(logits, targets, mask):
    loss_fn = SequenceCrossEntropyLoss()
    loss = loss_fn.forward(logits, targets, mask)
    return loss, loss_fn.backward()
""", NLL, names=("course_lib", "yourself")),

    # --- exercise 2: the embedding's backward ---------------------------------------------
    Answer("embedding_backward", "a loop over the vocabulary with a boolean mask", "correct", """
def embedding_backward(grad_out, indices, num_embeddings):
    dW = np.zeros((num_embeddings, grad_out.shape[-1]), dtype=grad_out.dtype)
    for v in range(num_embeddings):
        dW[v] = grad_out[indices == v].sum(axis=0)
    return dW
""", EMB),
    Answer("embedding_backward", "one-hot matrix product", "correct", """
def embedding_backward(grad_out, indices, num_embeddings):
    onehot = indices[..., None] == np.arange(num_embeddings)
    return np.einsum("ntv,nte->ve", onehot.astype(grad_out.dtype), grad_out)
""", EMB),
    Answer("embedding_backward", "np.bincount column by column", "correct", """
def embedding_backward(grad_out, indices, num_embeddings):
    flat = grad_out.reshape(-1, grad_out.shape[2])
    cols = [np.bincount(indices.ravel(), weights=flat[:, e], minlength=num_embeddings)
            for e in range(flat.shape[1])]
    return np.stack(cols, axis=1)
""", EMB),
    Answer("embedding_backward", "fancy-index += (repeats written once)", "wrong", """
def embedding_backward(grad_out, indices, num_embeddings):
    dW = np.zeros((num_embeddings, grad_out.shape[-1]))
    dW[indices] += grad_out
    return dW
""", EMB, names=("more than once", "np.add.at")),
    Answer("embedding_backward", "transposed (E, V)", "wrong", """
def embedding_backward(grad_out, indices, num_embeddings):
    dW = np.zeros((grad_out.shape[-1], num_embeddings))
    np.add.at(dW.T, indices, grad_out)
    return dW
""", EMB, names=("transpose",)),
    Answer("embedding_backward", "rows only up to the largest index", "wrong", """
def embedding_backward(grad_out, indices, num_embeddings):
    dW = np.zeros((indices.max() + 1, grad_out.shape[-1]))
    np.add.at(dW, indices, grad_out)
    return dW
""", EMB, names=("num_embeddings",)),
    Answer("embedding_backward", "batch summed before the lookup (first word's indices)",
           "wrong", """
def embedding_backward(grad_out, indices, num_embeddings):
    dW = np.zeros((num_embeddings, grad_out.shape[-1]))
    np.add.at(dW, indices[0], grad_out.sum(axis=0))
    return dW
""", EMB, names=("indices", "position")),
    Answer("embedding_backward", "course_lib's Embedding layer", "delegates", """
from course_lib.layers import Embedding


def embedding_backward(grad_out, indices, num_embeddings):
    layer = Embedding(num_embeddings, grad_out.shape[-1], rng=0)
    layer.forward(indices)
    layer.backward(grad_out)
    return layer.grads["W"]
""", EMB, names=("course_lib", "yourself")),

    # --- exercise 3: one RNN step ---------------------------------------------------------
    Answer("rnn_step", "np.dot and a stored slope", "correct", """
def rnn_step_forward(x, h_prev, Wx, Wh, b):
    return np.tanh(np.dot(x, Wx) + np.dot(h_prev, Wh) + b)


def rnn_step_backward(dh, x, h_prev, h, Wx, Wh):
    slope = 1.0 - h * h
    da = dh * slope
    return np.dot(da, Wx.T), np.dot(da, Wh.T), np.dot(x.T, da), np.dot(h_prev.T, da), \\
        np.sum(da, axis=0)
""", STEP),
    Answer("rnn_step", "+= on a pre-activation, transposed products", "correct", """
def rnn_step_forward(x, h_prev, Wx, Wh, b):
    a = x @ Wx
    a += h_prev @ Wh
    a += b
    return np.tanh(a)


def rnn_step_backward(dh, x, h_prev, h, Wx, Wh):
    da = (1 + h) * (1 - h) * dh
    return (Wx @ da.T).T, (Wh @ da.T).T, (da.T @ x).T, (da.T @ h_prev).T, da.sum(0)
""", STEP),
    Answer("rnn_step", "Wh transposed in the forward", "wrong", """
def rnn_step_forward(x, h_prev, Wx, Wh, b):
    return np.tanh(x @ Wx + h_prev @ Wh.T + b)


def rnn_step_backward(dh, x, h_prev, h, Wx, Wh):
""" + STEP_GOOD, STEP, names=("transposed",)),
    Answer("rnn_step", "tanh taken of h again for the slope", "wrong", step_backward("""
    da = dh * (1 - np.tanh(h) ** 2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)
"""), STEP, names=("tanh of h again",)),
    Answer("rnn_step", "slope at h_prev", "wrong", step_backward("""
    da = dh * (1 - h_prev ** 2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)
"""), STEP, names=("h_prev",)),
    Answer("rnn_step", "dWh from this step's h", "wrong", step_backward("""
    da = dh * (1 - h ** 2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h.T @ da, da.sum(axis=0)
"""), STEP, names=("h_prev.T @ da",)),
    Answer("rnn_step", "db per sample", "wrong", step_backward("""
    da = dh * (1 - h ** 2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da
"""), STEP, names=("shared by the batch",)),
    Answer("rnn_step", "dx without the transpose of Wx", "wrong", step_backward("""
    da = dh * (1 - h ** 2)
    return da @ Wx, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)
"""), STEP, names=("da @ Wx.T",)),
    Answer("rnn_step", "no slope of tanh at all", "wrong", step_backward("""
    return dh @ Wx.T, dh @ Wh.T, x.T @ dh, h_prev.T @ dh, dh.sum(axis=0)
"""), STEP, names=("slope of tanh",)),

    # --- exercise 4: BPTT -----------------------------------------------------------------
    Answer("rnn_backward", "reversed loop, dh_next carried", "correct", bptt(BPTT_GOOD), BPTT),
    Answer("rnn_backward", "h_prev from a shifted copy, the step's backward reused", "correct",
           STEP_FWD + """
def rnn_step_backward(dh, x, h_prev, h, Wx, Wh):
    da = dh * (1 - h ** 2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def rnn_backward(grad_h, x, h, Wx, Wh):
    N, T, H = h.shape
    h_prevs = np.concatenate([np.zeros_like(h[:, :1]), h[:, :-1]], axis=1)
    grads = [np.zeros_like(Wx, dtype=np.float64), np.zeros_like(Wh, dtype=np.float64),
             np.zeros(H)]
    dxs = [None] * T
    carry = 0
    for t in range(T - 1, -1, -1):
        dx_t, carry, dWx, dWh, db = rnn_step_backward(grad_h[:, t] + carry, x[:, t],
                                                       h_prevs[:, t], h[:, t], Wx, Wh)
        dxs[t] = dx_t
        grads = [a + b for a, b in zip(grads, (dWx, dWh, db))]
    return (np.stack(dxs, axis=1), *grads)
""", BPTT),
    Answer("rnn_backward", "no gradient carried back through time", "wrong", bptt(
        BPTT_GOOD.replace("(grad_h[:, t] + dh_next)", "grad_h[:, t]")), BPTT,
        names=("carry",)),
    Answer("rnn_backward", "loops forward in time", "wrong", bptt(
        BPTT_GOOD.replace("reversed(range(T))", "range(T)")), BPTT,
        names=("forward", "last step")),
    Answer("rnn_backward", "dWh assigned (=) instead of added", "wrong", bptt(
        BPTT_GOOD.replace("dWh += h_prev.T @ da", "dWh = h_prev.T @ da")), BPTT,
        names=("+=",)),
    Answer("rnn_backward", "previous state from np.roll", "wrong", bptt(
        BPTT_GOOD.replace("h[:, t - 1] if t > 0 else np.zeros((N, H))",
                          "np.roll(h, 1, axis=1)[:, t]")), BPTT, names=("np.roll",)),
    Answer("rnn_backward", "grad_h changed in place", "wrong", """
def rnn_backward(grad_h, x, h, Wx, Wh):
    N, T, H = h.shape
    dx = np.zeros(x.shape)
    dWx, dWh, db = np.zeros(Wx.shape), np.zeros(Wh.shape), np.zeros(H)
    for t in reversed(range(T)):
        h_prev = h[:, t - 1] if t > 0 else np.zeros((N, H))
        da = grad_h[:, t] * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += h_prev.T @ da
        db += da.sum(axis=0)
        if t > 0:
            grad_h[:, t - 1] += da @ Wh.T
    return dx, dWx, dWh, db
""", BPTT, names=("in place", "grad_h")),
    Answer("rnn_backward", "course_lib's RNN layer", "delegates", """
from course_lib.layers import RNN


def rnn_backward(grad_h, x, h, Wx, Wh):
    layer = RNN(Wx.shape[0], Wx.shape[1], rng=0)
    layer.params["Wx"], layer.params["Wh"] = Wx, Wh
    layer.params["b"] = np.zeros(Wx.shape[1])
    layer.forward(x)
    dx = layer.backward(grad_h)
    return dx, layer.grads["Wx"], layer.grads["Wh"], layer.grads["b"]
""", BPTT, names=("course_lib", "yourself")),

    # --- exercise 5: clipping -------------------------------------------------------------
    Answer("clip_by_global_norm", "norm of one concatenated vector", "correct", clip("""
    norm = np.sqrt(np.sum([np.sum(np.square(g)) for g in grads]))
    if norm <= max_norm:
        return [g.copy() for g in grads]
    return [g / (norm / max_norm) for g in grads]
"""), CLIP),
    Answer("clip_by_global_norm", "PyTorch's 1e-6 and a clamp", "correct", clip("""
    total = np.sqrt(sum(np.vdot(g, g) for g in grads))
    coef = min(max_norm / (total + 1e-6), 1.0)
    return [np.multiply(g, coef).astype(g.dtype) for g in grads]
"""), CLIP),
    Answer("clip_by_global_norm", "each array clipped on its own", "wrong", clip("""
    out = []
    for g in grads:
        n = np.linalg.norm(g)
        out.append(g * max_norm / n if n > max_norm else g.copy())
    return out
"""), CLIP, names=("on its own",)),
    Answer("clip_by_global_norm", "scales in place", "wrong", clip("""
    norm = np.sqrt(sum((g ** 2).sum() for g in grads))
    if norm > max_norm:
        for g in grads:
            g *= max_norm / norm
    return grads
"""), CLIP, names=("in place",)),
    Answer("clip_by_global_norm", "squared norm compared and used", "wrong", clip("""
    sq = sum((g ** 2).sum() for g in grads)
    return [g * min(1.0, max_norm / sq) for g in grads]
"""), CLIP, names=("squared",)),
    Answer("clip_by_global_norm", "the ratio upside down (norm / max_norm)", "wrong", clip("""
    norm = np.sqrt(sum((g ** 2).sum() for g in grads))
    if norm > max_norm:
        return [g * (norm / max_norm) for g in grads]
    return [g for g in grads]
"""), CLIP, names=("max_norm / norm",)),
    Answer("clip_by_global_norm", "always rescaled to max_norm", "wrong", clip("""
    norm = np.sqrt(sum((g ** 2).sum() for g in grads))
    return [g * max_norm / norm for g in grads]
"""), CLIP, names=("already smaller",)),
    Answer("clip_by_global_norm", "course_lib's clip_grad_norm on holders", "delegates", """
from course_lib.layers import Layer
from course_lib.optim import clip_grad_norm


def clip_by_global_norm(grads, max_norm):
    holders = []
    for g in grads:
        layer = Layer()
        layer.params["p"], layer.grads["p"] = np.zeros_like(g), g.copy()
        holders.append(layer)
    clip_grad_norm(holders, max_norm)
    return [layer.grads["p"] for layer in holders]
""", CLIP, names=("course_lib", "yourself")),

    # --- exercise 6: the LSTM step's backward ---------------------------------------------
    Answer("lstm_step_backward", "gate by gate", "correct", lstm(LSTM_GOOD), LSTM_CHECK),
    Answer("lstm_step_backward", "np.split gates and one stacked sigmoid", "correct", """
def lstm_step_backward(dh, dc, x, h_prev, c_prev, Wx, Wh, b):
    a = x @ Wx + h_prev @ Wh + b
    ai, af, ag, ao = np.split(a, 4, axis=1)
    i, f, o = (0.5 * (1 + np.tanh(0.5 * z)) for z in (ai, af, ao))
    g = np.tanh(ag)
    c = f * c_prev + i * g
    tc = np.tanh(c)
    total = dc + dh * o * (1 - tc * tc)
    da = np.hstack([total * g * i * (1 - i), total * c_prev * f * (1 - f),
                    total * i * (1 - g * g), dh * tc * o * (1 - o)])
    return (da @ Wx.T, da @ Wh.T, total * f, x.T @ da, h_prev.T @ da, np.sum(da, 0))
""", LSTM_CHECK),
    Answer("lstm_step_backward", "no gradient through h = o * tanh(c)", "wrong", lstm(
        LSTM_GOOD.replace("dct = dc + dh * o * (1 - tc ** 2)", "dct = dc")), LSTM_CHECK,
        names=("h = o * tanh(c)",)),
    Answer("lstm_step_backward", "dc_prev without f", "wrong", lstm(
        LSTM_GOOD.replace("dc_prev = dct * f", "dc_prev = dct")), LSTM_CHECK,
        names=("dc_prev = dc_total * f",)),
    Answer("lstm_step_backward", "tanh(c)'s slope as 1 - c**2", "wrong", lstm(
        LSTM_GOOD.replace("(1 - tc ** 2)", "(1 - c ** 2)")), LSTM_CHECK,
        names=("tanh(c)",)),
    Answer("lstm_step_backward", "output gate without its sigmoid slope", "wrong", lstm(
        LSTM_GOOD.replace("do = dh * tc * o * (1 - o)", "do = dh * tc")), LSTM_CHECK,
        names=("o * (1 - o)",)),
    Answer("lstm_step_backward", "g's slope as a sigmoid's", "wrong", lstm(
        LSTM_GOOD.replace("dg = dct * i * (1 - g ** 2)", "dg = dct * i * g * (1 - g)")),
        LSTM_CHECK, names=("1 - g**2",)),
    Answer("lstm_step_backward", "course_lib's LSTM layer", "delegates", """
from course_lib.layers import LSTM


def lstm_step_backward(dh, dc, x, h_prev, c_prev, Wx, Wh, b):
    layer = LSTM(Wx.shape[0], h_prev.shape[1], rng=0)
    layer.params.update(Wx=Wx, Wh=Wh, b=b)
    layer.forward(x[:, None])
    dx = layer.backward(dh[:, None])
    return dx[:, 0], None, None, layer.grads["Wx"], layer.grads["Wh"], layer.grads["b"]
""", LSTM_CHECK, names=("course_lib", "yourself")),
]
