"""Lesson 06's pieces of course_lib: Dropout, BatchNorm, train/eval modes, L2 weight decay
in SGD and Adam, and early stopping in fit.

BatchNorm is compared with a reference written here from the definitions (a staged
forward and its backward node by node, NumPy's own variance with ddof=1 for the running
statistics), not with course_lib itself.
"""

import numpy as np
import pytest

from course_lib.gradcheck import check_layer
from course_lib.layers import BatchNorm, Dense, Dropout, ReLU, Tanh
from course_lib.losses import SoftmaxCrossEntropyLoss
from course_lib.model import Sequential
from course_lib.optim import SGD, SGDW, Adam
from course_lib.train import evaluate, fit

TOL = 1e-6


class FixedMaskDropout(Dropout):
    """Dropout whose generator is re-seeded on every forward: the same mask every time,
    so that central differences see one function."""

    def forward(self, x):
        self.rng = np.random.default_rng(123)
        return super().forward(x)


# --- Dropout ------------------------------------------------------------------------------

@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.9])
@pytest.mark.parametrize("seed", [0, 1])
def test_dropout_gradient(p, seed):
    rng = np.random.default_rng(seed)
    errors = check_layer(FixedMaskDropout(p), rng.standard_normal((5, 7)))
    assert set(errors) == {"x"} and errors["x"] < TOL, errors


def test_dropout_is_inverted_and_backward_uses_the_forward_mask():
    p = 0.3
    layer = Dropout(p, rng=0)
    x = np.random.default_rng(1).uniform(1.0, 2.0, size=(200, 50))  # no zeros in x
    y = layer.forward(x)
    kept = y != 0
    assert np.allclose(y[kept], x[kept] / (1 - p)), "kept units are scaled by 1 / (1 - p)"
    assert abs((~kept).mean() - p) < 0.02, (~kept).mean()  # 10,000 draws: sd 0.005
    g = np.random.default_rng(2).standard_normal(x.shape)
    dx = layer.backward(g)
    assert np.array_equal(dx != 0, kept) and np.allclose(dx[kept], g[kept] / (1 - p))
    assert np.array_equal(layer.backward(g), dx), "backward twice gives the same (no redraw)"


def test_dropout_keeps_the_mean_and_draws_a_new_mask_each_forward():
    layer = Dropout(0.5, rng=np.random.default_rng(0))
    x = np.ones((400, 100))
    a, b = layer.forward(x), layer.forward(x)
    assert abs(a.mean() - 1.0) < 0.02 and not np.array_equal(a, b)


def test_dropout_masks_come_from_its_generator():
    x = np.ones((10, 10))
    assert np.array_equal(Dropout(0.5, rng=7).forward(x), Dropout(0.5, rng=7).forward(x))
    assert not np.array_equal(Dropout(0.5, rng=7).forward(x), Dropout(0.5, rng=8).forward(x))


def test_dropout_is_the_identity_in_evaluation_mode():
    layer = Dropout(0.5, rng=0)
    layer.training = False
    x = np.random.default_rng(0).standard_normal((4, 6))
    assert np.array_equal(layer.forward(x), x)
    g = np.ones_like(x)
    assert np.array_equal(layer.backward(g), g)


def test_dropout_keeps_float32():
    layer = Dropout(0.25, rng=0)
    x = np.ones((8, 8), dtype=np.float32)
    assert layer.forward(x).dtype == np.float32
    assert layer.backward(x).dtype == np.float32


@pytest.mark.parametrize("p, error", [(1.0, ValueError), (-0.1, ValueError), (1.5, ValueError),
                                      (np.nan, ValueError), ("0.5", TypeError),
                                      (None, TypeError), (True, TypeError)])
def test_dropout_refuses_a_bad_p(p, error):
    with pytest.raises(error, match=r"Dropout: p \(the probability of dropping a unit\)"):
        Dropout(p)


