"""The Q&A's last answer made exact: ``phi(n x)`` is ``phi(x)`` with rescaled parameters.

A net with hidden pre-activations ``z^l = W^l a^{l-1} + b^l`` and ``a^l = phi(n z^l)`` computes
the same function as the ``phi(x)`` net with ``W~^l = n W^l``, ``b~^l = n b^l`` (hidden layers
only; the read-out is unchanged). With ``L~(theta~) = L(theta~/n)`` the gradients obey
``grad~ = grad / n``, hence (the comment thread's correction, derived):

* SGD: ``theta~ <- theta~ - lr~ grad~`` stays ``n theta`` iff ``lr~ = n^2 lr``;
* SGD with (Nesterov) momentum: the buffer is ``v~ = v/n``, so again ``lr~ = n^2 lr``
  with the same momentum coefficient;
* Adam: ``m~ = m/n``, ``v~ = v/n^2``, update ``m~/(sqrt(v~) + eps~) = m/(sqrt(v) + n eps~)``:
  exact iff ``lr~ = n lr`` **and** ``eps~ = eps/n``; with the same ``eps`` it is only
  approximate (exact as ``eps -> 0``);
* the read-out layer's learning rate (and eps) stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch

from depthscope.errors import DepthscopeError
from depthscope.theory.maps import ActLike, as_activation

Optimizer = Literal["sgd", "momentum", "adam"]


@dataclass(frozen=True)
class RescaleMapping:
    """How to map a ``phi(n x)`` net and its optimiser onto a ``phi(x)`` net."""

    n: float
    param_factor: float  # hidden-layer weights and biases are multiplied by this
    lr_factor: float  # hidden-layer learning rate is multiplied by this
    eps_factor: float  # Adam's eps for hidden layers is multiplied by this (1 otherwise)
    readout_factor: float = 1.0  # read-out parameters, lr and eps are unchanged


def rescale_equivalent(n: float, optimizer: Optimizer = "sgd") -> RescaleMapping:
    """The exact mapping for ``optimizer`` (see the module docstring for the derivation)."""
    if not n > 0:
        raise DepthscopeError(f"n must be > 0, got {n!r}")
    if optimizer in ("sgd", "momentum"):
        return RescaleMapping(n, n, n * n, 1.0)
    if optimizer == "adam":
        return RescaleMapping(n, n, n, 1.0 / n)
    raise DepthscopeError(f"optimizer must be 'sgd', 'momentum' or 'adam', got {optimizer!r}")


@dataclass(frozen=True)
class RescalingCheck:
    """Largest ``|theta~/n - theta|`` (hidden) and ``|theta~ - theta|`` (read-out) seen."""

    optimizer: str
    n: float
    steps: int
    scale_eps: bool
    max_param_diff: float
    max_output_diff: float
    final_loss: float


def _make_optimizer(name: Optimizer, groups: list[dict], momentum: float) -> torch.optim.Optimizer:
    if name == "adam":
        return torch.optim.Adam(groups)
    return torch.optim.SGD(groups, momentum=momentum if name == "momentum" else 0.0)


def verify_rescaling(
    n: float = 3.0, optimizer: Optimizer = "sgd", *, act: ActLike = "tanh", steps: int = 50,
    depth: int = 3, width: int = 16, lr: float = 0.01, momentum: float = 0.9, eps: float = 1e-8,
    scale_eps: bool = True, seed: int = 0,
) -> RescalingCheck:
    """Train the ``phi(n x)`` net and its ``phi(x)`` equivalent side by side (float64).

    Full-batch MSE on a fixed random regression task; both use torch's own optimisers with
    the mapping of :func:`rescale_equivalent` (``scale_eps=False`` keeps Adam's eps as is).
    """
    mapping = rescale_equivalent(n, optimizer)
    base = as_activation(act)
    scaled = base.with_transform(scale=n)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(64, width, generator=gen, dtype=torch.float64)  # (B, width)
    y = torch.randn(64, 1, generator=gen, dtype=torch.float64)  # (B, 1)
    hidden = [
        (torch.randn(width, width, generator=gen, dtype=torch.float64) / width**0.5,
         0.1 * torch.randn(width, generator=gen, dtype=torch.float64))
        for _ in range(depth)
    ]
    readout = (torch.randn(1, width, generator=gen, dtype=torch.float64) / width**0.5,
               torch.zeros(1, dtype=torch.float64))
    nets = []
    for phi, factor in ((scaled, 1.0), (base, mapping.param_factor)):
        hid = [p.mul(factor).requires_grad_() for layer in hidden for p in layer]
        out = [p.clone().requires_grad_() for p in readout]
        nets.append((phi, hid, out))
    groups_a = [{"params": nets[0][1] + nets[0][2], "lr": lr}]
    eps_b = eps * (mapping.eps_factor if scale_eps else 1.0)
    groups_b = [{"params": nets[1][1], "lr": lr * mapping.lr_factor},
                {"params": nets[1][2], "lr": lr}]
    if optimizer == "adam":
        groups_a[0]["eps"] = eps
        groups_b[0]["eps"], groups_b[1]["eps"] = eps_b, eps
    opts = [_make_optimizer(optimizer, g, momentum) for g in (groups_a, groups_b)]

    def loss_of(phi, hid, out) -> torch.Tensor:
        a = x
        for w, b in zip(hid[::2], hid[1::2], strict=True):
            a = phi(a @ w.T + b)  # (B, width)
        return ((a @ out[0].T + out[1] - y) ** 2).mean()

    max_param = max_out = 0.0
    loss = torch.tensor(0.0)
    for _ in range(steps):
        for (phi, hid, out), opt in zip(nets, opts, strict=True):
            opt.zero_grad()
            loss = loss_of(phi, hid, out)
            loss.backward()
            opt.step()
        with torch.no_grad():
            for pa, pb in zip(nets[0][1], nets[1][1], strict=True):
                max_param = max(max_param, float((pb / mapping.param_factor - pa).abs().max()))
            for pa, pb in zip(nets[0][2], nets[1][2], strict=True):
                max_out = max(max_out, float((pb - pa).abs().max()))
    return RescalingCheck(optimizer, float(n), steps, scale_eps, max_param, max_out,
                          float(loss.detach()))
