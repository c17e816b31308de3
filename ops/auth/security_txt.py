"""``/.well-known/security.txt`` (RFC 9116): where to report a vulnerability, in French
or English, until when that holds. From settings SECURITY_TXT_*; without a contact there
is no file (404), and ``check --deploy`` says so (ops/auth/checks.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

DEFAULT_VALIDITY = timedelta(days=180)


def security_txt_expires(now: datetime) -> datetime:
    """The configured expiry, or 180 days from today (midnight UTC)."""
    if settings.SECURITY_TXT_EXPIRES:
        expires = datetime.fromisoformat(settings.SECURITY_TXT_EXPIRES)
        return expires if expires.tzinfo else expires.replace(tzinfo=UTC)
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + DEFAULT_VALIDITY


def security_txt_text(*, canonical: str, now: datetime) -> str:
    expires = security_txt_expires(now).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = [f"Contact: {contact}" for contact in settings.SECURITY_TXT_CONTACT]
    lines += [
        f"Expires: {expires}",
        f"Preferred-Languages: {settings.SECURITY_TXT_LANGUAGES}",
        f"Canonical: {canonical}",
    ]
    return "\n".join(lines) + "\n"


@require_GET
def security_txt(request: HttpRequest) -> HttpResponse:
    if not settings.SECURITY_TXT_CONTACT:
        raise Http404("no security contact configured")
    text = security_txt_text(canonical=request.build_absolute_uri(), now=timezone.now())
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "max-age=86400"
    return response
