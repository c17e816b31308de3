"""Accepting envelopes (chat/services/envelopes.py, docs/protocol.md §6.3, §7)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from msgspec.structs import replace

from chat.crypto import messages
from chat.errors import ConversationClosed, EpochClosed, Forbidden, QuotaExceeded, SeqConflict
from chat.models import Conversation, Envelope
from chat.services.envelopes import envelope_submit
from tests.chat.conftest import interpreter_invited

pytestmark = pytest.mark.django_db


def stored_orders(conversation_id: str) -> list[int]:
    return list(
        Envelope.objects.filter(conversation_id=conversation_id)
        .order_by("order")
        .values_list("order", flat=True)
    )


def last_order(conversation_id: str) -> int:
    return Conversation.objects.get(pk=conversation_id).last_order


# -- ordering and idempotency -----------------------------------------------------------


def test_envelopes_take_the_next_orders_after_the_opening_commit(visitor, now):
    orders = [
        envelope_submit(party=visitor.party, envelope=visitor.seal(text), now=now).order
        for text in ("bonjour", "je voudrais parler", "à quelqu'un")
    ]
    assert orders == [2, 3, 4]
    assert stored_orders(visitor.conversation_id) == [2, 3, 4]
    assert last_order(visitor.conversation_id) == 4


def test_an_accepted_envelope_is_stored_as_sent(visitor, now):
    envelope = visitor.seal("bonjour")
    accepted = envelope_submit(party=visitor.party, envelope=envelope, now=now)
    row = Envelope.objects.get(conversation_id=visitor.conversation_id, order=accepted.order)
    assert (row.epoch, row.sender, bytes(row.stream), row.seq) == (0, "visitor", envelope.stream, 0)
    assert bytes(row.ciphertext) == envelope.ct
    assert bytes(row.signature) == envelope.sig
    assert accepted.received_at == int(now.timestamp())
    assert not accepted.duplicate


def test_staff_and_visitor_envelopes_share_one_order(visitor, staff, view_as, now):
    staff_state = view_as(staff, visitor.conversation_id)
    first = envelope_submit(party=visitor.party, envelope=visitor.seal("allô ?"), now=now)
    reply = envelope_submit(party=staff.party, envelope=staff_state.seal(b"oui"), now=now)
    assert (first.order, reply.order) == (2, 3)


def test_the_same_envelope_again_is_acknowledged_with_its_order(visitor, now):
    envelope = visitor.seal("bonjour")
    first = envelope_submit(party=visitor.party, envelope=envelope, now=now)
    again = envelope_submit(party=visitor.party, envelope=envelope, now=now + timedelta(seconds=5))
    assert (again.order, again.duplicate) == (first.order, True)
    assert again.received_at == first.received_at
    assert stored_orders(visitor.conversation_id) == [first.order]
    assert last_order(visitor.conversation_id) == first.order


def test_a_duplicate_does_not_use_up_an_order(visitor, now):
    envelope = visitor.seal("bonjour")
    envelope_submit(party=visitor.party, envelope=envelope, now=now)
    envelope_submit(party=visitor.party, envelope=envelope, now=now)
    following = envelope_submit(party=visitor.party, envelope=visitor.seal("suite"), now=now)
    assert following.order == 3


def test_a_different_ciphertext_under_the_same_stream_and_seq_is_a_seq_conflict(visitor, now):
    first = visitor.seal("bonjour")
    visitor.state.next_seq[0] = 0  # a tab that lost its counter but not its stream
    second = visitor.seal("au revoir")
    assert (second.stream, second.seq) == (first.stream, first.seq)
    envelope_submit(party=visitor.party, envelope=first, now=now)
    with pytest.raises(SeqConflict):
        envelope_submit(party=visitor.party, envelope=second, now=now)
    assert stored_orders(visitor.conversation_id) == [2]


def test_a_different_signature_under_the_same_key_is_a_seq_conflict(visitor, now):
    envelope = visitor.seal("bonjour")
    envelope_submit(party=visitor.party, envelope=envelope, now=now)
    with pytest.raises(SeqConflict):
        envelope_submit(party=visitor.party, envelope=replace(envelope, sig=bytes(64)), now=now)


def test_the_same_seq_on_another_stream_is_another_envelope(visitor, now):
    first = visitor.seal("bonjour")
    other_tab = replace(visitor.seal("bonjour"), seq=0, stream=bytes(16))
    envelope_submit(party=visitor.party, envelope=first, now=now)
    assert envelope_submit(party=visitor.party, envelope=other_tab, now=now).order == 3


def test_a_refused_envelope_leaves_no_gap_in_the_order(visitor, now):
    future = replace(visitor.seal("trop tôt"), epoch=1)
    with pytest.raises(EpochClosed):
        envelope_submit(party=visitor.party, envelope=future, now=now)
    assert envelope_submit(party=visitor.party, envelope=visitor.seal("ok"), now=now).order == 2


def test_the_server_does_not_verify_message_signatures(visitor, now):
    # docs/protocol.md §6.3: recipients verify; the server would prove nothing to them.
    unsigned = replace(visitor.seal("bonjour"), sig=bytes(64))
    assert envelope_submit(party=visitor.party, envelope=unsigned, now=now).order == 2


# -- who may send where -----------------------------------------------------------------


def test_the_sender_must_be_the_authenticated_visitor(visitor, staff, view_as, now):
    staff_envelope = view_as(staff, visitor.conversation_id).seal(b"je suis le staff")
    with pytest.raises(Forbidden):
        envelope_submit(party=visitor.party, envelope=staff_envelope, now=now)
    assert stored_orders(visitor.conversation_id) == []


def test_the_sender_must_be_the_authenticated_device(visitor, staff, colleague, view_as, now):
    bobs_envelope = view_as(colleague, visitor.conversation_id).seal(b"bob")
    with pytest.raises(Forbidden):
        envelope_submit(party=staff.party, envelope=bobs_envelope, now=now)
    with pytest.raises(Forbidden):
        envelope_submit(party=staff.party, envelope=visitor.seal("faux visiteur"), now=now)


def test_a_visitor_cannot_write_into_another_conversation(visitor, other_visitor, now):
    theirs = other_visitor.seal("dans la conversation B")
    with pytest.raises(Forbidden):
        envelope_submit(party=visitor.party, envelope=theirs, now=now)
    assert stored_orders(other_visitor.conversation_id) == []


# -- epochs -----------------------------------------------------------------------------


def test_an_envelope_in_a_future_epoch_is_refused(visitor, now):
    future = replace(visitor.seal("trop tôt"), epoch=1)
    with pytest.raises(EpochClosed):
        envelope_submit(party=visitor.party, envelope=future, now=now)


def test_an_envelope_before_any_commit_is_refused(visitor_factory, now):
    visitor = visitor_factory(commit=False)
    envelope = messages.message_seal(
        epoch_secret=bytes(32),
        commit_hash=bytes(32),
        conversation_id=visitor.conversation_id,
        epoch=0,
        sender="visitor",
        stream=bytes(16),
        seq=0,
        content_type="text",
        content=b"vite",
        sender_key=visitor.sig,
    )
    with pytest.raises(EpochClosed):
        envelope_submit(party=visitor.party, envelope=envelope, now=now)


def test_a_closed_conversation_takes_no_envelopes(visitor, now):
    # No service closes conversations yet; this is the state one would leave behind.
    Conversation.objects.filter(pk=visitor.conversation_id).update(
        state=Conversation.State.CLOSED, closed_at=now
    )
    with pytest.raises(ConversationClosed):
        envelope_submit(party=visitor.party, envelope=visitor.seal("encore là ?"), now=now)


def test_a_deleted_conversation_takes_no_envelopes(visitor, now):
    envelope = visitor.seal("encore là ?")
    Conversation.objects.filter(pk=visitor.conversation_id).delete()
    with pytest.raises(ConversationClosed):
        envelope_submit(party=visitor.party, envelope=envelope, now=now)


@pytest.fixture
def rekeyed(visitor, staff, helpline, view_as, submit, now):
    """The visitor has sealed a message in epoch 0; then alice's device made epoch 1 at
    ``now`` (the visitor has not seen it yet)."""
    in_flight = visitor.seal("envoyé pendant le changement")
    rekey(staff, helpline, visitor, view_as, submit, now)
    return in_flight


def rekey(staff, helpline, visitor, view_as, submit, now) -> None:
    staff_state = view_as(staff, visitor.conversation_id)
    signed = staff_state.epoch_create(
        reason="rekey",
        team=helpline.announcement,
        visitor_kem_pk=visitor.kem_public,
        interpreters=[],
    )
    submit(staff.party, signed, now)


def test_the_previous_epoch_is_accepted_within_the_grace_period(visitor, rekeyed, now):
    grace = settings.CHAT_EPOCH_GRACE_SECONDS
    inside = now + timedelta(seconds=grace - 1)
    assert envelope_submit(party=visitor.party, envelope=rekeyed, now=inside).order == 3


def test_the_previous_epoch_is_refused_once_the_grace_period_is_over(visitor, rekeyed, now):
    grace = settings.CHAT_EPOCH_GRACE_SECONDS
    with pytest.raises(EpochClosed):
        envelope_submit(party=visitor.party, envelope=rekeyed, now=now + timedelta(seconds=grace))
    with pytest.raises(EpochClosed):
        envelope_submit(
            party=visitor.party, envelope=rekeyed, now=now + timedelta(seconds=grace + 1)
        )


def test_the_grace_period_follows_the_setting(visitor, rekeyed, now, settings):
    settings.CHAT_EPOCH_GRACE_SECONDS = 0
    with pytest.raises(EpochClosed):
        envelope_submit(party=visitor.party, envelope=rekeyed, now=now)


def test_an_epoch_two_behind_is_refused_even_within_the_grace_period(
    visitor, rekeyed, staff, helpline, view_as, submit, now
):
    rekey(staff, helpline, visitor, view_as, submit, now)
    with pytest.raises(EpochClosed):
        envelope_submit(party=visitor.party, envelope=rekeyed, now=now)


# -- interpreters -----------------------------------------------------------------------


@pytest.fixture
def interpreted(visitor, staff, interpreter, helpline, view_as, submit, now):
    """Epoch 1, made by alice's device, adds iris the interpreter."""
    staff_state = view_as(staff, visitor.conversation_id)
    interpreter_invited(interpreter, visitor.conversation_id)  # issue 6
    added = staff_state.epoch_create(
        reason="member_add",
        team=helpline.announcement,
        visitor_kem_pk=visitor.kem_public,
        interpreters=[interpreter.member("interpreter:bg")],
    )
    submit(staff.party, added, now)
    return staff_state


