"""Conv2d and MaxPool2d against PyTorch's conv2d and max_pool2d (CPU, float64).

Forward outputs and every gradient (dx, dW, db for the convolution, dx for the pool)
agree to ``TOL`` over padding 0/1/2, stride 1/2/3, kernels 1/3/5, several channels and
non-square images. Run with `make test-independent` (PyTorch is not a course dependency).
"""

import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from conftest import TOL  # noqa: E402

from course_lib.layers import Conv2d, MaxPool2d  # noqa: E402

CONV_CASES = [(k, s, p) for k, s, p in itertools.product((1, 3, 5), (1, 2, 3), (0, 1, 2))
              if k <= 9 + 2 * p]


def _close(ours: np.ndarray, theirs: "torch.Tensor") -> None:
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=TOL, atol=TOL)


@pytest.mark.parametrize("kernel, stride, padding", CONV_CASES)
@pytest.mark.parametrize("c_in, c_out", [(1, 4), (3, 2)])
def test_conv2d_matches_torch(kernel, stride, padding, c_in, c_out):
    rng = np.random.default_rng(kernel * 100 + stride * 10 + padding)
    x = rng.standard_normal((2, c_in, 9, 11))       # non-square
    layer = Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, rng=rng)
    layer.params["b"][:] = rng.standard_normal(c_out)
    y = layer.forward(x)
    g = rng.standard_normal(y.shape)
    dx = layer.backward(g)

    xt = torch.tensor(x, requires_grad=True)
    Wt = torch.tensor(layer.params["W"], requires_grad=True)
    bt = torch.tensor(layer.params["b"], requires_grad=True)
    yt = F.conv2d(xt, Wt, bt, stride=stride, padding=padding)
    yt.backward(torch.tensor(g))
    _close(y, yt)
    _close(dx, xt.grad)
    _close(layer.grads["W"], Wt.grad)
    _close(layer.grads["b"], bt.grad)


@pytest.mark.parametrize("kernel, stride", [(2, None), (3, None), (2, 1), (3, 2), (2, 3), (5, 1)])
@pytest.mark.parametrize("channels", [1, 3])
def test_maxpool2d_matches_torch(kernel, stride, channels):
    rng = np.random.default_rng(kernel * 10 + (stride or 0))
    x = rng.standard_normal((2, channels, 9, 12))   # non-square, odd rows dropped for k = 2
    layer = MaxPool2d(kernel, stride=stride)
    y = layer.forward(x)
    g = rng.standard_normal(y.shape)
    dx = layer.backward(g)

    xt = torch.tensor(x, requires_grad=True)
    yt = F.max_pool2d(xt, kernel, stride=stride)
    yt.backward(torch.tensor(g))
    _close(y, yt)
    _close(dx, xt.grad)


def test_maxpool2d_ties_go_to_the_first_maximum_as_in_torch():
    x = np.zeros((1, 2, 4, 6))                       # every window a four-way tie
    x[0, 1, 1, 1] = x[0, 1, 0, 1] = 1.0              # and a two-way tie of ones
    layer = MaxPool2d(2)
    g = np.arange(1.0, 13.0).reshape(1, 2, 2, 3)
    layer.forward(x)
    dx = layer.backward(g)
    xt = torch.tensor(x, requires_grad=True)
    F.max_pool2d(xt, 2).backward(torch.tensor(g))
    _close(dx, xt.grad)
