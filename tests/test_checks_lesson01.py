"""Lesson 01's exercise checks: a correct answer passes, each usual slip gets its own message.

Also a smoke test for plots.chain_diagram, the lesson's graph picture.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib import checks, plots  # noqa: E402
from course_lib.gradcheck import check_layer  # noqa: E402
from course_lib.layers import Layer, ReLU  # noqa: E402


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
    (lambda x, a: np.diag(np.where(x > 0, 1.0, a)).tolist(), r"should be a NumPy array.*got a list"),
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
    (make_leaky(forward=inplace_forward), r"forward changed its input x in place"),
    (make_leaky(forward=lambda self, x: ReLU.forward(self, x)),
     r"forward\(x\) with alpha=0.1 is ReLU's"),
    (make_leaky(forward=lambda self, x: setattr(self, "positive", x > 0) or x),
     r"forward\(x\) with alpha=0.1 uses slope 1 where x <= 0, like the identity"),
    (make_leaky(forward=lambda self, x: setattr(self, "positive", x > 0) or np.abs(x)),
     r"forward\(x\) with alpha=0.1 uses the slope -1 where x <= 0"),
    (make_leaky(backward=inplace_backward), r"backward changed grad_out in place"),
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
     r"backward\(grad_out\) with alpha=0.1 uses the slope -0.1"),
    (make_leaky(backward=lambda self, g: np.where(self.positive, g, self.alpha * g)[::-1]),
     r"backward\(grad_out\) with alpha=0.1 is wrong: at index"),
])
def test_layer_wrong_is_named(wrong, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_leaky_relu(wrong)


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
