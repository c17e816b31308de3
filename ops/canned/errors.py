"""Typed errors of the canned replies; ops/jsonapi.py maps them to HTTP answers."""

from __future__ import annotations

from ops.canned.rules import Problem
from ops.errors import OpsError


class CannedInvalid(OpsError):
    """An entry or a variable value breaks the rules (ops/canned/rules.py); nothing was
    stored. ``problems`` lists ``(field, translated message)``."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems))
        self.problems = problems


class ShortcutTaken(OpsError):
    """Another entry already has this shortcut."""


class ReviewOutdated(OpsError):
    """The entry changed after the coordinator read it: the version they mean to mark
    reviewed is no longer the current one."""


class LibraryImportRefused(OpsError):
    """A library file has problems; nothing was imported. ``problems`` lists them by row
    (ops/canned/formats.py RowProblem)."""

    def __init__(self, problems: list) -> None:
        super().__init__(f"{len(problems)} problem(s) in the file")
        self.problems = problems
