"""The visitor side of the reference client."""

from __future__ import annotations

from chat.client.session import Followed, Session
from chat.client.state import ConversationState
from chat.crypto import certs, suite1
from chat.crypto.errors import BadObject
from chat.protocol import frames as f


class VisitorClient(Session):
    """A new visitor: fresh keys in memory, a conversation opened on first connect and
    resumed by token afterwards. ``admin_fingerprint`` is the pinned value a real widget
    carries; with it, an admin key the server made up is refused."""

    endpoint = "visitor"

    def __init__(
        self,
        urls: list[str],
        *,
        admin_fingerprint: bytes | None,
        language: str = "fr",
        campaign: str | None = None,
        auto_reconnect: bool = True,
    ) -> None:
        super().__init__(urls, auto_reconnect=auto_reconnect)
        self.admin_fingerprint = admin_fingerprint
        self.language = language
        self.campaign = campaign
        self.kem = suite1.private_key_generate()
        self.sig = suite1.private_key_generate()
        self.token: bytes | None = None
        self.conversation_id: str | None = None

    def admin_check(self, admin_pk: bytes, team_key: certs.TeamKeyAnnouncement) -> None:
        if self.admin_fingerprint and suite1.admin_fingerprint(admin_pk) != self.admin_fingerprint:
            raise BadObject("the server's admin key does not match the pinned fingerprint")
        certs.team_key_verify(team_key, admin_pk=admin_pk)

    async def authenticate(self) -> None:
        if self.token is None:
            await self._open()
        else:
            followed = self.conversations[self.conversation_id]
            resumed = await self.connection.request(
                f.ConversationResume(token=self.token, after=followed.last_order)
            )
            self.admin_check(resumed.admin_pk, resumed.team_key)
            followed.state.team_key_add(resumed.team_key)

    async def _open(self) -> None:
        opened = await self.connection.request(
            f.ConversationOpen(
                suite=suite1.SUITE_ID,
                language=self.language,
                campaign=self.campaign,
                visitor_kem_pk=suite1.public_bytes(self.kem),
                visitor_sig_pk=suite1.public_bytes(self.sig),
            )
        )
        self.admin_check(opened.admin_pk, opened.team_key)
        self.token = opened.token
        self.conversation_id = opened.conversation_id
        state = ConversationState(
            conversation_id=opened.conversation_id,
            me="visitor",
            sign_key=self.sig,
            open_keys={suite1.key_id(suite1.public_bytes(self.kem)): self.kem},
            admin_pk=opened.admin_pk,
            visitor_sig_pk=suite1.public_bytes(self.sig),
        )
        self.conversations[opened.conversation_id] = Followed(state=state)
        signed = state.epoch_create(
            reason="open",
            team=opened.team_key,
            visitor_kem_pk=suite1.public_bytes(self.kem),
            interpreters=[],
        )
        ack = await self.connection.request(
            f.CommitSubmit(
                conversation_id=opened.conversation_id,
                commit=signed.commit,
                signature=signed.signature,
                wraps=signed.wraps,
            )
        )
        await self.connection.items.put(("own", opened.conversation_id, ack.order))

    async def say(self, text: str) -> int:
        return await self.send_text(self.conversation_id, text)

    async def delete(self) -> f.ConversationDeleted:
        """Delete the conversation for everyone, now (issue 7). The server answers,
        then closes the socket for good: the client forgets its token and keys."""
        deleted = await self.connection.request(
            f.ConversationDelete(conversation_id=self.conversation_id)
        )
        self.conversation_gone(deleted)
        return deleted

    def conversation_gone(self, deleted: f.ConversationDeleted) -> None:
        super().conversation_gone(deleted)
        if deleted.conversation_id == self.conversation_id:
            # Nothing to resume any more: no reconnection, no token, no keys.
            self.auto_reconnect = False
            self.token = None
            self.kem = self.sig = None
