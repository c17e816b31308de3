"""Deploy checks of the chat (``manage.py check --deploy``)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register

PEPPER_MIN_CHARACTERS = 32


@register(Tags.security, deploy=True)
def return_code_pepper_check(app_configs, **kwargs) -> list[Warning]:
    """Like Django's SECRET_KEY check (security.W009): the pepper must be set, on its
    own, and long. Derived from SECRET_KEY, rotating SECRET_KEY (a routine after a leak)
    would silently turn every visitor's return code off."""
    pepper = settings.RETURN_CODE_PEPPER
    if pepper is None:
        message = "RETURN_CODE_PEPPER is not set: return codes use a pepper made from SECRET_KEY."
    elif len(pepper) < PEPPER_MIN_CHARACTERS or pepper == settings.SECRET_KEY:
        message = "RETURN_CODE_PEPPER is too short or equals SECRET_KEY."
    else:
        return []
    return [
        Warning(
            message,
            hint="Set RETURN_CODE_PEPPER (or RETURN_CODE_PEPPER_FILE) to at least "
            f"{PEPPER_MIN_CHARACTERS} random characters; see docs/operations.md.",
            id="chat.W001",
        )
    ]