def test_dropout_refuses_a_bad_rng_and_backward_before_forward():
    with pytest.raises(TypeError, match="rng"):
        Dropout(0.5, rng="seed")
    with pytest.raises(RuntimeError, match="call forward before backward"):
        Dropout(0.5).backward(np.ones((2, 2)))


# --- BatchNorm: a reference from the definitions ---------------------------------------

def reference_batchnorm(x, gamma, beta, eps, g):
    """Forward as a chain of small steps, backward node by node through the same chain."""
    n = x.shape[0]
    mu = np.sum(x, axis=0) / n
    xc = x - mu
    var = np.sum(xc ** 2, axis=0) / n
    std = np.sqrt(var + eps)
    inv = 1.0 / std
    xhat = xc * inv
    y = gamma * xhat + beta
    dbeta = g.sum(axis=0)
    dgamma = (g * xhat).sum(axis=0)
    dxhat = g * gamma
    dinv = (dxhat * xc).sum(axis=0)
    dxc = dxhat * inv
    dstd = -dinv / std ** 2
    dvar = dstd / (2.0 * std)
    dxc = dxc + 2.0 * xc / n * dvar
    dmu = -dxc.sum(axis=0)
    dx = dxc + dmu / n
    return y, dx, dgamma, dbeta


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("n", [2, 3, 16])
def test_batchnorm_training_forward_backward_match_the_reference(seed, n):
    rng = np.random.default_rng(seed)
    d = 5
    layer = BatchNorm(d, eps=1e-3)
    layer.params["gamma"][:] = rng.normal(1.0, 0.5, d)
    layer.params["beta"][:] = rng.normal(0.0, 0.5, d)
    x = rng.normal(2.0, 3.0, size=(n, d))
    g = rng.standard_normal((n, d))
    y = layer.forward(x)
    dx = layer.backward(g)
    ry, rdx, rdgamma, rdbeta = reference_batchnorm(x, layer.params["gamma"],
                                                   layer.params["beta"], 1e-3, g)
    np.testing.assert_allclose(y, ry, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, rdx, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(layer.grads["gamma"], rdgamma, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.grads["beta"], rdbeta, rtol=1e-10, atol=1e-12)


def test_batchnorm_output_is_normalised_in_training_mode():
    x = np.random.default_rng(0).normal(5.0, 4.0, size=(64, 3))
    y = BatchNorm(3).forward(x)
    np.testing.assert_allclose(y.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=0), 4.0 ** 0 * np.var(x, axis=0)
                               / (np.var(x, axis=0) + 1e-5), rtol=1e-10)


def test_batchnorm_running_statistics_follow_pytorch():
    rng = np.random.default_rng(3)
    layer = BatchNorm(4, momentum=0.2)
    assert np.array_equal(layer.running_mean, np.zeros(4))
    assert np.array_equal(layer.running_var, np.ones(4))
    mean, var = np.zeros(4), np.ones(4)
    for step in range(5):
        x = rng.normal(step, 1.0 + step, size=(7, 4))
        layer.forward(x)
        mean = 0.8 * mean + 0.2 * np.mean(x, axis=0)
        var = 0.8 * var + 0.2 * np.var(x, axis=0, ddof=1)  # unbiased, as PyTorch
        np.testing.assert_allclose(layer.running_mean, mean, rtol=1e-12)
        np.testing.assert_allclose(layer.running_var, var, rtol=1e-12)


