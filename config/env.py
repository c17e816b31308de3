"""Read settings from the environment, failing loudly on anything malformed.

A typo in a deployment's environment (`DEBUG=ture`, `PORT=80OO`) must stop the process at
start-up with the variable's name, not quietly fall back to a default that may be unsafe.
Every helper raises ImproperlyConfigured for that reason.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    normalised = value.strip().lower()
    if normalised in _TRUE:
        return True
    if normalised in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false, yes/no, on/off)")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}")
    return number


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """A comma-separated list; blanks around items are dropped, empty items refused."""
    value = os.environ.get(name)
    if value is None:
        return list(default or [])
    if value.strip() == "":
        return []
    items = [item.strip() for item in value.split(",")]
    if any(item == "" for item in items):
        raise ImproperlyConfigured(f"{name} must be a comma-separated list with no empty items")
    return items


def env_secret(name: str, default: str | None = None) -> str | None:
    """`NAME` itself, or the content of the file that `NAME_FILE` points to.

    `NAME_FILE` is how container secrets arrive (docker compose mounts them under
    /run/secrets), so the secret never sits in the environment of every process. Setting
    both is refused: one of them would be silently ignored. The value is never echoed in
    an error message.
    """
    value = os.environ.get(name)
    file_name = os.environ.get(f"{name}_FILE")
    if value is not None and file_name is not None:
        raise ImproperlyConfigured(f"Set {name} or {name}_FILE, not both")
    if file_name is not None:
        try:
            value = Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ImproperlyConfigured(
                f"{name}_FILE points to a file that cannot be read ({error.strerror})"
            ) from None
        if value == "":
            raise ImproperlyConfigured(f"{name}_FILE points to an empty file")
        return value
    if value is not None:
        if value.strip() == "":
            raise ImproperlyConfigured(f"{name} is set but empty")
        return value
    return default
