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
from chat.crypto.schema import PublicKey, SafeInt, Signature, SuiteId, Uuid

PROTOCOL_VERSION = 1
TOKEN_LEN = 32
NONCE_LEN = 32

Ref = Annotated[str, msgspec.Meta(pattern="^[A-Za-z0-9_-]{1,64}$")]
Language = Annotated[str, msgspec.Meta(pattern="^[a-zA-Z-]{2,16}$")]
CampaignCode = Annotated[str, msgspec.Meta(pattern="^[A-Za-z0-9_-]{1,32}$")]
Token = Annotated[bytes, msgspec.Meta(min_length=TOKEN_LEN, max_length=TOKEN_LEN)]
Wraps = Annotated[list[Wrap], msgspec.Meta(min_length=2, max_length=MEMBERS_MAX)]
DeviceIds = Annotated[list[Uuid], msgspec.Meta(min_length=1, max_length=32)]
# Issue 7, return codes (§10): the lookup id derived from a code, and the state the
# visitor's client sealed with the code's key.
Lookup = Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]
SealedState = Annotated[bytes, msgspec.Meta(min_length=28, max_length=1024)]


class ClientFrame(
    msgspec.Struct, tag_field="type", forbid_unknown_fields=True, frozen=True, kw_only=True
):
    ref: Ref | None = None


class ConversationOpen(ClientFrame, tag="conversation.open", kw_only=True):
    suite: SuiteId
    language: Language
    campaign: CampaignCode | None
    visitor_kem_pk: PublicKey
    visitor_sig_pk: PublicKey


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
    """Visitor only (issue 7): delete this conversation for everyone, now."""

    conversation_id: Uuid


class ReturnCodeSet(ClientFrame, tag="return_code.set", kw_only=True):
    """Visitor only (issue 7): store a new return code for this conversation."""

    conversation_id: Uuid
    lookup: Lookup
    sealed: SealedState


class ReturnCodeRevoke(ClientFrame, tag="return_code.revoke", kw_only=True):
    """Visitor only (issue 7): turn this conversation's return code off."""

    conversation_id: Uuid


class ReturnCodeOpen(ClientFrame, tag="return_code.open", kw_only=True):
    """Visitor only (issue 7), before or after open/resume: the sealed state stored
    under this lookup."""

    lookup: Lookup


SHARED_FRAMES = (CommitSubmit, EnvelopeSend, ReceiptSend, Sync, CertsGet, Ping)
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
    protocol: int
    suites: list[int]
    max_frame: int
    nonce: bytes | None = None


class ConversationOpened(ServerFrame, tag="conversation.opened", kw_only=True):
    ref: str | None = None
    conversation_id: str
    token: bytes
    admin_pk: bytes
    team_key: TeamKeyAnnouncement
    expires_after_days: int


class ConversationResumed(ServerFrame, tag="conversation.resumed", kw_only=True):
    ref: str | None = None
    conversation_id: str
    state: str
    current_epoch: int
    last_order: int
    admin_pk: bytes
    team_key: TeamKeyAnnouncement
    expires_after_days: int


class TeamKeyForDevice(msgspec.Struct, frozen=True, kw_only=True):
    announcement: TeamKeyAnnouncement
    wrap: bytes | None


class DeviceReady(ServerFrame, tag="device.ready", kw_only=True):
    ref: str | None = None
    device_id: str
    role: str
    cert: DeviceCert
    admin_pk: bytes
    team_keys: list[TeamKeyForDevice]


class ConversationSummary(msgspec.Struct, frozen=True, kw_only=True):
    conversation_id: str
    state: str
    language: str
    created_at: int
    last_activity_at: int
    last_order: int
    current_epoch: int


class ConversationListed(ServerFrame, tag="conversation.list", kw_only=True):
    ref: str | None = None
    conversations: list[ConversationSummary]


class ConversationState(ServerFrame, tag="conversation.state", kw_only=True):
    ref: str | None = None
    conversation_id: str
    state: str
    language: str
    visitor_kem_pk: bytes
    visitor_sig_pk: bytes
    current_epoch: int
    last_order: int


class CommitDelivered(ServerFrame, tag="commit", kw_only=True):
    conversation_id: str
    order: int
    commit: Commit
    signature: bytes
    wrap: Wrap | None


class EnvelopeDelivered(ServerFrame, tag="envelope", kw_only=True):
    conversation_id: str
    order: int
    received_at: int
    envelope: Envelope


class SyncDone(ServerFrame, tag="sync.done", kw_only=True):
    ref: str | None = None
    conversation_id: str
    last_order: int


class Ack(ServerFrame, tag="ack", kw_only=True):
    ref: str | None = None
    conversation_id: str
    order: int
    duplicate: bool


class Receipt(ServerFrame, tag="receipt", kw_only=True):
    conversation_id: str
    kind: str
    order: int
    by: str


class Certs(ServerFrame, tag="certs", kw_only=True):
    ref: str | None = None
    certs: list[DeviceCert]


class ConversationActivity(ServerFrame, tag="conversation.activity", kw_only=True):
    conversation_id: str
    last_order: int
    event: str


class Pong(ServerFrame, tag="pong", kw_only=True):
    ref: str | None = None
    last_orders: dict[str, int]


class HelplineStatus(ServerFrame, tag="helpline.status", kw_only=True):
    # No defaults: omit_defaults would leave a false or a null out of the frame.
    open: bool
    someone_here: bool
    next_opening: int | None


class StaffEvent(ServerFrame, tag="staff.event", kw_only=True):
    """Routing, presence and shift news for the dashboard (the names and their data are
    in ops/README.md): chat relays them without looking inside."""

    event: str
    data: dict[str, Any]


class ConversationDeleted(ServerFrame, tag="conversation.deleted", kw_only=True):
    """The conversation is gone from the server (issue 7): the visitor deleted it
    (`reason` "visitor"; with `ref`, the answer to their `conversation.delete`) or it
    expired ("expiry"). Sent to every socket that follows it."""

    ref: str | None = None
    conversation_id: str
    reason: str


class ReturnCodeSaved(ServerFrame, tag="return_code.saved", kw_only=True):
    ref: str | None = None
    conversation_id: str


class ReturnCodeRevoked(ServerFrame, tag="return_code.revoked", kw_only=True):
    ref: str | None = None
    conversation_id: str


class ReturnCodeFound(ServerFrame, tag="return_code.found", kw_only=True):
    ref: str | None = None
    sealed: bytes


class Error(ServerFrame, tag="error", kw_only=True):
    ref: str | None = None
    code: str
    message: str
    retry_after_ms: int | None = None


# Every frame the server sends, as one tagged union: clients decode with it, and tests
# decode every frame they receive with it, so a frame that drifts from §8.1 fails.
SERVER_FRAMES = Union[  # noqa: UP007 — msgspec wants a typing.Union of tagged structs
    Hello,
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
    StaffEvent,
    ConversationDeleted,
    ReturnCodeSaved,
    ReturnCodeRevoked,
    ReturnCodeFound,
    Error,
]
