"""Lesson 09's exercise checks: correct answers in several styles pass, each usual slip is
rejected with its own message, and an answer that calls course_lib's own piece is refused."""

import numpy as np
import pytest

from check_helpers import fails, passes

from course_lib import checks
from course_lib.checks.lesson09 import (_l09_bptt, _l09_lstm_backward, _l09_lstm_case,
                                        _l09_masked_nll, _l09_nll_case, _l09_rnn_sequence)
from course_lib.layers import LSTM, RNN, Embedding
from course_lib.losses import SequenceCrossEntropyLoss
from course_lib.optim import clip_grad_norm


# --- embedding_backward ------------------------------------------------------------------
def emb_add_at(g, idx, V):
    dW = np.zeros((V, g.shape[-1]), dtype=g.dtype)
    np.add.at(dW, idx, g)
    return dW


def emb_loop(g, idx, V):
    dW = np.zeros((V, g.shape[-1]))
    for n in range(idx.shape[0]):
        for t in range(idx.shape[1]):
            dW[idx[n, t]] += g[n, t]
    return dW


def emb_one_hot(g, idx, V):
    return np.eye(V)[idx.ravel()].T @ g.reshape(-1, g.shape[-1])


def emb_assign(g, idx, V):
    dW = np.zeros((V, g.shape[-1]))
    dW[idx] = g
    return dW


def emb_fancy_plus(g, idx, V):
    dW = np.zeros((V, g.shape[-1]))
    dW[idx] += g
    return dW


def emb_delegate(g, idx, V):
    layer = Embedding(V, g.shape[-1])
    layer.forward(idx)
    layer.backward(g)
    return layer.grads["W"]


def test_embedding_backward(capsys):
    for answer in (emb_add_at, emb_loop, emb_one_hot):
        passes(capsys, checks.check_embedding_backward, answer)
    fails(checks.check_embedding_backward, emb_assign, match="repeated indices must add up|"
          "Repeated indices must add up")
    fails(checks.check_embedding_backward, emb_fancy_plus, match="Repeated indices must add up")
    fails(checks.check_embedding_backward, lambda g, i, V: emb_add_at(g, i, V).T,
          match="transpose of W's")
    fails(checks.check_embedding_backward, emb_delegate, match="calls course_lib's "
          "course_lib.layers.recurrent.Embedding.backward")
    # the layer works again after the check
    layer = Embedding(3, 2, rng=0)
    layer.forward(np.array([[1]]))
    layer.backward(np.ones((1, 1, 2)))


# --- rnn_step ----------------------------------------------------------------------------
def step_forward(x, h_prev, Wx, Wh, b):
    return np.tanh(x @ Wx + h_prev @ Wh + b)


