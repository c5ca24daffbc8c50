"""The batched ensemble trainer equals a plain per-model loop (nn.Linear + torch.optim)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from depthscope.data import Dataset, load
from depthscope.errors import DepthscopeError
from depthscope.nets import build
from depthscope.train import RunConfig, batch_schedule, train_ensemble
from depthscope.train.ensemble import _finite, _mean_std

F64 = torch.float64


@pytest.fixture(scope="module")
def data() -> Dataset:
    return load("gaussian", n=300, features=10, classes=4, seed=3)


def loss_of(cfg: RunConfig, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The config's loss by autograd's own functions."""
    if cfg.output == "sigmoid":
        target = F.one_hot(y, logits.shape[1]).to(logits.dtype)
        return 0.5 * F.mse_loss(torch.sigmoid(logits), target, reduction="sum") / len(y)
    return F.cross_entropy(logits, y)


def reference(cfg: RunConfig, ds: Dataset) -> dict[str, list[float]]:
    """Straightforward sequential training of one config in float64."""
    net = build(cfg.mlp_spec(ds.in_features, ds.num_classes), seed=cfg.seed, dtype=F64,
                data=ds.train.X[:256])
    linears = [m for m in net.modules() if isinstance(m, torch.nn.Linear)]
    if cfg.optimizer == "adam":
        opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    else:
        momentum = cfg.momentum if cfg.optimizer == "momentum" else 0.0
        opt = torch.optim.SGD(net.parameters(), lr=cfg.lr, momentum=momentum)
    X, Y = ds.train.X.to(F64), ds.train.y
    batches = batch_schedule([cfg.seed], len(Y), cfg.batch_size)
    out: dict[str, list[float]] = {"loss": [], "grad_w_norm": []}
    for _ in range(cfg.steps):
        idx = next(batches)[0]
        loss = loss_of(cfg, net(X[idx]), Y[idx])
        opt.zero_grad()
        loss.backward()
        out["loss"].append(loss.item())
        out["grad_w_norm"].append([lin.weight.grad.norm().item() for lin in linears])
        grads_finite = all(bool(p.grad.isfinite().all()) for p in net.parameters())
        if not (math.isfinite(loss.item()) and grads_finite):
            break
        opt.step()
    with torch.no_grad():
        out["final_train_loss"] = [loss_of(cfg, net(X), Y).item()]
    return out


def rows(result, metric: str, layer: int) -> list[float]:
    return [v for (_, at, m, v) in result.series if m == metric and at == layer]


CONFIGS = [
    RunConfig(activation="tanh", optimizer="sgd", lr=0.1, seed=1, init="gaussian", sigma_w=1.5,
              sigma_b=0.1),
    RunConfig(activation="relu", optimizer="momentum", lr=0.02, seed=2, init="he"),
    RunConfig(activation="softsign", optimizer="adam", lr=3e-3, seed=3, init="glorot_normalized"),
    RunConfig(activation="tanh", optimizer="adam", lr=1e-2, seed=4, init="orthogonal", sigma_w=1.2),
    RunConfig(activation="logsig", optimizer="sgd", lr=0.05, seed=5, init="pytorch_default"),
    RunConfig(activation="elu", optimizer="momentum", lr=0.01, momentum=0.5, seed=6, init="lsuv"),
]


@pytest.mark.parametrize(("members", "output"),
                         [(range(6), "softmax"), ((0, 4), "softmax"), ((2, 3), "softmax"),
                          (range(6), "sigmoid")], ids=["mixed", "sgd", "adam", "sigmoid"])
def test_batched_equals_sequential_float64(data: Dataset, members: Sequence[int],
                                           output: str) -> None:
    """Every optimizer path (mixed, all plain SGD, all Adam) against torch.optim, and the
    sigmoid output's squared error against autograd."""
    configs = [CONFIGS[i].model_copy(update=dict(depth=4, width=16, batch_size=32, steps=25,
                                                 record_every=1, output=output))
               for i in members]
    results = train_ensemble(configs, data, dtype=F64)
    for cfg, res in zip(configs, results, strict=True):
        assert res.config == cfg
        assert res.status == "finished"
        ref = reference(cfg, data)
        assert rows(res, "train_loss", -1) == pytest.approx(ref["loss"], abs=1e-10, rel=0)
        for layer in range(cfg.depth + 1):
            ours = rows(res, "grad_w_norm", layer)
            theirs = [g[layer] for g in ref["grad_w_norm"]]
            assert ours == pytest.approx(theirs, abs=1e-10, rel=0)
        assert res.summary["train_loss"] == pytest.approx(ref["final_train_loss"][0], abs=1e-10)
        assert ref["loss"][-1] < ref["loss"][0]  # it learns something


