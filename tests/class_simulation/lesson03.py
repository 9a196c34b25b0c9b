"""Simulated class, lesson 03 (MLPs): mlp_backward, build_digits_model, MomentumOptimizer,
AdamOptimizer."""

from class_simulation.answer import Answer

SETUP = """
import time

import numpy as np
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from tqdm.auto import tqdm

from course_lib.data import load_boston, load_digits, load_iris, one_hot
from course_lib.layers import Dense, Identity, ReLU, Sigmoid, Tanh, sigmoid, softmax
from course_lib.losses import MSELoss, SoftmaxCrossEntropyLoss
from course_lib.model import Sequential
from course_lib.optim import SGD, Adam
from course_lib.train import accuracy, fit
from course_lib import checks, plots
"""

MLP = "checks.check_mlp_backward(mlp_backward)"
BUILD = "checks.check_build_digits_model(build_digits_model)"
MOM = "checks.check_momentum(MomentumOptimizer)"
ADAM = "checks.check_adam(AdamOptimizer)"

MLP_FORWARD = """
def mlp_backward(X, y, W1, b1, W2, b2):
    N = X.shape[0]
    h = np.tanh(X @ W1 + b1)
    z = h @ W2 + b2
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    t = np.zeros_like(p)
    t[np.arange(N), y] = 1
"""

MOM_HEAD = """
class MomentumOptimizer:
    def __init__(self, lr, momentum=0.9):
        self.lr, self.momentum = lr, momentum
        self.velocity = {}
"""

ADAM_HEAD = """
class AdamOptimizer:
    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.t = 0
        self.m, self.v = {}, {}
"""


def adam_step(body: str) -> str:
    """An AdamOptimizer whose step loops over the params and runs ``body`` (indented 16)."""
    return ADAM_HEAD + """
    def step(self, model):
        self.t += 1
        for i, layer in enumerate(model.layers):
            for name, p in layer.params.items():
                g = layer.grads[name]
                key = (i, name)
                if key not in self.m:
                    self.m[key] = np.zeros_like(p)
                    self.v[key] = np.zeros_like(p)
""" + body


