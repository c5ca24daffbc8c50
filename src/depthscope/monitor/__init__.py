"""Gradient health of any PyTorch model: ``watch`` records, ``diagnose`` explains.

``watch(model)`` reads each backward pass's gradients (before clipping) once per optimizer
step, with batched device kernels, and the activations' inputs per call site; findings name
layers and steps and recommend a fix from mean-field theory, the cause before the symptom.
"""

from depthscope.monitor.diagnose import Finding, Thresholds, diagnose
from depthscope.monitor.gradstats import STATS
from depthscope.monitor.probes import PROBE_STATS
from depthscope.monitor.record import LayerInfo, Record
from depthscope.monitor.report import Summary
from depthscope.monitor.watch import Watch, watch

__all__ = [
    "PROBE_STATS",
    "STATS",
    "Finding",
    "LayerInfo",
    "Record",
    "Summary",
    "Thresholds",
    "Watch",
    "diagnose",
    "watch",
]
