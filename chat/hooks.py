"""Where chat calls the staff side without importing it (DESIGN §3: dependencies point
one way). Each hook is a dotted path in settings (ops/README.md lists them); an empty
setting means "no staff side": chat then works alone, with no routing and no status.

Hooks that return events return ``(group, message)`` pairs for the channel layer; the
caller publishes them after its transaction committed, as it does its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

HookEvent = tuple[str, dict]


def hook(setting_name: str) -> Callable[..., Any] | None:
    """The function a setting names, or None when the setting is empty."""
    path = getattr(settings, setting_name, "")
    return import_string(path) if path else None


def hook_events(setting_name: str, **arguments: Any) -> list[HookEvent]:
    """Call a hook that returns events; no hook, no events."""
    function = hook(setting_name)
    return list(function(**arguments)) if function is not None else []
