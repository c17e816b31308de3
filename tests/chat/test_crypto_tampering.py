"""Every bound field, when tampered with, fails (docs/protocol.md §4–6)."""

from __future__ import annotations

import uuid

import pytest
from msgspec.structs import replace

from chat.crypto import certs, commits, encoding, messages, suite1
from chat.crypto.errors import CryptoError

CONVERSATION = str(uuid.uuid4())
DEVICE = str(uuid.uuid4())
NOW = 1_800_000_000


@pytest.fixture(scope="module")
def keys():
    names = ("admin", "team", "visitor_kem", "visitor_sig", "device_kem", "device_sig")
    return {name: suite1.private_key_generate() for name in names}


def pub(keys, name):
    return suite1.public_bytes(keys[name])


@pytest.fixture(scope="module")
def opened(keys):
    recipients = [
        commits.Recipient("team", "1", pub(keys, "team")),
        commits.Recipient("visitor", "visitor", pub(keys, "visitor_kem")),
    ]
    return commits.commit_create(
        conversation_id=CONVERSATION,
        epoch=0,
        prev_commit_hash=commits.ZERO_HASH,
        author="visitor",
        author_key=keys["visitor_sig"],
        reason="open",
        team_key_version=1,
        recipients=recipients,
        now=NOW,
    )


def flip(data: bytes) -> bytes:
    return bytes([data[0] ^ 1]) + data[1:]


COMMIT_TAMPERS = {
    "suite": lambda c: replace(c, suite=2),
    "conversation_id": lambda c: replace(c, conversation_id=str(uuid.uuid4())),
    "epoch": lambda c: replace(c, epoch=1),
    "prev_commit_hash": lambda c: replace(c, prev_commit_hash=b"\x01" * 32),
    "author": lambda c: replace(c, author=DEVICE),
    "reason": lambda c: replace(c, reason="rekey"),
    "team_key_version": lambda c: replace(c, team_key_version=2),
    "key_commitment": lambda c: replace(c, key_commitment=flip(c.key_commitment)),
    "created_at": lambda c: replace(c, created_at=c.created_at + 1),
    "member_order": lambda c: replace(c, members=list(reversed(c.members))),
    "member_label": lambda c: replace(
        c, members=[replace(c.members[0], label="x"), *c.members[1:]]
    ),
    "member_key_id": lambda c: replace(
        c, members=[replace(c.members[0], key_id=flip(c.members[0].key_id)), *c.members[1:]]
    ),
    "member_removed": lambda c: replace(c, members=c.members[:1]),
}


@pytest.mark.parametrize("field", COMMIT_TAMPERS)
def test_a_tampered_commit_field_breaks_the_signature(keys, opened, field):
    tampered = COMMIT_TAMPERS[field](opened.commit)
    with pytest.raises(CryptoError):
        commits.commit_signature_verify(tampered, opened.signature, pub(keys, "visitor_sig"))


@pytest.mark.parametrize("field", COMMIT_TAMPERS)
def test_a_tampered_commit_field_stops_the_wraps_opening(keys, opened, field):
    tampered = COMMIT_TAMPERS[field](opened.commit)
    with pytest.raises(CryptoError):
        commits.commit_open(tampered, opened.wraps[0], recipient_key=keys["team"])


def test_the_untampered_commit_verifies_and_opens(keys, opened):
    commits.commit_signature_verify(opened.commit, opened.signature, pub(keys, "visitor_sig"))
    secret = commits.commit_open(opened.commit, opened.wraps[1], recipient_key=keys["visitor_kem"])
    assert secret == opened.epoch_secret


def test_an_unsigned_or_wrongly_signed_commit_is_refused(keys, opened):
    with pytest.raises(CryptoError):
        commits.commit_signature_verify(opened.commit, bytes(64), pub(keys, "visitor_sig"))
    wrong = suite1.sign(keys["device_sig"], commits.commit_body(opened.commit))
    with pytest.raises(CryptoError):
        commits.commit_signature_verify(opened.commit, wrong, pub(keys, "visitor_sig"))
    with pytest.raises(CryptoError):
        commits.commit_signature_verify(
            opened.commit, opened.signature[:63], pub(keys, "visitor_sig")
        )


def test_a_str_field_holding_nul_is_never_encoded(opened):
    """§2.1: no byte string is built from a string holding NUL."""
    with pytest.raises(CryptoError):
        encoding.lps("a\x00b")
    label_nul = replace(
        opened.commit,
        members=[replace(opened.commit.members[0], label="\x00"), opened.commit.members[1]],
    )
    with pytest.raises(CryptoError):
        commits.commit_body(label_nul)


def test_a_wrap_moved_to_another_conversation_fails(keys, opened):
    other = replace(opened.commit, conversation_id=str(uuid.uuid4()))
    with pytest.raises(CryptoError):
        commits.commit_open(other, opened.wraps[0], recipient_key=keys["team"])


