"""Optimisers: ``optimizer.step(model)`` updates every layer's params from its grads, in place.

The hyperparameters are checked once, when an optimiser is created: each must be
one finite real number in its range (a string, None, a bool, ``np.inf`` or an
``eps`` of 0 is refused with a message naming it); ``np.array(0.1)`` and NumPy
scalars are accepted and stored as Python floats.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .layers import Layer
from .validation import check_not_class, check_number


def _layers_of(model: object) -> list:
    """The layers ``step`` updates: a Sequential's, a list's, or a single layer."""
    if isinstance(model, Layer):
        return [model]
    if hasattr(model, "layers") and not isinstance(model, type):
        return model.layers
    if isinstance(model, (list, tuple)):
        return list(model)
    if isinstance(getattr(model, "params", None), dict) and not isinstance(model, type):
        return [model]  # a layer of the student's own, not derived from Layer
    check_not_class(model, "model", "a model", where="optimizer.step", args="[...]")
    raise TypeError(f"optimizer.step: model must be a Sequential, a layer or a list of layers, "
                    f"got {type(model).__name__}.")


def _params_and_grads(model: object, where: str = "optimizer.step"
                      ) -> Iterator[tuple[tuple[int, str], np.ndarray, np.ndarray]]:
    """Yield ((layer index, name), param, grad) for a Sequential, a list of layers or one layer."""
    for i, layer in enumerate(_layers_of(model)):
        grads = getattr(layer, "grads", {})
        for name, param in getattr(layer, "params", {}).items():
            if name not in grads:
                raise RuntimeError(f"{where}: layer {i} ({layer!r}) has no gradient for "
                                   f"{name!r}; call model.backward(loss.backward()) before "
                                   f"{where.split('.')[-1]}.")
            yield (i, name), param, grads[name]


def _check_lr(lr: float, where: str) -> float:
    return check_number(lr, "lr (the learning rate)", where=where, low=0.0, low_open=True)


def _check_momentum(momentum: float, where: str) -> float:
    return check_number(momentum, "momentum", where=where, low=0.0, high=1.0)


class SGD:
    """Stochastic gradient descent, with optional (heavy-ball) momentum.

    ``v = momentum * v - lr * g``; ``p = p + v``. With momentum 0 this is ``p -= lr * g``.

    Parameters
    ----------
    lr : float
        Learning rate, > 0 and finite.
    momentum : float, default 0.0
        In [0, 1).
    weight_decay : float, default 0.0
        >= 0. L2 weight decay as ``torch.optim.SGD`` does it: ``weight_decay * p`` is
        added to the gradient of *every* parameter (biases included) before the step,
        the gradient of the penalty ``weight_decay / 2 * ||p||**2``.

    Raises
    ------
    TypeError
        If ``lr``, ``momentum`` or ``weight_decay`` is not one real number (a string,
        None, a bool).
    ValueError
        If it is out of range, NaN or infinite.
    """

    def __init__(self, lr: float, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        where = type(self).__name__
        self.lr = _check_lr(lr, where)
        self.momentum = _check_momentum(momentum, where)
        self._velocity: dict[tuple[int, str], np.ndarray] = {}
        # Kept apart from the attribute `weight_decay`, which subclasses with decoupled
        # decay (SGDW, lesson 05's exercise) set for themselves after this __init__.
        self._l2 = check_number(weight_decay, "weight_decay", where=where, low=0.0)
        self.weight_decay = self._l2

    def step(self, model: object) -> None:
        """Update the params of ``model`` (a Sequential, a layer or a list of layers) in place."""
        for key, p, g in _params_and_grads(model):
            self._update(key, p, g)

    def _update(self, key: tuple[int, str], p: np.ndarray, g: np.ndarray) -> None:
        """One parameter's step, in place: ``p`` (any shape) from its gradient ``g`` (same)."""
        if self._l2:
            g = g + self._l2 * p  # a new array: the layer's grads stay as backward left them
        if self.momentum:
            if key not in self._velocity:
                self._velocity[key] = np.zeros_like(p)
            v = self._velocity[key]
            v *= self.momentum
            v -= self.lr * g
            p += v
        else:
            p -= self.lr * g

    def __repr__(self) -> str:
        decay = f", weight_decay={self._l2}" if self._l2 else ""
        return f"SGD(lr={self.lr}, momentum={self.momentum}{decay})"


class SGDW(SGD):
    """SGD with momentum, then decoupled weight decay (SGDW, Loshchilov and Hutter, 2019).

    After each :class:`SGD` step, every weight matrix (a param named ``"W"``; biases
    are left alone) is shrunk with the learning rate of that step,
    ``W = (1 - lr * weight_decay) * W``: the penalty ``weight_decay / 2 * ||W||**2``
    is applied directly to W rather than added to the gradient, so momentum does
    not carry it along. Lesson 05 trains with it and asks students to write it.

    Parameters
    ----------
    lr : float
        Learning rate, > 0; may be changed between steps (a schedule).
    momentum : float, default 0.9
        In [0, 1).
    weight_decay : float, default 5e-3
        >= 0; 0 is plain :class:`SGD`.
    """

    def __init__(self, lr: float, momentum: float = 0.9, weight_decay: float = 5e-3) -> None:
        super().__init__(lr, momentum)
        self.weight_decay = check_number(weight_decay, "weight_decay", where="SGDW", low=0.0)

    def step(self, model: object) -> None:
        """The SGD step, then every weight matrix of ``model`` shrunk in place."""
        shrink = 1.0 - self.lr * self.weight_decay
        # One pass over the params: each W is shrunk right after its own SGD update, while
        # it is still in the cache. Each array sees the same operations in the same order as
        # "every SGD update, then every shrink", so the result is the same, bit for bit.
        for key, p, g in _params_and_grads(model):
            self._update(key, p, g)
            if key[1] == "W":
                p *= shrink

    def __repr__(self) -> str:
        return f"SGDW(lr={self.lr}, momentum={self.momentum}, weight_decay={self.weight_decay})"


