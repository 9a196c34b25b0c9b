"""Layers for sequences: Embedding, RNN, LSTM, and TimeDense (a Dense at every time step).

Sequences are batch first: integer tokens (N, T), vectors (N, T, D). The
recurrent layers start from a zero state and return every hidden state
(N, T, H); their backward runs backpropagation through time (BPTT): the
gradient reaching ``h_t`` is what the loss at step t sends plus what step
t + 1 sends back through ``Wh``.

After ``backward``, ``RNN`` and ``LSTM`` keep ``grad_hidden`` (N, T, H), the
total gradient dL/dh_t at every step (from the output at t and from all later
steps), which shows how far back a loss reaches.

The parameter layout is PyTorch's, transposed for ``x @ W``: the LSTM's four
gates are stacked in the order input, forget, cell (candidate), output; a
PyTorch ``nn.LSTM``'s ``weight_ih_l0`` is ``Wx.T``, ``weight_hh_l0`` is ``Wh.T``
and ``bias_ih_l0 + bias_hh_l0`` is ``b``.
"""

from __future__ import annotations

import numpy as np

from ..initializers import as_generator
from ..validation import check_float_dtype, check_int, check_plain_array
from .core import Layer


def _uniform(rng: np.random.Generator, shape: tuple[int, ...], hidden: int,
             dtype: np.dtype) -> np.ndarray:
    """PyTorch's initialisation of recurrent layers: uniform in +-1/sqrt(hidden)."""
    bound = 1.0 / np.sqrt(hidden)
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


