"""A visitor writes while PostgreSQL is stopped (issue 16): the server answers
`internal`, the page says the message is delayed and will be sent again by itself, and
once PostgreSQL is back the message is stored and delivered once — without a reload,
without the visitor doing anything.

A private PostgreSQL cluster (bench/pgcluster.py: never the shared one) and Redis under
one `serve` worker (bench/livestack.py); the staff side is the reference client."""

from __future__ import annotations

import asyncio
import concurrent.futures
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import livestack
from bench.livestack import LiveStack
from bench.pgcluster import PrivateCluster, pg_bin
from chat.client import DeviceKeys, StaffClient
from chat.client.http import staff_login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.skipif(not PrivateCluster.available(), reason="needs initdb and pg_ctl"),
]

PHONE = {"width": 360, "height": 740}
FIRST = "Bonjour, je voudrais parler à quelqu'un."
DURING = "Vous êtes là ? Je réessaie."
DELAYED_FR = "L’envoi est retardé"
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def cluster() -> Iterator[PrivateCluster]:
    workdir = Path(tempfile.mkdtemp(prefix="outage-widget-pg-"))
    workdir.chmod(0o755)  # initdb runs as `postgres` when the tests run as root
    cluster = PrivateCluster(workdir).start()
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, cluster: PrivateCluster) -> Iterator[LiveStack]:
    stack = LiveStack(
        tmp_path_factory.mktemp("outage-widget"), servers=1, postgres_url=cluster.admin_url
    )
    # A small machine shared with other test runs starts a worker slowly.
    before, livestack.START_TIMEOUT_SECONDS = livestack.START_TIMEOUT_SECONDS, 180
    try:
        stack.up()
    finally:
        livestack.START_TIMEOUT_SECONDS = before
    try:
        yield stack
    finally:
        stack.close()


def pg_ctl(cluster: PrivateCluster, *arguments: str) -> None:
    cluster._run(pg_bin("pg_ctl"), "-D", str(cluster.datadir), *arguments)


def pg_start(cluster: PrivateCluster) -> None:
    options = (
        f"-c port={cluster.port} -c listen_addresses=127.0.0.1 "
        f"-c unix_socket_directories={cluster.datadir} -c max_connections=300"
    )
    pg_ctl(cluster, "-o", options, "-w", "-l", str(cluster.datadir / "server.log"), "start")


def stored_texts(stack: LiveStack) -> list[str]:
    """What the staff side receives of the conversation, read by the reference client."""

    async def read() -> list[str]:
        demo = stack.demo
        (url,) = stack.urls
        cookie = staff_login(url, demo["username"], demo["password"], demo["totp_secret"])
        staff = StaffClient(
            [url],
            device=DeviceKeys.load(stack.staff_device_path),
            cookie=cookie,
            admin_fingerprint=bytes.fromhex(demo["fingerprint"]),
        )
        await staff.start()
        try:
            (conversation_id,) = [
                row[0] for row in stack.sql("SELECT id::text FROM chat_conversation")
            ]
            await staff.subscribe(conversation_id)
            await staff.wait_for_epoch(conversation_id, timeout=30)
            for _ in range(100):
                texts = [m.text for m in staff.history if m.sender == "visitor"]
                if len(texts) >= 2:
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(1)  # anything more (a duplicate) would arrive by now
            return [m.text for m in staff.history if m.sender == "visitor"]
        finally:
            await staff.stop()

    # Playwright's sync API runs a loop in this thread: the client gets a thread of its own.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, read()).result()


def test_a_message_written_while_postgresql_is_down_is_delivered_once_when_it_returns(
    browser, stack: LiveStack, cluster: PrivateCluster
):
    context = browser.new_context(viewport=PHONE, locale="fr-FR", is_mobile=True)
    page = context.new_page()
    try:
        page.goto(f"{stack.urls[0]}/c/{stack.demo['campaign']}")
        composer = page.locator("#text:not([disabled])")
        composer.fill(FIRST)
        composer.press("Enter")
        page.locator(".mark[data-state='sent']").first.wait_for(timeout=TIMEOUT_MS)

        pg_ctl(cluster, "-m", "fast", "-w", "stop")
        try:
            composer.fill(DURING)
            composer.press("Enter")
            # The server failed (`internal`): the page says so, and that it will retry.
            page.locator("#status", has_text=DELAYED_FR).wait_for(timeout=TIMEOUT_MS)
            page.wait_for_timeout(3000)  # retried a few times meanwhile, still delayed
            assert DELAYED_FR in page.locator("#status").inner_text()
        finally:
            pg_start(cluster)

        # Back: sent again by itself, acknowledged, and the line says so no more.
        page.wait_for_function(
            "() => document.querySelectorAll(\".mark[data-state='sending']\").length === 0"
            " && document.querySelectorAll(\".mark[data-state='queued']\").length === 0",
            timeout=TIMEOUT_MS,
        )
        page.wait_for_function(
            f"() => !document.getElementById('status').textContent.includes('{DELAYED_FR}')",
            timeout=TIMEOUT_MS,
        )
        assert page.get_by_text(DURING, exact=True).count() == 1  # shown once
    finally:
        context.close()

    assert stored_texts(stack) == [FIRST, DURING]
    # Stored once: one commit and two envelopes, orders 1 to 3.
    assert stack.sql("SELECT last_order FROM chat_conversation") == [(3,)]
