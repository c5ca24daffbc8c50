"""``transform(act)``: the rescaled activation ``gain (phi(scale x + shift) + offset)``
that theory puts at the edge of chaos (DKS/TAT-style, Martens et al. 2021; Zhang et al.
2022), for any activation depthscope can resolve (name, module or function)."""

from __future__ import annotations

from typing import Any

from depthscope.fix.critical import ActLike, resolve


def transform(act: ActLike, *, q_star: float = 1.0, sigma_w: float = 1.0,
              sigma_b: float = 0.0) -> Any:
    """``theory.critical_transform`` for ``act``; ``.activation`` is the transformed one.

    Args:
        act: a registered name, an Activation, an activation module or a function.
        q_star: the fixed-point length ``q*`` the transformed net should keep.
        sigma_w, sigma_b: the weight and bias standard deviations the net will use.
    """
    from depthscope.theory import critical_transform

    return critical_transform(resolve(act), q_star=q_star, sigma_w=sigma_w, sigma_b=sigma_b)
