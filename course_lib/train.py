"""The training loop: shuffled mini-batches, forward, loss, backward, step.

``fit`` checks its arguments and the data once, before the first batch; inside
the loop it only tests that each batch's loss is a finite number, and stops
with a ValueError naming the epoch and batch when it is not (training diverged).
The layers then skip their scans for NaN and inf (see
:func:`course_lib.validation.values_checked`), and the model's first layer skips
the gradient for the input, which training never uses.

A model whose parameters have another dtype than ``X`` (float64 weights, float32
images) is converted to ``X``'s dtype once, at the start of ``fit``, with a
warning: otherwise every step would cast every weight matrix to the data's dtype
and every gradient back.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from .losses import Loss
from .model import Sequential, backward_without_input_grad, evaluation_mode, layers_in_mode
from .validation import (check_bool, check_float_array, check_int, check_not_class,
                         check_numeric_array, describe, is_real_number, values_checked)


@dataclass
class History:
    """What :func:`fit` measured, one entry per epoch.

    Attributes
    ----------
    loss : list of float
        Mean training loss over the epoch's mini-batches (weighted by batch size).
    val_loss, val_accuracy : list of float
        On ``validation_data``, after each epoch (accuracy for classification only).
    epoch_time : list of float
        Seconds per epoch (training only).
    best_epoch : int or None
        With ``early_stopping``: the epoch (counted from 1) with the lowest validation
        loss, whose parameters the model was given back; None otherwise.
    stopped_early : bool
        True when ``early_stopping`` ended training before ``epochs``.
    """

    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    epoch_time: list[float] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False

    @property
    def epochs(self) -> int:
        return len(self.loss)


def _check_xy(X: np.ndarray, y: np.ndarray, where: str) -> None:
    """X: finite floats; y: an ndarray of real numbers with one entry (or row) per sample."""
    check_float_array(X, "X", where=where)
    check_numeric_array(y, "y", where=where)
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError(f"{where}: y contains {int(np.isnan(y).sum())} NaN and "
                         f"{int(np.isinf(y).sum())} infinite values (shape {y.shape}); every "
                         f"target must be a finite number. Check the data.")
    if len(y) != len(X):
        raise ValueError(f"{where}: X has {len(X)} samples but y has {len(y)}; they must match.")


def _check_model(model: object, where: str) -> None:
    """A model is a Sequential, or anything with forward and backward methods (one layer too)."""
    check_not_class(model, "model", "a model", where=where, args="[...]")
    if isinstance(model, (list, tuple)):
        raise TypeError(f"{where}: model must be a Sequential, got a {type(model).__name__} of "
                        f"{len(model)} layers; wrap them: Sequential([...]).")
    if not (callable(getattr(model, "forward", None))
            and callable(getattr(model, "backward", None))):
        raise TypeError(f"{where}: model must be a Sequential (or a layer), with forward and "
                        f"backward methods, got {describe(model)}.")


def _check_loss(loss: object, where: str) -> None:
    """A loss is any object with forward(pred, target) and backward(), not a class or a name."""
    check_not_class(loss, "loss", "a loss", where=where)
    if not (callable(getattr(loss, "forward", None)) and callable(getattr(loss, "backward", None))):
        raise TypeError(f"{where}: loss must be a loss object with forward(pred, target) and "
                        f"backward(), such as MSELoss() or SoftmaxCrossEntropyLoss() from "
                        f"course_lib.losses, got {describe(loss)}.")


def _is_classification(loss: Loss, classification: bool | None, where: str) -> bool:
    if classification is None:
        return bool(getattr(loss, "is_classification", False))
    return check_bool(classification, "classification", where=where)


def _predict(model: Sequential, X: np.ndarray, batch_size: int) -> np.ndarray:
    """``model.predict``, or batched ``forward`` for a model without one (a single layer).

    ``X`` has been checked by the caller, so its batches are not scanned again.
    """
    with values_checked():
        if hasattr(model, "predict"):
            return model.predict(X, batch_size)
        return np.concatenate([model.forward(X[i:i + batch_size])
                               for i in range(0, len(X), batch_size)], axis=0)


def _param_dtypes(model: object) -> set[np.dtype]:
    """The dtypes of the model's parameters (of a Sequential, or of a single layer)."""
    layers = getattr(model, "layers", [model])
    return {p.dtype for layer in layers for p in getattr(layer, "params", {}).values()
            if isinstance(p, np.ndarray)}


