"""Lesson 06's exercise checks: correct answers in several styles pass, each usual slip is
rejected with its own message."""

import numpy as np
import pytest

from check_helpers import fails, passes

from course_lib import checks
from course_lib.layers import BatchNorm, Dropout, Layer
from course_lib.losses import SoftmaxCrossEntropyLoss
from course_lib.model import Sequential
from course_lib.optim import SGD
from course_lib.train import fit


# --- check_l2_term ---------------------------------------------------------------------------
def penalty_right(params, weight_decay):
    return weight_decay / 2 * sum(np.sum(p ** 2) for p in params)


def penalty_loop(params, weight_decay):
    total = 0.0
    for p in params:
        for v in p.ravel():
            total += float(v) * float(v)
    return 0.5 * weight_decay * total


def penalty_float32(params, weight_decay):
    return np.float32(weight_decay / 2) * np.float32(sum(np.vdot(p, p) for p in params))


def gradient_right(grad, param, weight_decay):
    return grad + weight_decay * param


def gradient_copy(grad, param, weight_decay):
    out = grad.copy()
    out += weight_decay * param
    return out


def test_l2_correct_answers_pass(capsys):
    passes(capsys, checks.check_l2_term, penalty_right, gradient_right)
    passes(capsys, checks.check_l2_term, penalty_loop, gradient_copy)
    passes(capsys, checks.check_l2_term, penalty_float32,
           lambda g, p, wd: (g.astype(np.float32) + np.float32(wd) * p.astype(np.float32)))


def test_l2_agrees_with_sgd_weight_decay():
    rng = np.random.default_rng(0)
    p, g = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    layer = Layer()
    layer.params["W"], layer.grads["W"] = p.copy(), g.copy()
    SGD(0.1, weight_decay=0.2).step(layer)
    np.testing.assert_allclose(layer.params["W"], p - 0.1 * gradient_right(g, p, 0.2))


@pytest.mark.parametrize("penalty, match", [
    (lambda ps, wd: wd * sum(np.sum(p ** 2) for p in ps), "has no 1/2"),
    (lambda ps, wd: sum(np.sum(p ** 2) for p in ps) / 2, "leaves out weight_decay"),
    (lambda ps, wd: wd / 2 * (np.sum(ps[0] ** 2) + np.sum(ps[2] ** 2)), "leaves out the biases"),
    (lambda ps, wd: wd / 2 * sum(np.linalg.norm(p) for p in ps), "norms"),
    (lambda ps, wd: wd / 2 * sum(np.sum(np.abs(p)) for p in ps), "L1"),
    (lambda ps, wd: wd / 2 * np.array([np.sum(p ** 2) for p in ps]), "one number"),
    (lambda ps, wd: None, "forget to return"),
])
def test_l2_penalty_slips(penalty, match):
    fails(checks.check_l2_term, penalty, gradient_right, match=match)


def in_place(grad, param, weight_decay):
    grad += weight_decay * param
    return grad


@pytest.mark.parametrize("gradient, match", [
    (lambda g, p, wd: g + 2 * wd * p, "factor 2"),
    (lambda g, p, wd: g + wd * g, "decays the gradient"),
    (lambda g, p, wd: wd * p, "only the penalty's gradient"),
    (lambda g, p, wd: g - wd * p, "subtracts"),
    (lambda g, p, wd: p * (1 - wd), "shrunk parameter"),
    (in_place, "changed its input `grad` in place"),
])
def test_l2_gradient_slips(gradient, match):
    fails(checks.check_l2_term, penalty_right, gradient, match=match)


# --- check_dropout ---------------------------------------------------------------------------
class DropoutRight(Layer):
    def __init__(self, p, rng):
        super().__init__()
        self.p, self.rng = p, rng

    def forward(self, x):
        if not self.training or self.p == 0:
            self.mask = None
            return x
        self.mask = (self.rng.random(x.shape) >= self.p) / (1 - self.p)
        return x * self.mask

    def backward(self, grad_out):
        return grad_out if self.mask is None else grad_out * self.mask


