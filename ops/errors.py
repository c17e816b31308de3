"""Typed errors of the staff side. Services raise them (and chat's own ChatError
subclasses); ops/jsonapi.py maps every one of them to an HTTP status and code in one place."""

from __future__ import annotations

from chat.errors import ChatError


class OpsError(ChatError):
    """A staff-side action was refused; nothing was stored."""


class NotFound(OpsError):
    """No such object, or not one this person may see (the two answer alike)."""


class RoleNotAllowed(OpsError):
    """The staff profile does not allow a device of this role."""


class AdminKeyExists(OpsError):
    """The helpline already has an admin key; replacing it must be asked for explicitly."""


class TooManyPendingDevices(OpsError):
    """This person already has several devices waiting for certification."""


class NotRoutable(OpsError):
    """This account takes no conversations (an interpreter, or no staff profile)."""


class NotOnShift(OpsError):
    """The staff member is not on a shift open now (a coordinator may act all the same)."""


class OverCapacity(OpsError):
    """The staff member already has as many open conversations as their capacity."""


class AlreadyClaimed(OpsError):
    """Someone else took this conversation first."""


class NotYours(OpsError):
    """The conversation is assigned to someone else (only they or a coordinator may act)."""


class RouteStateConflict(OpsError):
    """The conversation is not in a state this action applies to (e.g. not assigned)."""


class RotaInvalid(OpsError):
    """A slot, shift or closure that cannot be: empty, unknown staff, bad dates."""
