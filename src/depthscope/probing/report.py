"""The result of :func:`depthscope.probing`: per-unit rows, the verdict, a table and a figure."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from depthscope.probing.measure import Forward

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class UnitReport:
    """One unit: where it runs, what it is, its forward statistics and gradient measures."""

    index: int  # execution order
    name: str
    kind: str  # the module's class name
    forward: Forward
    apjn: float  # E ||d output / d h||_F^2 / numel(output)
    apjn_error: float  # standard error over the projections
    grad_norm: float  # ||dL/dtheta|| of the unit's own parameters at loss_fn (nan without)
    params: int

    @property
    def gradient_ratio(self) -> float:
        """``sqrt(APJN)``: the gradient norm here relative to the output's."""
        return math.sqrt(self.apjn) if self.apjn >= 0 else math.nan


@dataclass(frozen=True)
class Verdict:
    """``phase`` by the gain of the APJN over the units: ordered (gradients vanish towards the
    input: first/last APJN < 1/10, i.e. a per-unit gain below 10^(-1/n)), chaotic (> 10) or
    critical; where the gradient first (from the output back) shrank or grew 10³-fold in norm,
    and where the signal's RMS first (from the input) did; what to do."""

    phase: str
    per_unit_gain: float
    total_gain: float  # APJN of the first measured unit over the last's
    gradient_event: str | None  # e.g. "gradient shrank 1e3-fold at fc3 (unit 7)"
    signal_event: str | None
    recommendations: tuple[str, ...]
    branch_scale: float | None = None  # the residual-branch alpha recommended, if any


@dataclass(frozen=True)
class ProbeReport:
    """Every unit of the model, in the order it ran, and the verdict."""

    model: str
    units: tuple[UnitReport, ...]
    input_rms: float
    samples: int
    verdict: Verdict

    def to_dataframe(self) -> pd.DataFrame:
        """One row per unit: name, kind, forward statistics, APJN (and error), grad norm."""
        import pandas as pd

        rows = []
        for u in self.units:
            row = {"index": u.index, "name": u.name, "kind": u.kind, "params": u.params}
            row.update({k: v for k, v in asdict(u.forward).items() if k != "shape"})
            row["shape"] = "x".join(map(str, u.forward.shape))
            row.update(apjn=u.apjn, apjn_error=u.apjn_error, grad_norm=u.grad_norm)
            rows.append(row)
        return pd.DataFrame(rows)

    def __str__(self) -> str:
        v = self.verdict
        head = [f"{self.model}: {v.phase} (per-unit gradient gain {v.per_unit_gain:.4g}, "
                f"first/last APJN {v.total_gain:.3g})"]
        head += [f"  {event}" for event in (v.gradient_event, v.signal_event) if event]
        head += [f"  fix: {r}" for r in v.recommendations]
        rows = [f"{'#':>3} {'unit':<28} {'kind':<22} {'E h^2':>10} {'ch.mean^2':>10} "
                f"{'APJN':>10} {'±':>8}"]
        for u in self.units:
            rows.append(f"{u.index:>3} {u.name[:28]:<28} {u.kind[:22]:<22} "
                        f"{u.forward.second_moment:>10.4g} {u.forward.channel_mean_sq:>10.4g} "
                        f"{u.apjn:>10.4g} {u.apjn_error:>8.2g}")
        return "\n".join(head + rows)

    def plot(self, path: str | Path | None = None) -> Figure:
        """Signal Propagation Plot (Brock et al. 2021) and the APJN over the units, on log
        axes; saved to ``path`` when given."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(9, 4), layout="constrained")
        left, right = fig.subplots(1, 2)
        idx = [u.index for u in self.units]
        for key, label in (("second_moment", "E h²"), ("channel_mean_sq", "avg channel mean²"),
                           ("channel_variance", "avg channel variance"),
                           ("change_variance", "Var(block out − in)")):
            values = [getattr(u.forward, key) for u in self.units]
            if any(math.isfinite(x) and x > 0 for x in values):
                left.plot(idx, values, ".-", label=label)
        left.set(yscale="log", xlabel="unit (execution order)", title="forward signal")
        left.legend(fontsize=7)
        right.errorbar(idx, [u.apjn for u in self.units],
                       yerr=[2 * u.apjn_error for u in self.units], fmt=".-", capsize=2)
        right.axhline(1.0, color="k", lw=0.6, ls="--")
        right.set(yscale="log", xlabel="unit (execution order)",
                  title="APJN ‖∂output/∂h‖²/N (±2 s.e.)")
        fig.suptitle(f"{self.model}: {self.verdict.phase}", fontsize=9)
        if path is not None:
            fig.savefig(path, dpi=110)
        return fig
