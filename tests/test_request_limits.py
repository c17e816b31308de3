"""`manage.py serve` refuses request bodies over HTTP_BODY_MAX_BYTES before buffering
them (config/request_limits.py), for installs without Caddy's cap; what Django refuses
for what a client sent is one WARNING line, never an ERROR or a traceback; log times are
UTC with their offset (config/log_format.py)."""

from __future__ import annotations

import http.client
import logging
import re
import socket
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from config.log_format import RefusalAsWarning, UTCFormatter

if TYPE_CHECKING:
    from conftest import Served

CAP = 1_000_000
RSS_GROWTH_LIMIT_BYTES = 20 * 1024 * 1024
CHUNK = b"\0" * (1024 * 1024)


@pytest.fixture
def capped_env(embedded_env: dict[str, str]) -> dict[str, str]:
    return {**embedded_env, "HTTP_BODY_MAX_BYTES": str(CAP)}


def rss_bytes(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, flags=re.MULTILINE).group(1)) * 1024


def test_a_declared_body_over_the_cap_is_refused_before_it_is_sent(
    serve: Callable[..., Served], capped_env: dict[str, str]
) -> None:
    served = serve(capped_env)
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as client:
        client.sendall(
            b"POST /c/nope/opened HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Length: 800000000\r\nExpect: 100-continue\r\n\r\n"
        )
        # Not one byte of the body was sent: the answer comes from the headers alone.
        answer = b""
        while chunk := client.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"100 Continue" not in answer


def test_a_chunked_body_is_cut_past_the_cap_and_memory_stays_flat(
    serve: Callable[..., Served], capped_env: dict[str, str]
) -> None:
    served = serve(capped_env)
    before = rss_bytes(served.process.pid)
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    sent = 0
    try:
        connection.putrequest("POST", "/c/nope/opened")
        connection.putheader("Transfer-Encoding", "chunked")
        connection.endheaders()
        while sent < 800 * len(CHUNK):
            connection.send(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK))
            sent += len(CHUNK)
    except OSError:
        pass
    try:
        status = connection.getresponse().status
    except (OSError, http.client.HTTPException):
        status = 0  # cut before the answer could be read: still refused
    connection.close()

    assert sent < 100 * len(CHUNK), "the server kept reading"
    assert status in (413, 0)
    assert rss_bytes(served.process.pid) - before < RSS_GROWTH_LIMIT_BYTES
    with urllib.request.urlopen(f"{served.url}/healthz", timeout=10) as response:
        assert response.status == 200


def test_a_body_under_the_cap_still_reaches_the_application(
    serve: Callable[..., Served], capped_env: dict[str, str]
) -> None:
    served = serve(capped_env)
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    connection.request("POST", "/c/nope/opened", body=b"\0" * (CAP // 2))
    response = connection.getresponse()
    # The application's own answer: this endpoint takes an empty body (widget/views.py).
    assert response.status == 400
    assert response.getheader("Content-Type", "").startswith("text/html")
    connection.close()


def test_what_django_refuses_for_what_a_client_sent_is_one_warning_line(
    serve: Callable[..., Served], embedded_env: dict[str, str]
) -> None:
    served = serve(embedded_env)
    statuses = []
    for headers, body in (
        ({"Host": "evil.example"}, None),
        # Over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), under HTTP_BODY_MAX_BYTES.
        ({"Content-Type": "application/x-www-form-urlencoded"}, b"a=" + b"b" * 3_000_000),
    ):
        connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
        connection.request("POST", "/c/nope/opened", body=body, headers=headers)
        statuses.append(connection.getresponse().status)
        connection.close()
    served.stop()

    assert statuses == [400, 400]
    output = served.output()
    assert "ERROR" not in output
    assert "Traceback" not in output
    refusals = [line for line in output.splitlines() if "django.security." in line]
    assert len(refusals) == 2
    assert all(" WARNING django.security." in line for line in refusals)
    assert "DisallowedHost" in refusals[0] and "RequestDataTooBig" in refusals[1]


def test_log_lines_carry_utc_times_with_their_offset() -> None:
    record = logging.LogRecord("chat", logging.INFO, __file__, 1, "hello", None, None)
    record.created = 1_800_000_000.25  # 2027-01-15 08:00:00.250 UTC, 09:00 in Paris
    line = UTCFormatter("%(asctime)s %(levelname)s %(name)s %(message)s").format(record)
    assert line == "2027-01-15T08:00:00.250+00:00 INFO chat hello"


def test_a_refusal_loses_its_traceback_and_its_error_level() -> None:
    try:
        raise ValueError("inside")
    except ValueError as error:
        record = logging.LogRecord(
            "django.security.DisallowedHost", logging.ERROR, __file__, 1, "bad host", None,
            (type(error), error, error.__traceback__),
        )  # fmt: skip
    assert RefusalAsWarning().filter(record)
    assert (record.levelno, record.levelname, record.exc_info) == (logging.WARNING, "WARNING", None)
