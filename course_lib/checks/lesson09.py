"""Checks for lesson 09: recurrent networks, a character-level language model.

Six exercises: the embedding's backward (repeated indices add up), one RNN step
forward and backward, backpropagation through time over a sequence, gradient
clipping by global norm, the LSTM cell's backward, and the masked negative
log-likelihood per character with its gradient. The references are written
here from the definitions (and agree with ``course_lib.layers.Embedding``,
``RNN``, ``LSTM``, ``course_lib.optim.clip_grad_norm`` and
``course_lib.losses.SequenceCrossEntropyLoss``, which the tests check). While a
check runs, an answer that hands the work to those course_lib pieces fails with
a message that says so (``common.refuse_delegation``).
"""

from __future__ import annotations

import contextlib

import numpy as np

from .common import (PASSED, Unchanged, as_number, compare_arrays, compare_scalar, fail,
                     refuse_delegation, tolerance)


# --- shared helpers -------------------------------------------------------------------------

def _forbidden(owner: object, attr: str, exercise: str) -> contextlib.AbstractContextManager:
    """Within the block, a call from the answer to ``owner.attr`` fails the check: the answer
    must not delegate to course_lib. ``common.refuse_delegation`` watches the calls (a profile
    hook), so that course_lib itself stays as it is: the grader counts a course class changed
    while a check runs as tampering. Enter it straight from the check (``with _forbidden(...)``):
    the frame that enters the block is where the answer's calls are traced up to."""
    return refuse_delegation(exercise, getattr(owner, attr))


def _close(got: object, wrong: np.ndarray, expected: np.ndarray) -> bool:
    """Whether ``got`` matches the slip ``wrong`` (and the slip differs from the answer)."""
    if not (isinstance(got, np.ndarray) and got.shape == np.shape(wrong)
            and np.issubdtype(got.dtype, np.number) and np.all(np.isfinite(got))):
        return False
    rtol = 1e-3 if got.dtype.itemsize < 8 else 1e-7
    atol = rtol * max(1.0, float(np.abs(expected).max()) if np.size(expected) else 1.0)
    return (np.allclose(got, wrong, rtol=rtol, atol=atol)
            and not np.allclose(wrong, expected, rtol=rtol, atol=atol))


def _slips(got: object, slips: list[tuple[np.ndarray, str]], expected: np.ndarray,
           what: str) -> None:
    for wrong, message in slips:
        if np.shape(wrong) == np.shape(expected) and _close(got, wrong, expected):
            fail(f"{what} {message}")


def _compare(got: object, expected: np.ndarray, what: str, dtype: type) -> None:
    """compare_arrays with the tolerance of the inputs' dtype too: float32 inputs computed in
    float32 and stored in a float64 array are right to float32's precision."""
    rtol, atol = tolerance(got if isinstance(got, np.ndarray) else expected,
                           np.asarray(expected).astype(dtype))
    compare_arrays(got, expected, what, rtol=rtol, atol=atol)


def _tuple_of(got: object, n: int, names: str, what: str) -> tuple:
    if not isinstance(got, (tuple, list)) or len(got) != n:
        kind = type(got).__name__ if not isinstance(got, (tuple, list)) else \
            f"{len(got)} values"
        fail(f"{what} should return {n} arrays, ({names}), got {kind}"
             + (" (did the function forget to return?)." if got is None else "."))
    return tuple(got)


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * a))  # = 1 / (1 + exp(-a)), without overflow


# --- exercise 1: the embedding's backward ---------------------------------------------------

def _l09_embedding_backward(g: np.ndarray, idx: np.ndarray, V: int) -> np.ndarray:
    dW = np.zeros((V, g.shape[-1]))
    np.add.at(dW, idx.ravel(), g.reshape(-1, g.shape[-1]).astype(np.float64))
    return dW


