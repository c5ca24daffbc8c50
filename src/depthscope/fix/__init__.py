"""Cures for vanishing and exploding gradients: edge-of-chaos initialisation of any model
(``critical_``) and theory-transformed activations (``transform``)."""

from depthscope.fix.critical import CriticalReport, LayerInit, critical_, resolve
from depthscope.fix.detect import activation_of, layer_activations
from depthscope.fix.numeric import numerical_activation
from depthscope.fix.transform import transform

__all__ = [
    "CriticalReport",
    "LayerInit",
    "activation_of",
    "critical_",
    "layer_activations",
    "numerical_activation",
    "resolve",
    "transform",
]
