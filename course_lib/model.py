"""A model as a stack of layers: forward runs them in order, backward in reverse."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .layers import Layer
from .validation import check_float_array


class Sequential:
    """Layers applied one after another.

    Parameters
    ----------
    layers : iterable of Layer

    Examples
    --------
    >>> from course_lib.layers import Dense, ReLU
    >>> model = Sequential([Dense(4, 8, rng=0), ReLU(), Dense(8, 3, rng=1)])
    >>> model.predict(np.zeros((5, 4))).shape
    (5, 3)
    """

    def __init__(self, layers: Iterable[Layer]) -> None:
        self.layers = list(layers)
        if not self.layers:
            raise ValueError("Sequential needs at least one layer, got an empty list.")
        for i, layer in enumerate(self.layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential: item {i} must be a course_lib Layer (with forward "
                                f"and backward), got {type(layer).__name__}. Loss functions "
                                f"are passed to fit, not put in the model.")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Run every layer's forward, in order; each caches what its backward needs."""
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """Run every layer's backward, in reverse, filling each layer's ``grads``.

        Returns dL/dx for the model's input.
        """
        for layer in reversed(self.layers):
            grad_out = layer.backward(grad_out)
        return grad_out

    def predict(self, X: np.ndarray, batch_size: int = 1024) -> np.ndarray:
        """Forward pass over ``X`` in batches (bounded memory); returns the model's output."""
        check_float_array(X, "X", where="Sequential.predict")
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"Sequential.predict: batch_size must be a positive int, got "
                             f"{batch_size!r}.")
        outputs = [self.forward(X[i:i + batch_size]) for i in range(0, len(X), batch_size)]
        return np.concatenate(outputs, axis=0)

    def astype(self, dtype: type) -> "Sequential":
        """Convert every layer's parameters to ``dtype`` (float32 or float64); returns self."""
        for layer in self.layers:
            layer.astype(dtype)
        return self

    def num_params(self) -> int:
        """Number of trainable scalars."""
        return sum(layer.num_params() for layer in self.layers)

    def summary(self, input_shape: tuple[int, ...] | None = None) -> str:
        """A table of layers, output shapes and parameter counts.

        Parameters
        ----------
        input_shape : tuple of int, optional
            Shape of one sample, without the batch axis, e.g. ``(784,)`` or ``(1, 28, 28)``.
            A forward pass on one zero sample finds the output shapes. May be left
            out when the first layer is a Dense (its ``n_in`` says it).

        Returns
        -------
        str
            The table; ``print`` it.
        """
        if input_shape is None:
            first = self.layers[0]
            if not hasattr(first, "n_in"):
                raise ValueError("Sequential.summary: pass input_shape, the shape of one "
                                 "sample without the batch axis, e.g. (1, 28, 28).")
            input_shape = (first.n_in,)
        dtype = next((p.dtype for layer in self.layers for p in layer.params.values()),
                     np.float64)
        x = np.zeros((1, *input_shape), dtype=dtype)
        rows = [("Layer (type)", "Output shape", "Param #")]
        for i, layer in enumerate(self.layers):
            x = layer.forward(x)
            rows.append((f"{i}: {layer!r}", str((None, *x.shape[1:])), f"{layer.num_params():,}"))
        widths = [max(len(r[c]) for r in rows) for c in range(3)]
        line = "-" * (sum(widths) + 4)

        def fmt(r: tuple[str, str, str]) -> str:
            return f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{widths[2]}}"

        body = [fmt(rows[0]), line.replace("-", "=")] + [fmt(r) for r in rows[1:]]
        body += [line.replace("-", "="), f"Total params: {self.num_params():,}"]
        return "\n".join(body)

    def __repr__(self) -> str:
        inner = ",\n  ".join(repr(layer) for layer in self.layers)
        return f"Sequential([\n  {inner},\n])"
