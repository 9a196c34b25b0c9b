"""Simulated class, lesson 01 (layers forward and backward): MatMul, BiasAdd, Sigmoid, Tanh,
ReLU backward, LeakyReLU's Jacobian and layer, softmax + cross-entropy."""

from class_simulation.answer import Answer

SETUP = """
import numpy as np
import matplotlib.pyplot as plt
from sklearn.model_selection import train_test_split

from course_lib.layers import (Layer, MatMul, BiasAdd, Dense, Identity, Sigmoid, Tanh, ReLU,
                               Softmax, softmax)
from course_lib.losses import Loss, MSELoss, CrossEntropyLoss, SoftmaxCrossEntropyLoss
from course_lib.gradcheck import numerical_gradient, relative_error, check_layer, check_loss
from course_lib import checks, plots
from course_lib.data import load_digits
from course_lib.initializers import initialize
from course_lib.model import Sequential
from course_lib.optim import SGD
from course_lib.train import accuracy, fit
"""

MATMUL_HEAD = """
class MyMatMul(Layer):
    def __init__(self, W):
        super().__init__()
        self.params["W"] = W

    def forward(self, x):
        self.x = x
        return x @ self.params["W"]
"""
MATMUL = "checks.check_matmul(MyMatMul)"

BIAS_HEAD = """
class MyBiasAdd(Layer):
    def __init__(self, b):
        super().__init__()
        self.params["b"] = b

    def forward(self, x):
        return x + self.params["b"]
"""
BIAS = "checks.check_bias_add(MyBiasAdd)"
SIGMOID = "checks.check_sigmoid(MySigmoid)"
TANH = "checks.check_tanh(MyTanh)"
RELU = "checks.check_relu(MyReLU)"
JACOBIAN = "checks.check_leaky_relu_jacobian(leaky_relu_jacobian)"
LEAKY = "checks.check_leaky_relu(LeakyReLU)"
LEAKY_HEAD = """
class LeakyReLU(Layer):
    def __init__(self, alpha=0.01):
        super().__init__()
        self.alpha = alpha
"""
SCE = "checks.check_softmax_cross_entropy(MySoftmaxCrossEntropy)"
SCE_HEAD = """
class MySoftmaxCrossEntropy(Loss):
    is_classification = True
"""

