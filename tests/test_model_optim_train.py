"""Sequential, the optimisers' update rules, and fit."""

import numpy as np
import pytest

from course_lib.gradcheck import numerical_gradient, relative_error
from course_lib.layers import Conv3x3, Dense, Flatten, MaxPool2, ReLU, Sigmoid, Tanh
from course_lib.losses import MSELoss, SoftmaxCrossEntropyLoss
from course_lib.model import Sequential
from course_lib.optim import SGD, Adam
from course_lib.train import History, accuracy, evaluate, fit


def small_mlp(seed=0):
    rng = np.random.default_rng(seed)
    return Sequential([Dense(4, 5, rng=rng), Tanh(), Dense(5, 3, rng=rng)])


def test_model_gradient_end_to_end():
    rng = np.random.default_rng(0)
    model = Sequential([Conv3x3(2, rng=rng), Sigmoid(), MaxPool2(), Flatten(),
                        Dense(2 * 3 * 3, 3, rng=rng)])
    x, y = rng.standard_normal((2, 1, 8, 8)), np.array([0, 2])
    loss = SoftmaxCrossEntropyLoss()
    loss.forward(model.forward(x), y)
    dx = model.backward(loss.backward())

    def f():
        return loss.forward(model.forward(x), y)

    assert relative_error(dx, numerical_gradient(f, x)) < 1e-6
    for layer in model.layers:
        analytic = {k: v.copy() for k, v in layer.grads.items()}
        for name, p in layer.params.items():
            assert relative_error(analytic[name], numerical_gradient(f, p)) < 1e-6


def test_summary_lists_shapes_and_parameter_counts():
    model = Sequential([Conv3x3(8, rng=0), MaxPool2(), Flatten(), Dense(1352, 10, rng=0)])
    text = model.summary((1, 28, 28))
    assert "(None, 8, 26, 26)" in text and "(None, 8, 13, 13)" in text
    assert "(None, 1352)" in text and "(None, 10)" in text
    assert "80" in text and "13,530" in text
    assert f"Total params: {8 * 9 + 8 + 1352 * 10 + 10:,}" in text
    assert "Total params: 43" in small_mlp().summary()  # input shape taken from the first Dense
    with pytest.raises(ValueError, match="pass input_shape"):
        Sequential([ReLU()]).summary()


def test_predict_in_batches_matches_forward():
    model = small_mlp()
    X = np.random.default_rng(1).standard_normal((10, 4))
    np.testing.assert_allclose(model.predict(X, batch_size=3), model.forward(X))


def test_sgd_step_is_p_minus_lr_g():
    model = small_mlp()
    before = [{k: v.copy() for k, v in layer.params.items()} for layer in model.layers]
    loss = MSELoss()
    loss.forward(model.forward(np.ones((2, 4))), np.zeros((2, 3)))
    model.backward(loss.backward())
    SGD(lr=0.1).step(model)
    for layer, old in zip(model.layers, before):
        for k in old:
            np.testing.assert_allclose(layer.params[k], old[k] - 0.1 * layer.grads[k])


def test_momentum_and_adam_updates_match_their_formulas():
    layer = Dense(2, 1, rng=0)
    layer.forward(np.ones((1, 2)))
    g = np.array([[2.0]])
    layer.backward(g)  # dW = [[2], [2]], db = [2]
    w0 = layer.params["W"].copy()
    sgd = SGD(lr=0.1, momentum=0.9)
    sgd.step(layer)
    sgd.step(layer)  # v1 = -0.2, v2 = 0.9 * -0.2 - 0.2 = -0.38
    np.testing.assert_allclose(layer.params["W"], w0 - 0.2 - 0.38)

    layer = Dense(2, 1, rng=0)
    layer.forward(np.ones((1, 2)))
    layer.backward(g)
    w0 = layer.params["W"].copy()
    adam = Adam(lr=0.01)
    adam.step(layer)  # first bias-corrected step is lr * sign(g)
    np.testing.assert_allclose(layer.params["W"], w0 - 0.01, rtol=1e-6)


