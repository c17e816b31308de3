"""Accepting epoch commits (chat/services/commits.py, docs/protocol.md §5.3–5.4)."""

from __future__ import annotations

import time
import uuid

import pytest
from msgspec.structs import replace

from chat.crypto import certs, commits, suite1
from chat.crypto.commits import Recipient, SignedCommit
from chat.errors import (
    ChatError,
    CommitRejected,
    CommitSignatureInvalid,
    ConversationClosed,
    EpochConflict,
    Forbidden,
)
from chat.models import Commit, Conversation, TeamKey, Wrap
from chat.services.commits import commit_submit
from chat.services.devices import device_revoke
from tests.chat.conftest import interpreter_invited

pytestmark = pytest.mark.django_db


def team(helpline) -> Recipient:
    return Recipient("team", str(helpline.team_key.version), helpline.announcement.pk)


def visitor_member(visitor) -> Recipient:
    return Recipient("visitor", commits.VISITOR, visitor.kem_public)


def device_member(person, label: str = "interpreter") -> Recipient:
    return Recipient("device", person.device_id, person.keys.kem_public, label)


def next_commit(
    state,
    recipients: list[Recipient],
    *,
    epoch: int | None = None,
    prev: bytes | None = None,
    reason: str = "member_add",
    team_key_version: int = 1,
) -> SignedCommit:
    """A commit made and signed by ``state``'s owner, built with the crypto API directly
    so that it can name recipients a careful client would refuse to name."""
    epoch = state.current_epoch + 1 if epoch is None else epoch
    return commits.commit_create(
        conversation_id=state.conversation_id,
        epoch=epoch,
        prev_commit_hash=state.commits[epoch - 1][1] if prev is None else prev,
        author=state.me,
        author_key=state.sign_key,
        reason=reason,
        team_key_version=team_key_version,
        recipients=recipients,
        now=int(time.time()),
    )


def commit_count(visitor) -> int:
    return Commit.objects.filter(conversation_id=visitor.conversation_id).count()


def conversation(visitor) -> Conversation:
    return Conversation.objects.get(pk=visitor.conversation_id)


# -- epoch 0 ----------------------------------------------------------------------------


def test_the_visitor_opens_epoch_0(visitor, now):
    accepted = visitor.accepted[0]
    assert (accepted.order, accepted.duplicate) == (1, False)
    row = conversation(visitor)
    assert row.current_epoch == 0
    assert bytes(row.current_commit_hash) == visitor.state.commits[0][1]
    assert row.epoch_started_at == now
    assert row.last_order == 1
    stored = Commit.objects.get(conversation_id=visitor.conversation_id)
    assert (stored.epoch, stored.order, stored.author) == (0, 1, "visitor")
    assert stored.body() == visitor.state.commits[0][0]
    wraps = Wrap.objects.filter(commit=stored).order_by("position")
    assert [(w.member_kind, w.member_id) for w in wraps] == [("team", "1"), ("visitor", "visitor")]


def test_resubmitting_the_same_commit_is_a_duplicate_with_its_order(visitor_factory, now, submit):
    visitor = visitor_factory(commit=False)
    signed = visitor.epoch_zero(visitor_announcement(visitor))
    first = submit(visitor.party, signed, now)
    again = submit(visitor.party, signed, now)
    assert (again.order, again.duplicate) == (first.order, True)
    assert commit_count(visitor) == 1
    assert conversation(visitor).last_order == 1


def visitor_announcement(visitor) -> certs.TeamKeyAnnouncement:
    return TeamKey.objects.get(version=1).announcement()


@pytest.mark.parametrize("signature", ["zero", "other key", "truncated body"])
def test_an_unsigned_or_wrongly_signed_opening_commit_is_refused(
    visitor_factory, now, submit, signature
):
    visitor = visitor_factory(commit=False)
    signed = visitor.epoch_zero(visitor_announcement(visitor))
    bad = {
        "zero": bytes(64),
        "other key": suite1.sign(suite1.private_key_generate(), commits.commit_body(signed.commit)),
        "truncated body": suite1.sign(visitor.sig, commits.commit_body(signed.commit)[:-1]),
    }[signature]
    with pytest.raises(CommitSignatureInvalid):
        submit(visitor.party, SignedCommit(signed.commit, bad, signed.wraps, b""), now)
    assert commit_count(visitor) == 0
    assert conversation(visitor).current_epoch == -1


