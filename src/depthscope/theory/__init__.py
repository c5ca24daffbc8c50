"""Exact signal-propagation theory for any registered activation (NumPy/SciPy, float64).

* :func:`thresholds` — the Q&A's derivative thresholds of ``phi(n x)``, with verdicts;
* :func:`fixed_point`, :func:`chi1`, :func:`depth_scales`, :func:`phase` — mean-field
  signal propagation (Poole et al. 2016; Schoenholz et al. 2017);
* :func:`critical_sigma_w`, :func:`edge_of_chaos`, :func:`phase_diagram` — the edge of chaos;
* :func:`layerwise` — per-layer q and gradient ratios of a finite-depth net from ``q0``;
* :func:`gradient_distribution` — how often gradients vanish at finite width (log-normal);
* :mod:`depthscope.theory.network` — composable layers (Dense, Phi, Residual, LayerNorm) and
  :func:`~depthscope.theory.network.propagate` for plain, residual and normalised nets;
* :func:`block_scales`, :func:`length_fixed_point`, :func:`critical_scale` — a repeated block's
  fixed points, depth scales, phase and edge of chaos (:mod:`depthscope.theory.blocks`: the
  one solver behind every mean-field number above);
* :func:`branch_scale`, :func:`total_gain` — residual MLPs: the branch scale alpha that
  bounds the total gradient gain (Hayou et al. 2021; :mod:`depthscope.theory.residual`);
* :func:`jacobian_spectrum`, :func:`empirical_jacobian_spectrum` — Pennington et al. 2017;
* :func:`rescale_equivalent`, :func:`verify_rescaling` — ``phi(n x)`` vs rescaled ``phi(x)``;
* :func:`critical_transform` — ``gain (phi(scale x) + offset)`` at chi_1 = 1 with chosen q*;
* :func:`dks_transform`, :func:`tat_transform`, :func:`tat_leaky_relu` — depth-aware kernel
  shaping (DKS, Martens et al. 2021; TAT, Zhang et al. 2022) for the network shapes (a
  subnetwork maximising function, :mod:`depthscope.theory.shapes`) of an :class:`MLP`, a
  :class:`ResNet` or a :class:`CustomNetwork`; :func:`local_maps` — the local Q/C maps at q = 1.

``act`` is a registered name or an :class:`~depthscope.activations.Activation` everywhere;
``sigma_w``, ``sigma_b`` are standard deviations (``W_ij ~ N(0, sigma_w^2/fan_in)``).
"""

from depthscope.theory.blocks import (
    LengthFixedPoint,
    block_scales,
    critical_scale,
    length_fixed_point,
)
from depthscope.theory.edge import (
    EdgeOfChaos,
    PhaseDiagram,
    critical_sigma_w,
    edge_of_chaos,
    phase_diagram,
)
from depthscope.theory.finite_width import GradientDistribution, gradient_distribution
from depthscope.theory.layerwise import Layerwise, layerwise
from depthscope.theory.meanfield import (
    DepthScales,
    FixedPoint,
    chi1,
    depth_scales,
    fixed_point,
    phase,
)
from depthscope.theory.rescaling import (
    RescaleMapping,
    RescalingCheck,
    rescale_equivalent,
    verify_rescaling,
)
from depthscope.theory.residual import branch_scale, total_gain
from depthscope.theory.shapes import MLP, CustomNetwork, NetworkShape, ResNet
from depthscope.theory.shaping import (
    LocalMaps,
    ShapedActivation,
    dks_transform,
    local_maps,
    tat_leaky_relu,
    tat_transform,
)
from depthscope.theory.spectrum import (
    EmpiricalSpectrum,
    JacobianSpectrum,
    empirical_jacobian_spectrum,
    jacobian_spectrum,
)
from depthscope.theory.thresholds import BestScale, QACheck, Thresholds, best_scale, thresholds
from depthscope.theory.transform import CriticalTransform, critical_transform

__all__ = [
    "MLP",
    "BestScale",
    "CriticalTransform",
    "CustomNetwork",
    "DepthScales",
    "EdgeOfChaos",
    "EmpiricalSpectrum",
    "FixedPoint",
    "GradientDistribution",
    "JacobianSpectrum",
    "Layerwise",
    "LengthFixedPoint",
    "LocalMaps",
    "NetworkShape",
    "PhaseDiagram",
    "QACheck",
    "ResNet",
    "RescaleMapping",
    "RescalingCheck",
    "ShapedActivation",
    "Thresholds",
    "best_scale",
    "block_scales",
    "branch_scale",
    "chi1",
    "critical_scale",
    "critical_sigma_w",
    "critical_transform",
    "depth_scales",
    "dks_transform",
    "edge_of_chaos",
    "empirical_jacobian_spectrum",
    "fixed_point",
    "gradient_distribution",
    "jacobian_spectrum",
    "layerwise",
    "length_fixed_point",
    "local_maps",
    "phase",
    "phase_diagram",
    "rescale_equivalent",
    "tat_leaky_relu",
    "tat_transform",
    "thresholds",
    "total_gain",
    "verify_rescaling",
]
