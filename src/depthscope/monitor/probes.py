"""Activation statistics from forward hooks, sampled every N optimizer steps.

For an activation ``phi`` applied to pre-activations ``x`` (batch on dim 0):
``saturated`` = share of saturated entries and ``dead`` = share of dead units, as
:mod:`depthscope.activations.health` defines them (the trainer's definition too), and
``rms = sqrt(E x^2)``
(the length ``q`` of Poole et al. 2016). Hooks compute on detached tensors without autograd,
so training is unchanged.
"""

from __future__ import annotations

import torch
from torch import nn

from depthscope.activations import Activation
from depthscope.activations.health import can_die, saturates, saturation_floor

PROBE_STATS = ("saturated", "dead", "rms")


class Probes:
    """Forward hooks on activation modules; ``armed`` decides whether a forward is sampled."""

    def __init__(self, modules: list[tuple[nn.Module, Activation]], device: torch.device):
        self.row = torch.full((len(modules), len(PROBE_STATS)), float("nan"), device=device)
        self.armed = False
        self.sampled = False
        self._handles = [
            module.register_forward_hook(self._hook(i, act))
            for i, (module, act) in enumerate(modules)
        ]

    def _hook(self, i: int, act: Activation):
        bounded, dying, floor = saturates(act), can_die(act), saturation_floor(act)

        def hook(module: nn.Module, args: tuple, output: object) -> None:
            if not self.armed or not torch.is_grad_enabled() or not args:
                return
            x = args[0]
            if not isinstance(x, torch.Tensor) or not x.is_floating_point():
                return
            with torch.no_grad():
                x = x.detach()
                slope = act.dphi(x).abs()  # same shape as x
                if bounded:
                    self.row[i, 0] = (slope < floor).float().mean()
                if dying:
                    alive = (slope > 0).reshape(x.shape[0], -1) if x.dim() > 1 else slope > 0
                    self.row[i, 1] = 1.0 - alive.any(dim=0).float().mean()
                self.row[i, 2] = x.float().square().mean().sqrt()
            self.sampled = True

        return hook

    def take(self) -> torch.Tensor | None:
        """The sampled row (then reset), or None if no forward was sampled."""
        if not self.sampled:
            return None
        row = self.row.clone()
        self.row.fill_(float("nan"))
        self.sampled = False
        return row

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []
