"""Backups as docs/install.md has them: `pg_dump --format=custom`, and the restore that
follows a loss (stop the workers, recreate the database, `pg_restore`, start them).

What a dump holds is ciphertext: no message text is in it. A conversation that was live
when the dump was made is readable after the restore, by its visitor and by the team,
and goes on. (Why a dump becomes unreadable once the team key versions it holds are
destroyed is tests/integration/test_crypto_shredding.py.)
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql as pgsql

from bench.livestack import LiveStack
from chat.client import DeviceKeys, StaffClient
from tests.integration.conftest import LIVESTACK_ENV, STAFF, VISITOR

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def live_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    stack = LiveStack(tmp_path_factory.mktemp("backup"), servers=1, extra_env=LIVESTACK_ENV)
    stack.up()
    try:
        yield stack
    finally:
        stack.close()


@pytest.fixture(scope="module")
def demo(live_stack: LiveStack) -> dict:
    return live_stack.demo


@pytest.fixture(scope="module")
def admin_fingerprint(demo: dict) -> bytes:
    return bytes.fromhex(demo["fingerprint"])


@pytest.fixture(scope="module")
def staff_device_path(live_stack: LiveStack) -> Path:
    return live_stack.staff_device_path


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, timeout=300, check=True)


def database_recreate(stack: LiveStack) -> None:
    """What `dropdb` then `createdb` do, on the stack's database."""
    name = pgsql.Identifier(stack.database_name)
    with psycopg.connect(stack.postgres_admin_url, autocommit=True, connect_timeout=10) as db:
        db.execute(pgsql.SQL("DROP DATABASE {} WITH (FORCE)").format(name))
        db.execute(pgsql.SQL("CREATE DATABASE {}").format(name))


async def test_a_conversation_live_at_the_backup_is_readable_after_the_restore(
    live_stack: LiveStack, pair_open, demo: dict, admin_fingerprint: bytes, tmp_path: Path
) -> None:
    assert shutil.which("pg_dump") and shutil.which("pg_restore"), "postgresql-client"
    stack = live_stack
    pair = await pair_open(stack.urls, stack.urls)
    for i in range(5):
        await pair.say(VISITOR, f"before the backup, visitor {i}")
        await pair.say(STAFF, f"before the backup, staff {i}")
    await pair.wait_caught_up()

    # The backup (docs/install.md, "Backups"): one file, in PostgreSQL's custom format.
    dump = tmp_path / "helpline.dump"
    run("pg_dump", "--format=custom", "--file", str(dump), "--dbname", stack.database_url)
    as_sql = run("pg_restore", "--file", "-", str(dump)).stdout
    assert b"COPY public.chat_envelope" in as_sql
    for _, text in pair.sent[VISITOR] + pair.sent[STAFF]:
        assert text.encode() not in as_sql, "a message is readable in the dump"

    # The loss, then the restore: stop the workers, an empty database, the dump, start.
    stack.stop(0)
    database_recreate(stack)
    assert stack.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]
    run("pg_restore", "--no-owner", "--no-privileges", "--dbname", stack.database_url, str(dump))
    stack.start(0)

    # The same visitor and staff device reconnect on their own and go on.
    for i in range(3):
        await pair.say(VISITOR, f"after the restore, visitor {i}")
        await pair.say(STAFF, f"after the restore, staff {i}")
    await pair.wait_caught_up()
    pair.assert_delivered_exactly_once_in_order()

    # A staff device that never saw the conversation reads all of it from the restored
    # database: every message before the backup and after the restore.
    reader = StaffClient.login(
        stack.urls,
        username=demo["username"],
        password=demo["password"],
        totp_secret=demo["totp_secret"],
        device=DeviceKeys.load(stack.staff_device_path),
        admin_fingerprint=admin_fingerprint,
    )
    await reader.start()
    try:
        await reader.subscribe(pair.conversation_id)
        written = [text for _, text in sorted(pair.sent[VISITOR] + pair.sent[STAFF])]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while [m.text for m in reader.history] != written:
            assert loop.time() < deadline, f"read {len(reader.history)} of {len(written)}"
            await asyncio.sleep(0.1)
        assert reader.failures == []
    finally:
        await reader.stop()
    print(
        f"\nbackup {dump.stat().st_size} bytes, no plaintext in it; after the restore"
        f" {len(written)} messages read by a fresh staff device, the pair went on"
    )