def step_backward(dh, x, h_prev, h, Wx, Wh):
    da = dh * (1 - h ** 2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def step_backward_einsum(dh, x, h_prev, h, Wx, Wh):
    da = dh * (1 - h * h)
    return (np.einsum("nh,dh->nd", da, Wx), np.einsum("nh,kh->nk", da, Wh),
            np.einsum("nd,nh->dh", x, da), np.einsum("nk,nh->kh", h_prev, da), np.sum(da, 0))


def test_rnn_step(capsys):
    passes(capsys, checks.check_rnn_step, step_forward, step_backward)
    passes(capsys, checks.check_rnn_step, step_forward, step_backward_einsum)
    fails(checks.check_rnn_step, lambda x, hp, Wx, Wh, b: np.tanh(x @ Wx + hp @ Wh.T + b),
          step_backward, match="uses Wh transposed")
    fails(checks.check_rnn_step, lambda x, hp, Wx, Wh, b: x @ Wx + hp @ Wh + b,
          step_backward, match="missing the tanh")
    fails(checks.check_rnn_step, lambda x, hp, Wx, Wh, b: np.tanh(x @ Wx + b),
          step_backward, match="leaves out the previous state")

    def no_slope(dh, x, hp, h, Wx, Wh):
        return dh @ Wx.T, dh @ Wh.T, x.T @ dh, hp.T @ dh, dh.sum(axis=0)

    def no_transpose(dh, x, hp, h, Wx, Wh):
        out = list(step_backward(dh, x, hp, h, Wx, Wh))
        out[1] = (dh * (1 - h ** 2)) @ Wh
        return tuple(out)

    def dWh_from_h(dh, x, hp, h, Wx, Wh):
        out = list(step_backward(dh, x, hp, h, Wx, Wh))
        out[3] = h.T @ (dh * (1 - h ** 2))
        return tuple(out)

    def db_not_summed(dh, x, hp, h, Wx, Wh):
        out = list(step_backward(dh, x, hp, h, Wx, Wh))
        out[4] = dh * (1 - h ** 2)
        return tuple(out)

    def slope_at_prev(dh, x, hp, h, Wx, Wh):
        return step_backward(dh * (1 - hp ** 2) / (1 - h ** 2), x, hp, h, Wx, Wh)

    fails(checks.check_rnn_step, step_forward, no_slope, match="slope of tanh")
    fails(checks.check_rnn_step, step_forward, no_transpose, match="not Wh.T")
    fails(checks.check_rnn_step, step_forward, dWh_from_h, match="this step's output")
    fails(checks.check_rnn_step, step_forward, db_not_summed, match=r"da.sum\(axis=0\)")
    fails(checks.check_rnn_step, step_forward, slope_at_prev, match="at h_prev")
    fails(checks.check_rnn_step, step_forward, lambda *a: step_backward(*a)[:4],
          match="should return 5 arrays")


# --- rnn_backward ------------------------------------------------------------------------
def bptt(grad_h, x, h, Wx, Wh):
    N, T, H = h.shape
    dx = np.zeros_like(x)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(H, dtype=h.dtype)
    dh_next = np.zeros((N, H), dtype=h.dtype)
    for t in reversed(range(T)):
        h_prev = h[:, t - 1] if t > 0 else np.zeros((N, H), dtype=h.dtype)
        dxt, dh_next, dWxt, dWht, dbt = step_backward(grad_h[:, t] + dh_next, x[:, t], h_prev,
                                                      h[:, t], Wx, Wh)
        dx[:, t] = dxt
        dWx += dWxt
        dWh += dWht
        db += dbt
    return dx, dWx, dWh, db


def bptt_vectorised(grad_h, x, h, Wx, Wh):
    N, T, H = h.shape
    da = np.zeros_like(h)
    dh_next = 0
    for t in range(T - 1, -1, -1):
        da[:, t] = (grad_h[:, t] + dh_next) * (1 - h[:, t] ** 2)
        dh_next = da[:, t] @ Wh.T
    h_prev = np.concatenate([np.zeros_like(h[:, :1]), h[:, :-1]], axis=1)
    return (da @ Wx.T, np.einsum("ntd,nth->dh", x, da), np.einsum("ntk,nth->kh", h_prev, da),
            da.sum(axis=(0, 1)))


def slip_bptt(**kwargs):
    return lambda *args: _l09_bptt(*args, **kwargs)


def test_rnn_backward(capsys):
    passes(capsys, checks.check_rnn_backward, bptt)
    passes(capsys, checks.check_rnn_backward, bptt_vectorised)
    passes(capsys, checks.check_rnn_backward, slip_bptt())
    fails(checks.check_rnn_backward, slip_bptt(carry=False), match="does not carry the "
          "gradient back through time")
    fails(checks.check_rnn_backward, slip_bptt(last_only=True), match="only the last step")
    fails(checks.check_rnn_backward, slip_bptt(roll=True), match="np.roll wraps")
    fails(checks.check_rnn_backward, slip_bptt(prev_is_h=True), match=r"uses h\[:, t\] for dWh")

    def delegate(grad_h, x, h, Wx, Wh):
        layer = RNN(x.shape[2], h.shape[2])
        layer.params.update(Wx=Wx, Wh=Wh)
        layer.forward(x)
        dx = layer.backward(grad_h)
        return dx, layer.grads["Wx"], layer.grads["Wh"], layer.grads["b"]

    fails(checks.check_rnn_backward, delegate, match="calls course_lib's "
          "course_lib.layers.recurrent.RNN.backward")


def test_bptt_reference_agrees_with_the_rnn_layer():
    grad_h, x, h, Wx, Wh = _l09_rnn_sequence(0)
    layer = RNN(4, 5)
    layer.params["Wx"][:], layer.params["Wh"][:] = Wx, Wh
    layer.params["b"][:] = np.random.default_rng(0).standard_normal(5) * 0.3
    h = layer.forward(x)
    dx = layer.backward(grad_h)
    ref = _l09_bptt(grad_h, x, h, Wx, Wh)
    for got, expected in zip((dx, layer.grads["Wx"], layer.grads["Wh"], layer.grads["b"]), ref):
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


# --- clip_by_global_norm -----------------------------------------------------------------
def clip_right(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    return [g * min(1.0, max_norm / norm) for g in grads]


def clip_concat(grads, max_norm):
    norm = np.linalg.norm(np.concatenate([g.ravel() for g in grads]))
    if norm <= max_norm:
        return [g.copy() for g in grads]
    return [g / norm * max_norm for g in grads]


def test_clip_by_global_norm(capsys):
    passes(capsys, checks.check_clip_by_global_norm, clip_right)
    passes(capsys, checks.check_clip_by_global_norm, clip_concat)
    fails(checks.check_clip_by_global_norm,
          lambda gs, m: [g * min(1.0, m / np.linalg.norm(g)) for g in gs],
          match="clipped on its own")
    fails(checks.check_clip_by_global_norm,
          lambda gs, m: [g * min(1.0, m / sum(np.linalg.norm(h) for h in gs)) for g in gs],
          match="sum of the arrays' norms")
    fails(checks.check_clip_by_global_norm,
          lambda gs, m: [g * m / np.sqrt(sum(np.sum(h ** 2) for h in gs)) for g in gs],
          match="scaled up")

    def in_place(grads, max_norm):
        norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))
        for g in grads:
            g *= min(1.0, max_norm / norm)
        return grads

    fails(checks.check_clip_by_global_norm, in_place, match="changed its input")

    def delegate(grads, max_norm):
        from course_lib import optim
        from course_lib.layers import Layer
        layer = Layer()
        layer.params = {str(i): g for i, g in enumerate(grads)}
        layer.grads = {str(i): g.copy() for i, g in enumerate(grads)}
        optim.clip_grad_norm(layer, max_norm)
        return list(layer.grads.values())

    fails(checks.check_clip_by_global_norm, delegate, match="calls course_lib's "
          "course_lib.optim.clip_grad_norm")
    assert clip_grad_norm.__name__ == "clip_grad_norm"  # restored after the check


