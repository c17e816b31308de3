"""Turning raw websocket text into a validated frame, or a ProtocolError — nothing else."""

from __future__ import annotations

from typing import Any, Union

import msgspec

from chat.protocol.errors import ErrorCode, ProtocolError
from chat.protocol.frames import STAFF_FRAMES, VISITOR_FRAMES, ClientFrame, ServerFrame

MAX_FRAME_BYTES = 65536


class _Peek(msgspec.Struct):
    """Just enough of a frame to say which type and ref it claimed, for the error frame."""

    type: Any = None
    ref: Any = None


class FrameParser:
    """Validates frames of one endpoint. ``parse`` raises only ProtocolError."""

    def __init__(self, frame_types: tuple[type[ClientFrame], ...], max_bytes: int) -> None:
        self._decoder = msgspec.json.Decoder(Union[frame_types])  # noqa: UP007
        self._types = {frame.__struct_config__.tag for frame in frame_types}
        self._peek = msgspec.json.Decoder(_Peek)
        self.max_bytes = max_bytes

    def parse(self, text: str | None, data: bytes | None = None) -> ClientFrame:
        if text is None:
            raise ProtocolError(ErrorCode.BAD_FRAME, "frames are JSON text, not binary")
        try:
            raw = text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: not text a websocket can carry
            raise ProtocolError(ErrorCode.BAD_FRAME, "frames are UTF-8 text") from None
        if len(raw) > self.max_bytes:
            # With the frame's ref when it has a readable one, so that a client matching
            # answers by ref learns which request failed (Daphne bounds what is read).
            raise ProtocolError(
                ErrorCode.TOO_LARGE, f"frame over {self.max_bytes} bytes", ref=self._ref_of(raw)
            )
        try:
            return self._decoder.decode(raw)
        except msgspec.DecodeError as exc:
            raise self._explain(raw, exc) from None
        except RecursionError:  # msgspec's answer to JSON nested thousands deep
            raise ProtocolError(ErrorCode.BAD_FRAME, "a frame nests too deeply") from None

    def _ref_of(self, raw: bytes) -> str | None:
        try:
            peek = self._peek.decode(raw)
        except (msgspec.DecodeError, RecursionError):
            return None
        return peek.ref if isinstance(peek.ref, str) and len(peek.ref) <= 64 else None

    def _explain(self, raw: bytes, exc: msgspec.DecodeError) -> ProtocolError:
        try:
            peek = self._peek.decode(raw)
        except (msgspec.DecodeError, RecursionError):
            return ProtocolError(ErrorCode.BAD_FRAME, "a frame is one JSON object")
        ref = peek.ref if isinstance(peek.ref, str) and len(peek.ref) <= 64 else None
        if not isinstance(peek.type, str) or peek.type not in self._types:
            return ProtocolError(ErrorCode.UNKNOWN_TYPE, "unknown frame type", ref=ref)
        return ProtocolError(ErrorCode.BAD_FRAME, str(exc)[:200], ref=ref)


def visitor_parser(max_bytes: int = MAX_FRAME_BYTES) -> FrameParser:
    return FrameParser(VISITOR_FRAMES, max_bytes)


def staff_parser(max_bytes: int = MAX_FRAME_BYTES) -> FrameParser:
    return FrameParser(STAFF_FRAMES, max_bytes)


_encoder = msgspec.json.Encoder()


def frame_encode(frame: ServerFrame) -> str:
    return _encoder.encode(frame).decode("utf-8")
