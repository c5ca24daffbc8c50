"""Verdict logic of every claim: pure functions of the evidence, checked on chosen numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from depthscope.study import experiments
from depthscope.study.claims import (
    c01_slopes,
    c02_thresholds,
    c03_products,
    c04_phase,
    c05_oneway,
    c07_lecun,
    c08_10_depth,
    c11_tails,
    c12_formulas,
    c13_speed,
)
from depthscope.study.stats import Interval


def test_claim1() -> None:
    assert c01_slopes.decide(0.99999999, 0.0)[0] == "holds"
    assert c01_slopes.decide(1.0, 0.0)[0] == "does not hold"
    assert c01_slopes.decide(0.5, 1e-6)[0] == "does not hold"


def test_claim2() -> None:
    ok = ("a", 0.658, 0.6585, True)
    bad = ("b", 2.0, 3.0, False)
    assert c02_thresholds.decide([ok, ok])[0] == "holds"
    assert c02_thresholds.decide([ok, bad])[0] == "partly holds"
    assert c02_thresholds.decide([bad, bad, ok])[0] == "does not hold"
    assert c02_thresholds.decide([])[0] == "not evaluated"


def test_claim3_decided_on_the_real_net() -> None:
    d3 = c03_products.decide
    sure, never, some = iv(0.9, 0.8, 0.95), iv(0.0, 0.0, 0.03), iv(0.4, 0.3, 0.5)
    assert d3({2.0: sure, 3.0: sure}, {2.0: some, 3.0: never})[0] == "holds"
    # the real net's gradient grows instead: vanishing is rare, exploding is not
    assert d3({2.0: never, 3.0: never}, {2.0: some, 3.0: sure})[0] == "partly holds"
    assert d3({2.0: never, 3.0: sure}, {2.0: never, 3.0: never})[0] == "does not hold"
    assert d3({2.0: iv(0.5, 0.4, 0.6), 3.0: sure}, {2.0: some, 3.0: never})[0] == \
        "inconclusive"


def test_claim4_agreement_counts_only_clear_points() -> None:
    predicted = np.array([-3.0, 2.0, 0.5, -1.0])
    measured = np.array([-1.0, 5.0, -4.0, 0.2])  # the 0.5 point is not clear; -1 vs 0.2 wrong
    score, points = c04_phase.agreement(predicted, measured)
    assert (score, points) == (pytest.approx(2 / 3), 3)
    assert c04_phase.decide(0.95, 10)[0] == "holds"
    assert c04_phase.decide(0.8, 10)[0] == "holds with caveats"
    assert c04_phase.decide(0.5, 10)[0] == "does not hold"
    assert c04_phase.decide(float("nan"), 0)[0] == "not evaluated"


def iv(est: float, low: float | None = None, high: float | None = None) -> Interval:
    return Interval(est, est if low is None else low, est if high is None else high)


def test_claim5_transitions_and_classes() -> None:
    chains = [np.array([True, True, False]), np.array([False, True, True])]
    counts = c05_oneway.transitions(chains)
    assert counts == {"h→h": 0, "h→v": 1, "v→h": 1, "v→v": 2}
    assert c05_oneway.chain_counts(chains).tolist() == [[1, 1, 0, 0], [0, 1, 1, 0]]
    assert c05_oneway.states(np.array([1e-4, 1e-2])).tolist() == [True, False]
    # a net dead at init vs one entering g ≈ 0 during training vs a healthy one
    dead, entering, healthy = chains[0], np.array([False, False, True, False, True]), \
        np.array([False, False])
    assert c05_oneway.kind(dead) == c05_oneway.START
    assert c05_oneway.kind(entering) == c05_oneway.ENTERED
    assert c05_oneway.kind(healthy) == c05_oneway.HEALTHY
    assert c05_oneway.after_entry(entering).tolist() == [True, False, True]
    assert c05_oneway.after_entry(healthy).size == 0


def test_claim5_verdict_on_runs_entering_during_training() -> None:
    sticky = [np.array([True] * 20 + [False])] + [np.array([True] * 20)] * 9  # 10 runs
    assert c05_oneway.decide(sticky, iv(0.005, 0.0, 0.03))[0] == "holds"
    assert c05_oneway.decide(sticky, iv(0.2, 0.1, 0.3))[0] == "does not hold"
    assert c05_oneway.decide(sticky, iv(0.04, 0.01, 0.09))[0] == "inconclusive"
    few = sticky[: c05_oneway.MIN_RUNS - 1]
    verdict, why = c05_oneway.decide(few, iv(0.005, 0.0, 0.03))
    assert verdict == "inconclusive"
    assert "fewer than 5" in why
    assert c05_oneway.decide([], None)[0] == "inconclusive"


def test_claim5_escape_interval_resamples_runs_and_covers_zero_counts() -> None:
    per_run = np.array([[1, 9, 0, 0]] * 10)  # every run escapes once in 10 vanished steps
    escape = c05_oneway.escape_interval(per_run)
    # the bootstrap is degenerate (0.1 in every resample); Clopper-Pearson of 10 in 100 is not
    assert escape.estimate == pytest.approx(0.1)
    assert escape.low == pytest.approx(0.049005, abs=1e-4)
    assert escape.high == pytest.approx(0.176223, abs=1e-4)
    mixed = np.array([[0, 10, 0, 0]] * 5 + [[2, 8, 0, 0]] * 5)
    escape = c05_oneway.escape_interval(mixed)
    assert escape.estimate == pytest.approx(0.1)
    assert 0.0 < escape.low < 0.1 < escape.high < 0.25
    single = c05_oneway.escape_interval(np.array([[1, 9, 0, 0]]))  # one run: exact only
    assert (single.estimate, single.low) == (0.1, pytest.approx(0.0025285, abs=1e-6))
    never = c05_oneway.escape_interval(np.array([[0, 12, 0, 0]] * 5))  # 0 of 60
    assert (never.estimate, never.low) == (0.0, 0.0)
    assert never.high == pytest.approx(1 - 0.025 ** (1 / 60))  # exact upper bound, 0 events


def test_claim5_reference_is_the_critical_net_at_step_0() -> None:
    import pandas as pd

    runs = pd.DataFrame({"run_id": ["c1", "c2", "s1", "one", "lone"],
                         "dataset": "d", "activation": ["tanh"] * 4 + ["lecun_tanh"],
                         "arm": ["critical", "critical", "standard", "standard", "lecun"],
                         "depth": [4, 4, 4, 1, 4]})
    rows = [("c1", 0, 2.0), ("c1", 30, 1.0), ("c2", 0, 4.0), ("c2", 30, 3.0),
            ("s1", 0, 3e-3), ("s1", 30, 3e-4), ("one", 0, 1.0), ("one", 30, 1.0),
            ("lone", 0, 1.0), ("lone", 30, 1.0)]
    series = pd.DataFrame([(r, s, 0, "grad_w_norm", v) for r, s, v in rows],
                          columns=["run_id", "step", "layer", "metric", "value"])
    ratios = c05_oneway.first_layer_ratios(runs, series)
    assert set(ratios) == {"c1", "c2", "s1"}  # depth 1 and a cell without critical runs drop
    assert ratios["s1"][1] == pytest.approx([1e-3, 1e-4])  # reference median(2, 4) = 3
    assert ratios["c1"][0].tolist() == [0, 30]
    assert c05_oneway.states(ratios["s1"][1]).tolist() == [False, True]  # enters at step 30


def test_claim7() -> None:
    props = c07_lecun.properties()
    # LeCun et al. 1998: f(1) = 1.7159 tanh(2/3) = 1.0000 (4 digits).
    assert props["f(1)"] == pytest.approx(1.7159 * math.tanh(2 / 3))
    assert abs(props["f(1)"] - 1) < 1e-4
    assert props[c07_lecun.SLOPE] == pytest.approx(1.7159 * 2 / 3)
    assert 0.8 < props[c07_lecun.STD] < 0.9  # sqrt(E f(z)^2) ~ 0.866, checked by quadrature
    d, up, zero = iv(32), iv(0.02, 0.01, 0.03), iv(0.0, -0.01, 0.01)
    assert c07_lecun.decide(props, up, d, d, up, zero)[0] == "holds"
    # better, but tanh with its weights x1.144 does as well: the weight scale's gain
    assert c07_lecun.decide(props, up, d, d, zero, up)[0] == "holds with caveats"
    assert c07_lecun.decide(props, iv(-0.02, -0.03, 0.0), d, d, zero, zero)[0] == \
        "does not hold"
    # a tie at the grid's ceiling (32 = 32) is not "trains better": the accuracy gain decides
    assert c07_lecun.decide(props, zero, d, d, zero, zero)[0] == "inconclusive"
    assert c07_lecun.decide({**props, "f(1)": 1.2}, up, d, d, up, zero)[0] \
        == "does not hold"


def test_claim7_accuracy_gain() -> None:
    a = np.array([[90, 80], [90, 80]])  # (seeds, depths) correct counts of 100
    b = np.array([[80, 70], [80, 70]])
    gain = c07_lecun.accuracy_gain([(a, b)], [100])
    assert (gain.estimate, gain.low, gain.high) == pytest.approx((0.1, 0.1, 0.1))


def test_claim8_intervals_decide_or_say_inconclusive() -> None:
    d8 = c08_10_depth.decide_8
    acts = ("sigmoid", "tanh", "arctan")
    low = dict.fromkeys(acts, iv(2, 1, 2))
    assert d8(low, low)[0] == "holds"
    verdict, why = d8(low, {**low, "tanh": iv(32, 16, 32)})
    assert verdict == "does not hold"
    assert "tanh" in why
    assert d8({**low, "tanh": iv(8, 4, 8)}, low)[0] == "does not hold"
    # tanh's critical interval reaches from 2 to 4: it may or may not train beyond two
    assert d8(low, {**low, "tanh": iv(4, 2, 4)})[0] == "inconclusive"


def test_claim9_symmetric_windows() -> None:
    d9 = c08_10_depth.decide_9
    std = {"softsign": iv(2), "logsig": iv(2)}
    assert d9({"softsign": iv(4), "logsig": iv(8, 8, 16)}, std)[0] == "holds"
    assert d9({"softsign": iv(32), "logsig": iv(8)}, std)[0] == "partly holds"
    assert d9({"softsign": iv(32), "logsig": iv(2)}, std)[0] == "does not hold"
    assert d9({"softsign": iv(4, 4, 8), "logsig": iv(8)}, std)[0] == "inconclusive"
    # the same gap from the claim (factor 2) fails for both activations alike
    assert d9({"softsign": iv(8), "logsig": iv(4)}, std)[0] == "does not hold"


def test_claim10() -> None:
    d10 = c08_10_depth.decide_10
    deep = {"relu": iv(32), "softplus": iv(32)}
    deeper = {"relu": iv(64), "softplus": iv(64)}
    assert d10(deep, deeper, 32, 64)[0] == "holds"
    shallow = {"relu": iv(4, 2, 4), "softplus": iv(8, 4, 8)}
    assert d10(shallow, deeper, 32, 64)[0] == "holds with caveats"
    assert d10(shallow, {"relu": iv(64), "softplus": iv(8, 4, 16)}, 32, 64)[0] \
        == "does not hold"
    assert d10({"relu": iv(32, 16, 32), "softplus": iv(32)}, deeper, 32, 64)[0] \
        == "inconclusive"


def test_claim10_read_out_part() -> None:
    do = c08_10_depth.decide_output
    assert do({"relu": iv(0, -1, 1), "softplus": iv(1, 0, 1)})[0] == "holds"
    assert do({"relu": iv(0, -1, 1), "softplus": iv(3, 2, 4)})[0] == "does not hold"
    assert do({"relu": iv(1, 0, 2), "softplus": iv(0)})[0] == "inconclusive"


def test_claim10_steps_lost_are_paired_over_seeds() -> None:
    """Seeds 0-3 train to depth 4 with softmax outputs; with sigmoid outputs seeds 0 and 1
    train to 4, seeds 2 and 3 only to 1 (depth 0 = index -1 counts too)."""
    import pandas as pd

    from depthscope.study.experiments import DepthEvidence

    def evidence(last: dict[int, tuple[int, int]]) -> DepthEvidence:
        rows = [{"dataset": "d", "activation": "relu", "arm": "critical", "depth": depth,
                 "seed": seed, "correct": correct, "converged": True,
                 "test_chance_hits": 10, "test_examples": 100}
                for seed in range(4)
                for depth, correct in zip((1, 2, 4), (90, *last[seed]), strict=True)]
        return DepthEvidence(pd.DataFrame(rows), pd.DataFrame(), {}, {}, {})

    softmax = evidence({s: (90, 90) for s in range(4)})
    sigmoid = evidence({0: (90, 90), 1: (90, 90), 2: (10, 10), 3: (10, 10)})
    lost = c08_10_depth.grid_steps_lost(softmax, sigmoid, ["d"], "relu", "critical")
    # all seeds: 2 of 4 train at depth 4 (half counts) -> 0 steps lost; resamples with a
    # majority of seeds 2-3 lose 2 steps (4 -> 1)
    assert lost.estimate == 0
    assert (lost.low, lost.high) == (0, 2)
    assert c08_10_depth.grid_steps_lost(softmax, softmax, ["d"], "relu", "critical").high == 0


def test_combined_verdict_of_sub_claims() -> None:
    from depthscope.study.result import combined

    assert combined({"a": "holds", "b": "holds"}) == "holds"
    assert combined({"a": "holds", "b": "holds with caveats"}) == "holds with caveats"
    assert combined({"a": "holds", "b": "does not hold"}) == "partly holds"
    assert combined({"a": "holds with caveats", "b": "does not hold"}) == "partly holds"
    assert combined({"a": "does not hold", "b": "inconclusive"}) == "does not hold"
    assert combined({"a": "holds", "b": "inconclusive"}) == "inconclusive"
    assert combined({"a": "partly holds", "b": "holds"}) == "partly holds"
    assert combined({"a": "partly holds", "b": "inconclusive"}) == "partly holds"
    assert combined({"a": "does not hold"}) == "does not hold"


def test_claim7_lecun_tanh_is_tanh_with_weights_scaled_per_layer() -> None:
    """1.7159·tanh(2x/3) nets compute exactly what tanh nets compute with the first layer's
    weights and biases ×2/3, the hidden ones' weights ×1.7159·2/3 (biases ×2/3) and the
    read-out's weights ×1.7159 (float64, to rounding)."""
    import torch

    from depthscope.nets import build
    from depthscope.train import RunConfig

    a, b = 1.7159, 2 / 3
    cfg = RunConfig(activation="lecun_tanh", init="lecun", depth=4, width=16, sigma_b=0.3)
    lecun = build(cfg.mlp_spec(10, 3), seed=5, dtype=torch.float64)
    plain = build(cfg.model_copy(update={"activation": "tanh"}).mlp_spec(10, 3), seed=6,
                  dtype=torch.float64)
    src = [m for m in lecun if isinstance(m, torch.nn.Linear)]
    dst = [m for m in plain if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        for j, (s, t) in enumerate(zip(src, dst, strict=True)):
            weight = b if j == 0 else (a if j == len(src) - 1 else a * b)
            t.weight.copy_(weight * s.weight)
            t.bias.copy_(s.bias * (1.0 if j == len(src) - 1 else b))
    x = torch.randn(64, 10, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(plain(x), lecun(x), rtol=1e-12, atol=1e-12)
    assert c07_lecun.layer_scales(4) == [(b, b), (a * b, b), (a * b, b), (a * b, b), (a, 1.0)]
    twin, groups = c07_lecun.tanh_twin(lecun, cfg, 10, 3, lr=0.1)
    torch.testing.assert_close(twin(x), lecun(x), rtol=1e-12, atol=1e-12)
    assert [g["lr"] for g in groups[:2]] == pytest.approx([0.1 * b**2] * 2)
    # the study's third arm scales the same LeCun draw by the hidden layers' factor
    assert pytest.approx(a * b) == experiments.LECUN_GAIN
    assert experiments.arm_of("gaussian", a * b) == "lecun_gain"
    assert experiments.arm_of("gaussian", 1.327) == "critical"


def test_claim7_lecun_tanh_trains_as_its_tanh_twin_with_per_layer_learning_rates(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The same curve to float tolerance: 60 momentum-SGD steps of a depth-6 LeCun's-tanh net
    and its tanh twin (weights scaled per layer, lrs ×s²) in float64 differ by rounding only;
    the twin with one lr for every layer (the lr scales dropped) trains differently."""
    from depthscope.data import load

    digits = load("digits")
    same = c07_lecun.twin_difference(digits, depth=6, width=16, steps=60, batch_size=32,
                                     lr=0.05)
    assert same < 1e-11

    twin = c07_lecun.tanh_twin

    def one_lr(*args: object, **kw: object) -> object:
        net, groups = twin(*args, **kw)  # type: ignore[arg-type]
        return net, [{**g, "lr": kw["lr"] if "lr" in kw else args[-1]} for g in groups]

    monkeypatch.setattr(c07_lecun, "tanh_twin", one_lr)
    assert c07_lecun.twin_difference(digits, depth=6, width=16, steps=60, batch_size=32,
                                     lr=0.05) > 1e-3


def test_claim11_tail_classes() -> None:
    # arctan' = 1/(1+x^2): power exponent 2x^2/(1+x^2) -> 2 (not exponential).
    assert c11_tails.power_exponent("arctan", 8.0) == pytest.approx(2 * 64 / 65, rel=1e-5)
    # tanh' = sech^2 x ~ 4 e^{-2x}: p(x) ~ 2x.
    assert c11_tails.power_exponent("tanh", 8.0) == pytest.approx(16.0, rel=1e-4)
    assert c11_tails.classify(16.0, 32.0) == "exponential"
    assert c11_tails.classify(2.0, 2.0) == "subexponential"
    truth = dict(c11_tails.ESSAY_SAYS)
    assert c11_tails.decide(truth)[0] == "holds"
    assert c11_tails.decide({**truth, "arctan": "subexponential"})[0] == "partly holds"
    assert c11_tails.decide({**truth, "arctan": "subexponential",
                             "tanh": "subexponential"})[0] == "does not hold"


def test_claim12() -> None:
    errors = {"a": 1e-9, "b": 1e-9, "c": 0.5}
    assert c12_formulas.decide({"a": 0.0}, 0.0179, 0.018)[0] == "holds"
    assert c12_formulas.decide(errors, 0.0179, 0.018)[0] == "partly holds"
    assert c12_formulas.decide({"a": 1.0}, 0.0179, 0.018)[0] == "does not hold"
    x = np.linspace(0.5, 3, 7)
    assert np.allclose(c12_formulas.finite_difference("softsign", x), 1 / (1 + x) ** 2,
                       atol=1e-8)


def test_claim13() -> None:
    aa, kernel = iv(1.0, 0.97, 1.03), iv(1.3)
    assert c13_speed.decide(iv(1.05, 0.95, 1.2), aa, kernel)[0] == "does not hold"
    assert c13_speed.decide(iv(2.0, 1.6, 2.4), aa, kernel)[0] == "holds"
    assert c13_speed.decide(iv(1.5, 1.3, 1.7), aa, kernel)[0] == "inconclusive"
    assert c13_speed.decide(iv(1.4, 1.3, 1.5), aa, kernel)[0] == "does not hold"  # at 1.5


def test_claim13_ratio_is_paired_within_rounds() -> None:
    """A load change that slows a whole round cancels in the within-round ratio."""
    load = np.array([1.0, 3.0, 1.0, 5.0, 2.0, 1.0, 4.0])
    times = {"a": list(1.2 * load), "b": list(load)}
    ratio = c13_speed.ratio_interval(times, "a", "b")
    assert (ratio.estimate, ratio.low, ratio.high) == pytest.approx((1.2, 1.2, 1.2))


def test_every_claim_has_a_rule_and_a_changelog_entry(tmp_path) -> None:
    """Every claim shows its rule, and the report says 'before its first run' only where the
    changelog of rules says so."""
    from depthscope.report.html import render_report
    from depthscope.study.claims import all_claims
    from depthscope.study.result import ClaimResult
    from depthscope.study.rules import LOG, provenance

    ids = [c.info.id for c in all_claims()]
    assert set(ids) == set(LOG)
    results = [ClaimResult(i, "s", "c", "m", "holds", "why", rule=f"rule of {i}") for i in ids]
    page = render_report(results, title="t", setup={})
    for i in ids:
        label = provenance(i).label
        assert f"Rule ({label})" in page
        assert ("before its first run" in label) == (LOG[i].before_runs is True)
    assert "fixed before the runs" not in page
    assert "Changelog of rules" in page
    assert provenance("nonexistent").before_runs is None


def test_claim9_ranking_note() -> None:
    note = c08_10_depth.ranking_note({"standard": {"softsign": iv(8, 4, 8),
                                                   "logsig": iv(8, 4, 8)},
                                      "critical": {"softsign": iv(32, 16, 64),
                                                   "logsig": iv(16, 16, 32)}})
    assert "the ranking is not reproduced" in note
    note = c08_10_depth.ranking_note({"critical": {"softsign": iv(4, 2, 4),
                                                   "logsig": iv(16, 8, 32)}})
    assert "logsig trains deeper under critical" in note


def test_probability_model_rule_on_hand_made_cells() -> None:
    from depthscope.study.claims import qa_probability

    def obs(p: float, half: float = 0.05) -> Interval:
        return Interval(p, max(0.0, p - half), min(1.0, p + half))

    model = np.array([0.0, 0.5, 0.3, 1.0])
    verdict, _, coverage, error = qa_probability.decide(model, [obs(0.0), obs(0.52),
                                                                obs(0.31), obs(1.0)])
    assert (verdict, coverage) == ("holds", 1.0)  # the 0 and 1 cells are not informative
    assert error == pytest.approx((0.02 + 0.01) / 4)
    verdict, _, coverage, _ = qa_probability.decide(model, [obs(0.0), obs(0.52), obs(0.6),
                                                            obs(1.0)])
    assert (verdict, coverage) == ("holds with caveats", 0.5)
    assert qa_probability.decide(model, [obs(0.0), obs(0.9), obs(0.6), obs(1.0)])[0] == \
        "does not hold"


def test_map_trajectories_and_rule_on_hand_made_series() -> None:
    import pandas as pd

    from depthscope.study.claims import qa_map

    rows = []
    for step, grads in ((0, (1.0, 0.1, 0.01)), (10, (1.0, 1.0, 1.0))):
        for layer, g in enumerate(grads):
            rows += [("r", step, layer, "grad_h_norm", g),
                     ("r", step, layer, "weight_scale", 0.5 + 0.1 * layer),
                     ("r", step, layer, "bias_scale", 0.1)]
    series = pd.DataFrame(rows, columns=["run_id", "step", "layer", "metric", "value"])
    paths = qa_map.trajectories(series, 3)
    # ||dL/dh^0|| / ||dL/dh^2|| = 100 over 2 layers: +1 decade per layer at step 0, 0 after
    assert paths["measured"].tolist() == pytest.approx([1.0, 0.0])
    assert paths["sigma_w"].tolist() == pytest.approx([0.65, 0.65])  # layers 1 and 2
    right = qa_map.agreement(np.array([0.2, -0.2, 0.01]), np.array([0.1, 0.3, -1.0]))
    assert right[:2].tolist() == [1.0, 0.0]
    assert np.isnan(right[2])  # not a clear prediction
    assert qa_map.decide(iv(1.0, 0.9, 1.0), iv(0.95, 0.85, 1.0))[0] == "holds"
    assert qa_map.decide(iv(1.0, 0.9, 1.0), iv(0.8, 0.7, 0.9))[0] == "holds with caveats"
    assert qa_map.decide(iv(0.5, 0.4, 0.6), iv(0.8, 0.7, 0.9))[0] == "does not hold"


def test_transform_rule_on_hand_made_counts() -> None:
    """The transform section's rule: holds when a transformed arm trains (half the seeds) and
    standard tanh does not, with n < 1 falling; inconclusive when standard trains too or the
    transformed arms are censored; does not hold when neither trains or n is not falling.
    Its arms: DKS's activation and orthogonal weights of gain 1, zero biases."""
    from depthscope.study.claims import transform
    from depthscope.theory import dks_transform

    scales = {10: 0.3, 50: 0.13, 100: 0.09}
    base = {"standard": (0, 0, 5), "critical": (1, 2, 5), "dks": (3, 0, 5), "tat": (0, 0, 5)}
    assert transform.decide(scales, base)[0] == "holds"
    assert transform.decide(scales, {**base, "standard": (3, 0, 5)})[0] == "inconclusive"
    neither = {**base, "dks": (1, 0, 5)}
    assert transform.decide(scales, neither)[0] == "does not hold"
    assert transform.decide(scales, {**neither, "tat": (1, 2, 5)})[0] == "inconclusive"
    assert transform.decide({**scales, 100: 0.2}, base)[0] == "does not hold"
    fields = transform.arm_fields("dks", 64)
    act = dks_transform("tanh", 64).activation
    assert fields["activation_params"]["scale"] == pytest.approx(act.scale)
    assert (fields["init"], fields["sigma_w"], fields["sigma_b"]) == ("orthogonal", 1.0, 0.0)