def test_batchnorm_uses_the_running_statistics_in_evaluation_mode():
    rng = np.random.default_rng(4)
    layer = BatchNorm(3, eps=1e-5)
    layer.params["gamma"][:] = [1.0, 2.0, 0.5]
    layer.params["beta"][:] = [0.0, -1.0, 1.0]
    layer.running_mean = np.array([1.0, 2.0, 3.0])
    layer.running_var = np.array([4.0, 0.25, 1.0])
    layer.training = False
    x = rng.standard_normal((1, 3))  # a batch of one is fine in evaluation
    expected = (x - layer.running_mean) / np.sqrt(layer.running_var + 1e-5) \
        * layer.params["gamma"] + layer.params["beta"]
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-12)
    before = layer.running_mean.copy()
    layer.forward(rng.standard_normal((5, 3)))
    assert np.array_equal(layer.running_mean, before), "evaluation does not update them"


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_gradient(seed, training):
    rng = np.random.default_rng(seed)
    layer = BatchNorm(4)
    layer.params["gamma"][:] = rng.normal(1.0, 0.5, 4)
    layer.params["beta"][:] = rng.normal(0.0, 0.5, 4)
    layer.running_mean, layer.running_var = rng.normal(size=4), rng.uniform(0.5, 2.0, 4)
    layer.training = training
    errors = check_layer(layer, rng.normal(1.0, 2.0, size=(6, 4)))
    assert set(errors) == {"x", "gamma", "beta"}
    assert all(e < TOL for e in errors.values()), errors


def test_batchnorm_in_a_network_gradient():
    rng = np.random.default_rng(5)
    model = Sequential([Dense(3, 4, rng=rng), BatchNorm(4), Tanh(), Dense(4, 2, rng=rng)])
    x = rng.standard_normal((6, 3))
    G = rng.standard_normal((6, 2))
    model.forward(x)
    dx = model.backward(G)
    num = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + 1e-6
        up = np.sum(model.forward(x) * G)
        x[idx] = old - 1e-6
        down = np.sum(model.forward(x) * G)
        x[idx] = old
        num[idx] = (up - down) / 2e-6
    np.testing.assert_allclose(dx, num, rtol=1e-5, atol=1e-8)


def test_batchnorm_float32():
    layer = BatchNorm(3).astype(np.float32)
    x = np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32)
    y = layer.forward(x)
    assert y.dtype == np.float32 and layer.backward(y).dtype == np.float32
    assert layer.running_mean.dtype == np.float32 and layer.grads["gamma"].dtype == np.float32


def test_batchnorm_refuses_a_batch_of_one_in_training_and_bad_arguments():
    layer = BatchNorm(3)
    with pytest.raises(ValueError, match="at least 2 samples"):
        layer.forward(np.ones((1, 3)))
    with pytest.raises(ValueError, match=r"BatchNorm\(3\).forward expects inputs with 3 features"):
        layer.forward(np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"BatchNorm.forward: x must be 2-D"):
        layer.forward(np.ones((4, 3, 2)))
    with pytest.raises(TypeError, match="num_features"):
        BatchNorm(3.0)
    with pytest.raises(ValueError, match="num_features"):
        BatchNorm(0)
    with pytest.raises(ValueError, match="momentum"):
        BatchNorm(3, momentum=1.5)
    with pytest.raises(ValueError, match="eps"):
        BatchNorm(3, eps=0.0)
    with pytest.raises(RuntimeError, match="call forward before backward"):
        BatchNorm(3).backward(np.ones((2, 3)))


# --- modes ----------------------------------------------------------------------------------

def small_model(p=0.5, seed=0):
    rng = np.random.default_rng(seed)
    return Sequential([Dense(4, 16, rng=rng), BatchNorm(16), ReLU(), Dropout(p, rng=rng),
                       Dense(16, 3, rng=rng)])


def test_train_and_eval_set_every_layer_and_return_the_model():
    model = small_model()
    assert model.training and all(layer.training for layer in model.layers)
    assert model.eval() is model and not any(layer.training for layer in model.layers)
    assert not model.training
    assert model.train() is model and all(layer.training for layer in model.layers)
    with pytest.raises(TypeError, match="mode"):
        model.train("no")


