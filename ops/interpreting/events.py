"""The interpreter hand-off's ``staff.event`` frames (ops/README.md) and the JSON shape
they share with the API. Never message content; interpreters are offered a language
and a deadline, never a conversation id, until they accepted."""

from __future__ import annotations

from chat.events import STAFF_GROUP, Event, interpreter_user_group
from ops.interpreting.models import InterpreterRequest
from ops.routing.events import staff_event, unix


def member_label(language: str) -> str:
    """The commit member's label (docs/protocol.md §5.3): what visitors and staff show
    as "an interpreter (Bulgarian)" from the signed commit."""
    return f"interpreter:{language}"


def request_json(request: InterpreterRequest, *, rekey_due: bool | None = None) -> dict:
    data = {
        "request_id": request.pk,
        "conversation_id": str(request.conversation_id),
        "language": request.language,
        "state": request.state,
        "requested_by": request.requested_by_id,
        "device_id": str(request.device_id) if request.device_id else None,
        "label": member_label(request.language),
        "created_at": unix(request.created_at),
        "expires_at": unix(request.expires_at),
        "accepted_at": unix(request.accepted_at),
        "ends_at": unix(request.ends_at),
        "ended_at": unix(request.ended_at),
        "end_reason": request.end_reason,
    }
    if rekey_due is not None:
        data["rekey_due"] = rekey_due
    return data


def offer_json(request: InterpreterRequest) -> dict:
    return {
        "request_id": request.pk,
        "language": request.language,
        "expires_at": unix(request.expires_at),
    }


def request_changed(
    request: InterpreterRequest, *, offered_to: int | None = None, rekey_due: bool | None = None
) -> Event:
    """To every staff dashboard: a request was made, accepted, cancelled, expired, or its
    interpreter left (``rekey_due``: an epoch without them is to be made)."""
    data = request_json(request, rekey_due=rekey_due)
    if offered_to is not None:
        data["offered_to"] = offered_to
    return staff_event(STAFF_GROUP, "interpreter.changed", data)


def offered(user_id: int, request: InterpreterRequest) -> Event:
    """To an interpreter on call for the language."""
    return staff_event(interpreter_user_group(user_id), "interpreter.offered", offer_json(request))


def withdrawn(user_id: int, request: InterpreterRequest) -> Event:
    """To the interpreters who were offered it: taken by someone else, cancelled or
    expired (``state``)."""
    data = {"request_id": request.pk, "state": request.state}
    return staff_event(interpreter_user_group(user_id), "interpreter.withdrawn", data)


def assignment_ended(user_id: int, request: InterpreterRequest) -> Event:
    """To the interpreter's other pages: their part in the conversation is over."""
    data = {"request_id": request.pk, "end_reason": request.end_reason}
    return staff_event(interpreter_user_group(user_id), "interpreter.ended", data)
