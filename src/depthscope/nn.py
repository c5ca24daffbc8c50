"""``torch.nn`` modules for every registered activation: ``depthscope.nn.LogSig()``.

``nn.Activation(name, **params)`` wraps any activation; one subclass per registered name
(``nn.Tanh(scale=2)``, ``nn.LogSemisigmoid()``, ``nn.ReLU()``, ...; aliases only through
``nn.Activation("ramp")``) fixes the name. Every
module exposes ``.activation`` (the :class:`~depthscope.activations.Activation`), so tools
such as the monitor or critical initialisation can read a layer's activation and its theory.

Names shared with ``torch.nn`` (``Tanh``, ``ReLU``, ``GELU``, ``SiLU``, ``ELU``, ``SELU``,
``Sigmoid``, ``LeakyReLU``, ``Hardtanh``, ``Softplus``, ``Softsign``) compute the same function
to float rounding, and differ in three ways: they take the affine parameters ``scale``,
``shift``, ``gain``, ``offset`` (``gain·(phi(scale·x + shift) + offset)``, the DKS/TAT form;
``Tanh(scale=2)`` is the Q&A's tanh(2x)); their backward and double backward are the closed
forms of :mod:`depthscope.activations` (fused kernels), not autograd through torch's op; and
they carry ``.activation`` for the theory. They take no ``inplace`` argument; ``GELU`` is the
exact (erf) one, torch's default; ``Softplus`` has no ``beta``/``threshold`` (use
``scale``/``gain``).
"""

from __future__ import annotations

import torch

from depthscope.activations import Activation as ActivationFunction
from depthscope.activations import get
from depthscope.activations.autograd import apply
from depthscope.activations.registry import mirror

_ACRONYMS = {"relu": "ReLU", "elu": "ELU", "selu": "SELU", "gelu": "GELU", "silu": "SiLU",
             "logsig": "LogSig", "logmin": "LogMin", "lecun": "LeCun"}


def camel_name(name: str) -> str:
    """``log_semisigmoid`` -> ``LogSemisigmoid``, ``leaky_relu`` -> ``LeakyReLU``."""
    return "".join(_ACRONYMS.get(part, part.capitalize()) for part in name.split("_"))


class Activation(torch.nn.Module):
    """``phi(x)`` elementwise for ``get(name, **params)``, with closed-form autograd."""

    def __init__(self, name: str | ActivationFunction, **params: float) -> None:
        super().__init__()
        self.activation = get(name, **params)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # any shape -> same shape
        return apply(self.activation, x)

    def extra_repr(self) -> str:
        return self.activation.label


def _module(name: str) -> type[Activation]:
    def __init__(self: Activation, **params: float) -> None:
        Activation.__init__(self, name, **params)

    twin = getattr(torch.nn, camel_name(name), None)
    doc = f"``{get(name).definition.formula}`` (``Activation({name!r}, **params)``)." + (
        f" The function of ``torch.nn.{twin.__name__}``, with the affine parameters and the"
        " closed-form derivatives of this module (see the module docstring)."
        if isinstance(twin, type) else "")
    return type(camel_name(name), (Activation,), {
        "__init__": __init__, "__doc__": doc, "__module__": __name__,
    })


__all__ = ["Activation", "camel_name"]
mirror(globals(), __all__, _module, key=camel_name)  # one class per registered name