def check_embedding_backward(embedding_backward) -> None:
    """Check ``embedding_backward(grad_out, indices, num_embeddings) -> dW``.

    ``indices`` (N, T) ints, ``grad_out`` (N, T, E); ``dW`` (V, E) sums the
    gradients of every position that looked up each row. Tried on 3x5 indices
    with repeats (V = 7, E = 4, so no axis is confused with another), float64
    and float32, and a single index. Names: ``=`` (or ``dW[idx] += g``) where
    repeated indices must add up, the transposed (E, V) shape, grad_out not summed
    over the batch, a changed input.
    """
    from ..layers import Embedding

    rng = np.random.default_rng(90)
    V, E = 7, 4
    cases = []
    for dtype in (np.float64, np.float32):
        idx = rng.integers(0, V, size=(3, 5))
        idx[0, :3] = 2  # token 2 three times in one word, and elsewhere
        idx[2, 4] = 2
        idx[:, 1] = np.where(idx[:, 1] == 6, 5, idx[:, 1])  # row 6 may stay unused
        cases.append((rng.standard_normal((3, 5, E)).astype(dtype), idx))
    cases.append((rng.standard_normal((1, 1, E)), np.array([[3]])))
    with _forbidden(Embedding, "backward", "embedding_backward"):
        for g, idx in cases:
            inputs = Unchanged(grad_out=g, indices=idx)
            what = (f"embedding_backward(grad_out, indices, {V}) for indices of shape "
                    f"{idx.shape} and {g.dtype} grad_out of shape {g.shape}")
            got = embedding_backward(g, idx, V)
            inputs.check(what)
            expected = _l09_embedding_backward(g, idx, V)
            overwrite = np.zeros((V, E))
            overwrite[idx] = g.astype(np.float64)
            if isinstance(got, np.ndarray) and got.shape == (E, V):
                fail(f"{what} has shape {got.shape}, the transpose of W's (V, E) = {(V, E)}: "
                     f"row i of dW is the gradient of row i of W.")
            if isinstance(got, np.ndarray) and got.ndim == 2 and got.shape[1] == E \
                    and got.shape[0] != V:
                fail(f"{what} has {got.shape[0]} rows; dW has num_embeddings = {V} rows, one "
                     f"per row of W, whatever indices the batch holds (a token not in the "
                     f"batch gets a row of zeros): np.zeros((num_embeddings, E)).")
            first_word = np.zeros((V, E))
            np.add.at(first_word, idx[0], g.astype(np.float64).sum(axis=0))
            _slips(got, [(overwrite, "keeps only one gradient for a token that appears more "
                                     "than once (token 2 here): `dW[indices] = grad_out` and "
                                     "`dW[indices] += grad_out` both write each row once. "
                                     "Repeated indices must add up: np.add.at(dW, indices, "
                                     "grad_out), or a loop that does dW[i] += g."),
                         (first_word, "sums grad_out over the batch before the lookup, so "
                                      "every word's gradient goes to the rows of the first "
                                      "word's indices: each position (n, t) adds "
                                      "grad_out[n, t] to row indices[n, t].")],
                   expected, what)
            _compare(got, expected, what, g.dtype)
    print(PASSED)


# --- exercise 2: one RNN step ---------------------------------------------------------------

def _l09_rnn_case(seed: int, dtype: type = np.float64):
    rng = np.random.default_rng(seed)
    N, D, H = 3, 4, 5
    return (rng.standard_normal((N, D)).astype(dtype),
            np.tanh(rng.standard_normal((N, H))).astype(dtype),
            (0.5 * rng.standard_normal((D, H))).astype(dtype),
            (0.5 * rng.standard_normal((H, H))).astype(dtype),
            (0.3 * rng.standard_normal(H)).astype(dtype))