def _match_dtype(model: object, X: np.ndarray) -> None:
    """Convert the model's parameters to X's dtype once (with a warning) if they differ.

    Layers compute in their input's dtype; with float64 weights and float32 data every
    step would cast each weight matrix to float32 and each gradient back to float64.
    """
    dtypes = _param_dtypes(model)
    if not dtypes or dtypes == {X.dtype} or not callable(getattr(model, "astype", None)):
        return
    had = ", ".join(sorted(d.name for d in dtypes))
    model.astype(X.dtype)
    warnings.warn(f"fit: the model's parameters were {had} and X is {X.dtype.name}; "
                  f"converted the parameters to {X.dtype.name} (once, here) so that the steps "
                  f"do not cast them. Build the model with .astype(np.{X.dtype.name}), or pass "
                  f"X.astype(np.{had.split(', ')[0]}), to choose the dtype yourself.",
                  stacklevel=3)


def _class_labels(y: np.ndarray, n_outputs: int, where: str) -> np.ndarray:
    """The true class of every sample, from labels (N,) or one-hot rows (N, K).

    Checked against the model's number of outputs K: a column of labels (N, 1)
    would otherwise be read as one-hot rows, whose argmax is always 0.
    """
    if n_outputs < 2:
        raise ValueError(f"{where}: the model has 1 output, but accuracy compares the class "
                         f"with the highest score to the label; a classifier needs one output "
                         f"per class (K >= 2).")
    if y.ndim == 2:
        if y.shape[1] == 1:
            raise ValueError(f"{where}: y has shape {y.shape}, a column; pass the labels with "
                             f"shape ({len(y)},) (y.ravel()), or one-hot rows of shape "
                             f"({len(y)}, {n_outputs}).")
        if y.shape[1] != n_outputs:
            raise ValueError(f"{where}: y has {y.shape[1]} columns (one-hot rows) but the model "
                             f"has {n_outputs} outputs; they must match.")
        return y.argmax(axis=1)
    if y.ndim != 1:
        raise ValueError(f"{where}: y must be labels (N,) or one-hot rows (N, K), got shape "
                         f"{y.shape}.")
    if not np.issubdtype(y.dtype, np.integer) and not np.array_equal(y, np.round(y)):
        raise ValueError(f"{where}: labels must be whole numbers (class indices), got values "
                         f"such as {y[y != np.round(y)][0]}.")
    if y.min() < 0 or y.max() >= n_outputs:
        raise ValueError(f"{where}: labels must lie in [0, {n_outputs}) for a model with "
                         f"{n_outputs} outputs, got values from {y.min()} to {y.max()}.")
    return y


def accuracy(model: Sequential, X: np.ndarray, y: np.ndarray, *, batch_size: int = 1024) -> float:
    """Fraction of samples whose highest-scoring output is the true class.

    ``y`` holds labels (N,) or one-hot rows (N, K), K the model's number of
    outputs. A column of labels (N, 1) is refused (it would read as one-hot).
    """
    _check_model(model, "accuracy")
    _check_xy(X, y, "accuracy")
    with evaluation_mode(model):
        pred = _predict(model, X, batch_size)
    labels = _class_labels(y, pred.shape[1] if pred.ndim == 2 else 1, "accuracy")
    return float(np.mean(pred.argmax(axis=1) == labels))


def evaluate(model: Sequential, loss: Loss, X: np.ndarray, y: np.ndarray, *,
             batch_size: int = 1024, classification: bool | None = None) -> dict[str, float]:
    """Mean loss (and accuracy, for classification) of ``model`` on ``(X, y)``.

    Returns
    -------
    dict
        ``{"loss": ...}`` plus ``"accuracy"`` when the loss is a classification
        loss or ``classification=True`` (e.g. MSE on one-hot targets).
    """
    _check_model(model, "evaluate")
    _check_loss(loss, "evaluate")
    _check_xy(X, y, "evaluate")
    classify = _is_classification(loss, classification, "evaluate")
    with evaluation_mode(model):  # also for a single layer, which has no predict
        pred = _predict(model, X, batch_size)
    result = {"loss": _loss_value(loss.forward(pred, y), "evaluate")}
    if classify:
        labels = _class_labels(y, pred.shape[1] if pred.ndim == 2 else 1, "evaluate")
        result["accuracy"] = float(np.mean(pred.argmax(axis=1) == labels))
    return result


