"""A model as a stack of layers: forward runs them in order, backward in reverse."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .layers import Layer
from .losses import Loss
from .validation import check_float_array


def _check_layer(layer: object, i: int) -> None:
    """A layer is anything with forward and backward methods (duck typing), not a class."""
    if isinstance(layer, type):
        raise TypeError(f"Sequential: item {i} is the class {layer.__name__}, not a layer. "
                        f"Create one: {layer.__name__}(...).")
    if isinstance(layer, Loss):
        raise TypeError(f"Sequential: item {i} is the loss {layer!r}; loss functions are passed "
                        f"to fit(model, loss, ...), not put in the model.")
    if not (callable(getattr(layer, "forward", None)) and callable(getattr(layer, "backward", None))):
        raise TypeError(f"Sequential: item {i} must be a layer with forward and backward methods, "
                        f"got {type(layer).__name__}. Loss functions are passed to fit, not put "
                        f"in the model.")
    for name in ("params", "grads"):
        if not isinstance(getattr(layer, name, {}), dict):
            raise TypeError(f"Sequential: item {i} ({type(layer).__name__}) has a {name} "
                            f"attribute that is not a dict; a layer's {name} maps names to arrays.")


def _num_params(layer: object) -> int:
    return int(sum(p.size for p in getattr(layer, "params", {}).values()))


class Sequential:
    """Layers applied one after another.

    Parameters
    ----------
    layers : iterable of Layer
        Anything with ``forward(x)`` and ``backward(grad_out)`` methods (and
        ``params``/``grads`` dicts if it has weights) works: a course_lib layer or
        one a student wrote, subclassing :class:`~course_lib.layers.Layer` or not.

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
            _check_layer(layer, i)

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
            if isinstance(layer, Layer):
                layer.astype(dtype)
            else:  # a duck-typed layer: convert its params dict
                params = getattr(layer, "params", {})
                for key, value in params.items():
                    params[key] = value.astype(dtype)
        return self

    def num_params(self) -> int:
        """Number of trainable scalars."""
        return sum(_num_params(layer) for layer in self.layers)

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
            rows.append((f"{i}: {layer!r}", str((None, *x.shape[1:])), f"{_num_params(layer):,}"))
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
