"""Expiry checked table by table (issue 7): with the clock frozen at chosen instants,
nothing is removed a second before the limit, and a second after it no table of the
database holds a row that mentions the conversation — not its id, its token hash, its
keys — only the anonymous counts and the audit log's count have grown.

Runs on SQLite and, with DATABASE_URL, on PostgreSQL (every table the database has,
found by introspection, so a table added later is checked too).
"""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections

from chat import expiry
from chat.expiry import conversations_expire, expiry_preview
from chat.models import Conversation
from chat.services.conversations import receipt_record
from chat.services.envelopes import envelope_submit
from chat.services.return_codes import return_code_set
from ops.activity.models import ActivityDay, ActivityTopic, ConversationOutcome
from ops.routing.services import SealedNote, note_store

SECOND = timedelta(seconds=1)
# Tables allowed to grow when a conversation is deleted: what must outlive it.
SURVIVORS = {"ops_activityday", "ops_activitytopic", "audit_auditentry"}


def table_rows() -> dict[str, list[tuple]]:
    """Every row of every table of the database, as the database returns it."""
    rows = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows[table] = [tuple(row) for row in cursor.fetchall()]
    return rows


def cell_bytes(value: object) -> bytes:
    if isinstance(value, memoryview | bytearray):
        return bytes(value)
    if isinstance(value, bytes):
        return value
    return str(value).encode()


def mentions(rows: dict[str, list[tuple]], needles: list[bytes]) -> dict[str, int]:
    """How many rows of each table hold any of the needles anywhere in a cell."""
    found = {}
    for table, table_rows_ in rows.items():
        count = sum(
            1
            for row in table_rows_
            if any(needle in cell_bytes(cell) for cell in row for needle in needles)
        )
        if count:
            found[table] = count
    return found


def needles_of(conversation_id: str) -> list[bytes]:
    conversation = Conversation.objects.get(pk=conversation_id)
    return [
        conversation_id.encode(),
        uuid.UUID(conversation_id).hex.encode(),
        bytes(conversation.token_hash),
        bytes(conversation.visitor_kem_public_key),
        bytes(conversation.visitor_sig_public_key),
    ]


@pytest.fixture
def before(helpline):
    """Every table once the helpline is set up, before any conversation."""
    return table_rows()


@pytest.fixture
def full(before, visitor, staff, helpline, view_as, now):
    """A conversation with a row in every table a conversation touches: commit, wraps,
    envelopes both ways, participants and receipts, a return code (chat); route, a
    sealed hand-over note, topics and outcome (the staff side)."""
    reply_state = view_as(staff, visitor.conversation_id)
    envelope_submit(party=visitor.party, envelope=visitor.seal("bonjour"), now=now)
    envelope_submit(
        party=staff.party, envelope=reply_state.seal(b"bonjour, je vous lis"), now=now + SECOND
    )
    receipt_record(
        party=staff.party, conversation_id=visitor.conversation_id, kind="read", order=2, now=now
    )
    note_store(
        conversation_id=visitor.conversation_id,
        author=staff.user,
        kind="handover",
        note=SealedNote(ct=bytes(100), team_key_version=helpline.team_key.version),
        at=now,
    )
    ConversationOutcome.objects.create(
        conversation_id=visitor.conversation_id, topics=["prep", "testing"], outcome="referred"
    )
    return_code_set(
        conversation_id=visitor.conversation_id, lookup=bytes(32), sealed=bytes(300), now=now
    )
    return visitor


def test_the_conversation_is_in_every_table_it_touches(full, before):
    tables = set(mentions(table_rows(), needles_of(full.conversation_id)))
    assert {
        "chat_conversation",
        "chat_commit",
        "chat_envelope",
        "chat_participant",
        "chat_returncode",
        "ops_route",
        "ops_note",
        "ops_conversationoutcome",
    } <= tables
    grown = {table for table, rows in table_rows().items() if len(rows) > len(before[table])}
    assert {"chat_wrap"} <= grown


def test_a_second_before_the_idle_limit_no_table_changes(full, now):
    snapshot = table_rows()
    limit = now + SECOND + timedelta(days=settings.CHAT_IDLE_EXPIRY_DAYS)
    assert conversations_expire(now=limit - SECOND) == 0
    assert table_rows() == snapshot


def test_a_second_after_the_idle_limit_no_table_mentions_it(full, before, now):
    needles = needles_of(full.conversation_id)
    last_activity = now + SECOND  # the staff answer
    assert conversations_expire(now=last_activity + timedelta(days=30) + SECOND) == 1

    after = table_rows()
    assert mentions(after, needles) == {}
    for table, rows in after.items():
        if table in SURVIVORS:
            continue
        assert len(rows) == len(before[table]), f"{table} kept rows of the conversation"
    assert len(after["ops_activityday"]) == 1
    assert len(after["ops_activitytopic"]) == 2


def test_a_closed_conversation_goes_table_by_table_after_its_closed_limit(full, before, now):
    Conversation.objects.filter(pk=full.conversation_id).update(state="closed", closed_at=now)
    needles = needles_of(full.conversation_id)
    closed_limit = timedelta(days=settings.CHAT_CLOSED_EXPIRY_DAYS)
    assert conversations_expire(now=now + closed_limit - SECOND) == 0
    assert mentions(table_rows(), needles)
    assert conversations_expire(now=now + closed_limit + SECOND) == 1
    assert mentions(table_rows(), needles) == {}


def test_a_dry_run_says_what_would_go_and_changes_nothing(full, now, monkeypatch):
    later = now + timedelta(days=31)
    monkeypatch.setattr(expiry.timezone, "now", lambda: later)
    snapshot = table_rows()
    output = StringIO()
    call_command("chat_expire", "--dry-run", stdout=output)
    assert table_rows() == snapshot
    text = output.getvalue()
    assert "30 days" in text and "7 days" in text
    assert "conversations 1" in text and "envelopes 2" in text and "wraps 2" in text
    assert expiry_preview(now=later)["conversations"] == 1

    output = StringIO()
    call_command("chat_expire", stdout=output)
    assert "Deleted 1 expired conversations." in output.getvalue()
    assert not Conversation.objects.exists()


def test_the_periodic_job_expires_by_the_wall_clock(full, now, monkeypatch):
    monkeypatch.setattr(expiry.timezone, "now", lambda: now + timedelta(days=30))
    expiry.expiry_job()
    assert Conversation.objects.filter(pk=full.conversation_id).exists()
    monkeypatch.setattr(expiry.timezone, "now", lambda: now + timedelta(days=30, seconds=2))
    expiry.expiry_job()
    assert not Conversation.objects.filter(pk=full.conversation_id).exists()


def test_expiring_again_counts_nothing_twice(full, now):
    moment = now + timedelta(days=31)
    assert conversations_expire(now=moment) == 1
    snapshot = table_rows()
    assert conversations_expire(now=moment) == 0
    assert table_rows() == snapshot
    assert ActivityDay.objects.get().conversations == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_expiring_at_once_delete_and_count_each_conversation_once(
    helpline, visitor_factory, now
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks (SKIP LOCKED) need PostgreSQL")
    for _ in range(12):
        visitor_factory()
    moment = now + timedelta(days=31)
    results: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker() -> None:
        try:
            start.wait()
            results.append(conversations_expire(now=moment, batch=2))
        except BaseException as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(results) == 12
    assert not Conversation.objects.exists()
    assert sum(row.conversations for row in ActivityDay.objects.all()) == 12
    assert not ActivityTopic.objects.exists()
