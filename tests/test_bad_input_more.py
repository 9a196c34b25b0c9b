"""Issue 13: the bad inputs that ended in a raw error, a silent wrong result, a long silence
or a misleading message; each now raises a clear TypeError/ValueError naming the argument,
what was expected and what came (or works correctly). One test per case of the issue."""

import warnings

import numpy as np
import pytest

from course_lib import gradcheck
from course_lib.data import load_boston, load_mnist, one_hot
from course_lib.layers import (Conv3x3, Dense, Flatten, MatMul, MaxPool2, ReLU, Sigmoid, Softmax,
                               Tanh)
from course_lib.losses import CrossEntropyLoss, MSELoss, SoftmaxCrossEntropyLoss
from course_lib.model import Sequential
from course_lib.optim import SGD, SGDW, Adam
from course_lib.train import accuracy, evaluate, fit


def tiny_problem(n=8):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 4)), np.arange(n) % 3


def mlp():
    return Sequential([Dense(4, 5, rng=0), Tanh(), Dense(5, 3, rng=1)])


def run_fit(**changes):
    X, y = tiny_problem()
    args = dict(model=mlp(), loss=SoftmaxCrossEntropyLoss(), optimizer=SGD(0.1), X=X, y=y,
                epochs=1, batch_size=4, progress=False)
    args.update(changes)
    return fit(args.pop("model"), args.pop("loss"), args.pop("optimizer"), args.pop("X"),
               args.pop("y"), **args)


# -- raw Python/NumPy errors, now clear ---------------------------------------------------
def test_sequential_of_one_layer_not_in_a_list():
    with pytest.raises(TypeError, match=r"Sequential: layers must be a list of layers, got a "
                                        r"single Dense; wrap it in a list: "
                                        r"Sequential\(\[Dense\(\.\.\.\)\]\)"):
        Sequential(Dense(4, 3))


def test_sequential_of_separate_layers():
    with pytest.raises(TypeError, match=r"Sequential takes one list of layers, got 2 separate "
                                        r"arguments; put them in one list: "
                                        r"Sequential\(\[Dense\(\.\.\.\), ReLU\(\)\]\)"):
        Sequential(Dense(4, 3), ReLU())


def test_sgd_learning_rate_as_a_string():
    with pytest.raises(TypeError, match=r"SGD: lr \(the learning rate\) must be a positive "
                                        r"number, got str '0\.1'\. Pass the number itself, "
                                        r"without quotes\."):
        SGD("0.1")


def test_sgd_momentum_none():
    with pytest.raises(TypeError, match=r"SGD: momentum must be a number in \[0, 1\), got None"):
        SGD(0.1, momentum=None)


@pytest.mark.parametrize("optimizer, message", [
    (SGD, r"fit: optimizer is the class SGD, not an optimizer: pass SGD\(0\.1\), not SGD\."),
    (SGDW, r"pass SGDW\(0\.1\), not SGDW\."),
    (Adam, r"pass Adam\(\), not Adam\."),
])
def test_fit_with_an_optimizer_class(optimizer, message):
    with pytest.raises(TypeError, match=message):
        run_fit(optimizer=optimizer)


def test_fit_with_a_loss_class():
    with pytest.raises(TypeError, match=r"fit: loss is the class SoftmaxCrossEntropyLoss, not a "
                                        r"loss: pass SoftmaxCrossEntropyLoss\(\), not "
                                        r"SoftmaxCrossEntropyLoss\."):
        run_fit(loss=SoftmaxCrossEntropyLoss)


def test_fit_with_a_loss_name():
    with pytest.raises(TypeError, match=r"fit: loss must be a loss object with forward\(pred, "
                                        r"target\) and backward\(\), such as MSELoss\(\) or "
                                        r"SoftmaxCrossEntropyLoss\(\) .*got str 'mse'\."):
        run_fit(loss="mse")


def test_fit_with_a_list_of_layers():
    with pytest.raises(TypeError, match=r"fit: model must be a Sequential, got a list of 3 "
                                        r"layers; wrap them: Sequential\(\[\.\.\.\]\)"):
        run_fit(model=mlp().layers)