def check_rnn_step(rnn_step_forward, rnn_step_backward) -> None:
    """Check one step of a tanh RNN, forward and backward.

    ``rnn_step_forward(x, h_prev, Wx, Wh, b) -> h`` with ``h = tanh(x Wx + h_prev Wh + b)``;
    ``rnn_step_backward(dh, x, h_prev, h, Wx, Wh) -> (dx, dh_prev, dWx, dWh, db)``. Shapes
    N = 3, D = 4, H = 5 (a square Wh that is not symmetric, so a transpose shows), float64
    and float32, two seeds. Names: a transposed Wh, the tanh (or its slope 1 - h**2)
    missing, the slope taken at h_prev, dWh from h instead of h_prev, db not summed over
    the batch, a changed input.
    """
    for seed, dtype in ((91, np.float64), (92, np.float32)):
        x, h_prev, Wx, Wh, b = _l09_rnn_case(seed, dtype)
        x64, hp, Wx64, Wh64, b64 = (a.astype(np.float64) for a in (x, h_prev, Wx, Wh, b))
        inputs = Unchanged(x=x, h_prev=h_prev, Wx=Wx, Wh=Wh, b=b)
        what = f"rnn_step_forward(x, h_prev, Wx, Wh, b) in {np.dtype(dtype).name}"
        got = rnn_step_forward(x, h_prev, Wx, Wh, b)
        inputs.check(what)
        a = x64 @ Wx64 + hp @ Wh64 + b64
        expected = np.tanh(a)
        _slips(got, [(np.tanh(x64 @ Wx64 + hp @ Wh64.T + b64), "uses Wh transposed: the "
                      "previous state enters as h_prev @ Wh, (N, H) @ (H, H)."),
                     (a, "is missing the tanh."),
                     (np.tanh(x64 @ Wx64 + b64), "leaves out the previous state h_prev @ Wh."),
                     (np.tanh(x64 @ Wx64 + hp @ Wh64), "leaves out the bias b.")],
               expected, what)
        _compare(got, expected, what, dtype)

        h = np.tanh(a).astype(dtype)
        dh = np.random.default_rng(seed + 10).standard_normal(h.shape).astype(dtype)
        inputs = Unchanged(dh=dh, x=x, h_prev=h_prev, h=h, Wx=Wx, Wh=Wh)
        what = f"rnn_step_backward(dh, x, h_prev, h, Wx, Wh) in {np.dtype(dtype).name}"
        try:
            result = rnn_step_backward(dh, x, h_prev, h, Wx, Wh)
        except ValueError as err:
            if "matmul" not in str(err) and "shapes" not in str(err):
                raise
            fail(f"{what} raised ValueError: {err}. A product's shapes do not fit: each "
                 f"gradient needs the transpose of what the forward multiplied by, dx = da @ "
                 f"Wx.T (N, H) @ (H, D), dh_prev = da @ Wh.T, dWx = x.T @ da (D, N) @ (N, H).")
        got = _tuple_of(result, 5,
                        "dx, dh_prev, dWx, dWh, db", what)
        inputs.check(what)
        h64, dh64 = h.astype(np.float64), dh.astype(np.float64)
        da = dh64 * (1 - h64 ** 2)
        expected = (da @ Wx64.T, da @ Wh64.T, x64.T @ da, hp.T @ da, da.sum(axis=0))
        names = ("dx", "dh_prev", "dWx", "dWh", "db")
        no_slope = (dh64 @ Wx64.T, dh64 @ Wh64.T, x64.T @ dh64, hp.T @ dh64, dh64.sum(axis=0))
        prev_slope = dh64 * (1 - hp ** 2)
        again = dh64 * (1 - np.tanh(h64) ** 2)
        for k, name in enumerate(names):
            slips = [(no_slope[k], "leaves out the slope of tanh: first da = dh * (1 - h**2), "
                                   "then every gradient from da."),
                     ([prev_slope @ Wx64.T, prev_slope @ Wh64.T, x64.T @ prev_slope,
                       hp.T @ prev_slope, prev_slope.sum(axis=0)][k],
                      "takes the slope of tanh at h_prev; it is 1 - h**2, at this step's output."),
                     ([again @ Wx64.T, again @ Wh64.T, x64.T @ again, hp.T @ again,
                       again.sum(axis=0)][k],
                      "takes tanh of h again for the slope: h is tanh(a) already, so the slope "
                      "is 1 - h**2.")]
            if name == "dh_prev":
                slips.append((da @ Wh64, "multiplies by Wh, not Wh.T: h_prev @ Wh in the "
                                         "forward gives da @ Wh.T in the backward."))
            if name == "dWh":
                slips.append((h64.T @ da, "uses h, this step's output; Wh multiplied h_prev, "
                                          "so dWh = h_prev.T @ da."))
                slips.append((da.T @ hp, "is transposed: dWh = h_prev.T @ da, shape (H, H)."))
            if name == "db" and isinstance(got[k], np.ndarray) and got[k].shape == da.shape:
                fail(f"{what}: db has shape {got[k].shape}, one row per sample; the bias is "
                     f"shared by the batch, so db = da.sum(axis=0), shape ({da.shape[1]},).")
            _slips(got[k], slips, expected[k], f"{what}: {name}")
            _compare(got[k], expected[k], f"{what}: {name}", dtype)
    print(PASSED)