class Embedding(Layer):
    """A lookup table: token ``i`` becomes row ``i`` of ``W``.

    Parameters
    ----------
    num_embeddings : int
        V, the number of tokens (indices 0 to V - 1).
    embedding_dim : int
        E, the length of each token's vector.
    rng : numpy.random.Generator, int or None
        Source of randomness for ``W`` (standard normal, as PyTorch's).
    dtype : float32 or float64, default float64

    Shapes: integer indices (N, T) (or any shape S) -> (N, T, E) (S + (E,)).
    Params "W" (V, E). Gradient: dW[i] is the sum of the output gradients of
    every position holding token i (``np.add.at``: an index that repeats adds
    its gradients, it does not overwrite them). The input is integers: there is
    no gradient with respect to it, and ``backward`` returns None.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, *,
                 rng: np.random.Generator | int | None = None, dtype: type = np.float64) -> None:
        super().__init__()
        self.num_embeddings = check_int(num_embeddings, "num_embeddings", where="Embedding")
        self.embedding_dim = check_int(embedding_dim, "embedding_dim", where="Embedding")
        dtype = check_float_dtype(dtype, where="Embedding")
        self.params["W"] = as_generator(rng).standard_normal(
            (self.num_embeddings, self.embedding_dim)).astype(dtype)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._out_shape = None
        where = f"{self.name}.forward"
        check_plain_array(x, "x", where=where, convert="np.asarray(x, dtype=np.int64)")
        if x.dtype.kind not in "iu":
            raise TypeError(f"{where}: x must hold integer token indices, got dtype {x.dtype}. "
                            f"Convert it with x.astype(np.int64) (the indices of a vocabulary, "
                            f"not one-hot vectors).")
        if x.size and (x.min() < 0 or x.max() >= self.num_embeddings):
            raise ValueError(f"{where}: indices must lie in [0, {self.num_embeddings}) for "
                             f"{self.num_embeddings} embeddings, got values from {x.min()} to "
                             f"{x.max()}.")
        self._x = x
        y = self.params["W"][x]
        self._out_shape = y.shape
        return y

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> None:
        g = self._check_grad_out(grad_out)
        W = self.params["W"]
        dW = np.zeros_like(W)
        np.add.at(dW, self._x.ravel(), g.reshape(-1, W.shape[1]).astype(W.dtype, copy=False))
        self.grads["W"] = dW
        return None

    def __repr__(self) -> str:
        return f"Embedding({self.num_embeddings}, {self.embedding_dim})"


class _Recurrent(Layer):
    """What RNN and LSTM share: sizes, parameters, and the checks of x (N, T, D)."""

    gates = 1  # how many blocks of H columns Wx, Wh and b have

    def __init__(self, input_size: int, hidden_size: int, *,
                 rng: np.random.Generator | int | None = None, dtype: type = np.float64) -> None:
        super().__init__()
        self.input_size = check_int(input_size, "input_size", where=self.name)
        self.hidden_size = check_int(hidden_size, "hidden_size", where=self.name)
        dtype = check_float_dtype(dtype, where=self.name)
        rng = as_generator(rng)
        D, H, G = self.input_size, self.hidden_size, self.gates
        self.params["Wx"] = _uniform(rng, (D, G * H), H, dtype)
        self.params["Wh"] = _uniform(rng, (H, G * H), H, dtype)
        self.params["b"] = _uniform(rng, (G * H,), H, dtype)
        self.grad_hidden: np.ndarray | None = None

    def _check_sequence(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x, ndim=3)
        if x.shape[2] != self.input_size:
            raise ValueError(f"{self.name}.forward: x must have shape (N, T, {self.input_size}) "
                             f"(batch, time, features), got {x.shape}: {x.shape[2]} features "
                             f"where input_size is {self.input_size}.")
        return x

    def _weights(self, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        p = self.params
        return (p["Wx"].astype(dtype, copy=False), p["Wh"].astype(dtype, copy=False),
                p["b"].astype(dtype, copy=False))

    def _parameter_grads(self, x: np.ndarray, h_prev: np.ndarray, da: np.ndarray) -> np.ndarray:
        """dWx, dWh, db from every step's pre-activation gradient at once; returns dx.

        da (N, T, G*H) holds dL/da_t; a_t = x_t Wx + h_{t-1} Wh + b, so each weight's
        gradient sums over the batch and the time steps: one product over N*T rows.
        """
        N, T, D = x.shape
        p = self.params
        da2 = da.reshape(N * T, -1)
        self.grads["Wx"] = (x.reshape(N * T, D).T @ da2).astype(p["Wx"].dtype, copy=False)
        self.grads["Wh"] = (h_prev.reshape(N * T, -1).T @ da2).astype(p["Wh"].dtype, copy=False)
        self.grads["b"] = da2.sum(axis=0).astype(p["b"].dtype, copy=False)
        return (da2 @ p["Wx"].T.astype(da.dtype, copy=False)).reshape(N, T, D)

    def __repr__(self) -> str:
        return f"{self.name}({self.input_size} -> {self.hidden_size})"


class RNN(_Recurrent):
    """A vanilla (Elman) recurrent layer with tanh: ``h_t = tanh(x_t Wx + h_{t-1} Wh + b)``.

    Parameters
    ----------
    input_size : int
        D, the features of each step's input.
    hidden_size : int
        H, the size of the hidden state.
    rng : numpy.random.Generator, int or None
        Source of randomness: every parameter uniform in +-1/sqrt(H), as PyTorch's.
    dtype : float32 or float64, default float64

    Shapes: x (N, T, D) -> every hidden state h (N, T, H), from h_0 = 0.
    Params "Wx" (D, H), "Wh" (H, H), "b" (H,).

    Backward through time, from t = T down to 1, with dh_next = 0 at the end::

        dh_t  = grad_out[:, t] + dh_next       # from the output at t and from step t + 1
        da_t  = dh_t * (1 - h_t**2)            # through tanh
        dh_next = da_t @ Wh.T                  # on to step t - 1

    then ``dWx = sum_t x_t^T da_t``, ``dWh = sum_t h_{t-1}^T da_t``, ``db = sum_t da_t``,
    ``dx_t = da_t @ Wx.T``. ``grad_hidden`` keeps every dh_t (N, T, H).
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_sequence(x)
        N, T, _ = x.shape
        Wx, Wh, b = self._weights(x.dtype)
        H = self.hidden_size
        # The input's share of every step in one product; only h_{t-1} Wh is sequential.
        a_x = (x.reshape(N * T, -1) @ Wx + b).reshape(N, T, H)
        h = np.empty((N, T, H), dtype=x.dtype)
        h_t = np.zeros((N, H), dtype=x.dtype)
        for t in range(T):
            h_t = np.tanh(a_x[:, t] + h_t @ Wh)
            h[:, t] = h_t
        self._x, self._h = x, h
        self._out_shape = h.shape
        return h

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        g = self._check_grad_out(grad_out)
        x, h = self._x, self._h
        N, T, H = h.shape
        Wh_T = self.params["Wh"].T.astype(h.dtype, copy=False)
        da = np.empty_like(h)
        dh_all = np.empty_like(h)
        dh_next = np.zeros((N, H), dtype=h.dtype)
        for t in range(T - 1, -1, -1):
            dh = g[:, t] + dh_next
            dh_all[:, t] = dh
            da[:, t] = dh * (1.0 - h[:, t] * h[:, t])
            dh_next = da[:, t] @ Wh_T
        self.grad_hidden = dh_all
        h_prev = np.concatenate([np.zeros((N, 1, H), dtype=h.dtype), h[:, :-1]], axis=1)
        dx = self._parameter_grads(x, h_prev, da)
        return dx if input_grad else None