@pytest.mark.parametrize("seed, error, message", [
    ("abc", TypeError, r"fit: seed must be an int >= 0, got str 'abc'\."),
    (-1, ValueError, r"fit: seed must be an int >= 0, got -1\."),
    (1.5, TypeError, r"fit: seed must be an int >= 0, got float 1\.5\."),
])
def test_fit_seed(seed, error, message):
    with pytest.raises(error, match=message):
        run_fit(seed=seed)


def test_mse_with_string_targets():
    with pytest.raises(TypeError, match=r"MSELoss\.forward: target must hold real numbers \(int "
                                        r"or float\), got dtype <U3\. Convert it with "
                                        r"target\.astype\(np\.float64\)"):
        MSELoss().forward(np.zeros((3, 1)), np.array(["1.0", "2.0", "3.0"]))


@pytest.mark.parametrize("call, message", [
    (lambda: gradcheck.numerical_gradient(lambda: 0.0, [1.0, 2.0]),
     r"numerical_gradient: x must be a NumPy array, got list"),
    (lambda: gradcheck.check_layer(Sigmoid(), [[1.0, 2.0]]),
     r"check_layer: x must be a NumPy array, got list"),
    (lambda: gradcheck.check_loss(MSELoss(), [[1.0]], np.ones((1, 1))),
     r"check_loss: pred must be a NumPy array, got list"),
], ids=["numerical_gradient", "check_layer", "check_loss"])
def test_gradcheck_given_a_list(call, message):
    with pytest.raises(TypeError, match=message):
        call()


@pytest.mark.parametrize("call, where", [
    (lambda: gradcheck.numerical_gradient(lambda: 1.0, np.zeros(3), h=0), "numerical_gradient"),
    (lambda: gradcheck.check_layer(Sigmoid(), np.ones((2, 3)), h=0), "check_layer"),
    (lambda: gradcheck.check_loss(MSELoss(), np.ones((2, 1)), np.zeros((2, 1)), h=0),
     "check_loss"),
], ids=["numerical_gradient", "check_layer", "check_loss"])
def test_gradcheck_with_h_zero(call, where):
    with pytest.raises(ValueError, match=rf"{where}: h \(the finite-difference step\) must be a "
                                         rf"positive number, got 0\."):
        call()


def test_numerical_gradient_with_swapped_arguments():
    with pytest.raises(TypeError, match=r"f must be a function of no arguments .*got ndarray.*"
                                        r"The order is numerical_gradient\(f, x\)"):
        gradcheck.numerical_gradient(np.zeros(3), lambda: 0.0)


def test_numerical_gradient_keeps_its_float32_message():
    """Lesson 01 prints this message; it must not change."""
    with pytest.raises(TypeError) as info:
        gradcheck.numerical_gradient(lambda: 0.0, np.zeros(3, dtype=np.float32))
    assert str(info.value) == ("numerical_gradient: x must be float64 for an accurate check, "
                               "got float32. Use x.astype(np.float64).")


def test_load_mnist_split_in_a_list():
    with pytest.raises(TypeError, match=r"load_mnist: split must be the string 'train' or "
                                        r"'test', got list \['train'\]\."):
        load_mnist(["train"])


def test_one_hot_of_an_empty_array():
    with pytest.raises(ValueError, match=r"one_hot: got no labels \(an empty array\), so the "
                                         r"number of classes cannot be read from them; pass "
                                         r"num_classes"):
        one_hot(np.array([], dtype=np.int64))
    assert one_hot(np.array([], dtype=np.int64), 3).shape == (0, 3)
    assert one_hot([], 3).shape == (0, 3)


# -- silent wrong results, now an error or right --------------------------------------------
def test_accuracy_with_a_label_column():
    X = np.eye(3)[np.arange(8) % 3]  # a model that outputs the one-hot label: accuracy 1
    model = Sequential([ReLU()])
    y = np.arange(8) % 3
    assert accuracy(model, X, y) == 1.0
    with pytest.raises(ValueError, match=r"accuracy: y has shape \(8, 1\), a column; pass the "
                                         r"labels with shape \(8,\) \(y\.ravel\(\)\), or "
                                         r"one-hot rows of shape \(8, 3\)\."):
        accuracy(model, X, y[:, None])


