"""What the server keeps of staff sign-ins: one row per live, fully authenticated session."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class StaffSession(models.Model):
    """A session that went through the password and a second factor.

    The middleware accepts a session only while its row exists; deleting the row (sign
    out, sign out everywhere, the device it proved being revoked) ends it everywhere at
    once. ``device`` is the staff device whose key the session's socket proved
    (``device.auth``): revoking that device ends this session.

    The session key is as secret as Django's own session table, which holds it too;
    nothing about the browser (address, user agent) is kept.
    """

    session_key = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_sessions"
    )
    device = models.ForeignKey(
        "chat.Device",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="staff_sessions",
    )
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"session of {self.user_id} since {self.created_at:%Y-%m-%d %H:%M}"
