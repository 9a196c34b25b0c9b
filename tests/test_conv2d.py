"""Lesson 08's layers: Conv2d and MaxPool2d (gradients, loop versions, bad input), and
saving and loading a Sequential."""

import itertools

import numpy as np
import pytest

from course_lib.gradcheck import check_layer
from course_lib.layers import (BatchNorm, Conv2d, Dense, Flatten, MaxPool2d, ReLU,
                               conv_output_size)
from course_lib.model import Sequential
from course_lib.naive import (conv2d_backward_naive, conv2d_forward_naive,
                              maxpool2d_backward_naive, maxpool2d_forward_naive)

TOL = 1e-6
COMBINATIONS = list(itertools.product((1, 2), (0, 1, 2), (1, 3, 5)))  # stride, padding, kernel


def assert_all_close(errors, names):
    assert set(errors) == set(names)
    for name, err in errors.items():
        assert err < TOL, f"gradient of {name}: relative error {err:.2e}"


# ---- Conv2d ---------------------------------------------------------------------------
@pytest.mark.parametrize("stride, padding, kernel", COMBINATIONS)
@pytest.mark.parametrize("c_in, c_out", [(1, 2), (3, 4)])
def test_conv2d_gradients(stride, padding, kernel, c_in, c_out):
    rng = np.random.default_rng(100 * stride + 10 * padding + kernel)
    layer = Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, rng=rng)
    layer.params["b"][:] = rng.standard_normal(c_out)
    x = rng.standard_normal((2, c_in, 7, 6))                 # non-square
    assert_all_close(check_layer(layer, x), {"x", "W", "b"})


