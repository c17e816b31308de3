"""`manage.py serve` runs Daphne's loop on uvloop (chat/eventloop.py, issue 18): a soak of
the production command with the jobs thread beside it — sockets and HTTP requests for a
while, then SIGTERM or SIGINT: it stops at once, cleanly, the jobs thread with it."""

from __future__ import annotations

import signal
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from websockets.sync.client import connect

if TYPE_CHECKING:
    from conftest import Served

SOCKETS = 20
SOAK_SECONDS = 4


def hello(served: Served):
    websocket = connect(
        f"ws://127.0.0.1:{served.port}/ws/visitor", origin=served.url, open_timeout=30
    )
    assert '"hello"' in websocket.recv(timeout=30)
    return websocket


def soak(served: Served) -> None:
    """Idle sockets held open; meanwhile sockets opened and closed and HTTP requests
    (frames a socket sends unauthenticated would be refused, and many refusals close it
    as a flood: not what this soaks)."""
    sockets = [hello(served) for _ in range(SOCKETS)]
    deadline = time.monotonic() + SOAK_SECONDS
    while time.monotonic() < deadline:
        hello(served).close()
        with urllib.request.urlopen(f"{served.url}/healthz", timeout=30) as response:
            assert response.status == 200
    for websocket in sockets[SOCKETS // 2 :]:
        websocket.close()
    # The other half stays open: shutdown must close them itself.
    threading.Thread(target=lambda: [w.close() for w in sockets[: SOCKETS // 2]]).start()


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_serve_runs_on_uvloop_with_jobs_and_stops_cleanly_on_a_signal(
    serve: Callable[..., Served], embedded_env: dict[str, str], stop_signal: signal.Signals
) -> None:
    served = serve(embedded_env, "--jobs")
    soak(served)
    served.process.send_signal(stop_signal)
    assert served.process.wait(timeout=40) == 0
    output = served.output()
    assert "event loop: uvloop.Loop" in output
    assert "Periodic jobs running in this process" in output
    assert "Periodic jobs stopped" in output
    assert "Traceback" not in output


def test_chat_uvloop_0_keeps_asyncio_s_loop(
    serve: Callable[..., Served], embedded_env: dict[str, str]
) -> None:
    served = serve({**embedded_env, "CHAT_UVLOOP": "0"})
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=40) == 0
    assert "event loop: asyncio." in served.output()
