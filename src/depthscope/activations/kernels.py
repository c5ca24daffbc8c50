"""Fused torch kernels for ``phi(x)`` and ``g * phi'(x)``, with an always-working eager path.

A composition of eager ops reads and writes the whole tensor once per op (4-20x slower than
``torch.relu`` on large tensors). Here each activation's closed form is traced to an ATen graph
with a symbolic length (``make_fx``) and compiled by Inductor (``standalone_compile``) into one
fused elementwise kernel for the forward (``phi``) and one for the backward (``g * phi'``), so
both move as many bytes as ReLU does. The compiled kernel is called directly, without
TorchDynamo's per-call guard evaluation (about 10 us per call instead of about 180 us), and
kept per activation, kind, dtypes and device.

Backends (``set_backend`` or the environment variable ``DEPTHSCOPE_KERNELS``):

- ``"auto"`` (default): compiled kernels on CPU/CUDA for *hot* callers (``hot=True``: a
  training loop that calls the same kernel hundreds of thousands of times, whatever the size:
  the choice is made per (activation, kind, dtype, device), once per process) and for tensors
  of at least :data:`AUTO_MIN_NUMEL` elements; eager closed forms for other one-off calls;
- ``"compiled"``: compiled kernels whenever possible;
- ``"eager"``: never compile.

Whatever the backend, anything the compiler cannot do (no C++ compiler, a compile error, an
unsupported device or dtype, tracing inside a user's own ``torch.compile``) falls back to the
eager closed form and says so once through :mod:`logging` (logger
``depthscope.activations.kernels``). Half-precision inputs are computed in float32 inside the
kernel and returned in their own dtype. Kernels take the flattened tensors with a symbolic
length, so a new shape never recompiles.
"""

from __future__ import annotations

import functools
import inspect
import logging
import math
import os
import re
import shutil
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import torch

from depthscope.activations.base import Activation
from depthscope.activations.fastmath import KERNEL, KernelOps
from depthscope.activations.vecbitcast import vectorised_bitcasts
from depthscope.errors import DepthscopeError

Backend = Literal["auto", "compiled", "eager"]
BACKENDS: tuple[Backend, ...] = ("auto", "compiled", "eager")
AUTO_MIN_NUMEL = 1 << 18  # below this, compiling once costs more than one call saves
ENV_VAR = "DEPTHSCOPE_KERNELS"
# Inductor settings for our kernels: contract a*b + c into FMAs (Inductor's default is off;
# the polynomials of fastmath.py get faster and no less accurate), and compile
# in this process (a pool of compile workers costs more than two small kernels).
INDUCTOR_OPTIONS = {"cpp.enable_floating_point_contract_flag": "fast", "compile_threads": 1}

log = logging.getLogger(__name__)
_HALF = (torch.float16, torch.bfloat16)
_PROBE = (-math.inf, math.inf, math.nan)  # where Activation masks a formula's value (in order)
_DTYPES = (*_HALF, torch.float32, torch.float64)


def _check(name: str) -> Backend:
    if name not in BACKENDS:
        raise DepthscopeError(
            f"unknown kernel backend {name!r}; use one of {', '.join(BACKENDS)}"
            f" (set_backend or {ENV_VAR})"
        )
    return name  # type: ignore[return-value]


@dataclass
class KernelState:
    """All the kernels' process state, in one place: the backend, the compiled kernels by
    ``(activation, kind, input dtypes, device)``, the kernels whose compilation failed (each
    with its reason: only that kernel runs eager), the messages already logged and the
    seconds spent building kernels (compiling, or loading from Inductor's cache)."""

    backend: Backend
    compiled: dict[tuple[object, ...], Kernel] = field(default_factory=dict)
    failed: dict[tuple[object, ...], str] = field(default_factory=dict)
    logged: set[str] = field(default_factory=set)
    build_seconds: float = 0.0


STATE = KernelState(_check(os.environ.get(ENV_VAR, "auto").strip().lower() or "auto"))


def set_backend(name: Backend) -> Backend:
    """Choose ``"auto"``, ``"compiled"`` or ``"eager"`` kernels; returns the previous one
    (failed kernels get another chance when a backend is chosen explicitly)."""
    previous, STATE.backend = STATE.backend, _check(name)
    STATE.failed.clear()
    return previous