ANSWERS = [
    # ==== exercise 1: mlp_backward ======================================================
    Answer("mlp_backward", "one-hot by fancy indexing, sums for the biases", "correct",
           MLP_FORWARD + """
    dz = (p - t) / N
    da = (dz @ W2.T) * (1 - h ** 2)
    return X.T @ da, da.sum(0), h.T @ dz, dz.sum(0)
""", MLP),
    Answer("mlp_backward", "einsum everywhere, a list", "correct", """
def mlp_backward(X, y, W1, b1, W2, b2):
    h = np.tanh(np.einsum("nd,dh->nh", X, W1) + b1)
    dz = softmax(np.einsum("nh,hk->nk", h, W2) + b2) - one_hot(y, W2.shape[1])
    dz = dz / len(y)
    da = np.einsum("nk,hk->nh", dz, W2) * (1 - h * h)
    return [np.einsum("nd,nh->dh", X, da), np.einsum("nh->h", da),
            np.einsum("nh,nk->hk", h, dz), np.einsum("nk->k", dz)]
""", MLP),
    Answer("mlp_backward", "a loop over the samples, float32", "correct", """
def mlp_backward(X, y, W1, b1, W2, b2):
    X, W1, b1, W2, b2 = (a.astype(np.float32) for a in (X, W1, b1, W2, b2))
    grads = [np.zeros_like(W1), np.zeros_like(b1), np.zeros_like(W2), np.zeros_like(b2)]
    N = len(X)
    for n in range(N):
        h = np.tanh(X[n] @ W1 + b1)
        z = h @ W2 + b2
        p = np.exp(z - z.max())
        p = p / p.sum()
        p[y[n]] -= 1
        dz = p / N
        da = (W2 @ dz) * (1 - h ** 2)
        grads[0] += np.outer(X[n], da)
        grads[1] += da
        grads[2] += np.outer(h, dz)
        grads[3] += dz
    return tuple(grads)
""", MLP),
    Answer("mlp_backward", "W2 not transposed on the way back", "wrong", MLP_FORWARD + """
    dz = (p - t) / N
    da = (dz @ W2) * (1 - h ** 2)
    return X.T @ da, da.sum(0), h.T @ dz, dz.sum(0)
""", MLP, names=("transpose",)),
    Answer("mlp_backward", "sigmoid's derivative h * (1 - h)", "wrong", MLP_FORWARD + """
    dz = (p - t) / N
    da = (dz @ W2.T) * h * (1 - h)
    return X.T @ da, da.sum(0), h.T @ dz, dz.sum(0)
""", MLP, names=("sigmoid",)),
    Answer("mlp_backward", "the 1/N forgotten", "wrong", MLP_FORWARD + """
    dz = p - t
    da = (dz @ W2.T) * (1 - h ** 2)
    return X.T @ da, da.sum(0), h.T @ dz, dz.sum(0)
""", MLP, names=("N = 6 times too large", "divide by N")),
    Answer("mlp_backward", "bias gradients as a mean (1/N twice)", "wrong", MLP_FORWARD + """
    dz = (p - t) / N
    da = (dz @ W2.T) * (1 - h ** 2)
    return X.T @ da, da.mean(0), h.T @ dz, dz.mean(0)
""", MLP, names=("mean",)),
    Answer("mlp_backward", "dW2 transposed (dz.T @ h)", "wrong", """
def mlp_backward(X, y, W1, b1, W2, b2):
    N = len(X)
    h = np.tanh(X @ W1 + b1)
    dz = (softmax(h @ W2 + b2) - one_hot(y, W2.shape[1])) / N
    da = (dz @ W2.T) * (1 - h ** 2)
    return X.T @ da, da.sum(0), dz.T @ h, dz.sum(0)
""", MLP, names=("transpose",)),
    Answer("mlp_backward", "derivative at the pre-activation: 1 - a**2", "wrong", """
def mlp_backward(X, y, W1, b1, W2, b2):
    N = len(X)
    a = X @ W1 + b1
    h = np.tanh(a)
    dz = (softmax(h @ W2 + b2) - one_hot(y, W2.shape[1])) / N
    da = (dz @ W2.T) * (1 - a ** 2)
    return X.T @ da, da.sum(0), h.T @ dz, dz.sum(0)
""", MLP, names=("pre-activation",)),
    Answer("mlp_backward", "sign flipped: t - p", "wrong", MLP_FORWARD + """
    dz = (t - p) / N
    da = (dz @ W2.T) * (1 - h ** 2)
    return X.T @ da, da.sum(0), h.T @ dz, dz.sum(0)
""", MLP, names=("sign",)),
    Answer("mlp_backward", "course_lib's Dense, Tanh and loss do the backward", "delegates", """
def mlp_backward(X, y, W1, b1, W2, b2):
    first, second = Dense(*W1.shape), Dense(*W2.shape)
    first.params["W"][...] = W1
    first.params["b"][...] = b1
    second.params["W"][...] = W2
    second.params["b"][...] = b2
    model = Sequential([first, Tanh(), second])
    loss = SoftmaxCrossEntropyLoss()
    loss.forward(model.forward(X), y)
    model.backward(loss.backward())
    return first.grads["W"], first.grads["b"], second.grads["W"], second.grads["b"]
""", MLP, names=("write it yourself",)),

    # ==== exercise 2: build_digits_model ================================================
    Answer("build_digits_model", "one generator, keyword arguments", "correct", """
def build_digits_model(seed=0):
    gen = np.random.default_rng(seed)
    return Sequential([Dense(n_in=64, n_out=89, init="glorot", rng=gen), Tanh(),
                       Dense(n_in=89, n_out=10, init="glorot", rng=gen)])
""", BUILD),
    Answer("build_digits_model", "a loop over the sizes, layers appended", "correct", """
def build_digits_model(seed=0):
    rng = np.random.default_rng(seed)
    sizes = [64, 89, 10]
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [Dense(n_in, n_out, init="glorot", rng=rng), Tanh()]
    return Sequential(layers[:-1])
""", BUILD),
    Answer("build_digits_model", "each layer seeded on its own", "wrong", """
def build_digits_model(seed=0):
    return Sequential([Dense(64, 89, init="glorot", rng=seed), Tanh(),
                       Dense(89, 10, init="glorot", rng=seed)])
""", BUILD, names=("generator of its own", "same seed")),
    Answer("build_digits_model", "a Softmax at the end", "wrong", """
from course_lib.layers import Softmax

def build_digits_model(seed=0):
    rng = np.random.default_rng(seed)
    return Sequential([Dense(64, 89, init="glorot", rng=rng), Tanh(),
                       Dense(89, 10, init="glorot", rng=rng), Softmax()])
""", BUILD, names=("softmax",)),
    Answer("build_digits_model", "default He init", "wrong", """
def build_digits_model(seed=0):
    rng = np.random.default_rng(seed)
    return Sequential([Dense(64, 89, rng=rng), Tanh(), Dense(89, 10, rng=rng)])
""", BUILD, names=("glorot",)),
    Answer("build_digits_model", "n_in and n_out swapped in the second layer", "wrong", """
def build_digits_model(seed=0):
    rng = np.random.default_rng(seed)
    return Sequential([Dense(64, 89, init="glorot", rng=rng), Tanh(),
                       Dense(10, 89, init="glorot", rng=rng)])
""", BUILD, names=("swapped",)),
    Answer("build_digits_model", "a generator shared across calls (module level)", "wrong", """
shared_rng = np.random.default_rng(0)

def build_digits_model(seed=0):
    return Sequential([Dense(64, 89, init="glorot", rng=shared_rng), Tanh(),
                       Dense(89, 10, init="glorot", rng=shared_rng)])
""", BUILD, names=("seed",)),
    Answer("build_digits_model", "ReLU instead of Tanh", "wrong", """
def build_digits_model(seed=0):
    rng = np.random.default_rng(seed)
    return Sequential([Dense(64, 89, init="glorot", rng=rng), ReLU(),
                       Dense(89, 10, init="glorot", rng=rng)])
""", BUILD, names=("tanh",)),
    Answer("build_digits_model", "the model returned, not the function", "wrong", """
def make(seed=0):
    rng = np.random.default_rng(seed)
    return Sequential([Dense(64, 89, init="glorot", rng=rng), Tanh(),
                       Dense(89, 10, init="glorot", rng=rng)])

build_digits_model = make(0)
""", BUILD, names=("function",)),

    # ==== exercise 3: MomentumOptimizer =================================================
    Answer("MomentumOptimizer", "velocity keyed by (i, name), setdefault", "correct", MOM_HEAD + """
    def step(self, model):
        for i, layer in enumerate(model.layers):
            for name, p in layer.params.items():
                v = self.velocity.setdefault((i, name), np.zeros_like(p))
                v *= self.momentum
                v -= self.lr * layer.grads[name]
                p += v
""", MOM),
    Answer("MomentumOptimizer", "keyed by id(p), v = mu v + g, p -= lr v", "correct", MOM_HEAD + """
    def step(self, model):
        for layer in model.layers:
            for name in layer.params:
                p, g = layer.params[name], layer.grads[name]
                v = self.momentum * self.velocity.get(id(p), 0.0) + g
                self.velocity[id(p)] = v
                p -= self.lr * v
""", MOM),
    Answer("MomentumOptimizer", "velocity not stored back (plain SGD)", "wrong", MOM_HEAD + """
    def step(self, model):
        for i, layer in enumerate(model.layers):
            for name, p in layer.params.items():
                v = self.velocity.get((i, name), np.zeros_like(p))
                v = self.momentum * v - self.lr * layer.grads[name]
                p += v
""", MOM, names=("starts from zero at every step", "plain SGD")),
    Answer("MomentumOptimizer", "one velocity per layer name, shared by both Dense layers",
           "wrong", MOM_HEAD + """
    def step(self, model):
        for layer in model.layers:
            for name, p in layer.params.items():
                if name not in self.velocity:
                    self.velocity[name] = np.zeros_like(p)
                v = self.momentum * self.velocity[name] - self.lr * layer.grads[name]
                self.velocity[name] = v
                p += v
""", MOM, names=("shared",)),
    Answer("MomentumOptimizer", "(1 - momentum) damping", "wrong", MOM_HEAD + """
    def step(self, model):
        for i, layer in enumerate(model.layers):
            for name, p in layer.params.items():
                v = self.velocity.get((i, name), np.zeros_like(p))
                v = self.momentum * v - (1 - self.momentum) * self.lr * layer.grads[name]
                self.velocity[(i, name)] = v
                p += v
""", MOM, names=("1 - momentum",)),
    Answer("MomentumOptimizer", "p = p + v rebinds", "wrong", MOM_HEAD + """
    def step(self, model):
        for i, layer in enumerate(model.layers):
            for name, p in layer.params.items():
                v = self.momentum * self.velocity.get((i, name), 0) - self.lr * layer.grads[name]
                self.velocity[(i, name)] = v
                p = p + v
""", MOM, names=("in place",)),
    Answer("MomentumOptimizer", "step uphill: v = mu v + lr g; p += v", "wrong", MOM_HEAD + """
    def step(self, model):
        for i, layer in enumerate(model.layers):
            for name, p in layer.params.items():
                v = self.momentum * self.velocity.get((i, name), 0) + self.lr * layer.grads[name]
                self.velocity[(i, name)] = v
                p += v
""", MOM, names=("uphill",)),
    Answer("MomentumOptimizer", "wraps course_lib's SGD with momentum", "delegates", MOM_HEAD + """
    def step(self, model):
        if not hasattr(self, "inner"):
            self.inner = SGD(self.lr, momentum=self.momentum)
        self.inner.step(model)
""", MOM, names=("write it yourself",)),

    # ==== exercise 4: AdamOptimizer =====================================================
    Answer("AdamOptimizer", "moments updated in place", "correct", adam_step("""
                m, v = self.m[key], self.v[key]
                m *= self.beta1
                m += (1 - self.beta1) * g
                v *= self.beta2
                v += (1 - self.beta2) * g * g
                m_hat = m / (1 - self.beta1 ** self.t)
                v_hat = v / (1 - self.beta2 ** self.t)
                p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
"""), ADAM),
    Answer("AdamOptimizer", "state by id(p), corrections computed once per step", "correct", """
class AdamOptimizer:
    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.t = 0
        self.m, self.v = {}, {}

    def step(self, model):
        self.t += 1
        c1, c2 = 1 - self.beta1 ** self.t, 1 - self.beta2 ** self.t
        for layer in model.layers:
            for name in layer.params:
                p, g = layer.params[name], layer.grads[name]
                k = id(p)
                self.m[k] = self.beta1 * self.m.get(k, 0) + (1 - self.beta1) * g
                self.v[k] = self.beta2 * self.v.get(k, 0) + (1 - self.beta2) * np.square(g)
                np.subtract(p, self.lr * (self.m[k] / c1) / (np.sqrt(self.v[k] / c2) + self.eps),
                            out=p)
""", ADAM),
    Answer("AdamOptimizer", "no bias correction", "wrong", adam_step("""
                self.m[key] = self.beta1 * self.m[key] + (1 - self.beta1) * g
                self.v[key] = self.beta2 * self.v[key] + (1 - self.beta2) * g ** 2
                p -= self.lr * self.m[key] / (np.sqrt(self.v[key]) + self.eps)
"""), ADAM, names=("bias correction",)),
    Answer("AdamOptimizer", "eps inside the square root", "wrong", adam_step("""
                self.m[key] = self.beta1 * self.m[key] + (1 - self.beta1) * g
                self.v[key] = self.beta2 * self.v[key] + (1 - self.beta2) * g ** 2
                m_hat = self.m[key] / (1 - self.beta1 ** self.t)
                v_hat = self.v[key] / (1 - self.beta2 ** self.t)
                p -= self.lr * m_hat / np.sqrt(v_hat + self.eps)
"""), ADAM, names=("eps", "square root")),
    Answer("AdamOptimizer", "t counted per parameter", "wrong", ADAM_HEAD + """
    def step(self, model):
        for i, layer in enumerate(model.layers):
            for name, p in layer.params.items():
                g = layer.grads[name]
                key = (i, name)
                self.t += 1
                self.m[key] = self.beta1 * self.m.get(key, 0) + (1 - self.beta1) * g
                self.v[key] = self.beta2 * self.v.get(key, 0) + (1 - self.beta2) * g ** 2
                m_hat = self.m[key] / (1 - self.beta1 ** self.t)
                v_hat = self.v[key] / (1 - self.beta2 ** self.t)
                p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
""", ADAM, names=("per parameter",)),
    Answer("AdamOptimizer", "v with g instead of g**2", "wrong", adam_step("""
                self.m[key] = self.beta1 * self.m[key] + (1 - self.beta1) * g
                self.v[key] = self.beta2 * self.v[key] + (1 - self.beta2) * np.abs(g)
                m_hat = self.m[key] / (1 - self.beta1 ** self.t)
                v_hat = self.v[key] / (1 - self.beta2 ** self.t)
                p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
"""), ADAM, names=("|g| instead of g**2",)),
    Answer("AdamOptimizer", "beta and 1 - beta swapped", "wrong", adam_step("""
                self.m[key] = (1 - self.beta1) * self.m[key] + self.beta1 * g
                self.v[key] = (1 - self.beta2) * self.v[key] + self.beta2 * g ** 2
                m_hat = self.m[key] / (1 - self.beta1 ** self.t)
                v_hat = self.v[key] / (1 - self.beta2 ** self.t)
                p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
"""), ADAM, names=("swapped",)),
    Answer("AdamOptimizer", "gradient squared in place", "wrong", adam_step("""
                self.m[key] = self.beta1 * self.m[key] + (1 - self.beta1) * g
                g **= 2
                self.v[key] = self.beta2 * self.v[key] + (1 - self.beta2) * g
                m_hat = self.m[key] / (1 - self.beta1 ** self.t)
                v_hat = self.v[key] / (1 - self.beta2 ** self.t)
                p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
"""), ADAM, names=("in place",)),
    Answer("AdamOptimizer", "subclasses course_lib's Adam", "delegates", """
class AdamOptimizer(Adam):
    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(lr, beta1, beta2, eps)
""", ADAM, names=("write it yourself",)),
]
