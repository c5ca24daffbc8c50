"""Hypothesis properties: odd functions are odd, monotone ones monotone, bounds hold,
affine transforms compose."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from depthscope.activations import get, names

finite = st.floats(-1e6, 1e6, allow_nan=False)
small = st.floats(-50, 50, allow_nan=False)
positive = st.floats(0.1, 10, allow_nan=False)
FAST = settings(max_examples=40, deadline=None)
ODD = [n for n in names() if get(n).meta.odd]
MONOTONE = [n for n in names() if get(n).meta.monotone]


def test_flags_match_the_maths() -> None:
    # By hand: odd = symmetric through 0; gelu and silu dip below 0 so are not monotone.
    assert set(ODD) == {"arctan", "erf", "hardtanh", "identity", "lecun_tanh",
                        "log_semisigmoid", "logsig", "softsign", "tanh"}
    assert set(names()) - set(MONOTONE) == {"gelu", "silu"}


@pytest.mark.parametrize("name", ODD)
@FAST
@given(x=finite)
def test_odd_functions_are_odd(name, x) -> None:
    act = get(name)
    assert act.phi(-x) == pytest.approx(-act.phi(x), rel=1e-14, abs=1e-300)
    assert act.dphi(-x) == pytest.approx(act.dphi(x), rel=1e-14, abs=1e-300)


@pytest.mark.parametrize("name", MONOTONE)
@FAST
@given(a=finite, b=finite)
def test_monotone_functions_are_monotone(name, a, b) -> None:
    act = get(name)
    lo, hi = min(a, b), max(a, b)
    assert act.phi(lo) <= act.phi(hi)
    assert act.dphi(a) >= 0.0


@pytest.mark.parametrize("name", names())
@FAST
@given(x=finite)
def test_values_within_range_and_slopes_within_max(name, x) -> None:
    act, m = get(name), get(name).meta
    lo, hi = m.range
    assert lo <= act.phi(x) <= hi
    assert abs(act.dphi(x)) <= m.max_slope * (1 + 1e-12)


@pytest.mark.parametrize("name", ["tanh", "logsig", "softplus", "elu", "gelu"])
@FAST
@given(x=small, a=positive, b=small, c=positive, d=small, a2=positive, c2=positive)
def test_transforms_compose(name, x, a, b, c, d, a2, c2) -> None:
    # gain2 (T(scale2 x) + 0) of T = c (phi(a x + b) + d) is one transform of phi.
    base = get(name)
    t = base.with_transform(scale=a, shift=b, gain=c, offset=d)
    assert t.phi(x) == pytest.approx(c * (base.phi(a * x + b) + d), rel=1e-12, abs=1e-12)
    assert t.dphi(x) == pytest.approx(c * a * base.dphi(a * x + b), rel=1e-12, abs=1e-12)
    tt = t.with_transform(scale=a2, gain=c2)
    assert tt.phi(x) == pytest.approx(c2 * t.phi(a2 * x), rel=1e-12, abs=1e-12)
    assert tt.d2phi(x) == pytest.approx(c2 * a2**2 * t.d2phi(a2 * x), rel=1e-9, abs=1e-12)
    assert get(name, scale=a, shift=b, gain=c, offset=d).phi(x) == t.phi(x)


def test_vectorised_monotonicity_on_a_fine_grid() -> None:
    x = np.linspace(-30, 30, 60001)
    for name in MONOTONE:
        assert np.all(np.diff(get(name).phi(x)) >= 0), name
