"""Monte Carlo of gradient products: the Q&A's "probabilistic model" of ``g``.

The Q&A writes the gradient through ``K`` layers as ``g = prod_{k=1..K} phi'(x_k)`` and asks
how often it vanishes or explodes. Two sampling models, both vectorised:

* :func:`iid_products` — the Q&A's own picture: ``x_k`` i.i.d. ``N(0, q)``; then
  ``log|g| = sum_k log|phi'(x_k)|`` is a random walk with drift ``E[log|phi'(x)|]``
  (so ``g`` vanishes almost surely iff the drift is negative; law of large numbers).
* :func:`network_products` — random finite nets ``h^l = W^l phi(h^{l-1}) + b^l`` with
  ``W_ij ~ N(0, sigma_w^2/width)``, ``b_i ~ N(0, sigma_b^2)`` (Poole et al. 2016): the
  ``x_k`` are the pre-activations met along one unit path, and the true back-propagated
  gradient ratio ``||J t||`` (``J = dh^K/dh^0``, ``t`` a random unit vector) is recorded
  beside ``g``, since a real gradient also carries the weights.

``g`` vanishes if ``|g| < vanish`` and explodes if ``|g| > explode``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from depthscope.activations import Activation, get
from depthscope.errors import DepthscopeError


@dataclass(frozen=True)
class ProductStats:
    """Distribution of ``log10|g|`` at each depth ``K`` (rows of ``log10_g`` are samples)."""

    depths: tuple[int, ...]
    log10_g: np.ndarray  # (samples, len(depths))
    vanish: float
    explode: float

    @property
    def p_vanish(self) -> np.ndarray:
        """``P(|g| < vanish)`` per depth."""
        return np.mean(self.log10_g < math.log10(self.vanish), axis=0)

    @property
    def p_explode(self) -> np.ndarray:
        """``P(|g| > explode)`` per depth."""
        return np.mean(self.log10_g > math.log10(self.explode), axis=0)

    @property
    def median_log10(self) -> np.ndarray:
        """Median of ``log10|g|`` per depth."""
        return np.median(self.log10_g, axis=0)


def _check(depths: Sequence[int], samples: int, vanish: float, explode: float) -> tuple[int, ...]:
    ks = tuple(int(k) for k in depths)
    if not ks or min(ks) < 1:
        raise DepthscopeError(f"depths must be positive layer counts, got {list(depths)}")
    if samples < 1:
        raise DepthscopeError(f"the number of samples must be ≥ 1, got {samples}")
    if not 0 < vanish < 1 < explode:
        raise DepthscopeError(
            f"thresholds must satisfy 0 < vanish < 1 < explode, got {vanish:g}, {explode:g}"
        )
    return ks


def iid_products(
    act: str | Activation,
    depths: Sequence[int],
    samples: int,
    *,
    q: float = 1.0,
    seed: int = 0,
    vanish: float = 1e-6,
    explode: float = 1e6,
) -> ProductStats:
    """``g_K = prod_{k<=K} phi'(x_k)``, ``x_k ~ N(0, q)`` i.i.d., for each ``K`` in ``depths``."""
    ks = _check(depths, samples, vanish, explode)
    if not q > 0:
        raise DepthscopeError(f"the pre-activation variance q must be > 0, got {q:g}")
    act = get(act)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((samples, max(ks))) * math.sqrt(q)  # (S, Kmax)
    with np.errstate(divide="ignore"):
        logs = np.log10(np.abs(act.dphi(x)))  # (S, Kmax)
    cum = np.cumsum(logs, axis=1)  # (S, Kmax)
    return ProductStats(ks, cum[:, [k - 1 for k in ks]], vanish, explode)


@dataclass(frozen=True)
class NetworkProducts:
    """Path products ``g`` and true gradient ratios of sampled nets at init."""

    path: ProductStats  # prod of phi'(x_k) along unit paths, samples = nets * width
    jacobian: ProductStats  # ||J t|| for a unit t, samples = nets