def test_an_interpreter_writes_in_an_epoch_that_lists_it(
    visitor, interpreted, interpreter, view_as, now
):
    state = view_as(interpreter, visitor.conversation_id)
    assert state.current_epoch == 1
    accepted = envelope_submit(party=interpreter.party, envelope=state.seal(b"zdravei"), now=now)
    assert accepted.order == 3


def test_an_interpreter_cannot_write_in_an_epoch_that_does_not_list_it(
    visitor, interpreted, interpreter, helpline, staff, view_as, submit, now
):
    state = view_as(interpreter, visitor.conversation_id)
    removed = interpreted.epoch_create(
        reason="member_remove",
        team=helpline.announcement,
        visitor_kem_pk=visitor.kem_public,
        interpreters=[],
    )
    submit(staff.party, removed, now)
    # Epoch 2 does not list iris; she holds no secret for it but could still try.
    stale = replace(state.seal(b"encore moi"), epoch=2)
    with pytest.raises(EpochClosed):
        envelope_submit(party=interpreter.party, envelope=stale, now=now)


def test_an_interpreter_cannot_write_in_the_epoch_before_it_joined_even_within_grace(
    visitor, interpreted, interpreter, view_as, now
):
    state = view_as(interpreter, visitor.conversation_id)
    before = replace(state.seal(b"avant"), epoch=0)
    with pytest.raises(EpochClosed):
        envelope_submit(party=interpreter.party, envelope=before, now=now)
    # The visitor's own epoch-0 message is still welcome at that moment.
    assert envelope_submit(party=visitor.party, envelope=visitor.seal("ok"), now=now).order == 3


