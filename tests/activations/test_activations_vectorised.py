"""Issue 13: the compiled kernels' generated C++ is vectorised on every x86 ISA Inductor
targets (AVX2, AVX-512): no lane-by-lane ``c10::bit_cast`` loop in any hot loop, and the
vectorised bit cast agrees with the scalar one."""

from __future__ import annotations

import pytest
import torch

from conftest import vector_isas
from depthscope.activations import get, kernels, vecbitcast
from depthscope.activations.fastmath import KERNEL

pytestmark = [
    pytest.mark.skipif(bool(kernels._compiler_missing("cpu")), reason="no C++ compiler"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),  # from inside torch.compile
]
# every float32 function of fastmath that reads or writes exponent bits, and two whole kernels
BITCASTING = ("exp", "exp_neg", "sigmoid", "expm1", "ndtr", "log1p_abs", "log1p_exp")


def _compiled(formula, example: list[torch.Tensor], bits: int):
    """The kernel for ``formula`` with vectors of ``bits`` bits and Inductor's C++ for it
    (no cache: fresh code)."""
    from torch._inductor import config
    from torch._inductor.utils import run_and_get_code

    if not bits:
        pytest.skip("this CPU has neither AVX2 nor AVX-512")
    with config.patch({"fx_graph_cache": False, "cpp.simdlen": bits}):
        kernel, code = run_and_get_code(kernels.compile_formula, formula, example)
    return kernel, "\n".join(code)


def _generated(formula, example: list[torch.Tensor], bits: int) -> str:
    return _compiled(formula, example, bits)[1]


@pytest.mark.parametrize("bits", vector_isas())
@pytest.mark.parametrize("op", BITCASTING)
def test_fastmath_kernels_have_no_scalar_bitcast_loop(op: str, bits: int) -> None:
    code = _generated(getattr(KERNEL, op), [torch.rand(4099)], bits)
    lanes = bits // 32
    load = "Vectorized<float>::loadu(in_ptr0 + static_cast<int64_t>(x0), "
    assert f"{load}static_cast<int64_t>({lanes}))" in code  # vectorised, {lanes} lanes
    assert "bit_cast" not in code
    assert "at::vec::cast<" in code


@pytest.mark.parametrize("bits", vector_isas())
@pytest.mark.parametrize(("name", "kind"), [("softplus", "phi"), ("logsig", "grad_from_value")])
def test_activation_kernels_have_no_scalar_bitcast_loop(name: str, kind: str, bits: int) -> None:
    act = get(name)
    x = torch.randn(4099)
    example = {"phi": [x], "grad_from_value": [x, act.phi(x), torch.ones_like(x)]}[kind]
    code = _generated(kernels._formula(act, kind), example, bits)
    assert "bit_cast" not in code


@pytest.mark.parametrize("bits", vector_isas())
def test_vectorised_bitcast_equals_the_scalar_one(bits: int) -> None:
    """Every float32 bit pattern class (normal, subnormal, ±0, ±inf, nan) round-trips, and the
    vector lanes equal eager ``Tensor.view``, in the vector body and the tail alike."""
    ints = torch.randint(-(2**31), 2**31 - 1, (4099,), dtype=torch.int32)
    special = torch.tensor([0, -(2**31), 1, 0x7F800000, -8388608, 0x7FC00000, 0x3F800000],
                           dtype=torch.int32)
    ints = torch.cat([special, ints])

    def roundtrip(i: torch.Tensor) -> torch.Tensor:
        f = (i ^ 0x5A5A5A5A).view(torch.float32)
        return (f.view(torch.int32) ^ 0x5A5A5A5A) + ((f == f).to(torch.int32) << 1)

    kernel, code = _compiled(roundtrip, [ints], bits)
    assert "bit_cast" not in code
    got = kernel(ints)
    got = got if isinstance(got, torch.Tensor) else got[0]
    assert torch.equal(got, roundtrip(ints))


def test_the_patch_is_scoped() -> None:
    from torch._inductor.codegen import cpp

    before = cpp.CppVecOverrides.__dict__["to_dtype_bitcast"]
    with vecbitcast.vectorised_bitcasts() as active:
        assert active
        assert cpp.CppVecOverrides.__dict__["to_dtype_bitcast"] is not before
    assert cpp.CppVecOverrides.__dict__["to_dtype_bitcast"] is before
    assert vecbitcast.vector_bitcast("v", torch.float32, torch.int32) == "at::vec::cast<float>(v)"
    assert vecbitcast.vector_bitcast("v", torch.float64, torch.int64) is None
