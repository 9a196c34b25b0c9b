"""The hand-written backward passes of Embedding, RNN, LSTM, TimeDense and the masked loss,
refereed by lesson 07's automatic differentiation (``course_lib.autograd``).

The same character model, Embedding -> RNN or LSTM -> TimeDense -> masked NLL per
character, is written twice: with the layers (their ``backward``, BPTT by hand) and with
autograd Tensors (one op at a time, the graph differentiated for us). Every parameter
gradient must agree to 1e-10 in float64. Skipped where ``course_lib.autograd`` is absent.
"""

import numpy as np
import pytest

from course_lib.layers import LSTM, RNN, Embedding, TimeDense
from course_lib.losses import SequenceCrossEntropyLoss
from course_lib.model import Sequential
from course_lib.text import VOCAB_SIZE, encode_words

autograd = pytest.importorskip("course_lib.autograd")
Tensor = autograd.Tensor

WORDS = ["cat", "zebra", "a", "quixotic", "bird"]


def _autograd_loss(model, params, inputs, targets, mask):
    """The model's masked NLL per character, built from Tensor ops."""
    W_emb, Wx, Wh, b, Wy, by = params
    recurrent = model.layers[1]
    H = recurrent.hidden_size
    x = W_emb[inputs]                                        # (N, T, E)
    N, T = inputs.shape
    h = Tensor(np.zeros((N, H)))
    c = Tensor(np.zeros((N, H)))
    states = []
    for t in range(T):
        a = x[:, t] @ Wx + h @ Wh + b
        if isinstance(recurrent, LSTM):
            i, f = a[:, :H].sigmoid(), a[:, H:2 * H].sigmoid()
            g, o = a[:, 2 * H:3 * H].tanh(), a[:, 3 * H:].sigmoid()
            c = f * c + i * g
            h = o * c.tanh()
        else:
            h = a.tanh()
        states.append(h)
    logits = autograd.stack(states, axis=1) @ Wy + by        # (N, T, V)
    log_probs = logits.log_softmax(axis=-1)
    picked = log_probs * np.eye(VOCAB_SIZE)[targets]         # one-hot of the targets
    return -(picked.sum(axis=-1) * mask.astype(float)).sum() / mask.sum()


@pytest.mark.parametrize("cell", [RNN, LSTM])
def test_layers_backward_agrees_with_autograd(cell):
    model = Sequential([Embedding(VOCAB_SIZE, 4, rng=0), cell(4, 5, rng=1),
                        TimeDense(5, VOCAB_SIZE, rng=2)])
    for p in model.layers[1].params.values():
        p *= 2.0  # out of the linear range of tanh and the gates
    inputs, targets, mask = encode_words(WORDS)
    loss_fn = SequenceCrossEntropyLoss()
    value = loss_fn.forward(model.forward(inputs), targets, mask)
    model.backward(loss_fn.backward(), input_grad=False)
    ours = [g for layer in model.layers for g in layer.grads.values()]

    params = [Tensor(p.copy(), requires_grad=True) for layer in model.layers
              for p in layer.params.values()]
    loss = _autograd_loss(model, params, inputs, targets, mask)
    loss.backward()
    assert loss.item() == pytest.approx(value, rel=1e-12)
    names = [f"{layer.name}.{k}" for layer in model.layers for k in layer.params]
    for name, got, tensor in zip(names, ours, params):
        np.testing.assert_allclose(got, tensor.grad, rtol=1e-10, atol=1e-12, err_msg=name)
