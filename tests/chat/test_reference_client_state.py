"""The reference client's view of one conversation (chat/client/state.py): what a client
MUST check before it uses an epoch or shows a message (docs/protocol.md §5.4, §6.3).

Pure: no server, no database; keys and certificates are made here as browsers would.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import pytest
from msgspec.structs import replace

from chat.client.state import ConversationState
from chat.crypto import certs, commits, suite1
from chat.crypto.errors import BadObject, BadSignature, CryptoError
from chat.crypto.keys import AdminKeys, DeviceKeys

CONVERSATION = str(uuid.uuid4())


@dataclass
class World:
    admin: AdminKeys
    team: suite1.PrivateKey
    announcement: certs.TeamKeyAnnouncement
    staff: DeviceKeys
    staff_cert: certs.DeviceCert
    interpreter: DeviceKeys
    interpreter_cert: certs.DeviceCert
    visitor_kem: suite1.PrivateKey
    visitor_sig: suite1.PrivateKey

    @property
    def visitor_kem_pk(self) -> bytes:
        return suite1.public_bytes(self.visitor_kem)


def device(admin: AdminKeys, role: str) -> tuple[DeviceKeys, certs.DeviceCert]:
    keys = DeviceKeys.generate()
    keys.device_id = str(uuid.uuid4())
    cert = certs.cert_sign(
        admin_key=admin.sig,
        device_id=keys.device_id,
        role=role,
        kem_pk=keys.kem_public,
        sig_pk=keys.sig_public,
        not_after=int(time.time()) + 86400,
    )
    return keys, cert


@pytest.fixture
def world() -> World:
    admin = AdminKeys.generate()
    team = suite1.private_key_generate()
    announcement = certs.team_key_sign(
        admin_key=admin.sig,
        version=1,
        pk=suite1.public_bytes(team),
        not_after=int(time.time()) + 86400,
    )
    staff, staff_cert = device(admin, "staff")
    interpreter, interpreter_cert = device(admin, "interpreter")
    return World(
        admin=admin,
        team=team,
        announcement=announcement,
        staff=staff,
        staff_cert=staff_cert,
        interpreter=interpreter,
        interpreter_cert=interpreter_cert,
        visitor_kem=suite1.private_key_generate(),
        visitor_sig=suite1.private_key_generate(),
    )


def visitor_state(world: World) -> ConversationState:
    return ConversationState(
        conversation_id=CONVERSATION,
        me=commits.VISITOR,
        sign_key=world.visitor_sig,
        open_keys={suite1.key_id(world.visitor_kem_pk): world.visitor_kem},
        admin_pk=world.admin.public,
        visitor_sig_pk=suite1.public_bytes(world.visitor_sig),
    )


def staff_state(world: World) -> ConversationState:
    state = ConversationState(
        conversation_id=CONVERSATION,
        me=world.staff.device_id,
        sign_key=world.staff.sig,
        open_keys={suite1.key_id(world.announcement.pk): world.team},
        admin_pk=world.admin.public,
        visitor_sig_pk=suite1.public_bytes(world.visitor_sig),
    )
    state.cert_add(world.staff_cert)
    return state


@pytest.fixture
def opened(world):
    """The visitor has made epoch 0; alice's device has accepted it."""
    visitor = visitor_state(world)
    signed = visitor.epoch_create(
        reason="open", team=world.announcement, visitor_kem_pk=world.visitor_kem_pk, interpreters=[]
    )
    staff = staff_state(world)
    staff.commit_accept(signed.commit, signed.signature, signed.wraps[0])
    visitor.cert_add(world.staff_cert)
    return visitor, staff, signed


# -- round trips ------------------------------------------------------------------------


def test_staff_opens_epoch_0_through_the_team_key(opened):
    visitor, staff, signed = opened
    assert staff.secrets[0] == visitor.secrets[0] == signed.epoch_secret


def test_a_visitor_message_opens_on_the_staff_side(opened):
    visitor, staff, _ = opened
    envelope = visitor.seal(b"Bonjour, j'ai besoin d'aide")
    message = staff.envelope_open(envelope, order=2)
    assert (message.text, message.sender, message.epoch, message.order) == (
        "Bonjour, j'ai besoin d'aide",
        "visitor",
        0,
        2,
    )


def test_a_staff_reply_opens_on_the_visitor_side(opened, world):
    visitor, staff, _ = opened
    message = visitor.envelope_open(staff.seal("On vous écoute.".encode()), order=3)
    assert (message.text, message.sender) == ("On vous écoute.", world.staff.device_id)


