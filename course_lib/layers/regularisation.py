"""Layers that behave differently in training and in evaluation: Dropout, BatchNorm."""

from __future__ import annotations

import numpy as np

from ..initializers import as_generator
from ..validation import check_float_dtype, check_int, check_number
from .core import Layer


# Regularisation and normalisation: layers that behave differently in training and in
# evaluation (``layer.training``)
# --------------------------------------------------------------------------------------
class Dropout(Layer):
    """Inverted dropout: in training, zero each unit with probability ``p`` and scale the
    kept ones by ``1 / (1 - p)``; in evaluation, the identity.

    Parameters
    ----------
    p : float
        The probability of dropping a unit, in [0, 1). 0 keeps every unit.
    rng : numpy.random.Generator, int or None
        Source of the masks (an int seeds a new generator; None: fresh randomness).

    Shapes: any -> same. Training: ``y = x * mask / (1 - p)`` with ``mask`` 1 with
    probability ``1 - p`` (drawn anew on every forward), and ``dx = g * mask / (1 - p)``
    with the same mask. The scaling keeps ``E[y] = x``, so evaluation needs no change:
    ``y = x``, ``dx = g``.
    """

    def __init__(self, p: float, *, rng: np.random.Generator | int | None = None) -> None:
        super().__init__()
        self.p = check_number(p, "p (the probability of dropping a unit)", where="Dropout",
                              low=0.0, high=1.0)
        self.rng = as_generator(rng)

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x)
        if self.training and self.p > 0:
            keep = self.rng.random(x.shape) >= self.p
            # mask / (1 - p) once, in x's dtype: forward and backward multiply by it
            self._scale = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - self.p))
        else:
            self._scale = None
        self._out_shape = x.shape
        return x if self._scale is None else x * self._scale

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        g = self._check_grad_out(grad_out)
        return g if self._scale is None else g * self._scale

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


class BatchNorm(Layer):
    """Batch normalisation of the features of a batch (Ioffe and Szegedy, 2015).

    Parameters
    ----------
    num_features : int
        D, the number of features (columns) of the input.
    momentum : float, default 0.1
        In [0, 1]: the weight of the newest batch in the running statistics.
    eps : float, default 1e-5
        > 0, added to the variance before the square root.
    dtype : float32 or float64, default float64

    Shapes: x (N, D) -> y (N, D). Params "gamma" (D,), ones, and "beta" (D,), zeros.

    Training (``self.training``): with the batch mean ``mu`` and the biased batch
    variance ``var`` of each feature,
    ``x_hat = (x - mu) / sqrt(var + eps)``, ``y = gamma * x_hat + beta``; the running
    statistics move towards the batch's, as in PyTorch:
    ``running_mean = (1 - momentum) * running_mean + momentum * mu`` and the same for
    ``running_var`` with the *unbiased* variance ``var * N / (N - 1)``. A batch of one
    sample has no variance and is refused.

    Evaluation: the same formula with ``running_mean`` and ``running_var`` (they
    start at 0 and 1) in place of the batch's statistics.

    Backward, training mode (every x moves mu and var, hence the mean terms):
    ``dx = gamma / sqrt(var + eps) * (g - mean(g) - x_hat * mean(g * x_hat))``
    (means over the batch), ``dgamma = sum(g * x_hat)``, ``dbeta = sum(g)``.
    In evaluation mode the statistics are constants: ``dx = g * gamma / sqrt(running_var + eps)``.
    """

    def __init__(self, num_features: int, *, momentum: float = 0.1, eps: float = 1e-5,
                 dtype: type = np.float64) -> None:
        super().__init__()
        self.num_features = check_int(num_features, "num_features", where="BatchNorm")
        self.momentum = check_number(momentum, "momentum", where="BatchNorm", low=0.0,
                                     high=1.0, high_open=False)
        self.eps = check_number(eps, "eps", where="BatchNorm", low=0.0, low_open=True)
        dtype = check_float_dtype(dtype, where="BatchNorm")
        self.params["gamma"] = np.ones(self.num_features, dtype=dtype)
        self.params["beta"] = np.zeros(self.num_features, dtype=dtype)
        self.running_mean = np.zeros(self.num_features, dtype=dtype)
        self.running_var = np.ones(self.num_features, dtype=dtype)

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x, ndim=2)
        D = self.num_features
        if x.shape[1] != D:
            raise ValueError(f"BatchNorm({D}).forward expects inputs with {D} features, got "
                             f"shape {x.shape}.")
        dt = x.dtype
        if self.training:
            n = x.shape[0]
            if n < 2:
                raise ValueError(f"BatchNorm.forward in training mode needs a batch of at least "
                                 f"2 samples to compute a variance, got shape {x.shape}. Use "
                                 f"larger batches, or call model.eval() to predict.")
            mean = x.mean(axis=0)
            var = x.var(axis=0)  # biased (divides by N): what normalises this batch
            m = self.momentum
            self.running_mean = ((1 - m) * self.running_mean + m * mean).astype(
                self.running_mean.dtype, copy=False)
            self.running_var = ((1 - m) * self.running_var + m * var * (n / (n - 1))).astype(
                self.running_var.dtype, copy=False)
        else:
            mean = self.running_mean.astype(dt, copy=False)
            var = self.running_var.astype(dt, copy=False)
        self._inv_std = (1.0 / np.sqrt(var + dt.type(self.eps))).astype(dt, copy=False)
        self._x_hat = (x - mean) * self._inv_std
        self._batch_stats = self.training
        y = self._x_hat * self.params["gamma"].astype(dt, copy=False) \
            + self.params["beta"].astype(dt, copy=False)
        self._out_shape = y.shape
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        g = self._check_grad_out(grad_out)
        gamma = self.params["gamma"]
        x_hat = self._x_hat
        self.grads["gamma"] = (g * x_hat).sum(axis=0).astype(gamma.dtype, copy=False)
        self.grads["beta"] = g.sum(axis=0).astype(gamma.dtype, copy=False)
        scale = gamma.astype(g.dtype, copy=False) * self._inv_std
        if not self._batch_stats:
            return g * scale
        return scale * (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0))

    def astype(self, dtype: type) -> "BatchNorm":
        dtype = check_float_dtype(dtype, where="BatchNorm.astype")
        super().astype(dtype)
        self.running_mean = self.running_mean.astype(dtype)
        self.running_var = self.running_var.astype(dtype)
        return self

    def __repr__(self) -> str:
        return f"BatchNorm({self.num_features}, momentum={self.momentum}, eps={self.eps})"
