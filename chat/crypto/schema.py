"""Field types shared by the crypto objects and the websocket frames.

msgspec enforces them while decoding JSON (base64 → bytes, lengths, patterns), so an
object that reaches the crypto code already has the right shape.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
MAX_SAFE_INT = 2**53 - 1

Uuid = Annotated[str, msgspec.Meta(pattern=UUID_PATTERN)]
PartyId = Annotated[str, msgspec.Meta(pattern=f"^(visitor|{UUID_PATTERN[1:-1]})$")]
SafeInt = Annotated[int, msgspec.Meta(ge=0, le=MAX_SAFE_INT)]
Epoch = Annotated[int, msgspec.Meta(ge=0, le=2**32 - 1)]
# Team key versions are u32 in every signed byte string.
Version = Annotated[int, msgspec.Meta(ge=0, le=2**32 - 1)]
SuiteId = Annotated[int, msgspec.Meta(ge=1, le=255)]
PublicKey = Annotated[bytes, msgspec.Meta(min_length=65, max_length=65)]
Signature = Annotated[bytes, msgspec.Meta(min_length=64, max_length=64)]
Hash = Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]
KeyId = Annotated[bytes, msgspec.Meta(min_length=16, max_length=16)]
Stream = Annotated[bytes, msgspec.Meta(min_length=16, max_length=16)]
# An HPKE wrap of a 32-byte secret: enc (65) + 32 + tag (16).
WrapBytes = Annotated[bytes, msgspec.Meta(min_length=113, max_length=113)]
# A padded message: smallest bucket 256 + tag, largest 32,768 + tag.
MessageCiphertext = Annotated[bytes, msgspec.Meta(min_length=272, max_length=32784)]
ContentType = Annotated[str, msgspec.Meta(pattern="^[a-z0-9._/-]{1,32}$")]
MemberLabel = Annotated[str, msgspec.Meta(max_length=64)]
Reason = Annotated[str, msgspec.Meta(pattern="^(open|member_add|member_remove|rekey)$")]
Role = Annotated[str, msgspec.Meta(pattern="^(staff|interpreter)$")]


class Struct(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Base of every protocol object: unknown fields are an error, values immutable."""
