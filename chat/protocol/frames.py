"""Every websocket frame of protocol v1, with its schema and limits (docs/protocol.md §8).

Client frames are decoded and validated in one pass by msgspec (types, lengths, base64,
patterns, unknown fields refused); server frames are encoded from the same kind of
structs so what we send is what the document says.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

import msgspec

from chat.crypto.certs import DeviceCert, TeamKeyAnnouncement
from chat.crypto.commits import MEMBERS_MAX, Commit, Wrap
from chat.crypto.messages import Envelope
from chat.crypto.schema import (
    Epoch,
    PublicKey,
    Role,
    SafeInt,
    Signature,
    SuiteId,
    Uuid,
    WrapBytes,
)
from chat.protocol.errors import ErrorCode

PROTOCOL_VERSION = 1
TOKEN_LEN = 32
NONCE_LEN = 32

Ref = Annotated[str, msgspec.Meta(pattern="^[A-Za-z0-9_-]{1,64}$")]
Language = Annotated[str, msgspec.Meta(pattern="^[a-zA-Z-]{2,16}$")]
CampaignCode = Annotated[str, msgspec.Meta(pattern="^[A-Za-z0-9_-]{1,32}$")]
Token = Annotated[bytes, msgspec.Meta(min_length=TOKEN_LEN, max_length=TOKEN_LEN)]
Wraps = Annotated[list[Wrap], msgspec.Meta(min_length=2, max_length=MEMBERS_MAX)]
DeviceIds = Annotated[list[Uuid], msgspec.Meta(min_length=1, max_length=32)]
# Return codes (§10): the lookup id derived from a code, and the state the
# visitor's client sealed with the code's key.
Lookup = Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]
SealedState = Annotated[bytes, msgspec.Meta(min_length=28, max_length=1024)]
Nonce = Annotated[bytes, msgspec.Meta(min_length=NONCE_LEN, max_length=NONCE_LEN)]
ConversationStateName = Literal["open", "closed"]
# The proof of work before an open (§8.3.1, chat/open_challenge.py): ALTCHA v1.
Sha256Hex = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]
PowSalt = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{24}\\?expires=[0-9]{1,12}&$")]


class ClientFrame(
    msgspec.Struct, tag_field="type", forbid_unknown_fields=True, frozen=True, kw_only=True
):
    ref: Ref | None = None


class OpenPow(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """A solved `open.challenge`: the challenge as it came, and the number found."""

    algorithm: Literal["SHA-256"]
    challenge: Sha256Hex
    salt: PowSalt
    hmac: Sha256Hex
    number: SafeInt


class ConversationOpen(ClientFrame, tag="conversation.open", kw_only=True):
    suite: SuiteId
    language: Language
    campaign: CampaignCode | None
    visitor_kem_pk: PublicKey
    visitor_sig_pk: PublicKey
    # Required in fact (refused `pow_required` without it); optional in the schema so a
    # client without one is told what to do rather than `bad_frame`.
    pow: OpenPow | None = None


class ConversationResume(ClientFrame, tag="conversation.resume", kw_only=True):
    token: Token
    after: SafeInt


class CommitSubmit(ClientFrame, tag="commit.submit", kw_only=True):
    conversation_id: Uuid
    commit: Commit
    signature: Signature
    wraps: Wraps


class EnvelopeSend(ClientFrame, tag="envelope.send", kw_only=True):
    envelope: Envelope


class ReceiptSend(ClientFrame, tag="receipt", kw_only=True):
    conversation_id: Uuid
    kind: Literal["delivered", "read"]
    order: SafeInt


class Sync(ClientFrame, tag="sync", kw_only=True):
    conversation_id: Uuid
    after: SafeInt


class CertsGet(ClientFrame, tag="certs.get", kw_only=True):
    device_ids: DeviceIds


class Ping(ClientFrame, tag="ping", kw_only=True):
    pass


class DeviceAuth(ClientFrame, tag="device.auth", kw_only=True):
    device_id: Uuid
    signature: Signature


class ConversationList(ClientFrame, tag="conversation.list", kw_only=True):
    pass


class ConversationSubscribe(ClientFrame, tag="conversation.subscribe", kw_only=True):
    conversation_id: Uuid
    after: SafeInt


class ConversationUnsubscribe(ClientFrame, tag="conversation.unsubscribe", kw_only=True):
    conversation_id: Uuid


class ConversationDelete(ClientFrame, tag="conversation.delete", kw_only=True):
    """Visitor only: delete this conversation for everyone, now."""

    conversation_id: Uuid


class ReturnCodeSet(ClientFrame, tag="return_code.set", kw_only=True):
    """Visitor only: store a new return code for this conversation."""

    conversation_id: Uuid
    lookup: Lookup
    sealed: SealedState


class ReturnCodeRevoke(ClientFrame, tag="return_code.revoke", kw_only=True):
    """Visitor only: turn this conversation's return code off."""

    conversation_id: Uuid


