"""An interpreter's reference client sees only the items of its own epochs (issue 6):
after a backlog, the orders it was not sent are not gaps to wait for. A staff or visitor
client, which sees everything, still waits for every order."""

from __future__ import annotations

from chat.client.session import Followed, Session
from chat.protocol import frames as f

CONVERSATION = "0b6e1f7a-3c52-4d8e-9f10-2a7b5c3d4e6f"


class Recording(Session):
    def __init__(self, *, sees_part: bool) -> None:
        super().__init__(["ws://unused"])
        self.sees_part = sees_part
        self.applied: list[int] = []
        self.followed = Followed(state=None)
        self.conversations[CONVERSATION] = self.followed

    async def _apply(self, followed: Followed, item) -> None:
        self.applied.append(item)

    async def sync(self, conversation_id: str) -> None:
        """No server here: a gap would ask for a sync."""


async def backlog(session: Recording, orders: list[int], last_order: int) -> None:
    for order in orders:
        session.followed.pending[order] = order
    await session._handle(f.SyncDone(ref=None, conversation_id=CONVERSATION, last_order=last_order))


async def test_an_interpreter_applies_its_backlog_across_the_orders_it_was_not_sent():
    session = Recording(sees_part=True)
    await backlog(session, [5, 6, 8], last_order=8)
    assert session.applied == [5, 6, 8]
    assert session.followed.last_order == 8
    assert session.followed.pending == {}


async def test_items_past_the_backlog_still_wait_for_their_turn():
    session = Recording(sees_part=True)
    await backlog(session, [5, 9], last_order=5)
    assert session.applied == [5]
    assert session.followed.last_order == 5
    assert list(session.followed.pending) == [9]


async def test_a_client_that_sees_everything_still_waits_for_a_gap():
    session = Recording(sees_part=False)
    await backlog(session, [5, 6], last_order=6)
    assert session.applied == []
    assert session.followed.last_order == 0


class Paging(Recording):
    def __init__(self) -> None:
        super().__init__(sees_part=False)
        self.synced: list[int] = []

    async def sync(self, conversation_id: str) -> None:
        self.synced.append(self.conversations[conversation_id].last_order)


async def test_a_page_with_more_after_it_asks_for_the_next_from_where_it_ended():
    """A backlog comes a page at a time (docs/protocol.md §7): once the page is applied,
    the client asks for the next one from its last order; after the last page, not."""
    session = Paging()
    for order in (1, 2, 3):
        session.followed.pending[order] = order
    await session._advance(session.followed)  # the page's items, as they came
    await session._handle(
        f.SyncDone(ref=None, conversation_id=CONVERSATION, last_order=3, more=True)
    )
    await session.followed.page_task
    assert session.synced == [3]
    await session._handle(f.SyncDone(ref=None, conversation_id=CONVERSATION, last_order=3))
    assert session.synced == [3]