# -- issue 15: what an anonymous visitor may store --------------------------------------


def test_a_visitor_past_the_days_bytes_is_refused_quota_exceeded_and_nothing_is_stored(
    visitor, now, settings
):
    settings.CHAT_VISITOR_BYTES_PER_DAY = 3 * 272  # three short messages' ciphertext
    for text in ("un", "deux", "trois"):
        envelope_submit(party=visitor.party, envelope=visitor.seal(text), now=now)
    with pytest.raises(QuotaExceeded) as refused:
        envelope_submit(party=visitor.party, envelope=visitor.seal("quatre"), now=now)
    assert 0 < refused.value.retry_after_ms <= 24 * 3600 * 1000
    assert stored_orders(visitor.conversation_id) == [2, 3, 4]
    # A day later the window has moved on.
    later = now + timedelta(days=1, seconds=1)
    assert envelope_submit(party=visitor.party, envelope=visitor.seal("cinq"), now=later).order == 5


def test_past_the_database_watermark_visitors_are_refused_and_staff_may_answer(
    visitor, staff, view_as, now, settings
):
    from chat.services.envelopes import DatabaseSize

    if connection.vendor != "postgresql":
        pytest.skip("pg_database_size")
    settings.CHAT_DATABASE_MAX_BYTES = 1
    DatabaseSize.read_at = float("-inf")
    try:
        with pytest.raises(QuotaExceeded):
            envelope_submit(party=visitor.party, envelope=visitor.seal("bonjour"), now=now)
        staff_state = view_as(staff, visitor.conversation_id)
        envelope_submit(party=staff.party, envelope=staff_state.seal(b"oui"), now=now)
    finally:
        DatabaseSize.read_at = float("-inf")