@pytest.mark.parametrize("layernorm", [False, True], ids=["residual", "pre-LN residual"])
def test_residual_members_equal_sequential_float64(data: Dataset, layernorm: bool) -> None:
    """Residual blocks h + alpha (W phi(LN(h)) + b), members with different alpha, every
    optimizer path: loss and per-layer weight-gradient norms equal autograd + torch.optim on
    nets.build's ResidualBlock net to 1e-10."""
    configs = [CONFIGS[i].model_copy(update=dict(
        depth=5, width=16, batch_size=32, steps=20, record_every=1, residual=True,
        alpha=alpha, layernorm=layernorm)) for i, alpha in ((0, 0.5), (1, 1.0), (2, 0.3))]
    results = train_ensemble(configs, data, dtype=F64)
    for cfg, res in zip(configs, results, strict=True):
        assert res.status == "finished"
        ref = reference(cfg, data)
        assert rows(res, "train_loss", -1) == pytest.approx(ref["loss"], abs=1e-10, rel=0)
        for layer in range(cfg.depth + 1):
            theirs = [g[layer] for g in ref["grad_w_norm"]]
            assert rows(res, "grad_w_norm", layer) == pytest.approx(theirs, abs=1e-10, rel=0)
        assert res.summary["train_loss"] == pytest.approx(ref["final_train_loss"][0], abs=1e-10)
    plain = train_ensemble([configs[0].model_copy(update=dict(residual=False, alpha=1.0,
                                                              layernorm=False))], data,
                           dtype=F64)[0]
    assert rows(plain, "train_loss", -1)[1:] != rows(results[0], "train_loss", -1)[1:]


def test_backpropagated_gradient_matches_autograd(data: Dataset) -> None:
    """grad_h_norm at step 0 equals ||dL/dh^l|| from autograd on the same minibatch."""
    cfg = RunConfig(activation="tanh", depth=3, width=8, batch_size=16, steps=1, seed=7,
                    init="gaussian", sigma_w=2.0)
    (res,) = train_ensemble([cfg], data, dtype=F64)
    net = build(cfg.mlp_spec(data.in_features, data.num_classes), seed=7, dtype=F64)
    idx = next(batch_schedule([7], len(data.train), 16))[0]
    pre, h = [], data.train.X[idx].to(F64)
    for module in net:
        h = module(h)
        if isinstance(module, torch.nn.Linear):
            h.retain_grad()
            pre.append(h)
    F.cross_entropy(h, data.train.y[idx]).backward()
    for layer, p in enumerate(pre):
        assert rows(res, "grad_h_norm", layer) == pytest.approx([p.grad.norm().item()], rel=1e-12)
    acts = [torch.tanh(p) for p in pre[:-1]]
    assert rows(res, "act_std", 1) == pytest.approx([acts[1].std(correction=0).item()], rel=1e-12)
    sat = (1 - acts[2] ** 2 < 0.1).double().mean().item()  # tanh: |phi'| < 0.1 max slope
    assert rows(res, "saturated", 2) == pytest.approx([sat], abs=1e-12)
    assert rows(res, "dead", 0) == []  # tanh units cannot die
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    for layer, lin in enumerate(linears):  # where each layer sits on the mean-field map
        fan_in = lin.weight.shape[1]
        scale = (fan_in * lin.weight.square().mean()).sqrt().item()
        assert rows(res, "weight_scale", layer) == pytest.approx([scale], rel=1e-12)
        assert rows(res, "bias_scale", layer) == pytest.approx(
            [lin.bias.square().mean().sqrt().item()], abs=1e-15)


def test_diverging_member_is_frozen_and_others_unaffected(data: Dataset) -> None:
    base = dict(activation="relu", depth=6, width=16, batch_size=32, steps=20, record_every=1,
                init="he")
    good = RunConfig(lr=0.05, seed=1, **base)
    bad = RunConfig(lr=1e6, seed=2, **base)
    alone = train_ensemble([good], data, dtype=F64)[0]
    together = train_ensemble([bad, good], data, dtype=F64)
    assert together[1].status == "finished"
    assert [r[:3] for r in together[1].series] == [r[:3] for r in alone.series]
    assert [r[3] for r in together[1].series] == pytest.approx([r[3] for r in alone.series],
                                                               rel=1e-10)
    res = together[0]
    assert res.status == "diverged"
    ref = reference(bad, data)  # stops at its first non-finite loss or gradient
    assert res.diverged_step == len(ref["loss"]) - 1
    assert max(s for s, *_ in res.series) == res.diverged_step - 1
    assert res.summary["steps_run"] == res.diverged_step


@pytest.mark.parametrize("lrs", [(0.1, 0.1, 0.1), (0.1, 0.03, 1e6)], ids=["same", "mixed"])
def test_sgd_update_without_forming_the_gradient(data: Dataset, lrs: tuple[float, ...]) -> None:
    """Steps that record nothing apply plain SGD as ``W += -lr delta^T a`` (one GEMM into W):
    the result equals torch.optim.SGD; lr = 1e6 diverges and is frozen at the right step."""
    configs = [RunConfig(activation=act, lr=lr, seed=i, depth=6, width=16, batch_size=32,
                         steps=25, record_every=1000, init="he")
               for i, (act, lr) in enumerate(zip(("tanh", "tanh", "relu"), lrs, strict=True))]
    results = train_ensemble(configs, data, dtype=F64)
    assert [r.status == "diverged" for r in results] == [lr == 1e6 for lr in lrs]
    for cfg, res in zip(configs, results, strict=True):
        ref = reference(cfg, data)
        if res.status == "diverged":
            assert res.diverged_step == len(ref["loss"]) - 1
            assert res.diverged_step < cfg.steps - 1
            continue
        assert res.status == "finished"
        assert rows(res, "train_loss", -1) == pytest.approx(
            [ref["loss"][0], ref["loss"][-1]], abs=1e-10, rel=0)  # records: first and last step
        assert res.summary["train_loss"] == pytest.approx(ref["final_train_loss"][0], abs=1e-10)


