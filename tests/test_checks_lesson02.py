"""Lesson 02's exercise checks: correct answers in several styles pass, each usual slip gets its message."""

import numpy as np
import pytest

from course_lib import checks
from course_lib.optim import SGD


def passes(capsys, check, *answers):
    """Every answer passes ``check`` and prints the PASSED line."""
    for answer in answers:
        check(answer)
    assert capsys.readouterr().out.split() == checks.PASSED.split() * len(answers)


# --- check_standardise ---------------------------------------------------------------------
def standardise_right(X_train, X_test):
    mu, sigma = X_train.mean(axis=0), X_train.std(axis=0)
    return (X_train - mu) / sigma, (X_test - mu) / sigma


def standardise_list(X_train, X_test):
    mu, sigma = X_train.mean(axis=0), X_train.std(axis=0)
    return [(X_train - mu) / sigma, (X_test - mu) / sigma]  # a list is fine too


def standardise_loops_float32(X_train, X_test):
    out_train = np.empty(X_train.shape, dtype=np.float32)
    out_test = np.empty(X_test.shape, dtype=np.float32)
    for j in range(X_train.shape[1]):
        column = X_train[:, j]
        mu = column.sum() / len(column)
        sigma = np.sqrt(((column - mu) ** 2).sum() / len(column))
        out_train[:, j] = (column - mu) / sigma
        out_test[:, j] = (X_test[:, j] - mu) / sigma
    return out_train, out_test


def standardise_in_place_on_copies(X_train, X_test):
    mu, sigma = X_train.mean(axis=0, keepdims=True), X_train.std(axis=0, keepdims=True)
    a, b = X_train.copy(), X_test.copy()
    a -= mu
    a /= sigma
    b -= mu
    b /= sigma
    return a, b


def test_standardise_correct_answers_pass(capsys):
    passes(capsys, checks.check_standardise, standardise_right, standardise_list,
           standardise_loops_float32, standardise_in_place_on_copies)


def std(X, axis=0, ddof=0):
    return X.std(axis=axis, ddof=ddof, keepdims=True)


def with_train(make):
    """A standardise whose X_train_std is ``make(X, X_train, X_test)``; X_test_std is right."""
    def standardise(X_train, X_test):
        return make(X_train, X_train, X_test), standardise_right(X_train, X_test)[1]
    return standardise


def with_test(make):
    def standardise(X_train, X_test):
        return standardise_right(X_train, X_test)[0], make(X_test, X_train, X_test)
    return standardise


def both(make):
    def standardise(X_train, X_test):
        return make(X_train, X_train, X_test), make(X_test, X_train, X_test)
    return standardise


def stats_together(X, tr, te):
    all_rows = np.vstack([tr, te])
    return (X - all_rows.mean(axis=0)) / std(all_rows)


def standardise_in_place(X_train, X_test):
    mu, sigma = X_train.mean(axis=0), X_train.std(axis=0)
    X_test -= mu
    X_test /= sigma
    return (X_train - mu) / sigma, X_test