# --- lstm_step_backward ------------------------------------------------------------------
def sig(a):
    return 1 / (1 + np.exp(-a))


def lstm_step_backward(dh, dc, x, h_prev, c_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    i, f, g, o = sig(a[:, :H]), sig(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), sig(a[:, 3 * H:])
    c = f * c_prev + i * g
    tc = np.tanh(c)
    dc = dc + dh * o * (1 - tc ** 2)
    da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g ** 2),
                         dh * tc * o * (1 - o)], axis=1)
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def slip_lstm(**kwargs):
    return lambda *args: _l09_lstm_backward(*args, **kwargs)


def test_lstm_step_backward(capsys):
    passes(capsys, checks.check_lstm_step_backward, lstm_step_backward)
    fails(checks.check_lstm_step_backward, slip_lstm(dh_path=False),
          match="through h = o \\* tanh\\(c\\)")
    fails(checks.check_lstm_step_backward, slip_lstm(forget=False),
          match=r"dc_prev = dc_total \* f")
    fails(checks.check_lstm_step_backward, slip_lstm(order="ifog"), match="order i, f, o, g")
    fails(checks.check_lstm_step_backward, slip_lstm(order="fiog"), match="another order")
    fails(checks.check_lstm_step_backward, slip_lstm(g_sigmoid=True), match="through a sigmoid")

    def delegate(dh, dc, x, h_prev, c_prev, Wx, Wh, b):
        layer = LSTM(x.shape[1], h_prev.shape[1])
        layer.forward(x[:, None])
        layer.backward(dh[:, None])
        return (None,) * 6

    fails(checks.check_lstm_step_backward, delegate, match="calls course_lib's "
          "course_lib.layers.recurrent.LSTM.backward")


