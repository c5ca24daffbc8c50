"""phi(n x) nets vs rescaled phi(x) nets trained side by side (the Q&A's last answer)."""

from __future__ import annotations

import pytest

from depthscope.errors import DepthscopeError
from depthscope.theory import rescale_equivalent, verify_rescaling


def test_mapping_factors() -> None:
    # derived in theory/rescaling.py: grad~ = grad/n, so SGD needs n^2, Adam n with eps/n.
    assert rescale_equivalent(3.0, "sgd").lr_factor == 9.0
    assert rescale_equivalent(3.0, "momentum").lr_factor == 9.0
    adam = rescale_equivalent(3.0, "adam")
    assert (adam.lr_factor, adam.eps_factor, adam.param_factor) == (3.0, pytest.approx(1 / 3), 3.0)
    with pytest.raises(DepthscopeError):
        rescale_equivalent(2.0, "rmsprop")


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_trajectories_coincide_to_rounding(optimizer) -> None:
    check = verify_rescaling(3.0, optimizer, steps=30)
    assert check.max_param_diff < 1e-12
    assert check.max_output_diff < 1e-12


def test_adam_without_rescaled_eps_is_only_approximate() -> None:
    exact = verify_rescaling(3.0, "adam", steps=30, eps=1e-3)
    loose = verify_rescaling(3.0, "adam", steps=30, eps=1e-3, scale_eps=False)
    assert exact.max_param_diff < 1e-12
    assert loose.max_param_diff > 1e-6
