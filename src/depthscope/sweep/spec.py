"""Sweep specification: a YAML or TOML file that names a grid of training runs.

A spec sets any :class:`~depthscope.train.config.RunConfig` field once at the top level
(``steps: 200``) and sweeps fields under ``grid`` by their plural names (``depths: [2, 5]``);
the runs are the Cartesian product of the grid axes. Field types and bounds come from
``RunConfig`` itself, so a spec accepts exactly what a run accepts. Every mistake in a file
is reported at once, each with its path (``spec.yaml: grid.depths[2]: must be ≥ 1``).

Example::

    name: quick
    dataset: digits
    steps: 100
    grid:
      activations: [tanh, {name: tanh, scale: 2}, relu]
      depths: [2, 8]
      seeds: [0, 1]
"""

from __future__ import annotations

import difflib
import itertools
import math
import re
import tomllib
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    model_validator,
)

from depthscope.activations import get as get_activation
from depthscope.errors import DepthscopeError
from depthscope.init import init_hint
from depthscope.train.config import RunConfig

#: grid axis (plural, as written under ``grid``) -> the RunConfig field it sweeps
AXES: dict[str, str] = {
    "datasets": "dataset",
    "activations": "activation",
    "depths": "depth",
    "widths": "width",
    "inits": "init",
    "sigma_ws": "sigma_w",
    "sigma_bs": "sigma_b",
    "optimizers": "optimizer",
    "lrs": "lr",
    "momenta": "momentum",
    "batch_sizes": "batch_size",
    "steps": "steps",
    "seeds": "seed",
}


class SpecError(DepthscopeError):
    """A sweep spec with mistakes; ``problems`` lists each as ``file: path: message``."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems = problems
        head = f"{source}: {len(problems)} mistake(s) in the sweep spec; fix them and rerun:"
        super().__init__("\n".join([head, *(f"  {p}" for p in problems)]))


class ActivationChoice(BaseModel):
    """An activation by name with optional transform parameters: ``tanh`` or
    ``{name: tanh, scale: 2}`` (any parameter :func:`depthscope.activations.get` takes)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    name: str
    params: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"name": value}
        if isinstance(value, Mapping) and "params" not in value:
            return {"name": value.get("name"),
                    "params": {k: v for k, v in value.items() if k != "name"}}
        return value

    @model_validator(mode="after")
    def _exists(self) -> ActivationChoice:
        get_activation(self.name, **self.params)  # raises ActivationError (a ValueError)
        return self


def _as_list(value: Any) -> Any:
    return value if isinstance(value, list | tuple) else [value]


def _item_type(field: str) -> Any:
    """The type (with bounds) of one value of a RunConfig field."""
    if field == "activation":
        return ActivationChoice
    info = RunConfig.model_fields[field]
    return Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation


def _axis_type(field: str) -> Any:
    return Annotated[list[_item_type(field)], BeforeValidator(_as_list), Field(min_length=1)]


_FROZEN = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
MAX_RUNS = 100_000  # a spec's default bound on its grid (raise it with ``max_runs:``)

Grid = create_model(  # one optional list per axis; None = not swept
    "Grid", __config__=_FROZEN,
    **{axis: (_axis_type(field) | None, None) for axis, field in AXES.items()},
)


class _SpecBase(BaseModel):
    model_config = _FROZEN

    def configs(self) -> list[RunConfig]:
        """The runs of this sweep: the Cartesian product of the grid axes (in ``AXES`` order,
        so seeds vary fastest), each combined with the fixed top-level values; duplicates
        (equal ``run_id``) are dropped."""
        fixed = {f: getattr(self, f) for f in _FIXED}
        grid = self.grid  # type: ignore[attr-defined]
        axes = [(f, getattr(grid, a)) for a, f in AXES.items() if getattr(grid, a) is not None]
        runs: dict[str, RunConfig] = {}
        for combo in itertools.product(*(values for _, values in axes)):
            values = fixed | dict(zip((f for f, _ in axes), combo, strict=True))
            act: ActivationChoice = values.pop("activation")
            config = RunConfig(**values, activation=act.name, activation_params=act.params)
            runs.setdefault(config.run_id, config)
        return list(runs.values())


_FIXED = [f for f in RunConfig.model_fields if f != "activation_params"]

SweepSpec = create_model(
    "SweepSpec", __base__=_SpecBase,
    name=(str, "sweep"),
    max_runs=(int, Field(default=MAX_RUNS, ge=1)),
    grid=(Grid, Grid()),
    activation=(ActivationChoice, ActivationChoice(name=RunConfig().activation)),
    **{f: (RunConfig.model_fields[f].annotation, RunConfig.model_fields[f])
       for f in _FIXED if f != "activation"},
)
SweepSpec.__doc__ = "A validated sweep: fixed RunConfig values plus ``grid`` axes."

_KNOWN_KEYS = sorted({"name", "grid", "max_runs", *_FIXED})


