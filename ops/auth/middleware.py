"""The one gate every staff request passes: a signed-in session counts only if it went
through both factors and is still on record (ops/auth/sessions.py). Anything else —
a password-only login, a session from before two-factor authentication, one ended by
"sign out everywhere" or by a device revocation, one whose authenticator was reset — is
flushed and the request goes on as anonymous, so every page and API answers it the way
it answers anybody who is not signed in. New routes need no decorator to be covered."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse

from ops.auth.sessions import session_on_record


class StaffSessionMiddleware:
    """After AuthenticationMiddleware and django-otp's OTPMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not (
            user.is_verified()
            and session_on_record(session_key=request.session.session_key, user_id=user.pk)
        ):
            request.session.flush()
            anonymous = AnonymousUser()
            # As django-otp's middleware leaves every user.
            anonymous.otp_device = None
            anonymous.is_verified = lambda: False
            request.user = anonymous
        return self.get_response(request)