def test_a_second_opening_commit_loses_the_race(visitor, now, submit):
    visitor.state.secrets.clear()
    visitor.state.commits.clear()
    rival = visitor.epoch_zero(visitor_announcement(visitor))
    with pytest.raises(EpochConflict):
        submit(visitor.party, rival, now)
    assert commit_count(visitor) == 1


def test_staff_cannot_open_epoch_0(visitor_factory, staff, now, submit):
    visitor = visitor_factory(commit=False)
    signed = visitor.epoch_zero(visitor_announcement(visitor))
    with pytest.raises(Forbidden):
        submit(staff.party, signed, now)


def test_a_commit_naming_another_conversation_is_refused(visitor, other_visitor, now):
    signed = other_visitor.state.commits[0]
    with pytest.raises(CommitRejected):
        commit_submit(
            party=visitor.party,
            conversation_id=visitor.conversation_id,
            commit=signed[0],
            signature=bytes(64),
            wraps=[],
            now=now,
        )


def test_a_commit_of_an_unknown_suite_is_refused(visitor_factory, now, submit):
    # docs/protocol.md §5.4 rule 1 says `unsupported`; the server answers `bad_commit`
    # (CommitRejected). Either way nothing is stored.
    visitor = visitor_factory(commit=False)
    signed = visitor.epoch_zero(visitor_announcement(visitor))
    other_suite = replace(signed.commit, suite=2)
    with pytest.raises(ChatError):
        submit(visitor.party, SignedCommit(other_suite, signed.signature, signed.wraps, b""), now)
    assert commit_count(visitor) == 0


def test_a_closed_conversation_takes_no_commits(visitor_factory, now, submit):
    visitor = visitor_factory(commit=False)
    signed = visitor.epoch_zero(visitor_announcement(visitor))
    # No service closes conversations yet; this is the state one would leave behind.
    Conversation.objects.filter(pk=visitor.conversation_id).update(
        state=Conversation.State.CLOSED, closed_at=now
    )
    with pytest.raises(ConversationClosed):
        submit(visitor.party, signed, now)


def test_a_deleted_conversation_takes_no_commits(visitor, staff, helpline, view_as, now, submit):
    signed = next_commit(
        view_as(staff, visitor.conversation_id), [team(helpline), visitor_member(visitor)]
    )
    Conversation.objects.filter(pk=visitor.conversation_id).delete()
    with pytest.raises(ConversationClosed):
        submit(staff.party, signed, now)


# -- later epochs -----------------------------------------------------------------------


def test_a_certified_staff_device_makes_epoch_1(
    visitor, staff, interpreter, helpline, view_as, now, submit
):
    state = view_as(staff, visitor.conversation_id)
    interpreter_invited(interpreter, visitor.conversation_id)  # issue 6
    signed = state.epoch_create(
        reason="member_add",
        team=helpline.announcement,
        visitor_kem_pk=visitor.kem_public,
        interpreters=[interpreter.member("interpreter:bg")],
    )
    accepted = submit(staff.party, signed, now)
    assert (accepted.order, accepted.duplicate) == (2, False)
    row = conversation(visitor)
    assert (row.current_epoch, bytes(row.current_commit_hash)) == (1, signed.commit_hash)
    stored = Commit.objects.get(conversation_id=visitor.conversation_id, epoch=1)
    assert stored.author == staff.device_id
    kinds = list(
        Wrap.objects.filter(commit=stored)
        .order_by("position")
        .values_list("member_kind", "member_id")
    )
    assert kinds == [("team", "1"), ("visitor", "visitor"), ("device", interpreter.device_id)]
    # The visitor can follow the chain and open its wrap.
    visitor.state.cert_add(staff.device().certificate())
    visitor.state.cert_add(interpreter.device().certificate())
    visitor.state.commit_accept(signed.commit, signed.signature, signed.wraps[1])
    assert visitor.state.secrets[1] == signed.epoch_secret


