"""The fast training path gives the numbers of the plain maths.

A training step of course_lib (checks skipped inside the model, no input gradient for the
first layer, Conv3x3 on per-image patch columns, MaxPool2 by three comparisons) against
``benchmarks/reference.py`` (minimal NumPy, the yardstick of ``make bench``) and against the
former formulas (``im2col_3x3`` / ``col2im_3x3``); ``input_grad=False`` against the full
backward; the dtype conversion of ``fit``; the NaN checks still where data enters.
"""

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pytest

from course_lib.gradcheck import numerical_gradient, relative_error
from course_lib.layers import (Conv3x3, Dense, Flatten, Layer, MaxPool2, ReLU, Tanh,
                               col2im_3x3, im2col_3x3)
from course_lib.losses import SoftmaxCrossEntropyLoss
from course_lib.model import Sequential
from course_lib.optim import SGD, Adam
from course_lib.train import fit
from course_lib.validation import check_float_array, values_checked

_spec = importlib.util.spec_from_file_location(
    "reference", Path(__file__).resolve().parent.parent / "benchmarks" / "reference.py")
reference = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reference)

TOL = {np.float64: 1e-11, np.float32: 2e-5}


def sparse_images(rng, n, dtype):
    """MNIST-like: mostly zero background, so pooling windows tie (all equal to the bias)."""
    x = rng.random((n, 1, 28, 28))
    x[x < 0.7] = 0.0
    return x.astype(dtype)


def mlp_from(params):
    Ws, bs = params[0::2], params[1::2]
    layers = []
    for W, b in zip(Ws, bs):
        dense = Dense(*W.shape, dtype=W.dtype)
        dense.params["W"][...] = W
        dense.params["b"][...] = b
        layers += [dense, ReLU()]
    return Sequential(layers[:-1])


def cnn_from(params):
    W, b, V, c = params
    conv, dense = Conv3x3(len(b), dtype=W.dtype), Dense(*V.shape, dtype=V.dtype)
    for layer, values in ((conv, (W, b)), (dense, (V, c))):
        for key, value in zip(("W", "b"), values):
            layer.params[key][...] = value
    return Sequential([conv, MaxPool2(), Flatten(), dense])


def params_of(model):
    return [p for layer in model.layers for p in layer.params.values()]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_an_mlp_training_step_equals_the_reference(dtype):
    rng = np.random.default_rng(0)
    params = reference.mlp_init((20, 16, 12, 5), rng, dtype)
    model = mlp_from(params)
    x, y = rng.standard_normal((32, 20)).astype(dtype), rng.integers(0, 5, 32)
    # one batch holding every sample: fit's shuffle does not change the mean gradient
    history = fit(model, SoftmaxCrossEntropyLoss(), SGD(0.1), x, y, epochs=1, batch_size=32,
                  progress=False)
    loss = reference.mlp_step(params, x, y, 0.1)
    assert history.loss[0] == pytest.approx(loss, rel=TOL[dtype])
    for got, want in zip(params_of(model), params):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=TOL[dtype], atol=TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_cnn_training_step_equals_the_reference(dtype):
    rng = np.random.default_rng(1)
    params = reference.cnn_init(4, rng, dtype)
    params[1][...] = rng.standard_normal(4)  # biases: the tied background windows differ
    model = cnn_from(params)
    x, y = sparse_images(rng, 16, dtype), rng.integers(0, 10, 16)
    history = fit(model, SoftmaxCrossEntropyLoss(), SGD(0.05), x, y, epochs=1, batch_size=16,
                  progress=False)
    loss = reference.cnn_step(params, x, y, 0.05)
    assert history.loss[0] == pytest.approx(loss, rel=TOL[dtype])
    for got, want in zip(params_of(model), params):
        np.testing.assert_allclose(got, want, rtol=TOL[dtype], atol=TOL[dtype])