def make_blobs(n=300, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    centres = np.array([[2.0, 0, 0, 0], [0, 2.0, 0, 0], [0, 0, 2.0, 0]])
    return centres[y] + 0.5 * rng.standard_normal((n, 4)), y


@pytest.mark.parametrize("optimizer", [SGD(0.1), SGD(0.05, momentum=0.9), Adam(0.01)],
                         ids=["sgd", "momentum", "adam"])
def test_fit_learns_a_separable_problem(optimizer):
    X, y = make_blobs()
    model = small_mlp()
    history = fit(model, SoftmaxCrossEntropyLoss(), optimizer, X[:200], y[:200], epochs=10,
                  batch_size=16, validation_data=(X[200:], y[200:]), progress=False)
    assert isinstance(history, History) and history.epochs == 10
    assert len(history.val_loss) == len(history.val_accuracy) == len(history.epoch_time) == 10
    assert history.loss[-1] < 0.5 * history.loss[0]
    assert history.val_accuracy[-1] >= 0.95
    assert accuracy(model, X[200:], y[200:]) == pytest.approx(history.val_accuracy[-1])


def test_fit_is_reproducible_and_seed_dependent():
    X, y = make_blobs()

    def run(seed):
        model = small_mlp()
        fit(model, SoftmaxCrossEntropyLoss(), SGD(0.1), X, y, epochs=2, batch_size=8, seed=seed,
            progress=False)
        return model.layers[0].params["W"]

    np.testing.assert_array_equal(run(0), run(0))
    assert not np.array_equal(run(0), run(1))


def test_fit_per_sample_regression_and_evaluate():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 3.0
    model = Sequential([Dense(3, 1, rng=0)])
    history = fit(model, MSELoss(), SGD(0.05), X, y, epochs=20, batch_size=1, progress=False)
    assert history.val_loss == [] and history.val_accuracy == []
    scores = evaluate(model, MSELoss(), X, y)
    assert set(scores) == {"loss"} and scores["loss"] < 1e-6
    np.testing.assert_allclose(model.layers[0].params["b"], [3.0], atol=1e-3)


def test_float32_training_stays_float32():
    X, y = make_blobs()
    model = small_mlp().astype(np.float32)
    fit(model, SoftmaxCrossEntropyLoss(), SGD(0.1), X.astype(np.float32), y, epochs=2,
        batch_size=32, progress=False)
    assert all(p.dtype == np.float32 for layer in model.layers for p in layer.params.values())
    assert model.predict(X.astype(np.float32)).dtype == np.float32


def test_mse_on_one_hot_reports_accuracy_when_asked():
    X, y = make_blobs()
    model = small_mlp()
    targets = np.eye(3)[y]
    history = fit(model, MSELoss(), SGD(0.1), X, targets, epochs=3, batch_size=16,
                  validation_data=(X, targets), classification=True, progress=False)
    assert len(history.val_accuracy) == 3
    assert "accuracy" in evaluate(model, MSELoss(), X, targets, classification=True)


def test_sequential_and_fit_take_a_duck_typed_layer():
    """A student's own layer, not derived from Layer, trains inside Sequential and fit."""
    from course_lib.layers import Dense
    from course_lib.losses import MSELoss
    from course_lib.model import Sequential
    from course_lib.optim import SGD
    from course_lib.train import fit

    class Scale:  # y = x * w, one weight per feature
        def __init__(self, n):
            self.params, self.grads = {"w": np.ones(n)}, {}

        def forward(self, x):
            self.x = x
            return x * self.params["w"]

        def backward(self, g):
            self.grads["w"] = (g * self.x).sum(axis=0)
            return g * self.params["w"]

    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3))
    y = X @ np.array([[1.0], [-2.0], [0.5]])
    model = Sequential([Scale(3), Dense(3, 1, rng=0)])
    assert model.num_params() == 3 + 4
    before = model.layers[0].params["w"].copy()
    history = fit(model, MSELoss(), SGD(0.05), X, y, epochs=30, batch_size=16, progress=False)
    assert history.loss[-1] < 0.01 * history.loss[0]
    assert not np.array_equal(model.layers[0].params["w"], before)


@pytest.mark.parametrize("item, message", [
    (Dense, r"item 1 is the class Dense, not a layer: pass Dense\(\.\.\.\), not Dense\."),
    (ReLU, r"item 1 is the class ReLU, not a layer: pass ReLU\(\), not ReLU\."),
    (object(), r"must be a layer with forward and backward methods, got object"),
])
def test_sequential_names_what_is_not_a_layer(item, message):
    with pytest.raises(TypeError, match=message):
        Sequential([Dense(2, 2, rng=0), item])
