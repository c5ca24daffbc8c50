"""Vectorised bit casts in Inductor's CPU kernels (issue 13).

``fastmath`` reads and writes float32 exponent bits (``2^n`` in ``exp``, the exponent of
``u`` in ``log1p``) with ``Tensor.view(int32/float32)``, which Inductor lowers to
``to_dtype_bitcast``. Inductor's vectorised C++ backend has no vector form of that op: it
scalarises it (store the vector, ``c10::bit_cast`` lane by lane, reload), and with 16-lane
AVX-512 vectors the compiler keeps that loop in the hot loop (Intel Xeon, AVX-512, forward +
backward on 2^24 float32 in one A/B run: fused sigmoid 1.82x ``torch.relu`` without this
module, 1.31x with it).

A bit cast between two 4-byte types is a no-op on a vector register, and ATen's vector
library has it: ``at::vec::cast<dst>(v)`` (``_mm512_castsi512_ps`` and friends, or a
store/load of the same bytes). :func:`vectorised_bitcasts` makes Inductor emit that while our
kernels compile, and restores Inductor's own rule afterwards; other casts (and every other
kernel of the process) are untouched. If this torch's code generator does not have the hook
we patch, nothing is patched and the kernels stay correct, only slower. A no-op post-grad pass
with its own ``uuid`` keys these kernels apart in Inductor's FX graph cache, so a kernel
compiled without the patch (an older depthscope) is never served from the cache for one with it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

_CACHE_KEY = "depthscope: 4-byte to_dtype_bitcast as at::vec::cast, v1"


def _cache_key_pass() -> object | None:
    """A post-grad pass that changes nothing and whose ``uuid`` enters the FX graph cache key:
    this patch's version and the vector ISA Inductor generates code for. (Inductor picks the
    ISA from ``ATEN_CPU_CAPABILITY`` and ``cpp.simdlen`` but does not key its cache by it: on an
    AVX-512 machine a kernel compiled under ``ATEN_CPU_CAPABILITY=avx2`` was served to the next
    default process, and the reverse, giving garbage or a crash.)"""
    try:
        from torch._inductor.cpu_vec_isa import pick_vec_isa
        from torch._inductor.custom_graph_pass import CustomGraphPass
    except ImportError:  # pragma: no cover - torch older than the custom-pass API
        return None
    isa = pick_vec_isa()
    key = f"{_CACHE_KEY}; vector ISA {isa or 'none'} ({isa.bit_width() if isa else 0} bits)"

    class CacheKey(CustomGraphPass):
        def __call__(self, graph: torch.fx.graph.Graph) -> None:
            return None

        def uuid(self) -> str:
            return key

    return CacheKey()


def _vector_overrides() -> type | None:
    """Inductor's ``CppVecOverrides`` if it has the scalarised ``to_dtype_bitcast``."""
    try:
        from torch._inductor.codegen import cpp
    except ImportError:  # pragma: no cover - torch without Inductor
        return None
    overrides = getattr(cpp, "CppVecOverrides", None)
    return overrides if overrides is not None and hasattr(overrides, "to_dtype_bitcast") else None


def vector_bitcast(x: object, dtype: torch.dtype, src_dtype: torch.dtype) -> str | None:
    """The C++ of a vectorised bit cast of ``x`` from ``src_dtype`` to ``dtype``, or ``None``
    where the byte sizes differ (one vector would not map to one vector)."""
    from torch._inductor.codegen.cpp_utils import DTYPE_TO_CPP

    if dtype.itemsize != src_dtype.itemsize or dtype.itemsize != 4:
        return None
    return f"at::vec::cast<{DTYPE_TO_CPP[dtype]}>({x})"


@contextlib.contextmanager
def vectorised_bitcasts() -> Iterator[bool]:
    """While active, Inductor's vectorised CPU kernels bit-cast 4-byte lanes in registers.
    Yields whether the patch is in place."""
    overrides = _vector_overrides()
    if overrides is None:
        yield False
        return
    scalarised = overrides.__dict__["to_dtype_bitcast"]

    def to_dtype_bitcast(x: object, dtype: torch.dtype, src_dtype: torch.dtype) -> object:
        code = vector_bitcast(x, dtype, src_dtype)
        return scalarised.__func__(x, dtype, src_dtype) if code is None else code

    from torch._inductor import config

    key = _cache_key_pass()
    options = {} if key is None else {"post_grad_custom_post_pass": key}
    overrides.to_dtype_bitcast = staticmethod(to_dtype_bitcast)
    try:
        with config.patch(options):
            yield True
    finally:
        overrides.to_dtype_bitcast = scalarised
