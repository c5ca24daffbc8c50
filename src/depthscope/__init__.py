"""depthscope: understand, measure and fix vanishing and exploding gradients."""

from depthscope.activations import Activation, ActivationError, get as activation, names

__version__ = "0.1.0"

__all__ = ["Activation", "ActivationError", "__version__", "activation", "names"]
