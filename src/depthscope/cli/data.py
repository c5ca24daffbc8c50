"""``depthscope data``: the built-in datasets' cards (or one file's card and split sizes)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich import box
from rich.table import Table

from depthscope.cli.common import JsonFlag, console, print_json, safe


def register(app: typer.Typer) -> None:
    @app.command("data")
    def data(
        source: Annotated[str | None, typer.Argument(
            help="A built-in name or a data file (.npz, .csv, IDX, CIFAR-10 .bin); "
                 "default: list the built-ins.")] = None,
        seed: Annotated[int, typer.Option("--seed", min=0, help="Generation and split seed.")] = 0,
        as_json: JsonFlag = False,
    ) -> None:
        """Show dataset cards: size, classes, features, source."""
        from depthscope.data import cards, load

        if source is None:
            found = [(card, None) for card in cards()]
        else:
            ds = load(source, seed=seed)
            found = [(ds.card, (len(ds.train), len(ds.val), len(ds.test)))]
        if as_json:  # one source: one object; the built-ins: a list
            docs = [{**card.__dict__, **({} if s is None else
                     {"train": s[0], "val": s[1], "test": s[2]})} for card, s in found]
            print_json(docs if source is None else docs[0])
            return
        table = Table(box=box.SIMPLE_HEAD)
        for column in ("name", "size", "classes", "features", "source", "description"):
            table.add_column(column, overflow="fold")
        for card, splits in found:
            size = str(card.size) + ("" if splits is None else " = {} + {} + {}".format(*splits))
            table.add_row(safe(card.name), size, str(card.num_classes), str(card.in_features),
                          card.source, card.description)
        console.print(table)
