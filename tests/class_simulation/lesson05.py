"""Simulated class, lesson 05 (activations and MNIST): the sigmoid's slope and its bound,
SGD with decoupled weight decay, the confusion matrix, precision and recall, macro F1."""

from class_simulation.answer import Answer

SETUP = """
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import (accuracy_score, confusion_matrix, f1_score,
                             precision_recall_fscore_support)
from sklearn.model_selection import train_test_split
from tqdm.auto import tqdm

from course_lib import checks, plots
from course_lib.data import load_mnist
from course_lib.layers import Dense, ReLU, Sigmoid, Tanh, sigmoid
from course_lib.losses import SoftmaxCrossEntropyLoss
from course_lib.model import Sequential
from course_lib.optim import SGD
from course_lib.train import History, fit
"""

SLOPE = "checks.check_sigmoid_slope(sigmoid_prime, sigmoid_gradient_bound)"
WD = "checks.check_sgd_weight_decay(SGDWeightDecay)"
CM = "checks.check_confusion_matrix(confusion_matrix_from)"
PR = "checks.check_precision_recall(precision_recall)"
F1 = "checks.check_macro_f1(macro_f1)"

BOUND = """

def sigmoid_gradient_bound(num_layers):
    return 0.25 ** num_layers
"""
PRIME = """
def sigmoid_prime(a):
    s = sigmoid(a)
    return s * (1 - s)
"""

WD_HEAD = """
class SGDWeightDecay(SGD):
    def __init__(self, lr, momentum=0.9, weight_decay=5e-3):
        super().__init__(lr, momentum)
        self.weight_decay = weight_decay
"""