class DropoutBinomial(Layer):
    """Another correct style: a binomial keep mask, float32 arithmetic, np.where."""

    def __init__(self, p, rng):
        super().__init__()
        self.p, self.rng = p, rng

    def forward(self, x):
        self.keep = self.rng.binomial(1, 1 - self.p, size=x.shape).astype(bool)
        if not self.training:
            return x.copy()
        return np.where(self.keep, x / x.dtype.type(1 - self.p), x.dtype.type(0))

    def backward(self, grad_out):
        if not self.training:
            return grad_out
        return np.where(self.keep, grad_out / grad_out.dtype.type(1 - self.p), 0)


class CourseDropout(Dropout):
    """course_lib's Dropout with the exercise's signature."""

    def __init__(self, p, rng):
        super().__init__(p, rng=rng)


def test_dropout_correct_answers_pass(capsys):
    passes(capsys, checks.check_dropout, DropoutRight)
    passes(capsys, checks.check_dropout, DropoutBinomial)
    with pytest.raises(checks.ExerciseError, match="inherits from course_lib's .*Dropout"):
        checks.check_dropout(CourseDropout)  # no credit for course_lib's Dropout


def variant(forward, backward=None):
    class Variant(DropoutRight):
        pass

    Variant.forward = forward
    if backward is not None:
        Variant.backward = backward
    return Variant


def fwd_no_scale(self, x):
    if not self.training:
        self.mask = None
        return x
    self.mask = self.rng.random(x.shape) >= self.p
    return x * self.mask


def fwd_keep_p(self, x):
    if not self.training:
        self.mask = None
        return x
    self.mask = (self.rng.random(x.shape) < self.p) / (1 - self.p)
    return x * self.mask


def fwd_times_keep(self, x):
    if not self.training:
        self.mask = None
        return x
    self.mask = (self.rng.random(x.shape) >= self.p) * (1 - self.p)
    return x * self.mask


def fwd_global(self, x):
    if not self.training:
        self.mask = None
        return x
    self.mask = (np.random.random(x.shape) >= self.p) / (1 - self.p)
    return x * self.mask


def bwd_redraw(self, grad_out):
    return grad_out * (self.rng.random(grad_out.shape) >= self.p) / (1 - self.p)


def bwd_no_scale(self, grad_out):
    return grad_out * (self.mask != 0)


def bwd_identity(self, grad_out):
    return grad_out


def fwd_always(self, x):
    self.mask = (self.rng.random(x.shape) >= self.p) / (1 - self.p)
    return x * self.mask


def fwd_eval_scaled(self, x):
    if not self.training:
        self.mask = None
        return x * (1 - self.p)
    self.mask = (self.rng.random(x.shape) >= self.p) / (1 - self.p)
    return x * self.mask


@pytest.mark.parametrize("layer_class, match", [
    (variant(fwd_no_scale), "without the 1/\\(1 - p\\) scaling"),
    (variant(fwd_keep_p), "p is the probability of dropping"),
    (variant(fwd_times_keep), "multiplies the kept entries by 1 - p"),
    (variant(fwd_global), "not from np.random"),
    (variant(DropoutRight.forward, bwd_redraw), "draws a new mask"),
    (variant(DropoutRight.forward, bwd_no_scale), "without the 1/\\(1 - p\\) factor"),
    (variant(DropoutRight.forward, bwd_identity), "returns grad_out unchanged"),
    (variant(fwd_always), "still drops entries"),
    (variant(fwd_eval_scaled), "evaluation is the identity"),
])
def test_dropout_slips(layer_class, match):
    fails(checks.check_dropout, layer_class, match=match)


def test_dropout_same_mask_every_forward_is_named():
    class SameMask(DropoutRight):
        def forward(self, x):
            if not self.training:
                self.mask = None
                return x
            self.mask = (np.random.default_rng(0).random(x.shape) >= self.p) / (1 - self.p)
            return x * self.mask

    fails(checks.check_dropout, SameMask, match="same mask on the second call")


# --- check_early_stopping ------------------------------------------------------------------
def early_right(val_losses, patience):
    best, best_loss = 0, float("inf")
    for epoch, value in enumerate(val_losses, start=1):
        if value < best_loss:
            best, best_loss = epoch, value
        elif epoch - best >= patience:
            return best, epoch
    return best, len(val_losses)


