"""Embedding, RNN, LSTM, TimeDense, the masked sequence loss and clip_grad_norm.

Every backward is compared with central differences in float64 (relative error
< 1e-6), on non-square shapes (N, T, D, H all different) and several seeds.
"""

import numpy as np
import pytest

from course_lib.gradcheck import check_layer, numerical_gradient, relative_error
from course_lib.layers import LSTM, RNN, Embedding, TimeDense
from course_lib.losses import SequenceCrossEntropyLoss
from course_lib.model import Sequential
from course_lib.optim import SGD, clip_grad_norm

TOL = 1e-6
SEEDS = [0, 1, 2]


def assert_all_close(errors, names):
    assert set(errors) == set(names)
    for name, err in errors.items():
        assert err < TOL, f"gradient of {name}: relative error {err:.2e}"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("cls", [RNN, LSTM])
def test_recurrent_gradients(cls, seed):
    rng = np.random.default_rng(seed)
    N, T, D, H = 3, 5, 4, 6
    layer = cls(D, H, rng=rng)
    for p in layer.params.values():  # larger weights: the state matters, tanh saturates a bit
        p *= 2.0
    errors = check_layer(layer, rng.standard_normal((N, T, D)), seed=seed)
    assert_all_close(errors, {"x", "Wx", "Wh", "b"})


@pytest.mark.parametrize("cls", [RNN, LSTM])
def test_recurrent_one_step_and_batch_of_one(cls):
    rng = np.random.default_rng(3)
    layer = cls(2, 3, rng=rng)
    assert_all_close(check_layer(layer, rng.standard_normal((1, 1, 2))), {"x", "Wx", "Wh", "b"})


def test_rnn_forward_is_the_recurrence():
    rng = np.random.default_rng(0)
    layer = RNN(3, 4, rng=rng)
    x = rng.standard_normal((2, 6, 3))
    h = layer.forward(x)
    Wx, Wh, b = layer.params["Wx"], layer.params["Wh"], layer.params["b"]
    h_t = np.zeros((2, 4))
    for t in range(6):
        h_t = np.tanh(x[:, t] @ Wx + h_t @ Wh + b)
        np.testing.assert_allclose(h[:, t], h_t, rtol=1e-12, atol=1e-12)


def test_lstm_forward_gate_order_is_i_f_g_o():
    rng = np.random.default_rng(1)
    D, H = 3, 2
    layer = LSTM(D, H, rng=rng)
    x = rng.standard_normal((4, 3, D))
    h = layer.forward(x)
    p = layer.params
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    h_t, c_t = np.zeros((4, H)), np.zeros((4, H))
    for t in range(3):
        a = x[:, t] @ p["Wx"] + h_t @ p["Wh"] + p["b"]
        i, f = sig(a[:, :H]), sig(a[:, H:2 * H])
        g, o = np.tanh(a[:, 2 * H:3 * H]), sig(a[:, 3 * H:])
        c_t = f * c_t + i * g
        h_t = o * np.tanh(c_t)
        np.testing.assert_allclose(h[:, t], h_t, rtol=1e-12, atol=1e-12)


def test_lstm_survives_extreme_inputs():
    layer = LSTM(2, 3, rng=0)
    h = layer.forward(np.full((1, 4, 2), 1e4))
    assert np.isfinite(h).all() and np.abs(h).max() <= 1
    g = layer.backward(np.ones_like(h))
    assert np.isfinite(g).all()


@pytest.mark.parametrize("cls", [RNN, LSTM])
def test_grad_hidden_is_the_gradient_of_each_hidden_state(cls):
    """grad_hidden[:, t] = dL/dh_t: perturbing h_t (through the input at t+1 onwards) agrees."""
    rng = np.random.default_rng(5)
    N, T, D, H = 2, 6, 3, 4
    layer = cls(D, H, rng=rng)
    x = rng.standard_normal((N, T, D))
    G = np.zeros((N, T, H))
    G[:, -1] = rng.standard_normal((N, H))  # the loss reads only the last step
    layer.forward(x)
    layer.backward(G)
    assert layer.grad_hidden.shape == (N, T, H)
    np.testing.assert_allclose(layer.grad_hidden[:, -1], G[:, -1])
    # the gradient reaching h_0 is the input-gradient route's: dL/dx_0 = da_0 Wx^T, and for
    # the RNN, da_0 = dh_0 * (1 - h_0^2)
    if cls is RNN:
        h0 = layer._h[:, 0]
        dx0 = (layer.grad_hidden[:, 0] * (1 - h0 ** 2)) @ layer.params["Wx"].T
        np.testing.assert_allclose(layer.backward(G)[:, 0], dx0, rtol=1e-10)