@pytest.mark.parametrize("loss", [SoftmaxCrossEntropyLoss(), CrossEntropyLoss()],
                         ids=["SoftmaxCrossEntropyLoss", "CrossEntropyLoss"])
@pytest.mark.parametrize("scale, sums", [(0.0, "0 to 0"), (2.0, "2 to 2")])
def test_one_hot_rows_that_do_not_sum_to_one(loss, scale, sums):
    pred = np.full((4, 3), 1 / 3)
    with pytest.raises(ValueError, match=rf"{loss.name}\.forward: each one-hot target row must "
                                         rf"sum to 1 .*got row sums from {sums}"):
        loss.forward(pred, scale * np.eye(3)[[0, 1, 2, 0]])


def test_label_smoothed_targets_still_work():
    target = 0.9 * np.eye(3)[[0, 1, 2, 0]] + 0.1 / 3
    assert np.isfinite(SoftmaxCrossEntropyLoss().forward(np.zeros((4, 3)), target))


def test_one_output_model_with_softmax_cross_entropy():
    model = Sequential([Dense(4, 1, rng=0)])
    X, _ = tiny_problem()
    with pytest.raises(ValueError, match=r"SoftmaxCrossEntropyLoss\.forward: the prediction has "
                                         r"1 column, but a classifier needs one score per class "
                                         r"\(K >= 2\): the softmax of one score is always 1, so "
                                         r"the loss is 0 and the gradient 0.*Dense\(\.\.\., 2\)"):
        fit(model, SoftmaxCrossEntropyLoss(), SGD(0.1), X, np.zeros(8, dtype=int), epochs=1,
            batch_size=4, progress=False)


def test_mse_with_complex_targets():
    with pytest.raises(TypeError, match=r"MSELoss\.forward: target must hold real numbers \(int "
                                        r"or float\), got dtype complex128"):
        MSELoss().forward(np.zeros((3, 1)), np.ones(3, dtype=complex))


def test_fit_stops_when_the_loss_overflows_in_a_single_batch():
    model = Sequential([Dense(2, 1, rng=0)])
    before = model.layers[0].params["W"].copy()
    X = np.array([[1e200, 1e200], [1e200, -1e200]])
    with np.errstate(over="ignore"), pytest.raises(
            ValueError, match=r"fit: the loss became inf at epoch 1 of 1, batch 1 of 1: training "
                              r"diverged .*left as it was before this batch\. Lower the "
                              r"learning rate \(now 0\.1\), or standardise the inputs\."):
        fit(model, MSELoss(), SGD(0.1), X, np.zeros(2), epochs=1, batch_size=2, progress=False)
    np.testing.assert_array_equal(model.layers[0].params["W"], before)


def test_fit_names_epoch_and_batch_when_training_diverges():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((16, 3))
    y = X @ np.array([1.0, -2.0, 0.5])
    with np.errstate(all="ignore"), pytest.raises(ValueError) as info:
        fit(Sequential([Dense(3, 1, rng=0)]), MSELoss(), SGD(1e6), X, y, epochs=50,
            batch_size=4, progress=False)
    assert "fit: the loss became inf at epoch" in str(info.value)


def test_an_error_inside_fit_notes_the_epoch_and_batch():
    X, y = tiny_problem()
    y = y.copy()
    y[5] = 7  # out of range for 3 classes
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)") as info:
        run_fit(X=X, y=y, batch_size=4)
    notes = getattr(info.value, "__notes__", None)
    if notes is not None:  # Python 3.11+
        assert notes[-1].startswith("(raised in fit at epoch 1 of 1, batch ")


def test_adam_eps_zero_and_negative():
    with pytest.raises(ValueError, match=r"Adam: eps must be a positive number, got 0"):
        Adam(eps=0)
    with pytest.raises(ValueError, match=r"Adam: eps must be a positive number, got -1"):
        Adam(eps=-1)


def test_sgd_infinite_learning_rate():
    with pytest.raises(ValueError, match=r"SGD: lr \(the learning rate\) must be a positive "
                                         r"number and finite, got inf\."):
        SGD(np.inf)


