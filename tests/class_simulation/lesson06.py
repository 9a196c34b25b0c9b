"""Simulated class, lesson 06 (generalisation): the L2 term, a dropout layer, early stopping,
batch norm's backward."""

from class_simulation.answer import Answer

SETUP = """
import copy

import numpy as np

from course_lib import checks
from course_lib.layers import BatchNorm, Dense, Dropout, Layer, ReLU, Sigmoid
from course_lib.losses import SoftmaxCrossEntropyLoss
from course_lib.model import Sequential
from course_lib.optim import SGD
from course_lib.train import History, evaluate, fit
"""

L2 = "checks.check_l2_term(l2_penalty, l2_gradient)"
GOOD_GRADIENT = """

def l2_gradient(grad, param, weight_decay):
    return grad + weight_decay * param
"""
GOOD_PENALTY = """
def l2_penalty(params, weight_decay):
    return 0.5 * weight_decay * sum(float((p ** 2).sum()) for p in params)

"""

DROPOUT = "checks.check_dropout(DropoutLayer)"
EARLY = "checks.check_early_stopping(early_stopping_epochs)"
BN = "checks.check_batchnorm_backward(batchnorm_backward)"

ANSWERS = [
    # --- exercise 1: the L2 term ----------------------------------------------------------
    Answer("l2_term", "one flat vector and a dot product; np.add", "correct", """
def l2_penalty(params, weight_decay):
    flat = np.concatenate([p.ravel() for p in params])
    return weight_decay / 2 * flat @ flat


def l2_gradient(grad, param, weight_decay):
    return np.add(grad, weight_decay * param)
""", L2),
    Answer("l2_term", "squared Frobenius norms; a copy then +=", "correct", """
def l2_penalty(params, weight_decay):
    total = 0
    for p in params:
        total = total + np.linalg.norm(p) ** 2
    return weight_decay * total / 2


def l2_gradient(grad, param, weight_decay):
    g = np.array(grad, copy=True)
    g += weight_decay * param
    return g
""", L2),
    Answer("l2_term", "np.einsum and keyword style", "correct", """
def l2_penalty(params, weight_decay):
    return sum(np.einsum("i,i->", p.ravel(), p.ravel()) for p in params) * (weight_decay * 0.5)


def l2_gradient(grad, param, weight_decay):
    return weight_decay * param + grad
""", L2),
    Answer("l2_term", "penalty of the norms, not squared", "wrong", """
def l2_penalty(params, weight_decay):
    return weight_decay / 2 * sum(np.linalg.norm(p) for p in params)
""" + GOOD_GRADIENT, L2, names=("norms",)),
    Answer("l2_term", "biases skipped (ndim > 1 only)", "wrong", """
def l2_penalty(params, weight_decay):
    return weight_decay / 2 * sum(np.sum(p * p) for p in params if p.ndim > 1)
""" + GOOD_GRADIENT, L2, names=("biases",)),
    Answer("l2_term", "mean of all squares, not sum", "wrong", """
def l2_penalty(params, weight_decay):
    flat = np.concatenate([p.ravel() for p in params])
    return weight_decay / 2 * np.mean(flat ** 2)
""" + GOOD_GRADIENT, L2, names=("mean",)),
    Answer("l2_term", "no 1/2 in the penalty", "wrong", """
def l2_penalty(params, weight_decay):
    return weight_decay * sum((p ** 2).sum() for p in params)
""" + GOOD_GRADIENT, L2, names=("1/2",)),
    Answer("l2_term", "gradient adds in place into grad", "wrong", GOOD_PENALTY + """
def l2_gradient(grad, param, weight_decay):
    grad += weight_decay * param
    return grad
""", L2, names=("in place", "grad")),
    Answer("l2_term", "gradient with 2 * weight_decay", "wrong", GOOD_PENALTY + """
def l2_gradient(grad, param, weight_decay):
    return grad + 2 * weight_decay * param
""", L2, names=("factor 2",)),
    Answer("l2_term", "gradient subtracts the decay", "wrong", GOOD_PENALTY + """
def l2_gradient(grad, param, weight_decay):
    return grad - weight_decay * param
""", L2, names=("subtracts",)),
    Answer("l2_term", "gradient returns the decayed parameter", "wrong", GOOD_PENALTY + """
def l2_gradient(grad, param, weight_decay):
    return param - weight_decay * param
""", L2, names=("shrunk parameter",)),
    Answer("l2_term", "the gradient read off course_lib's SGD(weight_decay) step", "delegates",
           GOOD_PENALTY + """
def l2_gradient(grad, param, weight_decay):
    holder = Layer()
    holder.params["p"], holder.grads["p"] = param.astype(np.float64), grad.astype(np.float64)
    SGD(1.0, weight_decay=weight_decay).step(holder)
    return (param - holder.params["p"]).astype(param.dtype)
""", L2, names=("course_lib", "yourself")),

    # --- exercise 2: dropout --------------------------------------------------------------
    Answer("DropoutLayer", "mask / (1 - p) stored once, rng.random > p", "correct", """
class DropoutLayer(Layer):
    def __init__(self, p, rng):
        super().__init__()
        self.p, self.rng = p, rng

    def forward(self, x):
        if not self.training:
            self.scale = None
            return x
        self.scale = (self.rng.random(x.shape) > self.p) / (1 - self.p)
        return x * self.scale

    def backward(self, grad_out):
        return grad_out if self.scale is None else grad_out * self.scale
""", DROPOUT),
    Answer("DropoutLayer", "rng.binomial keep mask in x's dtype, extra counters", "correct", """
class DropoutLayer(Layer):
    def __init__(self, p, rng):
        super().__init__()
        self.p, self.rng = p, rng
        self.calls = 0
        self.mask = None

    def forward(self, x):
        self.calls += 1
        if self.training:
            self.mask = self.rng.binomial(1, 1 - self.p, size=x.shape).astype(x.dtype)
            return x * self.mask / x.dtype.type(1 - self.p)
        self.mask = None
        return x

    def backward(self, grad_out):
        if self.mask is None:
            return grad_out
        return grad_out * self.mask / grad_out.dtype.type(1 - self.p)
""", DROPOUT),
    Answer("DropoutLayer", "np.where with a boolean keep mask", "correct", """
class DropoutLayer(Layer):
    def __init__(self, p, rng):
        super().__init__()
        self.p, self.rng = p, rng

    def forward(self, x):
        self.keep = (self.rng.uniform(size=x.shape) >= self.p) if self.training else None
        if self.keep is None:
            return x.copy()
        return np.where(self.keep, x / (1 - self.p), 0.0).astype(x.dtype)

    def backward(self, grad_out):
        if self.keep is None:
            return grad_out.copy()
        return np.where(self.keep, grad_out / (1 - self.p), 0.0).astype(grad_out.dtype)
""", DROPOUT),
    Answer("DropoutLayer", "one mask row shared by the whole batch", "wrong", """
class DropoutLayer(Layer):
    def __init__(self, p, rng):
        super().__init__()
        self.p, self.rng = p, rng

    def forward(self, x):
        if not self.training:
            return x
        self.mask = (self.rng.random(x.shape[1:]) >= self.p) / (1 - self.p)
        return x * self.mask

    def backward(self, grad_out):
        return grad_out * self.mask if self.training else grad_out
""", DROPOUT, names=("same features", "every sample")),
    Answer("DropoutLayer", "one mask drawn once and reused on every call", "wrong", """
class DropoutLayer(Layer):
    def __init__(self, p, rng):
        super().__init__()
        self.p, self.rng = p, rng
        self.mask = None

    def forward(self, x):
        if not self.training:
            return x
        if self.mask is None or self.mask.shape != x.shape:
            self.mask = (self.rng.random(x.shape) >= self.p) / (1 - self.p)
        return x * self.mask

    def backward(self, grad_out):
        return grad_out * self.mask if self.training else grad_out
""", DROPOUT, names=("same mask", "every forward")),
    Answer("DropoutLayer", "drops in evaluation mode too (training flag ignored)", "wrong", """
class DropoutLayer(Layer):
    def __init__(self, p, rng):
        super().__init__()
        self.p, self.rng = p, rng

    def forward(self, x):
        self.mask = (self.rng.random(x.shape) >= self.p) / (1 - self.p)
        return x * self.mask

    def backward(self, grad_out):
        return grad_out * self.mask
""", DROPOUT, names=("evaluation mode", "self.training")),
    Answer("DropoutLayer", "evaluation mode divides by 1 - p again", "wrong", """
class DropoutLayer(Layer):
    def __init__(self, p, rng):
        super().__init__()
        self.p, self.rng = p, rng

    def forward(self, x):
        if self.training:
            self.mask = self.rng.random(x.shape) >= self.p
            return x * self.mask / (1 - self.p)
        return x / (1 - self.p)

    def backward(self, grad_out):
        if self.training:
            return grad_out * self.mask / (1 - self.p)
        return grad_out / (1 - self.p)
""", DROPOUT, names=("evaluation mode", "identity")),
    Answer("DropoutLayer", "mask from np.random, not self.rng", "wrong", """
class DropoutLayer(Layer):
    def __init__(self, p, rng):
        super().__init__()
        self.p, self.rng = p, rng

    def forward(self, x):
        if not self.training:
            return x
        self.mask = (np.random.rand(*x.shape) >= self.p) / (1 - self.p)
        return x * self.mask

    def backward(self, grad_out):
        return grad_out * self.mask if self.training else grad_out
""", DROPOUT, names=("self.rng",)),
    Answer("DropoutLayer", "backward draws a fresh mask", "wrong", """
class DropoutLayer(Layer):
    def __init__(self, p, rng):
        super().__init__()
        self.p, self.rng = p, rng

    def _mask(self, shape):
        return (self.rng.random(shape) >= self.p) / (1 - self.p)

    def forward(self, x):
        return x * self._mask(x.shape) if self.training else x

    def backward(self, grad_out):
        return grad_out * self._mask(grad_out.shape) if self.training else grad_out
""", DROPOUT, names=("new mask",)),
    Answer("DropoutLayer", "masks x in place", "wrong", """
class DropoutLayer(Layer):
    def __init__(self, p, rng):
        super().__init__()
        self.p, self.rng = p, rng

    def forward(self, x):
        if not self.training:
            return x
        self.mask = (self.rng.random(x.shape) >= self.p) / (1 - self.p)
        x *= self.mask.astype(x.dtype)
        return x

    def backward(self, grad_out):
        return grad_out * self.mask if self.training else grad_out
""", DROPOUT, names=("in place",)),
    Answer("DropoutLayer", "__init__ without super().__init__()", "wrong", """
class DropoutLayer(Layer):
    def __init__(self, p, rng):
        self.p, self.rng = p, rng

    def forward(self, x):
        if not self.training:
            return x
        self.mask = (self.rng.random(x.shape) >= self.p) / (1 - self.p)
        return x * self.mask

    def backward(self, grad_out):
        return grad_out * self.mask if self.training else grad_out
""", DROPOUT, names=("super().__init__()",)),
    Answer("DropoutLayer", "no 1/(1 - p) scaling in forward or backward", "wrong", """
class DropoutLayer(Layer):
    def __init__(self, p, rng):
        super().__init__()
        self.p, self.rng = p, rng

    def forward(self, x):
        if not self.training:
            return x
        self.mask = self.rng.random(x.shape) >= self.p
        return x * self.mask

    def backward(self, grad_out):
        return grad_out * self.mask if self.training else grad_out
""", DROPOUT, names=("1/(1 - p)",)),
    Answer("DropoutLayer", "subclass of course_lib's Dropout", "delegates", """
class DropoutLayer(Dropout):
    def __init__(self, p, rng):
        super().__init__(p, rng=rng)
""", DROPOUT, names=("inherits", "write it yourself")),
    Answer("DropoutLayer", "wraps a course_lib Dropout", "delegates", """
class DropoutLayer(Layer):
    def __init__(self, p, rng):
        super().__init__()
        self.inner = Dropout(p, rng=rng)

    def forward(self, x):
        self.inner.training = self.training
        return self.inner.forward(x)

    def backward(self, grad_out):
        return self.inner.backward(grad_out)
""", DROPOUT, names=("course_lib", "write it yourself")),

    # --- exercise 3: early stopping -------------------------------------------------------
    Answer("early_stopping_epochs", "a counter of epochs without improvement", "correct", """
def early_stopping_epochs(val_losses, patience):
    best_loss, best_epoch, waited = float("inf"), 0, 0
    for epoch, loss in enumerate(val_losses, start=1):
        if loss < best_loss:
            best_loss, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited == patience:
                return best_epoch, epoch
    return best_epoch, len(val_losses)
""", EARLY),
    Answer("early_stopping_epochs", "a while loop over indices, numpy ints", "correct", """
def early_stopping_epochs(val_losses, patience):
    losses = np.asarray(val_losses)
    i, best = 0, 0
    while i < len(losses):
        if losses[i] < losses[best]:
            best = i
        if i - best >= patience:
            break
        i += 1
    return np.int64(best + 1), np.int64(min(i + 1, len(losses)))
""", EARLY),
    Answer("early_stopping_epochs", "a tie counts as an improvement (<=)", "wrong", """
def early_stopping_epochs(val_losses, patience):
    best_loss, best_epoch = np.inf, 0
    for epoch, loss in enumerate(val_losses, 1):
        if loss <= best_loss:
            best_loss, best_epoch = loss, epoch
        if epoch - best_epoch >= patience:
            return best_epoch, epoch
    return best_epoch, len(val_losses)
""", EARLY, names=("equal", "strictly")),
    Answer("early_stopping_epochs", "best epoch as an index from 0", "wrong", """
def early_stopping_epochs(val_losses, patience):
    best = 0
    for i in range(len(val_losses)):
        if val_losses[i] < val_losses[best]:
            best = i
        if i - best >= patience:
            return best, i + 1
    return best, len(val_losses)
""", EARLY, names=("from 0",)),
    Answer("early_stopping_epochs", "patience counted with > (stops a step late)", "wrong", """
def early_stopping_epochs(val_losses, patience):
    best_loss, best_epoch, bad = np.inf, 0, 0
    for epoch, loss in enumerate(val_losses, 1):
        if loss < best_loss:
            best_loss, best_epoch, bad = loss, epoch, 0
        else:
            bad += 1
        if bad > patience:
            return best_epoch, epoch
    return best_epoch, len(val_losses)
""", EARLY, names=("one epoch late",)),
    Answer("early_stopping_epochs", "best epoch from argmin over every loss", "wrong", """
def early_stopping_epochs(val_losses, patience):
    best_epoch = int(np.argmin(val_losses)) + 1
    best_loss, since = np.inf, 0
    for epoch, loss in enumerate(val_losses, 1):
        if loss < best_loss:
            best_loss, since = loss, 0
        else:
            since += 1
        if since == patience:
            return best_epoch, epoch
    return best_epoch, len(val_losses)
""", EARLY, names=("every loss", "after the stop")),
    Answer("early_stopping_epochs", "improvement measured against the previous epoch", "wrong",
           """
def early_stopping_epochs(val_losses, patience):
    best_epoch, worse = 1, 0
    for epoch in range(2, len(val_losses) + 1):
        if val_losses[epoch - 1] < val_losses[epoch - 2]:
            best_epoch, worse = epoch, 0
        else:
            worse += 1
        if worse == patience:
            return best_epoch, epoch
    return best_epoch, len(val_losses)
""", EARLY, names=("previous epoch", "best so far")),
    Answer("early_stopping_epochs", "never stops: argmin and the last epoch", "wrong", """
def early_stopping_epochs(val_losses, patience):
    return int(np.argmin(val_losses)) + 1, len(val_losses)
""", EARLY, names=("never stops",)),

    # --- exercise 4: batch norm's backward ------------------------------------------------
    Answer("batchnorm_backward", "compact formula with sums and 1/N", "correct", """
def batchnorm_backward(grad_out, x, gamma, eps):
    N = x.shape[0]
    mu = x.mean(axis=0)
    inv = 1.0 / np.sqrt(((x - mu) ** 2).mean(axis=0) + eps)
    x_hat = (x - mu) * inv
    dgamma = np.sum(grad_out * x_hat, axis=0)
    dbeta = np.sum(grad_out, axis=0)
    dxh = grad_out * gamma
    dx = inv / N * (N * dxh - dxh.sum(axis=0) - x_hat * np.sum(dxh * x_hat, axis=0))
    return dx, dgamma, dbeta
""", BN),
    Answer("batchnorm_backward", "node by node: dvar, dmu, the three paths", "correct", """
def batchnorm_backward(grad_out, x, gamma, eps):
    N = len(x)
    mu = np.mean(x, axis=0)
    xc = x - mu
    var = np.mean(xc ** 2, axis=0)
    std = np.sqrt(var + eps)
    x_hat = xc / std
    dbeta = grad_out.sum(0)
    dgamma = (grad_out * x_hat).sum(0)
    dx_hat = grad_out * gamma
    dvar = np.sum(dx_hat * xc, axis=0) * -0.5 * std ** -3
    dmu = -np.sum(dx_hat / std, axis=0) + dvar * np.mean(-2 * xc, axis=0)
    dx = dx_hat / std + dvar * 2 * xc / N + dmu / N
    return dx, dgamma, dbeta
""", BN),
    Answer("batchnorm_backward", "einsum over the batch, float32 kept", "correct", """
def batchnorm_backward(grad_out, x, gamma, eps):
    n = x.shape[0]
    xc = x - x.mean(0, keepdims=True)
    inv = (np.einsum("nd,nd->d", xc, xc) / n + eps) ** -0.5
    x_hat = xc * inv
    dgamma = np.einsum("nd,nd->d", grad_out, x_hat)
    dbeta = np.einsum("nd->d", grad_out)
    dx = gamma * inv * (grad_out - dbeta / n - x_hat * dgamma / n)
    return dx.astype(x.dtype), dgamma.astype(x.dtype), dbeta.astype(x.dtype)
""", BN),
    Answer("batchnorm_backward", "unbiased variance (ddof=1)", "wrong", """
def batchnorm_backward(grad_out, x, gamma, eps):
    N = x.shape[0]
    mu = x.mean(axis=0)
    inv = 1 / np.sqrt(x.var(axis=0, ddof=1) + eps)
    x_hat = (x - mu) * inv
    dxh = grad_out * gamma
    dx = inv / N * (N * dxh - dxh.sum(0) - x_hat * (dxh * x_hat).sum(0))
    return dx, (grad_out * x_hat).sum(0), grad_out.sum(0)
""", BN, names=("unbiased",)),
    Answer("batchnorm_backward", "statistics treated as constants (evaluation formula)", "wrong",
           """
def batchnorm_backward(grad_out, x, gamma, eps):
    inv = 1 / np.sqrt(x.var(0) + eps)
    x_hat = (x - x.mean(0)) * inv
    return grad_out * gamma * inv, (grad_out * x_hat).sum(0), grad_out.sum(0)
""", BN, names=("constants",)),
    Answer("batchnorm_backward", "means over the features (axis=1)", "wrong", """
def batchnorm_backward(grad_out, x, gamma, eps):
    inv = 1 / np.sqrt(x.var(0) + eps)
    x_hat = (x - x.mean(0)) * inv
    dxh = grad_out * gamma
    dx = inv * (dxh - dxh.mean(axis=1, keepdims=True)
                - x_hat * (dxh * x_hat).mean(axis=1, keepdims=True))
    return dx, (grad_out * x_hat).sum(0), grad_out.sum(0)
""", BN, names=("axis",)),
    Answer("batchnorm_backward", "the compact formula without its 1/N", "wrong", """
def batchnorm_backward(grad_out, x, gamma, eps):
    N = x.shape[0]
    inv = 1 / np.sqrt(x.var(0) + eps)
    x_hat = (x - x.mean(0)) * inv
    dxh = grad_out * gamma
    dx = inv * (N * dxh - dxh.sum(0) - x_hat * (dxh * x_hat).sum(0))
    return dx, (grad_out * x_hat).sum(0), grad_out.sum(0)
""", BN, names=("1/N",)),
    Answer("batchnorm_backward", "eps added outside the square root", "wrong", """
def batchnorm_backward(grad_out, x, gamma, eps):
    inv = 1 / (x.std(0) + eps)
    x_hat = (x - x.mean(0)) * inv
    dxh = grad_out * gamma
    dx = inv * (dxh - dxh.mean(0) - x_hat * (dxh * x_hat).mean(0))
    return dx, (grad_out * x_hat).sum(0), grad_out.sum(0)
""", BN, names=("eps", "sqrt(var + eps)")),
    Answer("batchnorm_backward", "dbeta and dgamma as means", "wrong", """
def batchnorm_backward(grad_out, x, gamma, eps):
    inv = 1 / np.sqrt(x.var(0) + eps)
    x_hat = (x - x.mean(0)) * inv
    dxh = grad_out * gamma
    dx = inv * (dxh - dxh.mean(0) - x_hat * (dxh * x_hat).mean(0))
    return dx, (grad_out * x_hat).mean(0), grad_out.mean(0)
""", BN, names=("mean over the batch",)),
    Answer("batchnorm_backward", "centres x in place", "wrong", """
def batchnorm_backward(grad_out, x, gamma, eps):
    x -= x.mean(axis=0)
    inv = 1 / np.sqrt((x ** 2).mean(0) + eps)
    x_hat = x * inv
    dxh = grad_out * gamma
    dx = inv * (dxh - dxh.mean(0) - x_hat * (dxh * x_hat).mean(0))
    return dx, (grad_out * x_hat).sum(0), grad_out.sum(0)
""", BN, names=("in place", "x")),
    Answer("batchnorm_backward", "runs course_lib's BatchNorm", "delegates", """
def batchnorm_backward(grad_out, x, gamma, eps):
    bn = BatchNorm(x.shape[1], eps=eps, dtype=x.dtype)
    bn.params["gamma"] = gamma.copy()
    bn.forward(x)
    dx = bn.backward(grad_out)
    return dx, bn.grads["gamma"], bn.grads["beta"]
""", BN, names=("course_lib", "write it yourself")),
]
