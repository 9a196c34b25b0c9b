"""Lesson 03's exercise checks: a correct answer passes, each usual slip gets its message.

Also smoke tests for the plot helpers lessons 02 and 03 added to course_lib.plots.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib import checks, plots  # noqa: E402
from course_lib.layers import Dense, ReLU, Sigmoid, Softmax, Tanh  # noqa: E402
from course_lib.model import Sequential  # noqa: E402


# --- check_build_digits_model -------------------------------------------------------------
def build_right(seed=0):
    rng = np.random.default_rng(seed)
    return Sequential([Dense(64, 89, init="glorot", rng=rng), Tanh(),
                       Dense(89, 10, init="glorot", rng=rng)])


def build_float32(seed=0):
    rng = np.random.default_rng(seed)
    layers = [Dense(64, 89, init="glorot", rng=rng, dtype=np.float32), Tanh()]
    return Sequential(layers + [Dense(89, 10, init="glorot", rng=rng, dtype=np.float32)])


def build_astype(seed=0):
    return build_right(seed).astype(np.float32)


@pytest.mark.parametrize("build", [build_right, build_float32, build_astype])
def test_build_digits_model_correct_passes(build, capsys):
    checks.check_build_digits_model(build)
    assert capsys.readouterr().out.strip() == checks.PASSED


def builder(*layers):
    """A build_digits_model that ignores nothing but returns the given layers, made afresh."""
    def build(seed=0):
        return Sequential([make(seed) for make in layers])
    return build


def glorot(n_in, n_out):
    return lambda seed: Dense(n_in, n_out, init="glorot", rng=seed + 100 * n_in)


GLOROT_TANH = [glorot(64, 89), lambda seed: Tanh()]


@pytest.mark.parametrize("build,message", [
    (build_right(0), r"Pass the function itself, check_build_digits_model\(build_digits_model\)"
                     r", not what it returns \(got Sequential\)"),
    (lambda seed: None, r"build_digits_model\(0\) returned None: did the function forget to "
                        r"`return`"),
    (lambda seed: build_right(seed).layers, r"should return a course_lib.model.Sequential, got "
                                            r"list"),
    (builder(*GLOROT_TANH, glorot(89, 10), lambda seed: Softmax()),
     r"The last layer is a Softmax. Leave it out"),
    (builder(*GLOROT_TANH, glorot(89, 10), lambda seed: Sigmoid()),
     r"The output has an activation, Sigmoid\(\)"),
    (builder(glorot(64, 89), glorot(89, 10)), r"should have 3 layers, .* got 2: Dense\(64 -> 89"),
    (builder(glorot(64, 89), lambda seed: ReLU(), glorot(89, 10)),
     r"Layer 1, the hidden activation, should be Tanh\(\), got ReLU\(\)"),
    (builder(glorot(89, 64), lambda seed: Tanh(), glorot(89, 10)),
     r"Layer 0 should be Dense\(64 -> 89\), got Dense\(89 -> 64\)\. n_in and n_out are swapped"),
    (builder(*GLOROT_TANH, glorot(89, 1)), r"Layer 2 should be Dense\(89 -> 10\), got "
                                           r"Dense\(89 -> 1\)\.$"),
    (builder(lambda seed: Tanh(), lambda seed: Tanh(), glorot(89, 10)),
     r"Layer 0 should be Dense\(64 -> 89\), got Tanh\(\)"),
    (builder(lambda seed: Dense(64, 89, init="zeros"), lambda seed: Tanh(), glorot(89, 10)),
     r"Layer 0's weights are all zero"),
    (lambda seed: Sequential([Dense(64, 89, init="glorot"), Tanh(),
                              Dense(89, 10, init="glorot")]),
     r"Two calls build_digits_model\(0\) give different weights"),
    (lambda seed: build_right(0), r"build_digits_model\(0\) and build_digits_model\(1\) give "
                                  r"the same weights: the seed argument is not used"),
    (lambda seed: Sequential([Dense(64, 89, rng=seed), Tanh(), Dense(89, 10, rng=seed)]),
     r"Layer 0's weights are not Glorot's: .*\(Dense's default is \"he\""),
    (lambda seed: Sequential([Dense(64, 89, init="glorot", rng=seed), Tanh(),
                              Dense(89, 10, init="glorot", rng=seed)]),
     r"Layer 2 has a generator of its own, seeded with the same seed as layer 0's"),
    (lambda seed: Sequential([Dense(64, 89, init="glorot", rng=seed), Tanh(),
                              Dense(89, 10, init="glorot", rng=seed + 1)]),
     r"build_digits_model\(0\): layer 2's weights are Glorot-sized but not the expected ones"),
])
def test_build_digits_model_slips(build, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_build_digits_model(build)


# --- check_mlp_backward ----------------------------------------------------------------
def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def backward_right(X, y, W1, b1, W2, b2):
    N = len(X)
    h = np.tanh(X @ W1 + b1)
    p = softmax(h @ W2 + b2)
    p[np.arange(N), y] -= 1.0
    delta2 = p / N
    delta1 = (delta2 @ W2.T) * (1 - h ** 2)
    return X.T @ delta1, delta1.sum(axis=0), h.T @ delta2, delta2.sum(axis=0)


def backward_einsum(X, y, W1, b1, W2, b2):
    h = np.tanh(np.einsum("nd,dh->nh", X, W1) + b1)
    delta2 = (softmax(np.einsum("nh,hk->nk", h, W2) + b2) - np.eye(W2.shape[1])[y]) / len(X)
    delta1 = np.einsum("nk,hk->nh", delta2, W2) * (1 - h * h)
    return (np.einsum("nd,nh->dh", X, delta1), np.einsum("nh->h", delta1),
            np.einsum("nh,nk->hk", h, delta2), np.einsum("nk->k", delta2))


def backward_loops(X, y, W1, b1, W2, b2):
    N, (d, H), K = len(X), W1.shape, W2.shape[1]
    grads = [np.zeros_like(W1), np.zeros_like(b1), np.zeros_like(W2), np.zeros_like(b2)]
    for n in range(N):
        h = np.tanh(X[n] @ W1 + b1)
        z = h @ W2 + b2
        p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        p[y[n]] -= 1.0
        delta2 = p / N
        delta1 = (W2 @ delta2) * (1 - h ** 2)
        grads[0] += np.outer(X[n], delta1)
        grads[1] += delta1
        grads[2] += np.outer(h, delta2)
        grads[3] += delta2
    return tuple(grads)


def backward_float32(*args):
    return tuple(g.astype(np.float32) for g in backward_right(*[
        a.astype(np.float32) if a.dtype.kind == "f" else a for a in args]))


@pytest.mark.parametrize("answer", [backward_right, backward_einsum, backward_loops,
                                    backward_float32,
                                    lambda *args: list(backward_right(*args))])
def test_mlp_backward_correct_passes(answer, capsys):
    checks.check_mlp_backward(answer)
    assert capsys.readouterr().out.strip() == checks.PASSED


def backward_variant(*, per_sample_sum=False, scores=False, local="tanh", transpose_w1=False,
                     sign=1.0, keepdims=False, in_place=False):
    def backward(X, y, W1, b1, W2, b2):
        N = len(X)
        a = X @ W1 + b1
        h = np.tanh(a)
        z = h @ W2 + b2
        t = np.eye(W2.shape[1])[y]
        delta2 = sign * ((z if scores else softmax(z)) - t) / (1 if per_sample_sum else N)
        slope = {"tanh": 1 - h ** 2, "sigmoid": h * (1 - h), "pre": 1 - a ** 2,
                 "none": 1.0}[local]
        delta1 = (delta2 @ W2.T) * slope
        dW1 = X.T @ delta1
        if in_place:
            W2 -= 0.1 * (h.T @ delta2)
        return (dW1.T if transpose_w1 else dW1), delta1.sum(axis=0, keepdims=keepdims), \
            h.T @ delta2, delta2.sum(axis=0)
    return backward


@pytest.mark.parametrize("wrong,message", [
    (lambda *args: backward_right(*args)[:3], r"should return four arrays \(dW1, db1, dW2, db2\)"
                                              r", got tuple of length 3"),
    (lambda *args: {"dW1": 0}, r"should return four arrays .* got dict"),
    (backward_variant(transpose_w1=True), r"dW1 has shape \(5, 4\), the transpose of its "
                                          r"parameter's \(4, 5\)"),
    (backward_variant(keepdims=True), r"db1 has shape \(1, 5\), the bias has shape \(5,\): sum "
                                      r"delta over the batch axis without keepdims"),
    (backward_variant(per_sample_sum=True), r"dW1 \(on a batch of 6\) is N = 6 times too large"),
    (backward_variant(sign=-1.0), r"dW1 \(on a batch of 6\) has the wrong sign"),
    (backward_variant(scores=True), r"dW1 \(on a batch of 6\) uses the scores z in z - t"),
    (backward_variant(local="sigmoid"), r"dW1 \(on a batch of 6\) uses sigmoid's derivative "
                                        r"h \(1 - h\)"),
    (backward_variant(local="pre"), r"dW1 \(on a batch of 6\) takes tanh's derivative at the "
                                    r"wrong array"),
    (backward_variant(local="none"), r"dW1 \(on a batch of 6\) passes the gradient through the "
                                     r"hidden layer without"),
    (backward_variant(in_place=True), r"mlp_backward on a batch of 6 changed its input `W2` in "
                                      r"place"),
    (lambda *args: (*backward_right(*args)[:3], np.zeros(3)), r"db2 \(on a batch of 6\) is "
                                                              r"wrong: at index"),
    (lambda *args: (*backward_right(*args)[:3], np.zeros(2)), r"db2 \(on a batch of 6\) should "
                                                              r"have shape \(3,\), got \(2,\)"),
])
def test_mlp_backward_slips(wrong, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_mlp_backward(wrong)


def test_mlp_backward_float32_slip_is_still_named():
    wrong = backward_variant(local="sigmoid")
    with pytest.raises(checks.ExerciseError, match=r"uses sigmoid's derivative"):
        checks.check_mlp_backward(lambda *args: tuple(g.astype(np.float32)
                                                      for g in wrong(*args)))


# --- the plot helpers of lessons 02 and 03 ---------------------------------------------
def test_predicted_vs_true_reports_rmse():
    ax = plots.predicted_vs_true(np.array([1.0, 2.0, 3.0]), np.array([[1.0], [2.0], [5.0]]),
                                 title="test")
    assert ax.get_title() == f"test: RMSE {np.sqrt(4 / 3):.2f}"
    with pytest.raises(ValueError, match="same number of values, got 3 and 2"):
        plots.predicted_vs_true(np.zeros(3), np.zeros(2))
    plt.close("all")


def test_activation_histograms_grid():
    rng = np.random.default_rng(0)
    runs = {"small": [rng.normal(0, 0.1, 50), rng.normal(0, 0.01, (5, 10))],
            "right": [rng.normal(0, 1, 50), rng.normal(0, 1, (5, 10))]}
    fig = plots.activation_histograms(runs, value_range=(-1, 1))
    assert len(fig.axes) == 4
    assert fig.axes[0].get_ylabel() == "small" and fig.axes[1].get_title().startswith("layer 2")
    with pytest.raises(ValueError, match="same number of layers, got \\[1, 2\\]"):
        plots.activation_histograms({"a": [np.zeros(3)], "b": [np.zeros(3), np.zeros(3)]})
    plt.close("all")


# --- check_momentum ---------------------------------------------------------------------
class HeavyBall:
    """The lesson's solution: one velocity per (layer index, name), updated in place."""

    def __init__(self, lr, momentum=0.9):
        self.lr, self.momentum, self.velocity = lr, momentum, {}

    def step(self, model):
        for i, layer in enumerate(model.layers):
            for name, p in layer.params.items():
                v = self.velocity.setdefault((i, name), np.zeros_like(p))
                v *= self.momentum
                v -= self.lr * layer.grads[name]
                p += v


