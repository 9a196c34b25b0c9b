"""Checks for lesson 06: generalisation.

Four exercises: the L2 penalty and its gradient, a dropout layer (forward and
backward, training and evaluation), the best-epoch logic of early stopping, and
batch normalisation's backward pass. The references are written here from the
definitions (and agree with ``course_lib.optim.SGD(weight_decay=...)``,
``course_lib.layers.Dropout``, ``fit(early_stopping=...)`` and
``course_lib.layers.BatchNorm``, which the tests check).
"""

from __future__ import annotations

import numpy as np

from .common import (PASSED, Unchanged, as_number, compare_arrays, compare_scalar, fail, is_number,
                     layer_interface, no_delegation)


def _slip(got: np.ndarray, slips: list[tuple[np.ndarray, str]], expected: np.ndarray,
          what: str) -> None:
    """Fail with the message of the first slip ``got`` equals (and the answer does not)."""
    if not (isinstance(got, np.ndarray) and got.shape == np.shape(expected)
            and np.issubdtype(got.dtype, np.number) and np.all(np.isfinite(got))):
        return
    rtol = 1e-3 if got.dtype.itemsize < 8 else 1e-7
    atol = rtol * max(1.0, float(np.abs(expected).max()) if np.size(expected) else 1.0)
    if np.allclose(got, expected, rtol=rtol, atol=atol):
        return
    for wrong, message in slips:
        if np.allclose(got, wrong, rtol=rtol, atol=atol) and \
                not np.allclose(wrong, expected, rtol=rtol, atol=atol):
            fail(f"{what} {message}")


# --- exercise 1: the L2 term --------------------------------------------------------------

def _l06_l2_params(dtype: type) -> list[np.ndarray]:
    rng = np.random.default_rng(61)
    return [rng.normal(0.0, 0.5, size=(4, 3)).astype(dtype),
            rng.normal(0.0, 0.5, size=3).astype(dtype),
            rng.normal(0.0, 0.5, size=(3, 2)).astype(dtype)]


def _l06_check_penalty(l2_penalty) -> None:
    for dtype, weight_decay in ((np.float64, 0.1), (np.float32, 0.03)):
        params = _l06_l2_params(dtype)
        inputs = Unchanged(**{f"params[{i}]": p for i, p in enumerate(params)})
        got = l2_penalty(params, weight_decay)
        what = (f"l2_penalty(params, {weight_decay}) for three {np.dtype(dtype).name} arrays "
                f"(a 4x3 matrix, 3 biases, a 3x2 matrix)")
        inputs.check(what)
        if not is_number(got):
            if isinstance(got, np.ndarray):
                fail(f"{what} should be one number, got an array of shape {got.shape}: sum "
                     f"the squares of every entry of every array.")
            fail(f"{what} should be a number, got {type(got).__name__}"
                 + (" (did the function forget to return?)." if got is None else "."))
        value = as_number(got, what)
        p64 = [p.astype(np.float64) for p in params]
        squares = sum(float(np.sum(p * p)) for p in p64)
        expected = weight_decay / 2 * squares
        slips = [(weight_decay * squares, "has no 1/2: the penalty is weight_decay / 2 times "
                                          "the sum of squares, so that its gradient is "
                                          "weight_decay * theta with no factor 2."),
                 (squares / 2, "leaves out weight_decay."),
                 (weight_decay / 2 * (squares - float(np.sum(p64[1] ** 2))),
                  "leaves out the biases (params[1]). The lesson decays every parameter, as "
                  "PyTorch's weight_decay does."),
                 (weight_decay / 2 * float(np.sum(p64[0] ** 2)),
                  "only counts the first array: sum over every array in params."),
                 (weight_decay / 2 * sum(float(np.sqrt(np.sum(p * p))) for p in p64),
                  "sums the norms ||theta||, not their squares ||theta||**2."),
                 (weight_decay / 2 * sum(float(np.sum(np.abs(p))) for p in p64),
                  "sums |theta| (that is the L1 penalty); L2 sums theta**2."),
                 (weight_decay / 2 * sum(float(np.mean(p * p)) for p in p64),
                  "averages the squares of each array; the penalty sums them."),
                 (weight_decay / 2 * squares / sum(p.size for p in p64),
                  "averages the squares over every entry (a mean); the penalty sums them.")]
        for wrong, message in slips:
            if np.isclose(value, wrong, rtol=1e-4) and not np.isclose(wrong, expected, rtol=1e-4):
                fail(f"{what} is {value:.6g}: it {message}")
        compare_scalar(got, expected, what)


