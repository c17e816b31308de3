"""The sockets this process serves, by group and by token, in memory only.

Two uses, neither of which may depend on Redis:

- a bound on the live sockets of one token (a conversation for visitors, a device for
  staff and interpreters): CHAT_SOCKETS_PER_TOKEN per process. One token opening any
  number of sockets multiplied what each may hold (chat/server.py);
- delivering the notices of chat/notices.py (a revocation, a sign-out, an interpreter's
  end, a block) to the sockets of this process that are in the notice's group, when the
  channel layer's fan-out was lost.

Consumers are held weakly: a socket that went away without saying so leaves nothing.
"""

from __future__ import annotations

import weakref
from collections import defaultdict
from typing import Any


class LocalSockets:
    def __init__(self) -> None:
        self.groups: defaultdict[str, weakref.WeakSet] = defaultdict(weakref.WeakSet)
        self.tokens: defaultdict[str, weakref.WeakSet] = defaultdict(weakref.WeakSet)
        # consumer → the (table, key) pairs it is in, to forget it without a scan
        self.held: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def join(self, group: str, consumer: Any) -> None:
        self.groups[group].add(consumer)
        self.held.setdefault(consumer, set()).add(("groups", group))

    def leave(self, group: str, consumer: Any) -> None:
        self._discard("groups", group, consumer)
        self.held.get(consumer, set()).discard(("groups", group))

    def _discard(self, table_name: str, key: str, consumer: Any) -> None:
        table = getattr(self, table_name)
        members = table.get(key)
        if members is not None:
            members.discard(consumer)
            if not members:
                del table[key]

    def members(self, group: str) -> list[Any]:
        return list(self.groups.get(group, ()))

    def token_take(self, token: str, consumer: Any, *, limit: int) -> bool:
        """Count ``consumer`` as a live socket of ``token``, unless ``limit`` others are."""
        holders = self.tokens[token]
        if consumer not in holders and len(holders) >= limit:
            return False
        holders.add(consumer)
        self.held.setdefault(consumer, set()).add(("tokens", token))
        return True

    def forget(self, consumer: Any) -> None:
        """The socket closed: out of every group and token."""
        for table_name, key in self.held.pop(consumer, set()):
            self._discard(table_name, key, consumer)


local_sockets = LocalSockets()
