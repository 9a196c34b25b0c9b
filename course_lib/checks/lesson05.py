"""Checks for lesson 05: activations on MNIST.

Five exercises: the sigmoid's slope and the bound it puts on a gradient, SGD with
momentum and decoupled weight decay, a confusion matrix from predictions,
per-class precision and recall, and macro F1 from a confusion matrix. The
references are course_lib (the sigmoid, ``optim.SGDW``) and
scikit-learn's metrics.
"""

from __future__ import annotations

import copy

import numpy as np

from .common import (PASSED, ExerciseError, Unchanged, as_number, compare_arrays, compare_scalar,
                     fail, is_number, no_delegation)

#: Where check_sigmoid_slope evaluates the student's sigmoid derivative.
L05_GRID = np.linspace(-8.0, 8.0, 33)

#: A small confusion matrix (rows: true class, columns: predicted) for check_macro_f1 and
#: check_precision_recall; its accuracy, weighted F1, macro precision and recall all
#: differ from its macro F1, and no class has precision equal to its recall.
L05_CONFUSION = np.array([[9, 0, 0, 0],
                          [2, 48, 8, 4],
                          [0, 0, 10, 0],
                          [4, 4, 0, 44]])


def _l05_sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


# --- exercise 1: the sigmoid's slope --------------------------------------------------------

def _l05_check_sigmoid_prime(sigmoid_prime) -> None:
    s = _l05_sigmoid(L05_GRID)
    slips = [(s, "returned sigmoid(a) itself; the slope is sigmoid(a) * (1 - sigmoid(a))."),
             (1.0 - np.tanh(L05_GRID) ** 2, "is tanh's derivative, 1 - tanh(a)**2; for the "
                                            "sigmoid s it is s * (1 - s)."),
             (1.0 - s ** 2, "returned 1 - s**2 (tanh's rule applied to the sigmoid); for "
                            "the sigmoid s the slope is s * (1 - s)."),
             (1.0 - s, "returned 1 - s; multiply by s: the slope is s * (1 - s)."),
             (L05_GRID * (1.0 - L05_GRID), "computed a * (1 - a) from the input a; the rule "
                                           "s * (1 - s) takes the sigmoid's output s = "
                                           "sigmoid(a): compute s first (lesson 01's Sigmoid "
                                           "uses its stored output the same way)."),
             (-s * (1.0 - s), "has the wrong sign: the sigmoid rises everywhere, its slope "
                              "s * (1 - s) is positive.")]
    rng = np.random.default_rng(5)
    cases = [("a = np.linspace(-8, 8, 33)", L05_GRID.copy()),
             ("a batch `a` of shape (3, 4)", rng.normal(0.0, 3.0, size=(3, 4))),
             ("a float32 `a` of shape (5,)", np.linspace(-4, 4, 5, dtype=np.float32))]
    for label, a in cases:
        inputs = Unchanged(a=a)
        got = sigmoid_prime(a)
        what = f"sigmoid_prime(a) on {label}"
        inputs.check(what)
        if (label.startswith("a =") and isinstance(got, np.ndarray)
                and got.shape == L05_GRID.shape and np.all(np.isfinite(got))):
            expected = s * (1.0 - s)
            for wrong, message in slips:
                if np.allclose(got, wrong) and not np.allclose(got, expected):
                    fail(f"{what} {message}")
        s_a = _l05_sigmoid(a.astype(np.float64))
        compare_arrays(got, s_a * (1.0 - s_a), what)


