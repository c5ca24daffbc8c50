"""``probe(model, inputs)``: signal propagation of any model, measured once, before training
(or at any checkpoint), leaving the model and the global RNG exactly as they were."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from depthscope.errors import DepthscopeError
from depthscope.modelio import call_model, first_tensor, preserved
from depthscope.probing.measure import apjn, forward_stats, positions
from depthscope.probing.report import ProbeReport, UnitReport
from depthscope.probing.units import is_composite, units
from depthscope.probing.verdict import verdict


def probe(model: nn.Module, inputs: Any, *,
          loss_fn: Callable[[Any], torch.Tensor] | None = None, samples: int = 8,
          seed: int = 0) -> ProbeReport:
    """Measure how signals and gradients propagate through ``model`` on ``inputs``.

    Args:
        model: any ``nn.Module`` (its current train/eval mode is used).
        inputs: a tensor, a tuple of positional arguments or a dict of keyword arguments.
        loss_fn: ``loss_fn(output) -> scalar``: adds each unit's parameter-gradient norm.
        samples: random output projections for the APJN (its standard error shrinks as
            ``1/sqrt(samples)``).
        seed: seeds the projections' own generator (the global RNG is not consumed).

    Returns:
        A :class:`ProbeReport`: per-unit forward statistics (Brock et al. 2021's Signal
        Propagation Plots) and APJN (Doshi et al. 2023) in execution order, and a verdict
        with fixes for this model. ``print`` it, ``.plot()``, ``.to_dataframe()``.

    Example:
        >>> net = nn.Sequential(nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 4))
        >>> probe(net, torch.randn(16, 32)).verdict.phase
        'critical'
    """
    if not isinstance(model, nn.Module):
        raise DepthscopeError(f"probe() needs a torch.nn.Module, got {type(model).__name__}")
    params = list(model.parameters())
    if not params:
        raise DepthscopeError(f"{type(model).__name__} has no parameters: there is nothing to "
                              "propagate a gradient to")
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 2:
        raise DepthscopeError(f"samples must be an integer >= 2 (the APJN's standard error "
                              f"needs two), got {samples!r}")
    found = units(model)
    seen: dict[int, tuple[int, torch.Tensor | None, torch.Tensor]] = {}

    def hook(index: int) -> Callable[..., None]:
        def record(module: nn.Module, args: tuple, output: Any) -> None:
            out = first_tensor(output)
            if index not in seen and out is not None:
                seen[index] = (len(seen), first_tensor(args), out)
        return record

    with preserved(model):
        handles = [m.register_forward_hook(hook(i)) for i, (_, m) in enumerate(found)]
        try:
            with torch.enable_grad():
                try:
                    output = call_model(model, inputs)
                except (RuntimeError, TypeError, ValueError, IndexError) as err:
                    first = str(err).strip().splitlines()[0] if str(err).strip() else ""
                    raise DepthscopeError(f"the inputs do not fit {type(model).__name__}: "
                                          f"{type(err).__name__}: {first}") from err
        finally:
            for h in handles:
                h.remove()
        y = first_tensor(output)
        if y is None or not y.requires_grad:
            raise DepthscopeError(f"{type(model).__name__}'s output has no floating tensor on "
                                  "the autograd graph to measure gradients from")
        order = sorted(seen, key=lambda i: seen[i][0])
        reach = [i for i in order if seen[i][2].requires_grad]
        gen = torch.Generator(device=y.device).manual_seed(seed)
        means, errors = apjn(y, [seen[i][2] for i in reach],
                             [positions(found[i][1], seen[i][2]) for i in reach], samples, gen)
        by_id = {i: (m, e) for i, m, e in zip(reach, means, errors, strict=True)}
        grad_norms = _grad_norms(found, order, output, loss_fn)
        reports = []
        for k, i in enumerate(order):
            name, module = found[i]
            _, x, h = seen[i]
            m, e = by_id.get(i, (math.nan, math.nan))
            reports.append(UnitReport(
                k, name, type(module).__name__, forward_stats(module, h, x, is_composite(module)),
                m, e, grad_norms.get(i, math.nan), sum(p.numel() for p in module.parameters())))
        first_in = first_tensor(inputs)
        input_rms = (math.sqrt(float(first_in.detach().double().square().mean()))
                     if first_in is not None else math.nan)
        return ProbeReport(type(model).__name__, tuple(reports), input_rms, samples,
                           verdict(model, reports, input_rms))


def _grad_norms(found: list[tuple[str, nn.Module]], order: list[int], output: Any,
                loss_fn: Callable[[Any], torch.Tensor] | None) -> dict[int, float]:
    """``||dL/dtheta||`` over each unit's own parameters at ``loss_fn(output)`` (by
    ``autograd.grad``: no ``.grad`` is written)."""
    if loss_fn is None:
        return {}
    loss = loss_fn(output)
    if not (isinstance(loss, torch.Tensor) and loss.numel() == 1):
        raise DepthscopeError("loss_fn must return a scalar tensor")
    owned = {i: [p for p in found[i][1].parameters() if p.requires_grad] for i in order}
    flat = [p for i in order for p in owned[i]]
    grads = torch.autograd.grad(loss, flat, retain_graph=True, allow_unused=True)
    norms, at = {}, 0
    for i in order:
        gs = grads[at : at + len(owned[i])]
        at += len(owned[i])
        sq = sum(float(g.detach().double().square().sum()) for g in gs if g is not None)
        norms[i] = math.sqrt(sq) if owned[i] else math.nan
    return norms
