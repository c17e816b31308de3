"""Message encryption: per-stream keys, nonces, AAD, padding, signatures (protocol.md §6)."""

from __future__ import annotations

from chat.crypto import suite1
from chat.crypto.encoding import label, lp, lps, u8, u32, u64
from chat.crypto.errors import BadObject
from chat.crypto.schema import (
    ContentType,
    Epoch,
    MessageCiphertext,
    PartyId,
    SafeInt,
    Signature,
    Stream,
    Struct,
    Uuid,
)

BUCKETS = (256, 1024, 4096, 16384, 32768)
MAX_CONTENT = BUCKETS[-1] - 4
STREAM_LEN = 16


class Envelope(Struct):
    conversation_id: Uuid
    epoch: Epoch
    sender: PartyId
    stream: Stream
    seq: SafeInt
    content_type: ContentType
    ct: MessageCiphertext
    sig: Signature

    def __post_init__(self) -> None:
        # Padding (§6.2) makes every plaintext a bucket, so a ct of any other length was
        # not made by a client of this protocol and could never open: refused as a
        # field that fails its schema, before anything is stored.
        if len(self.ct) - suite1.AEAD_TAG_LEN not in BUCKETS:
            raise ValueError("ct must be a padding bucket plus the 16-byte tag")


def message_keys(
    epoch_secret: bytes, *, conversation_id: str, epoch: int, sender: str, stream: bytes
) -> tuple[bytes, bytes]:
    """(key, nonce_base) of one sender stream in one epoch."""
    info = label("message-key") + lps(conversation_id) + u32(epoch) + lps(sender) + lp(stream)
    okm = suite1.hkdf(epoch_secret, info, 44)
    return okm[:32], okm[32:]


def message_nonce(nonce_base: bytes, seq: int) -> bytes:
    counter = u32(0) + u64(seq)
    return bytes(a ^ b for a, b in zip(nonce_base, counter, strict=True))


def message_aad(
    *,
    conversation_id: str,
    epoch: int,
    commit_hash: bytes,
    sender: str,
    stream: bytes,
    seq: int,
    content_type: str,
) -> bytes:
    return (
        label("message")
        + u8(suite1.SUITE_ID)
        + lps(conversation_id)
        + u32(epoch)
        + lp(commit_hash)
        + lps(sender)
        + lp(stream)
        + u64(seq)
        + lps(content_type)
    )


def pad(content: bytes) -> bytes:
    if len(content) > MAX_CONTENT:
        raise BadObject("content too long")
    size = next(bucket for bucket in BUCKETS if bucket >= len(content) + 4)
    return u32(len(content)) + content + bytes(size - 4 - len(content))


def unpad(padded: bytes) -> bytes:
    if len(padded) not in BUCKETS:
        raise BadObject("padded length is not a bucket")
    length = int.from_bytes(padded[:4], "big")
    if length > len(padded) - 4 or any(padded[4 + length :]):
        raise BadObject("bad padding")
    return padded[4 : 4 + length]


def signature_input(aad: bytes, ct: bytes) -> bytes:
    return label("message-signature") + lp(aad) + lp(ct)


def message_seal(
    *,
    epoch_secret: bytes,
    commit_hash: bytes,
    conversation_id: str,
    epoch: int,
    sender: str,
    stream: bytes,
    seq: int,
    content_type: str,
    content: bytes,
    sender_key: suite1.PrivateKey,
) -> Envelope:
    key, nonce_base = message_keys(
        epoch_secret, conversation_id=conversation_id, epoch=epoch, sender=sender, stream=stream
    )
    aad = message_aad(
        conversation_id=conversation_id,
        epoch=epoch,
        commit_hash=commit_hash,
        sender=sender,
        stream=stream,
        seq=seq,
        content_type=content_type,
    )
    ct = suite1.aead_encrypt(key, message_nonce(nonce_base, seq), pad(content), aad)
    return Envelope(
        conversation_id=conversation_id,
        epoch=epoch,
        sender=sender,
        stream=stream,
        seq=seq,
        content_type=content_type,
        ct=ct,
        sig=suite1.sign(sender_key, signature_input(aad, ct)),
    )


def message_open(
    envelope: Envelope, *, epoch_secret: bytes, commit_hash: bytes, sender_sig_pk: bytes
) -> bytes:
    """Verify the sender's signature, decrypt and unpad; return the content bytes."""
    aad = message_aad(
        conversation_id=envelope.conversation_id,
        epoch=envelope.epoch,
        commit_hash=commit_hash,
        sender=envelope.sender,
        stream=envelope.stream,
        seq=envelope.seq,
        content_type=envelope.content_type,
    )
    suite1.verify(sender_sig_pk, signature_input(aad, envelope.ct), envelope.sig)
    key, nonce_base = message_keys(
        epoch_secret,
        conversation_id=envelope.conversation_id,
        epoch=envelope.epoch,
        sender=envelope.sender,
        stream=envelope.stream,
    )
    padded = suite1.aead_decrypt(key, message_nonce(nonce_base, envelope.seq), envelope.ct, aad)
    return unpad(padded)