def _l05_check_gradient_bound(bound_fn) -> None:
    def call(num_layers: int) -> float:
        got = bound_fn(num_layers)
        what = f"sigmoid_gradient_bound({num_layers})"
        if not is_number(got):
            if isinstance(got, np.ndarray):
                fail(f"{what} should be one number, got an array of shape {got.shape}: take "
                     f"the largest slope (.max()) before raising it to the power num_layers.")
            fail(f"{what} should be a number, got {type(got).__name__}"
                 + (" (did the function forget to return?)." if got is None else "."))
        return as_number(got, what)

    one = call(1)
    if np.isclose(one, 0.5):
        fail("sigmoid_gradient_bound(1) = 0.5 is the value sigmoid(0), not its slope: the slope "
             "at 0 is sigmoid(0) * (1 - sigmoid(0)) = 0.5 * 0.5.")
    if np.isclose(one, 1.0):
        fail("sigmoid_gradient_bound(1) = 1 is the largest slope of tanh (and ReLU's slope); "
             "the sigmoid is flatter: evaluate sigmoid_prime on a grid and take the maximum.")
    if np.isclose(one, 0.25 ** 2, rtol=1e-3):
        fail("sigmoid_gradient_bound(1) = 0.0625 = 0.25 ** 2 counts two sigmoids: "
             "num_layers + 1. Only the hidden layers have a sigmoid (the output layer is "
             "linear, its softmax is in the loss): max_slope ** num_layers.")
    if not np.isclose(one, 0.25, rtol=1e-3):
        fail(f"sigmoid_gradient_bound(1) = {one:.6g}, but one sigmoid layer multiplies the "
             f"gradient by at most the largest slope: look at "
             f"sigmoid_prime(np.linspace(-5, 5, 1001)).max() and where it is reached.")

    three = call(3)
    messages = [(0.75, "adds the three slopes; the chain rule multiplies them: "
                       "max_slope ** num_layers."),
                (0.25 ** 4, "counts four sigmoids: num_layers + 1. Only the hidden layers have "
                            "a sigmoid (the output layer is linear, its softmax is in the loss): "
                            "max_slope ** num_layers."),
                (0.25, "is one layer's bound whatever num_layers is; the gradient passes "
                       "through num_layers sigmoid layers, and the chain rule multiplies their "
                       "slopes."),
                (0.5 ** 3, "uses sigmoid(0) = 0.5, the value, not the slope 0.25.")]
    for wrong, message in messages:
        if np.isclose(three, wrong, rtol=1e-3):
            fail(f"sigmoid_gradient_bound(3) = {three:.6g} {message}")
    for num_layers in (3, 2, 5):
        got = three if num_layers == 3 else call(num_layers)
        try:
            compare_scalar(got, 0.25 ** num_layers, f"sigmoid_gradient_bound({num_layers})",
                           rtol=1e-3 * num_layers, atol=0.0)
        except ExerciseError as err:
            fail(f"{err} Each of the {num_layers} layers multiplies the gradient by at most "
                 f"max_slope = 0.25, so together by at most 0.25 ** {num_layers}.")


@no_delegation(tools=("course_lib.layers.Sigmoid",))
def check_sigmoid_slope(sigmoid_prime, sigmoid_gradient_bound) -> None:
    """Check the sigmoid-slope exercise: ``sigmoid_prime(a)`` and ``sigmoid_gradient_bound(n)``.

    ``sigmoid_prime(a)`` must return ``s (1 - s)`` with ``s = sigmoid(a)``,
    elementwise, for a pre-activation ``a`` of any shape and dtype (tried on a grid of
    33 values, a (3, 4) batch and a float32 vector; float32 answers are compared with
    float32's tolerance), without changing ``a``. ``sigmoid_gradient_bound(n)`` must return
    the most that ``n`` sigmoid layers can scale a gradient by through their
    slopes alone, ``0.25 ** n`` (tried for n = 1, 3, 2, 5; a NumPy scalar is fine,
    and a maximum taken on a grid that misses 0 by a little is accepted).

    Names the usual slips: sigmoid itself returned, tanh's derivative, ``1 - s**2``,
    ``1 - s``, ``a`` changed in place; for the bound, the value sigmoid(0) = 0.5
    given as the slope, tanh's slope 1, slopes added instead of multiplied, the
    output layer counted, num_layers ignored, an array instead of a number. An answer
    whose slope comes from course_lib's Sigmoid layer (its backward) gets no credit; the
    function ``sigmoid`` is fine.
    """
    _l05_check_sigmoid_prime(sigmoid_prime)
    _l05_check_gradient_bound(sigmoid_gradient_bound)
    print(PASSED)


