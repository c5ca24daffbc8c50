"""critical_transform: invariants (q* fixed, chi_1 = 1), canonical mirror choice."""

from __future__ import annotations

import numpy as np
import pytest

from depthscope.errors import DepthscopeError
from depthscope.theory import chi1, critical_transform, fixed_point
from depthscope.theory.maps import moments


@pytest.mark.parametrize(("name", "kw"), [
    ("tanh", {}), ("tanh", {"sigma_b": 0.3, "q_star": 2.0}), ("relu", {}),
    ("sigmoid", {"q_star": 2.0, "sigma_w": 1.5, "sigma_b": 0.2}), ("softsign", {"scale": 0.5}),
    ("hardtanh", {"sigma_w": 0.8}), ("elu", {}),
])
def test_fixed_point_and_chi1_hold(name, kw) -> None:
    ct = critical_transform(name, **kw)
    k, kd, _ = moments(ct.activation, np.array([ct.q_star]))
    assert ct.sigma_w**2 * k[0] + ct.sigma_b**2 == pytest.approx(ct.q_star, rel=1e-10)
    assert ct.sigma_w**2 * kd[0] == pytest.approx(1.0, rel=1e-10)
    # the block solver (depthscope.theory.blocks, behind fixed_point and chi1) agrees: chi_1 =
    # 1, and q* is the fixed point it finds (relu's map at chi_1 = 1 is q -> q: every q is
    # one, and the first, 0, is found)
    assert chi1(ct.activation, ct.sigma_w, ct.sigma_b) == pytest.approx(1.0, rel=1e-10)
    if name != "relu":
        assert fixed_point(ct.activation, ct.sigma_w, ct.sigma_b).q_star == pytest.approx(
            ct.q_star, rel=1e-10)


def test_odd_activation_canonical_offset_and_its_mirror() -> None:
    ct = critical_transform("tanh")
    assert ct.offset > 0
    assert ct.shift == 0.0
    mirror = ct.activation.with_transform(offset=-2 * ct.offset * ct.gain)  # offset -> -offset
    a, b = (moments(x, np.array([1.0])) for x in (ct.activation, mirror))
    assert np.allclose(a[:2], b[:2], rtol=1e-12)  # same q-map value and chi_1
    # relu needs no offset: gain sqrt(2) (He et al. 2015) already gives chi_1 = 1, q* = 1
    relu = critical_transform("relu")
    assert relu.offset == 0.0
    assert relu.gain == pytest.approx(np.sqrt(2), rel=1e-12)


def test_impossible_targets_raise() -> None:
    with pytest.raises(DepthscopeError, match="exceed"):
        critical_transform("tanh", q_star=0.01, sigma_b=0.5)
    # with the input scale kept, no offset brings tanh to q* = 0.5 at sigma_b = 0.3
    with pytest.raises(DepthscopeError, match="no offset"):
        critical_transform("tanh", q_star=0.5, sigma_b=0.3)