def early_numpy(val_losses, patience):
    losses = np.asarray(val_losses)
    running_min = np.minimum.accumulate(losses)
    improved = np.r_[True, losses[1:] < running_min[:-1]]
    best_so_far = np.maximum.accumulate(np.where(improved, np.arange(len(losses)), 0))
    waited = np.arange(len(losses)) - best_so_far
    stops = np.flatnonzero(waited >= patience)
    stop = stops[0] + 1 if len(stops) else len(losses)
    return best_so_far[stop - 1] + 1, stop


def test_early_stopping_correct_answers_pass(capsys):
    passes(capsys, checks.check_early_stopping, early_right)
    passes(capsys, checks.check_early_stopping, early_numpy)
    passes(capsys, checks.check_early_stopping, lambda v, p: list(early_right(v, p)))


@pytest.mark.parametrize("losses, patience", checks.lesson06.L06_EARLY_CASES)
def test_early_stopping_reference_agrees_with_fit(losses, patience):
    """fit(early_stopping=...) stops and restores where the exercise's reference says."""

    class Scripted(SoftmaxCrossEntropyLoss):
        calls = 0

        def forward(self, pred, target):
            value = super().forward(pred, target)
            if len(pred) == 5:
                Scripted.calls += 1
                return losses[Scripted.calls - 1]
            return value

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), rng.integers(0, 2, 40)
    from course_lib.layers import Dense
    history = fit(Sequential([Dense(3, 2, rng=0)]), Scripted(), SGD(0.01), X, y,
                  epochs=len(losses), batch_size=20, progress=False,
                  validation_data=(X[:5], y[:5]), early_stopping=patience)
    assert (history.best_epoch, history.epochs) == early_right(losses, patience)


def early_last(val_losses, patience):
    return early_right(val_losses, patience)[1], early_right(val_losses, patience)[1]


def early_zero_based(val_losses, patience):
    b, s = early_right(val_losses, patience)
    return b - 1, s - 1


def early_ties(val_losses, patience):
    best, best_loss = 0, float("inf")
    for epoch, value in enumerate(val_losses, start=1):
        if value <= best_loss:
            best, best_loss = epoch, value
        elif epoch - best >= patience:
            return best, epoch
    return best, len(val_losses)


def early_late(val_losses, patience):
    best, best_loss = 0, float("inf")
    for epoch, value in enumerate(val_losses, start=1):
        if value < best_loss:
            best, best_loss = epoch, value
        elif epoch - best > patience:
            return best, epoch
    return best, len(val_losses)


def early_global(val_losses, patience):
    return int(np.argmin(val_losses)) + 1, early_right(val_losses, patience)[1]


@pytest.mark.parametrize("answer, match", [
    (early_last, "last trained epoch as the best"),
    (early_zero_based, "counts epochs from 0"),
    (early_ties, "strictly lower"),
    (early_late, "one epoch late"),
    (early_global, "after the stop"),
    (lambda v, p: None, "forget to return"),
    (lambda v, p: (1.0, 2.0), "two ints"),
])
def test_early_stopping_slips(answer, match):
    fails(checks.check_early_stopping, answer, match=match)


# --- check_batchnorm_backward ------------------------------------------------------------
def bn_compact(grad_out, x, gamma, eps):
    mean, var = x.mean(axis=0), x.var(axis=0)
    inv = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv
    dgamma, dbeta = (grad_out * x_hat).sum(axis=0), grad_out.sum(axis=0)
    g = grad_out * gamma
    dx = inv * (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0))
    return dx, dgamma, dbeta


def bn_staged(grad_out, x, gamma, eps):
    n = x.shape[0]
    mu = x.sum(axis=0) / n
    xc = x - mu
    var = (xc ** 2).sum(axis=0) / n
    std = np.sqrt(var + eps)
    x_hat = xc / std
    dx_hat = grad_out * gamma
    dvar = (dx_hat * xc * -0.5 * std ** -3).sum(axis=0)
    dmu = (-dx_hat / std).sum(axis=0) + dvar * (-2 * xc).sum(axis=0) / n
    dx = dx_hat / std + dvar * 2 * xc / n + dmu / n
    return dx, (grad_out * x_hat).sum(axis=0), grad_out.sum(axis=0)


