"""What a visitor is told (ops/routing/availability.py): open or closed, someone here or not —
never who —, and when the next shift opens. Never "someone is here" when nobody is."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from ops import clock
from ops.routing import availability, presence
from tests.ops.conftest import AT, paris, slot_make

pytestmark = pytest.mark.django_db


def status(at=AT) -> dict:
    return availability.status_at(at)


def test_outside_hours_the_visitor_learns_when_the_next_shift_opens(staff_on_shift):
    assert status(paris(2026, 6, 16, 18)) == {
        "open": False,
        "someone_here": False,
        "next_opening": int(paris(2026, 6, 23, 14).timestamp()),
    }


def test_during_a_shift_with_someone_available_someone_is_here(staff_on_shift):
    assert status() == {"open": True, "someone_here": True, "next_opening": None}


def test_an_open_shift_whose_staff_are_not_connected_says_so(staff_on_shift):
    # dora's dashboard closed long ago: the shift is open, nobody is here.
    assert status(AT + timedelta(minutes=30)) == {
        "open": True,
        "someone_here": False,
        "next_opening": None,
    }


def test_busy_or_away_staff_are_not_someone_here(staff_on_shift):
    presence.presence_set(user=staff_on_shift.user, presence="busy", at=AT)
    assert status()["someone_here"] is False


def test_staff_available_but_off_shift_are_not_someone_here(staff_off_shift, afternoon):
    # The afternoon slot has no one on it: it opens nothing, now or later.
    assert status() == {"open": False, "someone_here": False, "next_opening": None}


def test_a_shift_with_no_one_on_it_is_closed_for_visitors(staff_off_shift):
    slot_make(1, "14:00", "17:00", label="Personne")
    assert status() == {"open": False, "someone_here": False, "next_opening": None}


def test_with_no_rota_at_all_the_next_opening_is_unknown(db):
    assert status() == {"open": False, "someone_here": False, "next_opening": None}


def test_the_status_is_plain_json_and_says_nothing_of_who(staff_on_shift):
    text = json.dumps(status())
    assert "dora" not in text
    assert set(json.loads(text)) == {"open", "someone_here", "next_opening"}


def test_the_provider_puts_chats_now_on_the_helplines_clock(staff_on_shift, tmp_path, settings):
    # A test clock file moves routing, not chat: 4 hours on, the afternoon is over.
    clock_file = tmp_path / "clock"
    clock_file.write_text(str(4 * 3600))
    settings.HELPLINE_TEST_CLOCK_FILE = str(clock_file)
    assert availability.helpline_status(now=AT)["open"] is False
    clock_file.write_text("0")
    assert availability.helpline_status(now=AT)["open"] is True


def test_without_the_test_clock_setting_the_clock_is_real(tmp_path, monkeypatch, settings):
    """Only the setting (read from the environment once, at start) turns the test clock
    on: the environment is not read again, and no file is read at all."""
    clock_file = tmp_path / "clock"
    clock_file.write_text(str(4 * 3600))
    monkeypatch.setenv("HELPLINE_TEST_CLOCK_FILE", str(clock_file))
    settings.HELPLINE_TEST_CLOCK_FILE = None

    def no_reading(*args, **kwargs):
        raise AssertionError("the clock read a file")

    monkeypatch.setattr(Path, "read_text", no_reading)
    assert clock.offset() == timedelta(0)
    assert clock.shifted(AT) == AT
