"""The bench's W5 loader (bench/workloads.py ``expired_load``) against today's schema: it
COPYs rows past Django, so a migration that adds a NOT NULL column broke it unseen
(issue 18: W5 ended with NotNullViolation on ``epochs_closed_through``). Tiny size, on
the test PostgreSQL; then W5's job deletes what was loaded."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from chat.expiry import conversations_expire
from chat.models import Commit, Conversation, Envelope, Participant, Wrap

pytestmark = pytest.mark.django_db(transaction=True)


def database_url() -> str:
    settings = connection.settings_dict
    user = settings["USER"] or "postgres"
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    host = settings["HOST"] or "127.0.0.1"
    port = settings["PORT"] or 5432
    return f"postgresql://{user}{password}@{host}:{port}/{settings['NAME']}"


def test_w5_loader_fills_todays_schema_and_the_job_expires_it() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("W5 loads with PostgreSQL's COPY")
    from bench.workloads import expired_load

    loaded = expired_load(database_url(), envelopes=30, per_conversation=10, idle_days=30)

    assert (loaded["conversations"], loaded["envelopes"]) == (3, 30)
    assert Conversation.objects.count() == 3
    assert Envelope.objects.count() == 30
    assert Participant.objects.count() == 3
    assert Commit.objects.count() == 3
    assert Wrap.objects.count() == 6
    conversation = Conversation.objects.first()
    assert conversation.epochs_closed_through == -1
    assert conversation.last_order == 11
    assert conversations_expire(now=timezone.now()) == 3
    assert not Envelope.objects.exists()
