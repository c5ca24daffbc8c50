"""Torch functions for every registered activation: ``depthscope.functional.logsig(x)``.

Each function is generated from the registry (``functional.<name>(x, **params)``; aliases
such as ``functional.ramp`` resolve on access) and runs
:class:`depthscope.activations.autograd.Phi`: fused forward, closed-form backward
``g * phi'(x)`` and double backward through ``phi''``. ``activation(x, name,
**params)`` does the same for any name or :class:`~depthscope.activations.Activation`.

Example::

    >>> import torch, depthscope.functional as F
    >>> F.tanh(torch.tensor([0.5]), scale=2)          # tanh(2x)
    tensor([0.7616])
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from depthscope.activations import Activation, get, names
from depthscope.activations.autograd import apply
from depthscope.activations.kernels import get_backend, set_backend
from depthscope.activations.registry import mirror

ActivationFn = Callable[..., torch.Tensor]


def activation(x: torch.Tensor, name: str | Activation, **params: float) -> torch.Tensor:
    """``phi(x)`` for the activation ``get(name, **params)``, with closed-form autograd."""
    return apply(get(name, **params), x)


def _make(name: str) -> ActivationFn:
    def fn(x: torch.Tensor, **params: float) -> torch.Tensor:
        return apply(get(name, **params), x)

    act = get(name)
    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = __name__
    fn.__doc__ = (
        f"The {act.name} activation ``{act.definition.formula}``.\n\n"
        f"Parameters as ``depthscope.activations.get({name!r}, **params)``; closed-form "
        "backward and double backward."
    )
    return fn


def __getattr__(name: str) -> ActivationFn:  # activations registered after import
    if name in names(include_aliases=True):
        return _make(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["activation", "get_backend", "set_backend"]
mirror(globals(), __all__, _make)  # one function per registered name, now and later