# --- exercise 3: backpropagation through time -----------------------------------------------

def _l09_rnn_sequence(seed: int, dtype: type = np.float64, T: int = 6):
    rng = np.random.default_rng(seed)
    N, D, H = 3, 4, 5
    x = rng.standard_normal((N, T, D)).astype(dtype)
    Wx = (0.6 * rng.standard_normal((D, H))).astype(dtype)
    Wh = (0.6 * rng.standard_normal((H, H))).astype(dtype)
    b = (0.3 * rng.standard_normal(H)).astype(dtype)
    h = np.zeros((N, T, H), dtype=np.float64)
    h_t = np.zeros((N, H))
    for t in range(T):
        h_t = np.tanh(x[:, t].astype(np.float64) @ Wx.astype(np.float64)
                      + h_t @ Wh.astype(np.float64) + b.astype(np.float64))
        h[:, t] = h_t
    grad_h = rng.standard_normal((N, T, H)).astype(dtype)
    return grad_h, x, h.astype(dtype), Wx, Wh


def _l09_bptt(grad_h, x, h, Wx, Wh, *, carry: bool = True, roll: bool = False,
              prev_is_h: bool = False, last_only: bool = False, forward: bool = False,
              assign: bool = False):
    """BPTT in float64; the keyword arguments make the slips."""
    g, x, h, Wx, Wh = (a.astype(np.float64) for a in (grad_h, x, h, Wx, Wh))
    N, T, H = h.shape
    if last_only:
        g = np.zeros_like(g)
        g[:, -1] = grad_h[:, -1]
    if roll:
        h_prev = np.roll(h, 1, axis=1)
    else:
        h_prev = np.concatenate([np.zeros((N, 1, H)), h[:, :-1]], axis=1)
    if prev_is_h:
        h_prev = h
    dx = np.zeros_like(x)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(H)
    dh_next = np.zeros((N, H))
    for t in (range(T) if forward else range(T - 1, -1, -1)):
        da = (g[:, t] + (dh_next if carry else 0)) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        if assign:  # the slip: = instead of +=, one step's share kept
            dWx, dWh, db = x[:, t].T @ da, h_prev[:, t].T @ da, da.sum(axis=0)
        else:
            dWx += x[:, t].T @ da
            dWh += h_prev[:, t].T @ da
            db += da.sum(axis=0)
        dh_next = da @ Wh.T
    return dx, dWx, dWh, db


