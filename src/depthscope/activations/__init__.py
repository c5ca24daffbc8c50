"""Every activation from the seeds and the common modern ones, each defined once.

``get(name, **params)`` returns an :class:`Activation` whose ``phi``, ``dphi`` and ``d2phi``
work on torch tensors and NumPy arrays alike; ``names()`` lists what is registered.
"""

from depthscope.activations import logarithmic, rectifiers, sigmoidal  # noqa: F401 (register)
from depthscope.activations.base import Activation, Definition, Metadata, Tail
from depthscope.activations.registry import ActivationError, family, get, names, register

__all__ = [
    "Activation",
    "ActivationError",
    "Definition",
    "Metadata",
    "Tail",
    "family",
    "get",
    "names",
    "register",
]