def _l06_check_gradient(l2_gradient) -> None:
    rng = np.random.default_rng(62)
    cases = [("a 4x3 weight matrix", rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), 0.1),
             ("a bias vector of 5", rng.normal(size=5), rng.normal(size=5), 0.02),
             ("a float32 2x6 matrix", rng.normal(size=(2, 6)).astype(np.float32),
              rng.normal(size=(2, 6)).astype(np.float32), 0.5)]
    for label, grad, param, weight_decay in cases:
        inputs = Unchanged(grad=grad, param=param)
        got = l2_gradient(grad, param, weight_decay)
        what = f"l2_gradient(grad, param, {weight_decay}) for {label}"
        inputs.check(what)
        g, p = grad.astype(np.float64), param.astype(np.float64)
        expected = g + weight_decay * p
        _slip(got, [(g + 2 * weight_decay * p, "has a factor 2: the derivative of "
                                               "weight_decay / 2 * theta**2 is "
                                               "weight_decay * theta."),
                    (g + weight_decay * g, "decays the gradient: the L2 term is weight_decay "
                                           "times the parameter, grad + weight_decay * param."),
                    (weight_decay * p, "is only the penalty's gradient; add the loss's "
                                       "gradient: grad + weight_decay * param."),
                    (g - weight_decay * p, "subtracts the L2 term; the penalty's gradient "
                                           "weight_decay * param is added (the step then "
                                           "moves theta towards 0)."),
                    (g + p, "adds the parameter without weight_decay."),
                    (p * (1 - weight_decay), "returns the shrunk parameter; return the "
                                             "gradient grad + weight_decay * param (the "
                                             "optimiser takes the step)."),
                    (g, "returns the gradient unchanged: add weight_decay * param.")],
              expected, what)
        compare_arrays(got, expected, what)


@no_delegation(tools=("course_lib.optim.SGD", "course_lib.optim.SGDW"))
def check_l2_term(l2_penalty, l2_gradient) -> None:
    """Check ``l2_penalty(params, weight_decay)`` and ``l2_gradient(grad, param, weight_decay)``.

    ``l2_penalty`` must return ``weight_decay / 2 * sum(sum(p**2) for p in params)``,
    one number (a NumPy scalar is fine), over every array in the list, biases
    included; tried on float64 and float32 arrays. ``l2_gradient`` must return
    ``grad + weight_decay * param`` as a new array (the gradient of the loss plus the
    penalty), for any shape; tried on a matrix, a vector and float32 arrays. Neither
    may change its inputs.

    Names the usual slips: the penalty without the 1/2 or without weight_decay, the
    biases or all but the first array left out, norms instead of squared norms, L1,
    means instead of sums; for the gradient a factor 2, the gradient decayed instead
    of the parameter, the loss's gradient left out, the wrong sign, the shrunk
    parameter returned, the input changed in place.
    """
    _l06_check_penalty(l2_penalty)
    _l06_check_gradient(l2_gradient)
    print(PASSED)


# --- exercise 2: dropout -----------------------------------------------------------------

def _l06_dropout_forward(layer_class, p: float, x: np.ndarray, seed: int = 0):
    layer = layer_class(p, np.random.default_rng(seed))
    layer_interface(layer, f"DropoutLayer({p}, rng)")
    inputs = Unchanged(x=x)
    y = layer.forward(x)
    what = f"DropoutLayer({p}, rng).forward(x) in training mode, x of shape {x.shape}"
    inputs.check(what)
    if not isinstance(y, np.ndarray) or y.shape != x.shape:
        compare_arrays(y, x, what)  # names the type or shape
    if not np.all(np.isfinite(y)):
        compare_arrays(y, x, what)
    return layer, y, what


