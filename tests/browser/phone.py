"""A cheap phone on a poor line, in Chromium: throttling, what a page load costs, and a
virtual keyboard.

`Slow3g` is the line the visitor page is measured on (docs/operations.md, "The
visitor's page on a phone"): 400 kbit/s each way, 400 ms round trip, the CPU four times
slower, through the DevTools protocol. `load_measure` opens a URL on such a line and
returns when the composer became usable, when the page said "connected", and the bytes
that crossed the network (headers included: Chromium's encodedDataLength), request by
request. The timings are written down by the tests, never asserted.

A phone's keyboard takes the bottom of the screen: the layout viewport shrinks
(Chromium on Android resizes it; `interactive-widget=resizes-content` asks for that on
every browser). `keyboard_open` does the same to the page: the viewport loses the
keyboard's height.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

DOWNLOAD_BITS_PER_SECOND = 400_000
UPLOAD_BITS_PER_SECOND = 400_000
LATENCY_MS = 400
CPU_SLOWDOWN = 4
SETTLE_MS = 1500  # quiet time after "connected" before the bytes are added up

# Recorded in the page from its very first script: performance.now() (milliseconds since
# the navigation started) when the composer was first usable — the text field and the
# Send button enabled, the catalogue in — and when the status line first said the page
# was connected.
MILESTONES_SCRIPT = """
(() => {
  const marks = (window.__phone = { composer: null, connected: null, catalogue: null });
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.name.includes("/i18n/") && marks.catalogue === null) {
        marks.catalogue = entry.responseEnd;
      }
    }
    check();
  }).observe({ type: "resource", buffered: true });
  function check() {
    const text = document.getElementById("text");
    const send = document.getElementById("send");
    const ready = text && !text.disabled && send && !send.disabled;
    if (marks.composer === null && ready && marks.catalogue !== null) {
      marks.composer = performance.now();
    }
    const status = document.getElementById("status");
    if (marks.connected === null && status && status.dataset.state === "open") {
      marks.connected = performance.now();
    }
  }
  new MutationObserver(check).observe(document, {
    subtree: true, childList: true, attributes: true, attributeFilter: ["disabled", "data-state"],
  });
})();
"""


@dataclass
class Transfer:
    """What crossed the network for one page load."""

    requests: list[dict] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(request["bytes"] for request in self.requests)

    def summary(self) -> dict:
        return {
            "requests": len(self.requests),
            "bytes": self.total_bytes,
            "files": [
                {key: request[key] for key in ("path", "bytes", "status", "cache_control")}
                for request in self.requests
            ],
        }


class Slow3g:
    """One page on the slow line, with a DevTools session that counts its bytes."""

    def __init__(self, context: Any) -> None:
        self.page = context.new_page()
        self.cdp = context.new_cdp_session(self.page)
        self.cdp.send("Network.enable")
        self.cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": LATENCY_MS,
                "downloadThroughput": DOWNLOAD_BITS_PER_SECOND / 8,
                "uploadThroughput": UPLOAD_BITS_PER_SECOND / 8,
            },
        )
        self.cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        self.page.add_init_script(MILESTONES_SCRIPT)
        self._responses: dict[str, dict] = {}
        self._finished: dict[str, int] = {}
        self.cdp.on("Network.responseReceived", self._response)
        self.cdp.on("Network.loadingFinished", self._loading_finished)

    def _response(self, event: dict) -> None:
        response = event["response"]
        headers = {name.lower(): value for name, value in response.get("headers", {}).items()}
        self._responses[event["requestId"]] = {
            "path": urlsplit(response["url"]).path,
            "status": response["status"],
            "cache_control": headers.get("cache-control", ""),
            "encoding": headers.get("content-encoding", ""),
            "from_cache": bool(response.get("fromDiskCache") or response.get("fromMemoryCache")),
        }

    def _loading_finished(self, event: dict) -> None:
        self._finished[event["requestId"]] = int(event["encodedDataLength"])

    def transfer(self) -> Transfer:
        """Every response that came over the network (not from the cache)."""
        requests = []
        for request_id, length in self._finished.items():
            response = self._responses.get(request_id)
            if response is None or response["from_cache"] or length == 0:
                continue
            requests.append({**response, "bytes": length})
        return Transfer(sorted(requests, key=lambda request: request["path"]))

    def milestones(self) -> dict:
        return self.page.evaluate("({...window.__phone})")


def load_measure(context: Any, url: str, *, timeout_ms: int = 60_000) -> dict:
    """Open `url` on the slow line; wait until connected (and quiet). The page is kept
    open for more (`result["line"].page`)."""
    line = Slow3g(context)
    line.page.goto(url, wait_until="commit", timeout=timeout_ms)
    line.page.wait_for_function(
        "() => window.__phone && window.__phone.connected !== null",
        timeout=timeout_ms,
        polling=100,
    )
    time.sleep(SETTLE_MS / 1000)
    milestones = line.milestones()
    return {
        "line": line,
        "composer_usable_ms": round(milestones["composer"]),
        "connected_ms": round(milestones["connected"]),
        "transfer": line.transfer(),
    }


def line_normal(line: Slow3g) -> None:
    """Back to a fast line and CPU (for what the test does next)."""
    line.cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    line.cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )


def keyboard_open(page: Any, height: int) -> None:
    """The virtual keyboard takes `height` pixels at the bottom: the viewport shrinks."""
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": size["height"] - height})


def inside_viewport(page: Any, locator: Any) -> bool:
    """Whether the element is entirely visible: inside the viewport and not hidden by
    the scrolling box it sits in, as the next painted frame shows it (a change made just
    before, such as the status line's new text, is laid out at once but the page's
    resize observers answer it in the next frame)."""
    return locator.evaluate(
        """async (element) => {
            await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
            const box = element.getBoundingClientRect();
            if (box.top < 0 || box.bottom > window.innerHeight) return false;
            for (let up = element.parentElement; up; up = up.parentElement) {
                const style = getComputedStyle(up);
                if (!/(auto|scroll|hidden)/.test(style.overflowY)) continue;
                const frame = up.getBoundingClientRect();
                if (box.top < frame.top - 0.5 || box.bottom > frame.bottom + 0.5) return false;
            }
            return true;
        }"""
    )
