"""Extreme inputs (±1e30, ±inf, nan), the gradient at 0, dtypes and devices."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import depthscope.functional as F
from depthscope.activations import get, names

EXTREMES = [-math.inf, -1e30, -1e4, 0.0, 1e4, 1e30, math.inf]


@pytest.mark.parametrize("name", names())
def test_extremes_are_finite_where_the_maths_says(name) -> None:
    act = get(name)
    x = np.array(EXTREMES)
    lo, hi = (act.gain * (v + act.offset) for v in act.definition.limits[0])  # phi(±inf)
    y = act.phi(x)
    assert y[0] == lo
    assert y[-1] == hi
    assert np.all(np.isfinite(y[1:-1]))  # 1e30: nothing overflows, not even x/(1+|x|)
    for f in (act.dphi, act.d2phi):
        assert np.all(np.isfinite(f(x))), f.__name__
    for f in (act.phi, act.dphi, act.d2phi):
        assert np.isnan(f(np.array([np.nan]))).all()


@pytest.mark.parametrize("name", names())
def test_torch_gradient_is_finite_at_0_and_extremes_and_nan_propagates(name, eager_kernels):
    x = torch.tensor([*EXTREMES, math.nan], dtype=torch.float32, requires_grad=True)
    y = F.activation(x, name)
    (g,) = torch.autograd.grad(y.sum(), x)
    assert torch.isfinite(g[:-1]).all(), g
    assert torch.isnan(y[-1])
    assert torch.isnan(g[-1])
    assert g[3] == pytest.approx(get(name).meta.slope_at_0, rel=1e-6)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64])
@pytest.mark.parametrize("name", ["logsig", "gelu", "softplus", "tanh", "relu"])
def test_dtype_is_preserved_and_values_accurate(name, dtype, eager_kernels) -> None:
    act = get(name)
    x64 = torch.linspace(-5, 5, 101, dtype=torch.float64)
    x = x64.to(dtype).requires_grad_()
    y = F.activation(x, name)
    (g,) = torch.autograd.grad(y, x, torch.ones_like(y))
    assert y.dtype == dtype
    assert g.dtype == dtype
    tol = {torch.float16: 2e-3, torch.bfloat16: 1.6e-2, torch.float32: 2e-6}.get(dtype, 1e-14)
    xr = x.detach().double()  # the rounded inputs the kernel saw
    torch.testing.assert_close(y.double(), act.phi(xr), rtol=tol, atol=tol)
    torch.testing.assert_close(g.double(), act.dphi(xr), rtol=tol, atol=tol)


def test_integer_input_is_promoted_and_complex_is_refused() -> None:
    assert F.relu(torch.tensor([-1, 2])).dtype == torch.get_default_dtype()
    with pytest.raises(ValueError, match="complex"):
        F.tanh(torch.tensor([1 + 1j]))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
@pytest.mark.parametrize("backend", ["eager", "compiled"])
def test_cuda_matches_cpu(backend) -> None:
    from depthscope.activations import kernels

    previous = kernels.set_backend(backend)
    try:
        for name in names():
            x = torch.linspace(-4, 4, 1001, requires_grad=True)
            xc = x.detach().cuda().requires_grad_()
            y, yc = F.activation(x, name), F.activation(xc, name)
            (g,) = torch.autograd.grad(y.sum(), x)
            (gc,) = torch.autograd.grad(yc.sum(), xc)
            torch.testing.assert_close(yc.cpu(), y, rtol=1e-5, atol=1e-6)
            torch.testing.assert_close(gc.cpu(), g, rtol=1e-5, atol=1e-6)
    finally:
        kernels.set_backend(previous)
