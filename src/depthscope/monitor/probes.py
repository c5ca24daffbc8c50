"""Activation statistics from forward pre-hooks, per call site, sampled every N optimizer steps.

For an activation ``phi`` applied to pre-activations ``x`` (batch on dim 0):
``saturated`` = share of saturated entries and ``dead`` = share of dead units, as
:mod:`depthscope.activations.health` defines them (the trainer's definition too), and
``rms = sqrt(E x^2)`` (the length ``q`` of Poole et al. 2016).

The statistics are read from the module's *input* in a forward **pre**-hook, so an in-place
activation (``nn.ReLU(inplace=True)``) is read before it overwrites its input. A module called
at several places of one forward (a shared ``nn.ReLU``) gives one **call site** per call:
``name``, ``name#2``, ... The sites are numbered in the order the first sampled forward
reaches them (forward order, whatever the registration order); a site first reached after
that forward is not recorded. The count of calls starts over at the root module's forward
and at every backward pass (a ``LightningModule`` runs its layers without calling its own
``forward``; with gradient accumulation several forwards lead to one step). Hooks compute on
detached tensors without autograd, so training is unchanged.
"""

from __future__ import annotations

import torch
from torch import nn

from depthscope.activations import Activation
from depthscope.activations.health import can_die, saturates, saturation_floor

PROBE_STATS = ("saturated", "dead", "rms")


class Probes:
    """Forward pre-hooks on the activation modules of ``root`` while :attr:`armed` (and no
    hook at all otherwise: a hooked module takes PyTorch's slower call path). ``sites``
    (name, activation) are fixed at the first :meth:`take`."""

    def __init__(self, root: nn.Module, modules: list[tuple[str, nn.Module, Activation]],
                 device: torch.device) -> None:
        self.device = device
        self.sites: list[tuple[str, Activation]] = []
        self._frozen = False
        self._site_of: dict[tuple[int, int], int] = {}
        self._values: dict[int, torch.Tensor] = {}
        self._calls = [0] * len(modules)
        self._modules = modules
        self._root = root
        self._hooks = [self._hook(i, act) for i, (_, _, act) in enumerate(modules)]
        self._handles: list = []

    @property
    def armed(self) -> bool:
        """Whether the coming forward passes are sampled (their hooks are in place)."""
        return bool(self._handles)

    @armed.setter
    def armed(self, value: bool) -> None:
        if value and not self._handles:
            self._handles = [self._root.register_forward_pre_hook(lambda *_: self.restart())]
            self._handles += [module.register_forward_pre_hook(hook)
                              for (_, module, _), hook in zip(self._modules, self._hooks,
                                                              strict=True)]
        elif not value:
            self.remove()

    def restart(self) -> None:
        """A new forward pass begins: count calls from the first again."""
        self._calls = [0] * len(self._modules)

    def _site(self, i: int) -> int | None:
        """The call site of this call of module ``i`` (a new one until the sites freeze)."""
        call = self._calls[i]
        self._calls[i] += 1
        key = (i, call)
        if key not in self._site_of:
            if self._frozen:
                return None
            name, _, act = self._modules[i]
            self._site_of[key] = len(self.sites)
            self.sites.append((name if call == 0 else f"{name}#{call + 1}", act))
        return self._site_of[key]

    def _hook(self, i: int, act: Activation):
        bounded, dying, floor = saturates(act), can_die(act), saturation_floor(act)

        def hook(module: nn.Module, args: tuple) -> None:
            if not torch.is_grad_enabled() or not args:
                return
            x = args[0]
            if not isinstance(x, torch.Tensor) or not x.is_floating_point():
                return
            site = self._site(i)
            if site is None:
                return
            with torch.no_grad():
                x = x.detach()
                row = torch.full((len(PROBE_STATS),), float("nan"), device=self.device)
                slope = act.dphi(x).abs()  # same shape as x
                if bounded:
                    row[0] = (slope < floor).float().mean()
                if dying:
                    alive = (slope > 0).reshape(x.shape[0], -1) if x.dim() > 1 else slope > 0
                    row[1] = 1.0 - alive.any(dim=0).float().mean()
                row[2] = x.float().square().mean().sqrt()
            self._values[site] = row

        return hook

    def take(self) -> torch.Tensor | None:
        """The sampled ``(sites, PROBE_STATS)`` row (then reset), or None if no forward was
        sampled; the first call fixes the sites."""
        self.restart()
        if not self._values:
            return None
        self._frozen = True
        row = torch.full((len(self.sites), len(PROBE_STATS)), float("nan"), device=self.device)
        for site, values in self._values.items():
            row[site] = values
        self._values = {}
        return row

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []
