"""Verdict logic of every claim: pure functions of the evidence, checked on chosen numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

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
    glorot,
    schoenholz,
)


def test_claim1() -> None:
    assert c01_slopes.decide(0.99999999, 0.0)[0] == "holds"
    assert c01_slopes.decide(1.0, 0.0)[0] == "does not hold"
    assert c01_slopes.decide(0.5, 1e-6)[0] == "does not hold"


def test_claim2() -> None:
    ok = ("a", 0.658, 0.6585, True)
    bad = ("b", 2.0, 3.0, False)
    assert c02_thresholds.decide([ok, ok])[0] == "holds"
    assert c02_thresholds.decide([ok, bad])[0] == "holds with caveats"
    assert c02_thresholds.decide([bad, bad, ok])[0] == "does not hold"
    assert c02_thresholds.decide([])[0] == "not evaluated"


def test_claim3() -> None:
    vanish = {1.0: 0.9, 2.0: 0.99, 3.0: 1.0}
    none = {1.0: 0.0, 2.0: 0.0, 3.0: 0.0}
    assert c03_products.decide(vanish, none, vanish, True)[0] == "holds"
    assert c03_products.decide(vanish, none, {1.0: 0.9, 2.0: 0.2, 3.0: 0.9}, True)[0] \
        == "holds with caveats"
    assert c03_products.decide({1.0: 1.0, 2.0: 0.3, 3.0: 1.0}, none, vanish, True)[0] \
        == "does not hold"
    assert c03_products.decide(vanish, none, vanish, False)[0] == "does not hold"


def test_claim4_agreement_counts_only_clear_points() -> None:
    predicted = np.array([-3.0, 2.0, 0.5, -1.0])
    measured = np.array([-1.0, 5.0, -4.0, 0.2])  # the 0.5 point is not clear; -1 vs 0.2 wrong
    score, points = c04_phase.agreement(predicted, measured)
    assert (score, points) == (pytest.approx(2 / 3), 3)
    assert c04_phase.decide(0.95, 10)[0] == "holds"
    assert c04_phase.decide(0.8, 10)[0] == "holds with caveats"
    assert c04_phase.decide(0.5, 10)[0] == "does not hold"
    assert c04_phase.decide(float("nan"), 0)[0] == "not evaluated"


def test_claim5_transitions_and_verdict() -> None:
    chains = [np.array([True, True, False]), np.array([False, True, True])]
    counts = c05_oneway.transitions(chains)
    assert counts == {"h→h": 0, "h→v": 1, "v→h": 1, "v→v": 2}
    assert c05_oneway.states(np.array([1e-4, 1e-2])).tolist() == [True, False]
    sticky = {"h→h": 50, "h→v": 3, "v→h": 1, "v→v": 99}
    assert c05_oneway.decide(sticky, 10, 1)[0] == "holds"
    assert c05_oneway.decide({**sticky, "h→v": 0}, 10, 1)[0] == "holds with caveats"
    assert c05_oneway.decide({**sticky, "v→h": 20}, 10, 1)[0] == "does not hold"
    assert c05_oneway.decide({"h→h": 5, "h→v": 0, "v→h": 0, "v→v": 0}, 0, 0)[0] \
        == "not evaluated"


def test_claim7() -> None:
    props = c07_lecun.properties()
    # LeCun et al. 1998: f(1) = 1.7159 tanh(2/3) = 1.0000 (4 digits).
    assert props["f(1)"] == pytest.approx(1.7159 * math.tanh(2 / 3))
    assert abs(props["f(1)"] - 1) < 1e-4
    assert props[c07_lecun.SLOPE] == pytest.approx(1.7159 * 2 / 3)
    assert 0.8 < props[c07_lecun.STD] < 0.9  # sqrt(E f(z)^2) ~ 0.866, checked by quadrature
    assert c07_lecun.decide(props, 8, 4)[0] == "holds"
    assert c07_lecun.decide(props, 2, 4)[0] == "holds with caveats"
    assert c07_lecun.decide({**props, "f(1)": 1.2}, 8, 4)[0] == "does not hold"


def test_claims_8_to_10_separate_activation_from_initialisation() -> None:
    d8 = c08_10_depth.decide_8
    acts = ("sigmoid", "tanh", "arctan")
    assert d8(dict.fromkeys(acts, 2), dict.fromkeys(acts, 1))[0] == "holds"
    verdict, why = d8(dict.fromkeys(acts, 2), dict.fromkeys(acts, 32))
    assert verdict == "does not hold"
    assert "the initialisation fails, not the activation" in why
    assert d8({"sigmoid": 1, "tanh": 2, "arctan": 2},
              {"sigmoid": 1, "tanh": 32, "arctan": 32})[0] == "holds with caveats"
    assert d8({"sigmoid": 1, "tanh": 8, "arctan": 2}, dict.fromkeys(acts, 32))[0] \
        == "does not hold"
    assert c08_10_depth.decide_9({"softsign": 4, "logsig": 8}, {})[0] == "holds"
    assert c08_10_depth.decide_9({"softsign": 32, "logsig": 8}, {})[0] == "holds with caveats"
    assert c08_10_depth.decide_9({"softsign": 32, "logsig": 2}, {})[0] == "does not hold"
    d10 = c08_10_depth.decide_10
    assert d10({"relu": 32, "softplus": 32}, {}, 32, 0.25)[0] == "holds"
    assert d10({"relu": 4, "softplus": 8}, {"relu": 32, "softplus": 32}, 32, 0.25)[0] \
        == "holds with caveats"
    assert d10({"relu": 4, "softplus": 8}, {"relu": 32, "softplus": 8}, 32, 0.25)[0] \
        == "does not hold"


def test_trainable_depth_is_deepest_majority() -> None:
    from depthscope.study.experiments import trainable_depth

    assert trainable_depth({1: 1.0, 2: 0.5, 4: 0.0, 8: 1.0}) == 8
    assert trainable_depth({1: 0.0, 2: 0.4}) == 0


def test_claim11_tail_classes() -> None:
    # arctan' = 1/(1+x^2): power exponent 2x^2/(1+x^2) -> 2 (not exponential).
    assert c11_tails.power_exponent("arctan", 8.0) == pytest.approx(2 * 64 / 65, rel=1e-5)
    # tanh' = sech^2 x ~ 4 e^{-2x}: p(x) ~ 2x.
    assert c11_tails.power_exponent("tanh", 8.0) == pytest.approx(16.0, rel=1e-4)
    assert c11_tails.classify(16.0, 32.0) == "exponential"
    assert c11_tails.classify(2.0, 2.0) == "subexponential"
    truth = dict(c11_tails.ESSAY_SAYS)
    assert c11_tails.decide(truth)[0] == "holds"
    assert c11_tails.decide({**truth, "arctan": "subexponential"})[0] == "holds with caveats"
    assert c11_tails.decide({**truth, "arctan": "subexponential",
                             "tanh": "subexponential"})[0] == "does not hold"


def test_claim12() -> None:
    errors = {"a": 1e-9, "b": 1e-9, "c": 0.5}
    assert c12_formulas.decide({"a": 0.0}, 0.0179, 0.018)[0] == "holds"
    assert c12_formulas.decide(errors, 0.0179, 0.018)[0] == "holds with caveats"
    assert c12_formulas.decide({"a": 1.0}, 0.0179, 0.018)[0] == "does not hold"
    x = np.linspace(0.5, 3, 7)
    assert np.allclose(c12_formulas.finite_difference("softsign", x), 1 / (1 + x) ** 2,
                       atol=1e-8)


def test_claim13() -> None:
    def verdict(logsig: float, tanh: float) -> str:
        return c13_speed.decide({"logsig": logsig, "tanh": tanh}, {"logsig": 7.5})[0]

    assert verdict(1.1, 3.0) == "does not hold"  # as fast as relu
    assert verdict(3.7, 3.2) == "does not hold"  # as fast as tanh
    assert verdict(5.0, 3.0) == "holds with caveats"
    assert verdict(9.0, 3.0) == "holds"


def test_glorot() -> None:
    paper = {(label, "shapeset"): v["shapeset"] for label, v in glorot.PAPER.items()}
    # Their own Table 1 reproduces all three findings.
    assert glorot.decide(paper, "shapeset")[0] == "holds"
    flipped = {**paper, ("Tanh N", "shapeset"): 30.0}
    assert glorot.decide(flipped, "shapeset")[0] == "holds with caveats"


def test_schoenholz() -> None:
    assert schoenholz.decide([4, 16, 64, 16], [5.0, 30.0, math.inf, 20.0], 64)[0] == "holds"
    assert schoenholz.decide([64, 16, 4], [5.0, 30.0, 100.0], 64)[0] == "does not hold"
    assert schoenholz.decide([4, 4, 4], [5.0, 30.0, 100.0], 64)[0] == "holds with caveats"