class Adam:
    """Adam (Kingma and Ba, 2015): per-parameter step sizes from running moments.

    ``m = b1 m + (1-b1) g``; ``v = b2 v + (1-b2) g**2``;
    ``p -= lr * m_hat / (sqrt(v_hat) + eps)`` with the bias-corrected
    ``m_hat = m / (1 - b1**t)``, ``v_hat = v / (1 - b2**t)``.

    Parameters
    ----------
    lr : float, default 1e-3
        > 0 and finite.
    beta1, beta2 : float, default 0.9 and 0.999
        In [0, 1).
    eps : float, default 1e-8
        > 0: with 0, a parameter whose gradient has always been 0 gets 0 / 0 = NaN.
    weight_decay : float, default 0.0
        >= 0. L2 weight decay as ``torch.optim.Adam`` does it: ``weight_decay * p`` is
        added to the gradient of every parameter (biases included) before the moments
        are updated (for decay outside the moments see :class:`SGDW`).
    """

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        self.lr = _check_lr(lr, "Adam")
        self.weight_decay = check_number(weight_decay, "weight_decay", where="Adam", low=0.0)
        self.beta1 = check_number(beta1, "beta1", where="Adam", low=0.0, high=1.0)
        self.beta2 = check_number(beta2, "beta2", where="Adam", low=0.0, high=1.0)
        self.eps = check_number(eps, "eps", where="Adam", low=0.0, low_open=True)
        self.t = 0
        self._m: dict[tuple[int, str], np.ndarray] = {}
        self._v: dict[tuple[int, str], np.ndarray] = {}

    def step(self, model: object) -> None:
        """Update the params of ``model`` (a Sequential, a layer or a list of layers) in place."""
        self.t += 1
        c1 = 1.0 - self.beta1 ** self.t
        c2 = 1.0 - self.beta2 ** self.t
        for key, p, g in _params_and_grads(model):
            if key not in self._m:  # first step: moments start at zero
                self._m[key], self._v[key] = np.zeros_like(p), np.zeros_like(p)
            m, v = self._m[key], self._v[key]
            if self.weight_decay:
                g = g + self.weight_decay * p
            m *= self.beta1
            m += (1.0 - self.beta1) * g
            v *= self.beta2
            v += (1.0 - self.beta2) * (g * g)
            p -= (self.lr / c1) * m / (np.sqrt(v / c2) + self.eps)

    def __repr__(self) -> str:
        decay = f", weight_decay={self.weight_decay}" if self.weight_decay else ""
        return (f"Adam(lr={self.lr}, beta1={self.beta1}, beta2={self.beta2}, eps={self.eps}"
                f"{decay})")


def clip_grad_norm(model: object, max_norm: float) -> float:
    """Scale every gradient of ``model`` so that together they have norm at most ``max_norm``.

    The global norm is ``sqrt(sum over all params of sum(g**2))``, all arrays as
    one vector. When it exceeds ``max_norm``, every gradient is multiplied by the
    same factor ``max_norm / norm``, in place: the update keeps its direction and
    only its length is capped (clipping each array on its own would change the
    direction). Call it between ``backward`` and ``optimizer.step``; it works on
    whatever ``step`` takes (a Sequential, a layer or a list of layers), so a
    training loop of one's own can use it as ``fit``'s optimisers do.

    Parameters
    ----------
    model : Sequential, Layer or list of layers
        Its layers' ``grads`` are scaled in place.
    max_norm : float
        > 0.

    Returns
    -------
    float
        The global norm before clipping (to log or plot: how often it is clipped).

    Raises
    ------
    ValueError
        If the norm is NaN or infinite (training has diverged: clipping cannot
        give such a gradient a direction), or ``max_norm`` is not > 0.
    """
    max_norm = check_number(max_norm, "max_norm", where="clip_grad_norm", low=0.0,
                            low_open=True)
    grads = [g for _, _, g in _params_and_grads(model, where="clip_grad_norm")]
    norm = float(np.sqrt(sum(float(np.vdot(g, g)) for g in grads)))
    if not np.isfinite(norm):
        raise ValueError(f"clip_grad_norm: the gradients' global norm is {norm} (a NaN or an "
                         f"infinite gradient): training has diverged before clipping could "
                         f"help. Lower the learning rate, or clip with a smaller max_norm "
                         f"from the start.")
    if norm > max_norm:
        scale = max_norm / norm
        for g in grads:
            g *= scale
    return norm