@no_delegation("course_lib.layers.Dropout")
def check_dropout(layer_class) -> None:
    """Check ``layer_class(p, rng)``, a dropout layer: inverted dropout in training mode.

    In training mode (``layer.training`` True) ``forward(x)`` must zero each entry
    with probability ``p`` and divide the kept ones by ``1 - p``, drawing the mask from
    the layer's generator ``self.rng`` (any way of drawing it with probability p
    passes: ``rng.random(shape) >= p``, ``< 1 - p``, ``rng.binomial``...), a new mask
    on every forward; ``backward(grad_out)`` must multiply by the same mask and
    factor. In evaluation mode (``layer.training = False``) both are the identity.
    Tried with p = 0.5 and 0.2 on 10,000 positive inputs (float64 and float32; the
    share dropped must be within 0.03 of p), with p = 0, and in evaluation mode.

    Names the usual slips: no 1/(1 - p) scaling, multiplying by 1 - p or dividing by p,
    p taken as the probability of keeping, the mask drawn anew in backward (or not
    kept), backward without the mask or without the factor, the same mask for every
    forward, the mask not drawn from ``self.rng``, dropout (or its scaling) applied
    in evaluation mode, inputs changed in place.
    """
    rng = np.random.default_rng(63)
    for p, dtype in ((0.5, np.float64), (0.2, np.float32)):
        x = rng.uniform(0.5, 1.5, size=(200, 50)).astype(dtype)  # no zeros in x
        layer, y, what = _l06_dropout_forward(layer_class, p, x)
        y64, x64 = y.astype(np.float64), x.astype(np.float64)
        kept = y64 != 0
        dropped = 1.0 - kept.mean()
        if dropped == 0:
            if np.allclose(y64, x64 * (1 - p)):
                fail(f"{what} multiplies every input by 1 - p and drops none: that is what "
                     f"non-inverted dropout does at evaluation time. In training, zero each "
                     f"entry with probability p and divide the others by 1 - p.")
            fail(f"{what} dropped no entry. Draw a mask from self.rng (entry kept with "
                 f"probability 1 - p) and multiply by it.")
        if kept.shape == x.shape and np.all(kept == kept[:1]):
            fail(f"{what} drops the same features in every sample of the batch: the mask has "
                 f"one row, shared by all {x.shape[0]} samples. Draw one mask entry per input "
                 f"entry, of shape x.shape (self.rng.random(x.shape) >= p), so that each "
                 f"sample is thinned differently.")
        if kept.shape == x.shape and np.all(kept == kept[:, :1]):
            fail(f"{what} drops whole samples (a row is kept or zeroed as a whole): the mask "
                 f"has one entry per sample. Draw one per input entry, of shape x.shape.")
        if abs(dropped - p) > 0.03:
            if abs(dropped - (1 - p)) < 0.03:
                fail(f"{what} dropped {dropped:.1%} of the entries: p is the probability of "
                     f"dropping a unit, not of keeping it (keep where rng.random(shape) >= p).")
            fail(f"{what} dropped {dropped:.1%} of the entries, expected about {p:.0%}.")
        ratio = y64[kept] / x64[kept]
        for factor, message in ((1.0, "keeps the kept entries as they are: without the 1/(1 - p) "
                                      "scaling the next layer sees smaller inputs in training "
                                      "than at evaluation time. Divide by 1 - p."),
                                (1 - p, "multiplies the kept entries by 1 - p; inverted dropout "
                                        "divides them by 1 - p."),
                                (1 / p, "divides the kept entries by p; divide by 1 - p, the "
                                        "probability of keeping.")):
            if np.allclose(ratio, factor, rtol=1e-3) and not np.isclose(factor, 1 / (1 - p)):
                fail(f"{what} {message}")
        compare_arrays(y, np.where(kept, x64 / (1 - p), 0.0), what)

        g = rng.normal(size=x.shape).astype(dtype)
        grads = Unchanged(grad_out=g)
        dx = layer.backward(g)
        what_b = f"backward(grad_out) after {what}"
        grads.check(what_b)
        expected = np.where(kept, g.astype(np.float64) / (1 - p), 0.0)
        if isinstance(dx, np.ndarray) and dx.shape == g.shape and np.all(np.isfinite(dx)):
            dx64 = dx.astype(np.float64)
            if np.allclose(dx64, g):
                fail(f"{what_b} returns grad_out unchanged; the dropped entries had no effect "
                     f"on the output, so their gradient is 0: multiply by the forward's mask "
                     f"and by 1/(1 - p).")
            if np.allclose(dx64, np.where(kept, g, 0.0)):
                fail(f"{what_b} applies the mask without the 1/(1 - p) factor; forward "
                     f"multiplied the kept entries by 1/(1 - p), so their gradient is too.")
            zero = dx64 == 0
            if not np.array_equal(zero, ~kept) and abs(zero.mean() - p) < 0.05:
                fail(f"{what_b} zeroes other entries than the ones forward dropped: it draws "
                     f"a new mask. Keep forward's mask (e.g. self.mask) and use it in "
                     f"backward.")
        compare_arrays(dx, expected, what_b)

        y2 = layer.forward(x)
        if isinstance(y2, np.ndarray) and np.array_equal(y2, y):
            fail(f"{what} gave the same mask on the second call: draw a new mask from "
                 f"self.rng on every forward (a new batch, a new thinned network).")
        _, y_same, _ = _l06_dropout_forward(layer_class, p, x, seed=7)
        _, y_again, _ = _l06_dropout_forward(layer_class, p, x, seed=7)
        if not np.array_equal(y_same, y_again):
            fail(f"{what}: two layers built with generators seeded alike drop different "
                 f"entries. Draw the mask from self.rng, not from np.random, so that a seed "
                 f"makes the run reproducible.")

    x = rng.uniform(0.5, 1.5, size=(20, 10))
    layer, y, what = _l06_dropout_forward(layer_class, 0.0, x)
    compare_arrays(y, x, what.replace("DropoutLayer(0.0", "DropoutLayer(0") + " (p = 0 drops "
                   "nothing)")
    layer = layer_class(0.5, np.random.default_rng(0))
    layer.training = False
    inputs = Unchanged(x=x)
    y = layer.forward(x)
    what = "DropoutLayer(0.5, rng).forward(x) in evaluation mode (layer.training = False)"
    inputs.check(what)
    if isinstance(y, np.ndarray) and y.shape == x.shape:
        if np.allclose(y, x * 0.5):
            fail(f"{what} scales by 1 - p; inverted dropout did its scaling in training, so "
                 f"evaluation is the identity: return x.")
        if np.allclose(y, x / 0.5):
            fail(f"{what} divides by 1 - p; inverted dropout did its scaling in training, so "
                 f"evaluation is the identity: return x.")
        if np.any(y == 0) and not np.allclose(y, x):
            fail(f"{what} still drops entries: check self.training and return x when it is "
                 f"False.")
    compare_arrays(y, x, what)
    g = np.ones_like(x)
    compare_arrays(layer.backward(g), g, "backward(grad_out) in evaluation mode")
    print(PASSED)


