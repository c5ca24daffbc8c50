"""Networks described once by :class:`MLPSpec` and built by :func:`build`."""

from depthscope.nets.build import build
from depthscope.nets.spec import InitName, MLPSpec

__all__ = ["InitName", "MLPSpec", "build"]
