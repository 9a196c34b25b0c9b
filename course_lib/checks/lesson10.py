"""Checks for lesson 10: attention and a small transformer.

Six exercises: scaled dot-product attention (forward), the causal mask and masked
attention, attention's backward pass, LayerNorm's backward pass, splitting and merging
heads, and a causal multi-head self-attention layer built from those pieces. The
references are course_lib's (``course_lib.layers.attention``), which
``tests/test_attention.py`` checks against central differences and
``tests/independent/test_attention_torch.py`` against PyTorch. An answer that only
calls course_lib's version of the same piece is refused: the exercise is to write it.
"""

from __future__ import annotations

import types

import numpy as np

from ..layers import attention as ref
from .common import PASSED, Unchanged, compare_arrays, fail, no_delegation

#: course_lib's functions that an exercise asks the student to write
_REFERENCES = {name: getattr(ref, name) for name in (
    "scaled_dot_product_attention", "attention_backward", "causal_mask", "split_heads",
    "merge_heads", "layer_norm_backward")}
_REFERENCE_CLASSES = (ref.MultiHeadSelfAttention, ref.LayerNorm, ref.TransformerBlock)
#: every reference, watched while a check runs the answer (common.no_delegation): a call
#: that reaches one through a helper of the student's own is refused too
_ALL_REFERENCES = (*_REFERENCES.values(), *_REFERENCE_CLASSES)


def _code_objects(code: types.CodeType):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def _refuse_delegation(answer: object, what: str) -> None:
    """Fail if ``answer`` (a function, or a class's methods) calls course_lib's reference."""
    if getattr(answer, "__module__", "") and str(answer.__module__).startswith("course_lib"):
        fail(f"{what} is course_lib's own {getattr(answer, '__name__', 'function')}: the "
             f"exercise is to write it yourself (with NumPy).")
    functions = []
    if isinstance(answer, type):
        if issubclass(answer, _REFERENCE_CLASSES):
            fail(f"{what} is (a subclass of) course_lib's {answer.__mro__[1].__name__}: write "
                 f"the layer yourself, from your own functions.")
        functions = [f for f in vars(answer).values() if isinstance(f, types.FunctionType)]
    elif isinstance(answer, types.FunctionType):
        functions = [answer]
    for func in functions:
        names = {n for code in _code_objects(func.__code__) for n in code.co_names}
        seen = {name: func.__globals__.get(name) for name in names}
        for name, cell in zip(func.__code__.co_freevars, func.__closure__ or ()):
            try:
                seen[name] = cell.cell_contents
            except ValueError:  # an empty cell
                pass
        for name, target in seen.items():
            if any(target is r for r in _REFERENCES.values()) or any(
                    target is c for c in _REFERENCE_CLASSES):
                fail(f"{what} calls course_lib's {name}: the exercise is to write it yourself "
                     f"(with NumPy).")
            if target is ref or (name in ("attention", "layers") and isinstance(
                    target, types.ModuleType) and target.__name__.startswith("course_lib")):
                fail(f"{what} uses course_lib's module {target.__name__}: the exercise is to "
                     f"write the piece yourself (with NumPy).")


def _close(got: object, expected: np.ndarray, loose: bool = False) -> bool:
    if not (isinstance(got, np.ndarray) and got.shape == np.shape(expected)
            and np.issubdtype(got.dtype, np.number) and np.all(np.isfinite(got))):
        return False
    rtol = 1e-3 if loose or got.dtype.itemsize < 8 else 1e-7
    atol = rtol * max(1.0, float(np.abs(expected).max()) if np.size(expected) else 1.0)
    return bool(np.allclose(got, expected, rtol=rtol, atol=atol))


def _compare(got: object, expected: np.ndarray, what: str,
             slips: list[tuple[np.ndarray, str]] = (), *, dtype: type = np.float64) -> None:
    """Pass if right; else name the first slip ``got`` equals; else compare_arrays.

    ``dtype`` is the inputs': float32 inputs (or a float32 answer) get float32's tolerance.
    """
    loose = np.dtype(dtype) == np.float32 or (isinstance(got, np.ndarray)
                                              and got.dtype == np.float32)
    if not _close(got, expected, loose):
        for wrong, message in slips:
            if _close(got, wrong, loose) and not _close(np.asarray(wrong), expected, loose):
                fail(f"{what} {message}")
    rtol, atol = (1e-3, 1e-4) if loose else (1e-6, 1e-8)
    scale = max(1.0, float(np.abs(expected).max())) if np.size(expected) else 1.0
    compare_arrays(got, expected, what, rtol=rtol, atol=atol * scale)