def check_rnn_backward(rnn_backward) -> None:
    """Check ``rnn_backward(grad_h, x, h, Wx, Wh) -> (dx, dWx, dWh, db)``, BPTT over T steps.

    ``h`` (N, T, H) holds every state of the forward from h_0 = 0; ``grad_h`` is
    dL/dh_t from the outputs at every step. Tried with T = 6 and T = 1, N = 3, D = 4,
    H = 5, float64 and float32. Names: dh not carried to the previous step, only the
    last step's gradient used, the state before step 0 taken from the end
    (``np.roll``) instead of zeros, dWh from h_t instead of h_{t-1}, a changed input.
    """
    from ..layers import RNN

    with _forbidden(RNN, "backward", "rnn_backward"):
        for seed, dtype, T in ((93, np.float64, 6), (94, np.float32, 6), (95, np.float64, 1)):
            grad_h, x, h, Wx, Wh = _l09_rnn_sequence(seed, dtype, T)
            inputs = Unchanged(grad_h=grad_h, x=x, h=h, Wx=Wx, Wh=Wh)
            what = (f"rnn_backward(grad_h, x, h, Wx, Wh) for N, T, D, H = 3, {T}, 4, 5 in "
                    f"{np.dtype(dtype).name}")
            got = _tuple_of(rnn_backward(grad_h, x, h, Wx, Wh), 4, "dx, dWx, dWh, db", what)
            inputs.check(what)
            expected = _l09_bptt(grad_h, x, h, Wx, Wh)
            slips = [(_l09_bptt(grad_h, x, h, Wx, Wh, carry=False),
                      "does not carry the gradient back through time: at step t, dh is "
                      "grad_h[:, t] plus dh_next = da_{t+1} @ Wh.T from step t + 1 (0 at the "
                      "last step)."),
                     (_l09_bptt(grad_h, x, h, Wx, Wh, last_only=True),
                      "uses only the last step's grad_h; the loss reads every step, so add "
                      "grad_h[:, t] at every t."),
                     (_l09_bptt(grad_h, x, h, Wx, Wh, roll=True),
                      "takes the state before step 0 from the last step (np.roll wraps "
                      "around); it is h_0 = 0, so step 0 adds nothing to dWh."),
                     (_l09_bptt(grad_h, x, h, Wx, Wh, forward=True),
                      "walks forward in time (t = 0, 1, ...); the gradient flows back from the "
                      "last step: loop t = T - 1 down to 0, carrying dh_next to step t - 1."),
                     (_l09_bptt(grad_h, x, h, Wx, Wh, assign=True),
                      "keeps only one step's share (=): the weights are shared by every step, "
                      "so add each step's gradient (+=)."),
                     (_l09_bptt(grad_h, x, h, Wx, Wh, prev_is_h=True),
                      "uses h[:, t] for dWh; step t multiplied Wh by the previous state, "
                      "h[:, t - 1] (zeros at t = 0).")]
            for k, name in enumerate(("dx", "dWx", "dWh", "db")):
                _slips(got[k], [(wrong[k], message) for wrong, message in slips], expected[k],
                       f"{what}: {name}")
                _compare(got[k], expected[k], f"{what}: {name}", dtype)
    print(PASSED)


# --- exercise 4: clipping by global norm ----------------------------------------------------

def check_clip_by_global_norm(clip_by_global_norm) -> None:
    """Check ``clip_by_global_norm(grads, max_norm) -> list of arrays``.

    The global norm is sqrt of the sum of squares of every entry of every array;
    above ``max_norm`` every array is multiplied by ``max_norm / norm``, below it
    they come back unchanged. Tried on three arrays of different shapes (one far
    larger than the others), float64 and float32, above and below the threshold.
    Names: each array clipped on its own, the sum of the norms instead of the global
    norm, scaling up a gradient that is already small, the inputs changed in place.
    """
    from .. import optim

    rng = np.random.default_rng(96)
    with _forbidden(optim, "clip_grad_norm", "clip_by_global_norm"):
        for dtype, max_norm, scale in ((np.float64, 1.0, 1.0), (np.float32, 5.0, 1.0),
                                       (np.float64, 100.0, 1.0)):
            grads = [(scale * rng.standard_normal(shape)).astype(dtype)
                     for shape in ((4, 3), (3,), (3, 6))]
            grads[2] *= 10  # one array dominates the norm
            g64 = [g.astype(np.float64) for g in grads]
            norms = [float(np.sqrt(np.sum(g * g))) for g in g64]
            total = float(np.sqrt(sum(n * n for n in norms)))
            inputs = Unchanged(**{f"grads[{i}]": g for i, g in enumerate(grads)})
            what = (f"clip_by_global_norm(grads, {max_norm}) for three {np.dtype(dtype).name} "
                    f"arrays of global norm {total:.4g}")
            got = clip_by_global_norm(grads, max_norm)
            inputs.check(what)
            if not isinstance(got, (list, tuple)) or len(got) != 3:
                fail(f"{what} should return a list of 3 arrays (one per gradient), got "
                     f"{type(got).__name__}" + (" (did the function forget to return?)."
                                                if got is None else "."))
            factor = min(1.0, max_norm / total)
            expected = [g * factor for g in g64]
            each = [g * min(1.0, max_norm / n) for g, n in zip(g64, norms)]
            summed = [g * min(1.0, max_norm / sum(norms)) for g in g64]
            always = [g * (max_norm / total) for g in g64]
            squared = [g * min(1.0, max_norm / total ** 2) for g in g64]
            upside = [g * (total / max_norm if total > max_norm else 1.0) for g in g64]
            for i in range(3):
                name = f"{what}: array {i}"
                _slips(got[i], [(each[i], "is clipped on its own: each array scaled to norm "
                                          "max_norm changes the direction of the update. Compute "
                                          "one norm over all the arrays, and scale them all by "
                                          "the same factor."),
                                (summed[i], "is scaled by the sum of the arrays' norms; the "
                                            "global norm is sqrt(sum of every squared entry), "
                                            "sqrt(sum of the squared norms)."),
                                (always[i], "is scaled up to norm max_norm although the global "
                                            "norm is already smaller: clip only when the norm "
                                            "exceeds max_norm (factor min(1, max_norm / norm))."),
                                (squared[i], "uses the squared norm (no sqrt): the global norm "
                                             "is sqrt(sum of every squared entry)."),
                                (upside[i], "is multiplied by norm / max_norm, the ratio upside "
                                            "down: scale by max_norm / norm (< 1 when "
                                            "clipping).")],
                       expected[i], name)
                _compare(got[i], expected[i], name, dtype)
    print(PASSED)