# --- exercise 3: early stopping -----------------------------------------------------------

def _l06_early_stop(losses, patience: int, *, ties: bool = False, late: int = 0,
                    global_best: bool = False, previous: bool = False) -> tuple[int, int]:
    """(best epoch, stopping epoch), epochs counted from 1; keyword arguments make slips."""
    best, best_loss = 0, np.inf
    stop = len(losses)
    for epoch, value in enumerate(losses, start=1):
        if previous and epoch > 1:
            best_loss = losses[epoch - 2]  # the slip: compared with the epoch before
        if value < best_loss or (ties and value == best_loss):
            best, best_loss = epoch, value
        if epoch - best >= patience + late:
            stop = epoch
            break
    if global_best:
        best = int(np.argmin(losses)) + 1
    return best, stop


#: (validation losses, patience) for check_early_stopping; the last is the lesson's kind
L06_EARLY_CASES = [
    ([0.9, 0.7, 0.6, 0.65, 0.62, 0.61, 0.5, 0.4], 3),  # stops at 6; epoch 7 would be better
    ([0.9, 0.7, 0.6, 0.6, 0.6, 0.3, 0.2], 2),           # ties are no improvement: stops at 5
    ([0.9, 0.8, 0.7, 0.6, 0.5], 2),                     # never stops: the last epoch is best
    ([0.5, 0.6, 0.4], 1),                                # patience 1: stop at the first rise
    ([1.2, 0.8, 0.6, 0.55, 0.58, 0.57, 0.6, 0.62, 0.61, 0.66, 0.7, 0.52], 5),
]


