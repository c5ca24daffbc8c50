"""Gradient health of any PyTorch model: ``watch`` records, ``diagnose`` explains.

``watch(model)`` reads the final gradients once per optimizer step, with batched device
kernels; findings name layers and steps and recommend a fix from mean-field theory.
"""

from depthscope.monitor.diagnose import Finding, Thresholds, diagnose
from depthscope.monitor.gradstats import STATS
from depthscope.monitor.probes import PROBE_STATS
from depthscope.monitor.record import LayerInfo, Record
from depthscope.monitor.watch import Watch, watch

__all__ = [
    "PROBE_STATS",
    "STATS",
    "Finding",
    "LayerInfo",
    "Record",
    "Thresholds",
    "Watch",
    "diagnose",
    "watch",
]
