"""course_lib.autograd against PyTorch's autograd: the same graphs, the same gradients (float64).

Each test builds one graph twice, with course_lib's Tensor and with torch tensors, from the
same float64 arrays, calls backward on both, and compares the values and every leaf's
gradient to TOL (absolute and relative). The graphs broadcast, fan out, reshape and
transpose, and feed logits of +-1000 to the cross-entropy.
"""

import numpy as np
import pytest

from course_lib.autograd import Tensor, concatenate, softmax_cross_entropy, stack

torch = pytest.importorskip("torch")

TOL = 1e-7  # as every independent check (tests/independent/conftest.py)
F = torch.nn.functional


def run_both(build_ours, build_torch, *arrays):
    """Build, backward and return (value, grads) for both engines from the same arrays."""
    ours = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out_ours, out_theirs = build_ours(*ours), build_torch(*theirs)
    assert out_ours.shape == tuple(out_theirs.shape)
    out_ours.backward()
    out_theirs.backward()
    return (out_ours.data, [t.grad for t in ours],
            out_theirs.detach().numpy(), [t.grad.numpy() for t in theirs])


def assert_agree(build_ours, build_torch, *arrays):
    value, grads, ref_value, ref_grads = run_both(build_ours, build_torch, *arrays)
    np.testing.assert_allclose(value, ref_value, rtol=TOL, atol=TOL)
    for i, (g, ref) in enumerate(zip(grads, ref_grads)):
        assert g.shape == ref.shape, f"input {i}: gradient shape {g.shape} vs {ref.shape}"
        np.testing.assert_allclose(g, ref, rtol=TOL, atol=TOL, err_msg=f"gradient of input {i}")


SEEDS = [0, 1, 2]


@pytest.mark.parametrize("seed", SEEDS)
def test_broadcasting(seed):
    rng = np.random.default_rng(seed)
    a, b, c = rng.standard_normal((3, 1)), rng.standard_normal((1, 4)), rng.standard_normal(4)
    d = rng.uniform(1, 2, size=(1,))

    def build(a, b, c, d):
        return ((a * b + c) / d - a ** 2 * c).tanh().sum()

    assert_agree(build, build, a, b, c, d)


@pytest.mark.parametrize("seed", SEEDS)
def test_fan_out(seed):
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal((4, 3)), rng.standard_normal((3, 3))

    def ours(x, w):
        h = x @ w
        return (h * h.sigmoid() + (h @ w).relu() * x - h.exp() / (1 + h * h)).mean()

    def theirs(x, w):
        h = x @ w
        return (h * h.sigmoid() + (h @ w).relu() * x - h.exp() / (1 + h * h)).mean()

    assert_agree(ours, theirs, x, w)


@pytest.mark.parametrize("seed", SEEDS)
def test_reshape_transpose_and_batched_matmul(seed):
    rng = np.random.default_rng(seed)
    x, W = rng.standard_normal((2, 3, 8)), rng.standard_normal((8, 8))
    mask = np.triu(np.full((3, 3), -1e9), k=1)

    def heads(h, transpose):  # (N, T, 8) -> (N, 2, T, 4)
        return transpose(h.reshape(2, 3, 2, 4), (0, 2, 1, 3))

    def ours(x, W):
        q = heads(x @ W, lambda t, axes: t.transpose(*axes))
        scores = q @ q.transpose(0, 1, 3, 2) / 2.0 + mask
        out = scores.softmax(axis=-1) @ q
        var = out.transpose(0, 2, 1, 3).reshape(2, 3, 8).var(axis=-1)
        return (var + out.max(axis=1).sum()).sum()

    def theirs(x, W):
        q = heads(x @ W, lambda t, axes: t.permute(*axes))
        scores = q @ q.transpose(-1, -2) / 2.0 + torch.tensor(mask)
        out = scores.softmax(dim=-1) @ q
        var = out.transpose(1, 2).reshape(2, 3, 8).var(dim=-1, unbiased=False)
        return (var + out.max(dim=1).values.sum()).sum()

    assert_agree(ours, theirs, x, W)


@pytest.mark.parametrize("extreme", [1000.0, -1000.0])
@pytest.mark.parametrize("seed", SEEDS)
def test_extreme_logits(extreme, seed):
    rng = np.random.default_rng(seed)
    x, W, b = rng.standard_normal((6, 4)), rng.standard_normal((4, 5)), rng.standard_normal(5)
    labels = rng.integers(0, 5, size=6)
    spike = np.zeros((6, 5))
    spike[np.arange(6), rng.integers(0, 5, size=6)] = extreme

    def ours(x, W, b):
        return softmax_cross_entropy((x @ W + b) + spike, labels)

    def theirs(x, W, b):
        return F.cross_entropy((x @ W + b) + torch.tensor(spike), torch.tensor(labels))

    assert_agree(ours, theirs, x, W, b)

    def ours_log_softmax(x, W, b):
        return -((x @ W + b) + spike).log_softmax(axis=1)[np.arange(6), labels].mean()

    assert_agree(ours_log_softmax, theirs, x, W, b)


def test_embedding_gate_slices_concatenate_and_stack():
    rng = np.random.default_rng(3)
    E, Wx = rng.standard_normal((5, 3)), rng.standard_normal((3, 8))
    Wh = rng.standard_normal((2, 8))
    ids = np.array([[0, 4, 4], [1, 0, 4]])  # repeated rows: their gradients add

    def step(x, h, Wx, Wh, cat, sigmoid, tanh):
        z = x @ Wx + h @ Wh
        i, f, o, g = z[:, 0:2], z[:, 2:4], z[:, 4:6], z[:, 6:8]
        return sigmoid(o) * tanh(sigmoid(f) * h + sigmoid(i) * tanh(g))

    def ours(E, Wx, Wh):
        x = E[ids]
        h = Tensor(np.zeros((2, 2)))
        hs = []
        for t in range(3):
            h = step(x[:, t], h, Wx, Wh, concatenate, lambda v: v.sigmoid(), lambda v: v.tanh())
            hs.append(h)
        return (stack(hs, axis=1).sum(axis=1) * concatenate(hs[:2], axis=1)[:, 1:3]).sum()

    def theirs(E, Wx, Wh):
        x = E[torch.tensor(ids)]
        h = torch.zeros((2, 2), dtype=torch.float64)
        hs = []
        for t in range(3):
            h = step(x[:, t], h, Wx, Wh, torch.cat, torch.sigmoid, torch.tanh)
            hs.append(h)
        return (torch.stack(hs, dim=1).sum(dim=1) * torch.cat(hs[:2], dim=1)[:, 1:3]).sum()

    assert_agree(ours, theirs, E, Wx, Wh)