@pytest.mark.parametrize("cls", [RNN, LSTM])
def test_float32_computes_in_float32(cls):
    layer = cls(3, 4, rng=0, dtype=np.float32)
    x = np.random.default_rng(0).standard_normal((2, 5, 3)).astype(np.float32)
    h = layer.forward(x)
    assert h.dtype == np.float32
    assert layer.backward(np.ones_like(h)).dtype == np.float32
    assert all(g.dtype == np.float32 for g in layer.grads.values())
    ref = cls(3, 4, rng=0)
    np.testing.assert_allclose(h, ref.forward(x.astype(np.float64)), atol=1e-5)


@pytest.mark.parametrize("cls", [RNN, LSTM])
def test_recurrent_bad_input(cls):
    layer = cls(3, 4, rng=0)
    with pytest.raises(ValueError, match=r"must be 3-D \(batch first\), got shape \(5, 3\)"):
        layer.forward(np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"x must have shape \(N, T, 3\).*got \(2, 5, 4\)"):
        layer.forward(np.zeros((2, 5, 4)))
    with pytest.raises(TypeError, match="dtype float32 or float64, got int64"):
        layer.forward(np.zeros((2, 5, 3), dtype=np.int64))
    with pytest.raises(RuntimeError, match="call forward before backward"):
        cls(3, 4).backward(np.zeros((2, 5, 4)))
    layer.forward(np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match=r"grad_out .* must have shape \(2, 5, 4\)"):
        layer.backward(np.zeros((2, 4, 4)))


def test_recurrent_params_shapes_and_seed():
    assert {k: v.shape for k, v in RNN(3, 5, rng=0).params.items()} == {
        "Wx": (3, 5), "Wh": (5, 5), "b": (5,)}
    assert {k: v.shape for k, v in LSTM(3, 5, rng=0).params.items()} == {
        "Wx": (3, 20), "Wh": (5, 20), "b": (20,)}
    np.testing.assert_array_equal(LSTM(3, 5, rng=7).params["Wh"], LSTM(3, 5, rng=7).params["Wh"])
    assert np.abs(LSTM(3, 25, rng=0).params["Wx"]).max() <= 1 / 5


@pytest.mark.parametrize("seed", SEEDS)
def test_embedding_gradient_with_repeated_indices(seed):
    rng = np.random.default_rng(seed)
    V, E = 5, 3
    layer = Embedding(V, E, rng=rng)
    x = rng.integers(0, V, size=(4, 6))
    x[0, :3] = 2  # a token repeated: its gradients must add up
    G = rng.standard_normal((4, 6, E))
    y = layer.forward(x)
    assert y.shape == (4, 6, E)
    np.testing.assert_array_equal(y[1, 2], layer.params["W"][x[1, 2]])
    assert layer.backward(G) is None
    numeric = numerical_gradient(lambda: float(np.sum(layer.forward(x) * G)), layer.params["W"])
    assert relative_error(layer.grads["W"], numeric) < TOL
    # an unused row gets a zero gradient
    unused = sorted(set(range(V)) - set(x.ravel().tolist()))
    for i in unused:
        assert not layer.grads["W"][i].any()


def test_embedding_bad_input():
    layer = Embedding(4, 2, rng=0)
    with pytest.raises(ValueError, match=r"indices must lie in \[0, 4\).*from 0 to 4"):
        layer.forward(np.array([[0, 4]]))
    with pytest.raises(ValueError, match=r"from -1 to 1"):
        layer.forward(np.array([[-1, 1]]))
    with pytest.raises(TypeError, match="integer token indices, got dtype float64"):
        layer.forward(np.array([[0.0, 1.0]]))
    with pytest.raises(TypeError, match="must be a NumPy array, got list"):
        layer.forward([[0, 1]])
    with pytest.raises(RuntimeError, match="call forward before backward"):
        Embedding(4, 2).backward(np.zeros((1, 2, 2)))


@pytest.mark.parametrize("seed", SEEDS)
def test_time_dense_gradients(seed):
    rng = np.random.default_rng(seed)
    layer = TimeDense(4, 3, rng=rng)
    assert_all_close(check_layer(layer, rng.standard_normal((2, 5, 4)), seed=seed),
                     {"x", "W", "b"})
    with pytest.raises(ValueError, match=r"expects inputs of shape \(N, T, 4\), got \(2, 5, 3\)"):
        layer.forward(np.zeros((2, 5, 3)))


def _masked_case(seed):
    rng = np.random.default_rng(seed)
    N, T, V = 3, 5, 7
    z = rng.standard_normal((N, T, V)) * 3
    target = rng.integers(0, V, size=(N, T))
    mask = np.ones((N, T), dtype=bool)
    mask[0, 3:] = False
    mask[2, 1:] = False
    target[2, 1:] = 99  # padding may hold anything: it is never read
    return z, target, mask


