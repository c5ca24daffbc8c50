"""Kernel backends: compiled equals eager, no recompilation per shape, logged fallback."""

from __future__ import annotations

import logging
import math
import os
import subprocess
import sys

import pytest
import torch

import depthscope.functional as F
from depthscope.activations import get, kernels, names
from depthscope.activations.base import Definition, Tail
from depthscope.activations.registry import register, temporary
from depthscope.errors import DepthscopeError


@pytest.fixture
def compiled():
    previous = kernels.set_backend("compiled")
    yield
    kernels.set_backend(previous)


@pytest.mark.skipif(bool(kernels._compiler_missing("cpu")), reason="no C++ compiler")
def test_compiled_equals_eager_and_never_recompiles_for_a_new_shape(compiled, monkeypatch
                                                                     ) -> None:
    # One activation only: compiling costs seconds (less with a warm Inductor cache).
    act = get("logsig")
    x = torch.linspace(-8, 8, 4099, requires_grad=True)  # float32
    g = torch.randn(4099)
    y = F.logsig(x)
    (dx,) = torch.autograd.grad(y, x, g)
    torch.testing.assert_close(y, kernels.eager_phi(act, x.detach()), rtol=2e-6, atol=1e-7)
    torch.testing.assert_close(dx, kernels.eager_grad(act, x.detach(), g), rtol=2e-6, atol=1e-7)
    kinds = {key[1] for key in kernels.STATE.compiled if key[0] == act}
    assert kinds == {"phi", "grad_from_value"}  # logsig: phi' from x and y
    assert not kernels.STATE.failed  # it really ran compiled
    built = len(kernels.STATE.compiled)
    monkeypatch.setattr(kernels, "_build", None)  # building again would raise: not called
    for shape in [(3, 1000), (7, 11, 13), (5,)]:
        xs = torch.randn(shape).transpose(0, -1).requires_grad_()  # not contiguous
        ys = F.logsig(xs)
        (gs,) = torch.autograd.grad(ys.sum(), xs)  # upstream gradient: expanded, stride 0
        torch.testing.assert_close(ys, act.phi(xs.detach()), rtol=2e-6, atol=1e-7)
        torch.testing.assert_close(gs, act.dphi(xs.detach()), rtol=2e-6, atol=1e-7)
    assert len(kernels.STATE.compiled) == built
    assert not kernels.STATE.failed


def test_a_failing_kernel_falls_back_alone_and_says_why_once(compiled, monkeypatch, caplog):
    built = []

    def build(act, kind, example):  # gelu's forward cannot compile; everything else can
        if act.name == "gelu" and kind == "phi":
            raise RuntimeError("no compiler here")
        built.append((act.name, kind))
        return kernels.Kernel(lambda *flat: act.phi(flat[0]))

    monkeypatch.setattr(kernels, "_build", build)
    monkeypatch.setattr(kernels, "STATE", kernels.KernelState(kernels.STATE.backend))
    x = torch.linspace(-3, 3, 7)
    with caplog.at_level(logging.INFO, logger="depthscope.activations.kernels"):
        for _ in range(2):
            torch.testing.assert_close(kernels.phi(get("gelu"), x, hot=True),
                                       get("gelu").phi(x))
            kernels.phi(get("tanh"), x, hot=True)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # once, naming the activation, the kernel and the reason
    assert "gelu phi kernel (float32, cpu)" in warnings[0]
    assert "RuntimeError: no compiler here" in warnings[0]
    assert built == [("tanh", "phi")]  # tanh stays compiled (built once, then reused)
    assert [key[:2] for key in kernels.STATE.failed] == [(get("gelu"), "phi")]


def test_auto_uses_eager_for_small_tensors_and_create_graph(monkeypatch) -> None:
    previous = kernels.set_backend("auto")
    try:
        calls: list[str] = []
        monkeypatch.setattr(kernels, "_run", lambda act, kind, *t, **kw: calls.append(kind))
        x = torch.randn(10, requires_grad=True)
        (g,) = torch.autograd.grad(F.tanh(x).sum(), x, create_graph=True)
        torch.autograd.grad(g.sum(), x)
        assert calls == []
        big = torch.randn(kernels.AUTO_MIN_NUMEL)
        F.tanh(big)  # _run is stubbed to return None: falls back to eager silently
        assert calls == ["phi"]
    finally:
        kernels.set_backend(previous)


