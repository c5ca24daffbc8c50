"""The study: every claim of the seeds checked by theory and experiment, with a verdict."""

from depthscope.study.context import Context
from depthscope.study.profiles import PROFILES, Profile, get_profile
from depthscope.study.result import ClaimResult, Figure, Table, Verdict
from depthscope.study.runner import check_claim, run_study

__all__ = [
    "PROFILES",
    "ClaimResult",
    "Context",
    "Figure",
    "Profile",
    "Table",
    "Verdict",
    "check_claim",
    "get_profile",
    "run_study",
]