@pytest.mark.parametrize("answer,message", [
    (both(lambda X, tr, te: (X - X.mean(axis=1, keepdims=True)) / std(X, axis=1)),
     r"X_train_std uses statistics per row \(axis=1\)"),
    (with_test(lambda X, tr, te: (X - X.mean(axis=0)) / std(X)),
     r"X_test_std is scaled with the test set's own mean and standard deviation"),
    (both(stats_together), r"X_train_std uses the mean and standard deviation of the training "
                           r"and test sets together"),
    (both(lambda X, tr, te: (X - tr.mean(axis=0)) / std(tr, ddof=1)),
     r"X_train_std divides by the sample standard deviation \(ddof=1\)"),
    (both(lambda X, tr, te: X - tr.mean(axis=0)), r"X_train_std is centred but not divided"),
    (both(lambda X, tr, te: X / std(tr)), r"X_train_std is divided by the standard deviation "
                                          r"but not centred"),
    (both(lambda X, tr, te: (X - tr.mean(axis=0)) / tr.var(axis=0)),
     r"X_train_std is divided by the variance"),
    (both(lambda X, tr, te: (X - tr.min(axis=0)) / np.ptp(tr, axis=0)),
     r"X_train_std looks like min-max scaling"),
    (lambda tr, te: (tr.mean(axis=0), tr.std(axis=0)),
     r"X_train_std has shape \(4,\), one number per feature: that is a statistic"),
    (lambda tr, te: standardise_right(tr, te)[::-1], r"returned the pair in the wrong order"),
    (lambda tr, te: standardise_right(tr, te)[0], r"should return a pair \(X_train_std, "
                                                  r"X_test_std\), got ndarray"),
    (with_train(lambda X, tr, te: ((X - tr.mean(axis=0)) / std(tr)).tolist()),
     r"X_train_std .* should be a NumPy array of shape \(40, 4\), got a list"),
    (with_train(lambda X, tr, te: 2 * (X - tr.mean(axis=0)) / std(tr)),
     r"X_train_std \(train 40 x 4, test 10 rows\) is wrong: .* 2 times the expected value"),
    (standardise_in_place, r"changed its input `X_test` in place"),
])
def test_standardise_slips_are_named(answer, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_standardise(answer)


def test_standardise_wrong_only_for_a_single_test_row():
    def standardise(X_train, X_test):
        a, b = standardise_right(X_train, X_test)
        return a, (b if len(X_test) > 1 else b + 0.5)
    with pytest.raises(checks.ExerciseError, match=r"X_test_std \(train 7 x 3, test 1 rows\)"):
        checks.check_standardise(standardise)


# --- check_sgd_step --------------------------------------------------------------------
def step_right(W, b, X, y, lr):
    residual = X @ W + b - y[:, None]
    N = len(X)
    return W - lr * 2 / N * X.T @ residual, b - lr * 2 / N * residual.sum(axis=0)


def step_in_place(W, b, X, y, lr):
    residual = X @ W + b - y.reshape(-1, 1)
    W -= lr * 2 * X.T @ residual / len(X)
    b -= lr * 2 * residual.mean(axis=0)
    return W, b


def step_einsum_float32(W, b, X, y, lr):
    X, y, W, b = (a.astype(np.float32) for a in (X, y, W, b))
    residual = np.einsum("nd,dk->nk", X, W) + b - y[:, None]
    dW = np.float32(2 / len(X)) * np.einsum("nd,nk->dk", X, residual)
    return W - np.float32(lr) * dW, b - np.float32(lr) * np.float32(2) * residual.mean(axis=0)


def test_sgd_step_correct_answers_pass(capsys):
    passes(capsys, checks.check_sgd_step, step_right, step_in_place, step_einsum_float32)


def scaled(factor):
    """A step ``factor`` times the right one."""
    def step(W, b, X, y, lr):
        W_new, b_new = step_right(W, b, X, y, lr)
        return W + factor * (W_new - W), b + factor * (b_new - b)
    return step


def step_broadcast(W, b, X, y, lr):
    residual = X @ W + b - y  # (N, 1) - (N,) -> (N, N)
    N = len(X)
    return W - lr * 2 / N * X.T @ residual, b - lr * 2 / N * residual.sum(axis=0)


def step_sum(W, b, X, y, lr):
    residual = X @ W + b - y[:, None]
    return W - lr * 2 * X.T @ residual, b - lr * 2 * residual.sum(axis=0)


def step_changes_y(W, b, X, y, lr):
    y -= b  # "centre" the targets on the bias, in place
    residual = X @ W - y[:, None]
    N = len(X)
    return W - lr * 2 / N * X.T @ residual, b - lr * 2 / N * residual.sum(axis=0)


@pytest.mark.parametrize("wrong,message", [
    (lambda W, b, X, y, lr: W - lr, r"should return a pair \(W_new, b_new\), got ndarray"),
    (lambda W, b, X, y, lr: (W, b, 0.0), r"should return a pair \(W_new, b_new\), got tuple of "
                                         r"length 3"),
    (step_broadcast, r"W_new \(on a batch of 5\) should have the shape of W, \(3, 1\), got "
                     r"\(3, 5\)\. .* broadcasts to \(N, N\)"),
    (lambda W, b, X, y, lr: (step_right(W, b, X, y, lr)[0], float(b[0])),
     r"b_new \(on a batch of 5\) should be a NumPy array of shape \(1,\), got float"),
    (lambda W, b, X, y, lr: (W, b), r"W_new \(on a batch of 5\) equals W: the parameters did "
                                    r"not change"),
    (scaled(-1.0), r"moved W uphill, along the gradient"),
    (scaled(0.5), r"The step for W \(a batch of 5\) is half the expected one.*keep the 2"),
    (step_sum, r"The step for W \(a batch of 5\) is N = 5 times too large"),
    (scaled(10.0), r"is the whole gradient: multiply it by the learning rate lr"),
    (scaled(3.0), r"The step for W \(a batch of 5\), W_new - W, is 3 times the expected"),
    (step_changes_y, r"changed its input `y` in place"),
])
def test_sgd_step_slips_are_named(wrong, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_sgd_step(wrong)


def test_sgd_step_slip_in_float32_is_still_named():
    def step(W, b, X, y, lr):
        W_new, b_new = step_einsum_float32(W, b, X, y, lr)
        return (2 * W_new - W.astype(np.float32)), b_new  # a step twice too large, in float32
    with pytest.raises(checks.ExerciseError, match=r"W_new - W, is 2 times the expected"):
        checks.check_sgd_step(step)


def test_sgd_step_wrong_only_for_one_sample():
    def step(W, b, X, y, lr):  # right for batches, wrong bias step for a single sample
        W_new, b_new = step_right(W, b, X, y, lr)
        return W_new, (b_new if len(X) > 1 else b + 0.01)
    with pytest.raises(checks.ExerciseError, match=r"step for b \(one sample\)"):
        checks.check_sgd_step(step)


# --- check_sgd_optimizer -----------------------------------------------------------------
def optimizer(update):
    """An optimiser class whose step runs ``update(self, model)``."""
    class Optimizer:
        def __init__(self, lr):
            self.lr = lr

        def step(self, model):
            update(self, model)
    return Optimizer


def each_param(body):
    """An update calling ``body(self, p, g)`` for every parameter; it may return a new p."""
    def update(self, model):
        for layer in model.layers:
            for name, p in layer.params.items():
                body(self, p, layer.grads[name])
    return update


def subtract_out(self, p, g):
    np.subtract(p, self.lr * g, out=p)


def assign_slice(self, p, g):
    p[...] = p - self.lr * g


def in_place(self, p, g):
    p -= self.lr * g


def test_sgd_optimizer_correct_answers_pass(capsys):
    passes(capsys, checks.check_sgd_optimizer, optimizer(each_param(in_place)),
           optimizer(each_param(subtract_out)), optimizer(each_param(assign_slice)))


def test_sgd_optimizer_refuses_course_libs_sgd():
    with pytest.raises(checks.ExerciseError, match="inherits from course_lib's course_lib.optim.SGD"):
        checks.check_sgd_optimizer(SGD)

    class Delegates:
        def __init__(self, lr):
            self.inner = SGD(lr)

        def step(self, model):
            self.inner.step(model)

    with pytest.raises(checks.ExerciseError, match="calls course_lib's course_lib.optim.SGD"):
        checks.check_sgd_optimizer(Delegates)


def rebind(self, p, g):
    p = p - self.lr * g  # noqa: F841  (a new array; the layer's stays)


def replace_entry(self, model):
    for layer in model.layers:
        for name in layer.params:
            layer.params[name] = layer.params[name] - self.lr * layer.grads[name]


def only_first_layer(self, model):
    layer = model.layers[0]
    for name, p in layer.params.items():
        p -= self.lr * layer.grads[name]


def grads_of_the_first_layer(self, model):
    grads = model.layers[0].grads
    for layer in model.layers:
        for name, p in layer.params.items():
            p -= self.lr * grads[name]


def scale_the_gradient_in_place(self, p, g):
    g *= self.lr
    p -= g


def every_layer_has_W(self, model):
    for layer in model.layers:
        layer.params["W"] -= self.lr * layer.grads["W"]
        layer.params["b"] -= self.lr * layer.grads["b"]


@pytest.mark.parametrize("update,message", [
    (each_param(rebind), r"left every parameter unchanged .* `p = p - self.lr \* g`"),
    (replace_entry, r"left every parameter unchanged"),
    (each_param(lambda self, p, g: p.__iadd__(self.lr * g)), r"moved uphill, along the gradient"),
    (each_param(lambda self, p, g: p.__isub__(g)), r"moved by the whole gradient: multiply it "
                                                   r"by the learning rate"),
    (each_param(lambda self, p, g: p.__isub__(2 * self.lr * g)), r"moved 2 times -lr \* g"),
    (only_first_layer, r"did not change layer 2's 'W' .* while the first layer's did: loop over "
                       r"every layer"),
    (grads_of_the_first_layer, r"layer 2's 'W' .* moved by layer 0's gradient"),
    (each_param(scale_the_gradient_in_place), r"changed its input `layer 0 grads\['W'\]` in "
                                              r"place"),
    (every_layer_has_W, r"raised KeyError 'W' .* \(a Tanh or ReLU has none\)"),
])
def test_sgd_optimizer_slips_are_named(update, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_sgd_optimizer(optimizer(update))


def test_sgd_optimizer_that_drifts_after_the_first_step_is_caught():
    class Decaying:  # a learning rate that shrinks at every step: right only at step 1
        def __init__(self, lr):
            self.lr = lr

        def step(self, model):
            for layer in model.layers:
                for name, p in layer.params.items():
                    p -= self.lr * layer.grads[name]
            self.lr *= 0.5
    with pytest.raises(checks.ExerciseError, match=r"after step 2|step 2\)"):
        checks.check_sgd_optimizer(Decaying)


# --- check_train_epoch -----------------------------------------------------------------
def epoch_right(model, loss, optimizer, X, y, batch_size, rng):
    order = rng.permutation(len(X))
    total = 0.0
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size]
        batch_loss = loss.forward(model.forward(X[idx]), y[idx])
        model.backward(loss.backward())
        optimizer.step(model)
        total += batch_loss * len(idx)
    return total / len(X)


def epoch_split_and_float32_loss(model, loss, optimizer, X, y, batch_size, rng):
    idx = np.arange(len(X))
    rng.shuffle(idx)  # the same draw as rng.permutation(len(X))
    n_batches = int(np.ceil(len(X) / batch_size))
    losses, sizes = [], []
    for batch in np.array_split(idx, np.arange(batch_size, len(X), batch_size))[:n_batches]:
        losses.append(loss(model(X[batch]), y[batch]))
        sizes.append(len(batch))
        model.backward(loss.backward())
        optimizer.step(model)
    return np.float32(np.average(losses, weights=sizes))


def epoch_permuted_copies(model, loss, optimizer, X, y, batch_size, rng):
    order = rng.permutation(len(X))
    Xs, ys = X[order], y[order]  # shuffled copies, then sliced in order
    seen = 0
    total = np.float64(0)
    while seen < len(X):
        xb, yb = Xs[seen:seen + batch_size], ys[seen:seen + batch_size]
        total += loss.forward(model.forward(xb), yb) * len(xb)
        model.backward(loss.backward())
        optimizer.step(model)
        seen += len(xb)
    return total / len(X)


def test_train_epoch_correct_answers_pass(capsys):
    passes(capsys, checks.check_train_epoch, epoch_right, epoch_split_and_float32_loss,
           epoch_permuted_copies)


def epoch(order="perm", y_order=None, batches="all", backward=True, step="after",
          average="weighted"):
    """A train_epoch with one slip switched on."""
    def train_epoch(model, loss, optimizer, X, y, batch_size, rng):
        n = len(X)
        if order == "perm":
            ix = rng.permutation(n)
        elif order == "none":
            ix = np.arange(n)
        elif order == "own rng":
            ix = np.random.default_rng(0).permutation(n)
        else:  # with replacement
            ix = rng.integers(0, n, size=n)
        iy = rng.permutation(n) if y_order == "another" else ix
        starts = range(0, n, batch_size) if batches == "all" else range(0, n - batch_size + 1,
                                                                        batch_size)
        values, sizes = [], []
        for start in starts:
            bx, by = ix[start:start + batch_size], iy[start:start + batch_size]
            values.append(loss.forward(model.forward(X[bx]), y[by]))
            sizes.append(len(bx))
            if step == "before":
                optimizer.step(model)
            if backward:
                model.backward(loss.backward())
            if step == "after":
                optimizer.step(model)
        if step == "end":
            optimizer.step(model)
        values, sizes = np.array(values), np.array(sizes)
        return {"weighted": (values * sizes).sum() / n, "batch means": values.mean(),
                "sum": (values * sizes).sum(), "last": values[-1], "none": None}[average]
    return train_epoch


def epoch_shuffles_X_in_place(model, loss, optimizer, X, y, batch_size, rng):
    rng.shuffle(X)
    return epoch_right(model, loss, optimizer, X, y, batch_size, rng)


@pytest.mark.parametrize("answer,message", [
    (epoch(order="none"), r"did not shuffle .*rng.permutation\(len\(X\)\)"),
    (epoch(order="own rng"), r"shuffled in an order other than rng.permutation\(len\(X\)\) "
                             r"with the rng passed in"),
    (epoch(order="replacement"), r"do not visit every sample exactly once"),
    (epoch(y_order="another"), r"X and y were not indexed with the same order"),
    (epoch(batches="full only"), r"dropped the last, smaller batch .* sizes \[4, 4, 2\]"),
    (epoch(backward=False), r"called optimizer.step\(model\) after a forward pass with no "
                            r"model.backward"),
    (epoch(step="before"), r"called optimizer.step\(model\) after a forward pass with no "
                           r"model.backward"),
    (epoch(step="never"), r"never called optimizer.step\(model\)"),
    (epoch(step="end"), r"called optimizer.step 1 time for 3 batches"),
    (epoch(average="batch means"), r"it is the mean of the batch losses.*weight each batch's "
                                   r"loss by its size"),
    (epoch(average="sum"), r"it is the sum of batch loss x batch size: divide it by N"),
    (epoch(average="last"), r"it is the last batch's loss only"),
    (epoch(average="none"), r"returned None"),
    (epoch_shuffles_X_in_place, r"changed its input `X` in place"),
])
def test_train_epoch_slips_are_named(answer, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_train_epoch(answer)


def test_train_epoch_with_a_wrong_optimizer_is_caught_by_the_parameters():
    def train_epoch(model, loss, optimizer, X, y, batch_size, rng):
        value = epoch_right(model, loss, optimizer, X, y, batch_size, rng)
        model.layers[0].params["W"] *= 1.01  # an extra change the epoch should not make
        return value
    with pytest.raises(checks.ExerciseError, match=r"layer 0's 'W' after the epoch \(regression"):
        checks.check_train_epoch(train_epoch)


def test_require_names_the_exercise_when_train_epoch_is_not_written():
    def train_epoch(model, loss, optimizer, X, y, batch_size, rng):
        raise NotImplementedError("Your turn")
    with pytest.raises(checks.ExerciseError, match=r"exercise 4 \(train_epoch\), which is not "
                                                   r"written yet"):
        checks.require("exercise 4 (train_epoch)", checks.check_train_epoch, train_epoch)


@pytest.mark.parametrize("answer, message", [
    (lambda tr, te: ((tr - te.mean(0)) / te.std(0), (te - te.mean(0)) / te.std(0)),
     "X_train_std is scaled with the test set's mean"),
    (lambda tr, te: ((tr - tr.mean()) / tr.std(), (te - tr.mean()) / tr.std()),
     "whole array"),
    (lambda tr, te: ((tr - tr.mean()) / tr.std(), (te - te.mean()) / te.std()),
     "whole array"),
    (lambda tr, te: (lambda a: ((tr - a.mean()) / a.std(), (te - a.mean()) / a.std()))(
        np.vstack([tr, te])), "all the data"),
])
def test_standardise_statistics_slips_are_named(answer, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_standardise(answer)


def test_sgd_step_bias_divided_by_n_twice_is_named():
    def step(W, b, X, y, lr):
        W_new, b_new = step_right(W, b, X, y, lr)
        return W_new, b + (b_new - b) / len(X)  # the bias gradient's mean taken over a mean

    with pytest.raises(checks.ExerciseError, match=r"step for b .* 1/N = 1/\d+ .* taken twice"):
        checks.check_sgd_step(step)


def test_standardise_with_standard_scaler_gets_no_credit(capsys):
    from sklearn.preprocessing import StandardScaler

    def standardise(X_train, X_test):
        scaler = StandardScaler().fit(X_train)
        return scaler.transform(X_train), scaler.transform(X_test)

    with pytest.raises(checks.ExerciseError, match=r"calls sklearn\.preprocessing.*"
                                                   r"StandardScaler.*write it yourself"):
        checks.check_standardise(standardise)
    assert checks.PASSED not in capsys.readouterr().out


def test_sgd_step_with_course_lib_gradients_gets_no_credit():
    from course_lib.layers import Dense
    from course_lib.losses import MSELoss

    def sgd_step(W, b, X, y, lr):  # Dense and MSELoss compute the gradients
        layer = Dense(W.shape[0], 1)
        layer.params["W"][...] = W
        layer.params["b"][...] = b
        loss = MSELoss()
        loss.forward(layer.forward(X), y[:, None])
        layer.backward(loss.backward())
        return W - lr * layer.grads["W"], b - lr * layer.grads["b"]

    with pytest.raises(checks.ExerciseError, match=r"course_lib\.layers\.core\.Dense.*write it "
                                                   r"yourself"):
        checks.check_sgd_step(sgd_step)