def test_the_same_staff_commit_twice_is_a_duplicate(visitor, staff, helpline, view_as, now, submit):
    state = view_as(staff, visitor.conversation_id)
    signed = next_commit(state, [team(helpline), visitor_member(visitor)], reason="rekey")
    first = submit(staff.party, signed, now)
    again = submit(staff.party, signed, now)
    assert (again.order, again.duplicate) == (first.order, True)
    assert commit_count(visitor) == 2


def test_a_commit_on_a_stale_previous_hash_is_an_epoch_conflict(
    visitor, staff, helpline, view_as, now, submit
):
    state = view_as(staff, visitor.conversation_id)
    signed = next_commit(state, [team(helpline), visitor_member(visitor)], prev=bytes(range(32)))
    with pytest.raises(EpochConflict):
        submit(staff.party, signed, now)
    assert conversation(visitor).current_epoch == 0


def test_a_commit_that_skips_an_epoch_is_an_epoch_conflict(
    visitor, staff, helpline, view_as, now, submit
):
    state = view_as(staff, visitor.conversation_id)
    signed = next_commit(
        state, [team(helpline), visitor_member(visitor)], epoch=2, prev=state.commits[0][1]
    )
    with pytest.raises(EpochConflict):
        submit(staff.party, signed, now)


def test_of_two_staff_commits_for_the_same_epoch_the_second_conflicts(
    visitor, staff, colleague, helpline, view_as, now, submit
):
    alices = next_commit(
        view_as(staff, visitor.conversation_id), [team(helpline), visitor_member(visitor)]
    )
    bobs = next_commit(
        view_as(colleague, visitor.conversation_id), [team(helpline), visitor_member(visitor)]
    )
    submit(staff.party, alices, now)
    with pytest.raises(EpochConflict):
        submit(colleague.party, bobs, now)


def test_a_pending_staff_device_cannot_make_an_epoch(
    visitor, pending_staff, helpline, view_as, now, submit
):
    signed = next_commit(
        view_as(pending_staff, visitor.conversation_id), [team(helpline), visitor_member(visitor)]
    )
    with pytest.raises(Forbidden):
        submit(pending_staff.party, signed, now)
    assert commit_count(visitor) == 1


def test_a_revoked_staff_device_cannot_make_an_epoch(
    visitor, revoked_staff, helpline, view_as, now, submit
):
    signed = next_commit(
        view_as(revoked_staff, visitor.conversation_id), [team(helpline), visitor_member(visitor)]
    )
    with pytest.raises(Forbidden):
        submit(revoked_staff.party, signed, now)


def test_a_device_revoked_after_signing_cannot_submit(
    visitor, staff, helpline, view_as, now, submit
):
    signed = next_commit(
        view_as(staff, visitor.conversation_id), [team(helpline), visitor_member(visitor)]
    )
    device_revoke(device_id=staff.device_id, now=now)
    with pytest.raises(Forbidden):
        submit(staff.party, signed, now)


def test_the_visitor_cannot_make_a_later_epoch(visitor, staff, helpline, view_as, now, submit):
    # commit_create refuses to build it, so the visitor's browser would have to forge it:
    # take a well-formed epoch 1 and sign it as the visitor.
    signed = next_commit(
        view_as(staff, visitor.conversation_id), [team(helpline), visitor_member(visitor)]
    )
    by_visitor = replace(signed.commit, author=commits.VISITOR)
    signature = suite1.sign(visitor.sig, commits.commit_body(by_visitor))
    with pytest.raises(Forbidden):
        submit(visitor.party, SignedCommit(by_visitor, signature, signed.wraps, b""), now)
    assert commit_count(visitor) == 1


def test_the_visitor_cannot_submit_a_staff_devices_commit(
    visitor, staff, helpline, view_as, now, submit
):
    signed = next_commit(
        view_as(staff, visitor.conversation_id), [team(helpline), visitor_member(visitor)]
    )
    with pytest.raises(Forbidden):
        submit(visitor.party, signed, now)