def test_an_event_message_keeps_its_content_type(opened):
    visitor, staff, _ = opened
    message = staff.envelope_open(visitor.seal(b'{"typing": true}', "event"), order=2)
    assert (message.content_type, message.content) == ("event", b'{"typing": true}')


def test_each_message_of_a_stream_takes_the_next_seq(opened):
    visitor, _, _ = opened
    seqs = [visitor.seal(b"x").seq for _ in range(3)]
    assert seqs == [0, 1, 2]


def test_two_tabs_of_one_party_write_on_different_streams(world, opened):
    visitor, _, signed = opened
    other_tab = visitor_state(world)
    other_tab.commit_accept(signed.commit, signed.signature, signed.wraps[1])
    first, second = visitor.seal(b"a"), other_tab.seal(b"a")
    assert first.seq == second.seq == 0
    assert first.stream != second.stream
    assert first.ct != second.ct


def test_a_state_without_an_epoch_cannot_seal(world):
    with pytest.raises(BadObject):
        visitor_state(world).seal(b"trop tot")


# -- what must be refused ---------------------------------------------------------------


def test_a_tampered_envelope_does_not_open(opened):
    visitor, staff, _ = opened
    envelope = visitor.seal(b"bonjour")
    flipped = bytes([envelope.ct[0] ^ 1]) + envelope.ct[1:]
    with pytest.raises(CryptoError):
        staff.envelope_open(replace(envelope, ct=flipped), order=2)


def test_an_envelope_claiming_another_sender_does_not_open(opened, world):
    visitor, staff, _ = opened
    envelope = visitor.seal(b"c'est le staff qui parle")
    with pytest.raises(CryptoError):
        staff.envelope_open(replace(envelope, sender=world.staff.device_id), order=2)


def test_an_envelope_from_a_device_without_a_certificate_does_not_open(opened, world):
    visitor, staff, _ = opened
    stranger = replace(staff.seal(b"?"), sender=world.interpreter.device_id)
    with pytest.raises(BadObject):
        visitor.envelope_open(stranger, order=3)


def test_an_envelope_of_an_unknown_epoch_does_not_open(opened):
    visitor, staff, _ = opened
    with pytest.raises(BadObject):
        staff.envelope_open(replace(visitor.seal(b"x"), epoch=1), order=2)


def test_a_commit_whose_chain_breaks_is_refused(opened, world):
    visitor, staff, _ = opened
    broken = commits.commit_create(
        conversation_id=CONVERSATION,
        epoch=1,
        prev_commit_hash=bytes(range(32)),
        author=world.staff.device_id,
        author_key=world.staff.sig,
        reason="rekey",
        team_key_version=1,
        recipients=[
            commits.Recipient("team", "1", world.announcement.pk),
            commits.Recipient("visitor", commits.VISITOR, world.visitor_kem_pk),
        ],
        now=int(time.time()),
    )
    with pytest.raises(BadObject, match="chain"):
        visitor.commit_accept(broken.commit, broken.signature, broken.wraps[1])
    assert 1 not in visitor.commits
    assert visitor.current_epoch == 0


def test_a_commit_of_another_conversation_is_refused(opened, world):
    visitor, _, signed = opened
    elsewhere = replace(signed.commit, conversation_id=str(uuid.uuid4()))
    with pytest.raises(BadObject):
        visitor.commit_accept(elsewhere, signed.signature, signed.wraps[1])


def test_a_commit_with_a_broken_signature_is_refused(opened, world):
    visitor, staff, _ = opened
    signed = staff.epoch_create(
        reason="rekey",
        team=world.announcement,
        visitor_kem_pk=world.visitor_kem_pk,
        interpreters=[],
    )
    with pytest.raises(BadSignature):
        visitor.commit_accept(signed.commit, bytes(64), signed.wraps[1])
    assert 1 not in visitor.secrets


def test_a_commit_adding_a_device_without_an_interpreter_certificate_is_refused(opened, world):
    visitor, staff, _ = opened
    interpreter = world.interpreter
    signed = staff.epoch_create(
        reason="member_add",
        team=world.announcement,
        visitor_kem_pk=world.visitor_kem_pk,
        interpreters=[(interpreter.device_id, interpreter.kem_public, "interpreter:bg")],
    )
    with pytest.raises(BadObject, match="interpreter certificate"):
        visitor.commit_accept(signed.commit, signed.signature, signed.wraps[1])
    assert 1 not in visitor.secrets
    # With the certificate in hand, the same commit is accepted.
    visitor.cert_add(world.interpreter_cert)
    visitor.commit_accept(signed.commit, signed.signature, signed.wraps[1])
    assert visitor.secrets[1] == signed.epoch_secret