@pytest.mark.parametrize("seed", SEEDS)
def test_sequence_loss_value_and_gradient(seed):
    z, target, mask = _masked_case(seed)
    loss = SequenceCrossEntropyLoss()
    value = loss.forward(z, target, mask)
    # by hand: the mean of -log softmax at the counted positions
    logp = z - np.log(np.exp(z).sum(axis=2, keepdims=True))
    n, t = np.nonzero(mask)
    assert value == pytest.approx(-logp[n, t, target[n, t]].mean(), rel=1e-12)
    assert loss.count == mask.sum() and loss.total == pytest.approx(value * loss.count)
    analytic = loss.backward().copy()
    assert not analytic[~mask].any()  # no gradient on padding
    numeric = numerical_gradient(lambda: loss.forward(z, target, mask), z)
    assert relative_error(analytic, numeric) < TOL


def test_sequence_loss_without_mask_and_extreme_logits():
    z = np.zeros((2, 3, 4))
    z[0, 0, 1] = 1e4
    loss = SequenceCrossEntropyLoss()
    value = loss.forward(z, np.array([[1, 0, 0], [0, 0, 0]]))
    assert np.isfinite(value) and np.isfinite(loss.backward()).all()
    assert value == pytest.approx(5 * np.log(4) / 6)


def test_sequence_loss_bad_input():
    loss = SequenceCrossEntropyLoss()
    z = np.zeros((2, 3, 4))
    with pytest.raises(ValueError, match=r"tokens must lie in \[0, 4\).*from 0 to 4"):
        loss.forward(z, np.array([[0, 0, 4], [0, 0, 0]]))
    with pytest.raises(ValueError, match=r"target must have shape \(N, T\) = \(2, 3\)"):
        loss.forward(z, np.zeros((2, 4), dtype=np.int64))
    with pytest.raises(TypeError, match="integer tokens, got dtype float64"):
        loss.forward(z, np.zeros((2, 3)))
    with pytest.raises(TypeError, match="mask must be boolean"):
        loss.forward(z, np.zeros((2, 3), dtype=np.int64), np.ones((2, 3)))
    with pytest.raises(ValueError, match="counts no position"):
        loss.forward(z, np.zeros((2, 3), dtype=np.int64), np.zeros((2, 3), dtype=bool))
    with pytest.raises(ValueError, match=r"must be 3-D"):
        loss.forward(np.zeros((2, 3)), np.zeros((2, 3), dtype=np.int64))


def test_clip_grad_norm_scales_all_together():
    rng = np.random.default_rng(0)
    layers = [TimeDense(3, 4, rng=0), RNN(4, 2, rng=1)]
    for layer in layers:
        layer.grads = {k: rng.standard_normal(v.shape) * 10 for k, v in layer.params.items()}
    before = [dict((k, g.copy()) for k, g in layer.grads.items()) for layer in layers]
    norm = np.sqrt(sum((g ** 2).sum() for d in before for g in d.values()))
    returned = clip_grad_norm(layers, 1.0)
    assert returned == pytest.approx(norm)
    after = np.sqrt(sum((g ** 2).sum() for layer in layers for g in layer.grads.values()))
    assert after == pytest.approx(1.0)
    for layer, old in zip(layers, before):  # one factor for all: the direction is kept
        for k, g in layer.grads.items():
            np.testing.assert_allclose(g, old[k] / norm)
    # below the threshold nothing changes
    small = clip_grad_norm(layers, 10.0)
    assert small == pytest.approx(1.0)
    assert np.sqrt(sum((g ** 2).sum() for layer in layers for g in layer.grads.values())) == \
        pytest.approx(1.0)


def test_clip_grad_norm_errors():
    layer = TimeDense(2, 2, rng=0)
    layer.grads = {"W": np.full((2, 2), np.inf), "b": np.zeros(2)}
    with pytest.raises(ValueError, match="global norm is inf"):
        clip_grad_norm(layer, 1.0)
    with pytest.raises(ValueError, match="max_norm"):
        clip_grad_norm(layer, 0.0)
    with pytest.raises(RuntimeError, match="has no gradient"):
        clip_grad_norm(TimeDense(2, 2), 1.0)


def test_a_character_model_trains_in_a_sequential():
    """Embedding -> LSTM -> TimeDense in a Sequential, the masked loss, clipping and SGD."""
    from course_lib.text import VOCAB_SIZE, encode_words
    words = ["cat", "car", "cart", "art", "tar", "rat", "arc", "act"]
    inputs, targets, mask = encode_words(words)
    model = Sequential([Embedding(VOCAB_SIZE, 8, rng=0), LSTM(8, 16, rng=1),
                        TimeDense(16, VOCAB_SIZE, rng=2)])
    loss, opt = SequenceCrossEntropyLoss(), SGD(1.0)
    first = loss.forward(model.forward(inputs), targets, mask)
    for _ in range(60):
        loss.forward(model.forward(inputs), targets, mask)
        model.backward(loss.backward(), input_grad=False)
        clip_grad_norm(model, 5.0)
        opt.step(model)
    last = loss.forward(model.forward(inputs), targets, mask)
    assert first == pytest.approx(np.log(VOCAB_SIZE), abs=0.3)
    assert last < 0.5 * first