# --- exercise 2: SGD with momentum, then decoupled weight decay ------------------------------

def _l05_tiny_model(dtype: type):
    """A 3-4-2 tanh network in ``dtype`` and a batch of 5 labelled points for it."""
    from ..layers import Dense, Tanh
    from ..model import Sequential

    rng = np.random.default_rng(11)
    model = Sequential([Dense(3, 4, init="glorot", rng=rng), Tanh(),
                        Dense(4, 2, init="glorot", rng=rng)]).astype(dtype)
    for layer in model.layers:  # non-zero biases, so that decaying them shows
        if "b" in layer.params:
            layer.params["b"][...] = rng.normal(0.0, 0.5, size=layer.params["b"].shape)
    X = rng.normal(size=(5, 3)).astype(dtype)
    y = np.array([0, 1, 1, 0, 1])
    return model, X, y


def _l05_backward(model, X: np.ndarray, y: np.ndarray) -> None:
    from ..losses import SoftmaxCrossEntropyLoss

    loss = SoftmaxCrossEntropyLoss()
    loss.forward(model.forward(X), y)
    model.backward(loss.backward())


def _l05_weight_decay_slips(p0: np.ndarray, v0: np.ndarray, g: np.ndarray, *, lr: float,
                            first_lr: float, momentum: float, weight_decay: float,
                            is_weight: bool) -> list[tuple[np.ndarray, str]]:
    """What one param becomes after a step with a usual slip, each with the message naming it."""
    v1 = momentum * v0 - lr * g
    stepped = p0 + v1
    shrink = 1.0 - lr * weight_decay
    if not is_weight:
        return [(stepped * shrink, "shrinks the biases too. Weight decay shrinks the weight "
                                   "matrices only (the params named \"W\"): a bias does not "
                                   "make a unit more sensitive to its inputs."),
                (p0 - lr * g, "has no momentum: the bias moved by -lr * grad only. Let "
                              "super().step(model) do the momentum step."),
                (p0, "is not updated at all: call super().step(model) first, for every "
                     "param.")]
    slips = [(stepped, "did not shrink: after the step W should be multiplied by "
                       "(1 - lr * weight_decay). `W = W * ...` only rebinds a local name, and "
                       "a Dense layer's params dict is built afresh on every access, so "
                       "layer.params[\"W\"] = ... is lost too. Change the array in place: "
                       "W *= ... (or W[...] = ...)."),
             (shrink * p0 + v1, "shrinks W before the momentum step; the step comes first, "
                                "then W = (1 - lr * weight_decay) * W."),
             (stepped * (1.0 - weight_decay), "shrinks by (1 - weight_decay): the factor is "
                                              "1 - lr * weight_decay, with the learning rate."),
             (stepped * (1.0 + lr * weight_decay), "grows W: the factor is "
                                                   "1 - lr * weight_decay, with a minus."),
             (stepped - lr * weight_decay, "subtracts lr * weight_decay from every weight; "
                                           "the decay is proportional to the weight: "
                                           "W -= lr * weight_decay * W."),
             (p0 + momentum * v0 - lr * (g + weight_decay * p0),
              "adds the L2 penalty's gradient weight_decay * W to the gradient (coupled "
              "weight decay), so momentum carries the decay along. The lesson's decay is "
              "decoupled: take the momentum step with the gradient alone, then shrink W."),
             ((p0 - lr * g) * shrink, "has no momentum: W moved by -lr * grad only. Let "
                                      "super().step(model) do the momentum step, then "
                                      "shrink W."),
             (p0 * shrink, "only shrank W; the gradient step is missing: call "
                           "super().step(model) first."),
             (stepped * shrink * shrink, "shrinks W twice per step.")]
    if lr != first_lr:
        slips.append((stepped * (1.0 - first_lr * weight_decay),
                      "shrinks with the learning rate the optimiser was created with. The "
                      "lesson lowers optimizer.lr after every epoch: read self.lr in step."))
    return slips