def _l06_early_slips(losses, patience: int) -> list[tuple[tuple[int, int], str]]:
    """The usual wrong answers of early_stopping_epochs on these losses, with their messages."""
    b, s = _l06_early_stop(losses, patience)
    return [((s, s), "returns the last trained epoch as the best; the best is the "
                      "epoch with the lowest validation loss, whose parameters fit "
                      "gives back."),
             ((b - 1, s - 1), "counts epochs from 0; count them from 1, as fit does "
                              "(the first loss is epoch 1)."),
             ((b - 1, s), "gives the best epoch counted from 0 (an index into "
                          "val_losses); count from 1 as fit does: index + 1."),
             (_l06_early_stop(losses, patience, ties=True),
              "counts a loss equal to the best so far as an improvement; only a "
              "strictly lower loss is one (use <, not <=)."),
             (_l06_early_stop(losses, patience, late=1),
              "stops one epoch late: stop as soon as the best epoch is `patience` "
              "epochs back (epoch - best_epoch >= patience)."),
             (_l06_early_stop(losses, patience, late=-1),
              "stops one epoch early: `patience` epochs without improvement means "
              "epoch - best_epoch >= patience, not patience - 1."),
             ((int(np.argmin(losses)) + 1, len(losses)),
              "never stops: it returns the last epoch as stop_epoch whatever the patience. "
              "Stop after the first epoch that is `patience` epochs past the best one."),
             (_l06_early_stop(losses, patience, previous=True),
              "compares each loss with the previous epoch's; an improvement is a loss "
              "below the best so far (keep best_loss, the lowest loss seen)."),
             (_l06_early_stop(losses, patience, global_best=True),
              "takes the best epoch over every loss in the list, including epochs "
              "after the stop, which training never reaches: look only at the "
              "epochs up to stop_epoch.")]


def _l06_answers(early_stopping_epochs) -> list[object]:
    """The answer's (best, stop) on every case (lists), None where it fails or raises."""
    answers = []
    for losses, patience in L06_EARLY_CASES:
        try:
            got = early_stopping_epochs(list(losses), patience)
            answers.append((int(got[0]), int(got[1])))
        except Exception:  # noqa: BLE001 - only used to name the slip
            answers.append(None)
    return answers


@no_delegation("course_lib.train.fit")
def check_early_stopping(early_stopping_epochs) -> None:
    """Check ``early_stopping_epochs(val_losses, patience)`` -> ``(best_epoch, stop_epoch)``.

    Epochs are counted from 1, as ``fit`` counts them: after epoch e, the validation
    loss ``val_losses[e - 1]`` is an improvement when it is *strictly* below every
    earlier one; training stops after the first epoch e with ``e - best_epoch ==
    patience`` (no improvement for ``patience`` epochs), or after the last epoch.
    ``best_epoch`` is the best epoch among those trained (the model is given back its
    parameters); losses after ``stop_epoch`` are never seen. The losses come as a
    list, a NumPy array or a float32 array; ints and NumPy ints are fine in the
    answer, as a tuple or a list.

    Names the usual slips: the last trained epoch returned as the best, epochs counted
    from 0, a tie counted as an improvement, stopping one epoch late or early, the
    best epoch taken over every loss (including those after the stop), the input
    changed in place.
    """
    for i, (losses, patience) in enumerate(L06_EARLY_CASES):
        for form in ("list", "array", "float32") if i == len(L06_EARLY_CASES) - 1 else ("list",):
            given = (list(losses) if form == "list" else
                     np.array(losses, dtype=np.float64 if form == "array" else np.float32))
            copy = np.array(given, copy=True)
            got = early_stopping_epochs(given, patience)
            shown = f"[{', '.join(f'{v:g}' for v in losses)}]"
            what = (f"early_stopping_epochs({shown if form == 'list' else f'np.array({shown})'}"
                    f"{', float32' if form == 'float32' else ''}, patience={patience})")
            if not np.array_equal(np.asarray(given), copy):
                fail(f"{what} changed val_losses in place; leave the list as it was.")
            if not (isinstance(got, (tuple, list)) and len(got) == 2
                    and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                            for v in got)):
                fail(f"{what} should return two ints (best_epoch, stop_epoch), got "
                     f"{got!r}" + (" (did the function forget to return?)." if got is None
                                   else "."))
            got = (int(got[0]), int(got[1]))
            expected = _l06_early_stop(losses, patience)
            if got == expected:
                continue
            slips = _l06_early_slips(losses, patience)
            # the slip that explains the answer on every case first: two slips can give the
            # same wrong pair on one list of losses
            answers = _l06_answers(early_stopping_epochs)
            for k, (wrong, message) in enumerate(slips):
                if got == wrong and wrong != expected and all(
                        a == _l06_early_slips(*case)[k][0]
                        for a, case in zip(answers, L06_EARLY_CASES)):
                    fail(f"{what} returned {got}, expected {expected}: it {message}")
            for wrong, message in slips:
                if got == wrong and wrong != expected:
                    fail(f"{what} returned {got}, expected {expected}: it {message}")
            fail(f"{what} returned {got}, expected (best_epoch, stop_epoch) = {expected}.")
    print(PASSED)


