"""What a probe measures on each unit (forward statistics, partial Jacobian norms, gradients).

* Forward (Brock et al. 2021, "Characterizing signal propagation to close the performance gap
  in unnormalized ResNets", Signal Propagation Plots): of the unit's output ``h``, the mean and
  variance over all entries, the second moment ``E h^2``, the average squared channel mean
  ``mean_c (E_c h)^2`` and the average channel variance ``mean_c Var_c h``; for a composite
  unit whose output has its input's shape, ``Var(h_out - h_in)`` (a residual block's branch).
* Backward (Doshi, He & Gromov 2023, the averaged partial Jacobian norm): ``APJN_l =
  E ||dh_L/dh_l||_F^2 / N_L`` with ``h_L`` the model's output, estimated from ``samples``
  random projections ``v ~ N(0, I)``: ``E_v ||J^T v||^2 = ||J||_F^2``, so ``APJN_l = mean_v
  ||grad_{h_l} (v · h_L)||^2 / numel(h_L)``, with the standard error over the projections.
  On an MLP of width N, ``APJN_l = prod_{k >= l} chi^k`` (the mean field's gradient ratio).
  Tensors with positions (batch, tokens, pixels: ``numel / channels``) are compared per
  position: ``APJN_l`` is multiplied by ``positions(h_l) / positions(h_L)``, so a global
  average pool over ``S`` pixels, which spreads each output's gradient over ``S`` inputs as
  ``1/S`` each, does not read as a ``S``-fold vanishing (an MLP is unchanged: both are the
  batch).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

CHANNEL_FIRST = (nn.modules.conv._ConvNd, nn.modules.batchnorm._BatchNorm,
                 nn.modules.instancenorm._InstanceNorm, nn.GroupNorm,
                 nn.modules.pooling._AvgPoolNd, nn.modules.pooling._MaxPoolNd)


@dataclass(frozen=True)
class Forward:
    """Forward statistics of one unit's output (float64 reductions)."""

    shape: tuple[int, ...]
    mean: float
    variance: float
    second_moment: float
    channel_mean_sq: float
    channel_variance: float
    change_variance: float  # Var(out - in) of a same-shape composite unit, else nan


def channel_axis(module: nn.Module | None, h: torch.Tensor) -> int | None:
    """Channels: dim 1 for convolution-like modules and 2-D/4-D+ outputs, the last dim of a
    3-D sequence output ``(batch, tokens, features)``; none for 1-D."""
    if h.dim() < 2:
        return None
    if h.dim() == 3 and not isinstance(module, CHANNEL_FIRST):
        return 2
    return 1


def forward_stats(module: nn.Module, h: torch.Tensor, x: torch.Tensor | None,
                  composite: bool) -> Forward:
    """:class:`Forward` of output ``h`` (input ``x``, for the change of a composite unit)."""
    h64 = h.detach().to(torch.float64)
    axis = channel_axis(module, h64)
    if axis is None:
        ch_mean_sq = ch_var = math.nan
    else:
        per = h64.movedim(axis, 0).reshape(h64.shape[axis], -1)
        ch_var_t, ch_mean_t = torch.var_mean(per, dim=1, correction=0)
        ch_mean_sq, ch_var = float(ch_mean_t.square().mean()), float(ch_var_t.mean())
    change = math.nan
    if composite and x is not None and x.shape == h.shape and x.is_floating_point():
        change = float((h64 - x.detach().to(torch.float64)).var(correction=0))
    var, mean = torch.var_mean(h64, correction=0)
    return Forward(tuple(h.shape), float(mean), float(var), float(h64.square().mean()),
                   ch_mean_sq, ch_var, change)


def positions(module: nn.Module | None, h: torch.Tensor) -> int:
    """``numel / channels`` of ``h`` (channels by :func:`channel_axis`)."""
    axis = channel_axis(module, h)
    return h.numel() // h.shape[axis] if axis is not None else 1


def apjn(output: torch.Tensor, hidden: list[torch.Tensor], hidden_positions: list[int],
         samples: int, generator: torch.Generator) -> tuple[list[float], list[float]]:
    """``APJN`` of each of ``hidden`` (tensors on ``output``'s graph, with their number of
    positions) and its standard error over ``samples`` projections (nan where a tensor does
    not reach the output)."""
    sums: list[list[float]] = [[] for _ in hidden]
    scale = [p / positions(None, output) / output.numel() for p in hidden_positions]
    for _ in range(samples):
        v = torch.randn(output.shape, generator=generator, dtype=output.dtype,
                        device=output.device)
        grads = torch.autograd.grad(output, hidden, grad_outputs=v, retain_graph=True,
                                    allow_unused=True)
        for i, g in enumerate(grads):
            sums[i].append(math.nan if g is None else
                           float(g.detach().to(torch.float64).square().sum()) * scale[i])
    means, errors = [], []
    for values in sums:
        t = torch.tensor(values, dtype=torch.float64)
        means.append(float(t.mean()))
        errors.append(float(t.std(correction=1)) / math.sqrt(samples) if samples > 1
                      else math.nan)
    return means, errors