@pytest.mark.parametrize("start", ["train", "eval"])
def test_predict_and_evaluate_run_in_evaluation_mode_and_keep_the_mode(start):
    model = small_model()
    getattr(model, start)()
    X = np.random.default_rng(1).standard_normal((10, 4))
    y = np.arange(10) % 3
    before = model.layers[1].running_mean.copy()
    a, b = model.predict(X), model.predict(X)
    assert np.array_equal(a, b), "no dropout and no batch statistics in predict"
    np.testing.assert_allclose(model.predict(X[:1]), a[:1], rtol=1e-12)  # one sample alone
    evaluate(model, SoftmaxCrossEntropyLoss(), X, y)
    assert np.array_equal(model.layers[1].running_mean, before)
    assert all(layer.training == (start == "train") for layer in model.layers)


def make_data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    return X, y


@pytest.mark.parametrize("start", ["train", "eval"])
def test_fit_trains_in_training_mode_and_restores_the_mode(start):
    model = small_model()
    getattr(model, start)()
    X, y = make_data()
    seen = []
    dropout = model.layers[3]
    original = dropout.forward

    def spy(x):
        seen.append(dropout.training)
        return original(x)

    dropout.forward = spy
    fit(model, SoftmaxCrossEntropyLoss(), SGD(0.1), X, y, epochs=2, batch_size=32,
        validation_data=make_data(30, 1), progress=False)
    # training batches in training mode, validation in evaluation mode
    assert seen[:4] == [True] * 4 and False in seen
    assert all(layer.training == (start == "train") for layer in model.layers)
    assert not np.array_equal(model.layers[1].running_mean, np.zeros(16))


# --- weight decay -------------------------------------------------------------------------

def grads_model(seed=0):
    rng = np.random.default_rng(seed)
    model = Sequential([Dense(3, 4, rng=rng), Tanh(), Dense(4, 2, rng=rng)])
    for layer in model.layers:
        if "b" in layer.params:
            layer.params["b"][:] = rng.normal(size=layer.params["b"].shape)
    return model


def set_grads(model, seed):
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        for name, p in layer.params.items():
            layer.grads[name] = rng.standard_normal(p.shape)
    # Dense's grads come from its parts
    for layer in model.layers:
        if isinstance(layer, Dense):
            layer.matmul.grads["W"] = rng.standard_normal(layer.params["W"].shape)
            layer.bias_add.grads["b"] = rng.standard_normal(layer.params["b"].shape)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_weight_decay_is_pytorchs(momentum):
    lr, wd = 0.1, 0.01
    model, opt = grads_model(), SGD(lr, momentum=momentum, weight_decay=wd)
    ref = [{k: v.copy() for k, v in layer.params.items()} for layer in model.layers]
    buf = [{k: np.zeros_like(v) for k, v in r.items()} for r in ref]
    for step in range(3):
        set_grads(model, step)
        grads = [{k: v.copy() for k, v in layer.grads.items()} for layer in model.layers]
        opt.step(model)
        for r, b, g in zip(ref, buf, grads):
            for k in r:  # torch.optim.SGD: d = g + wd p; buf = m buf + d; p -= lr buf
                d = g[k] + wd * r[k]
                b[k] = momentum * b[k] + d if momentum else d
                r[k] = r[k] - lr * b[k]
        for layer, r in zip(model.layers, ref):
            for k in r:
                np.testing.assert_allclose(layer.params[k], r[k], rtol=1e-12, atol=1e-14)


def test_sgd_weight_decay_decays_the_biases_and_leaves_the_grads():
    model = grads_model()
    set_grads(model, 0)
    for layer in model.layers:
        for k in layer.grads:
            layer.grads[k][...] = 0.0
    b0, g0 = model.layers[0].params["b"].copy(), model.layers[0].grads["b"].copy()
    SGD(0.5, weight_decay=0.1).step(model)
    np.testing.assert_allclose(model.layers[0].params["b"], b0 * (1 - 0.05))
    assert np.array_equal(model.layers[0].grads["b"], g0)


