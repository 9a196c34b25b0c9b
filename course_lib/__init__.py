"""course_lib: the reference implementations for "Neural networks from scratch with NumPy".

Modules, one idea each:

- ``layers``: the ops, one module per family (MatMul, BiasAdd, Dense, activations, Softmax, Conv3x3, MaxPool2, Flatten,
  Dropout, BatchNorm)
- ``naive``: loop versions of the conv and pool, kept for teaching
- ``losses``: MSELoss, CrossEntropyLoss, SoftmaxCrossEntropyLoss
- ``model``: Sequential
- ``optim``: SGD (with momentum), SGDW (decoupled weight decay), Adam; L2 ``weight_decay``
- ``train``: fit (with early stopping), evaluate, accuracy
- ``gradcheck``: numerical gradients and relative errors
- ``autograd``: Tensor, reverse-mode automatic differentiation with lesson 01's layers as nodes
- ``data``: the data-set loaders (checksummed, offline)
- ``initializers``: weight initialisation schemes (he, glorot, lecun, uniform, ...)
- ``validation``: argument checks with messages naming expected vs got
- ``checks``: the lessons' exercise checks, one module per lesson (``checks.common``: shared comparisons)
- ``plots``: plotting helpers the lessons share
"""

__version__ = "0.1.0"