def test_epochs_true():
    with pytest.raises(TypeError, match=r"fit: epochs must be a positive int, got bool True\."):
        run_fit(epochs=True)


def test_one_hot_with_a_float_number_of_classes():
    with pytest.raises(TypeError, match=r"one_hot: num_classes must be a positive int, got "
                                        r"float 2\.5\."):
        one_hot(np.array([0, 1]), 2.5)


def test_load_boston_drop_b_as_a_string():
    with pytest.raises(TypeError, match=r"load_boston: drop_b must be True or False, got str "
                                        r"'no'\."):
        load_boston(drop_b="no")
    assert load_boston(drop_b=np.False_)[0].shape == (506, 13)


@pytest.mark.parametrize("call, name", [
    (lambda m: Dense(2, 2, rng=0).forward(m), "Dense.forward: x"),
    (lambda m: Sigmoid().forward(m), "Sigmoid.forward: x"),
    (lambda m: MatMul(m), "MatMul: W"),
    (lambda m: MSELoss().forward(np.zeros((2, 2)), m), "MSELoss.forward: target"),
    (lambda m: SoftmaxCrossEntropyLoss().forward(np.zeros((2, 2)), m),
     "SoftmaxCrossEntropyLoss.forward: target"),
    (lambda m: fit(Sequential([Dense(2, 2, rng=0)]), MSELoss(), SGD(0.1), m, np.eye(2),
                   epochs=1, batch_size=2, progress=False), "fit: X"),
], ids=["Dense", "Sigmoid", "MatMul", "MSELoss", "SoftmaxCE", "fit"])
@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")
def test_np_matrix_is_refused(call, name):
    with pytest.raises(TypeError, match=rf"{name} is a numpy\.matrix, whose \* is a matrix "
                                        rf"product and breaks elementwise code; pass an ndarray"):
        call(np.matrix(np.eye(2)))


LAYERS = {  # layer, a good input, an input its forward refuses
    "Dense": (lambda: Dense(4, 3, rng=0), np.ones((2, 4)), np.ones((2, 5))),
    "MatMul": (lambda: MatMul(np.ones((4, 3))), np.ones((2, 4)), np.ones((2, 5))),
    "Sigmoid": (Sigmoid, np.ones((2, 4)), np.ones((2, 4), dtype=int)),
    "Tanh": (Tanh, np.ones((2, 4)), [[1.0]]),
    "ReLU": (ReLU, np.ones((2, 4)), np.full((2, 4), np.nan)),
    "Softmax": (Softmax, np.ones((2, 4)), np.ones((2, 3, 4))),
    "Conv3x3": (lambda: Conv3x3(2, rng=0), np.ones((2, 1, 5, 5)), np.ones((2, 3, 5, 5))),
    "MaxPool2": (MaxPool2, np.ones((2, 1, 4, 4)), np.ones((2, 4, 4))),
    "Flatten": (Flatten, np.ones((2, 3, 4)), np.ones(3)),
}


@pytest.mark.parametrize("name", LAYERS)
def test_layer_backward_after_a_failed_forward(name):
    make, good, bad = LAYERS[name]
    layer = make()
    y = layer.forward(good)
    with pytest.raises((TypeError, ValueError)):
        layer.forward(bad)
    with pytest.raises(RuntimeError, match=rf"{name}\.backward: call forward before backward; "
                                           rf".*forward has not run yet, or its last call failed"):
        layer.backward(np.ones_like(y))


@pytest.mark.parametrize("loss, pred, target, bad_target", [
    (MSELoss(), np.ones((2, 1)), np.ones(2), np.ones(3)),
    (SoftmaxCrossEntropyLoss(), np.ones((2, 3)), np.array([0, 1]), np.array([0, 5])),
    (CrossEntropyLoss(), np.full((2, 3), 1 / 3), np.array([0, 1]), np.array([0.0, 1.0])),
], ids=["MSELoss", "SoftmaxCrossEntropyLoss", "CrossEntropyLoss"])
def test_loss_backward_after_a_failed_forward(loss, pred, target, bad_target):
    loss.forward(pred, target)
    with pytest.raises((TypeError, ValueError)):
        loss.forward(pred, bad_target)
    with pytest.raises(RuntimeError, match=rf"{loss.name}\.backward: call forward\(pred, target\) "
                                           rf"first"):
        loss.backward()


