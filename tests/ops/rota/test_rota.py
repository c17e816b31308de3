"""The rota in time (ops/rota/selectors.py), with a frozen clock: every instant is given
explicitly. Slot boundaries to the second, closures and public holidays, the Europe/Paris
DST changes of 2026, night shifts, overlapping shifts, a shift with no one on it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model

from ops.errors import RotaInvalid
from ops.models import Closure, Slot
from ops.rota import selectors as rota
from ops.rota import services as rota_edits
from tests.ops.conftest import AT, paris, shift_make, slot_make

pytestmark = pytest.mark.django_db

TUESDAY = 1
SUNDAY = 6


def open_keys(at) -> list[str]:
    return [instance.key for instance in rota.shifts_open(at)]


# -- boundaries ------------------------------------------------------------------------------


def test_a_weekly_slot_opens_at_its_first_second_and_closes_at_its_last(staff_on_shift, afternoon):
    assert rota.shifts_open(paris(2026, 6, 16, 13, 59, 59)) == []
    assert len(rota.shifts_open(paris(2026, 6, 16, 14, 0, 0))) == 1
    assert len(rota.shifts_open(paris(2026, 6, 16, 16, 59, 59))) == 1
    assert rota.shifts_open(paris(2026, 6, 16, 17, 0, 0)) == []


def test_a_weekly_slot_opens_only_on_its_weekday(staff_on_shift, afternoon):
    assert rota.shifts_open(paris(2026, 6, 15, 15)) == []  # Monday
    assert rota.shifts_open(paris(2026, 6, 23, 15)) != []  # the next Tuesday


def test_an_instance_is_named_by_its_slot_and_date(staff_on_shift, afternoon):
    (instance,) = rota.shifts_open(AT)
    assert instance.key == f"slot:{afternoon.pk}:2026-06-16"
    assert instance.starts_at == paris(2026, 6, 16, 14)
    assert instance.ends_at == paris(2026, 6, 16, 17)
    assert instance.staff_ids == (staff_on_shift.user.pk,)


def test_staff_on_shift_are_the_staff_of_open_instances(staff_on_shift, staff_off_shift):
    assert rota.staff_on_shift(AT) == {staff_on_shift.user.pk}
    assert rota.staff_on_shift(paris(2026, 6, 16, 18)) == set()


def test_a_night_shift_runs_past_midnight(staff_on_shift):
    slot_make(4, "22:00", "02:00", staff=[staff_on_shift], label="Nuit")  # Friday
    assert open_keys(paris(2026, 6, 19, 23)) != []
    (instance,) = rota.shifts_open(paris(2026, 6, 20, 1, 59, 59))  # Saturday morning
    assert instance.key.endswith("2026-06-19")
    assert rota.shifts_open(paris(2026, 6, 20, 2)) == []


def test_a_deactivated_account_is_on_no_shift(staff_on_shift, afternoon):
    get_user_model().objects.filter(pk=staff_on_shift.user.pk).update(is_active=False)
    assert rota.staff_on_shift(AT) == set()


# -- closures and holidays -------------------------------------------------------------------


def test_a_closure_skips_the_weekly_slot(staff_on_shift, afternoon):
    rota_edits.closure_create(
        start_date=date(2026, 6, 16), end_date=date(2026, 6, 16), reason="Journée d'équipe", at=AT
    )
    assert rota.shifts_open(AT) == []
    assert rota.shifts_open(paris(2026, 6, 23, 15)) != []


def test_a_one_off_shift_opens_even_on_a_closure_day(staff_on_shift):
    rota_edits.closure_create(
        start_date=date(2026, 6, 15), end_date=date(2026, 6, 21), reason="Congés", at=AT
    )
    shift_make(date(2026, 6, 16), "10:00", "12:00", staff=[staff_on_shift])
    assert open_keys(paris(2026, 6, 16, 11)) != []


def test_french_public_holidays_become_closures_once(staff_on_shift, afternoon):
    assert rota_edits.closures_public_holidays(years=[2026]) == 11
    assert rota_edits.closures_public_holidays(years=[2026]) == 0
    assert Closure.objects.filter(start_date=date(2026, 7, 14)).exists()
    # 14 July 2026 is a Tuesday: the afternoon slot does not open.
    assert rota.shifts_open(paris(2026, 7, 14, 15)) == []


def test_alsace_moselle_has_its_own_holidays(db):
    assert rota_edits.closures_public_holidays(years=[2026], subdivision="57") == 13


def test_a_closure_must_not_end_before_it_starts(db):
    with pytest.raises(RotaInvalid):
        rota_edits.closure_create(
            start_date=date(2026, 6, 16), end_date=date(2026, 6, 15), reason="x", at=AT
        )


# -- daylight saving time (Europe/Paris, 2026) ---------------------------------------------


def test_a_slot_keeps_its_wall_clock_hours_across_the_spring_change(staff_on_shift):
    slot_make(SUNDAY, "14:00", "17:00", staff=[staff_on_shift])
    (before,) = rota.shifts_open(paris(2026, 3, 22, 15))
    (after,) = rota.shifts_open(paris(2026, 3, 29, 15))
    assert before.starts_at.hour == 13  # 14:00 CET is 13:00 UTC
    assert after.starts_at.hour == 12  # 14:00 CEST is 12:00 UTC
    assert after.ends_at - after.starts_at == timedelta(hours=3)


def test_a_night_slot_over_the_spring_change_is_an_hour_shorter(staff_on_shift):
    slot_make(SUNDAY, "01:00", "04:00", staff=[staff_on_shift])
    (instance,) = rota.shifts_open(paris(2026, 3, 29, 1, 30))
    assert instance.ends_at - instance.starts_at == timedelta(hours=2)


def test_a_slot_starting_in_the_spring_gap_starts_when_the_gap_ends(staff_on_shift):
    # 02:30 does not exist on 29 March 2026 in Paris: clocks go from 02:00 to 03:00.
    slot_make(SUNDAY, "02:30", "05:00", staff=[staff_on_shift])
    (instance,) = rota.instances_for_days(date(2026, 3, 29), date(2026, 3, 29))
    assert instance.starts_at == paris(2026, 3, 29, 3)
    assert rota.shifts_open(paris(2026, 3, 29, 3)) != []


def test_a_night_slot_over_the_autumn_change_is_an_hour_longer(staff_on_shift):
    slot_make(SUNDAY, "01:00", "04:00", staff=[staff_on_shift])
    (instance,) = rota.instances_for_days(date(2026, 10, 25), date(2026, 10, 25))
    assert instance.ends_at - instance.starts_at == timedelta(hours=4)


def test_a_slot_starting_in_the_repeated_hour_starts_at_its_first_occurrence(staff_on_shift):
    # 02:30 happens twice on 25 October 2026: first in CEST (00:30 UTC), then in CET.
    slot_make(SUNDAY, "02:30", "05:00", staff=[staff_on_shift])
    (instance,) = rota.instances_for_days(date(2026, 10, 25), date(2026, 10, 25))
    assert (instance.starts_at.hour, instance.starts_at.minute) == (0, 30)


def test_the_next_opening_across_the_autumn_change_is_in_winter_time(staff_on_shift):
    slot_make(SUNDAY, "14:00", "17:00", staff=[staff_on_shift])
    opening = rota.next_opening(paris(2026, 10, 24, 20))
    assert opening == paris(2026, 10, 25, 14)
    assert opening.hour == 13  # CET


# -- overlapping and empty shifts ----------------------------------------------------------


def test_overlapping_shifts_are_both_open(staff_on_shift, colleague_on_shift, staff_off_shift):
    # dora and fred on the afternoon slot; eve on a one-off reinforcement 15:30–18:00.
    shift_make(date(2026, 6, 16), "15:30", "18:00", staff=[staff_off_shift])
    assert len(rota.shifts_open(paris(2026, 6, 16, 16))) == 2
    assert rota.staff_on_shift(paris(2026, 6, 16, 16)) == {
        staff_on_shift.user.pk,
        colleague_on_shift.user.pk,
        staff_off_shift.user.pk,
    }
    assert rota.staff_on_shift(paris(2026, 6, 16, 17, 30)) == {staff_off_shift.user.pk}


def test_a_shift_with_no_one_on_it_is_listed_but_opens_nothing(db):
    slot_make(TUESDAY, "14:00", "17:00", label="Personne")
    (instance,) = rota.shifts_open(AT)
    assert not instance.staffed
    assert rota.staff_on_shift(AT) == set()
    assert rota.next_opening(paris(2026, 6, 16, 9)) is None


def test_the_next_opening_skips_shifts_no_one_is_on(staff_on_shift):
    slot_make(TUESDAY, "10:00", "12:00", label="Personne")
    slot_make(TUESDAY, "14:00", "17:00", staff=[staff_on_shift])
    assert rota.next_opening(paris(2026, 6, 16, 9)) == paris(2026, 6, 16, 14)


# -- the next opening ----------------------------------------------------------------------


def test_the_next_opening_after_a_friday_evening_is_monday_afternoon(staff_on_shift):
    for weekday in range(5):
        slot_make(weekday, "14:00", "17:00", staff=[staff_on_shift])
    assert rota.next_opening(paris(2026, 6, 19, 18)) == paris(2026, 6, 22, 14)


def test_the_next_opening_skips_closed_days(staff_on_shift, afternoon):
    rota_edits.closures_public_holidays(years=[2026])
    # Monday 13 July; the Tuesday slot of 14 July is closed: the next is 21 July.
    assert rota.next_opening(paris(2026, 7, 13, 12)) == paris(2026, 7, 21, 14)


def test_the_next_opening_is_none_beyond_three_weeks(staff_off_shift):
    shift_make(AT.date() + timedelta(days=30), "14:00", "17:00", staff=[staff_off_shift])
    assert rota.next_opening(AT) is None


def test_the_next_opening_is_strictly_after_now(staff_on_shift, afternoon):
    assert rota.next_opening(paris(2026, 6, 16, 14)) == paris(2026, 6, 23, 14)


# -- edits -------------------------------------------------------------------------------------


def test_a_slot_cannot_start_and_end_at_the_same_time(db):
    with pytest.raises(RotaInvalid):
        slot_make(TUESDAY, "14:00", "14:00")


def test_only_staff_who_take_conversations_can_be_put_on_the_rota(interpreter):
    with pytest.raises(RotaInvalid):
        slot_make(TUESDAY, "14:00", "17:00", staff=[interpreter])
    assert not Slot.objects.exists()


def test_a_rota_edit_tells_dashboards_and_visitors(staff_on_shift):
    _, events = rota_edits.rota_entry_create(
        Slot,
        fields={
            "weekday": 1,
            "start": AT.time(),
            "end": (AT + timedelta(hours=1)).time(),
            "label": "x",
        },
        staff_ids=[staff_on_shift.user.pk],
        at=AT,
    )
    groups = [group for group, _ in events]
    assert groups == ["staff.activity", "visitors"]