def test_a_staff_device_added_as_a_member_is_refused(opened, world):
    visitor, staff, _ = opened
    colleague, colleague_cert = device(world.admin, "staff")
    visitor.cert_add(colleague_cert)
    signed = staff.epoch_create(
        reason="member_add",
        team=world.announcement,
        visitor_kem_pk=world.visitor_kem_pk,
        interpreters=[(colleague.device_id, colleague.kem_public, "")],
    )
    with pytest.raises(BadObject):
        visitor.commit_accept(signed.commit, signed.signature, signed.wraps[1])


def test_an_interpreter_member_with_another_key_is_refused(opened, world):
    visitor, staff, _ = opened
    visitor.cert_add(world.interpreter_cert)
    other_kem = suite1.public_bytes(suite1.private_key_generate())
    signed = staff.epoch_create(
        reason="member_add",
        team=world.announcement,
        visitor_kem_pk=world.visitor_kem_pk,
        interpreters=[(world.interpreter.device_id, other_kem, "")],
    )
    with pytest.raises(BadObject):
        visitor.commit_accept(signed.commit, signed.signature, signed.wraps[1])


def test_a_commit_authored_by_an_interpreter_is_refused(opened, world):
    visitor, _, _ = opened
    visitor.cert_add(world.interpreter_cert)
    signed = commits.commit_create(
        conversation_id=CONVERSATION,
        epoch=1,
        prev_commit_hash=visitor.commits[0][1],
        author=world.interpreter.device_id,
        author_key=world.interpreter.sig,
        reason="rekey",
        team_key_version=1,
        recipients=[
            commits.Recipient("team", "1", world.announcement.pk),
            commits.Recipient("visitor", commits.VISITOR, world.visitor_kem_pk),
        ],
        now=int(time.time()),
    )
    with pytest.raises(BadObject, match="role"):
        visitor.commit_accept(signed.commit, signed.signature, signed.wraps[1])


def test_a_certificate_from_another_admin_is_refused(world):
    _, foreign_cert = device(AdminKeys.generate(), "staff")
    state = visitor_state(world)
    with pytest.raises(CryptoError):
        state.cert_add(foreign_cert)
    assert foreign_cert.device_id not in state.device_certs


def test_no_epoch_is_made_for_a_team_key_the_admin_did_not_announce(world):
    _, forged = (
        AdminKeys.generate(),
        certs.team_key_sign(
            admin_key=AdminKeys.generate().sig,
            version=1,
            pk=suite1.public_bytes(suite1.private_key_generate()),
            not_after=int(time.time()) + 86400,
        ),
    )
    with pytest.raises(CryptoError):
        visitor_state(world).epoch_create(
            reason="open", team=forged, visitor_kem_pk=world.visitor_kem_pk, interpreters=[]
        )


def test_an_interpreter_joining_later_accepts_the_chain_from_its_first_epoch(opened, world):
    visitor, staff, _ = opened
    staff.cert_add(world.interpreter_cert)
    signed = staff.epoch_create(
        reason="member_add",
        team=world.announcement,
        visitor_kem_pk=world.visitor_kem_pk,
        interpreters=[(world.interpreter.device_id, world.interpreter.kem_public, "")],
    )
    joiner = ConversationState(
        conversation_id=CONVERSATION,
        me=world.interpreter.device_id,
        sign_key=world.interpreter.sig,
        open_keys={suite1.key_id(world.interpreter.kem_public): world.interpreter.kem},
        admin_pk=world.admin.public,
        visitor_sig_pk=suite1.public_bytes(world.visitor_sig),
    )
    joiner.cert_add(world.staff_cert)
    joiner.cert_add(world.interpreter_cert)
    joiner.commit_accept(signed.commit, signed.signature, signed.wraps[2])
    assert joiner.secrets == {1: signed.epoch_secret}
    # It reads the new epoch, and never the old one.
    assert joiner.envelope_open(staff.seal(b"bienvenue"), order=3).text == "bienvenue"
    with pytest.raises(BadObject):
        joiner.envelope_open(replace(visitor.seal(b"avant"), epoch=0), order=4)
