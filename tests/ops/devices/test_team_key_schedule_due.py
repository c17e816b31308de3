"""Rotation due on schedule reaches the coordinators (issue 7): the periodic job tells
every dashboard (`team_key.rotation_due`, which the coordinator's dashboard turns into
an alert) once, when the current team key becomes due — not a second early, not again
on the next runs nor from a second worker, and again for the next version."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection

from chat.models import TeamKey
from ops.devices import services
from tests.ops.conftest import team_announcement

SECOND = timedelta(seconds=1)
ROTATION_DAYS = 30


@pytest.fixture
def told(monkeypatch, settings) -> list:
    """The staff events published, round-tripped through JSON as the layer does."""
    settings.CHAT_TEAM_KEY_ROTATION_DAYS = ROTATION_DAYS
    published: list = []
    monkeypatch.setattr(
        services,
        "events_publish_on_commit",
        lambda events: published.extend(json.loads(json.dumps(events))),
    )
    return published


def due_of(version: int):
    made = TeamKey.objects.get(version=version).created_at
    return made + timedelta(days=ROTATION_DAYS)


def events_of(told: list) -> list[tuple[str, dict]]:
    return [(message["event"], message["data"]) for _, message in told]


def test_the_job_tells_once_when_the_team_key_becomes_due_and_not_a_second_before(team_key, told):
    team_key()
    due = due_of(1)

    assert services.team_key_schedule_due_tell(now=due - SECOND) == []
    assert told == []
    assert services.team_key_schedule_due_tell(now=due) == ["schedule"]
    assert events_of(told) == [("team_key.rotation_due", {"reasons": ["schedule"]})]


def test_later_runs_and_a_second_worker_do_not_tell_again(team_key, told):
    team_key()
    due = due_of(1)
    services.team_key_schedule_due_tell(now=due)

    for later in (due, due + timedelta(minutes=5), due + timedelta(days=3)):
        assert services.team_key_schedule_due_tell(now=later) == []
    assert len(told) == 1
    assert TeamKey.objects.get(version=1).schedule_due_told_at == due


def test_the_next_version_is_told_at_its_own_due_time(admin, team_key, told):
    team_key()
    rotated = due_of(1) + timedelta(hours=2)
    services.team_key_schedule_due_tell(now=due_of(1))
    _, announcement = team_announcement(admin, version=2, now=rotated)
    services.team_key_create(announcement=announcement, wraps={}, now=rotated)

    assert services.team_key_schedule_due_tell(now=rotated) == []
    assert services.team_key_schedule_due_tell(now=due_of(2) - SECOND) == []
    assert services.team_key_schedule_due_tell(now=due_of(2)) == ["schedule"]
    assert len(told) == 2


def test_no_team_key_tells_nothing(db, told, now):
    assert services.team_key_schedule_due_tell(now=now + timedelta(days=365)) == []
    assert told == []


def test_the_periodic_job_is_scheduled_and_reads_the_clock(team_key, told, monkeypatch, settings):
    assert "ops.devices.services.team_key_schedule_due_job" in dict(settings.PERIODIC_JOBS)
    team_key()
    monkeypatch.setattr("django.utils.timezone.now", lambda: due_of(1) - SECOND)
    services.team_key_schedule_due_job()
    assert told == []
    monkeypatch.setattr("django.utils.timezone.now", lambda: due_of(1))
    services.team_key_schedule_due_job()
    assert events_of(told) == [("team_key.rotation_due", {"reasons": ["schedule"]})]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_workers_running_at_the_same_moment_tell_once(team_key, told):
    team_key()
    due = due_of(1)

    def run(_: int) -> list[str]:
        try:
            return services.team_key_schedule_due_tell(now=due)
        finally:
            connection.close()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(run, range(8)))
    assert sorted(results) == [[]] * 7 + [["schedule"]]
    assert len(told) == 1
