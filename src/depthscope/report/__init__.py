"""The study report: figures (matplotlib, lazily imported) and one self-contained HTML page."""

from depthscope.report.html import fmt, render_report
from depthscope.report.write import write_report

__all__ = ["fmt", "render_report", "write_report"]
