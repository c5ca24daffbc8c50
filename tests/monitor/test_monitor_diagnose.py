"""Diagnosis: real failures of real nets, with fixes that match mean-field theory."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from depthscope import init
from depthscope.activations import get
from depthscope.monitor import STATS, LayerInfo, Record, Thresholds, diagnose, watch
from depthscope.monitor.diagnose import nanmedian
from depthscope.monitor.history import History
from depthscope.theory import chi1, critical_sigma_w


def deep(act: type[nn.Module], depth: int = 20, width: int = 32, seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    layers: list[nn.Module] = [nn.Linear(16, width), act()]
    for _ in range(depth - 1):
        layers += [nn.Linear(width, width), act()]
    return nn.Sequential(*layers, nn.Linear(width, 4))


def run(net: nn.Module, steps: int = 12, lr: float = 1e-3, **options: object):
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(64, 16, generator=g), torch.randint(0, 4, (64,), generator=g)
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    alarms = []
    with watch(net, activation_every=2, sync_every=4, on_alarm=alarms.append, **options) as w:
        for _ in range(steps):
            opt.zero_grad()
            nn.functional.cross_entropy(net(x), y).backward()
            opt.step()
    return w, alarms


def test_vanishing_tanh_default_init_measured_factor_matches_chi1() -> None:
    w, alarms = run(deep(nn.Tanh))
    finding = next(f for f in w.diagnose() if f.kind == "vanishing")
    assert finding.severity == "alarm"
    assert alarms
    assert alarms[0].kind == "vanishing"
    assert finding.layers[0] == "0"
    assert finding.first_step == 1
    # PyTorch's default init: sigma_w^2 = 1/3, sigma_b^2 = 1/(3 fan_in) (REFERENCES.md). Deep
    # in the net (q at its fixed point) the weight-gradient norm falls by sqrt(chi_1) per
    # layer towards the input (Schoenholz et al. 2017); nearer the input the forward
    # signal is still larger, so the fit over all layers is flatter.
    sigma_b = 1 / math.sqrt(3 * 32)
    predicted = math.sqrt(chi1("tanh", 1 / math.sqrt(3), sigma_b))
    norms = w.record().stat("norm")[0]  # (layers,) at step 1
    deep_factor = (norms[10] / norms[20]) ** (1 / 10)
    assert deep_factor == pytest.approx(predicted, rel=0.05)
    assert predicted < finding.details["factor_per_layer"] < 0.7
    assert finding.details["sigma_w"] == pytest.approx(1 / math.sqrt(3), rel=0.05)
    assert finding.details["critical_sigma_w"] == pytest.approx(
        critical_sigma_w("tanh", round(sigma_b, 2)), rel=1e-9)
    assert "depthscope.fix.critical_(model" in finding.fix


def test_critical_init_clears_the_alarm() -> None:
    net = deep(nn.Tanh)
    init.orthogonal_(net, 1.0, 0.0)
    w, alarms = run(net)
    assert alarms == []
    assert not [f for f in w.diagnose() if f.severity == "alarm"]


def test_exploding_by_depth_and_saturation_for_large_sigma_w() -> None:
    net = deep(nn.Tanh, depth=12)
    init.gaussian_(net, 4.0, 0.0)  # chaotic phase (Poole et al. 2016, sigma_w = 4)
    w, _ = run(net)
    kinds = {f.kind: f for f in w.diagnose()}
    # saturated tanh: forward norms are level, so the factor is sqrt(chi_1) (> 1: chaos)
    factor = kinds["exploding"].details["factor_per_layer"]
    assert factor == pytest.approx(math.sqrt(chi1("tanh", 4.0, 0.0)), rel=0.15)
    assert kinds["exploding"].details["critical_sigma_w"] == pytest.approx(1.0, abs=1e-6)
    saturation = kinds["saturation"]
    assert saturation.details["activation"] == "tanh"
    assert len(saturation.layers) >= 8


def test_dead_relu_units() -> None:
    net = deep(nn.ReLU, depth=6)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.Linear):
                m.bias.fill_(-3.0)  # pre-activations mostly negative: units never fire
    w, _ = run(net, steps=4)
    dead = next(f for f in w.diagnose() if f.kind == "dead_units")
    # ReLU has an edge of chaos only at sigma_b = 0, at sigma_w = sqrt(2) (He et al. 2015)
    assert dead.details["critical_sigma_w"] == pytest.approx(math.sqrt(2), rel=1e-6)
    assert dead.details["sigma_b"] == 0.0
    assert "no edge of chaos at sigma_b=3" in dead.fix
    assert "leaky_relu" in dead.fix


def synthetic(norms: np.ndarray, **kw: object) -> Record:
    """A Record whose layer norms are ``norms`` (records, layers)."""
    grads = np.full((*norms.shape, len(STATS)), np.nan, dtype=np.float32)
    grads[:, :, 0] = norms
    grads[:, :, STATS.index("has_grad")] = 1
    layers = [LayerInfo(f"l{i}", "Linear", 10, get("tanh"), 1.0, 0.0)
              for i in range(norms.shape[1])]
    steps = np.arange(1, norms.shape[0] + 1)
    return Record(layers, steps, grads, n_steps=len(steps), **kw)  # type: ignore[arg-type]


def test_loss_growth_is_read_on_a_running_median_above_the_start() -> None:
    norms = np.ones((8, 3))
    # noisy but healthy: the median of 3 never exceeds 10x its lowest while above the start
    healthy = np.array([2.3, 0.5, 0.01, 0.2, 0.02, 0.3, 0.01, 0.25])
    assert [f.kind for f in diagnose(synthetic(norms, loss=healthy))] == []
    # diverging: running medians 1, 1.5, 2, 2, 20, 400: 20 > 10 x 1 and > 1 at record 5
    diverging = np.array([1.0, 2.0, 2.0, 20.0, 400.0, np.inf, np.nan, np.nan])
    found = [f for f in diagnose(synthetic(norms, loss=diverging)) if f.kind == "loss_growing"]
    assert len(found) == 1
    assert found[0].first_step == 5
    assert found[0].details["loss"] == 20.0
    assert found[0].details["lowest"] == 1.0
    # nan is "not observed": a loss seen at every other step reads the same
    sparse = np.array([1.0, np.nan, 2.0, np.nan, 2.0, np.nan, 20.0, 400.0])
    found = [f for f in diagnose(synthetic(norms, loss=sparse)) if f.kind == "loss_growing"]
    assert found[0].first_step == 8


def test_large_updates_read_the_median_layer() -> None:
    norms = np.ones((4, 3))
    record = synthetic(norms)
    ratio = record.grads[:, :, STATS.index("update_ratio")]
    ratio[0] = [1e-3, 2e-3, 5.0]  # one layer (say zero-initialised) moving a lot: median 2e-3
    ratio[2] = [0.2, 0.3, 1e-3]  # the median layer moves 0.2 of its norm
    found = [f for f in diagnose(record) if f.kind == "large_updates"]
    assert len(found) == 1
    assert found[0].first_step == 3
    assert found[0].details["update_ratio"] == pytest.approx(0.2)
    assert "×0.005" in found[0].fix


def test_spikes_give_a_clipping_threshold_from_quantiles() -> None:
    norms = np.ones((40, 4))
    norms[30] = 50.0
    finding = next(f for f in diagnose(synthetic(norms)) if f.kind == "spikes")
    assert finding.first_step == 31
    g = np.sqrt((norms**2).sum(1))
    assert finding.details["clip_norm"] == pytest.approx(np.quantile(g, 0.9))


def test_nonfinite_names_first_step_and_layer_and_thresholds_apply() -> None:
    norms = np.ones((10, 4))
    record = synthetic(norms, first_nonfinite={2: 6, 3: 7}, nonfinite_steps=2)
    finding = next(f for f in diagnose(record) if f.kind == "nonfinite")
    assert (finding.first_step, finding.layers, finding.severity) == (6, ("l2",), "alarm")
    decay = 10.0 ** -np.arange(4)[::-1] * np.ones((10, 1))  # x10 per layer towards input
    assert [f.kind for f in diagnose(synthetic(decay))] == ["vanishing"]
    assert diagnose(synthetic(decay), Thresholds(vanish_ratio=1e-4)) == []
    # present from the first record: reported at once (init problems are easiest to fix)
    assert [f.kind for f in diagnose(synthetic(decay[:1]))] == ["vanishing"]
    late = np.concatenate([np.ones((3, 4)), decay[:4]])  # starts at record 4, lasts 4
    assert diagnose(synthetic(late)) == []  # a later pattern must last 5 records
    assert [f.kind for f in diagnose(synthetic(np.concatenate([late, decay[:1]])))] == [
        "vanishing"]


def test_history_thins_uniformly() -> None:
    h = History(4, (1,))
    h.extend(np.arange(10), np.arange(10, dtype=float)[:, None])
    assert h.steps.tolist() == [0, 4, 8]
    assert h.rows[:, 0].tolist() == [0, 4, 8]


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 30), st.integers(1, 6), st.integers(0, 2**31 - 1),
       st.sampled_from([0.0, 0.2, 1.0]), st.sampled_from([None, 0, 1]))
def test_nanmedian_is_numpys(rows: int, cols: int, seed: int, nan_share: float,
                             axis: int | None) -> None:
    """The diagnosis's median equals ``np.nanmedian`` (its fast path only skips the
    nan-aware one on nan-free data), with inf and ties, along any axis."""
    rng = np.random.default_rng(seed)
    values = rng.choice([0.5, 1.0, 2.0, 3.0, np.inf], size=(rows, cols)) * rng.random((rows, cols))
    values[rng.random((rows, cols)) < nan_share] = np.nan
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-nan slices: nan, both ways
        want, got = np.nanmedian(values, axis=axis), nanmedian(values, axis=axis)
    np.testing.assert_array_equal(got, want)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 20), st.integers(1, 6), st.integers(0, 2**31 - 1))
def test_global_norm_is_the_root_sum_of_squares_of_layers_with_a_gradient(
        rows: int, cols: int, seed: int) -> None:
    """``Record.global_norm`` equals the straightforward loop (to float64 rounding): the root of the
    sum of squares over the layers with a gradient (0 for a row without any); a nan or inf
    layer makes it nan or inf, as ``clip_grad_norm_`` reports (numpy.ma's power, used before,
    masked nan squares away: a step with a nan layer read as finite)."""
    rng = np.random.default_rng(seed)
    norms = rng.choice([0.0, 1e-3, 1.0, 3e30, np.inf, np.nan], size=(rows, cols))
    norms = (norms * rng.random((rows, cols))).astype(np.float32)
    record = synthetic(norms)
    has = rng.random((rows, cols)) < 0.7
    record.grads[:, :, STATS.index("has_grad")] = has
    want = []
    for r in range(rows):
        squares = [float(norms[r, j]) ** 2 if np.isfinite(norms[r, j]) else float(norms[r, j])
                   for j in range(cols) if has[r, j]]
        want.append(math.sqrt(math.fsum(squares)) if all(map(math.isfinite, squares))
                    else (math.nan if any(map(math.isnan, squares)) else math.inf))
    got = record.global_norm()
    np.testing.assert_allclose(got, want, rtol=1e-15)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))


def test_the_live_alarms_are_the_diagnosis_alarms() -> None:
    """``alarm_findings`` (what a watch raises at each host copy) gives the alarms of
    ``diagnose``, in its order, on records with every kind of finding."""
    from depthscope.monitor.diagnose import alarm_findings

    decay = 10.0 ** -np.arange(4)[::-1] * np.ones((40, 1))
    decay[30] *= 50.0  # a spike as well
    records = [synthetic(np.ones((10, 4)), first_nonfinite={2: 6}, nonfinite_steps=2),
               synthetic(decay, loss=np.r_[np.ones(20), np.full(20, 1e3)]),
               synthetic(np.ones((40, 3)))]
    w, _ = run(deep(nn.Tanh))
    records.append(w.record())
    kinds = []
    for record in records:
        want = [f for f in diagnose(record) if f.severity == "alarm"]
        assert alarm_findings(record) == want
        kinds += [f.kind for f in diagnose(record)]
    assert {"nonfinite", "vanishing", "loss_growing", "spikes"} <= set(kinds)
