"""``depthscope.probing``: how signals and gradients propagate through any model at init.

:func:`probe` measures every unit (layers, residual blocks, Transformer layers) once:
forward statistics (Brock et al. 2021's Signal Propagation Plots), the averaged partial
Jacobian norm to the output (Doshi, He & Gromov 2023) and, with a loss, each unit's parameter
gradient; its verdict says ordered / critical / chaotic and computes fixes for this model.
"""

from depthscope.probing.core import probe
from depthscope.probing.report import ProbeReport, UnitReport, Verdict
from depthscope.probing.units import units

__all__ = ["ProbeReport", "UnitReport", "Verdict", "probe", "units"]