def test_lstm_reference_agrees_with_the_lstm_layer():
    """With h_prev = c_prev = 0 one step of the reference is the layer's one-step sequence."""
    dh, dc, x, h_prev, c_prev, Wx, Wh, b = _l09_lstm_case(0, np.float64)
    zeros = np.zeros_like(h_prev)
    layer = LSTM(4, 5)
    layer.params.update(Wx=Wx, Wh=Wh, b=b)
    layer.forward(x[:, None])
    dx = layer.backward(dh[:, None])
    ref = _l09_lstm_backward(dh, np.zeros_like(dc), x, zeros, zeros, Wx, Wh, b)
    np.testing.assert_allclose(dx[:, 0], ref[0], rtol=1e-10)
    np.testing.assert_allclose(layer.grads["Wx"], ref[3], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(layer.grads["b"], ref[5], rtol=1e-10, atol=1e-14)


# --- masked_nll --------------------------------------------------------------------------
def nll_right(logits, targets, mask):
    z = logits - logits.max(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    n, t = np.nonzero(mask)
    M = mask.sum()
    loss = -logp[n, t, targets[n, t]].sum() / M
    grad = np.exp(logp)
    grad[np.arange(grad.shape[0])[:, None], np.arange(grad.shape[1]), targets] -= 1
    return loss, grad * mask[..., None] / M


def nll_with_course_softmax(logits, targets, mask):
    from course_lib.layers import softmax
    p = softmax(logits)
    onehot = np.eye(logits.shape[-1])[targets]
    M = np.count_nonzero(mask)
    loss = -np.sum(np.log(np.maximum(np.sum(p * onehot, axis=-1), 1e-300)) * mask) / M
    return loss, (p - onehot) * mask[..., None] / M


def test_masked_nll(capsys):
    passes(capsys, checks.check_masked_nll, nll_right)
    passes(capsys, checks.check_masked_nll, lambda *a: _l09_masked_nll(*a))
    fails(checks.check_masked_nll, lambda *a: _l09_masked_nll(*a, divide="all"),
          match="padding included")
    fails(checks.check_masked_nll, lambda *a: _l09_masked_nll(*a, divide="batch"),
          match="number of words N")
    fails(checks.check_masked_nll, lambda *a: _l09_masked_nll(*a, mask_grad=False),
          match="not zero on the padding")

    def overflow(logits, targets, mask):
        with np.errstate(all="ignore"):
            e = np.exp(logits)
            logp = np.log(e / e.sum(axis=-1, keepdims=True))
            picked = np.take_along_axis(logp, targets[..., None], axis=2)[..., 0]
            value = -(picked * mask).sum() / mask.sum()
        return value, nll_right(logits, targets, mask)[1]

    fails(checks.check_masked_nll, overflow, match="overflow in exp")

    def delegate(logits, targets, mask):
        loss = SequenceCrossEntropyLoss()
        return loss.forward(logits, targets, mask), loss.backward()

    fails(checks.check_masked_nll, delegate, match="calls course_lib's "
          "course_lib.losses.SequenceCrossEntropyLoss.forward")


def test_masked_nll_reference_agrees_with_the_loss():
    logits, targets, mask = _l09_nll_case(0, np.float64)
    loss = SequenceCrossEntropyLoss()
    value = loss.forward(logits, targets, mask)
    ref_value, ref_grad = _l09_masked_nll(logits, targets, mask)
    assert value == pytest.approx(ref_value, rel=1e-12)
    np.testing.assert_allclose(loss.backward(), ref_grad, rtol=1e-10, atol=1e-14)


# --- slips a simulated class found (tests/class_simulation/lesson09.py) ---------------------
def test_bptt_in_float32_stored_in_float64_passes(capsys):
    def float32_into_float64(grad_h, x, h, Wx, Wh):
        N, T, H = h.shape
        dx, dWx, dWh, db = np.zeros(x.shape), np.zeros(Wx.shape), np.zeros(Wh.shape), np.zeros(H)
        dh_next = np.zeros((N, H), dtype=x.dtype)
        for t in reversed(range(T)):
            h_prev = h[:, t - 1] if t > 0 else np.zeros((N, H), dtype=x.dtype)
            da = (grad_h[:, t] + dh_next) * (1 - h[:, t] ** 2)
            dx[:, t] = da @ Wx.T
            dWx += x[:, t].T @ da
            dWh += h_prev.T @ da
            db += da.sum(axis=0)
            dh_next = da @ Wh.T
        return dx, dWx, dWh, db

    passes(capsys, checks.check_rnn_backward, float32_into_float64)


@pytest.mark.parametrize("kwargs, match", [
    ({"forward": True}, "walks forward in time"),
    ({"assign": True}, "keeps only one step's share"),
])
def test_rnn_backward_more_slips(kwargs, match):
    fails(checks.check_rnn_backward, slip_bptt(**kwargs), match=match)


@pytest.mark.parametrize("kwargs, match", [
    ({"c_slope": True}, "1 - c\\*\\*2"),
    ({"o_slope": False}, "output gate's sigmoid slope"),
    ({"g_slope_sigmoid": True}, "slope as a sigmoid's"),
])
def test_lstm_more_slips(kwargs, match):
    fails(checks.check_lstm_step_backward, slip_lstm(**kwargs), match=match)


def nll_slip(**kwargs):
    return lambda logits, targets, mask: _l09_masked_nll(logits, targets, mask, **kwargs)


def nll_log_of_softmax(logits, targets, mask):
    z = logits - logits.max(axis=-1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
    picked = np.take_along_axis(p, targets[..., None], axis=-1)[..., 0]
    _, grad = _l09_masked_nll(logits, targets, mask)
    return -(np.log(picked) * mask).sum() / mask.sum(), grad


@pytest.mark.parametrize("answer, match", [
    (nll_slip(axis=1), "over the time axis"),
    (nll_slip(shift=True), "shifts the targets by one more step"),
    (lambda lg, t, m: (nll_right(lg, t, m)[0], -nll_right(lg, t, m)[1]), "wrong sign"),
    (lambda lg, t, m: (nll_right(lg, t, m)[0], nll_right(lg, t, m)[1] * m.sum()),
     "not divided by mask.sum"),
    (nll_log_of_softmax, "rather than log\\(softmax\\)"),
])
def test_masked_nll_more_slips(answer, match):
    fails(checks.check_masked_nll, answer, match=match)


def test_embedding_more_slips():
    def rows_up_to_max(g, idx, V):
        dW = np.zeros((idx.max() + 1, g.shape[-1]))
        np.add.at(dW, idx, g)
        return dW

    def first_word(g, idx, V):
        dW = np.zeros((V, g.shape[-1]))
        np.add.at(dW, idx[0], g.sum(axis=0))
        return dW

    fails(checks.check_embedding_backward, rows_up_to_max, match="num_embeddings = 7 rows")
    fails(checks.check_embedding_backward, first_word, match="before the lookup")


def test_rnn_step_slope_of_tanh_again_is_named():
    def again(dh, x, h_prev, h, Wx, Wh):
        da = dh * (1 - np.tanh(h) ** 2)
        return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)

    fails(checks.check_rnn_step, step_forward, again, match="tanh of h again")


@pytest.mark.parametrize("scale, match", [
    (lambda total, m: min(1.0, m / total ** 2), "squared norm"),
    (lambda total, m: total / m if total > m else 1.0, "upside down"),
])
def test_clip_more_slips(scale, match):
    def answer(grads, max_norm):
        total = np.sqrt(sum(float(np.sum(g.astype(np.float64) ** 2)) for g in grads))
        return [g * scale(total, max_norm) for g in grads]

    fails(checks.check_clip_by_global_norm, answer, match=match)


def test_rnn_step_backward_missing_transpose_is_named():
    def no_transpose(dh, x, h_prev, h, Wx, Wh):
        da = dh * (1 - h ** 2)
        return da @ Wx, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)

    fails(checks.check_rnn_step, step_forward, no_transpose, match="dx = da @ Wx.T")