def test_backend_switch_and_environment_variable() -> None:
    previous = kernels.set_backend("eager")
    assert kernels.get_backend() == "eager"
    assert kernels.set_backend(previous) == "eager"
    with pytest.raises(DepthscopeError, match="auto, compiled, eager"):
        kernels.set_backend("fast")  # type: ignore[arg-type]
    code = "from depthscope.activations import kernels; print(kernels.get_backend())"
    env = {**os.environ, "DEPTHSCOPE_KERNELS": "eager"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "eager"


@pytest.mark.parametrize(
    ("name", "kind", "masks"),
    [("gelu", "phi", (True, False, False)),  # x Phi(x) at -inf: -inf * 0 = nan
     ("gelu", "grad_from_value", (True, True, False)),  # y/x at ±inf: nan
     ("sigmoid", "phi", (False, False, False)),  # 1/(1 + e^-x) is right at ±inf and nan
     ("relu", "grad", (False, False, True)),  # (x > 0) is 0 at nan: nan needs the mask
     ("tanh", "phi", (False, False, False)),  # exactly ±1 beyond 13 ln 2, as eager
     ("tanh", "grad_from_value", (False, False, False))],  # 1 - y^2 = 0 there
)
def test_kernels_keep_exactly_the_limit_masks_their_formula_needs(name, kind, masks) -> None:
    example = [torch.zeros(4)] * {"phi": 1, "grad": 2, "grad_from_value": 3}[kind]
    assert kernels._namespace(get(name), kind, example).limit_masks == masks
    assert kernels._namespace(get(name), kind, [t.to("meta") for t in example]).limit_masks == (
        True, True, True)  # other devices keep every mask


@pytest.mark.skipif(bool(kernels._compiler_missing("cpu")), reason="no C++ compiler")
@pytest.mark.parametrize("name", names())
def test_compiled_kernels_match_eager_at_extremes_and_nan(name, compiled) -> None:
    """The masks a kernel drops (probed eagerly) change nothing in the compiled code either:
    the eager values and gradients at ±inf, ±1e30, ±1, 0 and nan (nan exactly where eager has
    nan), through x and through y."""
    act = get(name)
    x = torch.tensor([-math.inf, -1e30, -1.0, 0.0, 1.0, 1e30, math.inf, math.nan] * 2)
    g = torch.linspace(0.5, 2.0, x.numel())
    eager_y = kernels.eager_phi(act, x)
    assert torch.equal(kernels.phi(act, x).isnan(), eager_y.isnan())
    torch.testing.assert_close(kernels.phi(act, x), eager_y, rtol=1e-6, atol=0, equal_nan=True)
    for y in (None, eager_y):
        torch.testing.assert_close(kernels.grad(act, x, g, y), kernels.eager_grad(act, x, g),
                                   rtol=1e-5, atol=1e-30, equal_nan=True)
    assert not kernels.STATE.failed


@pytest.mark.skipif(bool(kernels._compiler_missing("cpu")), reason="no C++ compiler")
@pytest.mark.parametrize("name", ["tanh", "gelu", "relu"])
def test_direct_kernels_write_into_slices_and_equal_the_wrapper(name: str) -> None:
    """On CPU the generated C++ function is called directly: it writes into the given slice
    only, and equals Inductor's wrapped kernel bit for bit (phi and both backward forms)."""
    act = get(name)
    x = torch.randn(6, 10, 7) * 4
    x[0, 0, :3] = torch.tensor([math.inf, -math.inf, math.nan])
    g = torch.randn_like(x)
    y = kernels.phi(act, x, hot=True)
    for kind, args in (("phi", (x,)), ("grad", (x, g)), ("grad_from_value", (x, y, g))):
        if kind == "grad_from_value" and not act.backward_uses_value:
            continue
        kernel = kernels.STATE.compiled.get((act, kind, *(a.dtype for a in args), x.device))
        if kernel is None:
            kernels._run(act, kind, *args)
            kernel = kernels.STATE.compiled[(act, kind, *(a.dtype for a in args), x.device)]
        assert kernel.direct is not None, f"{name} {kind}: no direct call"
        flat = [a[2:5].reshape(-1) for a in args]  # members 2-4, contiguous views
        out = torch.full_like(x, 123.0)
        kernel(*flat, out=out[2:5].view(-1))
        wrapped = kernel.compiled(*(f.clone() for f in flat))
        wrapped = wrapped if isinstance(wrapped, torch.Tensor) else wrapped[0]
        assert torch.equal(out[2:5].reshape(-1).view(torch.int32), wrapped.view(torch.int32))
        assert (out[:2] == 123.0).all()
        assert (out[5:] == 123.0).all()


@pytest.mark.skipif(bool(kernels._compiler_missing("cpu")), reason="no C++ compiler")
def test_hot_calls_on_contiguous_tensors_equal_the_flattened_path() -> None:
    """A built kernel is called on a contiguous tensor's memory as it is (no flattening):
    bit for bit the flattened call's result, into ``out`` or a new tensor; non-contiguous
    inputs take the flattened path and give the same values."""
    act = get("logsig")
    x = torch.randn(4, 9, 5) * 3
    g = torch.randn_like(x)
    y = kernels.phi(act, x, hot=True)  # builds the kernel
    flat = kernels.STATE.compiled[(act, "phi", x.dtype, x.device)](x.view(-1).clone())
    out = torch.empty_like(x)
    assert kernels.phi(act, x, hot=True, out=out) is out
    assert torch.equal(out.view(-1), flat)
    assert torch.equal(y.view(-1), flat)
    dx = kernels.grad(act, x, g, y, hot=True)
    dx_t = kernels.grad(act, x.transpose(0, 2), g.transpose(0, 2), y.transpose(0, 2), hot=True)
    assert torch.equal(dx_t, dx.transpose(0, 2))
    assert not kernels.STATE.failed


@pytest.mark.parametrize("bad", ["shape", "dtype", "strides"])
def test_out_of_another_shape_dtype_or_layout_is_refused(bad: str) -> None:
    """The kernels write x.numel() values into out's memory: an out of another shape or
    dtype, or not contiguous, is a one-line error, never a silent overrun."""
    act = get("tanh")
    x = torch.randn(8, 6)
    out = {"shape": torch.empty(8, 7), "dtype": torch.empty(8, 6, dtype=torch.float64),
           "strides": torch.empty(6, 8).t()}[bad]
    with pytest.raises(DepthscopeError, match="out must be a contiguous tensor"):
        kernels.phi(act, x, hot=True, out=out)
    with pytest.raises(DepthscopeError, match="out must be a contiguous tensor"):
        kernels.grad(act, x, torch.ones_like(x), hot=True, out=out)
    with pytest.raises(DepthscopeError, match="must have x's shape"):
        kernels.grad(act, x, torch.ones_like(x), torch.zeros(3), hot=True)


def test_direct_call_needs_the_one_kernel_wrapper(tmp_path) -> None:
    """A wrapper that launches one kernel on the inputs, the returned buffer and the length
    gets a direct call with the launch's argument order; any other shape (two launches, an
    unknown argument, a missing input, no source) gets none: it goes through the wrapper."""
    import importlib.util
    from types import SimpleNamespace

    def wrapper(name: str, body: str) -> SimpleNamespace:
        path = tmp_path / f"{name}.py"
        path.write_text("launched = []\n"
                        "def cpp_fused_a_0(*args):\n    launched.append(args)\n"
                        "cpp_fused_b_1 = cpp_fused_a_0\n"
                        f"def call(args):\n{body}")
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return SimpleNamespace(current_callable=module.call, module=module)

    good = wrapper("good", "    cpp_fused_a_0(arg1_1, buf1, arg0_1, s7)\n    return (buf1, )\n")
    direct = kernels._direct(good, 2)
    assert direct is not None
    x, y, out = torch.zeros(3), torch.ones(3), torch.empty(3)
    direct(x, y, out=out)
    (args,) = good.module.launched
    assert (args[0] is y, args[1] is out, args[2] is x, args[3]) == (True, True, True, 3)
    bodies = {
        "two": "    cpp_fused_a_0(arg0_1, buf0, s0)\n    cpp_fused_b_1(buf0, arg1_1, buf1, s0)\n"
               "    return (buf1, )\n",
        "odd": "    cpp_fused_a_0(arg0_1, arg1_1, buf0, s0, 3.0)\n    return (buf0, )\n",
        "missing": "    cpp_fused_a_0(arg0_1, buf0, s0)\n    return (buf0, )\n",
        "other_buffer": "    cpp_fused_a_0(arg0_1, arg1_1, buf0, s0)\n    return (buf1, )\n",
    }
    for name, body in bodies.items():
        assert kernels._direct(wrapper(name, body), 2) is None, name
    assert kernels._direct(SimpleNamespace(current_callable=print), 1) is None  # no source


@pytest.mark.skipif(bool(kernels._compiler_missing("cpu")), reason="no C++ compiler")
def test_kernels_compiled_for_another_isa_are_never_served(tmp_path) -> None:
    """One Inductor cache, two processes of different vector ISAs (ATEN_CPU_CAPABILITY): each
    compiles its own kernels and both equal the eager formula (the cache once served AVX2
    code to AVX-512 processes and the reverse: garbage or a crash)."""
    from torch._inductor.cpu_vec_isa import valid_vec_isa_list

    if {isa.bit_width() for isa in valid_vec_isa_list()} < {256, 512}:
        pytest.skip("needs a CPU with both AVX2 and AVX-512")
    code = "\n".join([
        "import torch; from depthscope.activations import get, kernels",
        "x = torch.linspace(-9, 9, 5000); act = get('tanh')",
        "y = kernels.phi(act, x, hot=True); e = kernels.eager_phi(act, x)",
        "print(torch.backends.cpu.get_cpu_capability(), float((y - e).abs().max()),",
        "      bool(kernels.STATE.failed))"])
    seen = []
    for capability in ("avx2", "default", "avx2"):
        env = {**os.environ, "TORCHINDUCTOR_CACHE_DIR": str(tmp_path / "cache")}
        env.pop("ATEN_CPU_CAPABILITY", None)
        if capability != "default":
            env["ATEN_CPU_CAPABILITY"] = capability
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        isa, error, fell_back = out.stdout.split()
        seen.append(isa)
        assert float(error) < 1e-6, (capability, error)
        assert fell_back == "False", capability  # compiled, not rescued by the eager check
    assert seen[0] == seen[2] == "AVX2"
    assert seen[1] != "AVX2"


def test_a_kernel_that_disagrees_with_eager_is_never_used(monkeypatch, caplog) -> None:
    """A new kernel is checked against the eager formula on the first call's input: a wrong
    one (miscompiled, or served from a cache for other code) runs eager from then on."""
    wrong = kernels.Kernel(lambda *flat: flat[0] * 0 + 1e37)
    monkeypatch.setattr(kernels, "compile_formula", lambda formula, example: wrong)
    monkeypatch.setattr(kernels, "STATE", kernels.KernelState(kernels.STATE.backend))
    monkeypatch.setattr(kernels, "_compiler_missing", lambda device_type: None)
    act, x = get("tanh"), torch.linspace(-3, 3, 100)
    with caplog.at_level(logging.WARNING, logger="depthscope.activations.kernels"):
        y = kernels.phi(act, x, hot=True)
    assert torch.equal(y, kernels.eager_phi(act, x))
    assert list(kernels.STATE.failed) == [(act, "phi", torch.float32, x.device)]
    assert "disagrees with the eager formula" in caplog.records[0].getMessage()


@pytest.mark.skipif(bool(kernels._compiler_missing("cpu")), reason="no C++ compiler")
def test_a_fast_op_used_outside_its_domain_is_caught_at_the_edges(monkeypatch, caplog) -> None:
    """``log1p_exp`` is fast for ``x <= 0`` only (softplus's tail): a registered formula that
    calls it at ``x = 1e30`` gives inf eagerly (torch's log1p(exp)) but nan compiled. The
    first call's input (-3 <= x <= 0) cannot show it; the check at the edges does, and that
    one kernel runs eager, with a warning that says where."""
    monkeypatch.setattr(kernels, "STATE", kernels.KernelState(kernels.STATE.backend))
    with temporary():

        @register("naive_softplus")
        def naive_softplus() -> Definition:
            return Definition("naive_softplus", lambda x, o: o.log1p_exp(x),
                              lambda x, o: o.sigmoid(x),
                              lambda x, o: o.sigmoid(x) * o.sigmoid(-x),
                              limits=((0.0, math.inf), (0.0, 1.0), (0.0, 0.0)), odd=False,
                              monotone=True, tails=(Tail("exponential", 1.0), Tail("linear")))

        act, x = get("naive_softplus"), torch.linspace(-3, 0, 100)
        with caplog.at_level(logging.WARNING, logger="depthscope.activations.kernels"):
            y = kernels.phi(act, x, hot=True)
            huge = kernels.phi(act, torch.tensor([1e30]), hot=True)
        assert torch.equal(y, kernels.eager_phi(act, x))
        assert torch.equal(huge, kernels.eager_phi(act, torch.tensor([1e30])))  # inf, not nan
        assert [key[1] for key in kernels.STATE.failed] == ["phi"]
        assert "disagrees with the eager formula at x = 10000, 1e+30" in caplog.text