def _pair(result: object, what: str, names: str, n: int = 2) -> tuple:
    if not isinstance(result, tuple) or len(result) != n:
        got = "None (did the function forget to return?)" if result is None else (
            f"a {type(result).__name__}" + (f" of {len(result)}" if isinstance(
                result, (tuple, list)) else ""))
        fail(f"{what} should return a tuple ({names}), got {got}.")
    return result


def _softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _finite(got: object, what: str) -> None:
    """Name an overflow in exp: NaN or inf in the weights of a softmax."""
    if isinstance(got, np.ndarray) and np.issubdtype(got.dtype, np.number) \
            and not np.all(np.isfinite(got)):
        fail(f"{what} contains NaN or inf: exp overflowed on large scores (here up to about "
             f"1e3). Subtract each row's maximum score before exp; the softmax is unchanged "
             f"by it, and the largest exp is then 1.")


def _qkv(seed: int, lead: tuple[int, ...], T: int, d: int, e: int, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return tuple((rng.standard_normal((*lead, T, n)) * 1.5).astype(dtype) for n in (d, d, e))


# --- exercise 1: scaled dot-product attention ---------------------------------------------

@no_delegation(*_ALL_REFERENCES)
def check_attention(attention) -> None:
    """Check ``attention(q, k, v) -> (out, weights)``: ``softmax(q k^T / sqrt(d)) v``.

    q, k (..., T, d), v (..., T, e): tried with no leading axis, one (batch) and two
    (batch, heads), d != e != T, float64 and float32. ``weights`` (..., T, T) has rows
    that sum to 1. Names the slips: no scaling, d instead of sqrt(d), the softmax over
    the wrong axis (columns summing to 1), k not transposed, the weights not returned,
    the inputs changed in place; refuses course_lib's own function.
    """
    _refuse_delegation(attention, "attention")
    for seed, lead, T, d, e, dtype in ((101, (), 4, 3, 2, np.float64),
                                       (102, (2,), 5, 4, 3, np.float64),
                                       (103, (2, 3), 3, 6, 5, np.float32),
                                       (104, (2,), 4, 3, 2, np.float64)):
        q, k, v = _qkv(seed, lead, T, d, e, dtype)
        if seed == 104:  # large scores (up to about 1e3): exp overflows without the max
            q, k = q * 30, k * 30
        what = (f"attention(q, k, v) with q, k of shape {q.shape} and v {v.shape} "
                f"({np.dtype(dtype).name})")
        inputs = Unchanged(q=q, k=k, v=v)
        try:
            result = attention(q, k, v)
        except ValueError as err:
            if "matmul" not in str(err) and "shapes" not in str(err):
                raise
            fail(f"{what} raised ValueError: {err}. q @ k does not fit: the scores are q k^T, "
                 f"k transposed over its last two axes (np.swapaxes(k, -1, -2)), "
                 f"(..., T, d) @ (..., d, T).")
        out, weights = _pair(result, what, "out, weights")
        inputs.check(what)
        _finite(weights, f"{what}: weights")
        q64, k64, v64 = (a.astype(np.float64) for a in (q, k, v))
        s = q64 @ np.swapaxes(k64, -1, -2)
        w = _softmax(s / np.sqrt(d))
        slips_w = [(_softmax(s), "does not scale the scores: divide q k^T by sqrt(d), d the "
                                 "size of a query (q.shape[-1])."),
                   (_softmax(s / d), "divides the scores by d; the scale is sqrt(d)."),
                   (_softmax(s * np.sqrt(d)), "multiplies the scores by sqrt(d); divide."),
                   (_softmax(s / np.sqrt(e)), "divides the scores by the sqrt of the values' "
                    "size e (v.shape[-1]); d is the size of a query and a key, q.shape[-1]."),
                   (_softmax(s / np.sqrt(d), axis=-2), "takes the softmax over the wrong axis: "
                    "each query's weights (a row, the last axis) must sum to 1, not each "
                    "key's column."),
                   (s / np.sqrt(d), "returns the scores, before the softmax.")]
        _compare(weights, w, f"{what}: weights", slips_w, dtype=dtype)
        expected = w @ v64
        slips_o = [(np.swapaxes(w, -1, -2) @ v64, "multiplies the values by the transposed "
                    "weights: out = weights @ v, row t mixing the values by query t's weights.")]
        _compare(out, expected, f"{what}: out", slips_o, dtype=dtype)
    print(PASSED)


# --- exercise 2: the causal mask ----------------------------------------------------------

@no_delegation(*_ALL_REFERENCES)
def check_causal_attention(make_causal_mask, masked_attention) -> None:
    """Check ``make_causal_mask(T)`` and ``masked_attention(q, k, v, mask) -> (out, weights)``.

    The mask is bool (T, T), True where query t may look at key s (s <= t, the
    diagonal included). ``masked_attention`` hides the scores where the mask is False
    *before* the softmax (with -inf, or a very negative number), so that the remaining
    weights of each row still sum to 1. Names the slips: the diagonal masked, the upper
    triangle (the future) kept, 0/1 numbers instead of booleans, masking after the
    softmax (rows no longer sum to 1), masked scores set to 0 instead of -inf.
    """
    _refuse_delegation(make_causal_mask, "make_causal_mask")
    _refuse_delegation(masked_attention, "masked_attention")
    for T in (4, 7, 1):
        what = f"make_causal_mask({T})"
        got = make_causal_mask(T)
        expected = np.tril(np.ones((T, T), dtype=bool))
        if isinstance(got, np.ndarray) and got.shape == (T, T) and got.dtype != bool:
            if np.array_equal(got, expected):
                fail(f"{what} holds the right pattern as {got.dtype} numbers; make it boolean "
                     f"(dtype bool, e.g. np.tril(np.ones((T, T), dtype=bool))), so that it can "
                     f"pick entries in np.where(mask, scores, -np.inf).")
        if isinstance(got, np.ndarray) and got.shape == (T, T) and T > 1:
            g = got.astype(bool)
            if np.array_equal(g, np.tril(np.ones((T, T), dtype=bool), k=-1)):
                fail(f"{what} masks the diagonal: a position may look at itself (s <= t), "
                     f"or the first position would have nothing to look at.")
            if np.array_equal(g, ~expected):
                fail(f"{what} is True where the position is hidden (the future), the "
                     f"opposite: mask[t, s] is True where query t may look at key s, s <= t "
                     f"(np.tril(np.ones((T, T), dtype=bool))).")
            if np.array_equal(g, expected.T):
                fail(f"{what} keeps the upper triangle, the future: mask[t, s] must be True "
                     f"for s <= t (np.tril), row t being the query.")
        compare_arrays(got, expected, what)
    for seed, lead, T, d, e, dtype in ((111, (), 5, 3, 2, np.float64),
                                       (112, (2, 3), 4, 4, 3, np.float32)):
        q, k, v = _qkv(seed, lead, T, d, e, dtype)
        mask = np.tril(np.ones((T, T), dtype=bool))
        what = f"masked_attention(q, k, v, mask) with q of shape {q.shape} and a causal mask"
        inputs = Unchanged(q=q, k=k, v=v, mask=mask)
        out, weights = _pair(masked_attention(q, k, v, mask), what, "out, weights")
        inputs.check(what)
        q64, k64, v64 = (a.astype(np.float64) for a in (q, k, v))
        s = q64 @ np.swapaxes(k64, -1, -2) / np.sqrt(d)
        w = _softmax(np.where(mask, s, -np.inf))
        slips = [(_softmax(s) * mask, "masks after the softmax: the kept weights of a row no "
                  "longer sum to 1. Set the hidden scores to -inf before the softmax."),
                 (_softmax(np.where(mask, s, 0.0)), "sets the hidden scores to 0, which still "
                  "gets weight exp(0): set them to -inf (np.where(mask, scores, -np.inf))."),
                 (_softmax(s), "ignores the mask."),
                 (_softmax(np.where(mask.T, s, -np.inf)), "uses the transposed mask: row t "
                  "(the query) keeps columns s <= t."),
                 (_softmax(np.where(mask, s * np.sqrt(d), -np.inf)), "does not scale the "
                  "scores: divide q k^T by sqrt(d) before masking, as attention does.")]
        _compare(weights, w, f"{what}: weights", slips, dtype=dtype)
        _compare(out, w @ v64, f"{what}: out", dtype=dtype)
    print(PASSED)


# --- exercise 3: attention's backward -----------------------------------------------------

@no_delegation(*_ALL_REFERENCES)
def check_attention_backward(attention_backward) -> None:
    """Check ``attention_backward(grad_out, q, k, v, weights) -> (dq, dk, dv)``.

    With A the weights and G = grad_out: ``dV = A^T G``, ``dA = G V^T``, the softmax's
    ``dS = A * (dA - sum(dA * A, axis=-1))`` and ``dQ = dS K / sqrt(d)``,
    ``dK = dS^T Q / sqrt(d)``. Tried without and with a causal mask (masked weights are
    0), with and without leading axes, float64 and float32. Names the slips: dV without
    the transpose, the softmax backward without its subtracted term, the 1/sqrt(d)
    forgotten, dK without the transpose of dS, the inputs changed in place.
    """
    _refuse_delegation(attention_backward, "attention_backward")
    for seed, lead, T, d, e, causal, dtype in ((121, (), 4, 3, 2, False, np.float64),
                                               (122, (2,), 5, 2, 3, True, np.float64),
                                               (123, (2, 2), 3, 4, 4, True, np.float32)):
        q, k, v = _qkv(seed, lead, T, d, e, dtype)
        mask = np.tril(np.ones((T, T), dtype=bool)) if causal else None
        _, w = ref.scaled_dot_product_attention(q, k, v, mask)
        g = np.random.default_rng(seed + 50).standard_normal((*lead, T, e)).astype(dtype)
        what = (f"attention_backward(grad_out, q, k, v, weights) with q of shape {q.shape}, "
                f"v {v.shape}" + (", causal" if causal else ""))
        inputs = Unchanged(grad_out=g, q=q, k=k, v=v, weights=w)
        dq, dk, dv = _pair(attention_backward(g, q, k, v, w), what, "dq, dk, dv", 3)
        inputs.check(what)
        q64, k64, v64, w64, g64 = (a.astype(np.float64) for a in (q, k, v, w, g))
        eq, ek, ev = ref.attention_backward(g64, q64, k64, v64, w64)
        sT = lambda a: np.swapaxes(a, -1, -2)  # noqa: E731
        _compare(dv, ev, f"{what}: dv", [(w64 @ g64, "uses the weights untransposed: dV = A^T G "
                                         "(value s receives from every query that looked at it).")], dtype=dtype)
        da = g64 @ sT(v64)
        scale = 1 / np.sqrt(d)
        ds_no_sub = w64 * da * scale
        ds = w64 * (da - (da * w64).sum(-1, keepdims=True))
        ds_axis = w64 * (da - (da * w64).sum(-2, keepdims=True)) * scale
        axis_message = ("sums dA * A over the wrong axis: the softmax ran over each row (the "
                        "last axis), so its backward sums over axis=-1 too.")
        _compare(dq, eq, f"{what}: dq",
                 [(ds_no_sub @ k64, "leaves out the softmax's subtracted term: dS = A * (dA - "
                                    "sum(dA * A, axis=-1, keepdims=True)), not A * dA."),
                  (ds @ k64, "forgets the 1/sqrt(d) of the forward's scaling."),
                  (sT(ds) * scale @ k64, "uses dS^T where dQ needs dS: dQ = dS K / sqrt(d) "
                                         "(query t collects from every key it looked at)."),
                  (ds_axis @ k64, axis_message)], dtype=dtype)
        _compare(dk, ek, f"{what}: dk",
                 [(sT(ds_no_sub) @ q64, "leaves out the softmax's subtracted term."),
                  (sT(ds) @ q64, "forgets the 1/sqrt(d) of the forward's scaling."),
                  (sT(ds_axis) @ q64, axis_message),
                  (ds * scale @ q64, "uses dS where dK needs dS^T: dK = dS^T Q / sqrt(d) "
                                     "(key s collects from every query).")], dtype=dtype)
    print(PASSED)


# --- exercise 4: LayerNorm's backward ----------------------------------------------------

@no_delegation(*_ALL_REFERENCES)
def check_layer_norm_backward(layer_norm_backward) -> None:
    """Check ``layer_norm_backward(grad_out, x, gamma, eps) -> (dx, dgamma, dbeta)``.

    LayerNorm normalises the last axis of x ((N, D) or (N, T, D)) with each row's mean
    and biased variance; ``dx = inv_std * (g' - mean(g') - x_hat * mean(g' * x_hat))``
    with ``g' = grad_out * gamma`` and means over the last axis; ``dgamma``, ``dbeta``
    (D,) sum over every other axis. Names the slips: the mean terms forgotten (one or
    both), the means over the batch axis (BatchNorm's), gamma left out, dgamma or dbeta
    not summed over every axis but the last.
    """
    _refuse_delegation(layer_norm_backward, "layer_norm_backward")
    for seed, shape, dtype in ((131, (4, 5), np.float64), (132, (2, 3, 6), np.float64),
                               (133, (3, 4, 5), np.float32)):
        rng = np.random.default_rng(seed)
        x = (rng.standard_normal(shape) * 2 + 1).astype(dtype)
        gamma = rng.standard_normal(shape[-1]).astype(dtype)
        g = rng.standard_normal(shape).astype(dtype)
        eps = 1e-5
        what = f"layer_norm_backward(grad_out, x, gamma, eps) with x of shape {shape}"
        inputs = Unchanged(grad_out=g, x=x, gamma=gamma)
        dx, dgamma, dbeta = _pair(layer_norm_backward(g, x, gamma, eps), what,
                                  "dx, dgamma, dbeta", 3)
        inputs.check(what)
        x64, gm, g64 = (a.astype(np.float64) for a in (x, gamma, g))
        xc = x64 - x64.mean(-1, keepdims=True)
        inv = 1 / np.sqrt((xc ** 2).mean(-1, keepdims=True) + eps)
        xh = xc * inv
        gx = g64 * gm
        expected = ref.layer_norm_backward(g64, xh, inv, gm)
        inv_u = 1 / np.sqrt(x64.var(-1, ddof=1, keepdims=True) + eps)  # the unbiased slip
        unbiased = ref.layer_norm_backward(g64, xc * inv_u, inv_u, gm)
        _compare(dx, expected, f"{what}: dx",
                 [(gx * inv, "forgets both mean terms: every feature of a row moves the row's "
                             "mean and variance, so dx = inv_std * (g' - mean(g') - x_hat * "
                             "mean(g' * x_hat)), means over the last axis."),
                  (inv * (gx - gx.mean(-1, keepdims=True)), "forgets the variance's term "
                   "- x_hat * mean(g' * x_hat)."),
                  (inv * (gx - xh * (gx * xh).mean(-1, keepdims=True)), "forgets the mean's "
                   "term - mean(g')."),
                  (inv * (gx - gx.mean(0, keepdims=True)
                          - xh * (gx * xh).mean(0, keepdims=True)),
                   "takes the means over the batch axis (that is BatchNorm); LayerNorm's "
                   "statistics, and so its means, are over the last axis (axis=-1)."),
                  (unbiased, "normalises with the unbiased variance (ddof=1, dividing by "
                             "D - 1); LayerNorm uses the biased one, x.var(axis=-1), dividing "
                             "by D."),
                  (ref.layer_norm_backward(g64, xh, inv, np.ones_like(gm)),
                   "leaves out gamma: the gradient reaching x_hat is grad_out * gamma.")], dtype=dtype)
        D = shape[-1]
        mean_message = ("is a mean over the rows; it is a sum over every axis but the last "
                        "(every position's output depends on it).")
        _compare(dgamma, (g64 * xh).reshape(-1, D).sum(0), f"{what}: dgamma",
                 ([((g64 * xh).sum(0), "sums over the first axis only: sum over every axis "
                                       "but the last (reshape to (-1, D), then sum(axis=0)).")]
                  if len(shape) == 3 else [])
                 + [((g64 * xh).reshape(-1, D).mean(0), mean_message)], dtype=dtype)
        _compare(dbeta, g64.reshape(-1, D).sum(0), f"{what}: dbeta",
                 ([(g64.sum(0), "sums over the first axis only: sum over every axis but the "
                                "last.")] if len(shape) == 3 else [])
                 + [(g64.reshape(-1, D).mean(0), mean_message)], dtype=dtype)
    print(PASSED)


# --- exercise 5: splitting and merging heads ---------------------------------------------

@no_delegation(*_ALL_REFERENCES)
def check_heads(split_heads, merge_heads) -> None:
    """Check ``split_heads(x, num_heads)`` (N, T, D) -> (N, heads, T, D / heads) and
    ``merge_heads(x)``, its inverse.

    Head h takes features h*d to (h+1)*d - 1 of every position. Names the slips: a
    reshape straight to (N, heads, T, d), which mixes positions and heads; heads cut
    with a stride (features h, h + heads, ...); a merge without the transpose.
    """
    _refuse_delegation(split_heads, "split_heads")
    _refuse_delegation(merge_heads, "merge_heads")
    for seed, (N, T, D), H, dtype in ((141, (2, 3, 8), 2, np.float64),
                                      (142, (3, 5, 12), 4, np.float32),
                                      (143, (1, 4, 6), 1, np.float64)):
        x = np.random.default_rng(seed).standard_normal((N, T, D)).astype(dtype)
        d = D // H
        what = f"split_heads(x, {H}) with x of shape {x.shape}"
        inputs = Unchanged(x=x)
        got = split_heads(x, H)
        inputs.check(what)
        expected = x.reshape(N, T, H, d).transpose(0, 2, 1, 3)
        if isinstance(got, np.ndarray) and got.shape == (N, T, H, d) != expected.shape \
                and np.array_equal(got, x.reshape(N, T, H, d)):
            fail(f"{what} has shape {got.shape}, (N, T, heads, d): move the heads axis before "
                 f"the positions, .transpose(0, 2, 1, 3), to get (N, heads, T, d).")
        slips = [(x.reshape(N, H, T, d), "reshapes straight to (N, heads, T, d): that cuts the "
                  "flat row of T*D numbers into heads, mixing positions and heads. Reshape to "
                  "(N, T, heads, d) first, then move the heads axis: .transpose(0, 2, 1, 3)."),
                 (x.reshape(N, T, d, H).transpose(0, 3, 1, 2), "gives head h the features h, "
                  "h + heads, h + 2 heads, ...: head h takes the consecutive features h*d to "
                  "(h+1)*d - 1 (reshape to (N, T, heads, d)).")]
        _compare(got, expected, what, slips, dtype=dtype)
        heads = np.random.default_rng(seed + 1).standard_normal((N, H, T, d)).astype(dtype)
        what = f"merge_heads(x) with x of shape {heads.shape}"
        inputs = Unchanged(x=heads)
        got = merge_heads(heads)
        inputs.check(what)
        expected = heads.transpose(0, 2, 1, 3).reshape(N, T, D)
        _compare(got, expected, what,
                 [(heads.reshape(N, T, D), "reshapes without moving the heads axis back: "
                   "transpose to (N, T, heads, d) first (.transpose(0, 2, 1, 3)), then reshape "
                   "to (N, T, D).")], dtype=dtype)
        if not np.array_equal(merge_heads(split_heads(x, H)), x):
            fail(f"merge_heads(split_heads(x, {H})) does not give x back.")
    print(PASSED)


# --- exercise 6: a causal multi-head self-attention layer --------------------------------

def _layer_slips(reference: ref.MultiHeadSelfAttention, x: np.ndarray
                 ) -> list[tuple[np.ndarray, str]]:
    """The forward of the usual wrong layers, from a copy of the reference's parameters."""
    D, H = reference.embed_dim, reference.num_heads
    open_layer = ref.MultiHeadSelfAttention(D, H, causal=False, rng=0)
    wide = ref.MultiHeadSelfAttention(D, H, causal=True, rng=0)
    c = np.sqrt(reference.head_dim / D)  # q scaled by c: scores divided by sqrt(D), not sqrt(d)
    for name, value in reference.params.items():
        open_layer.params[name] = value.copy()
        wide.params[name] = value * c if name in ("Wq", "bq") else value.copy()
    slips = [(open_layer.forward(x), "is not causal: position t also attends to later "
                                     "positions, the future. Mask the scores with the causal "
                                     "mask (s <= t) before the softmax.")]
    if H > 1:
        slips.append((wide.forward(x), "scales the scores by sqrt(D), the whole embedding; "
                                       "each head's scores are divided by sqrt(d), the head "
                                       "size D / num_heads."))
    return slips


@no_delegation(*_ALL_REFERENCES)
def check_self_attention_layer(layer_class) -> None:
    """Check ``layer_class(embed_dim, num_heads, rng)``: causal multi-head self-attention.

    Its params "Wq", "Wk", "Wv", "Wo" (D, D) and "bq", "bk", "bv", "bo" (D,) are set to
    the same values as a course_lib ``MultiHeadSelfAttention(causal=True)``; the
    forward (N, T, D) -> (N, T, D), dL/dx and every gradient in ``self.grads`` must
    agree with it. Names a class without ``params``/``grads`` (no
    ``super().__init__()``), a missing parameter or gradient, and refuses a subclass of
    course_lib's layer or an answer that calls course_lib's attention functions.
    """
    _refuse_delegation(layer_class, "your layer")
    if not isinstance(layer_class, type):
        fail(f"pass the class itself (e.g. check_self_attention_layer(CausalSelfAttention)), "
             f"got {type(layer_class).__name__}.")
    for seed, (N, T, D), H, dtype in ((151, (2, 5, 6), 3, np.float64),
                                      (152, (3, 4, 8), 2, np.float32),
                                      (153, (1, 3, 4), 1, np.float64)):
        rng = np.random.default_rng(seed)
        layer = layer_class(D, H, np.random.default_rng(seed))
        what = f"{layer_class.__name__}({D}, {H}, rng)"
        params = getattr(layer, "params", None)
        if not isinstance(params, dict):
            fail(f"{what} has no params dict: call super().__init__() first in __init__ "
                 f"(Layer.__init__ creates self.params and self.grads).")
        reference = ref.MultiHeadSelfAttention(D, H, causal=True, rng=seed, dtype=np.float64)
        for name, value in reference.params.items():
            value[...] = rng.standard_normal(value.shape) * 0.5
            if name not in params:
                fail(f"{what}.params has no {name!r} (it has {sorted(params)}): the lesson's "
                     f"layer keeps Wq, Wk, Wv, Wo (D, D) and bq, bk, bv, bo (D,).")
            if np.shape(params[name]) != value.shape:
                fail(f"{what}.params[{name!r}] has shape {np.shape(params[name])}, expected "
                     f"{value.shape}.")
            params[name] = value.astype(dtype)
        x = rng.standard_normal((N, T, D)).astype(dtype)
        g = rng.standard_normal((N, T, D)).astype(dtype)
        inputs = Unchanged(x=x)
        y = layer.forward(x)
        inputs.check(f"{what}.forward(x)")
        expected = reference.forward(x.astype(np.float64))
        _compare(y, expected, f"{what}.forward(x) with x of shape {x.shape}",
                 _layer_slips(reference, x.astype(np.float64)), dtype=dtype)
        inputs = Unchanged(grad_out=g)
        dx = layer.backward(g)
        inputs.check(f"{what}.backward(grad_out)")
        expected_dx = reference.backward(g.astype(np.float64))
        _compare(dx, expected_dx, f"{what}.backward(grad_out): dL/dx", dtype=dtype)
        grads = getattr(layer, "grads", None)
        if not isinstance(grads, dict):
            fail(f"{what} has no grads dict: call super().__init__() in __init__.")
        for name, value in reference.grads.items():
            if name not in grads:
                fail(f"{what}.backward did not store dL/d{name} in self.grads[{name!r}] "
                     f"(it has {sorted(grads)}).")
            got = grads[name]
            if isinstance(got, np.ndarray) and value.ndim == 1 and got.ndim > 1 \
                    and got.shape[-1] == value.shape[0]:
                fail(f"{what}.backward: grads[{name!r}] has shape {got.shape}; a bias is shared "
                     f"by every sample and position, so its gradient sums over every axis but "
                     f"the last: shape {value.shape}.")
            _compare(got, value, f"{what}.backward: grads[{name!r}]", dtype=dtype)
    print(PASSED)


__all__ = ["check_attention", "check_causal_attention", "check_attention_backward",
           "check_layer_norm_backward", "check_heads", "check_self_attention_layer"]
