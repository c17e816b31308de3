"""What a live stack keeps and says about a conversation: no plaintext in PostgreSQL, in
Redis or in the logs, no visitor token, no network address in the logs (DESIGN §2)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import ipaddress
import re
import urllib.error
import urllib.request
import uuid

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from chat.client.connection import websocket_url
from chat.client.http import LoginFailed, staff_login

pytestmark = pytest.mark.integration

VISITOR, STAFF = "visitor", "staff"

IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
# Candidates only: times like 18:32:26 match too and are weeded out below.
IPV6 = re.compile(r"(?<![0-9A-Za-z:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Za-z:])")


def addresses_in(text: str) -> list[str]:
    """IPv4 and IPv6 addresses written anywhere in ``text`` (127.0.0.1, ::1, …)."""
    found = []
    for match in IPV4.finditer(text):
        try:
            found.append(str(ipaddress.IPv4Address(match.group())))
        except ValueError:
            continue
    for match in IPV6.finditer(text):
        candidate = match.group()
        if "::" not in candidate and candidate.count(":") < 7:
            continue  # a time of day, not an address
        try:
            found.append(str(ipaddress.IPv6Address(candidate)))
        except ValueError:
            continue
    return found


def base64_forms(data: bytes) -> set[str]:
    """``data`` as it reads inside any base64 text (standard or URL-safe alphabet), at
    each of the three byte alignments it may start at, minus the edge characters that
    depend on the neighbouring bytes."""
    forms = set()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + data).decode()
        start = -(-8 * shift // 6)  # the first character made of data bits only
        end = 8 * (shift + len(data)) // 6  # past the last one
        inner = encoded[start:end]
        forms |= {inner, inner.replace("+", "-").replace("/", "_")}
    return forms


def redis_cli_repr(data: bytes) -> str:
    """How ``redis-cli MONITOR`` prints bytes inside an argument (sdscatrepr)."""
    escapes = {0x5C: "\\\\", 0x22: '\\"', 0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t"}
    escapes |= {0x07: "\\a", 0x08: "\\b"}
    return "".join(escapes.get(b) or (chr(b) if 0x20 <= b < 0x7F else f"\\x{b:02x}") for b in data)


def traces_of(secret: bytes) -> set[str]:
    """Every form in which ``secret`` would betray itself in a dump, a log or MONITOR."""
    forms = {secret.hex(), secret.hex().upper(), redis_cli_repr(secret)}
    forms |= base64_forms(secret)
    with contextlib.suppress(UnicodeDecodeError):
        forms.add(secret.decode("utf-8"))
    return {form for form in forms if form}


def traces_found(secret: bytes, where: dict[str, str]) -> list[str]:
    return [
        f"{form!r} in {name}"
        for form in traces_of(secret)
        for name, text in where.items()
        if form in text
    ]


async def knock_on_the_wrong_doors(base_url: str) -> None:
    """Requests that servers are tempted to log, with the client's address: a missing
    page, a wrong password, a staff socket without a session, a foreign origin, a
    malformed frame."""
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(base_url + "/no-such-page", timeout=10)
    assert missing.value.code == 404
    with pytest.raises(LoginFailed):
        staff_login(base_url, "demo", "not-the-password")

    staff_url, origin = websocket_url(base_url, "staff")
    async with connect(staff_url, origin=origin) as socket:
        with pytest.raises(ConnectionClosed) as closed:
            await socket.recv()
    assert closed.value.rcvd.code == 4401

    visitor_url, origin = websocket_url(base_url, "visitor")
    with pytest.raises(InvalidStatus):
        async with connect(visitor_url, origin="https://elsewhere.example"):
            pass

    async with connect(visitor_url, origin=origin) as socket:
        await socket.recv()  # hello
        await socket.recv()  # open.challenge (issue 15)
        await socket.recv()  # helpline.status (ops/README.md)
        await socket.send('{"type": "conversation.open", "suite": "one"}')
        assert '"bad_frame"' in await socket.recv()


async def test_no_plaintext_token_or_address_is_kept_or_logged(live_stack, pair_open):
    visitor_url, staff_url = live_stack.urls
    marker = f"PLAINTEXT-MARKER-{uuid.uuid4()}"
    markers = [
        marker,
        f"МАРКЕР-ОТКРЫТОГО-ТЕКСТА-{marker}",  # Cyrillic
        f"明文标记-{marker}",  # Chinese
    ]
    mark = live_stack.log_mark()

    with live_stack.monitoring() as monitor:
        pair = await pair_open([visitor_url], [staff_url])
        for text in markers:
            await pair.say(VISITOR, f"Bonjour, {text} ?")
            await pair.say(STAFF, f"Bonjour, ici l'équipe : {text}.")
        # The visitor loses its socket and resumes with its token, as a phone would.
        await pair.visitor.drop()
        await asyncio.wait_for(_reconnected(pair.visitor), 30)
        await pair.say(VISITOR, f"De retour : {marker}")
        await pair.wait_caught_up()
        await knock_on_the_wrong_doors(visitor_url)
    pair.assert_delivered_exactly_once_in_order()
    # The markers really went through: each side decrypted them.
    assert all(any(m in message.text for message in pair.received(STAFF)) for m in markers)
    assert all(any(m in message.text for message in pair.received(VISITOR)) for m in markers)

    dump = live_stack.pg_dump()
    redis_seen = monitor.text()
    logs = live_stack.logs()
    # Each source really holds this conversation, or finding nothing would mean nothing.
    assert pair.conversation_id in dump
    group = f"asgi__group__conv.{uuid.UUID(pair.conversation_id).hex}"
    assert re.search(rf'"publish" "{group}"', redis_seen, re.IGNORECASE)
    assert len(redis_seen.splitlines()) > 2 * len(markers)

    where = {"the database dump": dump, "Redis MONITOR": redis_seen, "the server logs": logs}
    # Hex, base64, escapes: all of them are ASCII-case-sensitive except hex, checked in
    # both cases by traces_of.
    for text in markers:
        assert traces_found(text.encode("utf-8"), where) == []
    assert traces_found(marker.split("MARKER-", 1)[1].encode(), where) == []

    token = pair.visitor.token
    assert len(token) == 32
    assert traces_found(token, where) == []
    # Only its hash is kept (the positive control for the line above).
    assert hashlib.sha256(token).hexdigest() in dump

    # Nothing the servers wrote during all this names an address. (The "Serving on" line
    # each worker prints at start names the address it listens on; it came before.)
    assert addresses_in(live_stack.logs(since=mark)) == []


async def _reconnected(client) -> None:
    while client.reconnections < 1 or not client.connected.is_set():
        await asyncio.sleep(0.02)