ANSWERS = [
    # ==== exercise 1: MyMatMul ==========================================================
    Answer("MyMatMul", "np.dot and .T attributes", "correct", MATMUL_HEAD + """
    def backward(self, grad_out):
        self.grads["W"] = np.dot(self.x.T, grad_out)
        return np.dot(grad_out, self.params["W"].T)
""", MATMUL),
    Answer("MyMatMul", "np.matmul with swapaxes, a copy of W kept in forward", "correct", """
class MyMatMul(Layer):
    def __init__(self, W):
        super().__init__()
        self.params["W"] = W

    def forward(self, x):
        self.x = x.copy()
        return np.matmul(x, self.params["W"])

    def backward(self, grad_out):
        W = self.params["W"]
        self.grads["W"] = np.matmul(np.swapaxes(self.x, 0, 1), grad_out)
        return np.matmul(grad_out, np.swapaxes(W, 0, 1))
""", MATMUL),
    Answer("MyMatMul", "sum of outer products over the batch", "correct", MATMUL_HEAD + """
    def backward(self, grad_out):
        dW = np.zeros_like(self.params["W"], dtype=float)
        for n in range(len(self.x)):
            dW += np.outer(self.x[n], grad_out[n])
        self.grads["W"] = dW
        return grad_out @ self.params["W"].T
""", MATMUL),
    Answer("MyMatMul", "W not transposed for dx", "wrong", MATMUL_HEAD + """
    def backward(self, grad_out):
        self.grads["W"] = self.x.T @ grad_out
        return grad_out @ self.params["W"]
""", MATMUL, names=("transposed",)),
    Answer("MyMatMul", "dW transposed (grad_out.T @ x)", "wrong", MATMUL_HEAD + """
    def backward(self, grad_out):
        self.grads["W"] = grad_out.T @ self.x
        return grad_out @ self.params["W"].T
""", MATMUL, names=("transposed",)),
    Answer("MyMatMul", "dW averaged over the batch", "wrong", MATMUL_HEAD + """
    def backward(self, grad_out):
        self.grads["W"] = self.x.T @ grad_out / len(self.x)
        return grad_out @ self.params["W"].T
""", MATMUL, names=("1/N",)),
    Answer("MyMatMul", "accumulates dW with +=", "wrong", MATMUL_HEAD + """
    def backward(self, grad_out):
        if "W" not in self.grads:
            self.grads["W"] = np.zeros_like(self.params["W"])
        self.grads["W"] += self.x.T @ grad_out
        return grad_out @ self.params["W"].T
""", MATMUL, names=("sum of both calls", "+=")),
    Answer("MyMatMul", "gradient stored in self.dW", "wrong", MATMUL_HEAD + """
    def backward(self, grad_out):
        self.dW = self.x.T @ grad_out
        return grad_out @ self.params["W"].T
""", MATMUL, names=("self.dW", "self.grads['W']")),
    Answer("MyMatMul", "no super().__init__(), params made by hand", "wrong", """
class MyMatMul(Layer):
    def __init__(self, W):
        self.W = W

    def forward(self, x):
        self.x = x
        return x @ self.W

    def backward(self, grad_out):
        self.dW = self.x.T @ grad_out
        return grad_out @ self.W.T
""", MATMUL, names=("super().__init__()",)),
    Answer("MyMatMul", "subclasses course_lib's MatMul", "delegates", """
from course_lib.layers import MatMul

class MyMatMul(MatMul):
    pass
""", MATMUL, names=("write it yourself",)),
    Answer("MyMatMul", "backward calls MatMul's backward", "delegates", MATMUL_HEAD + """
    def backward(self, grad_out):
        helper = MatMul(self.params["W"])
        helper.forward(self.x)
        dx = helper.backward(grad_out)
        self.grads["W"] = helper.grads["W"]
        return dx
""", MATMUL, names=("write it yourself",)),

    # ==== exercise 2: MyBiasAdd =========================================================
    Answer("MyBiasAdd", "np.sum(axis=0), grad_out returned as is", "correct", BIAS_HEAD + """
    def backward(self, grad_out):
        self.grads["b"] = np.sum(grad_out, axis=0)
        return grad_out
""", BIAS),
    Answer("MyBiasAdd", "ones-vector product, a copy returned", "correct", BIAS_HEAD + """
    def backward(self, grad_out):
        self.grads["b"] = np.ones(grad_out.shape[0]) @ grad_out
        return grad_out.copy()
""", BIAS),
    Answer("MyBiasAdd", "einsum", "correct", BIAS_HEAD + """
    def backward(self, grad_out):
        self.grads["b"] = np.einsum("nk->k", grad_out)
        return 1.0 * grad_out
""", BIAS),
    Answer("MyBiasAdd", "db summed over axis 1", "wrong", BIAS_HEAD + """
    def backward(self, grad_out):
        self.grads["b"] = grad_out.sum(axis=1)
        return grad_out
""", BIAS, names=("axis",)),
    Answer("MyBiasAdd", "db as the mean over the batch", "wrong", BIAS_HEAD + """
    def backward(self, grad_out):
        self.grads["b"] = grad_out.mean(axis=0)
        return grad_out
""", BIAS, names=("1/N",)),
    Answer("MyBiasAdd", "db with keepdims", "wrong", BIAS_HEAD + """
    def backward(self, grad_out):
        self.grads["b"] = grad_out.sum(axis=0, keepdims=True)
        return grad_out
""", BIAS, names=("keepdims",)),
    Answer("MyBiasAdd", "db returned instead of dx", "wrong", BIAS_HEAD + """
    def backward(self, grad_out):
        self.grads["b"] = grad_out.sum(axis=0)
        return self.grads["b"]
""", BIAS, names=("dL/dx",)),
    Answer("MyBiasAdd", "db unsummed (grad_out itself)", "wrong", BIAS_HEAD + """
    def backward(self, grad_out):
        self.grads["b"] = grad_out
        return grad_out
""", BIAS, names=("sum",)),
    Answer("MyBiasAdd", "inherits from BiasAdd", "delegates", """
class MyBiasAdd(BiasAdd):
    def __init__(self, b):
        super().__init__(b)
""", BIAS, names=("write it yourself",)),

    # ==== exercise 3: MySigmoid =========================================================
    Answer("MySigmoid", "tanh identity for forward, output cached", "correct", """
class MySigmoid(Layer):
    def forward(self, x):
        self.out = 0.5 * (1 + np.tanh(0.5 * x))
        return self.out

    def backward(self, grad_out):
        return grad_out * self.out * (1 - self.out)
""", SIGMOID),
    Answer("MySigmoid", "input cached, slope recomputed from x with np.exp(-x)", "correct", """
class MySigmoid(Layer):
    def forward(self, x):
        self.x = x
        return 1 / (1 + np.exp(-x))

    def backward(self, grad_out):
        s = 1 / (1 + np.exp(-self.x))
        return grad_out * (s - s ** 2)
""", SIGMOID),
    Answer("MySigmoid", "float32 everywhere", "correct", """
class MySigmoid(Layer):
    def forward(self, x):
        x = x.astype(np.float32)
        self.y = np.float32(1) / (np.float32(1) + np.exp(-x))
        return self.y

    def backward(self, grad_out):
        return (grad_out * self.y * (1 - self.y)).astype(np.float32)
""", SIGMOID),
    Answer("MySigmoid", "extra attributes in an __init__ that calls super().__init__()",
           "correct", """
class MySigmoid(Layer):
    def __init__(self, name="sigmoid"):
        super().__init__()
        self.name, self.calls = name, 0

    def forward(self, x):
        self.calls += 1
        self.y = np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))),
                          np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))
        return self.y

    def backward(self, grad_out):
        return np.multiply(grad_out, self.y * (1.0 - self.y))
""", SIGMOID),
    Answer("MySigmoid", "slope at the input: x * (1 - x)", "wrong", """
class MySigmoid(Layer):
    def forward(self, x):
        self.x = x
        return 1 / (1 + np.exp(-x))

    def backward(self, grad_out):
        return grad_out * self.x * (1 - self.x)
""", SIGMOID, names=("input",)),
    Answer("MySigmoid", "sign flipped: exp(x)", "wrong", """
class MySigmoid(Layer):
    def forward(self, x):
        self.y = 1 / (1 + np.exp(x))
        return self.y

    def backward(self, grad_out):
        return grad_out * self.y * (1 - self.y)
""", SIGMOID, names=("sigmoid(-x)",)),
    Answer("MySigmoid", "local slope only, grad_out forgotten", "wrong", """
class MySigmoid(Layer):
    def forward(self, x):
        self.y = 1 / (1 + np.exp(-x))
        return self.y

    def backward(self, grad_out):
        return self.y * (1 - self.y)
""", SIGMOID, names=("grad_out",)),
    Answer("MySigmoid", "in-place forward (x overwritten)", "wrong", """
class MySigmoid(Layer):
    def forward(self, x):
        np.negative(x, out=x)
        np.exp(x, out=x)
        x += 1
        np.reciprocal(x, out=x)
        self.y = x
        return x

    def backward(self, grad_out):
        return grad_out * self.y * (1 - self.y)
""", SIGMOID, names=("in place",)),
    Answer("MySigmoid", "sigmoid applied again to the cached output", "wrong", """
class MySigmoid(Layer):
    def forward(self, x):
        self.y = 1 / (1 + np.exp(-x))
        return self.y

    def backward(self, grad_out):
        s = 1 / (1 + np.exp(-self.y))
        return grad_out * s * (1 - s)
""", SIGMOID, names=("again",)),
    Answer("MySigmoid", "no super().__init__() in an __init__ with a flag", "wrong", """
class MySigmoid(Layer):
    def __init__(self):
        self.y = None

    def forward(self, x):
        self.y = 1 / (1 + np.exp(-x))
        return self.y

    def backward(self, grad_out):
        return grad_out * self.y * (1 - self.y)
""", SIGMOID, names=("super().__init__()",)),
    Answer("MySigmoid", "class MySigmoid(Sigmoid): pass", "delegates", """
from course_lib.layers import Sigmoid

class MySigmoid(Sigmoid):
    pass
""", SIGMOID, names=("write it yourself",)),
    Answer("MySigmoid", "wraps a course_lib Sigmoid", "delegates", """
class MySigmoid(Layer):
    def __init__(self):
        super().__init__()
        self.inner = Sigmoid()

    def forward(self, x):
        return self.inner.forward(x)

    def backward(self, grad_out):
        return self.inner.backward(grad_out)
""", SIGMOID, names=("write it yourself",)),

    # ==== exercise 4: MyTanh ============================================================
    Answer("MyTanh", "exp formula, 1 - y*y", "correct", """
class MyTanh(Layer):
    def forward(self, x):
        e2 = np.exp(-2 * np.abs(x))
        self.y = np.sign(x) * (1 - e2) / (1 + e2)
        return self.y

    def backward(self, grad_out):
        return grad_out * (1 - self.y * self.y)
""", TANH),
    Answer("MyTanh", "1/cosh^2 of the cached input", "correct", """
class MyTanh(Layer):
    def forward(self, x):
        self.x = x
        return np.tanh(x)

    def backward(self, grad_out):
        return grad_out / np.cosh(self.x) ** 2
""", TANH),
    Answer("MyTanh", "slope at the input: 1 - x**2", "wrong", """
class MyTanh(Layer):
    def forward(self, x):
        self.x = x
        return np.tanh(x)

    def backward(self, grad_out):
        return grad_out * (1 - self.x ** 2)
""", TANH, names=("input",)),
    Answer("MyTanh", "1 + y**2 (sign)", "wrong", """
class MyTanh(Layer):
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, grad_out):
        return grad_out * (1 + self.y ** 2)
""", TANH, names=("1 + y**2",)),
    Answer("MyTanh", "1 - y (square forgotten)", "wrong", """
class MyTanh(Layer):
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, grad_out):
        return grad_out * (1 - self.y)
""", TANH, names=("1 - y",)),
    Answer("MyTanh", "the cached output squared in place", "wrong", """
class MyTanh(Layer):
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, grad_out):
        self.y **= 2
        return grad_out * (1 - self.y)
""", TANH, names=("in place",)),
    Answer("MyTanh", "backward reads self.out that forward never stored", "wrong", """
class MyTanh(Layer):
    def forward(self, x):
        y = np.tanh(x)
        return y

    def backward(self, grad_out):
        return grad_out * (1 - self.out ** 2)
""", TANH, names=("store",)),
    Answer("MyTanh", "calls Tanh's backward", "delegates", """
class MyTanh(Layer):
    def forward(self, x):
        self.helper = Tanh()
        return self.helper.forward(x)

    def backward(self, grad_out):
        return self.helper.backward(grad_out)
""", TANH, names=("write it yourself",)),

    # ==== exercise 5: MyReLU ============================================================
    Answer("MyReLU", "np.maximum and a boolean mask times grad_out", "correct", """
class MyReLU(Layer):
    def forward(self, x):
        self.mask = x > 0
        return np.maximum(x, 0)

    def backward(self, grad_out):
        return grad_out * self.mask
""", RELU),
    Answer("MyReLU", "np.heaviside of the cached output", "correct", """
class MyReLU(Layer):
    def forward(self, x):
        self.y = x.clip(min=0)
        return self.y

    def backward(self, grad_out):
        return grad_out * np.heaviside(self.y, 0.0)
""", RELU),
    Answer("MyReLU", "copy, then zero where x <= 0", "correct", """
class MyReLU(Layer):
    def forward(self, x):
        self.x = x
        y = x.copy()
        y[y < 0] = 0
        return y

    def backward(self, grad_out):
        dx = grad_out.copy()
        dx[self.x <= 0] = 0
        return dx
""", RELU),
    Answer("MyReLU", "x[x < 0] = 0 in place in forward", "wrong", """
class MyReLU(Layer):
    def forward(self, x):
        self.x = x
        x[x < 0] = 0
        return x

    def backward(self, grad_out):
        return grad_out * (self.x > 0)
""", RELU, names=("in place",)),
    Answer("MyReLU", "mask from grad_out's sign", "wrong", """
class MyReLU(Layer):
    def forward(self, x):
        return np.maximum(x, 0)

    def backward(self, grad_out):
        return np.maximum(grad_out, 0)
""", RELU, names=("applies relu to grad_out", "sign")),
    Answer("MyReLU", "grad_out times the output", "wrong", """
class MyReLU(Layer):
    def forward(self, x):
        self.y = np.maximum(x, 0)
        return self.y

    def backward(self, grad_out):
        return grad_out * self.y
""", RELU, names=("multiplies grad_out by the output",)),
    Answer("MyReLU", "mask inverted", "wrong", """
class MyReLU(Layer):
    def forward(self, x):
        self.x = x
        return np.maximum(x, 0)

    def backward(self, grad_out):
        return np.where(self.x < 0, grad_out, 0.0)
""", RELU, names=("inverted",)),
    Answer("MyReLU", "grad_out passed through unmasked", "wrong", """
class MyReLU(Layer):
    def forward(self, x):
        return np.maximum(x, 0)

    def backward(self, grad_out):
        return grad_out
""", RELU, names=("passes every gradient through",)),
    Answer("MyReLU", "class MyReLU(ReLU) with a docstring only", "delegates", '''
class MyReLU(ReLU):
    """My ReLU."""
''', RELU, names=("write it yourself",)),

    # ==== exercise 6: leaky_relu_jacobian ================================================
    Answer("leaky_relu_jacobian", "np.diagflat of np.where", "correct", """
def leaky_relu_jacobian(x, alpha):
    return np.diagflat(np.where(x > 0, 1.0, alpha))
""", JACOBIAN),
    Answer("leaky_relu_jacobian", "np.eye scaled by a broadcast slope column", "correct", """
def leaky_relu_jacobian(x, alpha):
    slopes = (x > 0) + alpha * (x <= 0)
    return np.eye(len(x)) * slopes[:, None]
""", JACOBIAN),
    Answer("leaky_relu_jacobian", "only the diagonal", "wrong", """
def leaky_relu_jacobian(x, alpha):
    return np.where(x > 0, 1.0, alpha)
""", JACOBIAN, names=("(K, K)",)),
    Answer("leaky_relu_jacobian", "ReLU's Jacobian (alpha forgotten)", "wrong", """
def leaky_relu_jacobian(x, alpha):
    return np.diag((x > 0) * 1.0)
""", JACOBIAN, names=("ReLU's",)),
    Answer("leaky_relu_jacobian", "the lesson's default alpha written in", "wrong", """
def leaky_relu_jacobian(x, alpha=0.01):
    return np.diag(np.where(x > 0, 1, 0.01))
""", JACOBIAN, names=("slope 0.01",)),
    Answer("leaky_relu_jacobian", "values on the diagonal: x and alpha * x", "wrong", """
def leaky_relu_jacobian(x, alpha):
    return np.diag(np.where(x > 0, x, alpha * x))
""", JACOBIAN, names=("outputs y", "slopes")),
    Answer("leaky_relu_jacobian", "list of lists", "wrong", """
def leaky_relu_jacobian(x, alpha):
    K = len(x)
    return [[(1.0 if x[i] > 0 else alpha) if i == j else 0.0 for j in range(K)] for i in range(K)]
""", JACOBIAN, names=("list",)),

    # ==== exercise 7: LeakyReLU =========================================================
    Answer("LeakyReLU", "np.maximum(x, alpha x) and a cached slope array", "correct", LEAKY_HEAD + """
    def forward(self, x):
        self.slope = np.where(x > 0, 1.0, self.alpha)
        return x * self.slope

    def backward(self, grad_out):
        return grad_out * self.slope
""", LEAKY),
    Answer("LeakyReLU", "boolean arithmetic, float32", "correct", LEAKY_HEAD + """
    def forward(self, x):
        self.pos = (x > 0).astype(np.float32)
        return (self.pos + self.alpha * (1 - self.pos)) * x

    def backward(self, grad_out):
        return grad_out * (self.pos + np.float32(self.alpha) * (1 - self.pos))
""", LEAKY),
    Answer("LeakyReLU", "keyword-only alpha, extra attribute, np.maximum forward", "correct", """
class LeakyReLU(Layer):
    def __init__(self, *, alpha=0.01):
        super().__init__()
        self.alpha = float(alpha)
        self.history = []

    def forward(self, x):
        self.x = x
        self.history.append(x.shape)
        return np.maximum(x, self.alpha * x)

    def backward(self, grad_out):
        return grad_out * np.where(self.x > 0, 1.0, self.alpha)
""", LEAKY),
    Answer("LeakyReLU", "backward masked by grad_out's sign", "wrong", LEAKY_HEAD + """
    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, self.alpha * x)

    def backward(self, grad_out):
        return np.where(grad_out > 0, grad_out, self.alpha * grad_out)
""", LEAKY, names=("sign of grad_out",)),
    Answer("LeakyReLU", "alpha fixed at 0.01", "wrong", LEAKY_HEAD + """
    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, 0.01 * x)

    def backward(self, grad_out):
        return np.where(self.x > 0, grad_out, 0.01 * grad_out)
""", LEAKY, names=("alpha",)),
    Answer("LeakyReLU", "slope -alpha on the negative side", "wrong", LEAKY_HEAD + """
    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, self.alpha * x)

    def backward(self, grad_out):
        return np.where(self.x > 0, grad_out, -self.alpha * grad_out)
""", LEAKY, names=("-alpha", "sign")),
    Answer("LeakyReLU", "grad_out scaled in place", "wrong", LEAKY_HEAD + """
    def forward(self, x):
        self.neg = x <= 0
        return np.where(self.neg, self.alpha * x, x)

    def backward(self, grad_out):
        grad_out[self.neg] *= self.alpha
        return grad_out
""", LEAKY, names=("in place",)),
    Answer("LeakyReLU", "__init__ without super().__init__()", "wrong", """
class LeakyReLU(Layer):
    def __init__(self, alpha=0.01):
        self.alpha = alpha

    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, self.alpha * x)

    def backward(self, grad_out):
        return np.where(self.x > 0, grad_out, self.alpha * grad_out)
""", LEAKY, names=("super().__init__()",)),

    # ==== exercise 8: MySoftmaxCrossEntropy =============================================
    Answer("MySoftmaxCrossEntropy", "log-sum-exp, one-hot by fancy indexing", "correct", SCE_HEAD + """
    def forward(self, z, y):
        shifted = z - z.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self.p, self.y = np.exp(log_p), y
        return -log_p[np.arange(len(y)), y].mean()

    def backward(self):
        d = self.p.copy()
        d[np.arange(len(self.y)), self.y] -= 1
        return d / len(self.y)
""", SCE),
    Answer("MySoftmaxCrossEntropy", "course_lib's softmax function, np.eye one-hot, float", "correct",
           SCE_HEAD + """
    def forward(self, z, y):
        self.p = softmax(z)
        self.t = np.eye(z.shape[1])[y]
        return float(-np.sum(self.t * np.log(self.p + 1e-300)) / z.shape[0])

    def backward(self):
        return (self.p - self.t) / self.p.shape[0]
""", SCE),
    Answer("MySoftmaxCrossEntropy", "the 1/N missing in backward", "wrong", SCE_HEAD + """
    def forward(self, z, y):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        self.p = e / e.sum(axis=1, keepdims=True)
        self.y = y
        return -np.mean(np.log(self.p[np.arange(len(y)), y]))

    def backward(self):
        g = self.p.copy()
        g[np.arange(len(self.y)), self.y] -= 1
        return g
""", SCE, names=("1/N",)),
    Answer("MySoftmaxCrossEntropy", "divided by N twice in backward", "wrong", SCE_HEAD + """
    def forward(self, z, y):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        self.p = e / e.sum(axis=1, keepdims=True)
        self.y = y
        return -np.mean(np.log(self.p[np.arange(len(y)), y]))

    def backward(self):
        N = len(self.y)
        g = self.p.copy()
        g[np.arange(N), self.y] -= 1
        return g / N / N
""", SCE, names=("twice",)),
    Answer("MySoftmaxCrossEntropy", "no max subtracted: overflow", "wrong", SCE_HEAD + """
    def forward(self, z, y):
        e = np.exp(z)
        self.p = e / e.sum(axis=1, keepdims=True)
        self.y = y
        return -np.mean(np.log(self.p[np.arange(len(y)), y]))

    def backward(self):
        g = self.p.copy()
        g[np.arange(len(self.y)), self.y] -= 1
        return g / len(self.y)
""", SCE, names=("max",)),
    Answer("MySoftmaxCrossEntropy", "softmax over axis 0", "wrong", SCE_HEAD + """
    def forward(self, z, y):
        e = np.exp(z - z.max())
        self.p = e / e.sum(axis=0, keepdims=True)
        self.y = y
        return -np.mean(np.log(self.p[np.arange(len(y)), y]))

    def backward(self):
        g = self.p.copy()
        g[np.arange(len(self.y)), self.y] -= 1
        return g / len(self.y)
""", SCE, names=("axis",)),
    Answer("MySoftmaxCrossEntropy", "backward y - p (sign)", "wrong", SCE_HEAD + """
    def forward(self, z, y):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        self.p = e / e.sum(axis=1, keepdims=True)
        self.y = y
        return -np.mean(np.log(self.p[np.arange(len(y)), y]))

    def backward(self):
        t = np.zeros_like(self.p)
        t[np.arange(len(self.y)), self.y] = 1
        return (t - self.p) / len(self.y)
""", SCE, names=("sign",)),
    Answer("MySoftmaxCrossEntropy", "the loss summed over the batch", "wrong", SCE_HEAD + """
    def forward(self, z, y):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        self.p = e / e.sum(axis=1, keepdims=True)
        self.y = y
        return -np.sum(np.log(self.p[np.arange(len(y)), y]))

    def backward(self):
        g = self.p.copy()
        g[np.arange(len(self.y)), self.y] -= 1
        return g / len(self.y)
""", SCE, names=("sum over the batch",)),
    Answer("MySoftmaxCrossEntropy", "backward subtracts 1 from the cached probabilities in place",
           "wrong", SCE_HEAD + """
    def forward(self, z, y):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        self.p = e / e.sum(axis=1, keepdims=True)
        self.y = y
        return -np.mean(np.log(self.p[np.arange(len(y)), y]))

    def backward(self):
        self.p[np.arange(len(self.y)), self.y] -= 1
        return self.p / len(self.y)
""", SCE, names=("cached",)),
    Answer("MySoftmaxCrossEntropy", "subclasses SoftmaxCrossEntropyLoss", "delegates", """
class MySoftmaxCrossEntropy(SoftmaxCrossEntropyLoss):
    is_classification = True
""", SCE, names=("write it yourself",)),
    Answer("MySoftmaxCrossEntropy", "Softmax layer + CrossEntropyLoss chained", "delegates", SCE_HEAD + """
    def forward(self, z, y):
        self.inner = SoftmaxCrossEntropyLoss()
        return self.inner.forward(z, y)

    def backward(self):
        return self.inner.backward()
""", SCE, names=("write it yourself",)),
]
