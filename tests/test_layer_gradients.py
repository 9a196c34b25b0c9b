"""Every layer's backward against central differences (float64, relative error < 1e-6)."""

import numpy as np
import pytest

from course_lib.gradcheck import check_layer
from course_lib.layers import (BiasAdd, Conv3x3, Dense, Flatten, Identity, MatMul, MaxPool2,
                               ReLU, Sigmoid, Softmax, Tanh)

TOL = 1e-6
SEEDS = [0, 1, 2]


def random_shape(rng, batch=None):
    return (int(batch if batch is not None else rng.integers(1, 6)), int(rng.integers(1, 7)))


def assert_all_close(errors):
    assert errors, "check_layer returned no errors to compare"
    for name, err in errors.items():
        assert err < TOL, f"gradient of {name}: relative error {err:.2e}"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("batch", [1, None])
def test_matmul(seed, batch):
    rng = np.random.default_rng(seed)
    n, d = random_shape(rng, batch)
    k = int(rng.integers(1, 6))
    errors = check_layer(MatMul(rng.standard_normal((d, k))), rng.standard_normal((n, d)))
    assert set(errors) == {"x", "W"}
    assert_all_close(errors)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("batch", [1, None])
def test_bias_add(seed, batch):
    rng = np.random.default_rng(seed)
    n, k = random_shape(rng, batch)
    errors = check_layer(BiasAdd(rng.standard_normal(k)), rng.standard_normal((n, k)))
    assert set(errors) == {"x", "b"}
    assert_all_close(errors)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("batch", [1, None])
@pytest.mark.parametrize("init", ["he", "glorot", "uniform"])
def test_dense(seed, batch, init):
    rng = np.random.default_rng(seed)
    n, d = random_shape(rng, batch)
    layer = Dense(d, int(rng.integers(1, 6)), init=init, rng=rng)
    layer.params["b"][:] = rng.standard_normal(layer.n_out)  # non-zero bias
    errors = check_layer(layer, rng.standard_normal((n, d)))
    assert set(errors) == {"x", "W", "b"}
    assert_all_close(errors)


@pytest.mark.parametrize("layer_cls", [Identity, Sigmoid, Tanh, ReLU, Softmax])
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("batch", [1, None])
def test_activations(layer_cls, seed, batch):
    rng = np.random.default_rng(seed)
    x = 3 * rng.standard_normal(random_shape(rng, batch))
    if layer_cls is ReLU:  # keep away from the kink, where the derivative is undefined
        x[np.abs(x) < 1e-3] = 0.5
    errors = check_layer(layer_cls(), x)
    assert set(errors) == {"x"}
    assert_all_close(errors)


@pytest.mark.parametrize("shape,filters", [
    ((1, 1, 5, 5), 1), ((2, 3, 7, 6), 4), ((3, 2, 6, 9), 3), ((1, 4, 3, 3), 2), ((2, 1, 8, 5), 5),
])
def test_conv3x3(shape, filters):
    rng = np.random.default_rng(sum(shape) + filters)
    layer = Conv3x3(filters, shape[1], rng=rng)
    layer.params["b"][:] = rng.standard_normal(filters)
    errors = check_layer(layer, rng.standard_normal(shape))
    assert set(errors) == {"x", "W", "b"}
    assert_all_close(errors)


def test_conv3x3_three_dimensional_input_is_one_channel():
    rng = np.random.default_rng(7)
    layer = Conv3x3(3, rng=rng)
    x = rng.standard_normal((2, 6, 5))
    assert layer.forward(x).shape == (2, 3, 4, 3)
    assert_all_close(check_layer(layer, x))
    assert layer.backward(np.ones((2, 3, 4, 3))).shape == x.shape


@pytest.mark.parametrize("shape", [(1, 1, 2, 2), (2, 3, 7, 5), (1, 2, 6, 6), (3, 4, 5, 9),
                                   (2, 1, 13, 13)])
def test_maxpool2(shape):
    rng = np.random.default_rng(sum(shape))
    errors = check_layer(MaxPool2(), rng.standard_normal(shape))
    assert_all_close(errors)


@pytest.mark.parametrize("shape", [(1, 3), (2, 3, 4), (3, 2, 5, 5)])
def test_flatten(shape):
    rng = np.random.default_rng(len(shape))
    layer = Flatten()
    x = rng.standard_normal(shape)
    y = layer.forward(x)
    assert y.shape == (shape[0], int(np.prod(shape[1:])))
    np.testing.assert_array_equal(y[0], x[0].ravel())  # row-major
    assert_all_close(check_layer(layer, x))


def test_a_wrong_backward_is_caught():
    class BrokenSigmoid(Sigmoid):
        def backward(self, grad_out):
            return grad_out * self._y  # forgot the (1 - y) factor

    x = np.random.default_rng(0).standard_normal((4, 3))
    assert check_layer(BrokenSigmoid(), x)["x"] > 1e-2
