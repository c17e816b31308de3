"""Typed errors of the staff side. Services raise them (and chat's own ChatError
subclasses); ops/api.py maps every one of them to an HTTP status and code in one place."""

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