@no_delegation("course_lib.optim.SGDW")
def check_sgd_weight_decay(optimizer_class) -> None:
    """Check ``optimizer_class(lr, momentum=..., weight_decay=...)``: SGD with momentum, then decay.

    ``step(model)`` must update every param as ``course_lib.optim.SGD`` with momentum
    does and then multiply every weight matrix (a param named "W"; biases are left
    alone) by ``1 - lr * weight_decay``, using the optimiser's current ``self.lr``.
    The check trains a 3-4-2 tanh network for four steps (the learning rate lowered
    after two, as the lesson's schedule does) in float64 and again in float32, next to
    ``course_lib.optim.SGDW(lr, momentum, weight_decay)``, and compares every param
    after every step (float32 params with float32's tolerance). Shrinking in place
    with ``W *= ...``, ``W -= lr * wd * W`` or ``W[...] = ...`` all pass; so does a
    class that does its own momentum instead of calling ``super().step``.

    Names the usual slips: W not shrunk (a rebound name or a lost dict entry), shrunk
    before the step, the factor without the learning rate or with a plus, a constant
    subtracted, the L2 gradient added to the gradient (coupled decay), no momentum,
    no gradient step, shrunk twice, biases shrunk, the learning rate taken from
    ``__init__``, the gradients changed in place.
    """
    from ..optim import SGDW

    lrs, momentum, weight_decay = (0.1, 0.1, 0.04, 0.04), 0.9, 0.5
    for dtype in (np.float64, np.float32):
        model, X, y = _l05_tiny_model(dtype)
        reference_model = copy.deepcopy(model)
        optimizer = optimizer_class(lrs[0], momentum=momentum, weight_decay=weight_decay)
        reference = SGDW(lrs[0], momentum=momentum, weight_decay=weight_decay)
        for t, lr in enumerate(lrs, start=1):
            optimizer.lr = reference.lr = lr
            _l05_backward(model, X, y)
            _l05_backward(reference_model, X, y)
            velocity = reference._velocity  # the reference's state before this step
            before = {(i, name): (p.copy(), velocity.get((i, name), np.zeros_like(p)).copy(),
                                  layer.grads[name].copy())
                      for i, layer in enumerate(reference_model.layers)
                      for name, p in layer.params.items()}
            grads = Unchanged(**{f"layers[{i}].grads[{name!r}]": layer.grads[name]
                                 for i, layer in enumerate(model.layers)
                                 for name in layer.params})
            optimizer.step(model)
            reference.step(reference_model)
            for (i, name), (p0, v0, g) in before.items():
                got = model.layers[i].params[name]
                expected = reference_model.layers[i].params[name]
                what = (f"layers[{i}].params[{name!r}] after step {t} (lr {lr}, momentum "
                        f"{momentum}, weight_decay {weight_decay}, {np.dtype(dtype).name} params)")
                rtol = 1e-4 if dtype == np.float32 else 1e-7
                if np.allclose(got, expected, rtol=rtol, atol=rtol * np.abs(expected).max()):
                    continue
                scale = rtol * np.abs(expected).max()
                slips = [message for wrong, message in _l05_weight_decay_slips(
                             p0, v0, g, lr=lr, first_lr=lrs[0], momentum=momentum,
                             weight_decay=weight_decay, is_weight=name == "W")
                         if np.allclose(got, wrong, rtol=rtol, atol=scale)
                         and not np.allclose(wrong, expected, rtol=rtol, atol=scale)]
                if slips:  # at the first step, two slips can give the same numbers
                    fail(f"{what} " + " Or it ".join(slips))
                compare_arrays(got, expected, what)
            grads.check(f"step {t}")
    print(PASSED)


# --- exercise 3: a confusion matrix from predictions --------------------------------------

