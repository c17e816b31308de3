"""Opening, resuming and marking conversations (chat/services/conversations.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import BinaryField

from chat import keyring
from chat.crypto import suite1
from chat.crypto.encoding import b64encode
from chat.errors import HelplineNotReady, KeyInvalid, Unauthorized, Unsupported
from chat.models import Conversation, Participant, TeamKey
from chat.parties import Party
from chat.services.conversations import (
    conversation_open,
    conversation_resume,
    receipt_record,
    token_hash,
)
from ops.campaigns.services import campaign_create

pytestmark = pytest.mark.django_db


def open_with(now, **overrides):
    visitor_kem, visitor_sig = suite1.private_key_generate(), suite1.private_key_generate()
    arguments = {
        "suite": 1,
        "language": "fr",
        "campaign": None,
        "visitor_kem_pk": suite1.public_bytes(visitor_kem),
        "visitor_sig_pk": suite1.public_bytes(visitor_sig),
        "now": now,
    }
    return conversation_open(**(arguments | overrides))


def test_a_visitor_opens_a_conversation_at_epoch_minus_one_with_a_token(helpline, now):
    opened = open_with(now, language="FR")
    conversation = Conversation.objects.get(pk=opened.conversation.pk)
    assert conversation.state == Conversation.State.OPEN
    assert conversation.language == "fr"
    assert conversation.current_epoch == -1
    assert conversation.last_order == 0
    assert len(opened.token) == 32
    assert opened.team_key.version == helpline.team_key.version
    assert bytes(opened.admin_key.public_key) == helpline.admin_pk


def test_the_visitor_is_recorded_as_a_participant(helpline, now):
    opened = open_with(now)
    participant = Participant.objects.get(conversation=opened.conversation)
    assert (participant.kind, participant.party_id) == ("visitor", "visitor")


def test_the_token_is_stored_only_as_its_hash(helpline, now):
    opened = open_with(now)
    row = Conversation.objects.get(pk=opened.conversation.pk)
    assert bytes(row.token_hash) == suite1.sha256(opened.token)
    spellings = [opened.token.hex(), b64encode(opened.token)]
    for model_field in Conversation._meta.concrete_fields:
        value = getattr(row, model_field.attname)
        if isinstance(model_field, BinaryField) and value is not None:
            assert opened.token not in bytes(value), model_field.name
        for spelling in spellings:
            assert spelling not in str(value), model_field.name


def test_two_conversations_get_different_tokens(helpline, now):
    assert open_with(now).token != open_with(now).token


def test_a_known_campaign_code_is_recorded(helpline, now):
    campaign = campaign_create(name="Spring outreach", now=now)
    opened = open_with(now, campaign=campaign.code)
    assert Conversation.objects.get(pk=opened.conversation.pk).campaign_code == campaign.code


def test_an_unknown_campaign_still_opens_but_is_not_attributed(helpline, now):
    opened = open_with(now, campaign="old-sticker-2019")
    row = Conversation.objects.get(pk=opened.conversation.pk)
    assert row.state == Conversation.State.OPEN
    assert row.campaign_code == ""


def test_a_helpline_without_a_team_key_cannot_open_conversations(admin, now):
    with pytest.raises(HelplineNotReady):
        open_with(now)
    assert not Conversation.objects.exists()


def test_a_helpline_without_an_admin_key_cannot_open_conversations(db, now):
    with pytest.raises(HelplineNotReady):
        open_with(now)


def test_a_team_key_past_its_not_after_does_not_count(helpline, now):
    with pytest.raises(HelplineNotReady):
        open_with(now + timedelta(days=91))


def test_a_destroyed_team_key_does_not_count(helpline, now):
    TeamKey.objects.update(destroyed_at=now)  # no service destroys team keys yet
    with pytest.raises(HelplineNotReady):
        open_with(now)


def test_a_rotated_team_key_is_the_one_handed_to_new_visitors(helpline, now):
    keyring.team_key_create(admin=helpline.admin, days=90, now=now)
    assert open_with(now).team_key.version == 2


def test_an_unknown_suite_is_unsupported(helpline, now):
    with pytest.raises(Unsupported):
        open_with(now, suite=2)


@pytest.mark.parametrize("which", ["visitor_kem_pk", "visitor_sig_pk"])
def test_a_visitor_key_off_the_curve_is_refused(helpline, now, which):
    with pytest.raises(KeyInvalid):
        open_with(now, **{which: b"\x04" + bytes(64)})
    assert not Conversation.objects.exists()


def test_a_visitor_resumes_with_its_token(visitor, now):
    conversation, admin_key, team_key = conversation_resume(token=visitor.token, now=now)
    assert str(conversation.pk) == visitor.conversation_id
    assert conversation.current_epoch == 0
    assert team_key.version == 1


def test_a_wrong_token_and_a_deleted_conversations_token_are_refused_alike(visitor, now):
    with pytest.raises(Unauthorized) as wrong:
        conversation_resume(token=bytes(32), now=now)
    Conversation.objects.filter(pk=visitor.conversation_id).delete()
    with pytest.raises(Unauthorized) as deleted:
        conversation_resume(token=visitor.token, now=now)
    assert str(wrong.value) == str(deleted.value)


def test_the_hash_of_a_token_is_not_itself_a_token(visitor, now):
    with pytest.raises(Unauthorized):
        conversation_resume(token=token_hash(visitor.token), now=now)


def test_receipts_move_forward_never_backward(visitor, now):
    def receipt(kind: str, order: int) -> None:
        receipt_record(
            party=visitor.party,
            conversation_id=visitor.conversation_id,
            kind=kind,
            order=order,
            now=now,
        )

    receipt("read", 5)
    receipt("read", 3)
    receipt("delivered", 7)
    participant = Participant.objects.get(
        conversation_id=visitor.conversation_id, party_id="visitor"
    )
    assert (participant.last_read_order, participant.last_delivered_order) == (5, 7)


def test_a_staff_devices_first_receipt_makes_it_a_participant(visitor, staff, now):
    party = Party(kind="staff", id=staff.device_id)
    receipt_record(
        party=party, conversation_id=visitor.conversation_id, kind="delivered", order=1, now=now
    )
    participant = Participant.objects.get(
        conversation_id=visitor.conversation_id, party_id=staff.device_id
    )
    assert (participant.kind, participant.last_delivered_order) == ("staff", 1)
