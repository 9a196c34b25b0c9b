"""The training loop: shuffled mini-batches, forward, loss, backward, step."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from .losses import Loss
from .model import Sequential
from .validation import check_float_array


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
    """

    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    epoch_time: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        return len(self.loss)


def _check_xy(X: np.ndarray, y: np.ndarray, where: str) -> None:
    check_float_array(X, "X", where=where)
    if not isinstance(y, np.ndarray):
        raise TypeError(f"{where}: y must be a NumPy array, got {type(y).__name__}.")
    if len(y) != len(X):
        raise ValueError(f"{where}: X has {len(X)} samples but y has {len(y)}; they must match.")


def _is_classification(loss: Loss, classification: bool | None) -> bool:
    return loss.is_classification if classification is None else bool(classification)


def accuracy(model: Sequential, X: np.ndarray, y: np.ndarray, *, batch_size: int = 1024) -> float:
    """Fraction of samples whose highest-scoring output is the true class.

    ``y`` holds labels (N,) or one-hot rows (N, K).
    """
    _check_xy(X, y, "accuracy")
    labels = y.argmax(axis=1) if y.ndim == 2 else y
    return float(np.mean(model.predict(X, batch_size).argmax(axis=1) == labels))


def evaluate(model: Sequential, loss: Loss, X: np.ndarray, y: np.ndarray, *,
             batch_size: int = 1024, classification: bool | None = None) -> dict[str, float]:
    """Mean loss (and accuracy, for classification) of ``model`` on ``(X, y)``.

    Returns
    -------
    dict
        ``{"loss": ...}`` plus ``"accuracy"`` when the loss is a classification
        loss or ``classification=True`` (e.g. MSE on one-hot targets).
    """
    _check_xy(X, y, "evaluate")
    pred = model.predict(X, batch_size)
    result = {"loss": loss.forward(pred, y)}
    if _is_classification(loss, classification):
        labels = y.argmax(axis=1) if y.ndim == 2 else y
        result["accuracy"] = float(np.mean(pred.argmax(axis=1) == labels))
    return result


def fit(model: Sequential, loss: Loss, optimizer: object, X: np.ndarray, y: np.ndarray, *,
        epochs: int, batch_size: int, seed: int | np.random.Generator = 0,
        validation_data: tuple[np.ndarray, np.ndarray] | None = None,
        classification: bool | None = None, progress: bool = True) -> History:
    """Train ``model`` with mini-batch gradient descent.

    Each epoch visits every sample once, in an order shuffled by a generator
    seeded with ``seed``; each mini-batch does forward, loss, backward and
    ``optimizer.step(model)``. ``batch_size=1`` is per-sample SGD.

    Parameters
    ----------
    model : Sequential
    loss : Loss
    optimizer : SGD or Adam (anything with ``step(model)``)
    X : ndarray, shape (N, ...)
        float32 or float64 inputs.
    y : ndarray, shape (N,) or (N, K)
        Targets as the loss expects them.
    epochs, batch_size : int
    seed : int or numpy.random.Generator, default 0
        Shuffling order; the same seed gives the same run.
    validation_data : (X_val, y_val), optional
        Evaluated after each epoch.
    classification : bool, optional
        Record validation accuracy; by default, when the loss is a classification loss.
    progress : bool, default True
        Show a tqdm progress bar per epoch.

    Returns
    -------
    History
    """
    _check_xy(X, y, "fit")
    for label, n in (("epochs", epochs), ("batch_size", batch_size)):
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"fit: {label} must be a positive int, got {n!r}.")
    if validation_data is not None:
        if not (isinstance(validation_data, tuple) and len(validation_data) == 2):
            raise TypeError("fit: validation_data must be a tuple (X_val, y_val).")
        _check_xy(*validation_data, "fit (validation_data)")
    if not hasattr(optimizer, "step"):
        raise TypeError(f"fit: optimizer must have a step(model) method (SGD, Adam), got "
                        f"{type(optimizer).__name__}.")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    classify = _is_classification(loss, classification)
    history = History()
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
            batch_loss = loss.forward(model.forward(X[idx]), y[idx])
            model.backward(loss.backward())
            optimizer.step(model)
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
    return history
