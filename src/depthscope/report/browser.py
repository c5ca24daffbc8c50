"""Open a report in headless Chromium (Playwright, system chromium) and say what it shows.

Used by the tests and by anyone who wants to confirm a report renders offline: the page must
load without console errors, show every claim section, and every figure must decode.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from depthscope.errors import DepthscopeError

CHROMIUM_ARGS = (
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
)


@dataclass(frozen=True)
class PageCheck:
    """What headless Chromium saw on the page."""

    title: str
    console_errors: tuple[str, ...]
    sections: tuple[str, ...]  # ids of the claim sections
    images: int
    broken_images: int  # images whose naturalWidth is 0 (failed to decode)
    external_requests: tuple[str, ...]  # any request that is not file: or data:


def find_chromium() -> str | None:
    """The system Chromium (``$CHROMIUM``, ``chromium`` or ``chromium-browser``), or None."""
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser"):
        if candidate and (path := shutil.which(candidate)):
            return path
    return None


def check_page(path: Path, executable: str | None = None, screenshot: Path | None = None
               ) -> PageCheck:
    """Load ``path`` in a fresh headless Chromium profile and collect what it shows
    (optionally saving a PNG screenshot of the top of the page to ``screenshot``)."""
    from playwright.sync_api import sync_playwright

    executable = executable or find_chromium()
    if executable is None:
        raise DepthscopeError("no chromium found; install it (apt-get install chromium)")
    errors: list[str] = []
    requests: list[str] = []
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=executable, headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            page = context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(Path(path).resolve().as_uri(), wait_until="load")
            sections = page.eval_on_selector_all("section.claim", "els => els.map(e => e.id)")
            widths = page.evaluate("Array.from(document.images).map(i => i.naturalWidth)")
            title = page.title()
            if screenshot is not None:
                page.set_viewport_size({"width": 1200, "height": 900})
                page.screenshot(path=str(screenshot))
        finally:
            context.close()
    external = tuple(u for u in requests if not u.startswith(("file:", "data:")))
    return PageCheck(title, tuple(errors), tuple(sections), len(widths),
                     sum(w == 0 for w in widths), external)
