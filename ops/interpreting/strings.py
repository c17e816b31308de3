"""Translated text of the interpreter hand-off's JavaScript, merged into the
staff pages' string tables (ops/page_strings.py; ops/static/ops/strings.js reads them).
Placeholders are ``{name}``."""

from __future__ import annotations

from django.utils.translation import gettext as _


def shared() -> dict[str, str]:
    """What staff and interpreters both see: the lines drawn from the signed commits."""
    return {
        "interpreter.joined": _("An interpreter ({language}) joined the conversation."),
        "interpreter.left": _("The interpreter ({language}) left the conversation."),
    }


def staff_side() -> dict[str, str]:
    """The interpreter panel of a conversation in the staff workspace."""
    return {
        **shared(),
        "interpreter.language": _("Interpreter language"),
        "interpreter.ask": _("Ask for an interpreter"),
        "interpreter.cancel": _("Cancel the request"),
        "interpreter.remove": _("Remove the interpreter"),
        "interpreter.on_call": _("On call now: {languages}"),
        "interpreter.none_on_call": _("No interpreter is on call now."),
        "interpreter.pending": _("Waiting for an interpreter ({language}) until {until}…"),
        "interpreter.accepted": _("An interpreter ({language}) took the request, until {until}."),
        "interpreter.expired": _("Nobody accepted in time ({language})."),
        "interpreter.cancelled": _("Request cancelled ({language})."),
        "interpreter.ended_left": _("The interpreter ({language}) left."),
        "interpreter.ended_removed": _("The interpreter ({language}) was removed."),
        "interpreter.ended_time_limit": _("The interpreter's time ({language}) is up."),
        "interpreter.making_epoch": _("Changing the conversation's key…"),
        "interpreter.epoch_failed": _("The conversation's key could not be changed: {reason}"),
        # On the panel's button, beside "Interpreter", while the panel may be closed.
        "interpreter.badge_pending": _("requested"),
        "interpreter.badge_accepted": _("present"),
    }


def interpreter_page() -> dict[str, str]:
    """The interpreter's own page (/staff/interpreter/)."""
    return {
        **shared(),
        "room.on_call_until": _("On call until {until}."),
        "room.off_call": _("You are not on call."),
        "room.no_offers": _("No request for now."),
        "room.offer": _("{language}: answer before {until}"),
        "room.title": _("Conversation in {language}, until {until}"),
        "room.accept": _("Accept"),
        "room.taken": _("Another interpreter already took this request."),
        "room.withdrawn": _("A request was withdrawn."),
        "room.new_offer": _("New request: {language}"),
        "room.waiting_key": _("Accepted. Waiting for the staff to add you to the conversation…"),
        "room.joined": _("You are in the conversation. You see only what is written from now on."),
        "room.ended_left": _("You left the conversation."),
        "room.ended_removed": _("The staff ended your part in the conversation."),
        "room.ended_time_limit": _("Your time in the conversation is up."),
        "room.ended": _("Your part in this conversation has ended. Nothing more is shown."),
        "room.leave_confirm": _("Leave the conversation? You will not see anything more of it."),
        "party.staff": _("Staff"),
    }