def test_a_stored_staff_commit_is_acknowledged_again_only_to_its_device(
    visitor, staff, colleague, helpline, view_as, now, submit
):
    """The duplicate check comes after who may make the epoch: a replay by the visitor
    or another device is refused, not acknowledged with the stored commit's order."""
    signed = next_commit(
        view_as(staff, visitor.conversation_id), [team(helpline), visitor_member(visitor)]
    )
    first = submit(staff.party, signed, now)
    for other in (visitor.party, colleague.party):
        with pytest.raises(Forbidden):
            submit(other, signed, now)
    assert submit(staff.party, signed, now).duplicate
    assert commit_count(visitor) == 2 and first.order == 2


def test_a_stored_commit_with_another_signature_is_not_acknowledged(
    visitor, staff, helpline, view_as, now, submit
):
    signed = next_commit(
        view_as(staff, visitor.conversation_id), [team(helpline), visitor_member(visitor)]
    )
    submit(staff.party, signed, now)
    forged = SignedCommit(signed.commit, bytes(64), signed.wraps, signed.epoch_secret)
    with pytest.raises(CommitSignatureInvalid):
        submit(staff.party, forged, now)


def test_a_staff_device_cannot_submit_a_colleagues_commit(
    visitor, staff, colleague, helpline, view_as, now, submit
):
    bobs = next_commit(
        view_as(colleague, visitor.conversation_id), [team(helpline), visitor_member(visitor)]
    )
    with pytest.raises(Forbidden):
        submit(staff.party, bobs, now)


def test_an_interpreter_cannot_make_an_epoch(visitor, interpreter, helpline, view_as, now, submit):
    state = view_as(interpreter, visitor.conversation_id)
    signed = next_commit(
        state, [team(helpline), visitor_member(visitor)], epoch=1, prev=visitor.state.commits[0][1]
    )
    with pytest.raises(Forbidden):
        submit(interpreter.party, signed, now)


def test_a_staff_commit_signed_by_another_key_is_refused(
    visitor, staff, helpline, view_as, now, submit
):
    signed = next_commit(
        view_as(staff, visitor.conversation_id), [team(helpline), visitor_member(visitor)]
    )
    forged = suite1.sign(suite1.private_key_generate(), commits.commit_body(signed.commit))
    with pytest.raises(CommitSignatureInvalid):
        submit(staff.party, SignedCommit(signed.commit, forged, signed.wraps, b""), now)


# -- members ----------------------------------------------------------------------------


@pytest.fixture
def alices_view(visitor, staff, view_as):
    return view_as(staff, visitor.conversation_id)


def refused_members(state, party, recipients, now, **options) -> None:
    signed = next_commit(state, recipients, **options)
    with pytest.raises(CommitRejected):
        commit_submit(
            party=party,
            conversation_id=state.conversation_id,
            commit=signed.commit,
            signature=signed.signature,
            wraps=signed.wraps,
            now=now,
        )
    assert Conversation.objects.get(pk=state.conversation_id).current_epoch == 0


def test_a_destroyed_team_key_is_not_a_recipient(visitor, staff, helpline, alices_view, now):
    TeamKey.objects.filter(version=1).update(destroyed_at=now)  # no service for this yet
    refused_members(alices_view, staff.party, [team(helpline), visitor_member(visitor)], now)


def test_an_unpublished_team_key_version_is_not_a_recipient(
    visitor, staff, helpline, alices_view, now
):
    unpublished = Recipient("team", "2", suite1.public_bytes(suite1.private_key_generate()))
    refused_members(
        alices_view, staff.party, [unpublished, visitor_member(visitor)], now, team_key_version=2
    )


def test_the_largest_team_key_version_is_refused_like_any_unknown_one(
    visitor, staff, helpline, alices_view, now
):
    # Beyond PostgreSQL's integer range: the lookup must find nothing, not fail.
    version = 2**32 - 1
    unknown = Recipient("team", str(version), suite1.public_bytes(suite1.private_key_generate()))
    refused_members(
        alices_view, staff.party, [unknown, visitor_member(visitor)], now, team_key_version=version
    )


