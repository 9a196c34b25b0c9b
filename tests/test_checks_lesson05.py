"""Lesson 05's exercise checks: a correct answer passes, each usual slip gets its own message.

Also tests of course_lib.optim.SGDW (the lesson's optimiser, the reference of its
weight-decay exercise) and smoke tests for the lesson's plot helper plots.confusion_matrices.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.metrics import classification_report, confusion_matrix, f1_score  # noqa: E402

from course_lib import checks, plots  # noqa: E402
from course_lib.checks import lesson05  # noqa: E402
from course_lib.layers import sigmoid  # noqa: E402
from course_lib.optim import SGD, SGDW  # noqa: E402
from course_lib.train import fit  # noqa: E402


# --- check_sigmoid_slope ---------------------------------------------------------------
def sigmoid_prime_right(a):
    s = sigmoid(a)
    return s * (1 - s)


def bound_right(num_layers):
    return sigmoid_prime_right(np.linspace(-5, 5, 1001)).max() ** num_layers


def test_sigmoid_slope_correct_passes(capsys):
    checks.check_sigmoid_slope(sigmoid_prime_right, bound_right)
    assert capsys.readouterr().out.strip() == checks.PASSED


def test_sigmoid_slope_accepts_the_exp_formula_numpy_scalars_and_a_coarse_grid(capsys):
    checks.check_sigmoid_slope(lambda a: np.exp(-a) / (1 + np.exp(-a)) ** 2,
                               lambda n: np.float32(0.25) ** n)
    checks.check_sigmoid_slope(sigmoid_prime_right,  # a grid that misses 0 by a little
                               lambda n: np.array(sigmoid_prime_right(
                                   np.linspace(-5, 5, 1000)).max() ** n))
    assert capsys.readouterr().out.strip().splitlines() == [checks.PASSED] * 2


def test_sigmoid_slope_accepts_float32_arithmetic_and_a_python_loop_for_the_bound(capsys):
    def float32_prime(a):
        s = sigmoid(np.asarray(a, dtype=np.float32))
        return s * (np.float32(1) - s)

    def loop_bound(num_layers):
        factor = 1.0
        for _ in range(num_layers):
            factor *= 0.25
        return factor

    checks.check_sigmoid_slope(float32_prime, loop_bound)
    assert capsys.readouterr().out.strip() == checks.PASSED


def sigmoid_prime_in_place(a):
    s = sigmoid(a)
    a[...] = s * (1 - s)
    return a


@pytest.mark.parametrize("wrong,message", [
    (sigmoid, r"returned sigmoid\(a\) itself"),
    (lambda a: 1 - np.tanh(a) ** 2, r"is tanh's derivative"),
    (lambda a: 1 - sigmoid(a) ** 2, r"returned 1 - s\*\*2"),
    (lambda a: 1 - sigmoid(a), r"returned 1 - s; multiply by s"),
    (lambda a: 2 * sigmoid_prime_right(a), r"It is 2 times the expected value"),
    (lambda a: sigmoid_prime_right(a)[:-1], r"should have shape \(33,\), got \(32,\)"),
    (lambda a: sigmoid_prime_right(a).tolist(), r"should be a NumPy array.*got a list"),
    (lambda a: sigmoid_prime_right(a) + (a == 0), r"at index \(16,\) it is 1.25, expected 0.25"),
    (lambda a: sigmoid_prime_right(a).ravel(), r"batch `a` of shape \(3, 4\) should have shape "
                                               r"\(3, 4\), got \(12,\)"),
    (sigmoid_prime_in_place, r"changed its input `a` in place"),
])
def test_sigmoid_slope_wrong_function_is_named(wrong, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_sigmoid_slope(wrong, bound_right)


@pytest.mark.parametrize("bound,message", [
    (lambda n: 0.5 ** n, r"gradient_bound\(1\) = 0.5 is the value sigmoid\(0\), not its slope"),
    (lambda n: 1.0, r"gradient_bound\(1\) = 1 is the largest slope of tanh"),
    (lambda n: 0.2 ** n, r"gradient_bound\(1\) = 0.2, but one sigmoid layer"),
    (lambda n: "0.25", r"should be a number, got str"),
    (lambda n: 0.25 * n, r"adds the three slopes; the chain rule multiplies them"),
    (lambda n: 0.25 ** (n + 1) if n > 1 else 0.25, r"counts four sigmoids"),
    (lambda n: 0.25 ** (n + 1), r"gradient_bound\(1\) = 0.0625 = 0.25 \*\* 2 counts two "
                                r"sigmoids: num_layers \+ 1"),
    (lambda n: 0.25, r"is one layer's bound whatever num_layers is"),
    (lambda n: 0.25 if n == 1 else 0.5 ** n, r"uses sigmoid\(0\) = 0.5, the value"),
    (lambda n: 0.25 ** n if n != 5 else 0.01,
     r"sigmoid_gradient_bound\(5\) is 0\.01, expected 0\.000976562\. Each of the 5 layers"),
    (lambda n: None, r"should be a number, got NoneType \(did the function forget to return"),
    (lambda n: sigmoid_prime_right(np.linspace(-5, 5, 11)) ** n,
     r"should be one number, got an array of shape \(11,\): take the largest slope"),
])
def test_sigmoid_slope_wrong_bound_is_named(bound, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_sigmoid_slope(sigmoid_prime_right, bound)


# --- check_sgd_weight_decay -------------------------------------------------------------
class SGDWeightDecayRight(SGD):
    def __init__(self, lr, momentum=0.9, weight_decay=5e-3):
        super().__init__(lr, momentum)
        self.weight_decay = weight_decay

    def step(self, model):
        super().step(model)
        for layer in model.layers:
            if "W" in layer.params:
                W = layer.params["W"]
                W *= 1 - self.lr * self.weight_decay


def optimizer_with_step(step):
    """A subclass of SGDWeightDecayRight whose step is ``step(self, model)``."""
    return type("Answer", (SGDWeightDecayRight,), {"step": step})


def sgd_step(self, model):
    SGD.step(self, model)


def subtract_decay(self, model):
    sgd_step(self, model)
    for layer in model.layers:
        if "W" in layer.params:
            layer.params["W"][...] -= self.lr * self.weight_decay * layer.params["W"]


def float32_factor(self, model):
    sgd_step(self, model)
    for layer in model.layers:
        for name, p in layer.params.items():
            if name == "W":
                p *= np.float32(1 - self.lr * self.weight_decay)


class OwnMomentum:
    """Not a subclass of SGD: its own velocities, updated param by param."""

    def __init__(self, lr, momentum=0.9, weight_decay=5e-3):
        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay
        self.velocity = {}

    def step(self, model):
        for i, layer in enumerate(model.layers):
            for name, p in layer.params.items():
                v = self.velocity.setdefault((i, name), np.zeros_like(p))
                v[...] = self.momentum * v - self.lr * layer.grads[name]
                p += v
                if name == "W":
                    p[...] = p * (1 - self.lr * self.weight_decay)


@pytest.mark.parametrize("answer", [SGDWeightDecayRight, optimizer_with_step(subtract_decay),
                                    optimizer_with_step(float32_factor), OwnMomentum],
                         ids=["in-place *=", "W -= lr*wd*W", "float32 factor", "own momentum"])
def test_sgd_weight_decay_correct_passes(answer, capsys):
    checks.check_sgd_weight_decay(answer)
    assert capsys.readouterr().out.strip() == checks.PASSED


def test_sgd_weight_decay_reference_is_the_lessons_optimizer():
    """SGDW is the code lesson 05 trained with before it became an exercise, bit for bit."""
    from course_lib.layers import Dense, ReLU
    from course_lib.losses import SoftmaxCrossEntropyLoss
    from course_lib.model import Sequential

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(64, 6)).astype(np.float32), rng.integers(0, 3, size=64)
    models = [Sequential([Dense(6, 5, rng=1), ReLU(), Dense(5, 3, rng=2)]).astype(np.float32)
              for _ in range(2)]
    optimizers = [SGDW(0.1, momentum=0.9, weight_decay=5e-3), SGDWeightDecayRight(0.1)]
    for epoch in range(3):
        for model, optimizer in zip(models, optimizers):
            optimizer.lr = 0.1 * (3 - epoch) / 3
            fit(model, SoftmaxCrossEntropyLoss(), optimizer, X, y, epochs=1, batch_size=16,
                seed=epoch, progress=False)
    for a, b in zip(models[0].layers, models[1].layers):
        for name in a.params:
            assert np.array_equal(a.params[name], b.params[name])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("momentum, weight_decay", [(0.9, 5e-3), (0.0, 0.5), (0.9, 0.0)])
def test_sgdw_fused_step_equals_sgd_step_then_shrink(dtype, momentum, weight_decay):
    """SGDW shrinks each W right after its own update (one pass over the params): bit for
    bit the same as every SGD update first and then every shrink, with a changing lr."""
    from course_lib.layers import Dense, Tanh
    from course_lib.losses import SoftmaxCrossEntropyLoss
    from course_lib.model import Sequential

    def two_passes(self, model):  # the order SGDW used before the fusion
        SGD.step(self, model)
        for layer in model.layers:
            if "W" in layer.params:
                layer.params["W"][...] *= 1.0 - self.lr * self.weight_decay

    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(40, 7)).astype(dtype), rng.integers(0, 4, size=40)
    models = [Sequential([Dense(7, 6, rng=1), Tanh(), Dense(6, 5, rng=2), Tanh(),
                          Dense(5, 4, rng=3)]).astype(dtype) for _ in range(2)]
    fused = SGDW(0.2, momentum=momentum, weight_decay=weight_decay)
    reference = type("TwoPasses", (SGDW,), {"step": two_passes})(
        0.2, momentum=momentum, weight_decay=weight_decay)
    for epoch in range(3):
        for model, optimizer in zip(models, (fused, reference)):
            optimizer.lr = 0.2 * (3 - epoch) / 3
            fit(model, SoftmaxCrossEntropyLoss(), optimizer, X, y, epochs=1, batch_size=8,
                seed=epoch, progress=False)
    for a, b in zip(models[0].layers, models[1].layers):
        for name in a.params:
            assert a.params[name].dtype == dtype
            np.testing.assert_array_equal(a.params[name], b.params[name])
    start_W = Dense(7, 6, rng=1).params["W"].astype(dtype)
    assert not np.array_equal(models[0].layers[0].params["W"], start_W)  # it did train


def test_sgdw_validates_and_shrinks_only_weights():
    from course_lib.layers import Dense

    with pytest.raises(ValueError, match="weight_decay must be a number >= 0"):
        SGDW(0.1, weight_decay=-1)
    layer = Dense(2, 2, rng=0)
    layer.params["b"][...] = 1.0
    W = layer.params["W"].copy()
    layer.matmul.grads["W"], layer.bias_add.grads["b"] = np.zeros((2, 2)), np.zeros(2)
    SGDW(0.1, momentum=0.0, weight_decay=0.5).step(layer)
    assert np.allclose(layer.params["W"], 0.95 * W) and np.all(layer.params["b"] == 1.0)
    assert repr(SGDW(0.1)) == "SGDW(lr=0.1, momentum=0.9, weight_decay=0.005)"


def rebind(self, model):
    sgd_step(self, model)
    for layer in model.layers:
        if "W" in layer.params:
            W = layer.params["W"]
            W = W * (1 - self.lr * self.weight_decay)  # noqa: F841 - the slip


def dict_assign(self, model):
    sgd_step(self, model)
    for layer in model.layers:
        if "W" in layer.params:
            layer.params["W"] = layer.params["W"] * (1 - self.lr * self.weight_decay)


def shrink_first(self, model):
    for layer in model.layers:
        if "W" in layer.params:
            layer.params["W"][...] *= 1 - self.lr * self.weight_decay
    sgd_step(self, model)


def without_lr(self, model):
    sgd_step(self, model)
    for layer in model.layers:
        if "W" in layer.params:
            layer.params["W"][...] *= 1 - self.weight_decay


def plus_sign(self, model):
    sgd_step(self, model)
    for layer in model.layers:
        if "W" in layer.params:
            layer.params["W"][...] *= 1 + self.lr * self.weight_decay


def constant(self, model):
    sgd_step(self, model)
    for layer in model.layers:
        if "W" in layer.params:
            layer.params["W"][...] -= self.lr * self.weight_decay


def biases_too(self, model):
    sgd_step(self, model)
    for layer in model.layers:
        for p in layer.params.values():
            p *= 1 - self.lr * self.weight_decay


def coupled(self, model):
    for layer in model.layers:
        if "W" in layer.params:
            layer.grads["W"] += self.weight_decay * layer.params["W"]
    sgd_step(self, model)


def no_momentum(self, model):
    for layer in model.layers:
        for name, p in layer.params.items():
            p -= self.lr * layer.grads[name]
            if name == "W":
                p *= 1 - self.lr * self.weight_decay


def decay_only(self, model):
    for layer in model.layers:
        if "W" in layer.params:
            layer.params["W"][...] *= 1 - self.lr * self.weight_decay


def twice(self, model):
    SGDWeightDecayRight.step(self, model)
    for layer in model.layers:
        if "W" in layer.params:
            layer.params["W"][...] *= 1 - self.lr * self.weight_decay


def scales_the_grads(self, model):
    sgd_step(self, model)
    for layer in model.layers:
        if "W" in layer.params:
            layer.params["W"][...] *= 1 - self.lr * self.weight_decay
            layer.grads["W"] *= 0.5  # harmless to the step, but the gradients are not its own


class FirstLearningRate(SGDWeightDecayRight):
    def __init__(self, lr, momentum=0.9, weight_decay=5e-3):
        super().__init__(lr, momentum, weight_decay)
        self.shrink = 1 - lr * weight_decay

    def step(self, model):
        sgd_step(self, model)
        for layer in model.layers:
            if "W" in layer.params:
                layer.params["W"][...] *= self.shrink


@pytest.mark.parametrize("wrong,message", [
    (optimizer_with_step(rebind), r"params\['W'\] after step 1 .* did not shrink.*only rebinds"),
    (optimizer_with_step(dict_assign), r"did not shrink.*built afresh on every access"),
    (optimizer_with_step(shrink_first), r"shrinks W before the momentum step"),
    (optimizer_with_step(without_lr), r"shrinks by \(1 - weight_decay\)"),
    (optimizer_with_step(plus_sign), r"grows W: the factor is 1 - lr \* weight_decay"),
    (optimizer_with_step(constant), r"subtracts lr \* weight_decay from every weight"),
    (optimizer_with_step(biases_too), r"params\['b'\] after step 1 .* shrinks the biases too"),
    (optimizer_with_step(coupled), r"coupled weight decay"),
    (optimizer_with_step(no_momentum), r"after step 2 .* has no momentum"),
    (optimizer_with_step(decay_only), r"only shrank W; the gradient step is missing"),
    (optimizer_with_step(twice), r"shrinks W twice per step"),
    (optimizer_with_step(scales_the_grads), r"step 1 changed its input `layers\[0\]"
                                             r"\.grads\['W'\]` in place"),
    (FirstLearningRate, r"after step 3 \(lr 0.04.*learning rate the optimiser was created with"),
])
def test_sgd_weight_decay_wrong_is_named(wrong, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_sgd_weight_decay(wrong)


@pytest.mark.parametrize("answer, message", [
    (lambda a: a * (1 - a), r"a \* \(1 - a\) from the input a"),
    (lambda a: -(1 / (1 + np.exp(-a))) * (1 - 1 / (1 + np.exp(-a))), "wrong sign"),
])
def test_sigmoid_prime_slips_from_the_simulated_class(answer, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_sigmoid_slope(answer, lambda n: 0.25 ** n)


def test_sgd_weight_decay_unsolved_says_not_answered_yet(capsys):
    def unsolved(self, model):
        raise NotImplementedError("Your turn")

    checks.check_sgd_weight_decay(optimizer_with_step(unsolved))
    assert capsys.readouterr().out.startswith(checks.OPEN)


# --- check_confusion_matrix --------------------------------------------------------------
def confusion_add_at(y_true, y_pred, num_classes):
    cm = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def confusion_loop(y_true, y_pred, num_classes):
    cm = np.zeros((num_classes, num_classes))  # floats holding the counts
    for t, p in zip(y_true, y_pred):
        cm[t, p] += 1
    return cm


def confusion_bincount(y_true, y_pred, num_classes):
    flat = np.bincount(y_true * num_classes + y_pred, minlength=num_classes ** 2)
    return flat.reshape(num_classes, num_classes)


def confusion_float32(y_true, y_pred, num_classes):
    return confusion_add_at(y_true, y_pred, num_classes).astype(np.float32)


@pytest.mark.parametrize("answer", [confusion_add_at, confusion_loop, confusion_bincount,
                                    confusion_float32])
def test_confusion_matrix_correct_passes(answer, capsys):
    checks.check_confusion_matrix(answer)
    assert capsys.readouterr().out.strip() == checks.PASSED


def test_confusion_matrix_cases_expose_the_slips():
    cases = lesson05._l05_confusion_cases()
    y_true, y_pred, k = cases[0][1:]
    cm = confusion_matrix(y_true, y_pred, labels=range(k))
    assert (cm > 1).any() and not np.array_equal(cm, cm.T)  # repeats, not symmetric
    assert not cm[:, 3].any() and not cm[4].any() and not cm[:, 4].any()


def fancy_indexing(y_true, y_pred, num_classes):
    cm = np.zeros((num_classes, num_classes), dtype=int)
    cm[y_true, y_pred] += 1
    return cm


def sorts_labels(y_true, y_pred, num_classes):
    cm = confusion_add_at(y_true, y_pred, num_classes)
    y_pred.sort()
    return cm


def row_fractions(y_true, y_pred, num_classes):
    cm = confusion_add_at(y_true, y_pred, num_classes).astype(float)
    return cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)


@pytest.mark.parametrize("wrong,message", [
    (lambda t, p, k: confusion_add_at(t, p, k).T, r"is the transpose of the expected matrix: "
                                                  r"rows must be the true class"),
    (lambda t, p, k: confusion_add_at(t, p, k).T if len(t) == 1 else confusion_add_at(t, p, k),
     r"for one label \(true 2, predicted 0\), 3 classes is the transpose"),
    (lambda t, p, k: confusion_add_at(t, p, max(t.max(), p.max()) + 1),
     r"has shape \(4, 4\), expected \(5, 5\): a class that is never predicted"),
    (lambda t, p, k: confusion_add_at(np.unique(t, return_inverse=True)[1],
                                      np.unique(p, return_inverse=True)[1], len(np.unique(t))),
     r"has shape \(4, 4\), expected \(5, 5\)"),
    (fancy_indexing, r"counts every \(true, predicted\) pair at most once.*np\.add\.at"),
    (sorts_labels, r"changed its input `y_pred` in place"),
    (row_fractions, r"holds fractions \(each row divided by its sum\)"),
    (lambda t, p, k: confusion_add_at(t[1:], p[1:], k), r"counts 39 samples in all, but there "
                                                        r"are 40"),
    (lambda t, p, k: confusion_add_at(t, p, k).tolist(), r"should be a NumPy array.*got a list"),
])
def test_confusion_matrix_wrong_is_named(wrong, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_confusion_matrix(wrong)


# --- check_precision_recall -------------------------------------------------------------
def precision_recall_divide(cm):
    tp = np.diag(cm).astype(float)
    predicted, occurring = cm.sum(axis=0), cm.sum(axis=1)
    return (np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0),
            np.divide(tp, occurring, out=np.zeros_like(tp), where=occurring > 0))


def precision_recall_loop(cm):
    k = len(cm)
    precision, recall = np.zeros(k), np.zeros(k)
    for c in range(k):
        if cm[:, c].sum():
            precision[c] = cm[c, c] / cm[:, c].sum()
        if cm[c].sum():
            recall[c] = cm[c, c] / cm[c].sum()
    return [precision, recall]


def precision_recall_float32_stacked(cm):
    cm = cm.astype(np.float32)
    tp = np.einsum("kk->k", cm)
    sums = np.stack([cm.sum(axis=0), cm.sum(axis=1)])
    return np.where(sums > 0, tp / np.maximum(sums, 1), np.float32(0))  # shape (2, K)


@pytest.mark.parametrize("answer", [precision_recall_divide, precision_recall_loop,
                                    precision_recall_float32_stacked])
def test_precision_recall_correct_passes(answer, capsys):
    checks.check_precision_recall(answer)
    assert capsys.readouterr().out.strip() == checks.PASSED


def test_precision_recall_cases_cover_both_zero_divisions():
    _, cm = lesson05._l05_precision_recall_cases()[1]
    assert not cm[:, 7].any() and cm[7].any()  # never predicted, but occurs
    assert not cm[2].any() and cm[:, 2].any()  # never occurs, but predicted


def no_zero_guard(cm):
    tp = np.diag(cm)
    return tp / cm.sum(axis=0), tp / cm.sum(axis=1)


def floor_division(cm):
    tp = np.diag(cm)
    return tp // np.maximum(cm.sum(axis=0), 1), tp // np.maximum(cm.sum(axis=1), 1)


def zeroes_the_diagonal(cm):
    out = precision_recall_divide(cm)
    np.fill_diagonal(cm, 0)
    return out


@pytest.mark.parametrize("wrong,message", [
    (lambda cm: precision_recall_divide(cm)[::-1], r"the precision is the recall: it divides by "
                                                   r"the row sums"),
    (lambda cm: (precision_recall_divide(cm)[0],) * 2, r"the recall is the precision: it divides "
                                                       r"by the column sums"),
    (no_zero_guard, r"class 7 is never predicted.*: the precision contains nan at class 7: its "
                    r"column sum is 0.*zero_division=0"),
    (lambda cm: np.trace(cm) / cm.sum(), r"returned one number, 0\.834586.*accuracy"),
    (lambda cm: precision_recall_divide(cm)[0], r"returned one array of 4 values; return two"),
    (lambda cm: np.stack(precision_recall_divide(cm), axis=1),
     r"returned an array of shape \(4, 2\), precision and recall as columns"),
    (lambda cm: (np.diag(cm) / cm.sum(),) * 2, r"divides by the total count cm\.sum\(\)"),
    (floor_division, r"rounded down to whole numbers: integer division"),
    (zeroes_the_diagonal, r"changed its input `cm` in place"),
    (lambda cm: tuple(x + 0.01 for x in precision_recall_divide(cm)),
     r"the precision is wrong: at index \(2,\) it is 0\.565556, expected 0\.555556"),
])
def test_precision_recall_wrong_is_named(wrong, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_precision_recall(wrong)


def test_precision_recall_reference_matches_classification_report_on_l05_confusion():
    y_true, y_pred = lesson05._l05_labels_from_confusion(checks.L05_CONFUSION)
    report = classification_report(y_true, y_pred, output_dict=True)
    precision, recall = precision_recall_divide(checks.L05_CONFUSION)
    for k in range(4):
        assert np.isclose(report[str(k)]["precision"], precision[k])
        assert np.isclose(report[str(k)]["recall"], recall[k])


# --- check_macro_f1 ---------------------------------------------------------------------
def macro_f1_right(cm):
    tp = np.diag(cm).astype(float)
    fp = cm.sum(axis=0) - tp
    fn = cm.sum(axis=1) - tp
    return float(np.mean(2 * tp / (2 * tp + fp + fn)))


def macro_f1_from_precision_recall(cm):
    tp = np.diag(cm).astype(float)
    predicted, support = cm.sum(axis=0), cm.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = tp / support
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros_like(tp),
                   where=precision + recall > 0)
    return f1.mean()


def per_class(cm):
    tp = np.diag(cm).astype(float)
    return tp, cm.sum(axis=0).astype(float), cm.sum(axis=1).astype(float)


def test_macro_f1_correct_passes(capsys):
    checks.check_macro_f1(macro_f1_right)
    assert capsys.readouterr().out.strip() == checks.PASSED


def test_macro_f1_precision_recall_route_with_zero_guard_passes(capsys):
    checks.check_macro_f1(macro_f1_from_precision_recall)
    assert capsys.readouterr().out.strip() == checks.PASSED


def test_macro_f1_reference_is_sklearn():
    cm = checks.L05_CONFUSION
    y_true = np.repeat(np.arange(4), cm.sum(axis=1))
    y_pred = np.concatenate([np.repeat(np.arange(4), row) for row in cm])
    assert np.isclose(macro_f1_right(cm), f1_score(y_true, y_pred, average="macro"))


def test_macro_f1_slips_differ_on_the_fixed_matrix():
    values = [v for v, _ in lesson05._l05_macro_f1_slips(lesson05.L05_CONFUSION)]
    values.append(macro_f1_right(checks.L05_CONFUSION))
    assert np.min(np.diff(np.sort(values))) > 1e-3


def accuracy_slip(cm):
    return np.trace(cm) / cm.sum()


def weighted_slip(cm):
    tp, predicted, support = per_class(cm)
    return float(((2 * tp / (predicted + support)) * support).sum() / support.sum())


def f1_of_means_slip(cm):
    tp, predicted, support = per_class(cm)
    p = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0).mean()
    r = (tp / support).mean()
    return 2 * p * r / (p + r)


def arithmetic_slip(cm):
    tp, predicted, support = per_class(cm)
    p = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    return float(((p + tp / support) / 2).mean())


def precision_slip(cm):
    tp, predicted, _ = per_class(cm)
    return np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0).mean()


def recall_slip(cm):
    tp, _, support = per_class(cm)
    return (tp / support).mean()


def no_zero_guard(cm):
    tp, predicted, support = per_class(cm)
    precision, recall = tp / predicted, tp / support
    return float(np.mean(2 * precision * recall / (precision + recall)))


def per_class_slip(cm):
    tp, predicted, support = per_class(cm)
    return 2 * tp / (predicted + support)


@pytest.mark.parametrize("wrong,message", [
    (accuracy_slip, r"4 classes\) = 0\.834\d+ is the accuracy \(the micro-averaged F1\)"),
    (weighted_slip, r"weights = class sizes \(average='weighted'\)"),
    (f1_of_means_slip, r"harmonic mean of the macro precision and macro recall"),
    (arithmetic_slip, r"averages precision and recall arithmetically"),
    (precision_slip, r"is the macro precision"),
    (recall_slip, r"is the macro recall"),
    (no_zero_guard, r"class 7 is never predicted is nan\. A class that is never predicted has "
                    r"TP \+ FP = 0"),
    (per_class_slip, r"returned 4 numbers, one per class"),
    (lambda cm: str(macro_f1_right(cm)), r"should return a number \(a float\), got str"),
    (lambda cm: macro_f1_right(cm) + 0.01, r"expected 0\.796\d+\. \(scikit-learn's f1_score"),
    (lambda cm: np.fill_diagonal(cm, 0) or 0.5, r"changed its input `cm` in place"),
    (lambda cm: np.array([macro_f1_right(cm)]), r"should return a number \(a float\), got "
                                                r"ndarray of shape \(1,\)"),
    (lambda cm: macro_f1_right(cm[:3, :3]), r"for L05_CONFUSION \(4 classes\) is 0\.839982, "
                                            r"expected 0\.796598"),
])
def test_macro_f1_wrong_is_named(wrong, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_macro_f1(wrong)


def test_macro_f1_accepts_a_zero_dim_array_and_float32(capsys):
    checks.check_macro_f1(lambda cm: np.array(macro_f1_right(cm)))
    checks.check_macro_f1(lambda cm: macro_f1_from_precision_recall(cm.astype(np.float32)))
    assert capsys.readouterr().out.strip().splitlines() == [checks.PASSED] * 2


# --- plots.confusion_matrices -----------------------------------------------------------
@pytest.mark.parametrize("log", [True, False])
def test_confusion_matrices_draws_one_panel_per_matrix(log):
    cm = checks.L05_CONFUSION
    fig = plots.confusion_matrices({"a": cm, "b": cm.T}, labels=list("wxyz"), log=log)
    try:
        assert [ax.get_title() for ax in fig.axes] == ["a", "b"]
        texts = [t.get_text() for t in fig.axes[0].texts]
        assert texts[0] == "9" and texts[5] == "48"
        assert ("" in texts) == log and ("0" in texts) == (not log)
    finally:
        plt.close(fig)


def test_sigmoid_slope_from_a_course_lib_sigmoid_layer_gets_no_credit(capsys):
    from course_lib.layers import Sigmoid

    def sigmoid_prime(a):  # the layer's backward computes the slope
        layer = Sigmoid()
        layer.forward(a)
        return layer.backward(np.ones_like(a))

    with pytest.raises(checks.ExerciseError, match=r"calls course_lib's .*Sigmoid.*write it "
                                                   r"yourself"):
        checks.check_sigmoid_slope(sigmoid_prime, lambda n: 0.25 ** n)
    assert checks.PASSED not in capsys.readouterr().out


def test_sigmoid_slope_accepts_the_bound_from_sigmoid_of_a_python_number(capsys):
    from course_lib.layers import sigmoid

    def bound(num_layers):  # course_lib's sigmoid takes a Python number too
        s = sigmoid(0.0)
        return (s * (1 - s)) ** num_layers

    checks.check_sigmoid_slope(sigmoid_prime_right, bound)
    assert capsys.readouterr().out.strip() == checks.PASSED


def test_the_function_that_raised_is_the_one_named():
    """check_sigmoid_slope takes two functions: an error in the second names the second."""
    def sigmoid_prime(a):
        s = 1 / (1 + np.exp(-a))
        return s * (1 - s)

    def sigmoid_gradient_bound(n):
        raise ValueError("boom")

    with pytest.raises(checks.ExerciseError, match=r"^sigmoid_gradient_bound raised ValueError"):
        checks.check_sigmoid_slope(sigmoid_prime, sigmoid_gradient_bound)
