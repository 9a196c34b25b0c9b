"""Lesson 01's exercise checks: correct answers in several styles and dtypes pass, each usual
slip gets its own message.

Also a smoke test for plots.chain_diagram, the lesson's graph picture.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import scipy.special  # noqa: E402

from course_lib import checks, plots  # noqa: E402
from course_lib.gradcheck import check_layer, check_loss  # noqa: E402
from course_lib.layers import BiasAdd, Layer, MatMul, ReLU, Tanh  # noqa: E402
from course_lib.losses import Loss, SoftmaxCrossEntropyLoss  # noqa: E402
from course_lib.model import Sequential  # noqa: E402
from course_lib.optim import SGD  # noqa: E402
from course_lib.train import fit  # noqa: E402


# --- check_leaky_relu_jacobian ---------------------------------------------------------
def jacobian_right(x, alpha):
    return np.diag(np.where(x > 0, 1.0, alpha))


def test_jacobian_correct_passes(capsys):
    checks.check_leaky_relu_jacobian(jacobian_right)
    assert capsys.readouterr().out.strip() == checks.PASSED


@pytest.mark.parametrize("wrong,message", [
    (lambda x, a: np.where(x > 0, 1.0, a), r"shape \(5,\)\. They are the right slopes, but the "
                                           r"Jacobian .* \(K, K\) matrix"),
    (lambda x, a: x, r"returned 5 numbers, shape \(5,\)\. The Jacobian"),
    (lambda x, a: np.diag((x > 0).astype(float)), r"alpha=0.1\).* is ReLU's: where x <= 0 the "
                                                   r"slope of LeakyReLU is alpha = 0.1, not 0"),
    (lambda x, a: np.diag(np.where(x > 0, 1.0, 0.01)), r"uses the slope 0.01 where x <= 0, "
                                                        r"expected alpha = 0.1"),
    (lambda x, a: np.diag(np.where(x > 0, 1.0, 0.1)), r"alpha=0.25\).* uses the slope 0.1 "
                                                       r"where x <= 0, expected alpha = 0.25"),
    (lambda x, a: np.eye(x.size), r"uses slope 1 where x <= 0, like the identity"),
    (lambda x, a: np.diag(np.where(x > 0, x, a * x)), r"has the outputs y .* on its diagonal"),
    (lambda x, a: np.diag(np.where(x > 0, 1.0, a)).tolist(),
     r"should be a NumPy array.*got a list"),
    (lambda x, a: np.diag(np.where(x > 0, 1.0, a))[:, :4], r"should have shape \(5, 5\), got "
                                                           r"\(5, 4\)"),
    (lambda x, a: np.diag(np.where(x > 0, 1.0, a)) + np.eye(5, k=1),
     r"at index \(0, 1\) it is 1, expected 0"),
    (lambda x, a: 2 * np.diag(np.where(x > 0, 1.0, a)), r"It is 2 times the expected value"),
    (lambda x, a: np.diag(np.where(x > 0, 1.0, a)) / 0, r"contains (nan|inf)"),
])
def test_jacobian_wrong_is_named(wrong, message):
    with np.errstate(divide="ignore", invalid="ignore"):
        with pytest.raises(checks.ExerciseError, match=message):
            checks.check_leaky_relu_jacobian(wrong)


def test_jacobian_check_does_not_let_the_answer_change_the_sample():
    def sloppy(x, alpha):
        x[:] = 1.0  # changes its argument; the check passes a copy
        return jacobian_right(x, alpha)

    with pytest.raises(checks.ExerciseError, match="like the identity"):
        checks.check_leaky_relu_jacobian(sloppy)
    assert np.all(checks.L01_SAMPLE == [1.5, -2.0, 0.3, -0.7, 2.2])


# --- check_leaky_relu ------------------------------------------------------------------
class LeakyReLU(Layer):
    def __init__(self, alpha=0.01):
        super().__init__()
        self.alpha = alpha

    def forward(self, x):
        self.positive = x > 0
        return np.where(self.positive, x, self.alpha * x)

    def backward(self, grad_out):
        return np.where(self.positive, grad_out, self.alpha * grad_out)


def make_leaky(forward=None, backward=None):
    """A LeakyReLU with one method replaced by a wrong one."""
    namespace = {}
    if forward is not None:
        namespace["forward"] = forward
    if backward is not None:
        namespace["backward"] = backward
    return type("LeakyReLU", (LeakyReLU,), namespace)


def test_layer_correct_passes(capsys):
    checks.check_leaky_relu(LeakyReLU)
    assert capsys.readouterr().out.strip() == checks.PASSED


def test_reference_solution_passes_gradient_check():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    x[np.abs(x) < 1e-3] = 0.5
    assert max(check_layer(LeakyReLU(alpha=0.2), x).values()) < 1e-7


class NoAlpha(Layer):
    def forward(self, x):
        return x

    def backward(self, grad_out):
        return grad_out


def fixed_alpha_backward(self, grad_out):
    return np.where(self.positive, grad_out, 0.01 * grad_out)


def inplace_backward(self, grad_out):
    grad_out[~self.positive] *= self.alpha
    return grad_out


def inplace_forward(self, x):
    self.positive = x > 0
    x[~self.positive] *= self.alpha
    return x


@pytest.mark.parametrize("wrong,message", [
    (LeakyReLU(), r"Pass the class itself \(LeakyReLU, not LeakyReLU\(\)\)"),
    (object, r"a subclass of course_lib.layers.Layer"),
    (NoAlpha, r"NoAlpha\(alpha=0.1\) failed: .*keyword argument alpha"),
    (make_leaky(forward=inplace_forward), r"forward\(x\) changed its input `x` in place"),
    (make_leaky(forward=lambda self, x: ReLU.forward(self, x)),
     r"forward\(x\) with alpha=0.1 is ReLU's"),
    (make_leaky(forward=lambda self, x: setattr(self, "positive", x > 0) or x),
     r"forward\(x\) with alpha=0.1 uses slope 1 where x <= 0, like the identity"),
    (make_leaky(forward=lambda self, x: setattr(self, "positive", x > 0) or np.abs(x)),
     r"forward\(x\) with alpha=0.1 uses the slope -1 where x <= 0"),
    (make_leaky(backward=inplace_backward),
     r"backward\(grad_out\) changed its input `grad_out` in place"),
    (make_leaky(backward=lambda self, g: np.where(self.positive, 1.0, self.alpha)),
     r"returned the local slope dy/dx \(1 or alpha\) itself\. The chain rule"),
    (make_leaky(backward=lambda self, g: np.where(self.positive, g, 0.0)),
     r"backward\(grad_out\) with alpha=0.1 is ReLU's: where x <= 0"),
    (make_leaky(backward=fixed_alpha_backward),
     r"backward\(grad_out\) with alpha=0.1 uses the slope 0.01 where x <= 0, expected "
     r"alpha = 0.1"),
    (make_leaky(backward=lambda self, g: g), r"uses slope 1 where x <= 0, like the identity"),
    (make_leaky(backward=lambda self, g: np.where(self.positive, g, self.alpha * g).sum(0)),
     r"backward\(grad_out\) with alpha=0.1 should have shape \(4, 5\), got \(5,\)"),
    (make_leaky(backward=lambda self, g: 0.5 * np.where(self.positive, g, self.alpha * g)),
     r"It is 0.5 times the expected value everywhere"),
    (make_leaky(backward=lambda self, g: np.where(self.positive, g, -self.alpha * g)),
     r"backward\(grad_out\) with alpha=0.1 uses the slope -alpha = -0.1 where x <= 0: the "
     r"sign is wrong"),
    (make_leaky(backward=lambda self, g: np.where(self.positive, g, self.alpha * g)[::-1]),
     r"backward\(grad_out\) with alpha=0.1 is wrong: at index"),
])
def test_layer_wrong_is_named(wrong, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_leaky_relu(wrong)


def test_jacobian_in_other_styles_passes(capsys):
    def loops(x, alpha):
        J = np.zeros((x.size, x.size))
        for i in range(x.size):
            J[i, i] = 1.0 if x[i] > 0 else alpha
        return J

    def eye_float32(x, alpha):
        return (np.eye(x.size) * np.where(x > 0, 1.0, alpha)).astype(np.float32)

    for answer in (loops, eye_float32):
        checks.check_leaky_relu_jacobian(answer)
    assert capsys.readouterr().out.count(checks.PASSED) == 2


def test_jacobian_check_wants_the_function():
    with pytest.raises(checks.ExerciseError, match=r"Pass the function itself"):
        checks.check_leaky_relu_jacobian(jacobian_right(checks.L01_SAMPLE, 0.1))


class LeakyReLULoops(Layer):
    def __init__(self, alpha=0.01):
        super().__init__()
        self.alpha = alpha

    def forward(self, x):
        self.x = x
        y = np.empty_like(x)
        for i in np.ndindex(x.shape):
            y[i] = x[i] if x[i] > 0 else self.alpha * x[i]
        return y

    def backward(self, grad_out):
        slope = np.where(self.x > 0, 1.0, self.alpha).astype(np.float32)
        return grad_out.astype(np.float32) * slope


def test_layer_in_other_styles_passes(capsys):
    checks.check_leaky_relu(LeakyReLULoops)  # loops; backward in float32
    assert capsys.readouterr().out.strip() == checks.PASSED


def test_layer_without_the_cache_is_named():
    def forgets(self, x):
        return np.where(x > 0, x, self.alpha * x)

    with pytest.raises(checks.ExerciseError, match=r"raised AttributeError: .*what forward stored"):
        checks.check_leaky_relu(make_leaky(forward=forgets))


def variant(base, **methods):
    """A subclass of ``base`` with some methods replaced by (wrong) ones."""
    return type(base.__name__, (base,), methods)


def raises_slip(answer, check, message):
    with np.errstate(all="ignore"):
        with pytest.raises(checks.ExerciseError, match=message):
            check(answer)


# --- check_matmul ----------------------------------------------------------------------
class MyMatMul(Layer):
    def __init__(self, W):
        super().__init__()
        self.params["W"] = W

    def forward(self, x):
        self.x = x
        return x @ self.params["W"]

    def backward(self, grad_out):
        self.grads["W"] = self.x.T @ grad_out
        return grad_out @ self.params["W"].T


class MatMulEinsum(MyMatMul):
    def backward(self, grad_out):
        self.grads["W"] = np.einsum("nd,nk->dk", self.x, grad_out)
        return np.einsum("nk,dk->nd", grad_out, self.params["W"])


class MatMulLoops(MyMatMul):
    def backward(self, grad_out):
        W = self.params["W"]
        dW, dx = np.zeros_like(W), np.zeros_like(self.x)
        for n in range(len(self.x)):
            dW += np.outer(self.x[n], grad_out[n])
            dx[n] = W @ grad_out[n]
        self.grads["W"] = dW
        return dx


class MatMulFloat32(MyMatMul):
    def forward(self, x):
        self.x = x.astype(np.float32)
        return self.x @ self.params["W"].astype(np.float32)

    def backward(self, grad_out):
        g, W = grad_out.astype(np.float32), self.params["W"].astype(np.float32)
        self.grads["W"] = self.x.T @ g
        return g @ W.T


@pytest.mark.parametrize("answer", [MyMatMul, MatMulEinsum, MatMulLoops, MatMulFloat32])
def test_matmul_correct_answers_pass(answer, capsys):
    checks.check_matmul(answer)
    assert capsys.readouterr().out.strip() == checks.PASSED


def test_matmul_reference_passes_the_gradient_check():
    rng = np.random.default_rng(0)
    errors = check_layer(MyMatMul(rng.standard_normal((4, 3))), rng.standard_normal((5, 4)))
    assert max(errors.values()) < 1e-7


def _matmul_accumulating(self, grad_out):
    self.grads["W"] = self.grads.get("W", 0) + self.x.T @ grad_out
    return grad_out @ self.params["W"].T


def _matmul_inplace(self, grad_out):
    grad_out *= 2
    self.grads["W"] = self.x.T @ grad_out / 2
    return grad_out @ self.params["W"].T / 2


def _matmul_plus_equals(self, grad_out):
    self.grads["W"] += self.x.T @ grad_out
    return grad_out @ self.params["W"].T


def _matmul(dx=lambda x, W, g: g @ W.T, dW=lambda x, g: x.T @ g):
    """A MatMul whose backward stores dW(x, g) and returns dx(x, W, g)."""
    def backward(self, grad_out):
        self.grads["W"] = dW(self.x, grad_out)
        return dx(self.x, self.params["W"], grad_out)

    return variant(MyMatMul, backward=backward)


def _matmul_stored_elsewhere(self, grad_out):
    self.dW = self.x.T @ grad_out
    return grad_out @ self.params["W"].T


@pytest.mark.parametrize("wrong,message", [
    (MyMatMul(np.eye(2)), r"Pass the class itself \(MyMatMul, not MyMatMul\(\)\)"),
    (_matmul(dx=lambda x, W, g: g @ W),
     r"dL/dx .* is grad_out @ W: W has to be transposed"),
    (variant(MyMatMul, backward=lambda self, g: self.x.T @ g),
     r"dL/dx returned by .* is dL/dW \(x.T @ grad_out\)"),
    (_matmul(dW=lambda x, g: g.T @ x),
     r"self.grads\['W'\] .* is transposed: it is grad_out.T @ x, whose entry \[l, j\]"),
    (_matmul(dW=lambda x, g: g.sum(axis=0)),
     r"is grad_out summed over the batch, without the input"),
    (_matmul(dW=lambda x, g: g),
     r"is grad_out itself: the weight W\[j, l\] multiplies the input"),
    (_matmul(dW=lambda x, g: x.T @ g / len(g)),
     r"is divided by the batch size N = 4: grad_out already carries the loss's 1/N"),
    (_matmul(dW=lambda x, g: np.outer(x.sum(axis=0), g.sum(axis=0))),
     r"multiplies the batch sums of x and grad_out"),
    (variant(MyMatMul, backward=lambda self, g: g @ self.params["W"].T),
     r"did not store dL/dW in self.grads\['W'\] \(it is empty\)"),
    (variant(MyMatMul, backward=_matmul_stored_elsewhere),
     r"stored the right gradient in self.dW, but the optimizer looks for it in self.grads\['W'\]"),
    (variant(MyMatMul, backward=_matmul_accumulating),
     r"after a second backward\(grad_out\) is the sum of both calls' gradients: .*\(\+=\)"),
    (variant(MyMatMul, backward=_matmul_plus_equals),
     r"raised KeyError: 'W'. self.grads starts empty"),
    (variant(MyMatMul, backward=_matmul_inplace),
     r"backward\(grad_out\) changed its input `grad_out` in place"),
    (_matmul(dx=lambda x, W, g: x @ g),
     r"raised ValueError: .*Line the shapes up: grad_out is \(N, k\) = \(4, 3\)"),
    (variant(MyMatMul, forward=lambda self, x: x @ self.params["W"]),
     r"raised AttributeError: .*backward can use only what forward stored"),
    (variant(MyMatMul, backward=lambda self, g: None),
     r"dL/dx returned by .* got NoneType \(did the function forget to return\?\)"),
])
def test_matmul_slips_are_named(wrong, message):
    raises_slip(wrong, checks.check_matmul, message)


def test_matmul_leaves_the_arrays_it_is_given_alone():
    class ChangesW(MyMatMul):
        def backward(self, grad_out):
            dx = MyMatMul.backward(self, grad_out)
            self.params["W"] -= 0.1 * self.grads["W"]  # an update belongs to the optimizer
            return dx

    raises_slip(ChangesW, checks.check_matmul, r"changed its input `W` in place")


# --- check_bias_add --------------------------------------------------------------------
class MyBiasAdd(Layer):
    def __init__(self, b):
        super().__init__()
        self.params["b"] = b

    def forward(self, x):
        return x + self.params["b"]

    def backward(self, grad_out):
        self.grads["b"] = grad_out.sum(axis=0)
        return grad_out


class BiasAddLoops(MyBiasAdd):
    def backward(self, grad_out):
        db = np.zeros(grad_out.shape[1])
        for row in grad_out:
            db += row
        self.grads["b"] = db
        return grad_out.copy()


class BiasAddFloat32(MyBiasAdd):
    def backward(self, grad_out):
        g = grad_out.astype(np.float32)
        self.grads["b"] = np.ones(len(g), dtype=np.float32) @ g
        return g


@pytest.mark.parametrize("answer", [MyBiasAdd, BiasAddLoops, BiasAddFloat32])
def test_bias_add_correct_answers_pass(answer, capsys):
    checks.check_bias_add(answer)
    assert capsys.readouterr().out.strip() == checks.PASSED


def _bias(db):
    """A BiasAdd whose backward stores db(g) and returns g."""
    return variant(MyBiasAdd, backward=lambda self, g: (self.grads.update(b=db(g)), g)[1])


def _bias_accumulating(self, grad_out):
    self.grads["b"] = self.grads.get("b", 0) + grad_out.sum(axis=0)
    return grad_out


@pytest.mark.parametrize("wrong,message", [
    (_bias(lambda g: g.sum(axis=1)), r"self.grads\['b'\] .* is summed over axis 1, the features"),
    (_bias(lambda g: g.mean(axis=0)), r"is averaged over the batch \(a 1/N, N = 4\)"),
    (_bias(lambda g: g.sum(axis=0, keepdims=True)), r"has shape \(1, 4\): drop keepdims=True"),
    (_bias(lambda g: g), r"is grad_out itself, one row per sample. b is shared by all 4 rows"),
    (_bias(lambda g: g.sum()), r"sums over every axis into one number"),
    (variant(MyBiasAdd, backward=lambda self, g: (self.grads.update(b=g.sum(0)), g.sum(0))[1]),
     r"dL/dx returned by .* is dL/db"),
    (variant(MyBiasAdd, backward=lambda self, g: g),
     r"did not store dL/db in self.grads\['b'\]"),
    (variant(MyBiasAdd, backward=_bias_accumulating),
     r"self.grads\['b'\] after a second backward\(grad_out\) is the sum of both calls"),
    (variant(MyBiasAdd, forward=lambda self, x: x.__iadd__(self.params["b"])),
     r"forward\(x\) changed its input `x` in place"),
])
def test_bias_add_slips_are_named(wrong, message):
    raises_slip(wrong, checks.check_bias_add, message)


# --- check_sigmoid, check_tanh, check_relu ---------------------------------------------
class MySigmoid(Layer):
    def forward(self, x):
        self.y = 1 / (1 + np.exp(-x))
        return self.y

    def backward(self, grad_out):
        return grad_out * self.y * (1 - self.y)


class SigmoidFromX(Layer):
    def forward(self, x):
        self.x = x
        return scipy.special.expit(x)

    def backward(self, grad_out):
        s = scipy.special.expit(self.x)
        return grad_out * s * (1 - s)


class SigmoidFloat32(MySigmoid):
    def forward(self, x):
        self.y = (1 / (1 + np.exp(-x))).astype(np.float32)
        return self.y


@pytest.mark.parametrize("answer", [MySigmoid, SigmoidFromX, SigmoidFloat32])
def test_sigmoid_correct_answers_pass(answer, capsys):
    checks.check_sigmoid(answer)
    assert capsys.readouterr().out.strip() == checks.PASSED


def _sigmoid_inplace_cache(self, grad_out):
    self.y *= 1 - self.y
    return grad_out * self.y


def _sigmoid_of_x(self, x):
    self.x = x
    return 1 / (1 + np.exp(-x))


@pytest.mark.parametrize("wrong,message", [
    (variant(MySigmoid, backward=lambda self, g: self.y * (1 - self.y)),
     r"is the local slope dy/dx itself. The chain rule multiplies it by the upstream gradient"),
    (variant(MySigmoid, forward=_sigmoid_of_x, backward=lambda self, g: g * self.x * (1 - self.x)),
     r"uses the input x where the slope needs the output y = sigmoid\(x\)"),
    (variant(MySigmoid, backward=lambda self, g: g * (1 - self.y)),
     r"is grad_out \* \(1 - y\): the slope of the sigmoid is y \* \(1 - y\)"),
    (variant(MySigmoid, backward=lambda self, g: g * self.y),
     r"is grad_out \* y: the slope"),
    (variant(MySigmoid, backward=lambda self, g: g * scipy.special.expit(self.y)
             * (1 - scipy.special.expit(self.y))),
     r"applies the sigmoid again to the cached output"),
    (variant(MySigmoid, forward=lambda self, x: setattr(self, "y", 1 / (1 + np.exp(x))) or self.y),
     r"forward\(x\) .* is sigmoid\(-x\): mind the sign"),
    (variant(MySigmoid, backward=_sigmoid_inplace_cache),
     r"changed forward's output y in place"),
    (variant(MySigmoid, forward=lambda self, x: 1 / (1 + np.exp(-x))),
     r"raised AttributeError"),
    (MySigmoid(), r"Pass the class itself \(MySigmoid, not MySigmoid\(\)\)"),
])
def test_sigmoid_slips_are_named(wrong, message):
    raises_slip(wrong, checks.check_sigmoid, message)


class MyTanh(Layer):
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, grad_out):
        return grad_out * (1 - self.y ** 2)


class TanhFromX(Layer):
    def forward(self, x):
        self.x = x
        return (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))

    def backward(self, grad_out):
        return grad_out / np.cosh(self.x) ** 2


class TanhFloat32(Layer):
    def forward(self, x):
        self.y = np.tanh(x.astype(np.float32))
        return self.y

    def backward(self, grad_out):
        return grad_out.astype(np.float32) * (1 - self.y * self.y)


@pytest.mark.parametrize("answer", [MyTanh, TanhFromX, TanhFloat32])
def test_tanh_correct_answers_pass(answer, capsys):
    checks.check_tanh(answer)
    assert capsys.readouterr().out.strip() == checks.PASSED


def _tanh_of_x(self, x):
    self.x = x
    return np.tanh(x)


@pytest.mark.parametrize("wrong,message", [
    (variant(MyTanh, forward=_tanh_of_x, backward=lambda self, g: g * (1 - self.x ** 2)),
     r"computes 1 - x\*\*2 with the input x; the slope is 1 - y\*\*2 with the output"),
    (variant(MyTanh, backward=lambda self, g: g * (1 - self.y)),
     r"is grad_out \* \(1 - y\): the slope of tanh is 1 - y\*\*2"),
    (variant(MyTanh, backward=lambda self, g: 1 - self.y ** 2),
     r"is the local slope dy/dx itself"),
    (variant(MyTanh, backward=lambda self, g: g * (1 - np.tanh(self.y) ** 2)),
     r"applies tanh again to the cached output"),
    (variant(MyTanh, backward=lambda self, g: g * (1 + self.y ** 2)),
     r"is grad_out \* \(1 \+ y\*\*2\)"),
    (variant(MyTanh, backward=lambda self, g: (g * (1 - self.y ** 2)).T),
     r"should have shape \(4, 5\), got \(5, 4\). That is the transpose"),
])
def test_tanh_slips_are_named(wrong, message):
    raises_slip(wrong, checks.check_tanh, message)


def test_tanh_that_changes_its_cache_is_named_on_the_second_backward():
    class Drifts(MyTanh):
        def backward(self, grad_out):
            dx = grad_out * (1 - self.y ** 2)
            self.y = self.y * 0.5  # a new array, but the cache is no longer forward's
            return dx

    raises_slip(Drifts, checks.check_tanh, r"A second backward\(grad_out\) .* changed what "
                                           r"forward cached")


class MyReLU(Layer):
    def forward(self, x):
        self.mask = x > 0
        return np.maximum(x, 0)

    def backward(self, grad_out):
        return grad_out * self.mask


class ReLUWhere(Layer):  # x >= 0 at the kink, np.where, x * mask: all fine
    def forward(self, x):
        self.x = x
        return x * (x >= 0)

    def backward(self, grad_out):
        return np.where(self.x >= 0, grad_out, 0.0)


class ReLUFloat32(MyReLU):
    def backward(self, grad_out):
        return grad_out.astype(np.float32) * self.mask


@pytest.mark.parametrize("answer", [MyReLU, ReLUWhere, ReLUFloat32])
def test_relu_correct_answers_pass(answer, capsys):
    checks.check_relu(answer)
    assert capsys.readouterr().out.strip() == checks.PASSED


def _relu_inplace_backward(self, grad_out):
    grad_out[~self.mask] = 0
    return grad_out


def _relu_inplace_forward(self, x):
    self.mask = x > 0
    x[~self.mask] = 0
    return x


@pytest.mark.parametrize("wrong,message", [
    (variant(MyReLU, backward=lambda self, g: self.mask), r"is the local slope dy/dx itself"),
    (variant(MyReLU, forward=lambda self, x: setattr(self, "x", x) or np.maximum(x, 0),
             backward=lambda self, g: g * self.x), r"multiplies grad_out by x"),
    (variant(MyReLU, backward=lambda self, g: g * ~self.mask), r"the mask is inverted"),
    (variant(MyReLU, backward=lambda self, g: np.maximum(g, 0)), r"applies ReLU to grad_out"),
    (variant(MyReLU, backward=lambda self, g: g), r"passes every gradient through"),
    (variant(MyReLU, backward=_relu_inplace_backward),
     r"backward\(grad_out\) changed its input `grad_out` in place"),
    (variant(MyReLU, forward=_relu_inplace_forward),
     r"forward\(x\) changed its input `x` in place"),
    (variant(MyReLU, forward=lambda self, x: setattr(self, "mask", x > 0) or np.abs(x)),
     r"forward\(x\) .* is \|x\|"),
])
def test_relu_slips_are_named(wrong, message):
    raises_slip(wrong, checks.check_relu, message)


def test_activation_checks_want_a_class_with_forward_and_backward():
    raises_slip(object, checks.check_relu, r"a subclass of course_lib.layers.Layer")
    raises_slip(int, checks.check_tanh, r"int needs forward and backward methods")


# --- check_softmax_cross_entropy -------------------------------------------------------
class MySoftmaxCrossEntropy(Loss):
    is_classification = True

    def forward(self, z, y):
        shifted = z - z.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self.p, self.y = np.exp(log_p), y
        return -log_p[np.arange(len(y)), y].mean()

    def backward(self):
        grad = self.p.copy()
        grad[np.arange(len(self.y)), self.y] -= 1
        return grad / len(self.y)


class SoftmaxCEOneHot(Loss):  # stable softmax, then log; one-hot by np.eye; a float
    def forward(self, z, y):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        self.p = e / e.sum(axis=1, keepdims=True)
        self.t = np.eye(z.shape[1])[y]
        return float(-(self.t * np.log(self.p)).sum() / len(z))

    def backward(self):
        return (self.p - self.t) / len(self.p)


class SoftmaxCELoops(Loss):  # a sample at a time, the loss a 0-d array
    def forward(self, z, y):
        self.z, self.y = z, y
        total = 0.0
        for row, label in zip(z, y):
            m = row.max()
            total += m + np.log(np.sum(np.exp(row - m))) - row[label]
        return np.array(total / len(z))

    def backward(self):
        grad = np.zeros_like(self.z)
        for n, (row, label) in enumerate(zip(self.z, self.y)):
            e = np.exp(row - row.max())
            grad[n] = e / e.sum()
            grad[n, label] -= 1
        return grad / len(self.z)


class SoftmaxCEFloat32(MySoftmaxCrossEntropy):
    def forward(self, z, y):
        return np.float32(MySoftmaxCrossEntropy.forward(self, z.astype(np.float32), y))


@pytest.mark.parametrize("answer", [MySoftmaxCrossEntropy, SoftmaxCEOneHot, SoftmaxCELoops,
                                    SoftmaxCEFloat32])
def test_softmax_cross_entropy_correct_answers_pass(answer, capsys):
    checks.check_softmax_cross_entropy(answer)
    assert capsys.readouterr().out.strip() == checks.PASSED


def test_softmax_cross_entropy_reference_passes_the_gradient_check():
    rng = np.random.default_rng(0)
    z, y = rng.standard_normal((6, 4)), rng.integers(0, 4, size=6)
    assert check_loss(MySoftmaxCrossEntropy(), z, y) < 1e-7


def _naive_forward(self, z, y):
    self.p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    self.y = y
    return -np.log(self.p[np.arange(len(y)), y]).mean()


def _per_sample(self, z, y):
    MySoftmaxCrossEntropy.forward(self, z, y)
    return -np.log(self.p[np.arange(len(y)), y])


def _summed(self, z, y):
    return MySoftmaxCrossEntropy.forward(self, z, y) * len(y)


def _changes_cache(self):
    self.p[np.arange(len(self.y)), self.y] -= 1
    return self.p / len(self.y)


def _inplace_logits(self, z, y):
    z -= z.max(axis=1, keepdims=True)
    return MySoftmaxCrossEntropy.forward(self, z, y)


def _wrong_axis(self, z, y):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    self.p, self.y = e / e.sum(axis=0, keepdims=True), y
    return -np.log(self.p[np.arange(len(y)), y]).mean()


def _ce(backward=None, forward=None):
    methods = {}
    if backward is not None:
        methods["backward"] = backward
    if forward is not None:
        methods["forward"] = forward
    return variant(MySoftmaxCrossEntropy, **methods)


def _onehot(self):
    return np.eye(self.p.shape[1])[self.y]


@pytest.mark.parametrize("wrong,message", [
    (_ce(forward=_naive_forward), r"logits around \+-1000 is nan: np.exp\(1000\) overflows"),
    (_ce(forward=_per_sample), r"returned one loss per sample, shape \(5,\). The loss is their "
                               r"mean"),
    (_ce(forward=_summed), r"is the sum over the batch; the loss is the mean over the N = 5"),
    (_ce(forward=lambda self, z, y: -MySoftmaxCrossEntropy.forward(self, z, y)),
     r"has the wrong sign"),
    (_ce(forward=lambda self, z, y: MySoftmaxCrossEntropy.forward(self, z, y) / z.shape[1]),
     r"is averaged over all N \* K = 15 entries"),
    (_ce(forward=_wrong_axis), r"normalises the softmax over axis 0, the batch"),
    (_ce(forward=_inplace_logits), r"forward\(z, y\) changed its input `z` in place"),
    (_ce(backward=lambda self: self.p - _onehot(self)),
     r"backward\(\) .* is not divided by N = 5. The loss is a mean over the batch"),
    (_ce(backward=lambda self: (self.p - self.y[:, None]) / len(self.y)),
     r"subtracts the labels themselves from every column. y must be one-hot"),
    (_ce(backward=lambda self: (_onehot(self) - self.p) / len(self.y)),
     r"has the wrong sign: the gradient is \(p - t\) / N with t one-hot"),
    (_ce(backward=lambda self: self.p / len(self.y)), r"is p / N: subtract the one-hot target"),
    (_ce(backward=lambda self: (self.p - _onehot(self)) / len(self.y) ** 2),
     r"is divided by N = 5 twice"),
    (_ce(backward=lambda self: -_onehot(self) / (len(self.y) * self.p)),
     r"is dL/dp, the gradient with respect to the probabilities"),
    (_ce(backward=_changes_cache),
     r"A second backward\(\) after the same forward returned something else"),
    (_ce(backward=lambda self: ((self.p - _onehot(self)) / len(self.y)).T),
     r"should have shape \(5, 3\), got \(3, 5\)"),
    (MySoftmaxCrossEntropy(), r"Pass the class itself"),
])
def test_softmax_cross_entropy_slips_are_named(wrong, message):
    raises_slip(wrong, checks.check_softmax_cross_entropy, message)


def test_softmax_cross_entropy_wants_integer_labels_not_one_hot():
    class WantsOneHot(MySoftmaxCrossEntropy):
        def forward(self, z, y):
            self.t = y
            return float(-(y * (z - z.max(1, keepdims=True))).sum())  # broadcasting fails

    raises_slip(WantsOneHot, checks.check_softmax_cross_entropy,
                r"raised ValueError: .*y holds 5 integer labels in \[0, 3\)")


def test_require_names_the_exercise_when_a_piece_is_unwritten():
    class Unwritten(Layer):
        def forward(self, x):
            raise NotImplementedError("Your turn")

        def backward(self, grad_out):
            raise NotImplementedError("Your turn")

    with pytest.raises(checks.ExerciseError, match=r"exercise 5 \(MyReLU\), which is not written"):
        checks.require("exercise 5 (MyReLU)", checks.check_relu, Unwritten)


@pytest.mark.parametrize("check, answer", [
    (checks.check_matmul, MyMatMul), (checks.check_bias_add, MyBiasAdd),
    (checks.check_sigmoid, MySigmoid), (checks.check_tanh, MyTanh), (checks.check_relu, MyReLU),
    (checks.check_softmax_cross_entropy, MySoftmaxCrossEntropy),
    (checks.check_leaky_relu, LeakyReLU), (checks.check_leaky_relu_jacobian, jacobian_right),
])
def test_checks_print_only_the_verdict_and_keep_no_state(check, answer, capsys):
    check(answer)
    check(answer)  # a second run gives the same verdict: the check keeps no state
    assert capsys.readouterr().out.splitlines() == [checks.PASSED] * 2


def test_students_layers_train_like_course_libs():
    """The payoff of the lesson: a network of the student's classes trains as course_lib's."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((60, 4)), rng.integers(0, 3, size=60)
    W1, W2 = 0.5 * rng.standard_normal((4, 8)), 0.5 * rng.standard_normal((8, 3))

    def net(matmul, bias_add, activation):
        return Sequential([matmul(W1.copy()), bias_add(np.zeros(8)), activation(),
                           matmul(W2.copy()), bias_add(np.zeros(3))])

    mine = net(MyMatMul, MyBiasAdd, MyTanh)
    reference = net(MatMul, BiasAdd, Tanh)
    for model, loss in ((mine, MySoftmaxCrossEntropy()), (reference, SoftmaxCrossEntropyLoss())):
        fit(model, loss, SGD(0.1), X, y, epochs=3, batch_size=8, seed=1, progress=False)
    for a, b in zip(mine.layers, reference.layers):
        for name in a.params:
            np.testing.assert_allclose(a.params[name], b.params[name], rtol=1e-10, atol=1e-12)


