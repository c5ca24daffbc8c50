"""Closed-form phi', phi'' against autograd of the plain formula, and gradcheck (float64)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from activation_cases import CASES, IDS, smooth_points

import depthscope.functional as F
from depthscope.activations import get


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_closed_form_derivatives_match_autograd_of_formula(name, params) -> None:
    act = get(name, **params)
    x = torch.tensor(smooth_points(act), dtype=torch.float64, requires_grad=True)
    (d1,) = torch.autograd.grad(act.phi(x).sum(), x, create_graph=True)
    if d1.requires_grad:
        (d2,) = torch.autograd.grad(d1.sum(), x, allow_unused=True)
    else:  # piecewise linear: phi' is piecewise constant
        d2 = None
    d2 = torch.zeros_like(x) if d2 is None else d2
    torch.testing.assert_close(act.dphi(x.detach()), d1.detach(), rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(act.d2phi(x.detach()), d2, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_numpy_and_torch_agree(name, params) -> None:
    act = get(name, **params)
    x = smooth_points(act)
    for f in (act.phi, act.dphi, act.d2phi):
        np.testing.assert_allclose(f(torch.tensor(x)).numpy(), f(x), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_gradcheck_and_gradgradcheck_through_functional(name, params, eager_kernels) -> None:
    act = get(name, **params)
    x = torch.tensor(smooth_points(act, 13), dtype=torch.float64, requires_grad=True)
    f = lambda t: F.activation(t, act)
    assert torch.autograd.gradcheck(f, (x,))
    assert torch.autograd.gradgradcheck(f, (x,))


def test_double_backward_uses_closed_form_second_derivative(eager_kernels) -> None:
    # Hessian-vector product of sum(phi(x)) is phi''(x) * v, and d/dg of the backward is phi'.
    act = get("logsig")
    x = torch.linspace(-3, 3, 11, dtype=torch.float64, requires_grad=True)
    g = torch.rand(11, dtype=torch.float64, requires_grad=True)
    (gx,) = torch.autograd.grad(F.logsig(x), x, g, create_graph=True)
    v = torch.rand(11, dtype=torch.float64)
    hx, hg = torch.autograd.grad(gx, (x, g), v)
    torch.testing.assert_close(hx, v * g.detach() * act.d2phi(x.detach()))
    torch.testing.assert_close(hg, v * act.dphi(x.detach()))


def test_softplus_ramp_beyond_is_not_the_derivative_but_within_the_bound() -> None:
    # phi stays exact; phi' is replaced by the ramp's 0/1 beyond |x| > 4 (essay's advice).
    exact, ramp = get("softplus"), get("softplus", ramp_beyond=4)
    x = np.linspace(-10, 10, 2001)
    np.testing.assert_array_equal(ramp.phi(x), exact.phi(x))
    inside = np.abs(x) <= 4
    np.testing.assert_array_equal(ramp.dphi(x)[inside], exact.dphi(x)[inside])
    np.testing.assert_array_equal(ramp.dphi(x)[x > 4], 1.0)
    np.testing.assert_array_equal(ramp.dphi(x)[x < -4], 0.0)