class ReturnCodeOpen(ClientFrame, tag="return_code.open", kw_only=True):
    """Visitor only, before or after open/resume: the sealed state stored
    under this lookup."""

    lookup: Lookup


class TypingSend(ClientFrame, tag="typing", kw_only=True):
    """Someone is typing in this conversation: an envelope of content type `event`
    holding `{"kind": "typing"}`, padded to the smallest bucket, relayed to the others at
    once and never stored (docs/protocol.md §6.5)."""

    envelope: Envelope


SHARED_FRAMES = (CommitSubmit, EnvelopeSend, ReceiptSend, Sync, CertsGet, Ping, TypingSend)
VISITOR_FRAMES = (
    ConversationOpen,
    ConversationResume,
    ConversationDelete,
    ReturnCodeSet,
    ReturnCodeRevoke,
    ReturnCodeOpen,
    *SHARED_FRAMES,
)
STAFF_FRAMES = (
    DeviceAuth,
    ConversationList,
    ConversationSubscribe,
    ConversationUnsubscribe,
    *SHARED_FRAMES,
)


class ServerFrame(msgspec.Struct, tag_field="type", omit_defaults=True, frozen=True, kw_only=True):
    pass


class Hello(ServerFrame, tag="hello", kw_only=True):
    # No defaults: omit_defaults would leave these out of the frame.
    protocol: SafeInt
    suites: list[SuiteId]
    max_frame: SafeInt
    nonce: Nonce | None = None


class OpenChallenge(ServerFrame, tag="open.challenge", kw_only=True):
    """What a new conversation costs now (§8.3.1). Sent to visitor sockets after
    `hello`, and again with every `pow_required`."""

    algorithm: Literal["SHA-256"]
    challenge: Sha256Hex
    max_number: SafeInt
    salt: PowSalt
    # ALTCHA's "signature": the server's HMAC-SHA-256 of the challenge, in hex (named
    # apart from the protocol's base64 `signature` fields).
    hmac: Sha256Hex


class ConversationOpened(ServerFrame, tag="conversation.opened", kw_only=True):
    ref: Ref | None = None
    conversation_id: Uuid
    token: Token
    admin_pk: PublicKey
    team_key: TeamKeyAnnouncement
    expires_after_days: SafeInt


class ConversationResumed(ServerFrame, tag="conversation.resumed", kw_only=True):
    ref: Ref | None = None
    conversation_id: Uuid
    state: ConversationStateName
    current_epoch: Epoch | None  # null: no commit yet (protocol.md §8.1)
    last_order: SafeInt
    admin_pk: PublicKey
    team_key: TeamKeyAnnouncement
    expires_after_days: SafeInt


class TeamWrap(msgspec.Struct, frozen=True, kw_only=True):
    """A team wrap as its device receives it (§4.4): the device KEM key it is sealed to
    (the certificate's or a wrap key the device published) and the HPKE ciphertext."""

    kem_pk: PublicKey
    ct: WrapBytes


class TeamKeyForDevice(msgspec.Struct, frozen=True, kw_only=True):
    announcement: TeamKeyAnnouncement
    wrap: TeamWrap | None


class DeviceReady(ServerFrame, tag="device.ready", kw_only=True):
    ref: Ref | None = None
    device_id: Uuid
    role: Role
    cert: DeviceCert
    admin_pk: PublicKey
    team_keys: list[TeamKeyForDevice]


class ConversationSummary(msgspec.Struct, frozen=True, kw_only=True):
    conversation_id: Uuid
    state: ConversationStateName
    language: Language
    created_at: SafeInt
    last_activity_at: SafeInt
    last_order: SafeInt
    current_epoch: Epoch | None  # null: no commit yet (protocol.md §8.1)


class ConversationListed(ServerFrame, tag="conversation.list", kw_only=True):
    ref: Ref | None = None
    conversations: list[ConversationSummary]


class ConversationState(ServerFrame, tag="conversation.state", kw_only=True):
    ref: Ref | None = None
    conversation_id: Uuid
    state: ConversationStateName
    language: Language
    visitor_kem_pk: PublicKey
    visitor_sig_pk: PublicKey
    current_epoch: Epoch | None  # null: no commit yet (protocol.md §8.1)
    last_order: SafeInt


class CommitDelivered(ServerFrame, tag="commit", kw_only=True):
    conversation_id: Uuid
    order: SafeInt
    commit: Commit
    signature: Signature
    wrap: Wrap | None


