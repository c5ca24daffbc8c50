"""Calling any model (a tensor, positional or keyword inputs), finding the tensor in what it
returns, and leaving it exactly as it was (for probes and detection)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn


@contextmanager
def preserved(model: nn.Module) -> Iterator[None]:
    """Parameters, buffers (BatchNorm's running statistics), ``.grad``, train/eval modes and
    the global RNG (dropout draws from it) restored on exit."""
    state = {k: v.detach().clone() for k, v in model.state_dict(keep_vars=True).items()}
    grads = {p: None if p.grad is None else p.grad.clone() for p in model.parameters()}
    modes = {m: m.training for m in model.modules()}
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_initialized() else []
    with torch.random.fork_rng(devices=devices):
        try:
            yield
        finally:
            with torch.no_grad():
                for key, value in model.state_dict(keep_vars=True).items():
                    value.copy_(state[key])
            for p, g in grads.items():
                p.grad = g
            for m, training in modes.items():
                m.train(training)


def first_tensor(value: Any) -> torch.Tensor | None:
    """The first floating tensor in a module's output or arguments (tuples, lists, dicts and
    Hugging Face ``ModelOutput``s, which are dicts)."""
    if isinstance(value, torch.Tensor):
        return value if value.is_floating_point() else None
    items = value.values() if isinstance(value, dict) else value
    if isinstance(items, (tuple, list)) or hasattr(items, "__iter__"):
        for item in items:
            if isinstance(item, (torch.Tensor, tuple, list, dict)):
                found = first_tensor(item)
                if found is not None:
                    return found
    return None


def call_model(model: nn.Module, inputs: Any) -> Any:
    if isinstance(inputs, dict):
        return model(**inputs)
    if isinstance(inputs, (tuple, list)):
        return model(*inputs)
    return model(inputs)