ANSWERS = [
    # ==== exercise 1: sigmoid_prime and sigmoid_gradient_bound ==========================
    Answer("sigmoid_slope", "exp(-|a|) formula, a power of 1/4", "correct", """
def sigmoid_prime(a):
    e = np.exp(-np.abs(a))
    return e / (1 + e) ** 2
""" + BOUND, SLOPE),
    Answer("sigmoid_slope", "tanh identity; the bound as a product in a loop", "correct", """
def sigmoid_prime(a):
    return 0.25 * (1 - np.tanh(a / 2) ** 2)


def sigmoid_gradient_bound(num_layers):
    bound = 1.0
    for _ in range(num_layers):
        bound *= sigmoid_prime(0.0)
    return bound
""", SLOPE),
    Answer("sigmoid_slope", "float32 slope; the bound from a grid's maximum", "correct", """
def sigmoid_prime(a):
    s = (1 / (1 + np.exp(-np.asarray(a, dtype=np.float32)))).astype(np.float32)
    return s - s * s


def sigmoid_gradient_bound(num_layers):
    return float(sigmoid_prime(np.linspace(-6, 6, 1201)).max()) ** num_layers
""", SLOPE),
    Answer("sigmoid_slope", "course_lib's sigmoid of the Python number 0.0 for the bound",
           "correct", PRIME + """

def sigmoid_gradient_bound(num_layers):
    top = sigmoid(0.0) * (1 - sigmoid(0.0))
    return top ** num_layers
""", SLOPE),
    Answer("sigmoid_slope", "slope from the input: a * (1 - a)", "wrong", """
def sigmoid_prime(a):
    return a * (1 - a)
""" + BOUND, SLOPE, names=("input",)),
    Answer("sigmoid_slope", "tanh's derivative 1 - tanh(a)**2", "wrong", """
def sigmoid_prime(a):
    return 1 - np.tanh(a) ** 2
""" + BOUND, SLOPE, names=("tanh",)),
    Answer("sigmoid_slope", "a changed in place", "wrong", """
def sigmoid_prime(a):
    np.negative(a, out=a) if a.dtype.kind == "f" else None
    s = 1 / (1 + np.exp(a))
    return s * (1 - s)
""" + BOUND, SLOPE, names=("in place",)),
    Answer("sigmoid_slope", "bound: slopes added", "wrong", PRIME + """

def sigmoid_gradient_bound(num_layers):
    return 0.25 * num_layers
""", SLOPE, names=("adds the three slopes", "multiplies")),
    Answer("sigmoid_slope", "bound: sigmoid(0) = 0.5 taken as the slope", "wrong", PRIME + """

def sigmoid_gradient_bound(num_layers):
    return sigmoid(0.0) ** num_layers
""", SLOPE, names=("0.5",)),
    Answer("sigmoid_slope", "bound: one layer too many (output layer counted)", "wrong", PRIME + """

def sigmoid_gradient_bound(num_layers):
    return 0.25 ** (num_layers + 1)
""", SLOPE, names=("num_layers + 1", "output layer")),
    Answer("sigmoid_slope", "bound: an array of per-layer bounds", "wrong", PRIME + """

def sigmoid_gradient_bound(num_layers):
    return np.cumprod(np.full(num_layers, 0.25))
""", SLOPE, names=("number",)),
    Answer("sigmoid_slope", "a course_lib Sigmoid layer's backward gives the slope", "delegates",
           """
def sigmoid_prime(a):
    layer = Sigmoid()
    layer.forward(a)
    return layer.backward(np.ones_like(a))
""" + BOUND, SLOPE, names=("write it yourself",)),

    # ==== exercise 2: SGDWeightDecay ====================================================
    Answer("SGDWeightDecay", "super().step, then W *= 1 - lr * wd", "correct", WD_HEAD + """
    def step(self, model):
        super().step(model)
        for layer in model.layers:
            if "W" in layer.params:
                layer.params["W"] *= 1 - self.lr * self.weight_decay
""", WD),
    Answer("SGDWeightDecay", "own momentum by id, W -= lr * wd * W", "correct", WD_HEAD + """
    def step(self, model):
        if not hasattr(self, "vel"):
            self.vel = {}
        for layer in model.layers:
            for name, p in layer.params.items():
                v = self.vel.setdefault(id(p), np.zeros_like(p))
                v[...] = self.momentum * v - self.lr * layer.grads[name]
                p += v
                if name == "W":
                    p -= self.lr * self.weight_decay * p
""", WD),
    Answer("SGDWeightDecay", "shrunk before the step", "wrong", WD_HEAD + """
    def step(self, model):
        for layer in model.layers:
            if "W" in layer.params:
                layer.params["W"] *= 1 - self.lr * self.weight_decay
        super().step(model)
""", WD, names=("before",)),
    Answer("SGDWeightDecay", "coupled decay: wd * W added to the gradient", "wrong", WD_HEAD + """
    def step(self, model):
        if not hasattr(self, "vel"):
            self.vel = {}
        for i, layer in enumerate(model.layers):
            for name, p in layer.params.items():
                g = layer.grads[name]
                if name == "W":
                    g = g + self.weight_decay * p
                v = self.momentum * self.vel.get((i, name), 0.0) - self.lr * g
                self.vel[(i, name)] = v
                p += v
""", WD, names=("gradient", "momentum")),
    Answer("SGDWeightDecay", "biases shrunk too", "wrong", WD_HEAD + """
    def step(self, model):
        super().step(model)
        for layer in model.layers:
            for p in layer.params.values():
                p *= 1 - self.lr * self.weight_decay
""", WD, names=("bias",)),
    Answer("SGDWeightDecay", "factor without the learning rate", "wrong", WD_HEAD + """
    def step(self, model):
        super().step(model)
        for layer in model.layers:
            if "W" in layer.params:
                layer.params["W"] *= 1 - self.weight_decay
""", WD, names=("learning rate",)),
    Answer("SGDWeightDecay", "learning rate frozen in __init__", "wrong", """
class SGDWeightDecay(SGD):
    def __init__(self, lr, momentum=0.9, weight_decay=5e-3):
        super().__init__(lr, momentum)
        self.weight_decay = weight_decay
        self.shrink = 1 - lr * weight_decay

    def step(self, model):
        super().step(model)
        for layer in model.layers:
            if "W" in layer.params:
                layer.params["W"] *= self.shrink
""", WD, names=("learning rate the optimiser was created with", "self.lr")),
    Answer("SGDWeightDecay", "W rebound in the params dict", "wrong", WD_HEAD + """
    def step(self, model):
        super().step(model)
        for layer in model.layers:
            if "W" in layer.params:
                layer.params["W"] = layer.params["W"] * (1 - self.lr * self.weight_decay)
""", WD, names=("did not shrink", "in place")),
    Answer("SGDWeightDecay", "inherits SGDW", "delegates", """
from course_lib.optim import SGDW

class SGDWeightDecay(SGDW):
    pass
""", WD, names=("write it yourself",)),
    Answer("SGDWeightDecay", "calls SGDW.step on itself", "delegates", WD_HEAD + """
    def step(self, model):
        from course_lib.optim import SGDW
        SGDW.step(self, model)
""", WD, names=("write it yourself",)),

    # ==== exercise 3: confusion_matrix_from =============================================
    Answer("confusion_matrix", "np.add.at", "correct", """
def confusion_matrix_from(y_true, y_pred, num_classes):
    cm = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm
""", CM),
    Answer("confusion_matrix", "bincount of a flat index", "correct", """
def confusion_matrix_from(y_true, y_pred, num_classes):
    flat = np.asarray(y_true) * num_classes + np.asarray(y_pred)
    return np.bincount(flat, minlength=num_classes ** 2).reshape(num_classes, num_classes)
""", CM),
    Answer("confusion_matrix", "a Python loop over zip, float counts", "correct", """
def confusion_matrix_from(y_true, y_pred, num_classes):
    cm = np.zeros((num_classes, num_classes))
    for t, p in zip(y_true, y_pred):
        cm[t, p] += 1
    return cm
""", CM),
    Answer("confusion_matrix", "rows predicted (transpose)", "wrong", """
def confusion_matrix_from(y_true, y_pred, num_classes):
    cm = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(cm, (y_pred, y_true), 1)
    return cm
""", CM, names=("transpose",)),
    Answer("confusion_matrix", "fancy-index += (repeats counted once)", "wrong", """
def confusion_matrix_from(y_true, y_pred, num_classes):
    cm = np.zeros((num_classes, num_classes), dtype=int)
    cm[y_true, y_pred] += 1
    return cm
""", CM, names=("once",)),
    Answer("confusion_matrix", "size from the labels that occur", "wrong", """
def confusion_matrix_from(y_true, y_pred, num_classes):
    k = max(y_true.max(), y_pred.max()) + 1
    cm = np.zeros((k, k), dtype=int)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm
""", CM, names=("num_classes",)),
    Answer("confusion_matrix", "rows normalised", "wrong", """
def confusion_matrix_from(y_true, y_pred, num_classes):
    cm = np.zeros((num_classes, num_classes))
    np.add.at(cm, (y_true, y_pred), 1)
    return cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
""", CM, names=("fractions",)),
    Answer("confusion_matrix", "off by one (range(len - 1))", "wrong", """
def confusion_matrix_from(y_true, y_pred, num_classes):
    cm = np.zeros((num_classes, num_classes), dtype=int)
    for n in range(len(y_true) - 1):
        cm[y_true[n], y_pred[n]] += 1
    return cm
""", CM, names=("counts 39 samples",)),
    Answer("confusion_matrix", "scikit-learn's confusion_matrix", "delegates", """
def confusion_matrix_from(y_true, y_pred, num_classes):
    return confusion_matrix(y_true, y_pred, labels=np.arange(num_classes))
""", CM, names=("write it yourself",)),

    # ==== exercise 4: precision_recall ==================================================
    Answer("precision_recall", "np.divide with where=", "correct", """
def precision_recall(cm):
    tp = np.diag(cm).astype(float)
    col, row = cm.sum(axis=0), cm.sum(axis=1)
    precision = np.divide(tp, col, out=np.zeros_like(tp), where=col > 0)
    recall = np.divide(tp, row, out=np.zeros_like(tp), where=row > 0)
    return precision, recall
""", PR),
    Answer("precision_recall", "a loop over classes, a (2, K) float32 array", "correct", """
def precision_recall(cm):
    K = len(cm)
    out = np.zeros((2, K), dtype=np.float32)
    for k in range(K):
        predicted, actual = cm[:, k].sum(), cm[k, :].sum()
        out[0, k] = cm[k, k] / predicted if predicted else 0.0
        out[1, k] = cm[k, k] / actual if actual else 0.0
    return out
""", PR),
    Answer("precision_recall", "precision and recall swapped (axis)", "wrong", """
def precision_recall(cm):
    tp = np.diag(cm).astype(float)
    p = np.divide(tp, cm.sum(1), out=np.zeros_like(tp), where=cm.sum(1) > 0)
    r = np.divide(tp, cm.sum(0), out=np.zeros_like(tp), where=cm.sum(0) > 0)
    return p, r
""", PR, names=("the precision is the recall",)),
    Answer("precision_recall", "NaN from 0 / 0", "wrong", """
def precision_recall(cm):
    tp = np.diag(cm)
    with np.errstate(invalid="ignore", divide="ignore"):
        return tp / cm.sum(axis=0), tp / cm.sum(axis=1)
""", PR, names=("nan",)),
    Answer("precision_recall", "integer division //", "wrong", """
def precision_recall(cm):
    tp = np.diag(cm)
    col, row = np.maximum(cm.sum(0), 1), np.maximum(cm.sum(1), 1)
    return tp // col, tp // row
""", PR, names=("integer",)),
    Answer("precision_recall", "divided by the total count", "wrong", """
def precision_recall(cm):
    tp = np.diag(cm) / cm.sum()
    return tp, tp
""", PR, names=("total",)),
    Answer("precision_recall", "cm normalised in place", "wrong", """
def precision_recall(cm):
    cm = np.asarray(cm)
    tp = np.diag(cm).astype(float)
    col, row = cm.sum(0), cm.sum(1)
    cm[cm < 0] = 0
    cm += 0
    np.fill_diagonal(cm, 0)
    return (np.divide(tp, col, out=np.zeros_like(tp), where=col > 0),
            np.divide(tp, row, out=np.zeros_like(tp), where=row > 0))
""", PR, names=("in place",)),
    Answer("precision_recall", "scikit-learn on labels rebuilt from cm", "delegates", """
def precision_recall(cm):
    K = len(cm)
    t, p = np.nonzero(np.ones((K, K)))
    counts = cm.ravel()
    y_true, y_pred = np.repeat(t, counts), np.repeat(p, counts)
    prec, rec, _, _ = precision_recall_fscore_support(y_true, y_pred, labels=range(K),
                                                      zero_division=0)
    return prec, rec
""", PR, names=("write it yourself",)),

    # ==== exercise 5: macro_f1 ==========================================================
    Answer("macro_f1", "harmonic mean with np.divide where=, mean", "correct", """
def macro_f1(cm):
    tp = np.diag(cm).astype(float)
    p = np.divide(tp, cm.sum(0), out=np.zeros_like(tp), where=cm.sum(0) > 0)
    r = np.divide(tp, cm.sum(1), out=np.zeros_like(tp), where=cm.sum(1) > 0)
    f = np.divide(2 * p * r, p + r, out=np.zeros_like(tp), where=(p + r) > 0)
    return f.mean()
""", F1),
    Answer("macro_f1", "2 TP / (2 TP + FP + FN) in a loop, float", "correct", """
def macro_f1(cm):
    scores = []
    for k in range(len(cm)):
        tp = cm[k, k]
        fp = cm[:, k].sum() - tp
        fn = cm[k, :].sum() - tp
        scores.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    return float(sum(scores) / len(scores))
""", F1),
    Answer("macro_f1", "accuracy (micro F1)", "wrong", """
def macro_f1(cm):
    return np.trace(cm) / cm.sum()
""", F1, names=("accuracy",)),
    Answer("macro_f1", "F1 of the macro precision and recall", "wrong", """
def macro_f1(cm):
    tp = np.diag(cm).astype(float)
    p = np.divide(tp, cm.sum(0), out=np.zeros_like(tp), where=cm.sum(0) > 0).mean()
    r = np.divide(tp, cm.sum(1), out=np.zeros_like(tp), where=cm.sum(1) > 0).mean()
    return 2 * p * r / (p + r)
""", F1, names=("macro precision and macro recall",)),
    Answer("macro_f1", "arithmetic mean of precision and recall", "wrong", """
def macro_f1(cm):
    tp = np.diag(cm).astype(float)
    p = np.divide(tp, cm.sum(0), out=np.zeros_like(tp), where=cm.sum(0) > 0)
    r = np.divide(tp, cm.sum(1), out=np.zeros_like(tp), where=cm.sum(1) > 0)
    return ((p + r) / 2).mean()
""", F1, names=("arithmetic",)),
    Answer("macro_f1", "support-weighted", "wrong", """
def macro_f1(cm):
    tp = np.diag(cm).astype(float)
    support = cm.sum(1)
    p = np.divide(tp, cm.sum(0), out=np.zeros_like(tp), where=cm.sum(0) > 0)
    r = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    f = np.divide(2 * p * r, p + r, out=np.zeros_like(tp), where=(p + r) > 0)
    return (f * support).sum() / support.sum()
""", F1, names=("weighted",)),
    Answer("macro_f1", "per-class scores not averaged", "wrong", """
def macro_f1(cm):
    tp = np.diag(cm).astype(float)
    return 2 * tp / (cm.sum(0) + cm.sum(1))
""", F1, names=("one per class", "mean")),
    Answer("macro_f1", "nan from a class never predicted", "wrong", """
def macro_f1(cm):
    tp = np.diag(cm)
    with np.errstate(invalid="ignore", divide="ignore"):
        p, r = tp / cm.sum(0), tp / cm.sum(1)
        return np.mean(2 * p * r / (p + r))
""", F1, names=("nan",)),
    Answer("macro_f1", "scikit-learn's f1_score on labels rebuilt from cm", "delegates", """
def macro_f1(cm):
    K = len(cm)
    pairs = [(i, j) for i in range(K) for j in range(K) for _ in range(int(cm[i, j]))]
    y_true, y_pred = zip(*pairs)
    return f1_score(y_true, y_pred, labels=range(K), average="macro", zero_division=0)
""", F1, names=("write it yourself",)),
]
