"""Embedding, RNN (tanh) and LSTM against PyTorch's nn.Embedding, nn.RNN and nn.LSTM.

The same weights are copied into both (PyTorch keeps W transposed, ``weight_ih_l0``
(G*H, D) for our ``Wx`` (D, G*H), and two biases whose sum is our ``b``). In float64,
outputs, input gradients and parameter gradients agree to ``TOL``, for a loss that
reads every time step through a fixed random weighting.
"""

import numpy as np
import pytest

from course_lib.layers import LSTM, RNN, Embedding

torch = pytest.importorskip("torch")

TOL = 1e-7  # as tests/independent/conftest.py states: float64, absolute and relative

SHAPES = [(3, 7, 4, 5), (1, 1, 2, 3), (5, 12, 6, 8)]  # N, T, D, H


def _close(ours, theirs, what):
    theirs = theirs.detach().numpy()
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs {theirs.shape}"
    np.testing.assert_allclose(ours, theirs, rtol=TOL, atol=TOL, err_msg=what)


def _torch_recurrent(cls, layer):
    p = layer.params
    D, H = layer.input_size, layer.hidden_size
    kwargs = {"nonlinearity": "tanh"} if cls is RNN else {}
    net = (torch.nn.RNN if cls is RNN else torch.nn.LSTM)(D, H, batch_first=True,
                                                           dtype=torch.float64, **kwargs)
    with torch.no_grad():
        net.weight_ih_l0.copy_(torch.from_numpy(p["Wx"].T.copy()))
        net.weight_hh_l0.copy_(torch.from_numpy(p["Wh"].T.copy()))
        # two biases in PyTorch, one here: split ours at random to test the sum
        split = np.random.default_rng(0).standard_normal(p["b"].shape)
        net.bias_ih_l0.copy_(torch.from_numpy(split))
        net.bias_hh_l0.copy_(torch.from_numpy(p["b"] - split))
    return net


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("cls", [RNN, LSTM])
def test_recurrent_against_torch(cls, shape):
    N, T, D, H = shape
    rng = np.random.default_rng(sum(shape))
    layer = cls(D, H, rng=rng)
    for p in layer.params.values():
        p *= 1.5  # weights large enough that the gates and tanh leave their linear range
    x = rng.standard_normal((N, T, D))
    G = rng.standard_normal((N, T, H))

    h = layer.forward(x)
    dx = layer.backward(G)

    net = _torch_recurrent(cls, layer)
    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    ht, _ = net(xt)
    (ht * torch.from_numpy(G)).sum().backward()

    _close(h, ht, f"{cls.__name__} output")
    _close(dx, xt.grad, f"{cls.__name__} dL/dx")
    _close(layer.grads["Wx"], net.weight_ih_l0.grad.T, f"{cls.__name__} dWx")
    _close(layer.grads["Wh"], net.weight_hh_l0.grad.T, f"{cls.__name__} dWh")
    _close(layer.grads["b"], net.bias_ih_l0.grad, f"{cls.__name__} db (bias_ih)")
    _close(layer.grads["b"], net.bias_hh_l0.grad, f"{cls.__name__} db (bias_hh)")


@pytest.mark.parametrize("seed", [0, 1])
def test_embedding_against_torch(seed):
    rng = np.random.default_rng(seed)
    V, E = 11, 4
    layer = Embedding(V, E, rng=rng)
    x = rng.integers(0, V, size=(6, 9))
    x[0, :5] = 3  # repeated indices: their gradients add up
    G = rng.standard_normal((6, 9, E))
    y = layer.forward(x)
    layer.backward(G)

    emb = torch.nn.Embedding(V, E, dtype=torch.float64)
    with torch.no_grad():
        emb.weight.copy_(torch.from_numpy(layer.params["W"]))
    yt = emb(torch.from_numpy(x))
    (yt * torch.from_numpy(G)).sum().backward()
    _close(y, yt, "Embedding output")
    _close(layer.grads["W"], emb.weight.grad, "Embedding dW")


@pytest.mark.parametrize("cls", [RNN, LSTM])
def test_embedding_then_recurrent_against_torch(cls):
    """The gradient reaching the embedding through a recurrent layer (the input gradient in use)."""
    rng = np.random.default_rng(42)
    V, E, H, N, T = 9, 5, 6, 4, 8
    emb, layer = Embedding(V, E, rng=rng), cls(E, H, rng=rng)
    x = rng.integers(0, V, size=(N, T))
    G = rng.standard_normal((N, T, H))
    h = layer.forward(emb.forward(x))
    emb.backward(layer.backward(G))

    emb_t = torch.nn.Embedding(V, E, dtype=torch.float64)
    with torch.no_grad():
        emb_t.weight.copy_(torch.from_numpy(emb.params["W"]))
    net = _torch_recurrent(cls, layer)
    ht, _ = net(emb_t(torch.from_numpy(x)))
    (ht * torch.from_numpy(G)).sum().backward()
    _close(h, ht, "output")
    _close(emb.grads["W"], emb_t.weight.grad, "Embedding dW through the recurrent layer")
