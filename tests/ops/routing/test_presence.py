"""Presence (ops/routing/presence.py): chosen by the person, shown as chosen while a dashboard of
theirs is connected or for a grace minute after the last one closed, else away; every
change announced once; visitors told when "someone is here" may have changed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ops.devices import selectors
from ops.models import StaffProfile
from ops.routing import presence
from tests.ops.conftest import AT, events_named, member_make

pytestmark = pytest.mark.django_db


def profile(member) -> StaffProfile:
    return StaffProfile.objects.get(user=member.user)


def shown(member, at=AT) -> str:
    return selectors.presence_shown(profile(member), at)


def socket(member, event: str, at=AT) -> list:
    return presence.staff_socket(user_id=member.user.pk, event=event, now=at)


def test_a_connected_dashboard_shows_the_chosen_presence(staff_on_shift):
    assert shown(staff_on_shift) == "available"
    assert profile(staff_on_shift).open_sockets == 1


def test_someone_who_never_connected_is_away(nurse):
    assert shown(nurse) == "away"


def test_connecting_announces_the_change_once(nurse):
    events = socket(nurse, "connected")
    (change,) = events_named(events, "presence.changed")
    assert (change["user_id"], change["presence"], change["load"]) == (
        nurse.user.pk,
        "available",
        0,
    )
    assert socket(nurse, "connected", AT + timedelta(seconds=1)) == []  # a second tab
    assert profile(nurse).open_sockets == 2


def test_closing_the_last_tab_turns_to_away_after_the_grace_minute(staff_on_shift):
    closed_at = AT + timedelta(minutes=5)
    socket(staff_on_shift, "closed", closed_at)
    assert profile(staff_on_shift).open_sockets == 0
    assert shown(staff_on_shift, closed_at + timedelta(seconds=59)) == "available"
    assert shown(staff_on_shift, closed_at + timedelta(seconds=60)) == "away"


def test_closing_one_of_two_tabs_keeps_the_presence(staff_on_shift):
    socket(staff_on_shift, "connected")
    socket(staff_on_shift, "closed")
    assert shown(staff_on_shift, AT + timedelta(seconds=100)) == "available"


def test_a_socket_that_stopped_pinging_no_longer_counts(staff_on_shift):
    # Its worker died without closing it: once its lease (two minutes without a ping)
    # ran out, away; routing sends it nobody (issue 16).
    assert shown(staff_on_shift, AT + timedelta(minutes=1, seconds=59)) == "available"
    assert shown(staff_on_shift, AT + timedelta(minutes=2)) == "away"


def test_a_ping_keeps_the_dashboard_present(staff_on_shift):
    later = AT + timedelta(seconds=100)
    socket(staff_on_shift, "seen", later)
    assert shown(staff_on_shift, later + timedelta(seconds=100)) == "available"


def test_pings_are_written_at_most_every_twenty_seconds(staff_on_shift):
    socket(staff_on_shift, "seen", AT + timedelta(seconds=5))
    assert profile(staff_on_shift).last_seen_at == AT
    socket(staff_on_shift, "seen", AT + timedelta(seconds=25))
    assert profile(staff_on_shift).last_seen_at == AT + timedelta(seconds=25)


def test_a_stale_count_starts_again_when_the_person_reconnects(staff_on_shift):
    later = AT + timedelta(hours=1)
    socket(staff_on_shift, "connected", later)
    assert profile(staff_on_shift).open_sockets == 1


def test_choosing_busy_is_shown_to_colleagues(staff_on_shift):
    events = presence.presence_set(user=staff_on_shift.user, presence="busy", at=AT)
    assert events_named(events, "presence.changed")[0]["presence"] == "busy"
    assert shown(staff_on_shift) == "busy"


def test_a_change_of_someone_on_shift_is_told_to_visitors(staff_on_shift):
    events = presence.presence_set(user=staff_on_shift.user, presence="away", at=AT)
    (status,) = [message for group, message in events if group == "visitors"]
    assert status == {
        "type": "helpline.status",
        "open": True,
        "someone_here": False,
        "next_opening": None,
    }


def test_a_change_of_someone_off_shift_is_not_told_to_visitors(staff_off_shift, afternoon):
    events = presence.presence_set(user=staff_off_shift.user, presence="busy", at=AT)
    assert [group for group, _ in events] == ["staff.activity"]


def test_the_job_announces_what_only_time_reveals_once(staff_on_shift):
    later = AT + timedelta(minutes=10)
    events = presence.presences_refresh(at=later)
    assert events_named(events, "presence.changed")[0]["presence"] == "away"
    assert presence.presences_refresh(at=later) == []


def test_an_interpreters_socket_changes_nothing(interpreter):
    assert socket(interpreter, "connected") == []
    assert profile(interpreter).open_sockets == 0


def test_an_account_without_profile_changes_nothing(outsider, django_user_model):
    charlie = django_user_model.objects.get(username="charlie")
    assert presence.staff_socket(user_id=charlie.pk, event="connected", now=AT) == []


def test_a_new_staff_member_starts_available_but_away_until_connected(db):
    member = member_make("gabrielle")
    assert profile(member).presence == "available"
    assert shown(member) == "away"