class LSTM(_Recurrent):
    """A long short-term memory layer (Hochreiter and Schmidhuber, 1997; with a forget gate).

    Parameters
    ----------
    input_size : int
        D, the features of each step's input.
    hidden_size : int
        H, the size of the hidden state and of the cell.
    rng : numpy.random.Generator, int or None
        Source of randomness: every parameter uniform in +-1/sqrt(H), as PyTorch's.
    dtype : float32 or float64, default float64

    Shapes: x (N, T, D) -> every hidden state h (N, T, H), from h_0 = c_0 = 0.
    Params "Wx" (D, 4H), "Wh" (H, 4H), "b" (4H,), the gates' columns in the order
    input i, forget f, cell candidate g, output o (PyTorch's)::

        a_t = x_t Wx + h_{t-1} Wh + b              # (N, 4H), split into four (N, H)
        i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o);   g = tanh(a_g)
        c_t = f * c_{t-1} + i * g                  # the cell: an additive path through time
        h_t = o * tanh(c_t)

    Backward through time carries two gradients back, dh_next and dc_next; the
    cell's is multiplied only by f at each step, which is why an LSTM's gradient
    can reach far back. ``grad_hidden`` keeps every dL/dh_t (N, T, H) and
    ``grad_cell`` every dL/dc_t.
    """

    gates = 4

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_sequence(x)
        N, T, _ = x.shape
        Wx, Wh, b = self._weights(x.dtype)
        H = self.hidden_size
        a_x = (x.reshape(N * T, -1) @ Wx + b).reshape(N, T, 4 * H)
        gates = np.empty((N, T, 4 * H), dtype=x.dtype)  # i, f, g, o after their nonlinearity
        c = np.empty((N, T, H), dtype=x.dtype)
        h = np.empty((N, T, H), dtype=x.dtype)
        h_t = np.zeros((N, H), dtype=x.dtype)
        c_t = np.zeros((N, H), dtype=x.dtype)
        # All four gates with one tanh: sigmoid(a) = tanh(a / 2) / 2 + 1 / 2 (which never
        # overflows), so z = tanh(a * half) * half + shift, with half = 1/2 and shift = 1/2
        # on the sigmoid gates i, f, o and half = 1, shift = 0 on the candidate g.
        half = np.full(4 * H, 0.5, dtype=x.dtype)
        half[2 * H:3 * H] = 1.0
        shift = (1.0 - half).astype(x.dtype)
        for t in range(T):
            z = gates[:, t]
            np.matmul(h_t, Wh, out=z)
            z += a_x[:, t]
            z *= half
            np.tanh(z, out=z)
            z *= half
            z += shift
            c_t = z[:, H:2 * H] * c_t + z[:, :H] * z[:, 2 * H:3 * H]
            h_t = z[:, 3 * H:] * np.tanh(c_t)
            c[:, t], h[:, t] = c_t, h_t
        self._x, self._gates, self._c, self._h = x, gates, c, h
        self._out_shape = h.shape
        return h

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        g_out = self._check_grad_out(grad_out)
        x, gates, c, h = self._x, self._gates, self._c, self._h
        N, T, H = h.shape
        Wh_T = self.params["Wh"].T.astype(h.dtype, copy=False)
        tanh_c = np.tanh(c)
        i, f, g, o = (gates[..., k * H:(k + 1) * H] for k in range(4))
        c_prev = np.concatenate([np.zeros((N, 1, H), dtype=c.dtype), c[:, :-1]], axis=1)
        # Everything that does not depend on the gradient flowing back, for all steps at
        # once: da_t = [dc * g i(1-i), dc * c_prev f(1-f), dc * i (1-g^2), dh * tanh(c) o(1-o)],
        # so da_t = [dc, dc, dc, dh] * local_t, and dc = dc_next + dh * o (1 - tanh(c)^2).
        local = np.concatenate([g * i * (1.0 - i), c_prev * f * (1.0 - f), i * (1.0 - g * g),
                                tanh_c * o * (1.0 - o)], axis=2).reshape(N, T, 4, H)
        o_slope = o * (1.0 - tanh_c * tanh_c)
        da = np.empty((N, T, 4, H), dtype=h.dtype)
        dh_all = np.empty_like(h)
        dc_all = np.empty_like(c)
        dh_next = np.zeros((N, H), dtype=h.dtype)
        dc_next = np.zeros((N, H), dtype=h.dtype)
        for t in range(T - 1, -1, -1):
            dh = g_out[:, t] + dh_next
            dc = dh * o_slope[:, t]
            dc += dc_next
            dh_all[:, t], dc_all[:, t] = dh, dc
            d = da[:, t]
            np.multiply(local[:, t, :3], dc[:, None, :], out=d[:, :3])
            np.multiply(local[:, t, 3], dh, out=d[:, 3])
            dc_next = dc * f[:, t]
            dh_next = d.reshape(N, 4 * H) @ Wh_T
        da = da.reshape(N, T, 4 * H)
        self.grad_hidden, self.grad_cell = dh_all, dc_all
        h_prev = np.concatenate([np.zeros((N, 1, H), dtype=h.dtype), h[:, :-1]], axis=1)
        dx = self._parameter_grads(x, h_prev, da)
        return dx if input_grad else None


