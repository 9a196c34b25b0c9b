"""No credit for calling the reference: the checks of lessons 01-06 refuse delegating answers.

Each check wrapped in ``common.no_delegation`` must refuse an answer that calls
(or, for a class, inherits from) what it names as the exercise's reference, with
a message that says so and without "All checks passed" before it. Lessons 01,
04 and 06 already test some of these in their own ``test_checks_lessonNN.py``;
here are the others, one delegating answer per refusing check, so that every
check whose reference ``tests/test_no_reference_before_exercise.py`` keeps out
of the student's namespace is shown to refuse it when it is reached anyway
(``layers.Sigmoid``, ``optim.SGD``, ``metrics.f1_score``).
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics

from course_lib import checks, layers, optim
from course_lib.losses import MSELoss
from course_lib.model import Sequential
from course_lib.train import fit


# --- lesson 01: layers that hand their work to course_lib's ---------------------------------
class MatMulCallsCourse(layers.Layer):
    def __init__(self, W):
        super().__init__()
        self.params["W"] = W
        self.inner = layers.MatMul(W)

    def forward(self, x):
        return self.inner.forward(x)

    def backward(self, grad_out):
        dx = self.inner.backward(grad_out)
        self.grads["W"] = self.inner.grads["W"]
        return dx


class BiasAddInheritsCourse(layers.BiasAdd):
    pass


class BiasAddCallsCourse(layers.Layer):
    def __init__(self, b):
        super().__init__()
        self.params["b"] = b
        self.inner = layers.BiasAdd(b)

    def forward(self, x):
        return self.inner.forward(x)

    def backward(self, grad_out):
        dx = self.inner.backward(grad_out)
        self.grads["b"] = self.inner.grads["b"]
        return dx


class ReLUCallsCourse(layers.Layer):
    def __init__(self):
        super().__init__()
        self.inner = layers.ReLU()

    def forward(self, x):
        return self.inner.forward(x)

    def backward(self, grad_out):
        return self.inner.backward(grad_out)


# --- lesson 02: an SGD step and an epoch through course_lib's optimiser and loop --------------
def sgd_step_via_course(W, b, X, y, lr):
    dense = layers.Dense(W.shape[0], 1)
    dense.params["W"], dense.params["b"] = W.copy(), b.copy()
    model, loss = Sequential([dense]), MSELoss()
    loss.forward(model.forward(X), y.reshape(-1, 1))
    model.backward(loss.backward())
    optim.SGD(lr).step(model)
    return dense.params["W"], dense.params["b"]


def train_epoch_via_fit(model, loss, optimizer, X, y, batch_size, rng):
    return fit(model, loss, optimizer, X, y, epochs=1, batch_size=batch_size, seed=rng,
               progress=False).loss[-1]


# --- lesson 03 and 05: optimisers that are course_lib's -------------------------------------
class MomentumInheritsCourse(optim.SGD):
    pass


class MomentumCallsCourse:
    def __init__(self, lr, momentum=0.9):
        self.inner = optim.SGD(lr, momentum=momentum)

    def step(self, model):
        self.inner.step(model)


class AdamCallsCourse:
    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        self.inner = optim.Adam(lr, beta1=beta1, beta2=beta2, eps=eps)

    def step(self, model):
        self.inner.step(model)


class SGDWInheritsCourse(optim.SGDW):
    pass


# --- lesson 05: the metrics through scikit-learn's ------------------------------------------
def _labels(cm):
    """Labels (true, predicted) that give the confusion matrix ``cm``."""
    k = len(cm)
    counts = np.asarray(cm).astype(int).ravel()
    return (np.repeat(np.repeat(np.arange(k), k), counts),
            np.repeat(np.tile(np.arange(k), k), counts))


def confusion_via_sklearn(y_true, y_pred, num_classes):
    return metrics.confusion_matrix(y_true, y_pred, labels=range(num_classes))


def precision_recall_via_sklearn(cm):
    y_true, y_pred = _labels(cm)
    return metrics.precision_recall_fscore_support(y_true, y_pred, labels=range(len(cm)),
                                                   zero_division=0)[:2]


def macro_f1_via_sklearn(cm):
    y_true, y_pred = _labels(cm)
    return metrics.f1_score(y_true, y_pred, labels=range(len(cm)), average="macro",
                            zero_division=0)


# --- lesson 06: dropout through course_lib's, early stopping that calls fit ------------------
class DropoutCallsCourse(layers.Layer):
    def __init__(self, p, rng):
        super().__init__()
        self.inner = layers.Dropout(p, rng=rng)

    def forward(self, x):
        self.inner.training = self.training
        return self.inner.forward(x)

    def backward(self, grad_out):
        return self.inner.backward(grad_out)


def early_stopping_right(val_losses, patience):
    best = 1
    for epoch, loss in enumerate(val_losses, start=1):
        if loss < val_losses[best - 1]:
            best = epoch
        elif epoch - best >= patience:
            return best, epoch
    return best, len(val_losses)


def early_stopping_calls_fit(val_losses, patience):
    try:  # any call into the reference counts, whatever it returns
        fit(None, None, None, np.zeros((1, 1)), np.zeros(1), epochs=1, batch_size=1)
    except Exception:
        pass
    return early_stopping_right(val_losses, patience)


CASES = [
    ("check_matmul", MatMulCallsCourse, "calls course_lib's .*MatMul"),
    ("check_bias_add", BiasAddInheritsCourse, "inherits from course_lib's .*BiasAdd"),
    ("check_bias_add", BiasAddCallsCourse, "calls course_lib's .*BiasAdd"),
    ("check_relu", ReLUCallsCourse, "calls course_lib's .*ReLU"),
    ("check_sgd_step", sgd_step_via_course, "calls course_lib's .*(SGD|Dense)"),
    ("check_train_epoch", train_epoch_via_fit, "calls course_lib's .*fit"),
    ("check_momentum", MomentumInheritsCourse, "inherits from course_lib's .*SGD"),
    ("check_momentum", MomentumCallsCourse, "calls course_lib's .*SGD"),
    ("check_adam", AdamCallsCourse, "calls course_lib's .*Adam"),
    ("check_sgd_weight_decay", SGDWInheritsCourse, "inherits from course_lib's .*SGDW"),
    ("check_confusion_matrix", confusion_via_sklearn, r"calls sklearn\.metrics\S*confusion_matrix"),
    ("check_precision_recall", precision_recall_via_sklearn,
     r"calls sklearn\.metrics\S*precision_recall_fscore_support"),
    ("check_macro_f1", macro_f1_via_sklearn,
     r"calls sklearn\.metrics\S*(f1_score|precision_recall_fscore_support)"),
    ("check_dropout", DropoutCallsCourse, "calls course_lib's .*Dropout"),
    ("check_early_stopping", early_stopping_calls_fit, "calls course_lib's .*fit"),
]


@pytest.mark.parametrize("check, answer, message", CASES,
                         ids=[f"{c}-{a.__name__}" for c, a, _ in CASES])
def test_an_answer_that_delegates_to_the_reference_gets_no_credit(capsys, check, answer, message):
    with pytest.raises(checks.ExerciseError, match=message):
        getattr(checks, check)(answer)
    assert checks.PASSED not in capsys.readouterr().out


def test_the_early_stopping_answer_is_otherwise_right(capsys):
    """So that the refusal above comes from the call to fit, not from a wrong answer."""
    checks.check_early_stopping(early_stopping_right)
    assert checks.PASSED in capsys.readouterr().out
