"""``probe(model, inputs)``: signal propagation of any model, measured once, before training
(or at any checkpoint), leaving the model and the global RNG exactly as they were."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from depthscope.errors import DepthscopeError
from depthscope.probing.measure import apjn, forward_stats
from depthscope.probing.report import ProbeReport, UnitReport
from depthscope.probing.units import is_composite, units
from depthscope.probing.verdict import verdict


def _first_tensor(value: Any) -> torch.Tensor | None:
    """The first floating tensor in a module's output or arguments (tuples, lists, dicts and
    Hugging Face ``ModelOutput``s, which are dicts)."""
    if isinstance(value, torch.Tensor):
        return value if value.is_floating_point() else None
    items = value.values() if isinstance(value, dict) else value
    if isinstance(items, (tuple, list)) or hasattr(items, "__iter__"):
        for item in items:
            if isinstance(item, (torch.Tensor, tuple, list, dict)):
                found = _first_tensor(item)
                if found is not None:
                    return found
    return None


@contextmanager
def _preserved(model: nn.Module) -> Iterator[None]:
    """Parameters, buffers (BatchNorm's running statistics), ``.grad``, train/eval modes and
    the global RNG (dropout draws from it) restored on exit."""
    state = {k: v.detach().clone() for k, v in model.state_dict(keep_vars=True).items()}
    grads = {p: None if p.grad is None else p.grad.clone() for p in model.parameters()}
    modes = {m: m.training for m in model.modules()}
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_initialized() else []
    with torch.random.fork_rng(devices=devices):
        try:
            yield
        finally:
            with torch.no_grad():
                for key, value in model.state_dict(keep_vars=True).items():
                    value.copy_(state[key])
            for p, g in grads.items():
                p.grad = g
            for m, training in modes.items():
                m.train(training)


def _call(model: nn.Module, inputs: Any) -> Any:
    if isinstance(inputs, dict):
        return model(**inputs)
    if isinstance(inputs, (tuple, list)):
        return model(*inputs)
    return model(inputs)


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
            out = _first_tensor(output)
            if index not in seen and out is not None:
                seen[index] = (len(seen), _first_tensor(args), out)
        return record

    with _preserved(model):
        handles = [m.register_forward_hook(hook(i)) for i, (_, m) in enumerate(found)]
        try:
            with torch.enable_grad():
                try:
                    output = _call(model, inputs)
                except (RuntimeError, TypeError, ValueError, IndexError) as err:
                    first = str(err).strip().splitlines()[0] if str(err).strip() else ""
                    raise DepthscopeError(f"the inputs do not fit {type(model).__name__}: "
                                          f"{type(err).__name__}: {first}") from err
        finally:
            for h in handles:
                h.remove()
        y = _first_tensor(output)
        if y is None or not y.requires_grad:
            raise DepthscopeError(f"{type(model).__name__}'s output has no floating tensor on "
                                  "the autograd graph to measure gradients from")
        order = sorted(seen, key=lambda i: seen[i][0])
        hidden = [seen[i][2] for i in order]
        reach = [h for h in hidden if h.requires_grad]
        gen = torch.Generator(device=y.device).manual_seed(seed)
        means, errors = apjn(y, reach, samples, gen)
        by_id = {id(h): (m, e) for h, m, e in zip(reach, means, errors, strict=True)}
        grad_norms = _grad_norms(found, order, output, loss_fn)
        reports = []
        for k, i in enumerate(order):
            name, module = found[i]
            _, x, h = seen[i]
            m, e = by_id.get(id(h), (math.nan, math.nan))
            reports.append(UnitReport(
                k, name, type(module).__name__, forward_stats(module, h, x, is_composite(module)),
                m, e, grad_norms.get(i, math.nan), sum(p.numel() for p in module.parameters())))
        first_in = _first_tensor(inputs if isinstance(inputs, (tuple, list, dict))
                                 else (inputs,))
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