class TorchStyleMomentum:
    """v = momentum * v + g; p -= lr * v: the same steps for a constant lr; keyed by id(p)."""

    def __init__(self, lr, momentum=0.9):
        self.lr, self.momentum, self.buffers = lr, momentum, {}

    def step(self, model):
        for layer in model.layers:
            for name in layer.params:
                p, g = layer.params[name], layer.grads[name]
                self.buffers[id(p)] = self.momentum * self.buffers.get(id(p), 0.0) + g
                p[...] = p - self.lr * self.buffers[id(p)]


class Float32Momentum(HeavyBall):
    """Velocities kept in float32 whatever the parameters' dtype."""

    def step(self, model):
        for i, layer in enumerate(model.layers):
            for name, p in layer.params.items():
                v = self.velocity.get((i, name), np.zeros(p.shape, dtype=np.float32))
                g = layer.grads[name].astype(np.float32)
                v = np.float32(self.momentum) * v - np.float32(self.lr) * g
                self.velocity[(i, name)] = v
                p += v


@pytest.mark.parametrize("optimizer_class", [HeavyBall, TorchStyleMomentum, Float32Momentum])
def test_momentum_correct_passes(optimizer_class, capsys):
    checks.check_momentum(optimizer_class)
    assert capsys.readouterr().out.strip() == checks.PASSED


