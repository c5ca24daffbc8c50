"""Bootstrap intervals and the decision sides, on cases with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from depthscope.study import stats


def test_bootstrap_of_a_mean_has_the_normal_width() -> None:
    """Mean of n = 400 draws of N(0, 1): the 95 % interval is about ±1.96/√n = ±0.098."""
    x = np.random.default_rng(1).standard_normal(400)
    iv = stats.bootstrap([x.size], lambda idx: x[idx].mean())
    assert iv.estimate == pytest.approx(x.mean())
    assert iv.high - iv.low == pytest.approx(2 * 1.96 / 20, rel=0.15)
    assert iv.low < x.mean() < iv.high


def test_bootstrap_is_deterministic_and_leaves_the_global_rng_alone() -> None:
    x = np.arange(10.0)
    state = np.random.get_state()[1].copy()  # noqa: NPY002
    a = stats.bootstrap([10], lambda idx: x[idx].mean())
    b = stats.bootstrap([10], lambda idx: x[idx].mean())
    assert a == b
    assert np.array_equal(np.random.get_state()[1], state)  # noqa: NPY002


def test_constant_data_give_a_point_interval() -> None:
    iv = stats.median_interval(np.full(5, 0.7))
    assert (iv.estimate, iv.low, iv.high) == (0.7, 0.7, 0.7)


def test_sides() -> None:
    iv = stats.Interval(4, 2, 8)
    assert stats.side(iv, 1) == "above"
    assert stats.side(iv, 8) == "below"  # the threshold itself counts as below
    assert stats.side(iv, 4) == "straddles"
    assert stats.within(iv, 1, 8) == "inside"
    assert stats.within(iv, 9, 16) == "outside"
    assert stats.within(iv, 3, 16) == "straddles"
    assert iv.text() == "4 [95 % CI 2–8]"


@pytest.mark.parametrize(("value", "text"), [
    (0.6584789, "0.658"), (3.0, "3"), (0.9998, "0.9998"), (0.99995, "0.99995"),
    (1.00000000000003, "1 + 3.0e-14"), (0.99999999, "1 − 1.0e-08"), (1234.5, "1234.5"),
    (float("nan"), "nan"), (float("-inf"), "−∞"),
])
def test_a_number_never_prints_as_an_integer_it_is_not(value: float, text: str) -> None:
    assert stats.number_text(value) == text


def test_interval_text_never_contradicts_the_interval() -> None:
    # 0.99995 with 3 digits would read "1 [95 % CI 1–1]"
    assert stats.Interval(0.99995, 0.9998, 1.0).text() == "0.99995 [95 % CI 0.9998–1]"
    # an estimate just above its interval's upper end is printed above it
    assert stats.Interval(1.0105, 0.968, 1.0102).text() == "1.0105 [95 % CI 0.968–1.0102]"
    assert stats.Interval(0.0146, 0.0041, 0.0286).text() == "0.0146 [95 % CI 0.0041–0.0286]"


def test_distribution_of_several_numbers_uses_the_same_resamples() -> None:
    values = np.array([1.0, 4.0, 9.0, 16.0, 25.0])
    both = stats.distribution([5], lambda i: (values[i].mean(), values[i].max()), resamples=50)
    assert both.shape == (2, 50)
    assert np.array_equal(both[0], stats.distribution([5], lambda i: values[i].mean(),
                                                      resamples=50))
    assert np.array_equal(both[1], stats.distribution([5], lambda i: values[i].max(),
                                                      resamples=50))


def test_exact_proportion_interval() -> None:
    """Clopper-Pearson, checked against its closed form at k = 0 and scipy at k = 1."""
    none = stats.proportion(0, 80)
    assert (none.estimate, none.low) == (0.0, 0.0)
    assert none.high == pytest.approx(1 - 0.025 ** (1 / 80))
    some = stats.proportion(1, 10)
    assert (some.low, some.high) == (pytest.approx(0.0025286, abs=1e-6),
                                     pytest.approx(0.4450161, abs=1e-6))