def bn_layer(grad_out, x, gamma, eps):
    layer = BatchNorm(x.shape[1], eps=eps, dtype=x.dtype)
    layer.params["gamma"][...] = gamma
    layer.forward(x)
    dx = layer.backward(grad_out)
    return dx, layer.grads["gamma"], layer.grads["beta"]


def test_batchnorm_backward_correct_answers_pass(capsys):
    passes(capsys, checks.check_batchnorm_backward, bn_compact)
    passes(capsys, checks.check_batchnorm_backward, bn_staged)
    with pytest.raises(checks.ExerciseError, match="calls course_lib's .*BatchNorm"):
        checks.check_batchnorm_backward(bn_layer)  # no credit for course_lib's BatchNorm
    passes(capsys, checks.check_batchnorm_backward,  # float32 throughout
           lambda g, x, gm, eps: tuple(a.astype(np.float32) for a in bn_compact(
               g.astype(np.float32), x.astype(np.float32), gm.astype(np.float32), eps)))


def bn_no_mean_terms(grad_out, x, gamma, eps):
    dx, dgamma, dbeta = bn_compact(grad_out, x, gamma, eps)
    return grad_out * gamma / np.sqrt(x.var(axis=0) + eps), dgamma, dbeta


def bn_no_var_path(grad_out, x, gamma, eps):
    _, dgamma, dbeta = bn_compact(grad_out, x, gamma, eps)
    g = grad_out * gamma
    return (g - g.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps), dgamma, dbeta


def bn_unbiased(grad_out, x, gamma, eps):
    mean, var = x.mean(axis=0), x.var(axis=0, ddof=1)
    inv = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv
    g = grad_out * gamma
    dx = inv * (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0))
    return dx, (grad_out * x_hat).sum(axis=0), grad_out.sum(axis=0)


def bn_no_gamma(grad_out, x, gamma, eps):
    dx, dgamma, dbeta = bn_compact(grad_out, x, gamma, eps)
    return dx / gamma, dgamma, dbeta


def bn_dgamma_sum(grad_out, x, gamma, eps):
    dx, _, dbeta = bn_compact(grad_out, x, gamma, eps)
    return dx, grad_out.sum(axis=0), dbeta


def bn_dbeta_mean(grad_out, x, gamma, eps):
    dx, dgamma, _ = bn_compact(grad_out, x, gamma, eps)
    return dx, dgamma, grad_out.mean(axis=0)


def bn_swapped(grad_out, x, gamma, eps):
    dx, dgamma, dbeta = bn_compact(grad_out, x, gamma, eps)
    return dx, dbeta, dgamma


def bn_in_place(grad_out, x, gamma, eps):
    out = bn_compact(grad_out, x, gamma, eps)
    x -= x.mean(axis=0)
    return out


@pytest.mark.parametrize("answer, match", [
    (bn_no_mean_terms, "as constants"),
    (bn_no_var_path, "path through the variance"),
    (bn_unbiased, "unbiased variance"),
    (bn_no_gamma, "leaves out gamma"),
    (bn_dgamma_sum, "dgamma .* is sum\\(grad_out\\)"),
    (bn_dbeta_mean, "dbeta .* is a mean"),
    (bn_swapped, "swapped"),
    (bn_in_place, "changed its input `x` in place"),
    (lambda g, x, gm, eps: bn_compact(g, x, gm, eps)[0], "three arrays"),
])
def test_batchnorm_backward_slips(answer, match):
    fails(checks.check_batchnorm_backward, answer, match=match)


def _dropout_mask_shape(shape_of):
    class SharedMask(DropoutRight):
        def forward(self, x):
            if not self.training or self.p == 0:
                self.mask = None
                return x
            self.mask = (self.rng.random(shape_of(x)) >= self.p) / (1 - self.p)
            return x * self.mask

    return SharedMask


