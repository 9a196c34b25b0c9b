"""Lesson 09's LSTM training step: course_lib against PyTorch (CPU) on the same shapes.

Not part of `make bench` (PyTorch is not a course dependency). Run it in the scratch
environment of `make test-independent`:

    .venv-ref/bin/python benchmarks/torch_lstm_step.py

Both sides: Embedding(27, 16) -> LSTM(16, 64) -> a Dense layer at every step, masked
cross-entropy, one SGD step, float32, one thread, on every batch of lesson 09's training
words (128 words of similar length, 400 batches). Prints the median milliseconds per
step over several passes, by CPU time, and the ratio course_lib / PyTorch.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402

V, E, H = bench.LSTM_SIZES


def torch_model() -> tuple[torch.nn.Module, ...]:
    torch.manual_seed(0)
    return (torch.nn.Embedding(V, E), torch.nn.LSTM(E, H, batch_first=True),
            torch.nn.Linear(H, V))


def torch_epoch(modules, batches) -> float:
    emb, lstm, out = modules
    params = [p for m in modules for p in m.parameters()]
    opt = torch.optim.SGD(params, lr=bench.LR)
    tensors = [(torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(m))
               for x, y, m in batches]
    start = time.process_time()
    for x, y, mask in tensors:
        opt.zero_grad()
        h, _ = lstm(emb(x))
        logits = out(h)
        nll = torch.nn.functional.cross_entropy(logits.reshape(-1, V), y.reshape(-1),
                                                reduction="none")
        loss = (nll * mask.reshape(-1)).sum() / mask.sum()
        loss.backward()
        opt.step()
    return time.process_time() - start


def main() -> None:
    torch.set_num_threads(1)
    batches = bench.word_batches(None)
    with threadpool_limits(1, user_api="blas"):
        lib, modules = bench.lstm_model(), torch_model()
        bench.lstm_lib_epoch(lib, batches[:20])  # warm-up
        torch_epoch(modules, batches[:20])
        ours, theirs = [], []
        for _ in range(3):
            ours.append(bench.lstm_lib_epoch(lib, batches)["cpu"])
            theirs.append(torch_epoch(modules, batches))
    steps = len(batches)
    ms_ours = 1000 * statistics.median(ours) / steps
    ms_theirs = 1000 * statistics.median(theirs) / steps
    print(f"torch {torch.__version__}, numpy {np.__version__}, {steps} steps of 128 words, "
          f"float32, one thread, CPU time")
    print(f"course_lib: {ms_ours:.2f} ms per step; PyTorch: {ms_theirs:.2f} ms per step; "
          f"course_lib / PyTorch = {ms_ours / ms_theirs:.2f}x")


if __name__ == "__main__":
    main()