# -- slow without a word: large gradient checks are sampled, and say so ----------------------
def test_large_gradient_check_samples_entries_and_says_so():
    layer = Dense(784, 128, rng=0)
    x = np.random.default_rng(0).standard_normal((4, 784))
    with pytest.warns(UserWarning, match=r"check_layer: checked 1,000 entries chosen at random "
                                         r"of x \(3,136 entries\), W \(100,352 entries\), not "
                                         r"all of them .*Pass max_entries=None"):
        errors = gradcheck.check_layer(layer, x)
    assert set(errors) == {"x", "W", "b"} and max(errors.values()) < 1e-7


def test_sampled_gradient_check_still_finds_a_wrong_gradient():
    class WrongDense(Dense):
        def backward(self, grad_out):
            dx = super().backward(grad_out)
            self.matmul.grads["W"] = 2 * self.matmul.grads["W"]  # twice the true gradient
            return dx

    with pytest.warns(UserWarning, match="chosen at random"):
        errors = gradcheck.check_layer(WrongDense(100, 20, rng=0), np.ones((2, 100)),
                                       max_entries=50)
    assert errors["W"] > 0.1 and errors["x"] < 1e-7


def test_small_gradient_checks_check_every_entry_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        errors = gradcheck.check_layer(Dense(5, 3, rng=0), np.ones((4, 5)))
        err = gradcheck.check_loss(MSELoss(), np.ones((4, 3)), np.zeros((4, 3)))
    assert max(errors.values()) < 1e-7 and err < 1e-7


def test_max_entries_none_checks_everything():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        errors = gradcheck.check_layer(Dense(40, 30, rng=0), np.ones((2, 40)), max_entries=None)
    assert max(errors.values()) < 1e-7


# -- misleading messages --------------------------------------------------------------------
@pytest.mark.parametrize("lr", [np.array(0.1), np.float32(0.1), np.float64(0.1), 1])
def test_learning_rate_as_a_numpy_number_is_accepted(lr):
    optimizer = SGD(lr)
    assert type(optimizer.lr) is float and optimizer.lr == float(lr)


def test_a_layer_class_in_sequential_says_how_to_create_it():
    with pytest.raises(TypeError, match=r"Sequential: item 2 is the class ReLU, not a layer: "
                                        r"pass ReLU\(\), not ReLU\."):
        Sequential([Dense(4, 3), Tanh(), ReLU])


# -- duck typing still works ---------------------------------------------------------------
class StudentMSE:
    """A student's loss that does not subclass Loss."""

    def forward(self, pred, target):
        self.diff = pred - target.reshape(pred.shape)
        return float(np.mean(self.diff ** 2))

    def backward(self):
        return 2 * self.diff / self.diff.size


def test_fit_and_evaluate_take_a_students_loss():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((32, 3))
    y = X @ np.array([1.0, -2.0, 0.5])
    model = Sequential([Dense(3, 1, rng=0)])
    history = fit(model, StudentMSE(), SGD(0.05), X, y, epochs=20, batch_size=8,
                  validation_data=[X, y], progress=False)
    assert history.loss[-1] < 0.01 * history.loss[0] and len(history.val_loss) == 20
    assert set(evaluate(model, StudentMSE(), X, y)) == {"loss"}


def test_sgdw_step_is_unchanged():
    """SGDW: the SGD momentum step, then W *= 1 - lr * weight_decay (lesson 05), bit for bit."""
    layer = Dense(3, 2, rng=0)
    layer.forward(np.ones((2, 3)))
    layer.backward(np.ones((2, 2)))
    W, b = layer.params["W"].copy(), layer.params["b"].copy()
    optimizer = SGDW(np.float64(0.05), momentum=0.9, weight_decay=5e-3)
    optimizer.step(layer)
    v_W, v_b = -0.05 * layer.grads["W"], -0.05 * layer.grads["b"]
    np.testing.assert_array_equal(layer.params["W"], (W + v_W) * (1.0 - 0.05 * 5e-3))
    np.testing.assert_array_equal(layer.params["b"], b + v_b)
