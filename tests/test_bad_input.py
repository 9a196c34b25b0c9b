"""Bad input gets a clear error naming what was expected and what came, before any arithmetic."""

import numpy as np
import pytest

from course_lib.layers import (BiasAdd, Conv3x3, Dense, Flatten, MatMul, MaxPool2, ReLU,
                               Sigmoid, Softmax)
from course_lib.losses import CrossEntropyLoss, MSELoss, SoftmaxCrossEntropyLoss
from course_lib.model import Sequential
from course_lib.optim import SGD, Adam
from course_lib.train import fit


# -- dtype ----------------------------------------------------------------------------
@pytest.mark.parametrize("layer", [Dense(4, 2, rng=0), Sigmoid(), ReLU(), Softmax()])
@pytest.mark.parametrize("dtype", [np.int64, np.uint8, np.float16])
def test_non_float_input_is_a_type_error(layer, dtype):
    with pytest.raises(TypeError, match=rf"float32 or float64, got {np.dtype(dtype)}"):
        layer.forward(np.ones((3, 4), dtype=dtype))


def test_uint8_images_get_a_hint():
    with pytest.raises(TypeError, match=r"astype\(np.float32\) / 255"):
        Conv3x3(2).forward(np.zeros((2, 28, 28), dtype=np.uint8))


def test_list_input_is_a_type_error():
    with pytest.raises(TypeError, match="must be a NumPy array, got list"):
        Sigmoid().forward([[1.0, 2.0]])


# -- shape ----------------------------------------------------------------------------
def test_dense_size_mismatch_names_both_sizes():
    with pytest.raises(ValueError, match=r"expects inputs with 4 features, got shape \(3, 5\)"):
        Dense(4, 2, rng=0).forward(np.ones((3, 5)))


def test_layer_size_mismatch_inside_a_model():
    model = Sequential([Dense(4, 8, rng=0), ReLU(), Dense(6, 2, rng=0)])
    with pytest.raises(ValueError, match=r"Dense\(6 -> 2\).*6 features, got shape \(3, 8\)"):
        model.forward(np.ones((3, 4)))


def test_dense_needs_a_batch_axis():
    with pytest.raises(ValueError, match=r"must be 2-D \(batch first\), got shape \(4,\)"):
        Dense(4, 2, rng=0).forward(np.ones(4))


def test_matmul_and_bias_shape_mismatch():
    with pytest.raises(ValueError, match=r"x has 3 features .* W expects 4"):
        MatMul(np.ones((4, 2))).forward(np.ones((5, 3)))
    with pytest.raises(ValueError, match="3 columns .* bias has 2"):
        BiasAdd(np.ones(2)).forward(np.ones((5, 3)))


def test_conv_channel_mismatch_and_small_images():
    with pytest.raises(ValueError, match=r"expects 1 input channel\(s\), got input of shape "
                                         r"\(2, 3, 8, 8\) with 3"):
        Conv3x3(4).forward(np.ones((2, 3, 8, 8)))
    with pytest.raises(ValueError, match="at least 3x3, got 2x5"):
        Conv3x3(4).forward(np.ones((2, 1, 2, 5)))
    with pytest.raises(ValueError, match="3-D or 4-D"):
        Conv3x3(4).forward(np.ones((2, 8)))


def test_pool_needs_four_dimensions():
    with pytest.raises(ValueError, match=r"must be 4-D .* got shape \(2, 8, 8\)"):
        MaxPool2().forward(np.ones((2, 8, 8)))


def test_flatten_needs_a_batch():
    with pytest.raises(ValueError, match=r"expects a batch \(N, \.\.\.\), got shape \(5,\)"):
        Flatten().forward(np.ones(5))


def test_empty_batch():
    with pytest.raises(ValueError, match="empty batch"):
        Sigmoid().forward(np.ones((0, 3)))


def test_backward_checks_the_gradient_shape_and_order():
    layer = Dense(4, 2, rng=0)
    with pytest.raises(RuntimeError, match="call forward before backward"):
        layer.backward(np.ones((3, 2)))
    layer.forward(np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"must have shape \(3, 2\), got \(3, 4\)"):
        layer.backward(np.ones((3, 4)))


# -- NaN --------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("layer", [Dense(3, 2, rng=0), Sigmoid(), Conv3x3(2), MaxPool2()])
def test_nan_or_inf_in_the_input(bad, layer):
    x = np.ones((2, 1, 4, 4)) if isinstance(layer, (Conv3x3, MaxPool2)) else np.ones((2, 3))
    x.flat[1] = bad
    with pytest.raises(ValueError, match=r"contains \d NaN and \d infinite values"):
        layer.forward(x)


