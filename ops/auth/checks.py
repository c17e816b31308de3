"""Deploy checks (``manage.py check --deploy``): security.txt and the push subject."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.utils import timezone


@register(Tags.security, deploy=True)
def security_txt_check(app_configs, **kwargs) -> list[Warning]:
    warnings = []
    if not settings.SECURITY_TXT_CONTACT:
        warnings.append(
            Warning(
                "SECURITY_TXT_CONTACT is not set: /.well-known/security.txt answers 404.",
                hint="Set it to a mailto: or https: URI where vulnerabilities are reported.",
                id="helpline.W001",
            )
        )
    if not settings.SECURITY_TXT_EXPIRES:
        warnings.append(
            Warning(
                "SECURITY_TXT_EXPIRES is not set: security.txt says 180 days from today.",
                hint="Set an ISO 8601 date less than a year away, by which you review it.",
                id="helpline.W002",
            )
        )
    else:
        try:
            expires = datetime.fromisoformat(settings.SECURITY_TXT_EXPIRES)
        except ValueError:
            expires = None
        if expires is not None and expires.tzinfo is None:
            expires = timezone.make_aware(expires)
        now = timezone.now()
        if expires is None or not now < expires <= now + timedelta(days=366):
            warnings.append(
                Warning(
                    "SECURITY_TXT_EXPIRES must be an ISO 8601 date within the next year.",
                    id="helpline.W003",
                )
            )
    return warnings


@register(Tags.security, deploy=True)
def push_subject_check(app_configs, **kwargs) -> list[Warning]:
    """With push on, the VAPID subject is who push services contact about our
    pushes; Apple refuses pushes whose subject is not a real mailto: or https: URL."""
    subject = settings.PUSH_VAPID_SUBJECT
    if not settings.PUSH_VAPID_PRIVATE_KEY:
        return []
    if subject.startswith(("mailto:", "https://")) and not subject.endswith("@localhost"):
        return []
    return [
        Warning(
            "PUSH_VAPID_SUBJECT is not a real contact: some push services refuse our pushes.",
            hint="Set it to a mailto: address or https: URL of the association.",
            id="helpline.W004",
        )
    ]
