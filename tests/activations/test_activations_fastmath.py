"""The compiled kernels' math (fastmath.KERNEL) against float64, in float32 ulp."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import depthscope.functional as F
from depthscope.activations import get, kernels
from depthscope.activations.fastmath import KERNEL, polynomial

EPS32 = torch.finfo(torch.float32).eps
pytestmark = [
    pytest.mark.skipif(bool(kernels._compiler_missing("cpu")), reason="no C++ compiler"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),  # from inside torch.compile
]


def _grid(lo: float, hi: float) -> torch.Tensor:
    """Both signs of a log grid over [lo, hi] and a linear one over [0, min(hi, 10)], float32."""
    x = torch.cat([torch.logspace(math.log10(lo), math.log10(hi), 20_001),
                   torch.linspace(0.0, min(hi, 10.0), 20_001)])
    return torch.cat([x, -x])


def _ulp(got: torch.Tensor, want: torch.Tensor) -> float:
    """Largest ``|got - want| / (eps32 |want|)`` where ``want`` is a finite normal float32."""
    ok = (want.abs() > 1e-36) & (want.abs() < 3e38)
    return float(((got.double() - want).abs() / (want.abs() * EPS32))[ok].max())


@given(st.lists(st.floats(-10, 10), min_size=1, max_size=20), st.floats(-2, 2))
def test_estrin_polynomial_equals_horner(coefficients: list[float], x: float) -> None:
    want = np.polyval(coefficients, x)
    scale = np.polyval(np.abs(coefficients), abs(x))  # bounds the rounding of either scheme
    assert abs(polynomial(x, coefficients) - want) <= 1e-13 * scale + 1e-300


@pytest.mark.parametrize(
    ("name", "reference", "lo", "hi", "bound"),
    [
        ("expm1", torch.special.expm1, 1e-30, 80.0, 2.0),
        ("tanh", torch.tanh, 1e-30, 100.0, 4.0),
        ("arctan", torch.atan, 1e-30, 1e30, 2.0),
        ("ndtr", lambda x: torch.special.erfc(x * -math.sqrt(0.5)) / 2, 1e-30, 5.0, 12.0),
        ("exp", torch.exp, 1e-30, 88.0, 2.0),
        ("erf", torch.erf, 1e-30, 10.0, 3.0),
        ("log1p_abs", lambda x: torch.log1p(x.abs()), 1e-30, 3e38, 1.0),
    ],
)
def test_kernel_math_is_accurate_in_float32(name, reference, lo, hi, bound) -> None:
    fn = torch.compile(getattr(KERNEL, name), dynamic=True, fullgraph=True)
    x = _grid(lo, hi)
    assert _ulp(fn(x), reference(x.double())) <= bound


def test_log1p_exp_is_accurate_in_float32() -> None:
    """softplus's tail ``ln(1 + e^x)``, ``x <= 0``, by the atanh series: a few ulp; 0 at -inf."""
    fn = torch.compile(KERNEL.log1p_exp, dynamic=True, fullgraph=True)
    x = -_grid(1e-30, 110.0).abs()
    assert _ulp(fn(x), torch.log1p(torch.exp(x.double()))) <= 3.0
    special = fn(torch.tensor([-math.inf, math.nan, 0.0]))
    assert special[0] == 0.0
    assert special[1].isnan()
    assert special[2] == pytest.approx(math.log(2.0), rel=EPS32)


def test_exp_special_values_overflow_and_subnormals() -> None:
    """Equal to torch.exp at ±inf, nan, the overflow edge and in the subnormal range (the
    two-step scaling 2^h 2^(n-h)); exp_neg (argument a >= 0) likewise, except that results
    below 2^-126 (a > 87.3) may be flushed to 0."""
    x = torch.tensor([math.inf, -math.inf, math.nan, 0.0, -0.0, 88.72, 88.7228, 88.73, 1e30,
                      -1e30, -87.4, -100.0, -103.9, -104.5])
    fn = torch.compile(KERNEL.exp, dynamic=True, fullgraph=True)
    torch.testing.assert_close(fn(x), torch.exp(x), rtol=2 * EPS32, atol=0, equal_nan=True)
    a = torch.tensor([math.inf, math.nan, 0.0, 1.0, 80.0, 87.3, 88.0, 104.5, 1e30])
    fn = torch.compile(KERNEL.exp_neg, dynamic=True, fullgraph=True)
    torch.testing.assert_close(fn(a), torch.exp(-a), rtol=2 * EPS32, atol=2.0**-126,
                               equal_nan=True)
    assert fn(a)[[0, -1, -2]].tolist() == [0.0, 0.0, 0.0]
    a = _grid(1e-30, 87.0).abs()
    assert _ulp(fn(a), torch.exp(-a.double())) <= 2.0


