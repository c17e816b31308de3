"""Sign-in throttling with django-axes, by username only and without addresses.

We never see a client address (config/privacy.py takes it out of every request, DESIGN
§2), so locking by address is impossible and would be wrong anyway; axes is told so
(``AXES_LOCKOUT_PARAMETERS = ["username"]``, ``axes.W006`` silenced). What axes would
still store — user agent, Accept header, path — is blanked before its database handler
runs, and the request data it keeps is masked (``AXES_SENSITIVE_PARAMETERS``): an
``AccessAttempt`` row holds a username, a count and a time, and is deleted once the
cool-off has passed. Its log lines name no client either (``client_str``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max
from django.http import HttpRequest


def client_address_none(request: HttpRequest) -> None:
    """settings.AXES_CLIENT_IP_CALLABLE: there is no address, and none is looked for."""
    return None


def client_str(username, ip_address, user_agent, path_info, request) -> str:
    """settings.AXES_CLIENT_STR_CALLABLE: what axes's log lines call the client."""
    return "{a staff sign-in}"


def request_anonymise(request: HttpRequest | None) -> None:
    if request is None:
        return
    # AxesProxyHandler.update_request has already run; these are what it would store.
    request.axes_ip_address = None
    request.axes_user_agent = ""
    request.axes_http_accept = ""
    request.axes_path_info = ""


class UsernameOnlyHandler(AxesDatabaseHandler):
    """axes's database handler (consistent across workers), storing nothing about the
    browser. settings.AXES_HANDLER."""

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        request_anonymise(request)
        return super().user_login_failed(sender, credentials, request, **kwargs)

    def user_logged_in(self, sender, request, user, **kwargs):
        request_anonymise(request)
        return super().user_logged_in(sender, request, user, **kwargs)

    def user_logged_out(self, sender, request, user, **kwargs):
        request_anonymise(request)
        return super().user_logged_out(sender, request, user, **kwargs)


def locked_until(username: str, *, now: datetime) -> datetime | None:
    """When this username may try again, if it is locked now. The lock runs from the
    failure that reached AXES_FAILURE_LIMIT for one cool-off; tries during the lock are
    refused without being counted, so they do not extend it."""
    cool_off = get_cool_off() or timedelta(0)
    attempts = AccessAttempt.objects.filter(username=username, attempt_time__gte=now - cool_off)
    counted = sum(attempt.failures_since_start for attempt in attempts)
    if counted < settings.AXES_FAILURE_LIMIT:
        return None
    last = attempts.aggregate(last=Max("attempt_time"))["last"]
    return last + cool_off if last else None