def test_adam_weight_decay_is_pytorchs():
    lr, wd, b1, b2, eps = 0.01, 0.05, 0.9, 0.999, 1e-8
    model, opt = grads_model(1), Adam(lr, weight_decay=wd)
    ref = [{k: v.copy() for k, v in layer.params.items()} for layer in model.layers]
    m = [{k: np.zeros_like(v) for k, v in r.items()} for r in ref]
    v = [{k: np.zeros_like(v) for k, v in r.items()} for r in ref]
    for t in range(1, 4):
        set_grads(model, t)
        grads = [{k: g.copy() for k, g in layer.grads.items()} for layer in model.layers]
        opt.step(model)
        for r, mm, vv, g in zip(ref, m, v, grads):
            for k in r:
                d = g[k] + wd * r[k]
                mm[k] = b1 * mm[k] + (1 - b1) * d
                vv[k] = b2 * vv[k] + (1 - b2) * d * d
                r[k] = r[k] - lr * (mm[k] / (1 - b1 ** t)) / (np.sqrt(vv[k] / (1 - b2 ** t)) + eps)
        for layer, r in zip(model.layers, ref):
            for k in r:
                np.testing.assert_allclose(layer.params[k], r[k], rtol=1e-10, atol=1e-12)


def test_weight_decay_zero_changes_nothing_and_sgdw_stays_decoupled():
    model_a, model_b = grads_model(), grads_model()
    set_grads(model_a, 0), set_grads(model_b, 0)
    SGD(0.1, momentum=0.9).step(model_a)
    SGD(0.1, momentum=0.9, weight_decay=0.0).step(model_b)
    assert all(np.array_equal(a.params[k], b.params[k]) for a, b in
               zip(model_a.layers, model_b.layers) for k in a.params)
    # SGDW: the momentum step with the plain gradient, then W shrunk; biases untouched
    model_c, model_d = grads_model(), grads_model()
    set_grads(model_c, 0), set_grads(model_d, 0)
    SGDW(0.1, momentum=0.9, weight_decay=0.5).step(model_c)
    SGD(0.1, momentum=0.9).step(model_d)
    np.testing.assert_allclose(model_c.layers[0].params["W"],
                               model_d.layers[0].params["W"] * (1 - 0.05))
    np.testing.assert_allclose(model_c.layers[0].params["b"], model_d.layers[0].params["b"])


@pytest.mark.parametrize("make", [lambda wd: SGD(0.1, weight_decay=wd),
                                  lambda wd: Adam(weight_decay=wd)])
@pytest.mark.parametrize("wd, error", [(-0.1, ValueError), ("0.1", TypeError),
                                       (np.inf, ValueError), (None, TypeError)])
def test_weight_decay_refuses_bad_values(make, wd, error):
    with pytest.raises(error, match="weight_decay"):
        make(wd)


def test_reprs_show_weight_decay_only_when_set():
    assert repr(SGD(0.1)) == "SGD(lr=0.1, momentum=0.0)"
    assert "weight_decay=0.01" in repr(SGD(0.1, weight_decay=0.01))
    assert "weight_decay" not in repr(Adam()) and "weight_decay=0.1" in repr(Adam(weight_decay=0.1))


# --- early stopping ---------------------------------------------------------------------

class ScriptedLoss(SoftmaxCrossEntropyLoss):
    """Cross-entropy for training; on the validation set (size 7) a scripted value per epoch."""

    def __init__(self, script):
        super().__init__()
        self.script, self.calls = list(script), 0

    def forward(self, pred, target):
        value = super().forward(pred, target)
        if len(pred) == 7:
            self.calls += 1
            return self.script[self.calls - 1]
        return value


def params_of(model):
    return [p.copy() for layer in model.layers for p in layer.params.values()]