# --- exercise 5: the LSTM cell's backward ---------------------------------------------------

def _l09_lstm_case(seed: int, dtype: type):
    rng = np.random.default_rng(seed)
    N, D, H = 3, 4, 5
    return [a.astype(dtype) for a in (
        rng.standard_normal((N, H)), rng.standard_normal((N, H)),  # dh, dc
        rng.standard_normal((N, D)), np.tanh(rng.standard_normal((N, H))),  # x, h_prev
        rng.standard_normal((N, H)),  # c_prev
        0.5 * rng.standard_normal((D, 4 * H)), 0.5 * rng.standard_normal((H, 4 * H)),
        0.3 * rng.standard_normal(4 * H))]


def _l09_lstm_backward(dh, dc_next, x, h_prev, c_prev, Wx, Wh, b, *, order="ifgo",
                       dh_path=True, forget=True, g_sigmoid=False, c_slope=False,
                       o_slope=True, g_slope_sigmoid=False):
    """The LSTM step's backward in float64; the keyword arguments make the slips."""
    dh, dc_next, x, h_prev, c_prev, Wx, Wh, b = (a.astype(np.float64) for a in
                                                 (dh, dc_next, x, h_prev, c_prev, Wx, Wh, b))
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    blocks = {name: slice(k * H, (k + 1) * H) for k, name in enumerate(order)}
    i, f, o = (_sigmoid(a[:, blocks[n]]) for n in "ifo")
    g = _sigmoid(a[:, blocks["g"]]) if g_sigmoid else np.tanh(a[:, blocks["g"]])
    c = f * c_prev + i * g
    tc = np.tanh(c)
    dc = dc_next + (dh * o * (1 - (c ** 2 if c_slope else tc ** 2)) if dh_path else 0)
    da = np.empty_like(a)
    da[:, blocks["i"]] = dc * g * i * (1 - i)
    da[:, blocks["f"]] = dc * c_prev * f * (1 - f)
    da[:, blocks["g"]] = dc * i * (g * (1 - g) if g_sigmoid or g_slope_sigmoid else 1 - g ** 2)
    da[:, blocks["o"]] = dh * tc * (o * (1 - o) if o_slope else 1)
    dc_prev = dc * f if forget else dc
    return da @ Wx.T, da @ Wh.T, dc_prev, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def check_lstm_step_backward(lstm_step_backward) -> None:
    """Check ``lstm_step_backward(dh, dc, x, h_prev, c_prev, Wx, Wh, b)``.

    Returns ``(dx, dh_prev, dc_prev, dWx, dWh, db)`` for one LSTM step with gates in
    the order i, f, g, o; ``dh`` and ``dc`` are the gradients reaching this step's h and
    c from above and from the next step. N = 3, D = 4, H = 5, float64 and float32.
    Names: the cell missing the gradient that comes through h = o * tanh(c), dc_prev
    not multiplied by f, the gates in another order, g through a sigmoid instead of
    tanh, a changed input.
    """
    from ..layers import LSTM

    names = ("dx", "dh_prev", "dc_prev", "dWx", "dWh", "db")
    with _forbidden(LSTM, "backward", "lstm_step_backward"):
        for seed, dtype in ((97, np.float64), (98, np.float32)):
            args = _l09_lstm_case(seed, dtype)
            inputs = Unchanged(**dict(zip(("dh", "dc", "x", "h_prev", "c_prev", "Wx", "Wh",
                                           "b"), args)))
            what = (f"lstm_step_backward(dh, dc, x, h_prev, c_prev, Wx, Wh, b) for N, D, H = "
                    f"3, 4, 5 in {np.dtype(dtype).name}")
            got = _tuple_of(lstm_step_backward(*args), 6,
                            "dx, dh_prev, dc_prev, dWx, dWh, db", what)
            inputs.check(what)
            expected = _l09_lstm_backward(*args)
            slips = [(_l09_lstm_backward(*args, dh_path=False),
                      "leaves out the gradient reaching c through h = o * tanh(c): the "
                      "cell's total gradient is dc + dh * o * (1 - tanh(c)**2)."),
                     (_l09_lstm_backward(*args, forget=False),
                      "passes the cell's gradient back unchanged; c = f * c_prev + ..., so "
                      "dc_prev = dc_total * f."),
                     (_l09_lstm_backward(*args, order="ifog"),
                      "reads the gates in the order i, f, o, g; the columns of Wx, Wh and b "
                      "are input, forget, cell candidate g, output (PyTorch's order)."),
                     (_l09_lstm_backward(*args, order="fiog"),
                      "reads the gates in another order; the columns are i, f, g, o."),
                     (_l09_lstm_backward(*args, c_slope=True),
                      "takes the slope of tanh(c) as 1 - c**2; it is 1 - tanh(c)**2, at the "
                      "output of the tanh."),
                     (_l09_lstm_backward(*args, o_slope=False),
                      "leaves out the output gate's sigmoid slope: the gradient of a_o is "
                      "dh * tanh(c) * o * (1 - o)."),
                     (_l09_lstm_backward(*args, g_slope_sigmoid=True),
                      "takes the cell candidate's slope as a sigmoid's, g * (1 - g); "
                      "g = tanh(a_g), so its slope is 1 - g**2."),
                     (_l09_lstm_backward(*args, g_sigmoid=True),
                      "puts the cell candidate g through a sigmoid; g = tanh(a_g), with slope "
                      "1 - g**2 (only i, f, o are sigmoids).")]
            for k, name in enumerate(names):
                _slips(got[k], [(wrong[k], message) for wrong, message in slips], expected[k],
                       f"{what}: {name}")
                _compare(got[k], expected[k], f"{what}: {name}", dtype)
    print(PASSED)