def _check_seed(seed: object) -> np.random.Generator:
    """A Generator from ``seed``: an int >= 0, None (fresh randomness) or a Generator itself."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None:
        check_int(seed, "seed", where="fit", low=0)
    return np.random.default_rng(seed)


def _loss_value(value: object, where: str) -> float:
    """The loss as a float; a TypeError if ``loss.forward`` did not return one number."""
    if not is_real_number(value):
        raise TypeError(f"{where}: loss.forward must return one number (the mean loss over the "
                        f"batch), got {describe(value)}. Return e.g. float(np.mean(...)).")
    return float(value)


def _diverged(value: float, epoch: int, epochs: int, batch: int, n_batches: int,
              optimizer: object) -> str:
    """The message for a loss that is not finite: where, and what to try."""
    lr = getattr(optimizer, "lr", None)
    now = f" (now {lr:g})" if isinstance(lr, (int, float)) else ""
    return (f"fit: the loss became {value} at epoch {epoch} of {epochs}, batch {batch} of "
            f"{n_batches}: training diverged (or the data holds extreme values). The model is "
            f"left as it was before this batch. Lower the learning rate{now}, or standardise "
            f"the inputs.")


def _add_context(err: BaseException, context: str) -> None:
    """Add where in training an error happened to its traceback (Python 3.11+)."""
    if hasattr(err, "add_note"):
        err.add_note(context)


def fit(model: Sequential, loss: Loss, optimizer: object, X: np.ndarray, y: np.ndarray, *,
        epochs: int, batch_size: int, seed: int | np.random.Generator = 0,
        validation_data: tuple[np.ndarray, np.ndarray] | None = None,
        classification: bool | None = None, progress: bool = True,
        early_stopping: int | None = None) -> History:
    """Train ``model`` with mini-batch gradient descent.

    Each epoch visits every sample once, in an order shuffled by a generator
    seeded with ``seed``; each mini-batch does forward, loss, backward and
    ``optimizer.step(model)``. ``batch_size=1`` is per-sample SGD.

    Parameters
    ----------
    model : Sequential
        Or anything with ``forward`` and ``backward`` (a single layer, a model of
        one's own).
    loss : Loss
        An instance, e.g. ``MSELoss()``; anything with ``forward(pred, target)``
        returning one number and ``backward()`` works.
    optimizer : SGD or Adam (anything with ``step(model)``)
        An instance, e.g. ``SGD(0.1)``.
    X : ndarray, shape (N, ...)
        float32 or float64 inputs.
    y : ndarray, shape (N,) or (N, K)
        Targets as the loss expects them.
    epochs, batch_size : int
        Positive ints.
    seed : int or numpy.random.Generator, default 0
        Shuffling order; the same seed gives the same run (None: a fresh order).
    validation_data : (X_val, y_val), optional
        Evaluated after each epoch.
    classification : bool, optional
        Record validation accuracy; by default, when the loss is a classification loss.
    progress : bool, default True
        Show a tqdm progress bar per epoch.
    early_stopping : int, optional
        Patience: stop when the validation loss has not gone below its lowest value
        for this many epochs in a row, and give the model back the parameters (and
        BatchNorm's running statistics) of the epoch with the lowest validation loss,
        ``history.best_epoch``. Needs ``validation_data``. None trains all ``epochs``.

    The model trains in training mode (dropout on, batch statistics) and is
    evaluated on ``validation_data`` in evaluation mode; afterwards every layer is
    back in the mode it was in before ``fit``.

    Returns
    -------
    History

    Raises
    ------
    TypeError, ValueError
        For a bad argument (a class instead of an instance, a string for a loss,
        mismatched X and y, ...), before any training. ValueError when a batch's
        loss is not finite (training diverged): the model is left as it was
        before that batch. Errors raised inside the loop (by a layer or the loss)
        carry a note with the epoch and batch.
    """
    _check_model(model, "fit")
    _check_loss(loss, "fit")
    check_not_class(optimizer, "optimizer", "an optimizer", where="fit", args="0.1")
    if not callable(getattr(optimizer, "step", None)):
        raise TypeError(f"fit: optimizer must be an optimizer with a step(model) method, such "
                        f"as SGD(0.1) or Adam() from course_lib.optim, got {describe(optimizer)}.")
    _check_xy(X, y, "fit")
    epochs = check_int(epochs, "epochs", where="fit")
    batch_size = check_int(batch_size, "batch_size", where="fit")
    if validation_data is not None:
        if not (isinstance(validation_data, (tuple, list)) and len(validation_data) == 2):
            raise TypeError(f"fit: validation_data must be a pair (X_val, y_val), got "
                            f"{describe(validation_data)}.")
        _check_xy(*validation_data, "fit (validation_data)")
    rng = _check_seed(seed)
    classify = _is_classification(loss, classification, "fit")
    check_bool(progress, "progress", where="fit")
    if early_stopping is not None:
        early_stopping = check_int(early_stopping, "early_stopping (the patience, in epochs)",
                                   where="fit")
        if validation_data is None:
            raise ValueError("fit: early_stopping watches the validation loss; pass "
                             "validation_data=(X_val, y_val) too.")
    _match_dtype(model, X)
    history = History()
    # training mode (dropout drops, BatchNorm uses the batch); each layer's mode comes back after
    with layers_in_mode(model, True):
        _train_epochs(model, loss, optimizer, X, y, history, rng, epochs=epochs,
                      batch_size=batch_size, validation_data=validation_data, classify=classify,
                      progress=progress, patience=early_stopping)
    return history


#: the non-trainable state that early stopping restores with the parameters
_BUFFERS = ("running_mean", "running_var")


def _snapshot(model: object) -> list[tuple[object, dict, dict]]:
    """Copies of every layer's params and running statistics: (layer, params, buffers)."""
    layers = model.layers if isinstance(model, Sequential) else [model]
    return [(layer, {k: v.copy() for k, v in getattr(layer, "params", {}).items()},
             {k: np.array(getattr(layer, k), copy=True) for k in _BUFFERS if hasattr(layer, k)})
            for layer in layers]


def _restore(snapshot: list[tuple[object, dict, dict]]) -> None:
    """Put the copied values back, into the same arrays (optimisers hold on to them)."""
    for layer, params, buffers in snapshot:
        current = layer.params
        for k, v in params.items():
            current[k][...] = v
        for k, v in buffers.items():
            setattr(layer, k, v)


def _train_epochs(model, loss, optimizer, X, y, history, rng, *, epochs, batch_size,
                  validation_data, classify, progress, patience) -> None:
    """The epochs of :func:`fit`, its arguments checked; fills ``history``."""
    best_loss, best, since_best = math.inf, None, 0
    n = len(X)
    n_batches = -(-n // batch_size)
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        order = rng.permutation(n)
        total = 0.0
        bar = tqdm(range(n_batches), desc=f"epoch {epoch}/{epochs}", disable=not progress,
                   leave=True, unit="batch")
        for b in bar:
            idx = order[b * batch_size:(b + 1) * batch_size]
            try:
                with values_checked():  # X and y were checked above, as a whole
                    batch_loss = loss.forward(model.forward(X[idx]), y[idx])
                    if epoch == 1 and b == 0:
                        batch_loss = _loss_value(batch_loss, "fit")
                    finite = math.isfinite(batch_loss)
                    if finite:  # no step from a non-finite loss: the model stays as it was
                        backward_without_input_grad(model, loss.backward())
                        optimizer.step(model)
            except (TypeError, ValueError, RuntimeError) as err:
                _add_context(err, f"(raised in fit at epoch {epoch} of {epochs}, batch {b + 1} "
                                  f"of {n_batches})")
                bar.close()
                raise
            if not finite:
                bar.close()
                raise ValueError(_diverged(batch_loss, epoch, epochs, b + 1, n_batches, optimizer))
            total += batch_loss * len(idx)
        history.loss.append(total / n)
        history.epoch_time.append(time.perf_counter() - start)
        postfix = {"loss": f"{history.loss[-1]:.4f}"}
        if validation_data is not None:
            scores = evaluate(model, loss, *validation_data, classification=classify)
            history.val_loss.append(scores["loss"])
            postfix["val_loss"] = f"{scores['loss']:.4f}"
            if classify:
                history.val_accuracy.append(scores["accuracy"])
                postfix["val_acc"] = f"{scores['accuracy']:.4f}"
        bar.set_postfix(postfix)
        bar.close()
        if patience is not None:
            if history.val_loss[-1] < best_loss:  # strictly lower: a tie is no improvement
                best_loss, since_best = history.val_loss[-1], 0
                best, history.best_epoch = _snapshot(model), epoch
            else:
                since_best += 1
            if since_best >= patience:
                history.stopped_early = epoch < epochs
                break
    if patience is not None and best is not None:
        _restore(best)