@pytest.mark.parametrize("shape_of, message", [
    (lambda x: x.shape[1:], "same features in every sample"),
    (lambda x: (1, x.shape[1]), "same features in every sample"),
    (lambda x: (x.shape[0], 1), "drops whole samples"),
])
def test_dropout_mask_shared_across_the_batch_is_named(shape_of, message):
    answer = _dropout_mask_shape(shape_of)
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_dropout(answer)


class NoSuperInitDropout(DropoutRight):
    def __init__(self, p, rng):
        self.p, self.rng = p, rng


def test_dropout_without_super_init_is_named():
    with pytest.raises(checks.ExerciseError, match=r"no self.params and no self.grads.*"
                                                   r"super\(\).__init__\(\)"):
        checks.check_dropout(NoSuperInitDropout)


# --- slips a simulated class found unnamed (tests/class_simulation/lesson06.py) ------------
def penalty_global_mean(params, weight_decay):
    flat = np.concatenate([p.ravel() for p in params])
    return weight_decay / 2 * np.mean(flat ** 2)


def fwd_eval_divided(self, x):
    if not self.training:
        self.mask = None
        return x / (1 - self.p)
    self.mask = (self.rng.random(x.shape) >= self.p) / (1 - self.p)
    return x * self.mask


def early_previous(val_losses, patience):
    best_epoch, worse = 1, 0
    for epoch in range(2, len(val_losses) + 1):
        if val_losses[epoch - 1] < val_losses[epoch - 2]:
            best_epoch, worse = epoch, 0
        else:
            worse += 1
        if worse == patience:
            return best_epoch, epoch
    return best_epoch, len(val_losses)


def bn_with(dx_of):
    def answer(grad_out, x, gamma, eps):
        inv = 1 / np.sqrt(x.var(0) + eps)
        x_hat = (x - x.mean(0)) * inv
        return dx_of(grad_out * gamma, x_hat, inv), (grad_out * x_hat).sum(0), grad_out.sum(0)
    return answer


def bn_eps_outside(grad_out, x, gamma, eps):
    inv = 1 / (x.std(0) + eps)
    x_hat = (x - x.mean(0)) * inv
    g = grad_out * gamma
    dx = inv * (g - g.mean(0) - x_hat * (g * x_hat).mean(0))
    return dx, (grad_out * x_hat).sum(0), grad_out.sum(0)


def test_l2_penalty_mean_over_every_entry_is_named():
    fails(checks.check_l2_term, penalty_global_mean, gradient_right, match="over every entry")


def test_dropout_evaluation_divided_by_keep_is_named():
    fails(checks.check_dropout, variant(fwd_eval_divided), match="divides by 1 - p.*identity")


def test_early_stopping_against_the_previous_epoch_is_named():
    fails(checks.check_early_stopping, early_previous, match="previous epoch.*best so far")


@pytest.mark.parametrize("answer, match", [
    (bn_with(lambda g, xh, inv: inv * (len(g) * g - g.sum(0) - xh * (g * xh).sum(0))),
     "N = 6 times too large"),
    (bn_with(lambda g, xh, inv: inv * (g - g.mean(1, keepdims=True)
                                       - xh * (g * xh).mean(1, keepdims=True))),
     "over the features \\(axis=1\\)"),
    (bn_eps_outside, "eps outside the square root"),
])
def test_batchnorm_backward_more_slips(answer, match):
    fails(checks.check_batchnorm_backward, answer, match=match)


def test_early_stopping_that_never_stops_is_named():
    fails(checks.check_early_stopping, lambda losses, patience: (
        int(np.argmin(losses)) + 1, len(losses)), match="never stops")


def test_l2_gradient_read_off_sgd_is_refused():
    def by_sgd(grad, param, weight_decay):
        holder = Layer()
        holder.params["p"], holder.grads["p"] = param.astype(np.float64), grad.astype(np.float64)
        SGD(1.0, weight_decay=weight_decay).step(holder)
        return (param - holder.params["p"]).astype(param.dtype)

    fails(checks.check_l2_term, penalty_right, by_sgd, match="course_lib.*SGD")
