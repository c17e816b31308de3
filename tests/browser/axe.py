"""axe-core in a Playwright page: the accessibility violations a page has.

The vendored, pinned axe-core (tests/browser/vendor/axe-core) is injected into the page
under test and run on the whole document; only what it rates serious or critical is
returned, each as "rule: the elements it names", so a failing assertion says where to look.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

AXE_PATH = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
GRAVE = ("serious", "critical")


def axe_source() -> str:
    data = AXE_PATH.read_bytes()
    if hashlib.sha256(data).hexdigest() != AXE_SHA256:
        raise RuntimeError(f"{AXE_PATH} is not the pinned axe-core 4.14.1")
    return data.decode("utf-8")


def axe_violations(page, *, impacts: tuple[str, ...] = GRAVE) -> list[str]:
    """Run axe-core on ``page`` and describe its violations of the given impacts."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # evaluate, not a <script> tag: the pages' CSP forbids inline and foreign scripts.
        page.evaluate(axe_source())
    results = page.evaluate("async () => await window.axe.run(document)")
    return [
        f"{violation['id']} ({violation['impact']}): "
        + "; ".join(", ".join(node["target"]) for node in violation["nodes"])
        for violation in results["violations"]
        if violation["impact"] in impacts
    ]