@torch.no_grad()
def network_products(
    act: str | Activation,
    depths: Sequence[int],
    nets: int,
    width: int,
    sigma_w: float | np.ndarray,
    sigma_b: float | np.ndarray = 0.0,
    *,
    q0: float = 1.0,
    seed: int = 0,
    device: str = "cpu",
    vanish: float = 1e-6,
    explode: float = 1e6,
) -> NetworkProducts:
    """Sample ``nets`` Gaussian MLPs of ``width`` units and ``max(depths)`` layers.

    ``sigma_w`` and ``sigma_b`` are scalars or one value per net (shape ``(nets,)``), so a
    whole phase diagram is one vectorised call.

    Inputs ``h^0 ~ N(0, q0)``; layer ``l`` computes ``h^l = W^l phi(h^{l-1}) + b^l``, so
    ``J = dh^K/dh^0 = prod_{l=K..1} W^l diag(phi'(h^{l-1}))``. The path product
    ``prod_{l<=K} phi'(h^{l-1}_j)`` (the same ``K`` slopes ``J`` contains) is taken for every
    unit ``j`` (units are exchangeable, so each is a random path). The gradient ratio is
    ``||J t||`` for a random unit vector ``t``, propagated forward beside ``h`` as
    ``t^l = W^l (phi'(h^{l-1}) * t^{l-1})``; for Gaussian weights ``E||J t||^2 =
    tr(J^T J)/width = E||J^T u||^2``, the back-propagated gradient's mean square.
    """
    ks = _check(depths, nets, vanish, explode)
    sw = np.broadcast_to(np.asarray(sigma_w, dtype=np.float64), (nets,)).copy()
    sb = np.broadcast_to(np.asarray(sigma_b, dtype=np.float64), (nets,)).copy()
    if width < 1 or not np.all(sw > 0) or not np.all(sb >= 0) or not q0 > 0:
        raise DepthscopeError(
            f"need width ≥ 1, sigma_w > 0, sigma_b ≥ 0 and q0 > 0; got width {width}, "
            f"sigma_w in [{sw.min():g}, {sw.max():g}], sigma_b in [{sb.min():g}, {sb.max():g}], "
            f"q0 {q0:g}"
        )
    act = get(act)
    gen = torch.Generator(device=device).manual_seed(seed)
    kw = {"generator": gen, "device": device, "dtype": torch.float64}
    w_std = torch.as_tensor(sw / math.sqrt(width), device=device).view(nets, 1, 1)  # (M, 1, 1)
    b_std = torch.as_tensor(sb, device=device).view(nets, 1)  # (M, 1)
    kmax = max(ks)
    h = torch.randn(nets, width, **kw) * math.sqrt(q0)  # (M, w): h^0
    t = torch.randn(nets, width, **kw)  # (M, w)
    t = t / t.norm(dim=1, keepdim=True)  # (M, w): unit tangent at h^0
    path_cols, jac_cols = [], []
    log_path = torch.zeros(nets, width, device=device, dtype=torch.float64)  # (M, w)
    for layer in range(1, kmax + 1):
        slope = act.dphi(h)  # (M, w): phi'(h^{l-1})
        log_path = log_path + torch.log10(slope.abs())
        w = torch.randn(nets, width, width, **kw) * w_std  # (M, w, w)
        b = torch.randn(nets, width, **kw) * b_std  # (M, w)
        h = torch.bmm(w, act.phi(h).unsqueeze(-1)).squeeze(-1) + b  # (M, w): h^l
        t = torch.bmm(w, (slope * t).unsqueeze(-1)).squeeze(-1)  # (M, w): J_l t
        if layer in ks:
            path_cols.append(log_path.reshape(-1).clone())  # (M*w,)
            jac_cols.append(torch.log10(t.norm(dim=1)))  # (M,)
    path = torch.stack(path_cols, dim=1).cpu().numpy()  # (M*w, len(ks))
    jac = torch.stack(jac_cols, dim=1).cpu().numpy()  # (M, len(ks))
    return NetworkProducts(
        ProductStats(ks, path, vanish, explode), ProductStats(ks, jac, vanish, explode)
    )