# --- plots.chain_diagram ---------------------------------------------------------------
def test_chain_diagram_draws_every_label():
    ax = plots.chain_diagram(["x", "Op", "L"], ["1.0", "2.0"], ["0.5", "1"],
                             params={1: ("W", "3.0", "0.25")})
    texts = {t.get_text() for t in ax.texts}
    assert {"x", "Op", "L", "1.0", "2.0", "0.5", "1", "W", "3.0", "0.25"} <= texts
    plt.close(ax.figure)


def test_chain_diagram_needs_one_label_per_gap():
    with pytest.raises(ValueError, match=r"one label per gap \(2\), got 1 and 2"):
        plots.chain_diagram(["x", "Op", "L"], ["1.0"], ["0.5", "1"])


# --- no credit for course_lib's own layers; the Layer interface is part of the check -------
from course_lib.layers import Sigmoid  # noqa: E402


class InheritsSigmoid(Sigmoid):
    pass


class CallsSigmoid(Layer):
    def __init__(self):
        super().__init__()
        self.inner = Sigmoid()

    def forward(self, x):
        return self.inner.forward(x)

    def backward(self, grad_out):
        return self.inner.backward(grad_out)


class SuperForward(Tanh):
    def forward(self, x):
        return super().forward(x)


class MatMulViaCourse(MatMul):
    pass