class EnvelopeDelivered(ServerFrame, tag="envelope", kw_only=True):
    conversation_id: Uuid
    order: SafeInt
    received_at: SafeInt
    envelope: Envelope


class SyncDone(ServerFrame, tag="sync.done", kw_only=True):
    ref: Ref | None = None
    conversation_id: Uuid
    last_order: SafeInt
    # A backlog is sent a page at a time (CHAT_SYNC_PAGE_BYTES): true when items after
    # `last_order` were left for the next `sync`, which the client sends once it has
    # applied these.
    more: bool = False


class Ack(ServerFrame, tag="ack", kw_only=True):
    ref: Ref | None = None
    conversation_id: Uuid
    order: SafeInt
    duplicate: bool


class Receipt(ServerFrame, tag="receipt", kw_only=True):
    conversation_id: Uuid
    kind: Literal["delivered", "read"]
    order: SafeInt
    by: Literal["visitor", "staff", "interpreter"]


class Certs(ServerFrame, tag="certs", kw_only=True):
    ref: Ref | None = None
    certs: list[DeviceCert]


class ConversationActivity(ServerFrame, tag="conversation.activity", kw_only=True):
    conversation_id: Uuid
    last_order: SafeInt
    event: Literal["opened", "message", "commit"]


class Pong(ServerFrame, tag="pong", kw_only=True):
    ref: Ref | None = None
    last_orders: dict[Uuid, SafeInt]


class HelplineStatus(ServerFrame, tag="helpline.status", kw_only=True):
    # No defaults: omit_defaults would leave a false or a null out of the frame.
    open: bool
    someone_here: bool
    next_opening: SafeInt | None


class Typing(ServerFrame, tag="typing", kw_only=True):
    """Relayed `typing` (never stored, so no order): the envelope as its sender sealed it."""

    conversation_id: str
    envelope: Envelope


class ConversationRoute(ServerFrame, tag="conversation.route", kw_only=True):
    """Visitor endpoint: where the conversation stands with the team — `waiting` (in the
    queue, `ahead` conversations before it), `assigned` (someone on the team took it) or
    `closed` (the team closed it; the visitor writing again reopens it). No identifiers."""

    conversation_id: str
    state: str
    # No default: omit_defaults would leave a null out of the frame.
    ahead: int | None


class StaffEvent(ServerFrame, tag="staff.event", kw_only=True):
    """Routing, presence and shift news for the dashboard (the names and their data are
    in ops/README.md): chat relays them without looking inside."""

    event: str
    data: dict[str, Any]


class News(ServerFrame, tag="news", kw_only=True):
    """Dashboard news, coalesced so that a busy hour does not send every staff socket a
    frame per change: once per interval, to each staff socket, the newest
    `conversation.activity` and `queue.changed` of every conversation that changed since
    the last one. Clients handle each item as if it had come alone."""

    items: list[ConversationActivity | StaffEvent]


class ConversationDeleted(ServerFrame, tag="conversation.deleted", kw_only=True):
    """The conversation is gone from the server: the visitor deleted it
    (`reason` "visitor"; with `ref`, the answer to their `conversation.delete`) or it
    expired ("expiry"). Sent to every socket that follows it."""

    ref: Ref | None = None
    conversation_id: Uuid
    reason: Literal["visitor", "expiry"]


class ReturnCodeSaved(ServerFrame, tag="return_code.saved", kw_only=True):
    ref: Ref | None = None
    conversation_id: Uuid


class ReturnCodeRevoked(ServerFrame, tag="return_code.revoked", kw_only=True):
    ref: Ref | None = None
    conversation_id: Uuid


class ReturnCodeFound(ServerFrame, tag="return_code.found", kw_only=True):
    ref: Ref | None = None
    sealed: SealedState


class Error(ServerFrame, tag="error", kw_only=True):
    ref: Ref | None = None
    code: ErrorCode
    message: str
    retry_after_ms: SafeInt | None = None


# Every frame the server sends, as one tagged union: clients decode with it, and tests
# decode every frame they receive with it, so a frame that drifts from §8.1 fails.
SERVER_FRAMES = Union[  # noqa: UP007 — msgspec wants a typing.Union of tagged structs
    Hello,
    OpenChallenge,
    ConversationOpened,
    ConversationResumed,
    DeviceReady,
    ConversationListed,
    ConversationState,
    CommitDelivered,
    EnvelopeDelivered,
    SyncDone,
    Ack,
    Receipt,
    Certs,
    ConversationActivity,
    Pong,
    HelplineStatus,
    Typing,
    ConversationRoute,
    StaffEvent,
    News,
    ConversationDeleted,
    ReturnCodeSaved,
    ReturnCodeRevoked,
    ReturnCodeFound,
    Error,
]