def test_nan_in_loss_inputs():
    pred = np.array([[0.0, np.nan]])
    with pytest.raises(ValueError, match="NaN"):
        SoftmaxCrossEntropyLoss().forward(pred, np.array([1]))
    with pytest.raises(ValueError, match="NaN"):
        MSELoss().forward(np.ones((2, 1)), np.array([1.0, np.nan]))


# -- labels ---------------------------------------------------------------------------
@pytest.mark.parametrize("loss", [SoftmaxCrossEntropyLoss(), CrossEntropyLoss()])
def test_label_out_of_range(loss):
    p = np.full((3, 4), 0.25)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 4\) for 4 classes, got "
                                         r"values from 0 to 4"):
        loss.forward(p, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match=r"from -1 to 2"):
        loss.forward(p, np.array([-1, 2, 1]))


def test_float_labels_are_a_type_error():
    with pytest.raises(TypeError, match="integer class labels .* got dtype float64"):
        SoftmaxCrossEntropyLoss().forward(np.zeros((3, 4)), np.array([0.0, 1.0, 2.0]))


def test_label_count_and_one_hot_shape_mismatch():
    with pytest.raises(ValueError, match="target has 2 labels but the prediction has 3 rows"):
        SoftmaxCrossEntropyLoss().forward(np.zeros((3, 4)), np.array([0, 1]))
    with pytest.raises(ValueError, match=r"one-hot target must have shape \(3, 4\) .* got \(3, 5\)"):
        SoftmaxCrossEntropyLoss().forward(np.zeros((3, 4)), np.zeros((3, 5)))


def test_cross_entropy_wants_probabilities():
    with pytest.raises(ValueError, match="probabilities in \\[0, 1\\].*SoftmaxCrossEntropyLoss"):
        CrossEntropyLoss().forward(np.array([[2.0, -1.0]]), np.array([0]))
    with pytest.raises(ValueError, match="sum to 1"):
        CrossEntropyLoss().forward(np.array([[0.2, 0.2]]), np.array([0]))


def test_mse_shape_mismatch():
    with pytest.raises(ValueError, match=r"shape of pred \(4, 3\), got \(4,\).*one_hot"):
        MSELoss().forward(np.zeros((4, 3)), np.zeros(4))


# -- model, optimiser, fit ----------------------------------------------------------------
def test_sequential_rejects_non_layers():
    with pytest.raises(TypeError, match="item 1 is the loss MSELoss"):
        Sequential([Dense(2, 1, rng=0), MSELoss()])


def test_optimizer_arguments():
    with pytest.raises(ValueError, match="positive number, got -0.1"):
        SGD(lr=-0.1)
    with pytest.raises(ValueError, match=r"momentum must be a number in \[0, 1\), got 1.5"):
        SGD(lr=0.1, momentum=1.5)
    with pytest.raises(ValueError, match="beta1"):
        Adam(beta1=1.0)


def test_step_before_backward():
    with pytest.raises(RuntimeError, match="call model.backward"):
        SGD(0.1).step(Sequential([Dense(2, 1, rng=0)]))


def test_fit_arguments():
    model = Sequential([Dense(2, 1, rng=0)])
    X, y = np.ones((4, 2)), np.ones(4)
    with pytest.raises(ValueError, match="X has 4 samples but y has 3"):
        fit(model, MSELoss(), SGD(0.1), X, y[:3], epochs=1, batch_size=2, progress=False)
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        fit(model, MSELoss(), SGD(0.1), X, y, epochs=1, batch_size=0, progress=False)
    with pytest.raises(TypeError, match="X must have dtype float32 or float64, got int64"):
        fit(model, MSELoss(), SGD(0.1), X.astype(int), y, epochs=1, batch_size=2, progress=False)
    with pytest.raises(TypeError, match="step"):
        fit(model, MSELoss(), "sgd", X, y, epochs=1, batch_size=2, progress=False)


def test_init_name():
    with pytest.raises(ValueError, match="init must be one of .* got 'xavier'"):
        Dense(3, 2, init="xavier")


def test_large_finite_input_whose_sum_overflows_is_accepted():
    x = np.full((2, 5), 3e38, dtype=np.float32)  # finite, but the sum overflows float32
    np.testing.assert_array_equal(ReLU().forward(x), x)
    x[1, 2] = -np.inf
    with pytest.raises(ValueError, match="0 NaN and 1 infinite"):
        ReLU().forward(x)
