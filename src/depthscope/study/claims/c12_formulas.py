"""Placeholder while the evidence is being built."""

from __future__ import annotations

from depthscope.study.claims import QA, ClaimInfo
from depthscope.study.context import Context
from depthscope.study.result import ClaimResult

INFO = ClaimInfo("c12_formulas", QA, "pending", "pending")


def check(ctx: Context) -> ClaimResult:
    raise NotImplementedError("c12_formulas")