def _path(loc: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def _message(err: Mapping[str, Any]) -> str:
    kind, ctx = err["type"], err.get("ctx", {})
    bounds = {"greater_than_equal": ("≥", "ge"), "greater_than": (">", "gt"),
              "less_than": ("<", "lt"), "less_than_equal": ("≤", "le")}
    if kind in bounds:
        symbol, key = bounds[kind]
        return f"must be {symbol} {ctx[key]}"
    if kind == "missing":
        return "required"
    if kind == "too_short":
        return f"must have at least {ctx['min_length']} value(s)"
    if kind == "extra_forbidden":
        key = str(err["loc"][-1])
        known = list(AXES) if tuple(err["loc"][:-1]) == ("grid",) else _KNOWN_KEYS
        close = difflib.get_close_matches(key, known, n=1)
        return "unknown key" + (f"; did you mean '{close[0]}'?" if close else "")
    msg = str(err["msg"]).removeprefix("Value error, ")
    msg = msg.replace("Input should be", "must be")
    if kind == "literal_error" and isinstance(err.get("input"), str):
        known = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        hint = init_hint(err["input"], known) if err["loc"][-1] == "init" else (
            f"did you mean '{close[0]}'?"
            if (close := difflib.get_close_matches(err["input"], known, n=1)) else "")
        msg += f"; {hint}" if hint else ""
    return msg


def _conflicts(data: Mapping[str, Any]) -> list[str]:
    grid = data.get("grid")
    if not isinstance(grid, Mapping):
        return []
    return [f"grid.{axis}: '{field}' is also set at the top level; keep one"
            for axis, field in AXES.items() if axis in grid and field in data]


# RunConfig fields that hold a number (``int``, ``float`` or ``float | None``)
_NUMBERS = {f for f, info in RunConfig.model_fields.items()
            if {int, float} & {info.annotation, *typing.get_args(info.annotation)}
            and typing.get_origin(info.annotation) in (None, types.UnionType)}


def _values(data: Mapping[str, Any]) -> list[tuple[str, str, Any]]:
    """``(path, field, value)`` for every value of a RunConfig field in the spec: top-level
    ones and each grid axis's items."""
    out = [(key, key, value) for key, value in data.items() if key in RunConfig.model_fields]
    grid = data.get("grid")
    if isinstance(grid, Mapping):
        for axis, values in grid.items():
            if axis in AXES:
                items = values if isinstance(values, list | tuple) else [values]
                out += [(f"grid.{axis}[{i}]", AXES[axis], v) for i, v in enumerate(items)]
    return out


def _plain_mistakes(data: Mapping[str, Any]) -> list[str]:
    """What pydantic's lax mode would accept: a YAML ``true`` for a number (it would be 1)."""
    return [f"{path}: must be a number, not {str(value).lower()}"
            for path, field, value in _values(data)
            if field in _NUMBERS and isinstance(value, bool)]


def check_datasets(configs: Iterable[RunConfig]) -> None:
    """Every run's data set is built in or a file, checked before any training (the default
    loader's names; a sweep with its own ``load_fn`` checks its own)."""
    from depthscope.data import builtin_names

    known = builtin_names()
    for name in sorted({c.dataset for c in configs}):
        if name.strip().lower() not in known and not Path(name).expanduser().exists():
            close = difflib.get_close_matches(name.strip().lower(), known, n=1)
            raise DepthscopeError(f"unknown dataset {name!r} (not built in, no such file)"
                                  + (f"; did you mean '{close[0]}'?" if close else ""))


def grid_size(spec: Any) -> int:
    """How many runs the grid spans (before duplicates are dropped), without making them."""
    grid = spec.grid
    return math.prod(len(getattr(grid, a)) for a in AXES if getattr(grid, a) is not None)


def parse_spec(data: Any, source: str = "spec") -> Any:
    """Validate a spec mapping; raise one :class:`SpecError` listing every mistake (a grid
    larger than ``max_runs``, default :data:`MAX_RUNS`, is one)."""
    if not isinstance(data, Mapping):
        raise SpecError(source, ["the spec must be a mapping of keys to values"])
    problems = _conflicts(data) + _plain_mistakes(data)
    spec = None
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as err:
        problems += [f"{_path(e['loc']) or '(top level)'}: {_message(e)}" for e in err.errors()]
    if spec is not None and (size := grid_size(spec)) > spec.max_runs:
        problems.append(f"grid: {size:,} runs, more than max_runs = {spec.max_runs:,}; "
                        f"shrink the grid or set max_runs: {size} in the spec")
    if problems:
        raise SpecError(source, [f"{source}: {p}" for p in problems])
    return spec


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, but a key given twice in one mapping is an error (plain YAML
    keeps the last silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_spec(path: str | Path) -> Any:
    r"""Read and validate a ``.yaml``/``.yml`` or ``.toml`` sweep spec.

    A spec names the sweep, fixes run fields (``steps``, ``width``, ``lr``, ...) and lists
    a ``grid`` whose product is the sweep's runs (``activations``, ``depths``, ``inits``,
    ``lrs``, ``seeds``, ...). YAML keys must be unique and numbers finite.

    Args:
        path: the spec file.

    Returns:
        The validated ``SweepSpec``; ``.configs()`` lists its :class:`RunConfig` runs.

    Raises:
        DepthscopeError: a missing or malformed file, an unknown key (with "did you mean"),
            a bad value, or more than ``MAX_RUNS`` runs.

    Example:
        >>> import pathlib, tempfile
        >>> from depthscope import load_spec
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "depth.yaml"
        >>> _ = path.write_text("name: depth\nsteps: 100\n"
        ...                     "grid: {activations: [tanh, relu], depths: [2, 8], seeds: [0]}\n")
        >>> [(c.activation, c.depth) for c in load_spec(path).configs()]
        [('tanh', 2), ('tanh', 8), ('relu', 2), ('relu', 8)]
    """
    path = Path(path)
    if not path.is_file():
        raise DepthscopeError(f"{path}: no such spec file; give the path to a .yaml or .toml")
    text = path.read_text()
    try:
        if path.suffix in (".yaml", ".yml"):
            data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader
        elif path.suffix == ".toml":
            data = tomllib.loads(text)
        else:
            raise DepthscopeError(f"{path}: unknown spec format; use .yaml, .yml or .toml")
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as err:
        detail = " ".join(str(err).split())
        raise DepthscopeError(f"{path.name}: not valid {path.suffix[1:]}: {detail}") from None
    return parse_spec(data, path.name)
