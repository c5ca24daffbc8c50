"""NetworkShape shapes for kernel shaping: how a layer's local map becomes the network's map.

DKS and TAT (Martens et al. 2021, "Summary of our method"; Zhang et al. 2022, appendix
"Additional details and pseudocode") set a *network-level* quantity — the slope ``C'_f(1)``,
the curvature ``C''_f(1)`` or the value ``C_f(0)`` of the network's correlation map ``f`` —
through the *subnetwork maximising function* ``M(x, r)``: the network's map with every
nonlinear layer's local map replaced by ``r`` and every affine combination kept, maximised over
the network's subnetworks. From it:

* maximal slope ``s -> M(1, y -> s y)`` (composition of slopes is multiplication);
* maximal curvature ``c -> M(0, y -> c + y)`` (at ``C'(1) = 1`` curvatures add);
* maximal value at 0 ``M(0, C_local)`` (TReLU, with the leaky-ReLU map itself).

Every shape here is increasing in ``r``: a larger local value never lowers the network's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from depthscope.errors import DepthscopeError

LocalMap = Callable[[float], float]
SubnetMax = Callable[[float, LocalMap], float]


@runtime_checkable
class NetworkShape(Protocol):
    """A network shape: ``subnet_max(x, r)`` and the number of nonlinear layers on its longest
    path (``depth``)."""

    depth: int

    def subnet_max(self, x: float, r: LocalMap) -> float: ...


def _repeat(r: LocalMap, x: float, times: int) -> float:
    for _ in range(times):
        x = r(x)
    return x


def _check_count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise DepthscopeError(f"{name} must be an integer >= 1, got {value!r}")
    return value


@dataclass(frozen=True)
class MLP:
    """A chain of ``depth`` nonlinear layers: ``M(x, r) = r^depth(x)`` (every subnetwork is a
    shorter chain, and ``r^k(x)`` grows with ``k`` for the increasing maps used here)."""

    depth: int

    def __post_init__(self) -> None:
        _check_count("depth", self.depth)

    def subnet_max(self, x: float, r: LocalMap) -> float:
        return _repeat(r, x, self.depth)

    def __str__(self) -> str:
        return f"MLP of depth {self.depth}"


@dataclass(frozen=True)
class ResNet:
    """``blocks`` residual blocks, each ``x -> w² x + (1 − w²) r^k(x)`` with ``k =
    block_depth`` nonlinear layers on the branch and shortcut weight ``w`` (Martens et al.
    2021, §"Residual networks"; Zhang et al. 2022). ``M`` is the larger of the whole network
    and one branch alone (the branch is a subnetwork too)."""

    blocks: int
    block_depth: int = 2
    shortcut_weight: float = 0.6

    def __post_init__(self) -> None:
        _check_count("blocks", self.blocks)
        _check_count("block_depth", self.block_depth)
        if not 0.0 <= self.shortcut_weight < 1.0:
            raise DepthscopeError(
                f"shortcut_weight must be in [0, 1), got {self.shortcut_weight!r} "
                "(1 would leave no residual branch)")

    @property
    def depth(self) -> int:
        return self.blocks * self.block_depth

    def subnet_max(self, x: float, r: LocalMap) -> float:
        w2 = self.shortcut_weight**2
        branch = _repeat(r, x, self.block_depth)
        for _ in range(self.blocks):
            x = w2 * x + (1.0 - w2) * _repeat(r, x, self.block_depth)
        return max(x, branch)

    def __str__(self) -> str:
        return (f"ResNet of {self.blocks} blocks x {self.block_depth} layers, shortcut weight "
                f"{self.shortcut_weight:g}")


@dataclass(frozen=True)
class CustomNetwork:
    """Any architecture, given its subnetwork maximising function ``fn(x, r)`` (as DKS's own
    ``subnet_max_func``) and its longest path's number of nonlinear layers."""

    fn: SubnetMax
    depth: int
    name: str = "custom network"

    def subnet_max(self, x: float, r: LocalMap) -> float:
        return float(self.fn(x, r))

    def __str__(self) -> str:
        return self.name


ShapeLike = int | NetworkShape


def as_shape(depth: ShapeLike) -> NetworkShape:
    """``int`` -> :class:`MLP` of that depth; a :class:`NetworkShape` passes through."""
    if isinstance(depth, NetworkShape):
        return depth
    if isinstance(depth, int) and not isinstance(depth, bool):
        return MLP(depth)
    raise DepthscopeError(
        f"depth must be an integer >= 1 or a network (MLP, ResNet, CustomNetwork), got {depth!r}")
