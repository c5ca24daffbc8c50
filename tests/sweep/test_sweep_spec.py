"""Sweep specs: YAML/TOML parsing, expansion to RunConfigs, every mistake reported at once."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from depthscope.errors import DepthscopeError
from depthscope.sweep import AXES, SpecError, load_spec, parse_spec
from depthscope.train.config import RunConfig

YAML = """
name: demo
dataset: digits
steps: 20
record_every: 5
sigma_b: 0.1
grid:
  activations: [tanh, {name: tanh, scale: 2}, relu]
  depths: [2, 6]
  lrs: 0.05
  seeds: [0, 1]
"""

TOML = """
name = "demo"
dataset = "digits"
steps = 20
record_every = 5
sigma_b = 0.1
[grid]
activations = ["tanh", {name = "tanh", scale = 2}, "relu"]
depths = [2, 6]
lrs = 0.05
seeds = [0, 1]
"""


@pytest.fixture
def spec_files(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "s.yaml").write_text(YAML)
    (tmp_path / "s.toml").write_text(TOML)
    return tmp_path / "s.yaml", tmp_path / "s.toml"


def test_yaml_and_toml_give_the_same_runs(spec_files: tuple[Path, Path]) -> None:
    yaml_runs = load_spec(spec_files[0]).configs()
    toml_runs = load_spec(spec_files[1]).configs()
    assert [c.run_id for c in yaml_runs] == [c.run_id for c in toml_runs]


def test_expansion_is_the_product_with_seeds_fastest(spec_files: tuple[Path, Path]) -> None:
    spec = load_spec(spec_files[0])
    runs = spec.configs()
    assert spec.name == "demo"
    assert len(runs) == 3 * 2 * 1 * 2
    expected = [
        RunConfig(dataset="digits", activation=a, activation_params=p, depth=d, lr=0.05, seed=s,
                  steps=20, record_every=5, sigma_b=0.1)
        for (a, p), d, s in itertools.product(
            [("tanh", {}), ("tanh", {"scale": 2.0}), ("relu", {})], [2, 6], [0, 1])
    ]
    assert runs == expected
    assert len({c.run_id for c in runs}) == 12


def test_defaults_come_from_runconfig() -> None:
    (run,) = parse_spec({}).configs()
    assert run == RunConfig()


def test_duplicate_grid_values_give_one_run() -> None:
    runs = parse_spec({"grid": {"seeds": [3, 3, 4], "activations": ["relu", {"name": "relu"}]}})
    assert [c.seed for c in runs.configs()] == [3, 4]


def test_every_mistake_is_reported_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(
        "steps: 100\ndept: 3\noptimizer: adamw\n"
        "grid:\n  activations: [tanh, nosuch, {name: relu, bogus: 1}]\n"
        "  depths: [2, 5, 0]\n  lrs: -1\n  steps: [10]\n  widths: []\n"
    )
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert info.value.problems == [
        "spec.yaml: grid.steps: 'steps' is also set at the top level; keep one",
        "spec.yaml: grid.activations[1]: unknown activation 'nosuch'; run `depthscope "
        "activations` to list all",
        "spec.yaml: grid.activations[2]: relu: unknown parameter(s) bogus; allowed: scale, "
        "shift, gain, offset",
        "spec.yaml: grid.depths[2]: must be ≥ 1",
        "spec.yaml: grid.widths: must have at least 1 value(s)",
        "spec.yaml: grid.lrs[0]: must be > 0.0",
        "spec.yaml: optimizer: must be 'sgd', 'momentum' or 'adam'; did you mean 'adam'?",
        "spec.yaml: dept: unknown key; did you mean 'depth'?",
    ]
    message = str(info.value)
    assert message.startswith("spec.yaml: 8 mistake(s)")
    assert all(p in message for p in info.value.problems)


@pytest.mark.parametrize(
    ("name", "text", "needle"),
    [
        ("bad.yaml", "grid: [1, 2\n", "bad.yaml: not valid yaml"),
        ("bad.toml", "grid = [1, 2\n", "bad.toml: not valid toml"),
        ("spec.json", "{}", "unknown spec format"),
        ("list.yaml", "- 1\n- 2\n", "must be a mapping"),
    ],
)
def test_unreadable_files_name_the_file(tmp_path: Path, name: str, text: str,
                                        needle: str) -> None:
    (tmp_path / name).write_text(text)
    with pytest.raises(DepthscopeError, match=needle):
        load_spec(tmp_path / name)


def test_missing_file() -> None:
    with pytest.raises(DepthscopeError, match="no such spec file"):
        load_spec("/nonexistent/spec.yaml")


def test_every_axis_maps_to_a_runconfig_field() -> None:
    assert set(AXES.values()) <= set(RunConfig.model_fields)


@settings(max_examples=25, deadline=None)
@given(depths=st.lists(st.integers(1, 50), min_size=1, max_size=4),
       seeds=st.lists(st.integers(0, 10**6), min_size=1, max_size=4),
       inits=st.lists(st.sampled_from(["he", "lecun", "orthogonal"]), min_size=1, max_size=3))
def test_run_count_is_the_product_of_distinct_values(depths: list[int], seeds: list[int],
                                                     inits: list[str]) -> None:
    runs = parse_spec({"grid": {"depths": depths, "seeds": seeds, "inits": inits}}).configs()
    assert len(runs) == len(set(depths)) * len(set(seeds)) * len(set(inits))
    assert {(c.depth, c.seed, c.init) for c in runs} == set(
        itertools.product(depths, seeds, inits))