def test_a_wrap_moved_to_another_epoch_fails(keys, opened):
    later = replace(opened.commit, epoch=1, author=DEVICE, reason="rekey")
    with pytest.raises(CryptoError):
        commits.commit_open(later, opened.wraps[0], recipient_key=keys["team"])


def test_a_wrap_moved_to_another_recipient_fails(keys, opened):
    visitor_wrap = opened.wraps[1]
    relabelled = commits.Wrap(key_id=opened.wraps[0].key_id, ct=visitor_wrap.ct)
    with pytest.raises(CryptoError):
        commits.commit_open(opened.commit, relabelled, recipient_key=keys["team"])
    with pytest.raises(CryptoError):
        commits.commit_open(opened.commit, visitor_wrap, recipient_key=keys["team"])


def test_a_wrap_of_a_different_secret_fails_the_key_commitment(keys, opened):
    """A server re-wrapping its own secret under the right info is caught (§5.2)."""
    team_key_id = suite1.key_id(pub(keys, "team"))
    info = commits.wrap_info(
        conversation_id=CONVERSATION,
        epoch=0,
        key_id=team_key_id,
        commit_hash=opened.commit_hash,
    )
    forged = commits.Wrap(
        key_id=team_key_id, ct=suite1.hpke_seal(pub(keys, "team"), info, bytes(32))
    )
    with pytest.raises(CryptoError, match="key commitment"):
        commits.commit_open(opened.commit, forged, recipient_key=keys["team"])


def test_commit_structure_rules_are_enforced(keys, opened):
    commit = opened.commit
    bad = {
        "two teams": replace(commit, members=[commit.members[0], commit.members[0]]),
        "no visitor": replace(
            commit,
            members=[commit.members[0], replace(commit.members[1], kind="device", id=DEVICE)],
        ),
        "epoch 0 by staff": replace(commit, author=DEVICE),
        "epoch 0 nonzero prev": replace(commit, prev_commit_hash=b"\x02" * 32),
        "later epoch by visitor": replace(
            commit, epoch=3, reason="rekey", prev_commit_hash=b"\x02" * 32
        ),
        "team id mismatch": replace(
            commit, members=[replace(commit.members[0], id="7"), commit.members[1]]
        ),
        # Issue 15, item 9: §5.3, the team member's label is ""; §2.1, no NUL in labels.
        "team labelled": replace(
            commit, members=[replace(commit.members[0], label="Police"), commit.members[1]]
        ),
        "team label NUL": replace(
            commit, members=[replace(commit.members[0], label="\x00"), commit.members[1]]
        ),
        "device label NUL": replace(
            commit,
            members=[
                *commit.members,
                replace(
                    commit.members[1],
                    kind="device",
                    id=DEVICE,
                    key_id=bytes(16),
                    label="interpreter:bg\x00",
                ),
            ],
        ),
    }
    for name, commit_bad in bad.items():
        with pytest.raises(CryptoError):
            commits.commit_members_check(commit_bad)
            pytest.fail(name)
    with pytest.raises(CryptoError):
        commits.commit_wraps_check(commit, list(reversed(opened.wraps)))
    commits.commit_wraps_check(commit, opened.wraps)


@pytest.fixture(scope="module")
def envelope(keys, opened):
    return messages.message_seal(
        epoch_secret=opened.epoch_secret,
        commit_hash=opened.commit_hash,
        conversation_id=CONVERSATION,
        epoch=0,
        sender="visitor",
        stream=b"\x07" * 16,
        seq=5,
        content_type="text",
        content=b"J'ai besoin de la PrEP",
        sender_key=keys["visitor_sig"],
    )


ENVELOPE_TAMPERS = {
    "conversation_id": lambda e: replace(e, conversation_id=str(uuid.uuid4())),
    "epoch": lambda e: replace(e, epoch=1),
    "sender": lambda e: replace(e, sender=DEVICE),
    "stream": lambda e: replace(e, stream=flip(e.stream)),
    "seq": lambda e: replace(e, seq=6),
    "content_type": lambda e: replace(e, content_type="event"),
    "ct": lambda e: replace(e, ct=flip(e.ct)),
    "ct_tag": lambda e: replace(e, ct=e.ct[:-1] + bytes([e.ct[-1] ^ 1])),
}


def open_envelope(envelope, opened, sig_pk, commit_hash=None):
    return messages.message_open(
        envelope,
        epoch_secret=opened.epoch_secret,
        commit_hash=commit_hash or opened.commit_hash,
        sender_sig_pk=sig_pk,
    )


def test_the_untampered_message_opens(keys, opened, envelope):
    content = open_envelope(envelope, opened, pub(keys, "visitor_sig"))
    assert content.decode() == "J'ai besoin de la PrEP"


@pytest.mark.parametrize("field", ENVELOPE_TAMPERS)
def test_a_tampered_message_field_breaks_the_signature(keys, opened, envelope, field):
    with pytest.raises(CryptoError):
        open_envelope(ENVELOPE_TAMPERS[field](envelope), opened, pub(keys, "visitor_sig"))