def get_backend() -> Backend:
    """The current kernel backend."""
    return STATE.backend


def _log_once(key: str, message: str, level: int = logging.INFO) -> None:
    if key not in STATE.logged:
        STATE.logged.add(key)
        log.log(level, message)


def compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """float32 for half-precision inputs (computed in float32, returned in their dtype)."""
    return torch.float32 if dtype in _HALF else dtype


def eager_phi(act: Activation, x: torch.Tensor) -> torch.Tensor:
    """``phi(x)`` by the eager closed form (half precision computed in float32)."""
    return act.phi(x.to(compute_dtype(x.dtype))).to(x.dtype)


def eager_grad(act: Activation, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """``g * phi'(x)`` by the eager closed form (half precision computed in float32)."""
    dtype = compute_dtype(x.dtype)
    return (g.to(dtype) * act.dphi(x.to(dtype))).to(x.dtype)


def _formula(act: Activation, kind: str, o: type[KernelOps] = KERNEL
             ) -> Callable[..., torch.Tensor]:
    """The computation a kernel fuses, on flat tensors (N,), in the namespace ``o``."""
    if kind == "phi":

        def kernel(x: torch.Tensor) -> torch.Tensor:  # (N,) -> (N,)
            return act.phi(x.to(compute_dtype(x.dtype)), o).to(x.dtype)

    elif kind == "grad":

        def kernel(x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:  # (N,), (N,) -> (N,)
            dtype = compute_dtype(x.dtype)
            return (g.to(dtype) * act.dphi(x.to(dtype), o)).to(x.dtype)

    else:  # "grad_from_value": phi' from x and the forward's output y

        def kernel(x: torch.Tensor, y: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
            dtype = compute_dtype(x.dtype)
            dphi = act.dphi_from_value(x.to(dtype), y.to(dtype), o)
            return (g.to(dtype) * dphi).to(x.dtype)

    return kernel


def _namespace(act: Activation, kind: str, example: list[torch.Tensor]) -> type[KernelOps]:
    """``KERNEL`` without the masks at ``u = -inf, +inf, nan`` (limits, nan) that change
    nothing for this formula: run eagerly there without masks, it already gives the masked
    value, bit for bit (each mask costs 2-5 % of a kernel's arithmetic). CPU only: its
    vectorised C++ treats ``±inf`` and ``nan`` as eager torch does; other devices keep all."""
    if example[0].device.type != "cpu":
        return KERNEL
    x = torch.tensor(_PROBE, dtype=example[0].dtype)
    ones = torch.ones_like(x)
    probe = {"phi": (x,), "grad": (x, ones),
             "grad_from_value": (x, _formula(act, "phi")(x), ones)}[kind]
    want = _formula(act, kind)(*probe)
    got = _formula(act, kind, KERNEL.masking((False, False, False)))(*probe)
    a, b = want.double(), got.double()
    same = ((a == b) & (a.signbit() == b.signbit())) | (a.isnan() & b.isnan())
    return KERNEL.masking(tuple(not ok for ok in same.tolist()))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Kernel:
    """A compiled elementwise kernel of flat tensors: ``compiled(*flat)`` through Inductor's
    runtime wrapper, and ``direct`` (CPU, where found): the generated C++ function itself,
    ``direct(*flat, out=out)``, which writes into ``out`` (contiguous, any offset) with no
    Python wrapper and no allocation — a few microseconds a call instead of tens."""

    compiled: Callable[..., torch.Tensor | list[torch.Tensor] | tuple[torch.Tensor, ...]]
    direct: Callable[..., None] | None = None

    def __call__(self, *flat: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        if out is not None and self.direct is not None:
            self.direct(*flat, out=out)
            return out
        result = self.compiled(*flat)
        result = result if isinstance(result, torch.Tensor) else result[0]
        return result if out is None else out.copy_(result)


SANITY = 4096  # elements of the first call's input that a new kernel is checked on
#: and the points where formulas break first (overflow, limits, nan), checked as well
EDGES = (-math.inf, -1e30, -1e4, -1.0, 0.0, 1.0, 1e4, 1e30, math.inf, math.nan)


def _build(act: Activation, kind: str, example: list[torch.Tensor]) -> Kernel:
    """Inductor's kernel for ``_formula(act, kind)``, traced on ``example`` with symbolic
    sizes (the formula's float constants become literals of the C++/Triton code), checked
    against the eager closed form (torch's own ops) on the first :data:`SANITY` elements of
    ``example`` and at :data:`EDGES`: a kernel that disagrees (code served for another ISA, or
    a formula that calls a fast op outside its domain) raises, and runs eager from then on."""
    kernel = compile_formula(_formula(act, kind, _namespace(act, kind, example)), example)
    x = torch.tensor(EDGES, dtype=example[0].dtype, device=example[0].device)
    ones = torch.ones_like(x)
    edges = {"phi": [x], "grad": [x, ones],
             "grad_from_value": [x, _formula(act, "phi")(x), ones]}[kind]
    for inputs in ([t[:SANITY] for t in example], edges):
        got = kernel(*inputs)
        want = eager_phi(act, inputs[0]) if kind == "phi" else eager_grad(act, inputs[0],
                                                                           inputs[-1])
        tol = 1e-2 if want.dtype in _HALF else 1e-4
        wrong = ~torch.isclose(got, want, rtol=tol, atol=tol, equal_nan=True)
        if wrong.any():
            at = ", ".join(f"{v:g}" for v in inputs[0][wrong][:3].tolist())
            raise RuntimeError(f"the compiled {kind} kernel disagrees with the eager formula "
                               f"at x = {at}")
    return kernel


def compile_formula(formula: Callable[..., torch.Tensor], example: list[torch.Tensor]
                    ) -> Kernel:
    """One fused Inductor kernel for an elementwise ``formula`` of flat tensors, traced on
    ``example`` with a symbolic length, with :data:`INDUCTOR_OPTIONS` and vectorised bit
    casts (:mod:`~depthscope.activations.vecbitcast`); on CPU also its C++ function for
    direct calls (checked bit for bit against the wrapped kernel on ``example``)."""
    import torch._functorch.config as functorch_config
    from torch._inductor import config as inductor_config
    from torch._inductor import standalone_compile
    from torch._inductor.compile_fx import compile_fx_inner
    from torch.fx.experimental.proxy_tensor import make_fx

    graph = make_fx(formula, tracing_mode="symbolic")(*example)
    if not any(node.op == "call_function" for node in graph.graph.nodes):
        return Kernel(graph)  # returns an input as it is (identity): nothing to compile
    outputs: list[Any] = []

    def inner(*args: Any, **kwargs: Any) -> Any:  # keeps Inductor's own compiled graph
        outputs.append(compile_fx_inner(*args, **kwargs))
        return outputs[-1]

    # (AOTAutograd's cache would hand back the wrapped kernel without compiling the inner
    # graph; Inductor's FX graph cache still serves the generated code.)
    with inductor_config.patch(INDUCTOR_OPTIONS), vectorised_bitcasts() as vectorised, \
            functorch_config.patch(enable_autograd_cache=False):
        if not vectorised:
            _log_once("bitcast", "this torch's Inductor has no hook for vectorised bit casts: "
                      "activation kernels bit-cast lane by lane (slower, equally accurate)")
        compiled = standalone_compile(graph, example, dynamic_shapes="from_graph",
                                      options={"inner_compile": inner})
    direct = _direct(outputs[0], len(example)) if len(outputs) == 1 else None
    if direct is None and example[0].device.type == "cpu":
        _log_once("no-direct", "this torch's Inductor wrapper is not the one-kernel shape "
                  "depthscope calls directly: CPU kernels go through the wrapper (slower)")
    kernel = Kernel(compiled, direct)
    if direct is not None and not _same_direct(kernel, example):
        _log_once("direct", "a compiled kernel's direct call disagrees with its wrapper: "
                  "calling it through the wrapper", logging.WARNING)
        kernel = Kernel(compiled)
    return kernel


# the one kernel launch of a generated CPU wrapper, and what it returns
_LAUNCH = re.compile(r"^\s*(cpp_fused_\w+)\((.*)\)\s*$", re.MULTILINE)
_RETURN = re.compile(r"^\s*return \((\w+), \)\s*$", re.MULTILINE)


def _direct(code: Any, inputs: int) -> Callable[..., None] | None:
    """The C++ function behind Inductor's wrapper ``call(args)`` when that wrapper launches
    exactly one kernel on the inputs (``argK_1``), the returned buffer and the length: its
    arguments in the launch's order, or ``None`` for any other shape of wrapper."""
    call = getattr(code, "current_callable", None)
    function = getattr(call, "__func__", call)
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return None
    launches, returns = _LAUNCH.findall(source), _RETURN.findall(source)
    if len(launches) != 1 or len(returns) != 1:
        return None
    name, arguments = launches[0]
    launch = function.__globals__.get(name)
    slots: list[int | str] = []
    for token in (a.strip() for a in arguments.split(",")):
        if match := re.fullmatch(r"arg(\d+)_1", token):
            slots.append(int(match[1]))
        elif token == returns[0]:
            slots.append("out")
        elif re.fullmatch(r"k?s\d+", token):
            slots.append("n")
        else:
            return None
    if (launch is None or slots.count("out") != 1 or slots.count("n") != 1
            or sorted(s for s in slots if isinstance(s, int)) != list(range(inputs))):
        return None

    def direct(*flat: torch.Tensor, out: torch.Tensor) -> None:
        n = out.numel()
        launch(*(out if s == "out" else n if s == "n" else flat[s] for s in slots))

    return direct


def _same_direct(kernel: Kernel, example: list[torch.Tensor]) -> bool:
    """The direct call equals the wrapped kernel bit for bit on ``example``, also when every
    input and the output are views that start one element in (the pointers of slices)."""
    assert kernel.direct is not None
    for inputs in (example, [t[1:] for t in example]):
        want = kernel.compiled(*(t.clone() for t in inputs))
        want = want if isinstance(want, torch.Tensor) else want[0]
        fill = math.nan if want.is_floating_point() else 7  # what a skipped write leaves
        got = torch.full((want.numel() + 1,), fill, dtype=want.dtype)[1:]
        kernel.direct(*inputs, out=got)
        if not torch.equal(got.view(torch.uint8), want.view(torch.uint8)):
            return False
    return True


@functools.cache
def _compiler_missing(device_type: str) -> str | None:
    """Why kernels cannot be compiled for this device type (``None`` if they can)."""
    if device_type == "cpu":
        from torch._inductor import config

        cxx = config.cpp.cxx[1] if isinstance(config.cpp.cxx, tuple) else config.cpp.cxx
        return None if shutil.which(cxx or "g++") else f"no C++ compiler ({cxx}) on PATH"
    if device_type == "cuda":
        from torch.utils._triton import has_triton

        return None if has_triton() else "triton is not installed"
    return f"device {device_type} is not supported by the compiled kernels"


def _use_compiled(x: torch.Tensor, hot: bool = False) -> bool:
    if STATE.backend == "eager" or torch.compiler.is_compiling():
        return False
    if x.numel() < (AUTO_MIN_NUMEL if STATE.backend == "auto" and not hot else 2):
        return False  # (symbolic tracing specialises sizes 0 and 1; kernels serve N >= 2)
    if x.dtype not in _DTYPES:
        _log_once(f"dtype:{x.dtype}", f"eager activation kernels for dtype {x.dtype}")
        return False
    missing = _compiler_missing(x.device.type)
    if missing:
        _log_once(f"missing:{x.device.type}", f"eager activation kernels: {missing}")
        return False
    return True


def _run(act: Activation, kind: str, *tensors: torch.Tensor, out: torch.Tensor | None = None
         ) -> torch.Tensor | None:
    """The compiled kernel on flattened inputs (into ``out``, contiguous, when given), or
    ``None`` if it cannot run: its compilation failed, now or before (logged once, with the
    activation, the kernel and the reason; every other kernel stays compiled). A kernel with
    a direct call takes contiguous tensors as they are, on their memory (no flattening: a
    hot caller's call 8 -> 4 us, Intel Xeon AVX-512, 2026-12-05)."""
    key = (act, kind, *(t.dtype for t in tensors), tensors[0].device)
    kernel = STATE.compiled.get(key)
    if kernel is None and key in STATE.failed:
        return None
    try:
        if kernel is None:
            # Warnings from inside torch's compiler stack are torch's business, not the
            # caller's (pytest would make them errors).
            start = time.perf_counter()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    kernel = STATE.compiled[key] = _build(act, kind, _flat(tensors))
            finally:
                STATE.build_seconds += time.perf_counter() - start
        target = out
        if kernel.direct is not None:
            if target is None:
                target = torch.empty_like(tensors[0], memory_format=torch.contiguous_format)
            if all(t.is_contiguous() for t in tensors):
                kernel.direct(*tensors, out=target)
                return target
        result = kernel(*_flat(tensors), out=None if target is None else target.view(-1))
        return result.view(tensors[0].shape) if target is None else target
    except Exception as err:
        reason = f"{type(err).__name__}: {err}"
        STATE.compiled.pop(key, None)
        STATE.failed[key] = reason
        dtypes = ", ".join(str(t.dtype).removeprefix("torch.") for t in tensors)
        _log_once(
            f"failed:{key}",
            f"compiling the {act.label} {kind} kernel ({dtypes}, {tensors[0].device}) failed "
            f"({reason}); this kernel runs eager from now on",
            logging.WARNING,
        )
        return None


def _flat(tensors: tuple[torch.Tensor, ...]) -> list[torch.Tensor]:
    """Each tensor as a contiguous, detached (N,) view (or copy, if not contiguous)."""
    return [t.contiguous().view(-1).detach() for t in tensors]


def _check_out(out: torch.Tensor | None, x: torch.Tensor) -> None:
    """``out`` is None or a contiguous tensor of ``x``'s shape, dtype and device (the kernels
    write ``x.numel()`` values into its memory)."""
    if out is not None and (out.shape != x.shape or out.dtype != x.dtype
                            or out.device != x.device or not out.is_contiguous()):
        raise DepthscopeError(
            f"out must be a contiguous tensor of x's shape {tuple(x.shape)}, dtype {x.dtype} "
            f"and device {x.device}, got shape {tuple(out.shape)}, {out.dtype}, {out.device}"
            f"{'' if out.is_contiguous() else ', not contiguous'}")


def phi(act: Activation, x: torch.Tensor, *, hot: bool = False,
        out: torch.Tensor | None = None) -> torch.Tensor:
    """``phi(x)``, fused when possible; same shape and dtype as ``x``. ``hot``: the caller is a
    loop that calls this kernel many times (compiled whatever the size under ``"auto"``).
    ``out``: a contiguous tensor of ``x``'s shape and dtype to write into (returned)."""
    _check_out(out, x)
    result = _run(act, "phi", x, out=out) if _use_compiled(x, hot) else None
    if result is None:
        result = eager_phi(act, x)
        return result if out is None else out.copy_(result)
    return result


def grad(
    act: Activation, x: torch.Tensor, g: torch.Tensor, y: torch.Tensor | None = None, *,
    hot: bool = False, out: torch.Tensor | None = None
) -> torch.Tensor:
    """``g * phi'(x)``, fused when possible; same shape and dtype as ``x``. With ``y = phi(x)``
    given (and ``act.backward_uses_value``), the kernel takes ``phi'`` from ``x`` and ``y``.
    ``hot`` and ``out`` as in :func:`phi`."""
    _check_out(out, x)
    if y is not None and y.shape != x.shape:
        raise DepthscopeError(f"y = phi(x) must have x's shape {tuple(x.shape)}, got "
                              f"{tuple(y.shape)}")
    result = None
    if _use_compiled(x, hot):
        if y is not None and act.backward_uses_value:
            result = _run(act, "grad_from_value", x, y, g.expand_as(x), out=out)
        else:
            result = _run(act, "grad", x, g.expand_as(x), out=out)
    if result is None:
        result = eager_grad(act, x, g)
        return result if out is None else out.copy_(result)
    return result
