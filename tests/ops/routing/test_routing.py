"""Routing (ops/routing/services.py): the queue, claims, capacity, auto-assign, transfers, closing,
hand-over at a shift's end — and two claims at once, on PostgreSQL, exactly one wins."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from chat.errors import TeamKeyUnknown
from ops.campaigns.services import campaign_create
from ops.errors import (
    AlreadyClaimed,
    NotFound,
    NotOnShift,
    NotRoutable,
    NotYours,
    OverCapacity,
    RouteStateConflict,
)
from ops.models import Note, Route
from ops.routing import presence
from ops.routing import services as routing
from ops.routing.services import SealedNote
from tests.ops.conftest import AT, events_named

pytestmark = pytest.mark.django_db

NOTE = SealedNote(ct=b"\x04" + bytes(64) + b"sealed hand-over note" + bytes(16), team_key_version=1)


def route(conversation_id: str) -> Route:
    return Route.objects.get(pk=conversation_id)


def claim(member, conversation_id: str, at=AT) -> list:
    return routing.route_claim(conversation_id=conversation_id, user=member.user, at=at)


# -- joining the queue ---------------------------------------------------------------------


def test_a_new_conversation_waits_in_the_queue_with_its_language(visitor_opens):
    opened = visitor_opens(language="bg")
    queued = route(opened.conversation_id)
    assert (queued.state, queued.language, queued.skill) == ("waiting", "bg", "")
    assert queued.waiting_since == AT
    (event,) = events_named(opened.events, "queue.changed")
    assert event["conversation_id"] == opened.conversation_id
    assert event["state"] == "waiting"
    assert event["waiting_since"] == int(AT.timestamp())


def test_a_regional_language_is_routed_by_its_language(visitor_opens):
    assert route(visitor_opens(language="pt-BR").conversation_id).language == "pt"


def test_a_minors_campaign_asks_for_the_minors_skill(visitor_opens):
    campaign = campaign_create(name="Maraude jeunes", now=AT)
    campaign.skill = "minors"
    campaign.save()
    assert route(visitor_opens(campaign=campaign.code).conversation_id).skill == "minors"


def test_the_visitor_writing_updates_the_queue_row(visitor_opens, staff_on_shift):
    opened = visitor_opens()
    events = routing.visitor_wrote(conversation_id=opened.conversation_id, order=2, now=AT)
    (event,) = events_named(events, "queue.changed")
    assert event["visitor_last_order"] == 2
    assert route(opened.conversation_id).visitor_last_order == 2


# -- the queue's order ---------------------------------------------------------------------


def test_the_queue_puts_the_visitors_language_first_then_the_oldest(visitor_opens, staff_on_shift):
    oldest_fr = visitor_opens(language="fr", at=AT - timedelta(minutes=30))
    bulgarian = visitor_opens(language="bg", at=AT - timedelta(minutes=10))
    chinese = visitor_opens(language="zh", at=AT - timedelta(minutes=40))
    newer_fr = visitor_opens(language="fr", at=AT - timedelta(minutes=5))
    order = [str(r.pk) for r in routing.queue(for_user=staff_on_shift.user)]
    # dora speaks fr and bg: those first, oldest first; Chinese (oldest of all) after.
    assert order == [
        oldest_fr.conversation_id,
        bulgarian.conversation_id,
        newer_fr.conversation_id,
        chinese.conversation_id,
    ]


def test_the_queue_puts_a_skill_they_have_before_none_before_one_they_lack(
    visitor_opens, colleague_on_shift, staff_on_shift
):
    minors = campaign_create(name="Jeunes", now=AT)
    minors.skill = "minors"
    minors.save()
    asks_minors = visitor_opens(campaign=minors.code, at=AT - timedelta(minutes=1))
    asks_nothing = visitor_opens(at=AT - timedelta(minutes=30))
    fred = [str(r.pk) for r in routing.queue(for_user=colleague_on_shift.user)]
    dora = [str(r.pk) for r in routing.queue(for_user=staff_on_shift.user)]
    assert fred == [asks_minors.conversation_id, asks_nothing.conversation_id]
    assert dora == [asks_nothing.conversation_id, asks_minors.conversation_id]


def test_the_queue_holds_waiting_conversations_only(visitor_opens, staff_on_shift):
    taken = visitor_opens()
    waiting = visitor_opens()
    claim(staff_on_shift, taken.conversation_id)
    assert [str(r.pk) for r in routing.queue(for_user=staff_on_shift.user)] == [
        waiting.conversation_id
    ]


# -- claims ------------------------------------------------------------------------------------


def test_staff_on_shift_claim_a_waiting_conversation(visitor_opens, staff_on_shift):
    opened = visitor_opens()
    events = claim(staff_on_shift, opened.conversation_id)
    claimed = route(opened.conversation_id)
    assert (claimed.state, claimed.assigned_to_id) == ("assigned", staff_on_shift.user.pk)
    assert events_named(events, "queue.changed")[0]["assigned_to"] == staff_on_shift.user.pk
    assert events_named(events, "conversation.assigned") == [
        {"conversation_id": opened.conversation_id}
    ]
    assert events_named(events, "presence.changed")[0]["load"] == 1
    assigned_group = [g for g, m in events if m.get("event") == "conversation.assigned"]
    assert assigned_group == [f"staff.user.{staff_on_shift.user.pk}"]


def test_staff_off_shift_cannot_claim(visitor_opens, staff_off_shift, afternoon):
    opened = visitor_opens()
    with pytest.raises(NotOnShift):
        claim(staff_off_shift, opened.conversation_id)
    assert route(opened.conversation_id).state == "waiting"


def test_a_coordinator_may_claim_off_shift(visitor_opens, coordinator):
    opened = visitor_opens()
    claim(coordinator, opened.conversation_id)
    assert route(opened.conversation_id).assigned_to_id == coordinator.user.pk


def test_an_interpreter_cannot_claim(visitor_opens, interpreter):
    with pytest.raises(NotRoutable):
        claim(interpreter, visitor_opens().conversation_id)


def test_the_second_claim_is_told_someone_else_took_it(
    visitor_opens, staff_on_shift, colleague_on_shift
):
    opened = visitor_opens()
    claim(staff_on_shift, opened.conversation_id)
    with pytest.raises(AlreadyClaimed):
        claim(colleague_on_shift, opened.conversation_id)
    assert route(opened.conversation_id).assigned_to_id == staff_on_shift.user.pk


def test_claiming_an_unknown_conversation_is_not_found(keys_ready, staff_on_shift):
    with pytest.raises(NotFound):
        claim(staff_on_shift, "00000000-0000-4000-8000-000000000000")


def test_nobody_takes_more_than_their_capacity(visitor_opens, staff_on_shift):
    routing_capacity(staff_on_shift, 2)
    first, second, third = (visitor_opens() for _ in range(3))
    claim(staff_on_shift, first.conversation_id)
    claim(staff_on_shift, second.conversation_id)
    with pytest.raises(OverCapacity):
        claim(staff_on_shift, third.conversation_id)
    assert route(third.conversation_id).state == "waiting"


def routing_capacity(member, capacity: int) -> None:
    from ops.devices import services

    services.staff_routing_set(user_id=member.user.pk, capacity=capacity, at=AT)


# -- auto-assign -------------------------------------------------------------------------------


def test_without_auto_assign_a_new_conversation_waits(visitor_opens, staff_on_shift):
    opened = visitor_opens()
    assert route(opened.conversation_id).state == "waiting"


def test_auto_assign_gives_it_to_the_available_staff_who_speaks_the_language(
    settings, visitor_opens, staff_on_shift, colleague_on_shift
):
    settings.HELPLINE_AUTO_ASSIGN = True
    romanian = visitor_opens(language="ro")
    bulgarian = visitor_opens(language="bg")
    assert route(romanian.conversation_id).assigned_to_id == colleague_on_shift.user.pk
    assert route(bulgarian.conversation_id).assigned_to_id == staff_on_shift.user.pk
    assert events_named(romanian.events, "conversation.assigned")


def test_auto_assign_prefers_the_skill_then_the_fewest_conversations(
    settings, visitor_opens, staff_on_shift, colleague_on_shift
):
    settings.HELPLINE_AUTO_ASSIGN = True
    minors = campaign_create(name="Jeunes", now=AT)
    minors.skill = "minors"
    minors.save()
    # Both speak French; fred has the minors skill.
    assert route(visitor_opens(campaign=minors.code).conversation_id).assigned_to_id == (
        colleague_on_shift.user.pk
    )
    # No skill asked: the one with fewer conversations (dora, 0 against 1).
    assert route(visitor_opens().conversation_id).assigned_to_id == staff_on_shift.user.pk


def test_auto_assign_skips_staff_who_are_away_or_full(
    settings, visitor_opens, staff_on_shift, colleague_on_shift
):
    settings.HELPLINE_AUTO_ASSIGN = True
    presence.presence_set(user=colleague_on_shift.user, presence="away", at=AT)
    routing_capacity(staff_on_shift, 1)
    first = visitor_opens()
    second = visitor_opens()
    assert route(first.conversation_id).assigned_to_id == staff_on_shift.user.pk
    assert route(second.conversation_id).state == "waiting"


def test_auto_assign_leaves_it_in_the_queue_outside_hours(settings, visitor_opens, staff_on_shift):
    settings.HELPLINE_AUTO_ASSIGN = True
    opened = visitor_opens(at=AT + timedelta(hours=4))
    assert route(opened.conversation_id).state == "waiting"


# -- transfers ---------------------------------------------------------------------------------


def test_a_warm_transfer_hands_it_to_a_colleague_with_a_sealed_note(
    visitor_opens, staff_on_shift, colleague_on_shift
):
    opened = visitor_opens()
    claim(staff_on_shift, opened.conversation_id)
    events = routing.route_transfer(
        conversation_id=opened.conversation_id,
        user=staff_on_shift.user,
        to_user_id=colleague_on_shift.user.pk,
        note=NOTE,
        at=AT,
    )
    moved = route(opened.conversation_id)
    assert (moved.state, moved.assigned_to_id, moved.handed_over) == (
        "assigned",
        colleague_on_shift.user.pk,
        True,
    )
    note = Note.objects.get(conversation_id=opened.conversation_id)
    assert (note.kind, bytes(note.ciphertext), note.author_id) == (
        "transfer",
        NOTE.ct,
        staff_on_shift.user.pk,
    )
    loads = {e["user_id"]: e["load"] for e in events_named(events, "presence.changed")}
    assert loads == {staff_on_shift.user.pk: 0, colleague_on_shift.user.pk: 1}


def test_a_cold_transfer_puts_it_back_in_the_queue_in_its_place(visitor_opens, staff_on_shift):
    older = visitor_opens(at=AT - timedelta(minutes=20))
    visitor_opens(at=AT - timedelta(minutes=10))
    claim(staff_on_shift, older.conversation_id)
    routing.route_transfer(
        conversation_id=older.conversation_id,
        user=staff_on_shift.user,
        to_user_id=None,
        note=None,
        at=AT,
    )
    back = route(older.conversation_id)
    assert (back.state, back.assigned_to_id, back.handed_over) == ("waiting", None, True)
    assert back.waiting_since == AT - timedelta(minutes=20)
    assert str(routing.queue(for_user=staff_on_shift.user)[0].pk) == older.conversation_id


def test_only_the_person_who_has_it_transfers_it(visitor_opens, staff_on_shift, colleague_on_shift):
    opened = visitor_opens()
    claim(staff_on_shift, opened.conversation_id)
    with pytest.raises(NotYours):
        routing.route_transfer(
            conversation_id=opened.conversation_id,
            user=colleague_on_shift.user,
            to_user_id=colleague_on_shift.user.pk,
            note=None,
            at=AT,
        )


def test_a_coordinator_may_transfer_anyones(visitor_opens, staff_on_shift, coordinator):
    opened = visitor_opens()
    claim(staff_on_shift, opened.conversation_id)
    routing.route_transfer(
        conversation_id=opened.conversation_id,
        user=coordinator.user,
        to_user_id=None,
        note=None,
        at=AT,
    )
    assert route(opened.conversation_id).state == "waiting"


def test_a_transfer_to_a_colleague_off_shift_is_refused(
    visitor_opens, staff_on_shift, staff_off_shift
):
    opened = visitor_opens()
    claim(staff_on_shift, opened.conversation_id)
    with pytest.raises(NotOnShift):
        routing.route_transfer(
            conversation_id=opened.conversation_id,
            user=staff_on_shift.user,
            to_user_id=staff_off_shift.user.pk,
            note=NOTE,
            at=AT,
        )
    assert route(opened.conversation_id).assigned_to_id == staff_on_shift.user.pk
    assert not Note.objects.exists()


def test_a_transfer_to_a_full_colleague_is_refused(
    visitor_opens, staff_on_shift, colleague_on_shift
):
    routing_capacity(colleague_on_shift, 0)
    opened = visitor_opens()
    claim(staff_on_shift, opened.conversation_id)
    with pytest.raises(OverCapacity):
        routing.route_transfer(
            conversation_id=opened.conversation_id,
            user=staff_on_shift.user,
            to_user_id=colleague_on_shift.user.pk,
            note=None,
            at=AT,
        )


def test_a_waiting_conversation_cannot_be_transferred(visitor_opens, staff_on_shift):
    with pytest.raises(RouteStateConflict):
        routing.route_transfer(
            conversation_id=visitor_opens().conversation_id,
            user=staff_on_shift.user,
            to_user_id=None,
            note=None,
            at=AT,
        )


def test_a_note_sealed_to_an_unknown_team_key_is_refused(visitor_opens, staff_on_shift):
    opened = visitor_opens()
    claim(staff_on_shift, opened.conversation_id)
    with pytest.raises(TeamKeyUnknown):
        routing.route_transfer(
            conversation_id=opened.conversation_id,
            user=staff_on_shift.user,
            to_user_id=None,
            note=SealedNote(ct=NOTE.ct, team_key_version=7),
            at=AT,
        )
    assert route(opened.conversation_id).state == "assigned"


def test_a_hand_over_note_is_written_by_the_person_who_has_it(
    visitor_opens, staff_on_shift, colleague_on_shift
):
    opened = visitor_opens()
    claim(staff_on_shift, opened.conversation_id)
    with pytest.raises(NotYours):
        routing.route_note_add(
            conversation_id=opened.conversation_id, user=colleague_on_shift.user, note=NOTE, at=AT
        )
    note = routing.route_note_add(
        conversation_id=opened.conversation_id, user=staff_on_shift.user, note=NOTE, at=AT
    )
    assert note.kind == "handover"


# -- closing -------------------------------------------------------------------------------------


def test_the_person_who_has_it_closes_it(visitor_opens, staff_on_shift):
    opened = visitor_opens()
    claim(staff_on_shift, opened.conversation_id)
    events = routing.route_close(
        conversation_id=opened.conversation_id, user=staff_on_shift.user, at=AT
    )
    closed = route(opened.conversation_id)
    assert (closed.state, closed.assigned_to_id, closed.closed_at) == ("closed", None, AT)
    assert events_named(events, "presence.changed")[0]["load"] == 0
    assert (
        routing.route_close(conversation_id=opened.conversation_id, user=staff_on_shift.user, at=AT)
        == []
    )


def test_a_colleague_cannot_close_it(visitor_opens, staff_on_shift, colleague_on_shift):
    opened = visitor_opens()
    claim(staff_on_shift, opened.conversation_id)
    with pytest.raises(NotYours):
        routing.route_close(
            conversation_id=opened.conversation_id, user=colleague_on_shift.user, at=AT
        )


def test_staff_cannot_close_a_waiting_conversation_but_a_coordinator_can(
    visitor_opens, staff_on_shift, coordinator
):
    opened = visitor_opens()
    with pytest.raises(NotYours):
        routing.route_close(conversation_id=opened.conversation_id, user=staff_on_shift.user, at=AT)
    routing.route_close(conversation_id=opened.conversation_id, user=coordinator.user, at=AT)
    assert route(opened.conversation_id).state == "closed"


def test_a_closed_conversation_the_visitor_writes_in_again_goes_back_to_the_queue(
    visitor_opens, staff_on_shift
):
    opened = visitor_opens()
    claim(staff_on_shift, opened.conversation_id)
    routing.route_close(conversation_id=opened.conversation_id, user=staff_on_shift.user, at=AT)
    later = AT + timedelta(hours=1)
    events = routing.visitor_wrote(conversation_id=opened.conversation_id, order=9, now=later)
    back = route(opened.conversation_id)
    assert (back.state, back.waiting_since, back.visitor_last_order) == ("waiting", later, 9)
    assert events_named(events, "queue.changed")[0]["state"] == "waiting"


# -- hand-over at a shift's end --------------------------------------------------------------


def test_at_a_shifts_end_conversations_go_back_to_the_queue_marked_handed_over(
    visitor_opens, staff_on_shift
):
    opened = visitor_opens(at=AT - timedelta(minutes=30))
    claim(staff_on_shift, opened.conversation_id)
    events = routing.routes_hand_over(user_ids=[staff_on_shift.user.pk], at=AT + timedelta(hours=2))
    back = route(opened.conversation_id)
    assert (back.state, back.handed_over, back.assigned_to_id) == ("waiting", True, None)
    assert back.waiting_since == AT - timedelta(minutes=30)
    assert events_named(events, "queue.changed")[0]["handed_over"] is True
    assert events_named(events, "presence.changed")[0]["load"] == 0


def test_with_auto_assign_a_handed_over_conversation_goes_to_someone_still_on_shift(
    settings, visitor_opens, staff_on_shift, staff_off_shift
):
    from tests.ops.conftest import shift_make

    # eve on an evening reinforcement 16:00–20:00; dora's afternoon ends at 17:00.
    shift_make(AT.date(), "16:00", "20:00", staff=[staff_off_shift])
    opened = visitor_opens()
    claim(staff_on_shift, opened.conversation_id)
    settings.HELPLINE_AUTO_ASSIGN = True
    evening = AT + timedelta(hours=2, minutes=1)
    presence.staff_socket(user_id=staff_off_shift.user.pk, event="seen", now=evening)
    routing.routes_hand_over(user_ids=[staff_on_shift.user.pk], at=evening)
    assert route(opened.conversation_id).assigned_to_id == staff_off_shift.user.pk


def test_hand_over_leaves_other_peoples_conversations_alone(
    visitor_opens, staff_on_shift, colleague_on_shift
):
    opened = visitor_opens()
    claim(colleague_on_shift, opened.conversation_id)
    assert routing.routes_hand_over(user_ids=[staff_on_shift.user.pk], at=AT) == []
    assert route(opened.conversation_id).assigned_to_id == colleague_on_shift.user.pk


# -- an account with conversations in hand ---------------------------------------------------


def test_an_account_with_conversations_in_hand_is_not_deleted(visitor_opens, staff_on_shift):
    from django.db.models import ProtectedError

    claim(staff_on_shift, visitor_opens().conversation_id)
    with pytest.raises(ProtectedError):
        get_user_model().objects.filter(pk=staff_on_shift.user.pk).delete()


# -- two claims at once ------------------------------------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite serialises writers: no race to lose"
)
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_claims_one_wins_the_other_is_told(
    visitor_opens, staff_on_shift, colleague_on_shift
):
    for _ in range(10):
        opened = visitor_opens()
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def attempt(
            member, conversation_id=opened.conversation_id, barrier=barrier, outcomes=outcomes
        ):
            barrier.wait()
            try:
                claim(member, conversation_id)
                outcomes.append("won")
            except AlreadyClaimed:
                outcomes.append("told")
            finally:
                connection.close()

        threads = [
            threading.Thread(target=attempt, args=(member,))
            for member in (staff_on_shift, colleague_on_shift)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(outcomes) == ["told", "won"]
        winner = route(opened.conversation_id).assigned_to
        routing.route_close(conversation_id=opened.conversation_id, user=winner, at=AT)