@pytest.mark.parametrize("stride, padding, kernel", COMBINATIONS)
def test_conv2d_matches_the_loops(stride, padding, kernel):
    rng = np.random.default_rng(7 * stride + 3 * padding + kernel)
    layer = Conv2d(3, 2, kernel, stride=stride, padding=padding, rng=rng)
    layer.params["b"][:] = rng.standard_normal(2)
    x = rng.standard_normal((2, 3, 8, 5))
    y = layer.forward(x)
    W, b = layer.params["W"], layer.params["b"]
    np.testing.assert_allclose(y, conv2d_forward_naive(x, W, b, stride=stride, padding=padding),
                               rtol=1e-12, atol=1e-12)
    assert y.shape == (2, 2, conv_output_size(8, kernel, stride, padding),
                       conv_output_size(5, kernel, stride, padding))
    g = rng.standard_normal(y.shape)
    dx = layer.backward(g)
    dx_n, dW_n, db_n = conv2d_backward_naive(x, W, g, stride=stride, padding=padding)
    for got, want in ((dx, dx_n), (layer.grads["W"], dW_n), (layer.grads["b"], db_n)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_conv2d_output_size_formula():
    assert conv_output_size(28, 5) == 24
    assert conv_output_size(28, 3, 1, 1) == 28              # "same" padding keeps the size
    assert conv_output_size(28, 3, 2, 1) == 14
    assert conv_output_size(7, 3, 2, 0) == 3                 # a last partial window is dropped
    with pytest.raises(ValueError, match=r"kernel \(5\) is larger than the padded input"):
        conv_output_size(3, 5, 1, 0)


def test_conv2d_float32_and_input_grad_false():
    rng = np.random.default_rng(0)
    layer = Conv2d(2, 3, 3, stride=2, padding=1, rng=0, dtype=np.float32)
    x = rng.standard_normal((4, 2, 9, 10)).astype(np.float32)
    y = layer.forward(x)
    assert y.dtype == np.float32 and y.shape == (4, 3, 5, 5)
    g = rng.standard_normal(y.shape).astype(np.float32)
    dx = layer.backward(g)
    dW = layer.grads["W"].copy()
    assert dx.dtype == np.float32 and dW.dtype == np.float32
    assert layer.backward(g, input_grad=False) is None
    np.testing.assert_array_equal(layer.grads["W"], dW)
    # float32 agrees with float64 to float32's precision
    layer64 = Conv2d(2, 3, 3, stride=2, padding=1, rng=0)
    np.testing.assert_allclose(y, layer64.forward(x.astype(np.float64)), rtol=1e-4, atol=1e-5)


def test_conv2d_is_he_initialised_and_seeded():
    a, b = Conv2d(8, 16, 3, rng=0), Conv2d(8, 16, 3, rng=0)
    np.testing.assert_array_equal(a.params["W"], b.params["W"])
    big = Conv2d(64, 64, 3, rng=1)
    assert abs(big.params["W"].std() - np.sqrt(2 / (64 * 9))) < 0.01
    assert np.all(big.params["b"] == 0)


@pytest.mark.parametrize("make, x, match", [
    (lambda: Conv2d(3, 4, 3), np.ones((2, 1, 8, 8)), r"expects 3 input channel.*W has shape "
                                                      r"\(4, 3, 3, 3\).*with 1"),
    (lambda: Conv2d(1, 4, 5), np.ones((2, 1, 3, 8)), r"kernel \(5\) is larger than the padded "
                                                      r"input \(3 \+ 2 \* 0 = 3\)"),
    (lambda: Conv2d(1, 4, 3), np.ones((2, 8, 8)), r"4-D"),
    (lambda: Conv2d(1, 4, 3), np.ones((2, 1, 8, 8), dtype=np.int64), r"float32 or float64"),
    (lambda: Conv2d(1, 4, 3), np.full((2, 1, 8, 8), np.nan), r"NaN"),
])
def test_conv2d_bad_input_is_a_clear_error(make, x, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make().forward(x)


@pytest.mark.parametrize("kwargs, match", [
    (dict(in_channels=0, out_channels=2, kernel_size=3), r"in_channels.*positive int"),
    (dict(in_channels=1, out_channels=2.0, kernel_size=3), r"out_channels.*Use 2"),
    (dict(in_channels=1, out_channels=2, kernel_size=3, stride=0), r"stride"),
    (dict(in_channels=1, out_channels=2, kernel_size=3, padding=-1), r"padding.*>= 0"),
    (dict(in_channels=1, out_channels=2, kernel_size=3, dtype=np.int32), r"dtype"),
])
def test_conv2d_bad_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        Conv2d(**kwargs)


def test_conv2d_backward_before_forward_or_with_a_wrong_shape():
    layer = Conv2d(1, 2, 3)
    with pytest.raises(RuntimeError, match="call forward before backward"):
        layer.backward(np.ones((1, 2, 4, 4)))
    layer.forward(np.ones((1, 1, 6, 6)))
    with pytest.raises(ValueError, match="grad_out"):
        layer.backward(np.ones((1, 2, 6, 6)))


# ---- MaxPool2d ------------------------------------------------------------------------
POOLS = [(2, None), (3, None), (2, 1), (3, 2), (2, 3), (3, 1)]


@pytest.mark.parametrize("kernel, stride", POOLS)
@pytest.mark.parametrize("channels", [1, 3])
def test_maxpool2d_gradients(kernel, stride, channels):
    rng = np.random.default_rng(kernel * 10 + (stride or 0))
    x = rng.standard_normal((2, channels, 7, 8))             # no ties: differentiable
    assert_all_close(check_layer(MaxPool2d(kernel, stride=stride), x), {"x"})


@pytest.mark.parametrize("kernel, stride", POOLS)
@pytest.mark.parametrize("ties", [False, True])
def test_maxpool2d_matches_the_loops(kernel, stride, ties):
    rng = np.random.default_rng(kernel + 5 * (stride or 0))
    x = rng.standard_normal((2, 3, 9, 7))
    if ties:                                                   # MNIST-like: many equal values
        x = np.maximum(np.round(x), 0.0)
    layer = MaxPool2d(kernel, stride=stride)
    y = layer.forward(x)
    np.testing.assert_array_equal(y, maxpool2d_forward_naive(x, kernel, stride))
    g = rng.standard_normal(y.shape)
    np.testing.assert_allclose(layer.backward(g), maxpool2d_backward_naive(x, g, kernel, stride),
                               rtol=1e-12, atol=1e-12)


def test_maxpool2d_a_tie_sends_the_gradient_to_the_first_maximum_only():
    layer = MaxPool2d(2)
    layer.forward(np.zeros((1, 1, 2, 2)))
    np.testing.assert_array_equal(layer.backward(np.ones((1, 1, 1, 1)))[0, 0],
                                  [[1.0, 0.0], [0.0, 0.0]])


def test_maxpool2d_bad_input():
    with pytest.raises(ValueError, match=r"kernel \(3\) is larger"):
        MaxPool2d(3).forward(np.ones((1, 1, 2, 5)))
    with pytest.raises(ValueError, match="4-D"):
        MaxPool2d(2).forward(np.ones((4, 8)))
    with pytest.raises(TypeError, match="kernel_size"):
        MaxPool2d(2.5)
    with pytest.raises(ValueError, match="stride"):
        MaxPool2d(2, stride=0)
    assert repr(MaxPool2d(2)) == "MaxPool2d(2)" and repr(MaxPool2d(3, stride=2)) == \
        "MaxPool2d(3, stride=2)"


# ---- saving and loading a Sequential --------------------------------------------------
def small_cnn(seed, channels=4):
    return Sequential([Conv2d(1, channels, 3, padding=1, rng=seed), ReLU(), MaxPool2d(2),
                       Flatten(), Dense(channels * 16, 6, rng=seed + 1), BatchNorm(6), ReLU(),
                       Dense(6, 3, rng=seed + 2)])


def test_save_and_load_give_identical_predictions(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 1, 8, 8))
    model = small_cnn(0)
    model.forward(x)                                           # moves BatchNorm's running stats
    path = tmp_path / "model.npz"
    model.save(path)
    other = small_cnn(10)
    assert not np.array_equal(other.predict(x), model.predict(x))
    assert other.load(path) is other
    np.testing.assert_array_equal(other.predict(x), model.predict(x))
    np.testing.assert_array_equal(other.layers[5].running_mean, model.layers[5].running_mean)
    np.testing.assert_array_equal(other.layers[5].running_var, model.layers[5].running_var)
    with np.load(path, allow_pickle=False) as data:            # plain arrays: no pickle needed
        assert "0.W" in data.files and "5.running_var" in data.files


def test_load_keeps_the_arrays_an_optimiser_holds(tmp_path):
    model = small_cnn(0)
    model.save(tmp_path / "m.npz")
    other = small_cnn(3)
    W = other.layers[0].params["W"]
    other.load(tmp_path / "m.npz")
    assert other.layers[0].params["W"] is W
    np.testing.assert_array_equal(W, model.layers[0].params["W"])


def test_load_a_file_of_another_architecture_is_a_clear_error(tmp_path):
    path = tmp_path / "m.npz"
    small_cnn(0).save(path)
    with pytest.raises(ValueError, match=r"another architecture\. Layer 0 is Conv2d\(1, 4, 3, "
                                         r"padding=1\) with W \(4, 1, 3, 3\)"):
        small_cnn(0, channels=2).load(path)
    with pytest.raises(ValueError, match="8 layers in the file, 1 in this model"):
        Sequential([Conv2d(1, 4, 3, padding=1)]).load(path)
    with pytest.raises(ValueError, match=r"Layer 1 is ReLU\(\) in the file but MaxPool2d"):
        Sequential([Conv2d(1, 4, 3, padding=1), MaxPool2d(2)]).load(path)


def test_load_a_missing_or_corrupt_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no file"):
        small_cnn(0).load(tmp_path / "nothing.npz")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="not an .npz archive"):
        small_cnn(0).load(junk)
    plain = tmp_path / "plain.npz"
    np.savez(plain, W=np.ones(3))
    with pytest.raises(ValueError, match="without a model description"):
        small_cnn(0).load(plain)
