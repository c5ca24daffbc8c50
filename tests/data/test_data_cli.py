"""``depthscope data``: cards as one JSON document; bad sources exit 2 with one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from depthscope.cli import app


def test_data_lists_cards_and_loads_a_file(tmp_path: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(app, ["data", "--json"])
    assert out.exit_code == 0
    assert [c["name"] for c in json.loads(out.stdout)] == ["digits", "gaussian", "mnist1d",
                                                           "shapeset", "teacher"]
    path = tmp_path / "d.npz"
    np.savez(path, X=np.random.default_rng(0).standard_normal((20, 3)), y=np.arange(20) % 2)
    card = json.loads(runner.invoke(app, ["data", str(path), "--json"]).stdout)  # one object
    assert (card["size"], card["train"], card["val"], card["test"]) == (20, 14, 3, 3)
    assert (card["num_classes"], card["in_features"]) == (2, 3)
