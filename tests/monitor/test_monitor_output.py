"""summary, DataFrame/CSV, plot, TensorBoard and MLflow exports (nan/inf included)."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
import torch
from rich.console import Console
from torch import nn

from depthscope.monitor import STATS, watch


@pytest.fixture(scope="module")
def watched():
    torch.manual_seed(0)
    net = nn.Sequential(*[m for _ in range(8) for m in (nn.Linear(8, 8), nn.Tanh())])
    opt = torch.optim.SGD(net.parameters(), lr=1e-3)
    x = torch.randn(16, 8)
    with watch(net, full_every=2, activation_every=2, sync_every=5, on_alarm=None) as w:
        for step in range(12):
            opt.zero_grad()
            hooks = []
            if step == 10:  # the backward pass produces a nan in layer 2, an inf in layer 4
                for i, bad in ((2, float("nan")), (4, float("inf"))):
                    hooks.append(net[i].weight.register_hook(
                        lambda g, bad=bad: g.index_put((torch.tensor(0), torch.tensor(0)),
                                                       torch.tensor(bad))))
            net(x).square().mean().backward()
            for h in hooks:
                h.remove()
            opt.step()
    return w


def test_summary_table_and_findings(watched) -> None:
    console = Console(width=140, record=True)
    summary = watched.summary(console)
    text = console.export_text()
    assert text == str(summary)
    assert "nan/inf gradients first at step 11 in 2, 4" in text
    assert all(layer.name in text for layer in watched.layers)
    # the first bad step is a step; the last finite norm is kept beside the nan
    row = next(r for r in summary.rows if r[0] == "2")
    norms = watched.to_dataframe().query("layer == '2'").set_index("step")["norm"]
    assert row[summary.headers.index("first nan/inf")] == "11"
    assert row[summary.headers.index("last finite ‖g‖")] == f"{norms[10]:.3g} (step 10)"
    assert row[summary.headers.index("‖g‖ max")] == f"{norms[norms.notna()].max():.3g}"
    assert "first nan/inf: the step at which" in text  # every header explained


def test_summary_keeps_full_numbers_at_any_width_and_shows_once_in_a_notebook(
        monkeypatch, capsys) -> None:
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True)
    net = nn.Sequential(nn.TransformerEncoder(layer, 2, enable_nested_tensor=False),
                        nn.Flatten(), nn.Linear(16 * 4, 3))
    opt = torch.optim.SGD(net.parameters(), lr=1e-3)
    with watch(net, on_alarm=None) as w:
        for _ in range(3):
            opt.zero_grad()
            net(torch.randn(2, 4, 16)).square().sum().backward()
            opt.step()
    console = Console(width=80, record=True)
    summary = w.summary(console)
    text = console.export_text()
    assert "…" not in text
    assert all(cell in text for row in summary.rows for cell in row)
    assert [r[0] for r in summary.rows][:3] == [
        "0.layers.0.self_attn", "0.layers.0.self_attn.out_proj", "0.layers.0.norm1"]
    assert "<td>0.layers.0.self_attn.out_proj</td>" in summary._repr_html_()
    capsys.readouterr()

    class Shell:  # IPython present and running: the notebook shows the returned value
        get_ipython = staticmethod(lambda: object())

    monkeypatch.setitem(__import__("sys").modules, "IPython", Shell)
    shown = w.summary()
    assert capsys.readouterr().out == ""
    assert repr(shown) == str(shown)


def test_dataframe_and_csv(watched, tmp_path) -> None:
    frame = watched.to_dataframe()
    assert len(frame) == 12 * 8
    assert list(frame.columns) == ["step", "layer", *STATS, "loss"]
    assert frame.loc[(frame.step == 11) & (frame.layer == "4"), "inf"].item() == 1
    back = pd.read_csv(watched.to_csv(tmp_path / "g.csv"))
    assert back.shape == frame.shape
    probes = watched.to_dataframe("activations")
    assert set(probes.step) == {1, 3, 5, 7, 9, 11}
    assert probes.saturated.notna().all()


def test_plot_names_modules_in_forward_order_on_a_fixed_scale(watched, tmp_path) -> None:
    import matplotlib

    backend = matplotlib.get_backend()
    path = watched.plot(tmp_path / "g.png")
    assert path.read_bytes()[:4] == b"\x89PNG"
    assert matplotlib.get_backend() == backend  # no backend switch
    fig = watched.plot()
    heat, total = fig.axes[:2]  # the heat map and the global norm (then the colour bar)
    assert [t.get_text() for t in heat.get_yticklabels()] == [i.name for i in watched.layers]
    assert heat.images[0].get_clim() == (-3.0, 3.0)
    assert [line.get_xdata()[0] for line in total.lines[1:]] == [11]  # the first nan step


def test_tensorboard_export_survives_nan(watched, tmp_path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    watched.to_tensorboard(tmp_path)
    events = EventAccumulator(str(tmp_path))
    events.Reload()
    tags = events.Tags()["scalars"]
    assert "depthscope/nonfinite/2" in tags
    assert "depthscope/grad_norm/global" in tags
    assert [e.step for e in events.Scalars("depthscope/nonfinite/4")] == [11, 12]
    assert [e.step for e in events.Scalars("depthscope/grad_norm/4")] == list(range(1, 11))


def test_mlflow_export_to_local_store(watched, tmp_path, monkeypatch) -> None:
    mlflow = pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mlflow's own deprecation notices
        mlflow.set_tracking_uri(f"file:{tmp_path}")
        mlflow.set_experiment("depthscope")
        with mlflow.start_run() as run:
            watched.to_mlflow()
        history = mlflow.MlflowClient().get_metric_history(
            run.info.run_id, "depthscope/grad_norm/0")
    assert [m.step for m in history] == list(range(1, 12))  # nan from step 12 on