def _l05_confusion_cases() -> list[tuple[str, np.ndarray, np.ndarray, int]]:
    """(description, y_true, y_pred, num_classes) for check_confusion_matrix."""
    rng = np.random.default_rng(3)
    y_true = rng.integers(0, 4, size=40)
    y_pred = np.where(rng.random(40) < 0.6, y_true, rng.integers(0, 3, size=40))
    y_pred[y_pred == 3] = 2  # class 3 is never predicted, class 4 never occurs
    big_true = rng.integers(0, 10, size=1000)
    big_pred = np.where(rng.random(1000) < 0.8, big_true, rng.integers(0, 10, size=1000))
    return [("40 labels, 5 classes (class 3 never predicted, class 4 in neither)",
             y_true, y_pred, 5),
            ("one label (true 2, predicted 0), 3 classes", np.array([2]), np.array([0]), 3),
            ("1,000 labels, 10 classes", big_true, big_pred, 10)]


@no_delegation("sklearn.metrics.confusion_matrix")
def check_confusion_matrix(confusion_matrix_fn) -> None:
    """Check ``confusion_matrix_fn(y_true, y_pred, num_classes)``: rows true, columns predicted.

    ``cm[i, j]`` must count the samples of true class i predicted as j, as
    ``sklearn.metrics.confusion_matrix(y_true, y_pred, labels=range(num_classes))``
    does, always of shape (num_classes, num_classes). Tried on 40 labels of 5
    classes (one class never predicted, one in neither array), on a single label
    and on 1,000 labels of 10 classes. Any numeric dtype holding the exact counts
    passes (ints as scikit-learn, or floats); loops, ``np.add.at`` and
    ``np.bincount`` all work.

    Names the usual slips: rows and columns swapped (the transpose), a matrix shrunk
    to the classes that occur (``y.max() + 1`` or ``np.unique``), repeated pairs
    counted once (``cm[y_true, y_pred] += 1`` with fancy indexing), rows normalised
    to fractions, a count that misses samples, the labels changed in place.
    """
    from sklearn.metrics import confusion_matrix

    for label, y_true, y_pred, k in _l05_confusion_cases():
        inputs = Unchanged(y_true=y_true, y_pred=y_pred)
        got = confusion_matrix_fn(y_true, y_pred, k)
        what = f"confusion_matrix_from(y_true, y_pred, {k}) for {label}"
        inputs.check(what)
        expected = confusion_matrix(y_true, y_pred, labels=np.arange(k))
        if isinstance(got, np.ndarray) and got.ndim == 2 and got.shape != (k, k) \
                and got.shape[0] == got.shape[1] and got.shape[0] < k:
            fail(f"{what} has shape {got.shape}, expected {(k, k)}: a class that is never "
                 f"predicted (or never occurs) still gets its row and column, full of zeros. "
                 f"Size the matrix with num_classes, not with y.max() + 1 or np.unique.")
        if isinstance(got, np.ndarray) and got.shape == expected.shape \
                and np.issubdtype(got.dtype, np.number) and np.all(np.isfinite(got)):
            if np.array_equal(got, expected):
                continue
            if np.array_equal(got, expected.T):
                fail(f"{what} is the transpose of the expected matrix: rows must be the true "
                     f"class and columns the predicted class, cm[y_true[n], y_pred[n]] += 1.")
            if np.array_equal(got, expected > 0):
                fail(f"{what} counts every (true, predicted) pair at most once. With fancy "
                     f"indexing, cm[y_true, y_pred] += 1 adds 1 once per distinct pair and "
                     f"drops the repeats. Use np.add.at(cm, (y_true, y_pred), 1), a loop over "
                     f"the samples, or np.bincount(y_true * num_classes + y_pred, "
                     f"minlength=num_classes**2).reshape(num_classes, num_classes).")
            rows = expected.sum(axis=1, keepdims=True)
            normalised = np.divide(expected, rows, out=np.zeros(expected.shape), where=rows > 0)
            if np.allclose(got, normalised):
                fail(f"{what} holds fractions (each row divided by its sum). Return the counts; "
                     f"scikit-learn's normalize='true' is a separate step.")
            if not np.isclose(got.sum(), len(y_true)):
                fail(f"{what} counts {got.sum():g} samples in all, but there are {len(y_true)}: "
                     f"every sample adds 1 to exactly one cell.")
        compare_arrays(got, expected, what, rtol=0.0, atol=1e-9)
    print(PASSED)


