"""Loss functions: ``loss.forward(pred, target) -> float`` and ``loss.backward() -> dL/dpred``.

Each loss is a mean over the batch, so the gradient carries a 1/N factor and
the learning rate does not depend on the batch size. ``forward`` forgets the
last gradient before it checks its inputs: after a failed ``forward``,
``backward`` raises instead of returning the previous batch's gradient.
"""

from __future__ import annotations

import numpy as np

from .validation import check_float_array, check_labels, check_numeric_array, check_plain_array


class Loss:
    """Base class: remembers what backward needs and checks call order."""

    #: whether the targets are classes (fit reports accuracy for these losses)
    is_classification = False

    def __init__(self) -> None:
        self._grad: np.ndarray | None = None

    def __call__(self, pred: np.ndarray, target: np.ndarray) -> float:
        return self.forward(pred, target)

    @property
    def name(self) -> str:
        """The class name, or the name given with ``self.name = ...``."""
        return getattr(self, "_name", None) or type(self).__name__

    @name.setter
    def name(self, value: str) -> None:  # a subclass may name its instances (self.name = ...)
        self._name = str(value)

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:  # pragma: no cover
        raise NotImplementedError

    def backward(self) -> np.ndarray:
        """Return dL/dpred, same shape as the last ``pred``."""
        if self._grad is None:
            raise RuntimeError(f"{self.name}.backward: call forward(pred, target) first.")
        return self._grad

    def __repr__(self) -> str:
        return f"{self.name}()"


class MSELoss(Loss):
    """Mean squared error, averaged over all elements: ``L = mean((pred - target)**2)``.

    Shapes: pred (N, ...) and target of the same shape; a target of shape (N,)
    is accepted for a prediction of shape (N, 1). The target holds real numbers
    (int or float; strings, bools and complex numbers are refused).
    dL/dpred = 2 (pred - target) / pred.size. For one-hot targets (N, K) the
    mean is over N*K elements.
    """

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        self._grad = None
        where = f"{self.name}.forward"
        pred = check_float_array(pred, "pred", where=where)
        check_numeric_array(target, "target", where=where)
        if pred.ndim == 2 and pred.shape[1] == 1 and target.shape == (pred.shape[0],):
            target = target[:, None]  # (N,) regression targets against an (N, 1) output
        if target.shape != pred.shape:
            raise ValueError(f"{where}: target must have the shape of pred {pred.shape}, got "
                             f"{target.shape}. (For class labels with a K-output model, "
                             f"pass one_hot(y, K).)")
        target = check_float_array(np.asarray(target, dtype=pred.dtype), "target", where=where)
        diff = pred - target
        self._grad = (2.0 / diff.size) * diff
        return float(np.mean(diff * diff))


class CrossEntropyLoss(Loss):
    """Cross-entropy of predicted probabilities: ``L = -mean_n sum_k t[n,k] log p[n,k]``.

    Takes probabilities (a Softmax layer's output), shape (N, K), rows summing
    to 1, K >= 2; targets are labels (N,) in [0, K) or one-hot (N, K) rows summing to 1.
    dL/dp = -t / (N p). p is clipped at 1e-12 so a
    probability of 0 gives a large finite loss rather than inf.
    For logits, use :class:`SoftmaxCrossEntropyLoss`, which is stabler.
    """

    is_classification = True

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        self._grad = None
        where = f"{self.name}.forward"
        p = check_float_array(pred, "pred", ndim=2, where=where)
        if p.min() < 0 or p.max() > 1 + 1e-6:
            raise ValueError(f"{where}: pred must be probabilities in [0, 1], got values from "
                             f"{p.min():.3g} to {p.max():.3g}. For raw scores (logits) use "
                             f"SoftmaxCrossEntropyLoss, or put a Softmax layer last.")
        row_sums = p.sum(axis=1)
        if np.abs(row_sums - 1).max() > 1e-3:
            raise ValueError(f"{where}: each row of pred must sum to 1 (a probability "
                             f"distribution), got row sums from {row_sums.min():.3g} to "
                             f"{row_sums.max():.3g}. Put a Softmax layer last.")
        N, K = p.shape
        t = check_labels(target, N, K, where=where).astype(p.dtype, copy=False)
        p_safe = np.maximum(p, 1e-12)  # log(0) = -inf; clip to a large finite loss
        self._grad = -t / (N * p_safe)
        return float(-(t * np.log(p_safe)).sum() / N)


