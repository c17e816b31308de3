"""Who is on the other end of a socket, once authenticated."""

from __future__ import annotations

from dataclasses import dataclass

VISITOR = "visitor"
STAFF = "staff"
INTERPRETER = "interpreter"


@dataclass(frozen=True)
class Party:
    """``kind`` is visitor, staff or interpreter; ``id`` is "visitor" or a device id.

    A visitor party is bound to its one conversation; device parties are not.
    """

    kind: str
    id: str
    conversation_id: str | None = None

    @property
    def is_visitor(self) -> bool:
        return self.kind == VISITOR

    @property
    def is_staff(self) -> bool:
        return self.kind == STAFF

    @property
    def is_interpreter(self) -> bool:
        return self.kind == INTERPRETER

    def receives(self, member_kind: str, member_id: str) -> bool:
        """Whether a commit member's wrap is addressed to this party: staff devices read
        through the team key, the visitor and interpreters through their own keys."""
        if self.is_staff:
            return member_kind == "team"
        if self.is_visitor:
            return member_kind == "visitor"
        return member_kind == "device" and member_id == self.id


def visitor_party(conversation_id: str) -> Party:
    return Party(kind=VISITOR, id=VISITOR, conversation_id=conversation_id)
