"""The claims of the seeds, each checked by one small module (see :data:`CLAIMS`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from depthscope.study.context import Context
from depthscope.study.result import ClaimResult

QA = "Q&A: why not tanh(n·x) against vanishing gradients? (seed 000)"
ESSAY = "Essay: exploding and vanishing gradients and how to fix them (seed 002)"
PAPERS = "Paper reproduction, scaled to this machine"


@dataclass(frozen=True)
class ClaimInfo:
    """What a claim says and how it is checked (shown even when it cannot be evaluated)."""

    id: str
    source: str
    claim: str
    method: str
    #: trains networks through the study's sweeps (what ``depthscope study --plan`` walks)
    trains: bool = False

    def result(self, verdict: str, why: str, **evidence: object) -> ClaimResult:
        return ClaimResult(self.id, self.source, self.claim, self.method, verdict, why,
                           **evidence)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Claim:
    info: ClaimInfo
    check: Callable[[Context], ClaimResult]


def all_claims() -> list[Claim]:
    """Every claim check, in report order (imported here so a missing piece fails late)."""
    from depthscope.study.claims import (
        c01_slopes,
        c02_thresholds,
        c03_products,
        c04_phase,
        c05_oneway,
        c06_rescaling,
        c07_lecun,
        c08_10_depth,
        c11_tails,
        c12_formulas,
        c13_speed,
        glorot,
        pennington,
        qa_map,
        qa_probability,
        schoenholz,
        transform,
    )

    modules = (c01_slopes, c02_thresholds, c03_products, c04_phase, qa_probability, qa_map,
               c05_oneway, c06_rescaling, c07_lecun)
    claims = [Claim(m.INFO, m.check) for m in modules]
    claims += [Claim(info, check) for info, check in c08_10_depth.CHECKS]
    claims += [Claim(m.INFO, m.check) for m in (c11_tails, c12_formulas, c13_speed, glorot,
                                                schoenholz, pennington, transform)]
    return claims