def momentum_variant(slip):
    class Wrong(HeavyBall):
        def step(self, model):
            for i, layer in enumerate(model.layers):
                for name, p in layer.params.items():
                    g = layer.grads[name]
                    key = name if slip == "by_name" else (i, name)
                    if slip == "one_for_all":
                        key = "all"
                    v = self.velocity.get(key, 0.0)
                    if slip == "reset":
                        v = np.zeros_like(p)
                    if slip == "stale":
                        p += v
                    if slip == "uphill":
                        v = self.momentum * v + self.lr * g
                    elif slip == "dampened":
                        v = self.momentum * v - (1 - self.momentum) * self.lr * g
                    elif slip == "grads_in_place":
                        g *= self.lr
                        v = self.momentum * v - g
                    else:
                        v = self.momentum * v - self.lr * g
                    self.velocity[key] = v
                    if slip == "rebind_dict":
                        layer.params[name] = p + v
                    elif slip == "rebind_local":
                        p = p + v
                    elif slip != "stale":
                        p += v
    return Wrong


@pytest.mark.parametrize("wrong,message", [
    (momentum_variant("reset"), r"float64 parameters: the velocity starts from zero at every "
                                r"step, so the parameters follow plain SGD"),
    (momentum_variant("uphill"), r"the parameters move uphill, along the gradient"),
    (momentum_variant("dampened"), r"the velocity is an average, .* \(1 - momentum\) times too "
                                   r"short"),
    (momentum_variant("by_name"), r"step raised ValueError: .*broadcast.* one state array "
                                  r"shared by several parameters"),
    (momentum_variant("one_for_all"), r"one state array shared by several parameters"),
    (momentum_variant("rebind_dict"), r"after step 1, layers\[0\]\.params\['W'\] is a new array"
                                      r"\. Update the parameter in place"),
    (momentum_variant("rebind_local"), r"after step 1 no parameter has changed\. `p = p - \.\.\.`"
                                       r" .* rebinds the local name p"),
    (momentum_variant("stale"), r"after step 1 no parameter has changed.* Or p moved with the "
                                r"velocity before it was updated"),
    (momentum_variant("grads_in_place"), r"step 1 changed its input `layers\[0\]\.grads\['W'\]`"
                                         r" in place"),
    (HeavyBall(0.1), r"Pass the class itself, MomentumOptimizer, not an instance"),
])
def test_momentum_slips(wrong, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_momentum(wrong)


def test_momentum_ignoring_its_momentum_is_caught_at_the_second_step():
    class Fixed(HeavyBall):
        def __init__(self, lr, momentum=0.9):
            super().__init__(lr, 0.9)

    with pytest.raises(checks.ExerciseError, match=r"momentum=0\.5\) on float32 parameters: "
                                                   r"layers\[0\]\.params\['W'\] after step 2 of "
                                                   r"5 is wrong.*The steps before were right"):
        checks.check_momentum(Fixed)


# --- check_adam -------------------------------------------------------------------------
class ExplicitAdam:
    """The lesson's solution: m_hat and v_hat spelled out, state per (layer index, name)."""

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.t, self.m, self.v = 0, {}, {}

    def step(self, model):
        self.t += 1
        for i, layer in enumerate(model.layers):
            for name, p in layer.params.items():
                g, key = layer.grads[name], (i, name)
                self.m[key] = self.beta1 * self.m.get(key, 0.0) + (1 - self.beta1) * g
                self.v[key] = self.beta2 * self.v.get(key, 0.0) + (1 - self.beta2) * g ** 2
                m_hat = self.m[key] / (1 - self.beta1 ** self.t)
                v_hat = self.v[key] / (1 - self.beta2 ** self.t)
                p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class InPlaceAdam(ExplicitAdam):
    """Moments updated in place, keyed by id(p); one step count per parameter."""

    def step(self, model):
        for layer in model.layers:
            for name in layer.params:
                p, g = layer.params[name], layer.grads[name]
                if id(p) not in self.m:
                    self.m[id(p)], self.v[id(p)] = np.zeros_like(p), np.zeros_like(p)
                    self.t = {} if not isinstance(self.t, dict) else self.t
                t = self.t[id(p)] = self.t.get(id(p), 0) + 1
                m, v = self.m[id(p)], self.v[id(p)]
                m *= self.beta1
                m += (1 - self.beta1) * g
                v *= self.beta2
                v += (1 - self.beta2) * np.square(g)
                p[...] -= self.lr * (m / (1 - self.beta1 ** t)) / (
                    np.sqrt(v / (1 - self.beta2 ** t)) + self.eps)


class Float32Adam(ExplicitAdam):
    """Moments kept in float32 whatever the parameters' dtype."""

    def step(self, model):
        self.t += 1
        for i, layer in enumerate(model.layers):
            for name, p in layer.params.items():
                g, key = layer.grads[name].astype(np.float32), (i, name)
                m = self.m.get(key, np.zeros(p.shape, np.float32))
                v = self.v.get(key, np.zeros(p.shape, np.float32))
                self.m[key] = np.float32(self.beta1) * m + np.float32(1 - self.beta1) * g
                self.v[key] = np.float32(self.beta2) * v + np.float32(1 - self.beta2) * g * g
                m_hat = self.m[key] / np.float32(1 - self.beta1 ** self.t)
                v_hat = self.v[key] / np.float32(1 - self.beta2 ** self.t)
                p -= (self.lr * m_hat / (np.sqrt(v_hat) + self.eps)).astype(p.dtype)


@pytest.mark.parametrize("optimizer_class", [ExplicitAdam, InPlaceAdam, Float32Adam])
def test_adam_correct_passes(optimizer_class, capsys):
    checks.check_adam(optimizer_class)
    assert capsys.readouterr().out.strip() == checks.PASSED


def test_adam_reference_paths_agree_with_course_lib():
    """The check's own Adam and momentum paths (the base of every slip) are course_lib's."""
    from course_lib.checks import lesson03
    from course_lib.optim import SGD, Adam

    params, grads = lesson03._l03_optimizer_case(np.float64)
    for ours, reference in (
            (lesson03._l03_adam_path(params, grads, 0.01, 0.9, 0.999, 1e-8),
             lesson03._l03_run(Adam(0.01), params, grads, "Adam")),
            (lesson03._l03_momentum_path(params, grads, 0.1, 0.9),
             lesson03._l03_run(SGD(0.1, momentum=0.9), params, grads, "SGD"))):
        for a, b in zip(ours, reference):
            for key in a:
                np.testing.assert_allclose(a[key], b[key], rtol=1e-12, atol=1e-14)


def adam_variant(slip):
    class Wrong(ExplicitAdam):
        def step(self, model):
            if slip != "t_after":
                self.t += 1
            if slip == "no_state":
                self.t, self.m, self.v = 1, {}, {}
            for i, layer in enumerate(model.layers):
                for name, p in layer.params.items():
                    g = layer.grads[name]
                    key = name if slip == "by_name" else (i, name)
                    if slip == "t_per_param":
                        self.t += 1
                    t = 1 if slip == "t_stays_1" else self.t - (slip == "t_per_param")
                    m, v = self.m.get(key, 0.0), self.v.get(key, 0.0)
                    if slip == "reset":
                        m = v = 0.0
                    b1, b2 = self.beta1, self.beta2
                    if slip == "betas_swapped":
                        b1, b2 = 1 - b1, 1 - b2
                    m = b1 * m + (1 - b1) * g
                    v = b2 * v + (1 - b2) * {"g_not_squared": g,
                                             "g_abs": np.abs(g)}.get(slip, g ** 2)
                    self.m[key], self.v[key] = m, v
                    if slip == "t_after_python":
                        c1 = 1 / (1 - self.beta1 ** (self.t - 1))
                    c1, c2 = 1 - self.beta1 ** t, 1 - self.beta2 ** t
                    m_hat = m if slip in ("no_correction", "v_only") else m / c1
                    v_hat = v if slip in ("no_correction", "m_only") else v / c2
                    if slip == "eps_inside":
                        update = self.lr * m_hat / np.sqrt(v_hat + self.eps)
                    elif slip == "no_eps":
                        update = self.lr * m_hat / np.sqrt(v_hat)
                    elif slip == "folded":
                        update = self.lr * np.sqrt(c2) / c1 * m / (np.sqrt(v) + self.eps)
                    else:
                        update = self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
                    if slip == "uphill":
                        p += update
                    elif slip == "rebind":
                        layer.params[name] = p - update
                    elif slip == "rebind_local":
                        p = p - update  # noqa: F841
                    else:
                        p -= update
            if slip == "t_after":
                self.t += 1
    return Wrong


@pytest.mark.parametrize("slip,message", [
    ("no_correction", r"the bias correction is missing\. .* the first step is \(1 - beta1\) / "
                      r"sqrt\(1 - beta2\) = 3\.16 times the right one"),
    ("m_only", r"only m is bias-corrected: divide v by 1 - beta2\*\*t"),
    ("v_only", r"only v is bias-corrected: divide m by 1 - beta1\*\*t"),
    ("t_after", r"the first step divides by zero: with t = 0"),
    ("t_after_python", r"step raised ZeroDivisionError .* With t = 0"),
    ("t_stays_1", r"uses t = 1 at every step"),
    ("t_per_param", r"t grows once per parameter instead of once per step \(this model has 4 "
                    r"parameter arrays\)"),
    ("eps_inside", r"eps is inside the square root, sqrt\(v_hat \+ eps\)\. .* sqrt\(eps\) = "
                   r"0\.0001 swamps"),
    ("no_eps", r"there is no eps in the denominator: .* 0 / 0 = nan"),
    ("g_not_squared", r"v is updated with g instead of g\*\*2"),
    ("g_abs", r"v is updated with \|g\| instead of g\*\*2"),
    ("folded", r"the bias correction is folded into the learning rate"),
    ("reset", r"m and v start from zero at every step"),
    ("no_state", r"nothing is kept between steps"),
    ("uphill", r"the parameters move uphill"),
    ("betas_swapped", r"beta and 1 - beta are swapped"),
    ("by_name", r"one state array shared by several parameters"),
    ("rebind", r"is a new array\. Update the parameter in place"),
    ("rebind_local", r"after step 1 no parameter has changed\. `p = p - \.\.\.` .*in place, "
                     r"p -= \.\.\. \(or p \+= \.\.\.\)\.$"),
])
def test_adam_slips(slip, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_adam(adam_variant(slip))


def test_adam_instance_and_default_betas_are_named():
    with pytest.raises(checks.ExerciseError, match=r"Pass the class itself, AdamOptimizer"):
        checks.check_adam(ExplicitAdam())

    class FixedBetas(ExplicitAdam):
        def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
            super().__init__(lr)

    with pytest.raises(checks.ExerciseError, match=r"beta1=0\.8, beta2=0\.99, eps=1e-06\) on "
                                                   r"float32 parameters: layers\[0\]"):
        checks.check_adam(FixedBetas)


def _backward_variant(divide_twice=False, bias_mean=False, no_transpose=False):
    def answer(X, y, W1, b1, W2, b2):
        N = len(X)
        h = np.tanh(X @ W1 + b1)
        p = softmax(h @ W2 + b2)
        p[np.arange(N), y] -= 1
        delta2 = p / N
        scale = 1 / N if divide_twice else 1.0
        dW2, db2 = h.T @ delta2 * scale, (delta2.mean(0) if bias_mean else delta2.sum(0))
        delta1 = (delta2 @ (W2 if no_transpose else W2.T)) * (1 - h ** 2)
        dW1, db1 = X.T @ delta1 * scale, (delta1.mean(0) if bias_mean else delta1.sum(0))
        return dW1, db1, dW2, db2

    return answer


@pytest.mark.parametrize("answer, message", [
    (_backward_variant(divide_twice=True), "the 1/N is taken twice"),
    (_backward_variant(bias_mean=True), r"sum over the batch, delta.sum\(axis=0\), not its mean"),
    (_backward_variant(no_transpose=True), r"raised ValueError: .*transpose"),
])
def test_mlp_backward_slips_from_the_simulated_class(answer, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_mlp_backward(answer)


def test_mlp_backward_with_course_lib_layers_gets_no_credit(capsys):
    from course_lib.layers import Dense, Tanh
    from course_lib.losses import SoftmaxCrossEntropyLoss
    from course_lib.model import Sequential

    def mlp_backward(X, y, W1, b1, W2, b2):  # course_lib's layers backpropagate
        first, second = Dense(*W1.shape), Dense(*W2.shape)
        for layer, W, b in ((first, W1, b1), (second, W2, b2)):
            layer.params["W"][...] = W
            layer.params["b"][...] = b
        model, loss = Sequential([first, Tanh(), second]), SoftmaxCrossEntropyLoss()
        loss.forward(model.forward(X), y)
        model.backward(loss.backward())
        return first.grads["W"], first.grads["b"], second.grads["W"], second.grads["b"]

    with pytest.raises(checks.ExerciseError, match=r"calls course_lib's course_lib\.layers.*"
                                                   r"write it yourself"):
        checks.check_mlp_backward(mlp_backward)
    assert checks.PASSED not in capsys.readouterr().out


def test_inheriting_the_reference_optimizer_is_not_told_to_subclass_it():
    from course_lib.optim import Adam

    class AdamOptimizer(Adam):
        pass

    with pytest.raises(checks.ExerciseError) as caught:
        checks.check_adam(AdamOptimizer)
    message = str(caught.value)
    assert "inherits from course_lib's course_lib.optim.Adam" in message
    assert "keep the template's class line" in message and "(Adam or" not in message