# --- exercise 6: the masked NLL per character -----------------------------------------------

def _l09_nll_case(seed: int, dtype: type, scale: float = 2.0):
    rng = np.random.default_rng(seed)
    N, T, V = 3, 5, 7
    logits = (scale * rng.standard_normal((N, T, V))).astype(dtype)
    targets = rng.integers(0, V, size=(N, T))
    mask = np.ones((N, T), dtype=bool)
    mask[0, 3:] = False
    mask[1, 2:] = False
    targets[~mask] = 0
    return logits, targets, mask


def _l09_masked_nll(logits, targets, mask, *, divide="count", mask_grad=True, axis=2,
                    shift=False):
    """The loss and its gradient in float64; the keyword arguments make the slips."""
    if shift:  # the slip: targets shifted by one more step (the last position dropped)
        loss, grad = _l09_masked_nll(logits[:, :-1], targets[:, 1:], mask[:, 1:])
        full = np.zeros(logits.shape)
        full[:, :-1] = grad
        return loss, full
    z = logits.astype(np.float64)
    N, T, V = z.shape
    shifted = z - z.max(axis=axis, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    picked = np.take_along_axis(logp, targets[..., None], axis=2)[..., 0]
    denom = {"count": mask.sum(), "all": N * T, "batch": N}[divide]
    loss = -(picked * mask).sum() / denom
    grad = np.exp(logp)
    np.put_along_axis(grad, targets[..., None],
                      np.take_along_axis(grad, targets[..., None], axis=2) - 1, axis=2)
    if mask_grad:
        grad = grad * mask[..., None]
    return loss, grad / denom


def check_masked_nll(masked_nll) -> None:
    """Check ``masked_nll(logits, targets, mask) -> (loss, dlogits)``.

    ``logits`` (N, T, V), ``targets`` (N, T) ints, ``mask`` (N, T) bool. The loss is
    the mean of -log softmax(logits)[target] over the positions where ``mask`` is
    True (nats per character); ``dlogits = mask * (softmax - onehot) / mask.sum()``.
    N, T, V = 3, 5, 7 with two words padded, float64 and float32, and logits of
    +-1000. Names: the mean taken over every position (padding too) or per word,
    a gradient on the padding, an overflow (no max subtracted), a changed input.
    """
    from ..losses import SequenceCrossEntropyLoss

    cases = [(99, np.float64, 2.0), (100, np.float32, 2.0), (101, np.float64, 1000.0)]
    with _forbidden(SequenceCrossEntropyLoss, "forward", "masked_nll"):
        for seed, dtype, scale in cases:
            logits, targets, mask = _l09_nll_case(seed, dtype, scale)
            inputs = Unchanged(logits=logits, targets=targets, mask=mask)
            what = (f"masked_nll(logits, targets, mask) for {np.dtype(dtype).name} logits of "
                    f"shape (3, 5, 7) (about +-{scale:g}), {int(mask.sum())} of 15 positions "
                    f"counted")
            got = _tuple_of(masked_nll(logits, targets, mask), 2, "loss, dlogits", what)
            inputs.check(what)
            loss, grad = _l09_masked_nll(logits, targets, mask)
            value = as_number(got[0], f"{what}: the loss")
            if not np.isfinite(value):
                fail(f"{what}: the loss is {value}: an overflow in exp, or the log of a "
                     f"probability that underflowed to 0. Subtract each row's maximum from the "
                     f"logits before exp, and compute the log-softmax as z - log(sum(exp(z))) "
                     f"rather than log(softmax): with logits of +-1000 a softmax probability "
                     f"is 0.")
            for divide, message in (("all", "averages over every position, padding "
                                             "included; divide by mask.sum(), the number of "
                                             "real characters."),
                                    ("batch", "divides by the number of words N; the "
                                              "yardstick is per character: divide by "
                                              "mask.sum()."),
                                    ("axis1", "takes the softmax over the time axis (axis=1); "
                                              "each position's distribution is over the "
                                              "vocabulary, the last axis (axis=-1)."),
                                    ("shift", "shifts the targets by one more step: "
                                              "targets[:, t] is already the character after "
                                              "inputs[:, t], so logits[:, t] predicts "
                                              "targets[:, t], no shift.")):
                kwargs = ({"axis": 1} if divide == "axis1" else {"shift": True}
                          if divide == "shift" else {"divide": divide})
                wrong, wrong_grad = _l09_masked_nll(logits, targets, mask, **kwargs)
                if np.isclose(value, wrong, rtol=1e-4) and not np.isclose(wrong, loss,
                                                                          rtol=1e-4):
                    fail(f"{what}: the loss is {value:.6g}: it {message}")
            compare_scalar(got[0], loss, f"{what}: the loss")
            _, unmasked = _l09_masked_nll(logits, targets, mask, mask_grad=False)
            _slips(got[1], [(unmasked, "is not zero on the padding: the padded positions "
                                       "are not in the loss, so their gradient is 0 "
                                       "(multiply by mask[..., None])."),
                            (-grad, "has the wrong sign: the gradient of -log softmax[target] "
                                    "is softmax - onehot."),
                            (grad * mask.sum(), "is not divided by mask.sum(): the loss is a "
                                                "mean over the real characters, so is its "
                                                "gradient.")],
                   grad, f"{what}: dlogits")
            _compare(got[1], grad, f"{what}: dlogits", dtype)
    print(PASSED)


__all__ = ["check_embedding_backward", "check_rnn_step", "check_rnn_backward",
           "check_clip_by_global_norm", "check_lstm_step_backward", "check_masked_nll"]