@pytest.mark.parametrize("script, patience, best, epochs_run", [
    ([5, 4, 3, 3.5, 3.2, 3.1, 2, 1], 3, 3, 6),     # no new low for 3 epochs after epoch 3
    ([5, 4, 3, 3, 3, 1, 1, 1], 2, 3, 5),           # a tie is not an improvement
    ([5, 4, 3, 2, 1], 2, 5, 5),                    # never triggered: the last epoch is best
    ([1, 2], 1, 1, 2),
])
def test_early_stopping_stops_and_restores_the_best_epoch(script, patience, best, epochs_run):
    X, y = make_data()
    Xv, yv = make_data(7, 1)
    model = small_model(p=0.0)
    snapshots = []

    class Spy(ScriptedLoss):
        def forward(self, pred, target):
            if len(pred) == 7:
                snapshots.append(params_of(model))
            return super().forward(pred, target)

    history = fit(model, Spy(script), SGD(0.05), X, y, epochs=len(script), batch_size=32,
                  validation_data=(Xv, yv), progress=False, early_stopping=patience)
    assert history.epochs == epochs_run and len(history.val_loss) == epochs_run
    assert history.val_loss == [float(v) for v in script[:epochs_run]]
    assert history.best_epoch == best
    assert history.stopped_early == (epochs_run < len(script))
    assert all(np.array_equal(a, b) for a, b in zip(params_of(model), snapshots[best - 1]))


def test_early_stopping_restores_the_running_statistics_too():
    X, y = make_data()
    Xv, yv = make_data(7, 1)
    model = small_model(p=0.0)
    stats = []

    class Spy(ScriptedLoss):
        def forward(self, pred, target):
            if len(pred) == 7:
                stats.append(model.layers[1].running_mean.copy())
            return super().forward(pred, target)

    fit(model, Spy([3, 1, 2, 2]), SGD(0.05), X, y, epochs=4, batch_size=32,
        validation_data=(Xv, yv), progress=False, early_stopping=2)
    assert np.array_equal(model.layers[1].running_mean, stats[1])
    assert not np.array_equal(stats[1], stats[3])


def test_without_early_stopping_best_epoch_is_none():
    X, y = make_data()
    history = fit(small_model(), SoftmaxCrossEntropyLoss(), SGD(0.05), X, y, epochs=2,
                  batch_size=32, validation_data=make_data(20, 1), progress=False)
    assert history.best_epoch is None and not history.stopped_early and history.epochs == 2
    assert len(history.val_accuracy) == 2


@pytest.mark.parametrize("value, error, match", [
    (0, ValueError, "early_stopping"), (2.0, TypeError, "early_stopping"),
    ("3", TypeError, "early_stopping"), (True, TypeError, "early_stopping")])
def test_early_stopping_refuses_bad_patience(value, error, match):
    X, y = make_data()
    with pytest.raises(error, match=match):
        fit(small_model(), SoftmaxCrossEntropyLoss(), SGD(0.05), X, y, epochs=2, batch_size=32,
            validation_data=make_data(20, 1), progress=False, early_stopping=value)


def test_early_stopping_needs_validation_data():
    X, y = make_data()
    with pytest.raises(ValueError, match="validation_data"):
        fit(small_model(), SoftmaxCrossEntropyLoss(), SGD(0.05), X, y, epochs=2, batch_size=32,
            progress=False, early_stopping=2)


def test_summary_runs_in_evaluation_mode_and_changes_nothing():
    model = small_model()
    before = model.layers[1].running_mean.copy()
    text = model.summary()  # one zero sample: a batch of one would be refused in training
    assert "BatchNorm(16" in text and "Dropout(p=0.5)" in text
    assert np.array_equal(model.layers[1].running_mean, before)
    assert all(layer.training for layer in model.layers)


def test_evaluation_mode_restores_the_modes_after_an_error():
    from course_lib.model import evaluation_mode

    model = small_model()
    model.layers[3].training = False  # a mix of modes comes back as it was
    with pytest.raises(ZeroDivisionError):
        with evaluation_mode(model):
            assert not any(layer.training for layer in model.layers)
            1 / 0
    assert [layer.training for layer in model.layers] == [True, True, True, False, True]
