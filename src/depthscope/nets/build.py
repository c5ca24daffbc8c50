"""Deep MLPs from an :class:`MLPSpec`: ``Linear → phi → … → Linear`` (linear read-out), or
with residual blocks ``h + alpha (W phi(LN(h)) + b)`` (:class:`ResidualBlock`)."""

from __future__ import annotations

import itertools

import torch
from torch import nn

from depthscope import init
from depthscope.nets.spec import MLPSpec
from depthscope.nn import Activation

LAYERNORM_EPS = 1e-5  # torch's default; the ensemble trainer uses the same


class ResidualBlock(nn.Module):
    """``h -> h + alpha (W phi(norm(h)) + b)``; ``norm`` is a LayerNorm without learned gain
    or bias (``layernorm=True``) or the identity."""

    def __init__(self, width: int, activation: Activation, alpha: float = 1.0,
                 layernorm: bool = False, bias: bool = True,
                 dtype: torch.dtype = torch.float64) -> None:
        super().__init__()
        self.norm = (nn.LayerNorm(width, eps=LAYERNORM_EPS, elementwise_affine=False,
                                  dtype=dtype) if layernorm else nn.Identity())
        self.activation = activation
        self.linear = nn.Linear(width, width, bias=bias, dtype=dtype)
        self.alpha = alpha

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return h + self.alpha * self.linear(self.activation(self.norm(h)))

    def extra_repr(self) -> str:
        return f"alpha={self.alpha:g}"


def build(
    spec: MLPSpec,
    *,
    seed: int = 0,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
    data: torch.Tensor | None = None,
) -> nn.Sequential:
    """The network ``spec`` describes, initialised by ``spec.init`` with ``seed``.

    Parameters are drawn on the CPU in float64 from ``torch.Generator().manual_seed(seed)``
    and then cast, so a seed gives the same network on every device and dtype (up to
    rounding). ``data`` (N, in_features) feeds data-dependent inits (LSUV). A residual spec
    draws the same weights as the plain one (its Linear layers come in the same order).

    Args:
        spec: the network (:class:`~depthscope.nets.MLPSpec`).
        seed: the generator's seed (the global RNG is never touched).
        device, dtype: where the parameters live and their type.
        data: example inputs for data-dependent inits.

    Returns:
        An ``nn.Sequential`` of ``Linear`` and :class:`depthscope.nn.Activation` layers (and
        ``ResidualBlock`` for residual specs).

    Example:
        >>> import torch
        >>> from depthscope import MLPSpec, build_mlp
        >>> spec = MLPSpec(depth=2, width=8, in_features=4, out_features=3, init="he",
        ...                activation="relu")
        >>> a, b = build_mlp(spec, seed=7), build_mlp(spec, seed=7, dtype=torch.float64)
        >>> torch.equal(a[2].weight, b[2].weight.float())  # one seed, one net
        True
    """
    sizes = [spec.in_features] + [spec.width] * spec.depth + [spec.out_features]
    layers: list[nn.Module] = []

    def activation() -> Activation:
        return Activation(spec.activation, **spec.activation_params)

    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        if spec.residual and 0 < i < spec.depth:
            layers.append(ResidualBlock(spec.width, activation(), spec.alpha, spec.layernorm,
                                        spec.bias))
            continue
        if i > 0:
            layers.append(activation())
        layers.append(nn.Linear(fan_in, fan_out, bias=spec.bias, dtype=torch.float64))
    net = nn.Sequential(*layers)
    generator = torch.Generator().manual_seed(seed)
    x = None if data is None else data.detach().to("cpu", torch.float64)
    init.by_name_(net, spec.init, sigma_w=spec.sigma_w, sigma_b=spec.sigma_b,
                  activation=spec.act, data=x, generator=generator)
    if spec.readout == "standard":
        init.glorot_standard_(layers[-1], generator=generator)
    return net.to(device=device, dtype=dtype)