class TimeDense(Layer):
    """A Dense layer applied at every time step with the same weights: ``y_t = x_t W + b``.

    Parameters
    ----------
    n_in, n_out : int
        Input and output features of each step.
    rng : numpy.random.Generator, int or None
        Weights uniform in +-1/sqrt(n_in) (PyTorch's ``nn.Linear``); biases too.
    dtype : float32 or float64, default float64

    Shapes: x (N, T, n_in) -> y (N, T, n_out) (any leading axes work: (..., n_in)).
    Params "W" (n_in, n_out), "b" (n_out,). The gradients sum over the batch and
    the time steps: ``dW = X^T G`` with X, G the inputs and gradients as (N*T, .) rows.
    """

    def __init__(self, n_in: int, n_out: int, *,
                 rng: np.random.Generator | int | None = None, dtype: type = np.float64) -> None:
        super().__init__()
        self.n_in = check_int(n_in, "n_in", where="TimeDense")
        self.n_out = check_int(n_out, "n_out", where="TimeDense")
        dtype = check_float_dtype(dtype, where="TimeDense")
        rng = as_generator(rng)
        self.params["W"] = _uniform(rng, (self.n_in, self.n_out), self.n_in, dtype)
        self.params["b"] = _uniform(rng, (self.n_out,), self.n_in, dtype)

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x)
        if x.ndim < 2 or x.shape[-1] != self.n_in:
            raise ValueError(f"TimeDense({self.n_in} -> {self.n_out}).forward expects inputs "
                             f"of shape (N, T, {self.n_in}), got {x.shape}.")
        self._x = x
        y = (x.reshape(-1, self.n_in) @ self.params["W"].astype(x.dtype, copy=False)
             + self.params["b"].astype(x.dtype, copy=False))
        y = y.reshape(*x.shape[:-1], self.n_out)
        self._out_shape = y.shape
        return y

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        g = self._check_grad_out(grad_out).reshape(-1, self.n_out)
        p = self.params
        self.grads["W"] = (self._x.reshape(-1, self.n_in).T @ g).astype(p["W"].dtype, copy=False)
        self.grads["b"] = g.sum(axis=0).astype(p["b"].dtype, copy=False)
        if not input_grad:
            return None
        return (g @ p["W"].T.astype(g.dtype, copy=False)).reshape(self._x.shape)

    def __repr__(self) -> str:
        return f"TimeDense({self.n_in} -> {self.n_out})"


__all__ = ["Embedding", "RNN", "LSTM", "TimeDense"]