def test_dead_units_are_recorded_for_relu(data: Dataset) -> None:
    cfg = RunConfig(activation="relu", depth=3, width=8, batch_size=16, steps=1, init="gaussian",
                    sigma_w=1.0, sigma_b=3.0, seed=0)  # bias N(0, 9): many units never fire
    (res,) = train_ensemble([cfg], data, dtype=F64)
    dead = rows(res, "dead", 1)
    assert len(dead) == 1
    assert 0 < dead[0] < 1
    assert rows(res, "saturated", 1) == []  # relu is unbounded


def test_records_at_every_record_step_and_the_last(data: Dataset) -> None:
    cfg = RunConfig(depth=2, width=8, batch_size=16, steps=7, record_every=3)
    (res,) = train_ensemble([cfg], data)
    assert sorted({s for s, *_ in res.series}) == [0, 3, 6]
    assert set(res.summary) >= {"train_loss", "val_accuracy", "test_accuracy",
                                "best_val_accuracy"}


def test_progress_and_errors(data: Dataset) -> None:
    seen: list[int] = []
    train_ensemble([RunConfig(depth=1, width=4, batch_size=8, steps=3)], data,
                   progress=seen.append)
    assert seen == [1, 2, 3]
    with pytest.raises(DepthscopeError, match="one shape"):
        train_ensemble([RunConfig(depth=2), RunConfig(depth=3)], data)
    with pytest.raises(DepthscopeError, match="batch_size"):
        train_ensemble([RunConfig(batch_size=10_000)], data)
    assert train_ensemble([], data) == []


def test_small_ensembles_take_the_compiled_kernels(data: Dataset, monkeypatch) -> None:
    """A training loop is hot: under the default backend, phi and g·phi' go to the compiled
    kernels however small the tensors (here 2 × 16 × 8 elements), on every step."""
    from depthscope.activations import kernels

    if kernels._compiler_missing("cpu"):
        pytest.skip("no C++ compiler: the kernels run eagerly")
    previous = kernels.set_backend("auto")
    calls: list[tuple[str, int]] = []
    run = kernels._run
    monkeypatch.setattr(kernels, "_run", lambda act, kind, *t, **kw: calls.append(
        (kind, t[0].numel())) or run(act, kind, *t, **kw))
    try:
        cfg = RunConfig(activation="tanh", depth=2, width=8, batch_size=16, steps=3,
                        record_every=2, lr=0.1)
        train_ensemble([cfg, cfg.model_copy(update={"seed": 1})], data)
    finally:
        kernels.set_backend(previous)
    kinds = [kind for kind, n in calls if n == 2 * 16 * 8]
    assert kinds.count("phi") >= 3 * 2  # two hidden layers, every step
    assert sum(kind.startswith("grad") for kind in kinds) >= 3 * 1  # below the top hidden layer


SPECIAL = (math.nan, math.inf, -math.inf, 3.0e38, -3.0e38, 1e-45, -0.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 59), st.sampled_from(SPECIAL)),
                max_size=6),
       st.sampled_from([torch.float32, torch.float64]), st.booleans())
def test_finite_check_is_the_mask(entries: list[tuple[int, int, float]], dtype: torch.dtype,
                                  bad_loss: bool) -> None:
    """The divergence check (one amax) says what ``isfinite(...).all()`` says, member by
    member: nan, ±inf caught; the largest finite floats and subnormals are not."""
    grad = torch.randn(5, 6, 10, dtype=dtype)
    for member, at, value in entries:
        grad[member].view(-1)[at] = value
    loss = torch.rand(5, dtype=dtype)
    if bad_loss:
        loss[2] = math.nan
    want = torch.isfinite(loss) & torch.isfinite(grad).flatten(1).all(1)
    assert torch.equal(_finite(loss, grad), want)


@pytest.mark.parametrize("shift", [0.0, 1e4])
def test_two_pass_mean_and_std(shift: float) -> None:
    """The recorded mean and population std equal torch's over all but the member dim
    (float64, also far from 0, where a one-pass sum of squares would cancel)."""
    x = torch.randn(4, 64, 32, dtype=F64, generator=torch.Generator().manual_seed(0)) + shift
    mean, std = _mean_std(x)
    torch.testing.assert_close(mean, x.mean((1, 2)), rtol=1e-14, atol=0)
    torch.testing.assert_close(std, x.std((1, 2), correction=0), rtol=1e-12, atol=0)