class LossViaCourse(Loss):
    def __init__(self):
        super().__init__()
        self.inner = SoftmaxCrossEntropyLoss()

    def forward(self, z, y):
        return self.inner.forward(z, y)

    def backward(self):
        return self.inner.backward()


@pytest.mark.parametrize("check, answer, message", [
    (checks.check_sigmoid, InheritsSigmoid, "inherits from course_lib's .*Sigmoid"),
    (checks.check_sigmoid, CallsSigmoid, "calls course_lib's .*Sigmoid.forward"),
    (checks.check_tanh, SuperForward, "inherits from course_lib's .*Tanh"),
    (checks.check_matmul, MatMulViaCourse, "inherits from course_lib's .*MatMul"),
    (checks.check_softmax_cross_entropy, LossViaCourse,
     "calls course_lib's .*SoftmaxCrossEntropyLoss"),
])
def test_course_libs_own_layer_gets_no_credit(capsys, check, answer, message):
    with pytest.raises(checks.ExerciseError, match=message):
        check(answer)
    assert checks.PASSED not in capsys.readouterr().out


def _without_super_init(base):
    class NoSuperInit(base):
        def __init__(self, alpha=0.01):
            self.alpha = alpha  # and no super().__init__()

    return NoSuperInit


@pytest.mark.parametrize("check, right", [
    (checks.check_sigmoid, "MySigmoid"), (checks.check_tanh, "MyTanh"),
    (checks.check_relu, "MyReLU"), (checks.check_leaky_relu, "LeakyReLU"),
])
def test_a_layer_without_params_and_grads_is_named(check, right):
    answer = _without_super_init(globals()[right])
    with pytest.raises(checks.ExerciseError, match=r"no self.params and no self.grads.*"
                                                   r"super\(\).__init__\(\)"):
        check(answer)


def _leaky_backward(rule):
    class Leaky(Layer):
        def __init__(self, alpha=0.01):
            super().__init__()
            self.alpha = alpha

        def forward(self, x):
            self.x = x
            return np.where(x > 0, x, self.alpha * x)

        def backward(self, grad_out):
            return rule(self, grad_out)

    return Leaky


@pytest.mark.parametrize("rule, message", [
    (lambda s, g: np.where(g > 0, g, s.alpha * g), "sign of grad_out"),
    (lambda s, g: np.where(s.x > 0, s.alpha * g, g), "swapped"),
    (lambda s, g: np.where(s.x > 0, g, 0.0), "is ReLU.s: where x <= 0"),
    (lambda s, g: np.where(s.x > 0, g, -s.alpha * g), "uses the slope -alpha = -0.1"),
    (lambda s, g: g * np.where(s.x > 0, s.x, s.alpha * s.x), "by the output y"),
])
def test_leaky_relu_backward_slips_are_named(rule, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_leaky_relu(_leaky_backward(rule))
