"""Simulated class, lesson 02 (SGD and linear models): sgd_step, MySGD, standardise,
train_epoch."""

from class_simulation.answer import Answer

SETUP = """
import time

import numpy as np
import matplotlib.pyplot as plt
from sklearn.linear_model import LinearRegression
from sklearn.metrics import ConfusionMatrixDisplay, accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import Normalizer, StandardScaler

from course_lib.data import load_boston, load_iris, one_hot
from course_lib.layers import Dense, Identity, Softmax, softmax
from course_lib.losses import MSELoss, CrossEntropyLoss, SoftmaxCrossEntropyLoss
from course_lib.model import Sequential
from course_lib.optim import SGD
from course_lib.train import History, fit
from course_lib import checks, plots
"""

STEP = "checks.check_sgd_step(sgd_step)"
OPT = "checks.check_sgd_optimizer(MySGD)"
STD = "checks.check_standardise(standardise)"
EPOCH = "checks.check_train_epoch(train_epoch)"

MYSGD_HEAD = """
class MySGD:
    def __init__(self, lr):
        self.lr = lr
"""

EPOCH_HEAD = """
def train_epoch(model, loss, optimizer, X, y, batch_size, rng):
"""

ANSWERS = [
    # ==== exercise 1: sgd_step ==========================================================
    Answer("sgd_step", "residual as a column, np.mean for the bias", "correct", """
def sgd_step(W, b, X, y, lr):
    r = X @ W + b - y.reshape(-1, 1)
    dW = 2 * X.T @ r / len(X)
    db = 2 * np.mean(r, axis=0)
    return W - lr * dW, b - lr * db
""", STEP),
    Answer("sgd_step", "flat residual, np.dot, in-place update of W and b", "correct", """
def sgd_step(W, b, X, y, lr):
    N = X.shape[0]
    err = (X @ W).ravel() + b[0] - y
    W -= lr * (2.0 / N) * np.dot(X.T, err)[:, None]
    b -= lr * (2.0 / N) * err.sum()
    return W, b
""", STEP),
    Answer("sgd_step", "einsum, float32", "correct", """
def sgd_step(W, b, X, y, lr):
    X32, y32 = X.astype(np.float32), y.astype(np.float32)
    W32, b32 = W.astype(np.float32), b.astype(np.float32)
    err = np.einsum("nd,dk->nk", X32, W32)[:, 0] + b32 - y32
    dW = np.einsum("nd,n->d", X32, err)[:, None] * (2 / len(y))
    db = np.array([2 * err.mean()], dtype=np.float32)
    return W32 - np.float32(lr) * dW, b32 - np.float32(lr) * db
""", STEP),
    Answer("sgd_step", "(N, 1) minus (N,) broadcast", "wrong", """
def sgd_step(W, b, X, y, lr):
    err = X @ W + b - y
    return W - lr * 2 * X.T @ err / len(X), b - lr * 2 * err.mean()
""", STEP, names=("broadcast", "(N, N)")),
    Answer("sgd_step", "the 2 of the square forgotten", "wrong", """
def sgd_step(W, b, X, y, lr):
    err = X @ W + b - y[:, None]
    return W - lr * X.T @ err / len(X), b - lr * err.mean(axis=0)
""", STEP, names=("half", "2")),
    Answer("sgd_step", "step uphill (+)", "wrong", """
def sgd_step(W, b, X, y, lr):
    err = X @ W + b - y[:, None]
    return W + lr * 2 * X.T @ err / len(X), b + lr * 2 * err.mean(axis=0)
""", STEP, names=("uphill",)),
    Answer("sgd_step", "bias step divided by N twice", "wrong", """
def sgd_step(W, b, X, y, lr):
    N = len(X)
    err = X @ W + b - y[:, None]
    dW = 2 * X.T @ err / N
    db = 2 * err.mean(axis=0) / N
    return W - lr * dW, b - lr * db
""", STEP, names=("step for b", "twice")),
    Answer("sgd_step", "sum, not mean, in the weight gradient", "wrong", """
def sgd_step(W, b, X, y, lr):
    err = X @ W + b - y[:, None]
    return W - lr * 2 * X.T @ err, b - lr * 2 * err.mean(axis=0)
""", STEP, names=("N = 5 times too large", "1/N")),
    Answer("sgd_step", "the residual computed into y in place (y -= y_hat)", "wrong", """
def sgd_step(W, b, X, y, lr):
    y -= (X @ W + b)[:, 0]          # y now holds y - y_hat
    r = -y[:, None]
    return W - lr * 2 * X.T @ r / len(X), b - lr * 2 * r.mean(axis=0)
""", STEP, names=("in place", "`y`")),
    Answer("sgd_step", "a course_lib SGD takes the step", "delegates", """
def sgd_step(W, b, X, y, lr):
    layer = Dense(W.shape[0], 1)
    layer.params["W"][...] = W
    layer.params["b"][...] = b
    loss = MSELoss()
    loss.forward(layer.forward(X), y[:, None])
    layer.backward(loss.backward())
    SGD(lr).step(Sequential([layer]))
    return layer.params["W"], layer.params["b"]
""", STEP, names=("write it yourself",)),
    Answer("sgd_step", "Dense and MSELoss compute the gradients", "delegates", """
def sgd_step(W, b, X, y, lr):
    layer = Dense(W.shape[0], 1)
    layer.params["W"][...] = W
    layer.params["b"][...] = b
    loss = MSELoss()
    loss.forward(layer.forward(X), y[:, None])
    layer.backward(loss.backward())
    return W - lr * layer.grads["W"], b - lr * layer.grads["b"]
""", STEP, names=("write it yourself",)),

    # ==== exercise 2: MySGD =============================================================
    Answer("MySGD", "p -= lr * g over params.items()", "correct", MYSGD_HEAD + """
    def step(self, model):
        for layer in model.layers:
            for name, p in layer.params.items():
                p -= self.lr * layer.grads[name]
""", OPT),
    Answer("MySGD", "np.subtract with out=, keys of grads", "correct", MYSGD_HEAD + """
    def step(self, model):
        for layer in model.layers:
            for name in layer.grads:
                np.subtract(layer.params[name], self.lr * layer.grads[name],
                            out=layer.params[name])
""", OPT),
    Answer("MySGD", "p[...] = with a getattr default for layers without params", "correct", """
class MySGD:
    def __init__(self, lr):
        self.lr = lr
        self.steps = 0

    def step(self, model):
        self.steps += 1
        for layer in model.layers:
            params = getattr(layer, "params", {})
            for name in params:
                params[name][...] = params[name] - self.lr * layer.grads[name]
""", OPT),
    Answer("MySGD", "p = p - lr * g (rebinds the name)", "wrong", MYSGD_HEAD + """
    def step(self, model):
        for layer in model.layers:
            for name, p in layer.params.items():
                p = p - self.lr * layer.grads[name]
""", OPT, names=("unchanged", "p = p - self.lr * g")),
    Answer("MySGD", "return inside the loop: first layer only", "wrong", MYSGD_HEAD + """
    def step(self, model):
        for layer in model.layers:
            for name, p in layer.params.items():
                p -= self.lr * layer.grads[name]
            return
""", OPT, names=("did not change",)),
    Answer("MySGD", "learning rate forgotten", "wrong", MYSGD_HEAD + """
    def step(self, model):
        for layer in model.layers:
            for name, p in layer.params.items():
                p -= layer.grads[name]
""", OPT, names=("learning rate",)),
    Answer("MySGD", "gradient scaled in place", "wrong", MYSGD_HEAD + """
    def step(self, model):
        for layer in model.layers:
            for name, p in layer.params.items():
                g = layer.grads[name]
                g *= self.lr
                p -= g
""", OPT, names=("grads['w']", "in place")),
    Answer("MySGD", "gradient added", "wrong", MYSGD_HEAD + """
    def step(self, model):
        for layer in model.layers:
            for name, p in layer.params.items():
                p += self.lr * layer.grads[name]
""", OPT, names=("uphill",)),
    Answer("MySGD", "one gradient zipped with the wrong layer's params", "wrong", MYSGD_HEAD + """
    def step(self, model):
        with_params = [layer for layer in model.layers if layer.params]
        for layer, other in zip(with_params, with_params[::-1]):
            for name, p in layer.params.items():
                p -= self.lr * other.grads[name]
""", OPT, names=("layer 2's gradient",)),
    Answer("MySGD", "inherits course_lib's SGD", "delegates", """
class MySGD(SGD):
    def __init__(self, lr):
        super().__init__(lr)
""", OPT, names=("write it yourself",)),
    Answer("MySGD", "hands the step to a course_lib SGD", "delegates", MYSGD_HEAD + """
    def step(self, model):
        SGD(self.lr).step(model)
""", OPT, names=("write it yourself",)),

    # ==== exercise 3: standardise =======================================================
    Answer("standardise", "mean/std with keepdims", "correct", """
def standardise(X_train, X_test):
    mu = X_train.mean(axis=0, keepdims=True)
    sd = X_train.std(axis=0, keepdims=True)
    return (X_train - mu) / sd, (X_test - mu) / sd
""", STD),
    Answer("standardise", "a loop over the columns, float32, a list", "correct", """
def standardise(X_train, X_test):
    A = np.empty(X_train.shape, dtype=np.float32)
    B = np.empty(X_test.shape, dtype=np.float32)
    for j in range(X_train.shape[1]):
        m, s = X_train[:, j].mean(), X_train[:, j].std()
        A[:, j] = (X_train[:, j] - m) / s
        B[:, j] = (X_test[:, j] - m) / s
    return [A, B]
""", STD),
    Answer("standardise", "variance by hand, np.sqrt", "correct", """
def standardise(X_train, X_test):
    n = len(X_train)
    mu = X_train.sum(axis=0) / n
    var = ((X_train - mu) ** 2).sum(axis=0) / n
    return (X_train - mu) / np.sqrt(var), (X_test - mu) / np.sqrt(var)
""", STD),
    Answer("standardise", "test split scaled with its own statistics", "wrong", """
def standardise(X_train, X_test):
    def scale(X):
        return (X - X.mean(axis=0)) / X.std(axis=0)
    return scale(X_train), scale(X_test)
""", STD, names=("test set's own",)),
    Answer("standardise", "statistics of the whole array (no axis)", "wrong", """
def standardise(X_train, X_test):
    m, s = np.mean(X_train), np.std(X_train)
    return (X_train - m) / s, (X_test - m) / s
""", STD, names=("whole array", "axis=0")),
    Answer("standardise", "sample std (ddof=1)", "wrong", """
def standardise(X_train, X_test):
    m, s = X_train.mean(0), X_train.std(0, ddof=1)
    return (X_train - m) / s, (X_test - m) / s
""", STD, names=("ddof=1",)),
    Answer("standardise", "X_train centred in place", "wrong", """
def standardise(X_train, X_test):
    m, s = X_train.mean(0), X_train.std(0)
    X_train -= m
    X_train /= s
    return X_train, (X_test - m) / s
""", STD, names=("in place",)),
    Answer("standardise", "statistics per row (axis=1)", "wrong", """
def standardise(X_train, X_test):
    m = X_train.mean(axis=1, keepdims=True)
    s = X_train.std(axis=1, keepdims=True)
    return (X_train - m) / s, (X_test - X_test.mean(1, keepdims=True)) / X_test.std(1, keepdims=True)
""", STD, names=("axis=1",)),
    Answer("standardise", "train and test stacked for the statistics", "wrong", """
def standardise(X_train, X_test):
    allX = np.concatenate([X_train, X_test])
    m, s = allX.mean(0), allX.std(0)
    return (X_train - m) / s, (X_test - m) / s
""", STD, names=("together",)),
    Answer("standardise", "returns the test split first", "wrong", """
def standardise(X_train, X_test):
    m, s = X_train.mean(0), X_train.std(0)
    return (X_test - m) / s, (X_train - m) / s
""", STD, names=("wrong order",)),
    Answer("standardise", "scikit-learn's StandardScaler", "delegates", """
def standardise(X_train, X_test):
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test)
""", STD, names=("write it yourself",)),

    # ==== exercise 4: train_epoch =======================================================
    Answer("train_epoch", "range with a step, weighted sum of batch losses", "correct", EPOCH_HEAD + """
    order = rng.permutation(len(X))
    total = 0.0
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size]
        value = loss.forward(model.forward(X[idx]), y[idx])
        model.backward(loss.backward())
        optimizer.step(model)
        total += value * len(idx)
    return total / len(X)
""", EPOCH),
    Answer("train_epoch", "shuffle both arrays first, a while loop, np.average", "correct",
           EPOCH_HEAD + """
    perm = rng.permutation(X.shape[0])
    Xs, ys = X[perm], y[perm]
    losses, sizes = [], []
    i = 0
    while i < len(Xs):
        xb, yb = Xs[i:i + batch_size], ys[i:i + batch_size]
        losses.append(float(loss.forward(model(xb), yb)))
        sizes.append(len(xb))
        model.backward(loss.backward())
        optimizer.step(model)
        i += batch_size
    return np.average(losses, weights=sizes)
""", EPOCH),
    Answer("train_epoch", "np.array_split of the permutation with ceil batches", "correct",
           EPOCH_HEAD + """
    n = len(X)
    order = rng.permutation(n)
    n_batches = -(-n // batch_size)
    total = 0
    for b in range(n_batches):
        idx = order[b * batch_size:min(n, (b + 1) * batch_size)]
        out = model.forward(X[idx])
        total = total + loss.forward(out, y[idx]) * idx.size
        model.backward(loss.backward())
        optimizer.step(model)
    return total / n
""", EPOCH),
    Answer("train_epoch", "mean of the batch means", "wrong", EPOCH_HEAD + """
    order = rng.permutation(len(X))
    losses = []
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size]
        losses.append(loss.forward(model.forward(X[idx]), y[idx]))
        model.backward(loss.backward())
        optimizer.step(model)
    return np.mean(losses)
""", EPOCH, names=("mean of the batch",)),
    Answer("train_epoch", "no shuffle", "wrong", EPOCH_HEAD + """
    total = 0.0
    for start in range(0, len(X), batch_size):
        xb, yb = X[start:start + batch_size], y[start:start + batch_size]
        total += loss.forward(model.forward(xb), yb) * len(xb)
        model.backward(loss.backward())
        optimizer.step(model)
    return total / len(X)
""", EPOCH, names=("shuffle",)),
    Answer("train_epoch", "X and y shuffled with two different permutations", "wrong",
           EPOCH_HEAD + """
    Xs = X[rng.permutation(len(X))]
    ys = y[rng.permutation(len(y))]
    total = 0.0
    for start in range(0, len(X), batch_size):
        xb, yb = Xs[start:start + batch_size], ys[start:start + batch_size]
        total += loss.forward(model.forward(xb), yb) * len(xb)
        model.backward(loss.backward())
        optimizer.step(model)
    return total / len(X)
""", EPOCH, names=("targets", "rows")),
    Answer("train_epoch", "the last partial batch dropped (N // batch_size)", "wrong", EPOCH_HEAD + """
    order = rng.permutation(len(X))
    total = 0.0
    for b in range(len(X) // batch_size):
        idx = order[b * batch_size:(b + 1) * batch_size]
        total += loss.forward(model.forward(X[idx]), y[idx]) * len(idx)
        model.backward(loss.backward())
        optimizer.step(model)
    return total / len(X)
""", EPOCH, names=("last", "batch")),
    Answer("train_epoch", "step before backward", "wrong", EPOCH_HEAD + """
    order = rng.permutation(len(X))
    total = 0.0
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size]
        total += loss.forward(model.forward(X[idx]), y[idx]) * len(idx)
        optimizer.step(model)
        model.backward(loss.backward())
    return total / len(X)
""", EPOCH, names=("no model.backward",)),
    Answer("train_epoch", "one step after the whole epoch", "wrong", EPOCH_HEAD + """
    order = rng.permutation(len(X))
    total = 0.0
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size]
        total += loss.forward(model.forward(X[idx]), y[idx]) * len(idx)
        model.backward(loss.backward())
    optimizer.step(model)
    return total / len(X)
""", EPOCH, names=("optimizer.step",)),
    Answer("train_epoch", "calls fit for one epoch", "delegates", EPOCH_HEAD + """
    seed = int(rng.integers(2**31))
    history = fit(model, loss, optimizer, X, y, epochs=1, batch_size=batch_size,
                  seed=rng, progress=False)
    return history.loss[-1]
""", EPOCH, names=("write it yourself",)),
]
