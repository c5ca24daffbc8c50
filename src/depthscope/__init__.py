"""depthscope: understand, measure and fix vanishing and exploding gradients.

The public API, re-exported lazily (a bare ``import depthscope`` loads nothing heavy: torch,
NumPy and SciPy come with the first name that needs them, so the command line answers
``--help`` at once): activations (``activation``, ``names``), the torch entry points
(``functional``, ``nn``, ``init``), ``theory``, the experiment engine (``load_dataset``,
``MLPSpec``, ``build_mlp``, ``RunConfig``, ``train_ensemble``, ``run_sweep``,
``load_results``), the monitor (``watch``), the probe of any model at init (``probe``), fixes
(``critical_``, ``transform``) and the study (``run_study``).
"""

from __future__ import annotations

import importlib
from typing import Any

from depthscope.errors import DepthscopeError

__version__ = "0.1.0"

_SUBMODULES = (
    "activations", "data", "fix", "functional", "init", "monitor", "nets", "nn", "probing",
    "report", "simulate", "store", "study", "sweep", "theory", "train",
)
_LAZY: dict[str, tuple[str, str]] = {
    "Activation": ("depthscope.activations", "Activation"),
    "ActivationError": ("depthscope.activations", "ActivationError"),
    "activation": ("depthscope.activations", "get"),
    "names": ("depthscope.activations", "names"),
    "thresholds": ("depthscope.theory", "thresholds"),
    "depth_scales": ("depthscope.theory", "depth_scales"),
    "critical_sigma_w": ("depthscope.theory", "critical_sigma_w"),
    "critical_transform": ("depthscope.theory", "critical_transform"),
    "edge_of_chaos": ("depthscope.theory", "edge_of_chaos"),
    "dks_transform": ("depthscope.theory", "dks_transform"),
    "tat_transform": ("depthscope.theory", "tat_transform"),
    "tat_leaky_relu": ("depthscope.theory", "tat_leaky_relu"),
    "load_dataset": ("depthscope.data", "load"),
    "Dataset": ("depthscope.data", "Dataset"),
    "MLPSpec": ("depthscope.nets", "MLPSpec"),
    "build_mlp": ("depthscope.nets", "build"),
    "RunConfig": ("depthscope.train", "RunConfig"),
    "RunResult": ("depthscope.train", "RunResult"),
    "train_ensemble": ("depthscope.train", "train_ensemble"),
    "run_sweep": ("depthscope.sweep", "run_sweep"),
    "load_spec": ("depthscope.sweep", "load_spec"),
    "load_results": ("depthscope.store", "load"),
    "watch": ("depthscope.monitor", "watch"),
    "probe": ("depthscope.probing", "probe"),
    "diagnose": ("depthscope.monitor", "diagnose"),
    "critical_": ("depthscope.fix", "critical_"),
    "transform": ("depthscope.fix", "transform"),
    "run_study": ("depthscope.study", "run_study"),
}

__all__ = [
    "DepthscopeError",
    "__version__",
    *_SUBMODULES,
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"depthscope.{name}")
    if name in _LAZY:
        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'depthscope' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
