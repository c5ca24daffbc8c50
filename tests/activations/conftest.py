"""Fixtures for the activation tests."""

from __future__ import annotations

import pytest

from depthscope.activations import kernels


@pytest.fixture
def eager_kernels():
    """Run the test with the eager kernels (no compilation), then restore the backend."""
    previous = kernels.set_backend("eager")
    yield
    kernels.set_backend(previous)


def vector_isas() -> list[int]:
    """The x86 vector widths (bits) Inductor can target on this CPU: 256 (AVX2), 512 (AVX-512);
    ``[0]`` where it has neither (tests that need one skip)."""
    from torch._inductor.cpu_vec_isa import valid_vec_isa_list

    widths = {isa.bit_width() for isa in valid_vec_isa_list()}
    return [bits for bits in (256, 512) if bits in widths] or [0]


@pytest.fixture(params=vector_isas(), ids=lambda bits: f"simd{bits}")
def vector_isa(request, monkeypatch):
    """Compile the test's kernels for one vector width (``cpp.simdlen``), from scratch."""
    from torch._inductor import config

    if not request.param:
        pytest.skip("this CPU has neither AVX2 nor AVX-512")
    monkeypatch.setattr(kernels, "STATE", kernels.KernelState(kernels.STATE.backend))
    with config.patch({"cpp.simdlen": request.param}):
        yield request.param
