"""The layer protocol: shapes, dtypes, no accumulation, stability, known values."""

import warnings

import numpy as np
import pytest

from course_lib.layers import (BiasAdd, Conv3x3, Dense, Flatten, Identity, MatMul, MaxPool2,
                               ReLU, Sigmoid, Softmax, Tanh, sigmoid, softmax)

ALL_LAYERS = {
    "MatMul": lambda: (MatMul(np.ones((4, 3))), (5, 4)),
    "BiasAdd": lambda: (BiasAdd(np.ones(4)), (5, 4)),
    "Dense": lambda: (Dense(4, 3, rng=0), (5, 4)),
    "Identity": lambda: (Identity(), (5, 4)),
    "Sigmoid": lambda: (Sigmoid(), (5, 4)),
    "Tanh": lambda: (Tanh(), (5, 4)),
    "ReLU": lambda: (ReLU(), (5, 4)),
    "Softmax": lambda: (Softmax(), (5, 4)),
    "Conv3x3": lambda: (Conv3x3(2, 3, rng=0), (2, 3, 6, 6)),
    "MaxPool2": lambda: (MaxPool2(), (2, 3, 6, 6)),
    "Flatten": lambda: (Flatten(), (2, 3, 6)),
}


@pytest.mark.parametrize("name", ALL_LAYERS)
def test_backward_twice_gives_the_same_grads(name):
    layer, shape = ALL_LAYERS[name]()
    rng = np.random.default_rng(0)
    y = layer.forward(rng.standard_normal(shape))
    g = rng.standard_normal(y.shape)
    dx1 = layer.backward(g).copy()
    grads1 = {k: v.copy() for k, v in layer.grads.items()}
    dx2 = layer.backward(g)
    np.testing.assert_allclose(dx2, dx1)
    assert set(layer.grads) == set(layer.params)
    for k in grads1:
        np.testing.assert_allclose(layer.grads[k], grads1[k], err_msg=f"{name}.grads[{k!r}]")


@pytest.mark.parametrize("name", ALL_LAYERS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layers_compute_in_the_input_dtype(name, dtype):
    layer, shape = ALL_LAYERS[name]()
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    y = layer.forward(x)
    assert y.dtype == dtype
    assert layer.backward(np.ones_like(y)).dtype == dtype


@pytest.mark.parametrize("name", ALL_LAYERS)
def test_astype_float32_converts_params_and_grads(name):
    layer, shape = ALL_LAYERS[name]()
    layer.astype(np.float32)
    assert all(p.dtype == np.float32 for p in layer.params.values())
    y = layer.forward(np.ones(shape, dtype=np.float32))
    layer.backward(np.ones_like(y))
    assert all(g.dtype == np.float32 for g in layer.grads.values())


def test_dense_is_matmul_then_bias_add():
    rng = np.random.default_rng(1)
    layer = Dense(3, 2, rng=rng)
    layer.params["b"][:] = [1.0, -2.0]
    x = rng.standard_normal((4, 3))
    np.testing.assert_allclose(layer.forward(x), x @ layer.params["W"] + layer.params["b"])
    # its params are the very arrays its parts compute with
    assert layer.params["W"] is layer.matmul.params["W"]
    assert layer.params["b"] is layer.bias_add.params["b"]


def test_dense_init_is_reproducible_and_scaled():
    a, b = Dense(500, 300, rng=3), Dense(500, 300, rng=3)
    np.testing.assert_array_equal(a.params["W"], b.params["W"])
    assert abs(a.params["W"].std() - np.sqrt(2 / 500)) < 0.01 * np.sqrt(2 / 500) * 10
    g = Dense(500, 300, init="glorot", rng=3).params["W"]
    assert np.abs(g).max() <= np.sqrt(6 / 800)
    assert not np.any(Dense(5, 3, init="zeros").params["W"])


def test_known_values():
    np.testing.assert_allclose(Sigmoid().forward(np.array([[0.0, np.log(3.0)]])), [[0.5, 0.75]])
    np.testing.assert_allclose(Tanh().forward(np.array([[0.0]])), [[0.0]])
    np.testing.assert_array_equal(ReLU().forward(np.array([[-1.0, 0.0, 2.0]])), [[0, 0, 2]])
    np.testing.assert_allclose(Softmax().forward(np.array([[0.0, np.log(3.0)]])), [[0.25, 0.75]])
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(MaxPool2().forward(x)[0, 0], [[5, 7], [13, 15]])
    conv = Conv3x3(1, rng=0)
    conv.params["W"][:] = 0
    conv.params["W"][0, 0, 1, 1] = 1.0  # picks the centre pixel
    conv.params["b"][:] = 0.5
    np.testing.assert_array_equal(conv.forward(x)[0, 0], x[0, 0, 1:3, 1:3] + 0.5)


def test_relu_gradient_at_zero_is_zero():
    layer = ReLU()
    layer.forward(np.array([[0.0, 1.0]]))
    np.testing.assert_array_equal(layer.backward(np.array([[5.0, 5.0]])), [[0.0, 5.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_and_softmax_survive_extreme_inputs(dtype):
    x = np.array([[-1000.0, -50.0, 0.0, 50.0, 1000.0]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning fails the test
        s = Sigmoid().forward(x)
        p = Softmax().forward(x)
        assert np.all(np.isfinite(sigmoid(x))) and np.all(np.isfinite(softmax(x)))
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(p))
    assert s[0, 0] == 0.0 and s[0, -1] == 1.0 and s[0, 2] == 0.5
    np.testing.assert_allclose(p.sum(), 1.0, rtol=1e-6)
    assert p[0, -1] == pytest.approx(1.0)


def test_sigmoid_takes_python_numbers_and_integers():
    assert float(sigmoid(0.0)) == 0.5  # a student's sigmoid(0.0) for the largest slope
    np.testing.assert_allclose(sigmoid(np.array([0, 2])), [0.5, 1 / (1 + np.exp(-2))])
    assert sigmoid(np.array([0, 2])).dtype == np.float64
    assert sigmoid(np.zeros(2, dtype=np.float32)).dtype == np.float32


def test_maxpool_gives_the_gradient_to_the_first_tied_maximum_only():
    x = np.zeros((1, 1, 2, 4))
    x[0, 0, :, 2:] = [[1.0, 3.0], [3.0, 2.0]]  # second window: tie between (0,1) and (1,0)
    pool = MaxPool2()
    pool.forward(x)
    dx = pool.backward(np.array([[[[2.0, 5.0]]]]))
    np.testing.assert_array_equal(dx[0, 0], [[2.0, 0.0, 0.0, 5.0], [0.0, 0.0, 0.0, 0.0]])
    assert dx.sum() == 7.0  # exactly one input per window gets the gradient


def test_maxpool_drops_odd_row_and_column():
    pool = MaxPool2()
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 5))
    y = pool.forward(x)
    assert y.shape == (2, 3, 3, 2)
    dx = pool.backward(np.ones_like(y))
    assert not dx[:, :, 6, :].any() and not dx[:, :, :, 4].any()


def test_a_subclass_may_set_its_own_name():
    from course_lib.layers import Layer
    from course_lib.losses import Loss

    class Named(Layer):
        def __init__(self):
            super().__init__()
            self.name = "sigmoid"  # a student's extra attribute: the property takes it

    class NamedLoss(Loss):
        def __init__(self):
            super().__init__()
            self.name = "my loss"

    assert Named().name == "sigmoid" and repr(Named()) == "sigmoid()"
    assert NamedLoss().name == "my loss"
    assert Sigmoid().name == "Sigmoid"
