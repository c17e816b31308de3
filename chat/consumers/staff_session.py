"""What ties a staff socket to its session and its device, mixed into StaffConsumer, so a
half signed-in session, a sign-out or a revoked device cannot keep a socket open.

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

None of this needs Redis: both groups are also this process's own (chat/sockets.py),
where the notices of a revocation or an ended session arrive from the database
(chat/notices.py); and the socket's frames re-check the device and the session in the
database (``party_recheck``, at most CHAT_PARTY_RECHECK_SECONDS apart).
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from chat import selectors
from chat.db import db_call
from chat.events import staff_device_group, staff_session_group
from chat.hooks import hook
from chat.protocol.close_codes import CloseCode


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
        await self.group_join(self.session_group)
        if await db_call(check)(session_key=key, user_id=user.pk):
            return True
        await self.session_guard_leave()
        return False

    async def device_watch(self, device_id: str) -> None:
        """Before ``device.auth`` is checked: follow the device's revocation."""
        await self.device_unwatch()
        self.device_group = staff_device_group(device_id)
        await self.group_join(self.device_group)

    async def device_unwatch(self) -> None:
        if self.device_group is not None:
            group, self.device_group = self.device_group, None
            await self.group_leave(group)

    async def device_bound(self, device_id: str) -> None:
        """``device.auth`` succeeded: revoking this device will end this session."""
        bind = hook("CHAT_STAFF_DEVICE_BOUND")
        if bind is not None:
            await db_call(bind)(session_key=self.session_key(), device_id=device_id)

    async def session_guard_leave(self) -> None:
        await self.device_unwatch()
        if self.session_group is not None:
            group, self.session_group = self.session_group, None
            await self.group_leave(group)

    async def party_recheck(self) -> bool:
        """The device still certified and its owner's session still on record, asked of
        the database; else the socket closes as the group message would have it."""
        code = await db_call(staff_socket_standing)(
            device_id=self.party.id,
            user_id=self.scope["user"].pk,
            session_key=self.session_key(),
            now=timezone.now(),
        )
        if code is None:
            return True
        await self.close_for(code)
        return False

    # -- group messages ----------------------------------------------------------------

    async def device_revoked(self, event: dict) -> None:
        await self.close_for(CloseCode.REFUSED)

    async def session_ended(self, event: dict) -> None:
        await self.close_for(CloseCode.NO_SESSION)

    async def conversation_blocked(self, event: dict) -> None:
        """Sent to a blocked conversation's group for its visitor (ops/routing/abuse.py); staff
        dashboards learn it from ``queue.changed``."""


def staff_socket_standing(
    *, device_id: str, user_id: int, session_key: str | None, now: datetime
) -> int | None:
    """None while a staff socket may go on; else the code to close it with: 4403 for a
    device no longer certified (revoked, expired), 4401 for an account made inactive or
    a session ended (signed out, revoked with its device, expired)."""
    if not selectors.device_certified(device_id=device_id, user_id=user_id, now=now):
        return CloseCode.REFUSED
    if not get_user_model().objects.filter(pk=user_id, is_active=True).exists():
        return CloseCode.NO_SESSION
    check = hook("CHAT_STAFF_SESSION_CHECK")
    if check is not None and not check(session_key=session_key, user_id=user_id):
        return CloseCode.NO_SESSION
    return None
