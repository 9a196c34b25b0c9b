"""The ops of a neural network, each an object with ``forward`` and ``backward``.

Every layer follows one protocol:

- ``layer.params``: dict name -> ndarray of trainable arrays (empty for
  parameter-free ops); ``layer.grads``: the same keys, filled by ``backward``.
- ``layer.forward(x) -> y`` caches what ``backward`` needs. A forward that
  fails (bad input) leaves no cache, so a ``backward`` after it raises
  "call forward before backward" instead of reusing the previous batch's values.
- ``layer.backward(grad_out) -> grad_x`` takes dL/dy (same shape as y) and
  returns dL/dx (same shape as x). It overwrites ``layer.grads`` (never adds
  to them), so calling it twice gives the same result. The layers with weights
  (MatMul, Dense, Conv3x3, Conv2d) also take ``input_grad=False``: fill ``grads`` and
  skip dL/dx (returning None), which a model's first layer does not need in
  training and which costs as much as the weight gradient.
- Arrays are batch first. A layer computes in the dtype of its input
  (float32 or float64); ``layer.astype(dtype)`` converts its parameters.

Backward passes are vector-Jacobian products: they never build the Jacobian.

The layers live in one module per family; import them from here, as the lessons do
(``from course_lib.layers import Dense``):

- :mod:`.core`: Layer, MatMul, BiasAdd, Dense, Identity, Sigmoid, Tanh, ReLU, Softmax, Flatten
- :mod:`.conv`: Conv3x3, MaxPool2 and the im2col helpers (lesson 04); Conv2d, MaxPool2d
  (any kernel size, stride and padding) and theirs (lesson 08)
- :mod:`.regularisation`: Dropout, BatchNorm
- :mod:`.recurrent`: Embedding, RNN, LSTM, TimeDense (sequences, batch first)
- :mod:`.attention`: LayerNorm, MultiHeadSelfAttention, PositionalEmbedding, FeedForward,
  TransformerBlock and the functions of attention (batch first, (N, T, D))
"""

from .attention import (FeedForward, LayerNorm, MultiHeadSelfAttention, PositionalEmbedding,
                        TransformerBlock, attention_backward, causal_mask, layer_norm_backward,
                        merge_heads, scaled_dot_product_attention, split_heads)
from .conv import (Conv2d, Conv3x3, MaxPool2, MaxPool2d, add_patches, add_patches_3x3,
                   col2im_3x3, conv_output_size, im2col_3x3, pad_images, patches, patches_3x3)
from .core import (BiasAdd, Dense, Flatten, Identity, Layer, MatMul, ReLU, Sigmoid, Softmax,
                   Tanh, sigmoid, softmax)
from .recurrent import LSTM, RNN, Embedding, TimeDense
from .regularisation import BatchNorm, Dropout

__all__ = ["Layer", "MatMul", "BiasAdd", "Dense", "Identity", "Sigmoid", "Tanh", "ReLU",
           "Softmax", "Flatten", "sigmoid", "softmax", "Conv3x3", "MaxPool2", "im2col_3x3",
           "col2im_3x3", "patches_3x3", "add_patches_3x3", "Conv2d", "MaxPool2d",
           "conv_output_size", "pad_images", "patches", "add_patches", "Dropout", "BatchNorm",
           "Embedding", "RNN", "LSTM", "TimeDense",
           "LayerNorm", "MultiHeadSelfAttention", "PositionalEmbedding", "FeedForward",
           "TransformerBlock", "causal_mask", "scaled_dot_product_attention",
           "attention_backward", "split_heads", "merge_heads", "layer_norm_backward"]