# --- exercise 4: batch normalisation's backward ---------------------------------------------

def _l06_batchnorm_backward(g: np.ndarray, x: np.ndarray, gamma: np.ndarray, eps: float,
                            ddof: int = 0):
    """The compact backward (and slips), from x; ddof=1 normalises with the unbiased variance."""
    mean = x.mean(axis=0)
    inv = 1.0 / np.sqrt(x.var(axis=0, ddof=ddof) + eps)
    x_hat = (x - mean) * inv
    dgamma, dbeta = (g * x_hat).sum(axis=0), g.sum(axis=0)
    dx_hat = g * gamma
    n = x.shape[0]
    if ddof:  # the exact gradient of the unbiased-variance normalisation
        dx = inv * (dx_hat - dx_hat.mean(axis=0)
                    - x_hat * (dx_hat * x_hat).sum(axis=0) / (n - ddof))
    else:
        dx = inv * (dx_hat - dx_hat.mean(axis=0) - x_hat * (dx_hat * x_hat).mean(axis=0))
    return dx, dgamma, dbeta, dx_hat, x_hat, inv


@no_delegation("course_lib.layers.BatchNorm")
def check_batchnorm_backward(batchnorm_backward) -> None:
    """Check ``batchnorm_backward(grad_out, x, gamma, eps)`` -> ``(dx, dgamma, dbeta)``.

    For training-mode batch normalisation, ``y = gamma * x_hat + beta`` with
    ``x_hat = (x - mean) / sqrt(var + eps)``, the batch mean and the *biased* batch
    variance of each column of ``x`` (N, D): ``dx`` (N, D), ``dgamma`` and ``dbeta``
    (D,). Compared with the gradient derived from the definitions (which a central-
    difference test confirms), on a 6x4 batch, on a batch of 2 and on float32 arrays
    (float32's tolerance); the compact formula, a node-by-node chain rule and loops
    all pass.

    Names the usual slips: mean and variance treated as constants (no mean terms),
    the variance's path or the mean's path left out, the unbiased variance (N - 1),
    gamma left out of dx, dgamma as sum(grad_out) or sum(grad_out * x), dbeta as a
    mean, dgamma and dbeta swapped, the inputs changed in place.
    """
    rng = np.random.default_rng(64)
    cases = [("a batch x of shape (6, 4)", rng.normal(2.0, 3.0, size=(6, 4)),
              rng.normal(1.0, 0.5, size=4), rng.normal(size=(6, 4)), 1e-5),
             ("a batch of two samples, shape (2, 3)", rng.normal(size=(2, 3)),
              rng.normal(1.0, 0.5, size=3), rng.normal(size=(2, 3)), 1e-3),
             ("float32 arrays of shape (8, 5)", rng.normal(-1.0, 2.0, size=(8, 5)).astype(
                 np.float32), rng.normal(1.0, 0.5, size=5).astype(np.float32),
              rng.normal(size=(8, 5)).astype(np.float32), 1e-5)]
    for label, x, gamma, g, eps in cases:
        inputs = Unchanged(grad_out=g, x=x, gamma=gamma)
        got = batchnorm_backward(g, x, gamma, eps)
        what = f"batchnorm_backward(grad_out, x, gamma, eps={eps:g}) for {label}"
        inputs.check(what)
        if not (isinstance(got, (tuple, list)) and len(got) == 3):
            fail(f"{what} should return three arrays (dx, dgamma, dbeta), got "
                 + (f"a {type(got).__name__} of {len(got)}" if isinstance(got, (tuple, list))
                    else f"{type(got).__name__}") + ".")
        dx, dgamma, dbeta = got
        x64, g64, gamma64 = (a.astype(np.float64) for a in (x, g, gamma))
        rdx, rdgamma, rdbeta, dx_hat, x_hat, inv = _l06_batchnorm_backward(g64, x64, gamma64, eps)
        x_hat_unbiased = (x64 - x64.mean(axis=0)) / np.sqrt(x64.var(axis=0, ddof=1) + eps)
        inv_out = 1.0 / (x64.std(axis=0) + eps)  # the slip: eps outside the square root
        x_hat_out = (x64 - x64.mean(axis=0)) * inv_out
        eps_out = ("adds eps outside the square root, 1 / (std + eps); batch norm divides by "
                   "sqrt(var + eps).")
        if isinstance(dgamma, np.ndarray) and isinstance(dbeta, np.ndarray) \
                and dgamma.shape == dbeta.shape == rdbeta.shape \
                and np.allclose(dgamma, rdbeta, rtol=1e-3) and np.allclose(dbeta, rdgamma,
                                                                             rtol=1e-3):
            fail(f"{what}: dgamma and dbeta are swapped; return (dx, dgamma, dbeta).")
        _slip(dgamma, [(rdbeta, "is sum(grad_out); gamma multiplies x_hat, so dgamma = "
                                "sum(grad_out * x_hat) over the batch."),
                       ((g64 * x64).sum(axis=0), "multiplies grad_out by x; gamma multiplies "
                                                  "the normalised x_hat: sum(grad_out * x_hat)."),
                       ((g64 * x_hat).mean(axis=0), "is a mean over the batch; it is a sum "
                                                     "(every sample's output depends on gamma)."),
                       ((g64 * x_hat_unbiased).sum(axis=0),
                        "normalises with the unbiased variance (dividing by N - 1); batch "
                        "norm uses the biased one, x.var(axis=0), dividing by N."),
                       ((g64 * x_hat_out).sum(axis=0), eps_out)],
              rdgamma, f"dgamma from {what}")
        compare_arrays(dgamma, rdgamma, f"dgamma from {what}")
        _slip(dbeta, [(g64.mean(axis=0), "is a mean over the batch; it is a sum: "
                                         "grad_out.sum(axis=0).")],
              rdbeta, f"dbeta from {what}")
        compare_arrays(dbeta, rdbeta, f"dbeta from {what}")
        unbiased, _, _, _, x_hat_u, inv_u = _l06_batchnorm_backward(g64, x64, gamma64, eps,
                                                                    ddof=1)
        # the compact formula with x_hat and 1/std from the unbiased variance
        unbiased_compact = inv_u * (dx_hat - dx_hat.mean(axis=0)
                                    - x_hat_u * (dx_hat * x_hat_u).mean(axis=0))
        _slip(dx, [(inv * dx_hat, "treats the batch mean and variance as constants: every x "
                                  "moves them too. Add the two paths through mean and var: "
                                  "dx = gamma / sqrt(var + eps) * (g - mean(g) - x_hat * "
                                  "mean(g * x_hat))."),
                   (inv * (dx_hat - dx_hat.mean(axis=0)), "leaves out the path through the "
                                                          "variance: subtract x_hat * "
                                                          "mean(g * x_hat) too."),
                   (inv * (dx_hat - x_hat * (dx_hat * x_hat).mean(axis=0)),
                    "leaves out the path through the mean: subtract mean(g) too (with "
                    "g = grad_out * gamma)."),
                   (unbiased, "normalises with the unbiased variance (dividing by N - 1); "
                              "batch norm uses the biased one, x.var(axis=0), dividing by N."),
                   (unbiased_compact, "normalises with the unbiased variance (dividing by "
                                      "N - 1); batch norm uses the biased one, x.var(axis=0)."),
                   (rdx / gamma64, "leaves out gamma: y = gamma * x_hat + beta, so the "
                                   "gradient reaching x_hat is grad_out * gamma."),
                   (rdx * gamma64, "multiplies by gamma twice."),
                   (rdx * x.shape[0], f"is N = {x.shape[0]} times too large: the formula's "
                                      f"means over the batch are sums divided by N (the 1/N "
                                      f"is missing)."),
                   (inv * (dx_hat - dx_hat.mean(axis=1, keepdims=True)
                           - x_hat * (dx_hat * x_hat).mean(axis=1, keepdims=True)),
                    "takes the means over the features (axis=1); batch norm's statistics, "
                    "and so the means of its backward, are over the batch (axis=0)."),
                   (inv_out * (dx_hat - dx_hat.mean(axis=0)
                               - x_hat_out * (dx_hat * x_hat_out).mean(axis=0)), eps_out)],
              rdx, f"dx from {what}")
        compare_arrays(dx, rdx, f"dx from {what}")
    print(PASSED)