@pytest.mark.parametrize("field", ENVELOPE_TAMPERS)
def test_a_tampered_message_field_fails_decryption_even_when_re_signed(
    keys, opened, envelope, field
):
    """A member holding the epoch secret and a signing key still cannot move a message."""
    tampered = ENVELOPE_TAMPERS[field](envelope)
    aad = messages.message_aad(
        conversation_id=tampered.conversation_id,
        epoch=tampered.epoch,
        commit_hash=opened.commit_hash,
        sender=tampered.sender,
        stream=tampered.stream,
        seq=tampered.seq,
        content_type=tampered.content_type,
    )
    resigned = replace(
        tampered, sig=suite1.sign(keys["visitor_sig"], messages.signature_input(aad, tampered.ct))
    )
    with pytest.raises(CryptoError):
        open_envelope(resigned, opened, pub(keys, "visitor_sig"))


def test_a_message_under_another_commit_hash_fails(keys, opened, envelope):
    with pytest.raises(CryptoError):
        open_envelope(envelope, opened, pub(keys, "visitor_sig"), commit_hash=b"\x09" * 32)


def test_a_message_signed_by_someone_else_is_refused(keys, opened, envelope):
    with pytest.raises(CryptoError):
        open_envelope(envelope, opened, pub(keys, "device_sig"))


@pytest.mark.parametrize(
    "padded",
    [
        bytes(255),
        bytes(257),
        (300).to_bytes(4, "big") + bytes(252),
        (1).to_bytes(4, "big") + b"a\x01" + bytes(250),
    ],
    ids=["short", "not-a-bucket", "length-overflow", "nonzero-padding"],
)
def test_bad_padding_is_refused(padded):
    with pytest.raises(CryptoError):
        messages.unpad(padded)


CERT_TAMPERS = {
    "device_id": lambda c: replace(c, device_id=str(uuid.uuid4())),
    "role": lambda c: replace(c, role="interpreter"),
    "kem_pk": lambda c: replace(c, kem_pk=suite1.public_bytes(suite1.private_key_generate())),
    "sig_pk": lambda c: replace(c, sig_pk=suite1.public_bytes(suite1.private_key_generate())),
    "not_after": lambda c: replace(c, not_after=c.not_after + 1),
    "sig": lambda c: replace(c, sig=flip(c.sig)),
}


@pytest.fixture(scope="module")
def cert(keys):
    return certs.cert_sign(
        admin_key=keys["admin"],
        device_id=DEVICE,
        role="staff",
        kem_pk=pub(keys, "device_kem"),
        sig_pk=pub(keys, "device_sig"),
        not_after=NOW + 3600,
    )


@pytest.mark.parametrize("field", CERT_TAMPERS)
def test_a_tampered_certificate_is_refused(keys, cert, field):
    with pytest.raises(CryptoError):
        certs.cert_verify(CERT_TAMPERS[field](cert), admin_pk=pub(keys, "admin"), now=NOW)


def test_a_certificate_is_refused_when_expired_of_another_role_or_admin(keys, cert):
    certs.cert_verify(cert, admin_pk=pub(keys, "admin"), now=NOW, role="staff")
    with pytest.raises(CryptoError):
        certs.cert_verify(cert, admin_pk=pub(keys, "admin"), now=NOW + 3600)
    with pytest.raises(CryptoError):
        certs.cert_verify(cert, admin_pk=pub(keys, "admin"), now=NOW, role="interpreter")
    with pytest.raises(CryptoError):
        certs.cert_verify(cert, admin_pk=pub(keys, "team"), now=NOW)


def test_a_team_wrap_opens_only_for_its_device_and_announced_key(keys):
    announcement = certs.team_key_sign(
        admin_key=keys["admin"], version=1, pk=pub(keys, "team"), not_after=NOW + 3600
    )
    wrap = certs.team_wrap_seal(
        team_key=keys["team"], version=1, device_id=DEVICE, device_kem_pk=pub(keys, "device_kem")
    )
    opened_key = certs.team_wrap_open(
        wrap, device_kem_key=keys["device_kem"], device_id=DEVICE, announcement=announcement
    )
    assert suite1.public_bytes(opened_key) == pub(keys, "team")
    with pytest.raises(CryptoError):
        certs.team_wrap_open(
            wrap,
            device_kem_key=keys["device_kem"],
            device_id=str(uuid.uuid4()),
            announcement=announcement,
        )
    impostor = certs.team_key_sign(
        admin_key=keys["admin"], version=1, pk=pub(keys, "visitor_kem"), not_after=NOW + 3600
    )
    with pytest.raises(CryptoError):
        certs.team_wrap_open(
            wrap, device_kem_key=keys["device_kem"], device_id=DEVICE, announcement=impostor
        )
    forged = replace(announcement, not_after=NOW + 7200)
    with pytest.raises(CryptoError):
        certs.team_key_verify(forged, admin_pk=pub(keys, "admin"))