def test_a_team_member_with_another_key_is_refused(visitor, staff, alices_view, now):
    impostor = Recipient("team", "1", suite1.public_bytes(suite1.private_key_generate()))
    refused_members(alices_view, staff.party, [impostor, visitor_member(visitor)], now)


def test_a_foreign_visitor_key_is_refused(
    visitor, other_visitor, staff, helpline, alices_view, now
):
    refused_members(alices_view, staff.party, [team(helpline), visitor_member(other_visitor)], now)


def test_a_staff_device_is_not_an_interpreter_member(
    visitor, staff, colleague, helpline, alices_view, now
):
    members = [team(helpline), visitor_member(visitor), device_member(colleague)]
    refused_members(alices_view, staff.party, members, now)


def test_an_uncertified_interpreter_is_not_a_member(
    visitor, staff, pending_interpreter, helpline, alices_view, now
):
    members = [team(helpline), visitor_member(visitor), device_member(pending_interpreter)]
    refused_members(alices_view, staff.party, members, now)


def test_an_unknown_device_is_not_a_member(visitor, staff, helpline, alices_view, now):
    stranger = Recipient(
        "device", str(uuid.uuid4()), suite1.public_bytes(suite1.private_key_generate())
    )
    refused_members(
        alices_view, staff.party, [team(helpline), visitor_member(visitor), stranger], now
    )


def test_a_device_member_whose_id_is_not_a_uuid_is_refused(
    visitor, staff, helpline, alices_view, now
):
    odd = Recipient("device", "interpreter-7", suite1.public_bytes(suite1.private_key_generate()))
    refused_members(alices_view, staff.party, [team(helpline), visitor_member(visitor), odd], now)


def test_a_device_member_named_by_another_spelling_of_its_id_is_refused(
    visitor, staff, interpreter, helpline, alices_view, now
):
    for spelling in (interpreter.device_id.upper(), interpreter.device_id.replace("-", "")):
        shouting = Recipient("device", spelling, interpreter.keys.kem_public, "interpreter")
        members = [team(helpline), visitor_member(visitor), shouting]
        refused_members(alices_view, staff.party, members, now)


def test_an_interpreter_member_with_another_key_is_refused(
    visitor, staff, interpreter, helpline, alices_view, now
):
    other_key = suite1.public_bytes(suite1.private_key_generate())
    swapped = Recipient("device", interpreter.device_id, other_key, "interpreter:bg")
    refused_members(
        alices_view, staff.party, [team(helpline), visitor_member(visitor), swapped], now
    )


def test_a_revoked_interpreter_is_not_a_member(
    visitor, staff, interpreter, helpline, alices_view, now
):
    device_revoke(device_id=interpreter.device_id, now=now)
    members = [team(helpline), visitor_member(visitor), device_member(interpreter)]
    refused_members(alices_view, staff.party, members, now)


# -- wraps ------------------------------------------------------------------------------


def submit_with_wraps(state, party, signed, wraps, now):
    return commit_submit(
        party=party,
        conversation_id=state.conversation_id,
        commit=signed.commit,
        signature=signed.signature,
        wraps=wraps,
        now=now,
    )


@pytest.mark.parametrize("change", ["reversed", "one missing", "one extra", "wrong key id"])
def test_wraps_that_do_not_match_the_members_are_refused(
    visitor, staff, interpreter, helpline, alices_view, now, change
):
    members = [team(helpline), visitor_member(visitor), device_member(interpreter)]
    signed = next_commit(alices_view, members)
    wraps = list(signed.wraps)
    if change == "reversed":
        wraps.reverse()
    elif change == "one missing":
        wraps.pop()
    elif change == "one extra":
        wraps.append(wraps[0])
    else:
        wraps[1] = replace(wraps[1], key_id=bytes(16))
    with pytest.raises(CommitRejected):
        submit_with_wraps(alices_view, staff.party, signed, wraps, now)
    assert commit_count(visitor) == 1