def test_conv3x3_equals_the_im2col_formula():
    # the former implementation: im2col rows, one product, col2im
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 2, 7, 9))
    conv = Conv3x3(5, 2, rng=rng)
    conv.params["b"][:] = rng.standard_normal(5)
    W, b = conv.params["W"].reshape(5, -1), conv.params["b"]
    cols = im2col_3x3(x)
    y_old = (cols @ W.T + b).reshape(3, 5, 7, 5).transpose(0, 3, 1, 2)  # rows (n, i, j)
    y = conv.forward(x)
    np.testing.assert_allclose(y, y_old, rtol=1e-12, atol=1e-12)
    g = rng.standard_normal(y.shape)
    g2 = g.transpose(0, 2, 3, 1).reshape(-1, 5)
    dx = conv.backward(g)
    np.testing.assert_allclose(conv.grads["W"], (g2.T @ cols).reshape(5, 2, 3, 3), rtol=1e-12)
    np.testing.assert_allclose(conv.grads["b"], g2.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(dx, col2im_3x3(g2 @ W, x.shape), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("make", [lambda rng: Dense(6, 4, rng=rng),
                                  lambda rng: Conv3x3(3, 2, rng=rng)])
def test_input_grad_false_gives_the_same_grads_and_no_dx(make):
    rng = np.random.default_rng(3)
    layer = make(rng)
    x = rng.standard_normal((5, 6) if isinstance(layer, Dense) else (5, 2, 6, 6))
    g = rng.standard_normal(layer.forward(x).shape)
    dx = layer.backward(g)
    full = {k: v.copy() for k, v in layer.grads.items()}
    assert dx.shape == x.shape
    assert layer.backward(g, input_grad=False) is None
    assert set(layer.grads) == set(full) == {"W", "b"}
    for key, value in full.items():
        np.testing.assert_array_equal(layer.grads[key], value)


def test_a_model_trained_without_the_input_grad_still_passes_a_gradient_check():
    rng = np.random.default_rng(4)
    model = Sequential([Conv3x3(3, rng=rng), Tanh(), MaxPool2(), Flatten(),
                        Dense(27, 4, rng=rng)])
    x, y = rng.standard_normal((4, 1, 8, 8)), rng.integers(0, 4, 4)
    loss = SoftmaxCrossEntropyLoss()
    loss.forward(model.forward(x), y)
    assert model.backward(loss.backward(), input_grad=False) is None
    for layer in (model.layers[0], model.layers[-1]):
        for name, param in layer.params.items():
            numeric = numerical_gradient(lambda: loss.forward(model.forward(x), y), param)
            assert relative_error(layer.grads[name], numeric) < 1e-6, (layer, name)


def test_sequential_backward_returns_dx_by_default_and_checks_input_grad():
    rng = np.random.default_rng(5)
    model = Sequential([Dense(4, 3, rng=rng), ReLU(), Dense(3, 2, rng=rng)])
    x = rng.standard_normal((6, 4))
    g = rng.standard_normal(model.forward(x).shape)
    assert model.backward(g).shape == x.shape
    with pytest.raises(TypeError, match="input_grad must be True or False"):
        model.backward(g, input_grad="no")


def test_a_first_layer_without_input_grad_gets_a_plain_backward():
    # a subclass overriding backward (no input_grad parameter) and a duck-typed layer
    calls = []

    class LoggedDense(Dense):
        def backward(self, grad_out):
            calls.append("LoggedDense")
            return super().backward(grad_out)

    class Scale:  # not a Layer: forward and backward only
        params, grads = {}, {}

        def forward(self, x):
            return 2.0 * x

        def backward(self, grad_out):
            calls.append("Scale")
            return 2.0 * grad_out

    rng = np.random.default_rng(6)
    x, y = rng.standard_normal((8, 3)), rng.integers(0, 2, 8)
    for first in (LoggedDense(3, 3, rng=rng), Scale()):
        model = Sequential([first, Dense(3, 2, rng=rng)])
        fit(model, SoftmaxCrossEntropyLoss(), SGD(0.1), x, y, epochs=1, batch_size=4,
            progress=False)
    assert calls == ["LoggedDense"] * 2 + ["Scale"] * 2


def test_fit_converts_a_float64_model_for_float32_data_once_and_says_so():
    rng = np.random.default_rng(7)
    x, y = rng.standard_normal((64, 5)).astype(np.float32), rng.integers(0, 3, 64)
    mixed = Sequential([Dense(5, 8, rng=0), ReLU(), Dense(8, 3, rng=1)])
    same = Sequential([Dense(5, 8, rng=0), ReLU(), Dense(8, 3, rng=1)]).astype(np.float32)
    with pytest.warns(UserWarning, match="converted the parameters to float32"):
        fit(mixed, SoftmaxCrossEntropyLoss(), Adam(0.01), x, y, epochs=2, batch_size=16,
            progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matching dtypes: no warning
        fit(same, SoftmaxCrossEntropyLoss(), Adam(0.01), x, y, epochs=2, batch_size=16,
            progress=False)
    for got, want in zip(params_of(mixed), params_of(same)):
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, want)


def test_nan_is_still_caught_where_data_enters():
    bad = np.ones((2, 3))
    bad[1, 2] = np.nan
    with values_checked():
        assert check_float_array(bad, "x") is bad          # inside: no scan
    with pytest.raises(ValueError, match="1 NaN"):
        check_float_array(bad, "x")                        # outside: scanned again
    model = Sequential([Dense(3, 2, rng=0), ReLU(), Dense(2, 2, rng=1)])
    with pytest.raises(ValueError, match=r"Dense\(3 -> 2\)|Dense.forward.*NaN|1 NaN"):
        model.forward(bad)
    with pytest.raises(ValueError, match="1 NaN"):
        model.predict(bad)
    with pytest.raises(ValueError, match="1 NaN"):
        fit(model, SoftmaxCrossEntropyLoss(), SGD(0.1), bad, np.array([0, 1]), epochs=1,
            batch_size=2, progress=False)
    g = np.full((2, 2), np.nan)
    model.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match="NaN"):
        model.backward(g)                                  # grad_out from outside: scanned


def test_training_that_overflows_inside_the_model_is_still_reported():
    # the layers skip their NaN scans inside fit; the loss catches what they let through
    rng = np.random.default_rng(8)
    x, y = rng.standard_normal((32, 4)).astype(np.float32), rng.integers(0, 2, 32)
    model = Sequential([Dense(4, 16, rng=0), Tanh(), Dense(16, 2, rng=1)]).astype(np.float32)
    with np.errstate(all="ignore"), pytest.raises(ValueError, match="diverged"):
        fit(model, SoftmaxCrossEntropyLoss(), SGD(1e38), x, y, epochs=5, batch_size=8,
            progress=False)


def test_the_layers_still_check_values_outside_a_model():
    for layer, x in ((Dense(3, 2, rng=0), np.array([[1.0, np.inf, 0.0]])),
                     (MaxPool2(), np.full((1, 1, 2, 2), np.nan)),
                     (Conv3x3(1, rng=0), np.full((1, 1, 3, 3), np.nan))):
        with pytest.raises(ValueError, match="NaN|infinite"):
            layer.forward(x)
    assert issubclass(MaxPool2, Layer)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_an_lstm_language_model_step_equals_the_reference(dtype):
    from course_lib.layers import LSTM, Embedding, TimeDense
    from course_lib.losses import SequenceCrossEntropyLoss
    from course_lib.text import encode_words

    rng = np.random.default_rng(2)
    params = reference.lstm_init(27, 5, 6, rng, dtype)
    model = Sequential([Embedding(27, 5, dtype=dtype), LSTM(5, 6, dtype=dtype),
                        TimeDense(6, 27, dtype=dtype)])
    for layer, names, values in ((model.layers[0], ("W",), params[:1]),
                                 (model.layers[1], ("Wx", "Wh", "b"), params[1:4]),
                                 (model.layers[2], ("W", "b"), params[4:])):
        for name, value in zip(names, values):
            layer.params[name][...] = value
    x, y, mask = encode_words(["cat", "zebra", "a", "bird"])
    loss_fn = SequenceCrossEntropyLoss()
    loss = loss_fn.forward(model.forward(x), y, mask)
    model.backward(loss_fn.backward(), input_grad=False)
    SGD(0.5).step(model)
    ref_loss = reference.lstm_step(params, x, y, mask, 0.5)
    assert loss == pytest.approx(ref_loss, rel=TOL[dtype])
    for got, want in zip(params_of(model), params):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=TOL[dtype], atol=TOL[dtype])
