"""The one definition of a saturated and of a dead unit, shared by the trainer and the monitor.

* **Saturated** (Glorot & Bengio 2010): an entry where ``|phi'(x)| < SATURATION · max|phi'|``,
  counted only for bounded activations (tanh: ``|tanh x| > 0.949``).
* **Dead**: a unit with ``phi'(x) = 0`` for every example of the batch, counted only for
  activations with a zero-slope tail on either side (ReLU, hardtanh, logmin).
"""

from __future__ import annotations

from depthscope.activations.base import Activation

SATURATION = 0.1  # saturated: |phi'| < SATURATION * max |phi'|


def saturates(act: Activation) -> bool:
    """Whether ``act`` is bounded, so that its units can saturate."""
    return act.meta.bounded


def can_die(act: Activation) -> bool:
    """Whether ``act`` has a zero-slope tail, so that its units can die."""
    return "zero" in (act.meta.tail_left.kind, act.meta.tail_right.kind)


def saturation_floor(act: Activation) -> float:
    """The slope below which an entry counts as saturated."""
    return SATURATION * act.meta.max_slope
