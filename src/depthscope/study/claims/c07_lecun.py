"""Claim 7: LeCun's 1.7159·tanh(2x/3) — its stated properties, and how it trains vs tanh."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import integrate
from scipy.stats import norm

from depthscope.activations import get
from depthscope.report.figures import plot
from depthscope.study import stats
from depthscope.study.claims import QA, ClaimInfo
from depthscope.study.context import Context
from depthscope.study.experiments import data_loader, depth_sweep
from depthscope.study.result import ClaimResult, Table
from depthscope.train import RunConfig

if TYPE_CHECKING:
    import torch

    from depthscope.data import Dataset

INFO = ClaimInfo(
    "7", QA + " — comment citing LeCun et al. 1998",
    "1.7159·tanh(2x/3) is a commonly used variant of tanh: f(±1) = ±1, |f''| is largest near "
    "x = 1, its gain is close to 1 (unit-variance inputs give roughly unit-variance outputs), "
    "and it trains better than plain tanh.",
    "Compute f(1), the argmax of |f''| on x > 0 (grid + activation closed forms), the slope "
    "at 0 and the output standard deviation sqrt(E[f(z)²]) for z ~ N(0, 1) (adaptive "
    "quadrature); then compare trainable depth "
    "and test accuracy of tanh and LeCun's tanh in the depth sweep (its protocol: tuned lr, "
    "5 evaluation seeds), both with LeCun's own initialisation N(0, 1/fan_in), paired over "
    "the shared seeds. LeCun's tanh is tanh with its input scaled by 2/3 and its output by "
    "1.7159: the net computes exactly what a tanh net computes with every weight (and bias) "
    "scaled per layer (first layer ×2/3, hidden ×1.144, read-out ×1.7159; the gain of claim "
    "6). So the gain is split in two with a third arm, plain tanh under LeCun's init with "
    "every weight ×1.144 (the same draw; the same signal propagation through the hidden "
    "layers): the weight scale's part (tanh×1.144 − tanh) and the rest, the activation's "
    "own (LeCun's tanh − tanh×1.144).",
    trains=True,
)
RULE = ("The stated properties: f(1) = 1 to 1e-3, argmax |f''| within 0.25 of 1, std f(z) within "
        "0.2 of 1. \"Trains better\": the difference in test accuracy (LeCun's tanh − tanh, "
        "averaged over the depths and learnable data sets; paired: the same seeds resampled "
        "for both arms) has a 95 % interval above 0 → holds, unless the activation's own part "
        "(LeCun's tanh − tanh with weights ×1.144, paired likewise) has an interval reaching "
        "0 or below → holds with caveats (the gain is the weight scale's); at or below 0 → "
        "does not hold (it trains no better); across 0 → inconclusive. A property that is "
        "off → does not hold.")
#: LeCun's tanh is ``A·tanh(B x)`` (the registry's ``lecun_tanh`` preset)
A, B = get("lecun_tanh").gain, get("lecun_tanh").scale
#: the depth, steps and lr of the side-by-side run of LeCun's tanh and its tanh twin
TWIN_DEPTH, TWIN_LR = 16, 0.01
TWIN = "LeCun's tanh vs its tanh twin: max rel. loss difference"
ARGMAX = "argmax |f''| (x > 0)"
STD = "std of f(z), z ~ N(0,1)"
SLOPE = "f'(0)"


def properties() -> dict[str, float]:
    """f(1), argmax_{x>0} |f''(x)|, f'(0) and sqrt(E[f(z)^2]) for LeCun's tanh."""
    act = get("lecun_tanh")
    x = np.linspace(1e-4, 5.0, 500_001)
    second_moment, _ = integrate.quad(lambda z: float(act.phi(z)) ** 2 * norm.pdf(z),
                                      -np.inf, np.inf)
    return {"f(1)": float(act.phi(np.float64(1.0))),
            ARGMAX: float(x[np.argmax(np.abs(act.d2phi(x)))]),
            SLOPE: act.meta.slope_at_0,
            STD: float(np.sqrt(second_moment))}


def layer_scales(depth: int) -> list[tuple[float, float]]:
    """(weight, bias) factors that turn a LeCun's-tanh net into the tanh net computing the same
    function: ``A·tanh(B h)`` feeds the next layer, so layer ``l``'s input carries ``A`` (but
    the first) and its output ``B`` (but the read-out's): weights ×B, ×AB, …, ×A; biases ×B,
    …, ×1 for layers 0 … depth (the read-out)."""
    return [(B if j == 0 else (A if j == depth else A * B), 1.0 if j == depth else B)
            for j in range(depth + 1)]


def tanh_twin(lecun: torch.nn.Sequential, cfg: RunConfig, in_features: int, classes: int,
              lr: float) -> tuple[torch.nn.Sequential, list[dict[str, object]]]:
    """The tanh net that computes what the LeCun's-tanh net ``lecun`` (built from ``cfg``)
    computes, and SGD parameter groups under which it also *trains* the same way.

    With ``θ' = s θ`` the loss is ``L(θ'/s)``, so ``g' = g/s``; momentum SGD (``v = μ v + g;
    θ -= lr v``) keeps ``θ' = s θ`` at every step iff each parameter's lr is ``s² lr``
    (LeCun et al. 1998's activation is a reparametrisation: per-layer weight scales and
    per-layer learning rates).
    """
    import torch

    from depthscope.nets import build

    twin = build(cfg.model_copy(update={"activation": "tanh"}).mlp_spec(in_features, classes),
                 seed=cfg.seed, dtype=next(lecun.parameters()).dtype)
    src = [m for m in lecun if isinstance(m, torch.nn.Linear)]
    dst = [m for m in twin if isinstance(m, torch.nn.Linear)]
    groups: list[dict[str, object]] = []
    with torch.no_grad():
        for (s, t), (sw, sb) in zip(zip(src, dst, strict=True), layer_scales(len(src) - 1),
                                    strict=True):
            t.weight.copy_(sw * s.weight)
            t.bias.copy_(sb * s.bias)
            groups += [{"params": [t.weight], "lr": lr * sw**2},
                       {"params": [t.bias], "lr": lr * sb**2}]
    return twin, groups


def twin_difference(dataset: Dataset, depth: int, width: int, steps: int, batch_size: int,
                    lr: float, seed: int = 0) -> float:
    """Train a LeCun's-tanh net (LeCun init, momentum 0.9, the study's optimiser) and its
    :func:`tanh_twin` side by side on the same minibatches of ``dataset`` in float64; the
    largest relative difference of their training losses over ``steps`` steps (rounding
    only: ~1e-13)."""
    import torch

    from depthscope.nets import build

    data = dataset.to(dtype=torch.float64)
    cfg = RunConfig(dataset=dataset.card.name, activation="lecun_tanh", init="lecun",
                    depth=depth, width=width, seed=seed)
    lecun = build(cfg.mlp_spec(data.in_features, data.num_classes), seed=seed,
                  dtype=torch.float64)
    twin, groups = tanh_twin(lecun, cfg, data.in_features, data.num_classes, lr)
    optimizers = [torch.optim.SGD(lecun.parameters(), lr=lr, momentum=0.9),
                  torch.optim.SGD(groups, lr=lr, momentum=0.9)]  # type: ignore[arg-type]
    batches = torch.Generator().manual_seed(seed)
    worst = 0.0
    for _ in range(steps):
        idx = torch.randint(len(data.train), (batch_size,), generator=batches)
        x, y = data.train.X[idx], data.train.y[idx]
        losses = []
        for net, opt in zip((lecun, twin), optimizers, strict=True):
            loss = torch.nn.functional.cross_entropy(net(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        worst = max(worst, abs(losses[1] - losses[0]) / abs(losses[0]))
    return worst


def decide(props: dict[str, float], gain: stats.Interval, depth_lecun: stats.Interval,
           depth_tanh: stats.Interval, own: stats.Interval, scale: stats.Interval
           ) -> tuple[str, str]:
    """:data:`RULE` on the properties, the accuracy gain's interval and its two parts (the
    activation's ``own`` and the weight ``scale``'s)."""
    ok = (abs(props["f(1)"] - 1) < 1e-3 and abs(props[ARGMAX] - 1) < 0.25
          and abs(props[STD] - 1) < 0.2)
    text = (f"f(1) = {props['f(1)']:.5f}, |f''| peaks at x = "
            f"{props[ARGMAX]:.3f}, "
            f"std f(z) = {props[STD]:.3f} for z ~ N(0, 1), f'(0) = {props[SLOPE]:.4f}; "
            f"with LeCun init, test-accuracy gain over tanh {gain.text()}, trainable depth "
            f"LeCun's tanh {depth_lecun.text()}, tanh {depth_tanh.text()}; of the gain, the "
            f"weight scale's part (tanh ×1.144 − tanh) is {scale.text()} and the activation's "
            f"own (LeCun's tanh − tanh ×1.144) {own.text()}")
    if not ok:
        return "does not hold", text + " (a stated property is off)."
    where = stats.side(gain, 0.0)
    if where == "above" and stats.side(own, 0.0) == "above":
        return "holds", text + "."
    if where == "above":
        return "holds with caveats", text + (
            "; it trains better, but tanh with its weights scaled by 1.144 does as well: the "
            "gain is the weight scale's, not the activation's.")
    if where == "below":
        return "does not hold", text + "; the properties hold, but it trains no better."
    return "inconclusive", text + "; the properties hold, the training gain is undecided."


def accuracy_gain(correct: list[tuple[np.ndarray, np.ndarray]], n: list[int]
                  ) -> stats.Interval:
    """Mean test-accuracy difference (a − b) over depths and data sets; ``correct`` holds one
    (a, b) pair of (seeds, depths) count matrices per data set with ``n`` test examples, the
    same seeds in the same rows: paired, one resample of seeds for both arms per data set."""
    sizes = [a.shape[0] for a, _ in correct]

    def gain(*idx: np.ndarray) -> float:
        diffs = [(a[i].mean() - b[i].mean()) / n[k]
                 for k, ((a, b), i) in enumerate(zip(correct, idx, strict=True))]
        return float(np.mean(diffs))

    return stats.bootstrap(sizes, gain)


def check(ctx: Context) -> ClaimResult:
    ev = depth_sweep(ctx)
    props = properties()
    p = ctx.profile
    twin = twin_difference(data_loader(p)(p.datasets[0]), TWIN_DEPTH, p.width, p.steps,
                           p.batch_size, TWIN_LR)
    used = ev.learnable_datasets(ctx.profile.datasets) or list(ctx.profile.datasets)
    depths = {name: ev.depth_interval(used, name, "lecun") for name in ("lecun_tanh", "tanh")}
    examples = [ev.examples(d) for d in used]

    def paired(a: tuple[str, str], b: tuple[str, str]) -> stats.Interval:
        return accuracy_gain([(ev.correct(d, *a)[0], ev.correct(d, *b)[0]) for d in used],
                             examples)

    arms = {"lecun_tanh": ("lecun_tanh", "lecun"), "tanh ×1.144": ("tanh", "lecun_gain"),
            "tanh": ("tanh", "lecun")}
    gain = paired(arms["lecun_tanh"], arms["tanh"])
    own = paired(arms["lecun_tanh"], arms["tanh ×1.144"])
    scale = paired(arms["tanh ×1.144"], arms["tanh"])
    rows = []
    for d in ctx.profile.datasets:
        n = ev.examples(d)
        for name, arm in arms.items():
            correct, ds = ev.correct(d, *arm)
            for c, depth in enumerate(ds):
                iv = stats.median_interval(correct[:, c] / n)
                rows.append((name, d, depth, iv.estimate, f"{iv.low:.3f}–{iv.high:.3f}"))
    verdict, why = decide(props, gain, depths["lecun_tanh"], depths["tanh"], own, scale)
    why += (f" LeCun's tanh is tanh reparametrised: trained side by side ({p.datasets[0]}, "
            f"depth {TWIN_DEPTH}, {p.steps} steps, lr {TWIN_LR}, float64), a LeCun's-tanh net "
            f"and the tanh net with weights ×2/3, ×1.144, ×1.7159 (first, hidden, read-out), "
            f"biases ×2/3 (read-out ×1) and per-layer learning rates ×(2/3)², ×1.144², "
            f"×1.7159² have training losses equal to {twin:.1e} (largest relative "
            f"difference). So the activation's own part is what the first and read-out "
            f"layers' scales and these per-layer learning rates do, not a different function.")

    def draw(axes: np.ndarray) -> None:
        x = np.linspace(-3, 3, 601)
        for name in ("lecun_tanh", "tanh"):
            act = get(name)
            axes[0, 0].plot(x, act.phi(x), label=f"{name}")
            axes[0, 1].plot(x, act.d2phi(x), label=f"{name}''")
        axes[0, 0].plot([-1, 1], [-1, 1], "k.", ms=8)
        axes[0, 0].set(xlabel="x", title="f(±1) = ±1 for LeCun's tanh")
        axes[0, 1].axvline(1.0, color="k", ls=":")
        axes[0, 1].set(xlabel="x", title="second derivatives")
        axes[0, 0].legend()
        axes[0, 1].legend()

    fig = plot("claim07_lecun", "LeCun's 1.7159·tanh(2x/3) against tanh: values (dots at "
               "±1) and second derivatives (dotted: x = 1).", draw, ncols=2)
    table = Table("Median test accuracy of the evaluation seeds, LeCun init (tanh ×1.144: "
                  "the same draw with every weight ×1.144; tuned lr)",
                  ("activation", "data set", "depth", "median test acc.", "95 % CI"), tuple(rows))
    return INFO.result(verdict, why, figures=[fig], tables=[table],
                       numbers={**props, TWIN: twin}, rule=RULE,
                       key=f"test-accuracy gain over tanh {gain.text()} (weight scale "
                           f"{scale.text()}, activation {own.text()})",
                       intervals={"accuracy gain": gain.to_json(),
                                  "of which the weight scale's": scale.to_json(),
                                  "of which the activation's own": own.to_json(),
                                  **{f"{k} trainable depth": v.to_json()
                                     for k, v in depths.items()}})