# --- exercise 4: precision and recall per class --------------------------------------------

def _l05_labels_from_confusion(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (y_true, y_pred) pairs a confusion matrix counts, for scikit-learn's metrics."""
    k = cm.shape[0]
    pairs = np.repeat(np.arange(k * k), cm.ravel())
    return pairs // k, pairs % k


def _l05_big_confusion() -> np.ndarray:
    """A 10-class confusion matrix in which class 7 is never predicted."""
    rng = np.random.default_rng(5)
    big = rng.integers(0, 4, size=(10, 10)) + np.diag(rng.integers(40, 90, size=10))
    big[:, 7] = 0  # class 7 is never predicted: its precision is 0 / 0
    return big


def _l05_precision_recall_cases() -> list[tuple[str, np.ndarray]]:
    unseen = _l05_big_confusion()
    unseen[2, :] = 0  # class 2 never occurs: its recall is 0 / 0 (it is still predicted)
    unseen[5, 2] = 3
    return [("L05_CONFUSION (4 classes)", L05_CONFUSION),
            ("a 10-class matrix in which class 7 is never predicted and class 2 never occurs",
             unseen),
            ("the 2-class matrix [[5, 1], [3, 0]]", np.array([[5, 1], [3, 0]]))]


def _l05_split_pair(got: object, what: str, k: int) -> tuple[object, object]:
    """``got`` as (precision, recall); ExerciseError for a lone number or a lone array."""
    if isinstance(got, np.ndarray) and got.shape == (2, k):
        return got[0], got[1]
    if isinstance(got, (tuple, list)) and len(got) == 2:
        return got[0], got[1]
    if is_number(got):
        fail(f"{what} returned one number, {float(got):.6g}. Return two arrays of {k} values, "
             f"(precision, recall): one precision and one recall per class, not an average "
             f"over the classes (that would be the accuracy, or a macro average).")
    if isinstance(got, np.ndarray) and got.shape == (k,):
        fail(f"{what} returned one array of {k} values; return two: `return precision, recall`.")
    if isinstance(got, np.ndarray) and got.shape == (k, 2):
        fail(f"{what} returned an array of shape {(k, 2)}, precision and recall as columns; "
             f"return the pair: `return precision, recall`.")
    fail(f"{what} should return a pair (precision, recall) of arrays of shape ({k},), got "
         f"{type(got).__name__}" + (f" of shape {got.shape}" if isinstance(got, np.ndarray)
                                    else "") + ".")


@no_delegation("sklearn.metrics.precision_recall_fscore_support",
               "sklearn.metrics.precision_score",
               "sklearn.metrics.recall_score")
def check_precision_recall(precision_recall_fn) -> None:
    """Check ``precision_recall_fn(cm) -> (precision, recall)``, per class, from a confusion matrix.

    ``cm[i, j]`` counts samples of true class i predicted as j. For class k,
    precision = cm[k, k] / column k sum and recall = cm[k, k] / row k sum, each an
    array of shape (K,); a class never predicted (column sum 0) has precision 0 and a
    class that never occurs (row sum 0) has recall 0, as scikit-learn's
    ``precision_recall_fscore_support(..., zero_division=0)``, the reference. Tried
    on a 4-class matrix, a 10-class one with a class never predicted and a class
    that never occurs, and a 2-class one. A tuple, a list or a (2, K) array are all
    fine, and float32 answers are compared with float32's tolerance.

    Names the usual slips: precision and recall swapped (axis 0 vs 1), both divided
    by the same sums, divided by the total count, NaN from 0 / 0, integer division,
    one number returned (the accuracy or an average), one array returned, the
    matrix changed in place.
    """
    from sklearn.metrics import precision_recall_fscore_support

    for name, cm in _l05_precision_recall_cases():
        k = cm.shape[0]
        y_true, y_pred = _l05_labels_from_confusion(cm)
        p_ref, r_ref, _, _ = precision_recall_fscore_support(
            y_true, y_pred, labels=np.arange(k), zero_division=0.0)
        what = f"precision_recall(cm) for {name}"
        cm_in = cm.copy()
        inputs = Unchanged(cm=cm_in)
        with np.errstate(divide="ignore", invalid="ignore"):
            got = precision_recall_fn(cm_in)
        inputs.check(what)
        precision, recall = _l05_split_pair(got, what, k)
        tp = np.diag(cm).astype(float)
        rows, cols = cm.sum(axis=1).astype(float), cm.sum(axis=0).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            by_rows = np.where(rows > 0, tp / rows, 0.0)
            by_cols = np.where(cols > 0, tp / cols, 0.0)
        for label, value, expected in (("precision", precision, p_ref),
                                       ("recall", recall, r_ref)):
            where = f"{what}: the {label}"
            if not (isinstance(value, np.ndarray) and value.shape == (k,)
                    and np.issubdtype(value.dtype, np.number)):
                compare_arrays(value, expected, where)
            if not np.all(np.isfinite(value)):
                zero = "column" if label == "precision" else "row"
                fail(f"{where} contains {value[~np.isfinite(value)][0]} at class "
                     f"{int(np.flatnonzero(~np.isfinite(value))[0])}: its {zero} sum is 0, so "
                     f"TP / {zero} sum is 0 / 0. Count it as 0, as scikit-learn's "
                     f"zero_division=0 does: np.divide(tp, sums, out=np.zeros(len(tp)), "
                     f"where=sums > 0).")
            if np.allclose(value, expected, rtol=1e-4, atol=1e-6):
                compare_arrays(value, expected, where)
                continue
            other = by_rows if label == "precision" else by_cols
            if np.allclose(value, other):
                right, wrong = (("column", "row") if label == "precision" else ("row", "column"))
                fail(f"{where} is the {'recall' if label == 'precision' else 'precision'}: "
                     f"it divides by the {wrong} sums. {label.capitalize()} divides TP = cm[k, k] "
                     f"by the {right} sum (cm.sum(axis={0 if right == 'column' else 1})): "
                     + ("everything the model called k." if label == "precision"
                        else "every true k."))
            if np.allclose(value, tp / cm.sum()):
                fail(f"{where} divides by the total count cm.sum(); divide each TP by its own "
                     f"{'column' if label == 'precision' else 'row'} sum.")
            if np.array_equal(value, np.floor(expected)) and not np.array_equal(expected,
                                                                               np.floor(expected)):
                fail(f"{where} is rounded down to whole numbers: integer division (//) or an "
                     f"integer output array. Use / and float arrays.")
            compare_arrays(value, expected, where)
    print(PASSED)


# --- exercise 5: macro F1 from a confusion matrix -------------------------------------------

def _l05_macro_f1_slips(cm: np.ndarray) -> list[tuple[float, str]]:
    """Answers that come from a usual slip, each with the message that names it."""
    cm = cm.astype(float)
    tp = np.diag(cm)
    support, predicted = cm.sum(axis=1), cm.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(support > 0, tp / support, 0.0)
        f1 = np.where(2 * tp + (predicted - tp) + (support - tp) > 0,
                      2 * tp / (predicted + support), 0.0)
        mp, mr = precision.mean(), recall.mean()
        return [
            (tp.sum() / cm.sum(), "is the accuracy (the micro-averaged F1): every sample counts "
                                  "once. Macro F1 computes F1 for each class, then takes their "
                                  "plain mean, so rare classes count as much as common ones."),
            ((f1 * support).sum() / support.sum(), "is the F1 averaged with weights = class "
                                                   "sizes (average='weighted'); macro F1 gives "
                                                   "every class the same weight."),
            (2 * mp * mr / (mp + mr), "is the harmonic mean of the macro precision and macro "
                                      "recall; macro F1 is the mean of the per-class F1 "
                                      "scores, F1_k = 2 P_k R_k / (P_k + R_k)."),
            (((precision + recall) / 2).mean(), "averages precision and recall arithmetically; "
                                                "F1 is their harmonic mean, "
                                                "2 P R / (P + R)."),
            (mp, "is the macro precision (the mean of TP / column sums); F1 also needs the "
                 "recall TP / row sums."),
            (mr, "is the macro recall (the mean of TP / row sums); F1 also needs the precision "
                 "TP / column sums."),
        ]


@no_delegation("sklearn.metrics.f1_score", "sklearn.metrics.precision_recall_fscore_support")
def check_macro_f1(macro_f1_fn) -> None:
    """Check ``macro_f1_fn(cm)``: the macro-averaged F1 score from a confusion matrix.

    ``cm[i, j]`` counts samples of true class i predicted as j. The reference is
    scikit-learn's ``f1_score(y_true, y_pred, average="macro", zero_division=0)`` on
    the labels the matrix counts. The check uses :data:`L05_CONFUSION` and a
    10-class matrix with a class that is never predicted. A float, a NumPy scalar
    or a 0-d array passes, computed in float64 or float32 (compared with float32's
    tolerance).

    Names the usual slips: the accuracy (micro F1), the support-weighted F1, F1 of
    the averaged precision and recall, the arithmetic mean of precision and recall,
    the macro precision or recall alone, per-class scores not averaged, NaN from a
    class with no predictions, the matrix changed in place.
    """
    from sklearn.metrics import f1_score

    for name, cm in (("L05_CONFUSION (4 classes)", L05_CONFUSION),
                     ("a 10-class matrix in which class 7 is never predicted",
                      _l05_big_confusion())):
        y_true, y_pred = _l05_labels_from_confusion(cm)
        expected = float(f1_score(y_true, y_pred, average="macro", zero_division=0.0))
        cm_in = cm.copy()
        inputs = Unchanged(cm=cm_in)
        with np.errstate(divide="ignore", invalid="ignore"):
            got = macro_f1_fn(cm_in)
        what = f"macro_f1(cm) for {name}"
        inputs.check(what)
        if isinstance(got, np.ndarray) and got.shape == (cm.shape[0],):
            fail(f"{what} returned {got.shape[0]} numbers, one per class. Macro F1 is one "
                 f"number: the mean of the per-class F1 scores.")
        if not is_number(got):
            fail(f"{what} should return a number (a float), got {type(got).__name__}"
                 + (f" of shape {got.shape}." if isinstance(got, np.ndarray) else "."))
        value = as_number(got, what)
        if not np.isfinite(value):
            fail(f"{what} is {value}. A class that is never predicted has TP + FP = 0, so its "
                 f"precision TP / (TP + FP) is 0 / 0. Count it as 0, as scikit-learn does, or "
                 f"use F1 = 2 TP / (2 TP + FP + FN), which is defined whenever the class "
                 f"occurs.")
        if np.isclose(value, expected, rtol=1e-4, atol=1e-9):
            compare_scalar(got, expected, what)
            continue
        for wrong, message in _l05_macro_f1_slips(cm):
            if np.isclose(value, wrong, rtol=1e-6, atol=1e-9):
                fail(f"{what} = {value:.6f} {message} Expected {expected:.6f}.")
        try:
            compare_scalar(got, expected, what)
        except ExerciseError as err:
            fail(f"{err} (scikit-learn's f1_score with average='macro'.) Per class k: "
                 f"TP = cm[k, k], FP = column sum - TP, FN = row sum - TP, "
                 f"F1_k = 2 TP / (2 TP + FP + FN); then the mean over classes.")
    print(PASSED)