def test_log1p_abs_special_values() -> None:
    """nan propagates; ±inf gives nan (formulas take their limits at ±inf instead)."""
    fn = torch.compile(KERNEL.log1p_abs, dynamic=True, fullgraph=True)
    got = fn(torch.tensor([math.nan, math.inf, -math.inf, 0.0, -0.0, 3e38, -3e38]))
    assert got[:3].isnan().all()
    assert got[3:5].tolist() == [0.0, 0.0]
    assert got[5:].tolist() == pytest.approx([math.log1p(3e38)] * 2, rel=EPS32)
    previous = kernels.set_backend("compiled")
    try:
        limits = F.logsig(torch.tensor([math.inf, -math.inf, math.nan]))
    finally:
        kernels.set_backend(previous)
    assert limits[:2].tolist() == [1.0, -1.0]
    assert limits[2].isnan()


def test_inductor_expm1_cancellation_is_avoided() -> None:
    # Inductor's vectorised expm1 is exp(x) - 1: tanh(1e-7) came out 10 % wrong through it.
    x = torch.full((1 << 12,), 1e-7)
    fn = torch.compile(KERNEL.expm1, dynamic=True, fullgraph=True)
    for dtype in (torch.float32, torch.float64):
        want = torch.special.expm1(x.to(dtype).double())
        assert float((fn(x.to(dtype)).double() / want - 1).abs().max()) < 2 * EPS32
    previous = kernels.set_backend("compiled")
    try:
        y = kernels.phi(get("tanh"), x)
    finally:
        kernels.set_backend(previous)
    assert float((y.double() / torch.tanh(x.double()) - 1).abs().max()) < 2 * EPS32


@pytest.mark.parametrize(
    ("name", "params"),
    [("logsig", {}), ("gelu", {}), ("softplus", {}), ("silu", {}),
     ("logsig", {"scale": 2.0, "gain": 3.0}),
     ("softplus", {"shift": 0.5, "offset": -1.0})],
)
def test_dphi_from_value_equals_dphi(name, params) -> None:
    act = get(name, **params)
    assert act.backward_uses_value == ("offset" not in params)  # y - offset would cancel
    x = np.concatenate([np.linspace(-30, 30, 6001), [0.0, 1e-300, -1e-300, 1e30, -1e30]])
    want = act.dphi(x)
    for values in (x, torch.from_numpy(x)):
        got = np.asarray(act.dphi_from_value(values, act.phi(values)))
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)
    specials = np.array([math.inf, -math.inf, math.nan])
    got = act.dphi_from_value(specials, act.phi(specials))
    np.testing.assert_array_equal(got, act.dphi(specials))


@pytest.mark.parametrize(
    ("name", "hi", "bound"),
    [("tanh", 1e3, 4.0), ("arctan", 1e3, 2.0), ("elu", 1e3, 2.0), ("softplus", 1e3, 3.0),
     ("logsig", 1e3, 3.0), ("log_semisigmoid", 1e3, 2.0), ("logmin", 1e3, 2.0),
     ("silu", 1e3, 2.0), ("erf", 1e3, 3.0), ("gelu", 5.0, 20.0)],
)
def test_compiled_value_is_accurate_to_a_few_ulp(name, hi, bound, vector_isa) -> None:
    """``phi(x)`` through the compiled kernel (FMA-contracted fastmath), relative to float64,
    for ``|x| <= hi`` (gelu: its ndtr tail loses ``x^2/2`` ulp beyond, see fastmath), with
    AVX2 and AVX-512 code alike."""
    previous = kernels.set_backend("compiled")
    try:
        x = _grid(1e-20, hi)
        y = kernels.phi(get(name), x)
    finally:
        kernels.set_backend(previous)
    assert _ulp(y, get(name).phi(x.double())) <= bound


@pytest.mark.parametrize(
    ("name", "bound"),
    [("tanh", 4.0), ("arctan", 2.0), ("elu", 2.0), ("softplus", 3.0), ("sigmoid", 4.0),
     ("logsig", 8.0)],
)
def test_compiled_gradient_is_accurate_to_a_few_ulp(name, bound, vector_isa) -> None:
    """``d phi / dx`` through the compiled forward and backward, relative to float64, for
    ``|x| <= 1e3`` (logsig's value form errs by ``(1 + ln(1 + |x|))/2`` ulp: 4 at 1e3), with
    AVX2 and AVX-512 code alike."""
    previous = kernels.set_backend("compiled")
    try:
        x = _grid(1e-20, 1e3).requires_grad_()
        (dx,) = torch.autograd.grad(F.activation(x, name), x, torch.ones_like(x))
    finally:
        kernels.set_backend(previous)
    assert _ulp(dx, get(name).dphi(x.detach().double())) <= bound


def test_silu_gradient_from_the_value_is_accurate() -> None:
    """silu' = (y/x)(1 + (x - y)) without exp: a few ulp relative, except next to the root
    of silu' (x = -1.2785), where any float32 form errs relatively; there it errs by
    < 4 eps absolutely."""
    previous = kernels.set_backend("compiled")
    try:
        x = _grid(1e-20, 1e3).requires_grad_()
        (dx,) = torch.autograd.grad(F.activation(x, "silu"), x, torch.ones_like(x))
    finally:
        kernels.set_backend(previous)
    want = get("silu").dphi(x.detach().double())
    near_root = (x.detach() + 1.2785).abs() < 0.05
    assert _ulp(dx[~near_root], want[~near_root]) <= 12.0
    assert float((dx[near_root].double() - want[near_root]).abs().max()) < 4 * EPS32
