"""Loss values, gradients (central differences) and numerical stability."""

import warnings

import numpy as np
import pytest

from course_lib.data import one_hot
from course_lib.gradcheck import check_loss
from course_lib.layers import softmax
from course_lib.losses import CrossEntropyLoss, MSELoss, SoftmaxCrossEntropyLoss

TOL = 1e-6


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("batch", [1, 7])
def test_mse_gradient(seed, batch):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(1, 5))
    err = check_loss(MSELoss(), rng.standard_normal((batch, k)), rng.standard_normal((batch, k)))
    assert err < TOL


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("batch", [1, 7])
@pytest.mark.parametrize("onehot", [False, True])
def test_cross_entropy_gradients(seed, batch, onehot):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 6))
    labels = rng.integers(0, k, size=batch)
    target = one_hot(labels, k) if onehot else labels
    logits = rng.standard_normal((batch, k))
    assert check_loss(SoftmaxCrossEntropyLoss(), logits, target) < TOL
    assert check_loss(CrossEntropyLoss(), softmax(logits), target) < TOL


def test_mse_value_and_regression_target_shape():
    loss = MSELoss()
    assert loss.forward(np.array([[1.0], [3.0]]), np.array([0.0, 0.0])) == pytest.approx(5.0)
    np.testing.assert_allclose(loss.backward(), [[1.0], [3.0]])


def test_cross_entropy_values_agree():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((6, 4))
    y = rng.integers(0, 4, size=6)
    expected = -np.mean(np.log(softmax(z)[np.arange(6), y]))
    assert SoftmaxCrossEntropyLoss().forward(z, y) == pytest.approx(expected)
    assert CrossEntropyLoss().forward(softmax(z), y) == pytest.approx(expected)
    assert SoftmaxCrossEntropyLoss().forward(z, one_hot(y, 4)) == pytest.approx(expected)


def test_fused_gradient_is_p_minus_y():
    z = np.array([[2.0, 1.0, 0.1]])
    loss = SoftmaxCrossEntropyLoss()
    loss.forward(z, np.array([0]))
    np.testing.assert_allclose(loss.backward(), softmax(z) - [[1.0, 0.0, 0.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_losses_survive_extreme_inputs(dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fused = SoftmaxCrossEntropyLoss()
        value = fused.forward(np.array([[1000.0, 0.0, -1000.0]], dtype=dtype), np.array([2]))
        assert value == pytest.approx(2000.0)
        assert np.all(np.isfinite(fused.backward()))
        ce = CrossEntropyLoss()
        value = ce.forward(np.array([[1.0, 0.0, 0.0]], dtype=dtype), np.array([1]))
        assert np.isfinite(value) and value > 20
        assert np.all(np.isfinite(ce.backward()))


def test_backward_before_forward_is_an_error():
    with pytest.raises(RuntimeError, match="forward"):
        MSELoss().backward()
