"""The audit log: who did what, and when — never content, never an address.

Call ``audit.record(actor, action, target, details)`` from any action worth a trace
(see ``audit.models.Action``). Entries are deleted after ``AUDIT_RETENTION_DAYS``.
"""

from __future__ import annotations

from typing import Any


def record(actor: Any, action: str, target: str = "", details: dict | None = None) -> Any:
    """Write one audit entry (see ``audit.services.audit_record``). Importing the models
    here, at call time, keeps ``import audit`` possible before Django is set up."""
    from audit.services import audit_record

    return audit_record(actor=actor, action=action, target=target, details=details or {})