class SoftmaxCrossEntropyLoss(Loss):
    """Softmax followed by cross-entropy, fused: takes logits (N, K).

    ``L = -mean_n sum_k t[n,k] log softmax(z)[n,k]``, with ``log softmax(z) =
    z - max(z) - log(sum(exp(z - max(z))))`` so logits like 1000 neither
    overflow nor give log(0). The gradient is simply
    ``dL/dz = (softmax(z) - t) / N``.
    Targets are labels (N,) in [0, K) or one-hot (N, K) rows summing to 1; K >= 2
    (with one column the softmax is always 1: no loss, no gradient).
    After ``forward``, ``self.probs`` holds softmax(z).
    """

    is_classification = True

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        self._grad, self.probs = None, None
        where = f"{self.name}.forward"
        z = check_float_array(pred, "pred (logits)", ndim=2, where=where)
        N, K = z.shape
        t = check_labels(target, N, K, where=where).astype(z.dtype, copy=False)
        shifted = z - z.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self.probs = np.exp(log_probs)
        self._grad = (self.probs - t) / N
        return float(-(t * log_probs).sum() / N)


class SequenceCrossEntropyLoss(Loss):
    """Softmax cross-entropy at every position of a batch of sequences, padding masked out.

    ``forward(pred, target, mask=None)``: ``pred`` holds logits (N, T, V), ``target``
    integer tokens (N, T) in [0, V), ``mask`` (N, T) is True where a position counts
    (False on padding; None counts every position). The loss is the mean negative
    log-likelihood per counted position (for a character model: nats per character)::

        L = -(1 / M) sum_{n,t: mask} log softmax(pred[n, t])[target[n, t]],   M = mask.sum()

    and ``dL/dpred = mask * (softmax(pred) - onehot(target)) / M``: zero on padding.
    The log-softmax is shifted by each row's maximum, so large logits neither
    overflow nor give log(0).

    After ``forward``: ``self.total`` is the summed NLL (a float) and ``self.count``
    is M, so that a loss over many batches is ``sum(total) / sum(count)``, not a mean
    of per-batch means (batches with more characters weigh more).
    """

    is_classification = True

    def forward(self, pred: np.ndarray, target: np.ndarray,  # type: ignore[override]
                mask: np.ndarray | None = None) -> float:
        self._grad, self.probs = None, None
        where = f"{self.name}.forward"
        z = check_float_array(pred, "pred (logits)", ndim=3, where=where)
        N, T, V = z.shape
        check_plain_array(target, "target", where=where)
        if target.dtype.kind not in "iu":
            raise TypeError(f"{where}: target must hold integer tokens, got dtype "
                            f"{target.dtype}. Use target.astype(np.int64).")
        if target.shape != (N, T):
            raise ValueError(f"{where}: target must have shape (N, T) = {(N, T)} like pred's "
                             f"first two axes (pred is {z.shape}), got {target.shape}.")
        if mask is None:
            mask = np.ones((N, T), dtype=bool)
        else:
            check_plain_array(mask, "mask", where=where)
            if mask.dtype != bool:
                raise TypeError(f"{where}: mask must be boolean (True where a position "
                                f"counts), got dtype {mask.dtype}. Use mask.astype(bool).")
            if mask.shape != (N, T):
                raise ValueError(f"{where}: mask must have shape {(N, T)} like target, got "
                                 f"{mask.shape}.")
        count = int(mask.sum())
        if count == 0:
            raise ValueError(f"{where}: the mask counts no position (all False): the mean "
                             f"over zero characters is undefined.")
        counted = target[mask]
        if counted.min() < 0 or counted.max() >= V:
            raise ValueError(f"{where}: target tokens must lie in [0, {V}) for {V} logits, "
                             f"got values from {counted.min()} to {counted.max()} at "
                             f"unmasked positions.")
        safe_target = np.where(mask, target, 0)  # padding may hold any value; it is not read
        shifted = z - z.max(axis=2, keepdims=True)
        log_norm = np.log(np.exp(shifted).sum(axis=2, keepdims=True))
        log_probs = shifted - log_norm
        picked = np.take_along_axis(log_probs, safe_target[..., None], axis=2)[..., 0]
        self.total = float(-(picked * mask).sum())
        self.count = count
        probs = np.exp(log_probs)
        self.probs = probs
        grad = probs.copy()
        np.put_along_axis(grad, safe_target[..., None],
                          np.take_along_axis(grad, safe_target[..., None], axis=2) - 1.0, axis=2)
        grad *= (mask / count)[..., None].astype(z.dtype, copy=False)
        self._grad = grad
        return self.total / count
