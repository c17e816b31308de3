"""What ties a staff socket to its session and its device (issue 10), mixed into
StaffConsumer.

- At the handshake, the session must be on record as fully signed in (password and
  second factor), asked through the ``CHAT_STAFF_SESSION_CHECK`` hook: a session cookie
  alone is not enough (the consumer closes with 4401, as for no session).
- The socket joins its session's group: signing out, "sign out everywhere" and a
  revocation that ends the session send ``session.ended`` there → close 4401.
- From ``device.auth`` on, it is in its device's group: revoking the device sends
  ``device.revoked`` → close 4403 at once, whatever the socket was doing. The group is
  joined before the device is checked, so a revocation between the check and the join
  cannot be missed. The session is then bound to the device (``CHAT_STAFF_DEVICE_BOUND``),
  so revoking the device ends the session too.

Both close codes are final for clients (they do not reconnect): the person signs in
again. Without the hooks (chat alone, no staff side), any signed-in session is taken.
"""

from __future__ import annotations

from chat.consumers.base import group_change
from chat.db import db_call
from chat.events import staff_device_group, staff_session_group
from chat.hooks import hook

CLOSE_SESSION_ENDED = 4401
CLOSE_DEVICE_REVOKED = 4403


class StaffSessionGuard:
    session_group: str | None = None
    device_group: str | None = None

    def session_key(self) -> str | None:
        session = self.scope.get("session")
        return getattr(session, "session_key", None) if session is not None else None

    async def session_admit(self) -> bool:
        """Whether this socket's session may open a staff socket (see the module)."""
        check = hook("CHAT_STAFF_SESSION_CHECK")
        if check is None:
            return True
        user = self.scope.get("user")
        key = self.session_key()
        if not key or user is None or not user.is_authenticated:
            return False
        # Joined first: an end sent while we check still reaches this socket.
        self.session_group = staff_session_group(key)
        await group_change(self.channel_layer.group_add, self.session_group, self.channel_name)
        if await db_call(check)(session_key=key, user_id=user.pk):
            return True
        await self.session_guard_leave()
        return False

    async def device_watch(self, device_id: str) -> None:
        """Before ``device.auth`` is checked: follow the device's revocation."""
        await self.device_unwatch()
        self.device_group = staff_device_group(device_id)
        await group_change(self.channel_layer.group_add, self.device_group, self.channel_name)

    async def device_unwatch(self) -> None:
        if self.device_group is not None:
            group, self.device_group = self.device_group, None
            await group_change(self.channel_layer.group_discard, group, self.channel_name)

    async def device_bound(self, device_id: str) -> None:
        """``device.auth`` succeeded: revoking this device will end this session."""
        bind = hook("CHAT_STAFF_DEVICE_BOUND")
        if bind is not None:
            await db_call(bind)(session_key=self.session_key(), device_id=device_id)

    async def session_guard_leave(self) -> None:
        await self.device_unwatch()
        if self.session_group is not None:
            group, self.session_group = self.session_group, None
            await group_change(self.channel_layer.group_discard, group, self.channel_name)

    # -- group messages ----------------------------------------------------------------

    async def device_revoked(self, event: dict) -> None:
        await self.close(CLOSE_DEVICE_REVOKED)

    async def session_ended(self, event: dict) -> None:
        await self.close(CLOSE_SESSION_ENDED)

    async def conversation_blocked(self, event: dict) -> None:
        """Sent to a blocked conversation's group for its visitor (ops/abuse.py); staff
        dashboards learn it from ``queue.changed``."""
