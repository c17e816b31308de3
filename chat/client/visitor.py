"""The visitor side of the reference client."""

from __future__ import annotations

from chat.client.connection import Connection, ServerRefused
from chat.client.open_pow import pow_solve_off_loop
from chat.client.session import Followed, Session
from chat.client.state import ConversationState
from chat.crypto import certs, suite1
from chat.crypto import return_code as rc
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
            followed.state.admin_pk = resumed.admin_pk  # unknown yet after a return code
            followed.state.team_key_add(resumed.team_key)

    async def _open(self) -> None:
        opened = await self._open_paid()
        self.admin_check(opened.admin_pk, opened.team_key)
        self.token = opened.token
        self.conversation_id = opened.conversation_id
        state = self.state_new(opened.admin_pk)
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

    async def _open_paid(self, tries: int = 3) -> f.ConversationOpened:
        """`conversation.open` with the latest challenge solved (§8.3.1); a refused one
        (expired, or used) is followed by a fresh challenge, solved in turn."""
        used = None
        while True:
            used = await self.connection.open_challenge_after(used)
            solution = await pow_solve_off_loop(used)
            try:
                return await self.connection.request(
                    f.ConversationOpen(
                        suite=suite1.SUITE_ID,
                        language=self.language,
                        campaign=self.campaign,
                        visitor_kem_pk=suite1.public_bytes(self.kem),
                        visitor_sig_pk=suite1.public_bytes(self.sig),
                        pow=solution,
                    )
                )
            except ServerRefused as exc:
                tries -= 1
                if exc.code != "pow_required" or tries == 0:
                    raise

    def state_new(self, admin_pk: bytes) -> ConversationState:
        return ConversationState(
            conversation_id=self.conversation_id,
            me="visitor",
            sign_key=self.sig,
            open_keys={suite1.key_id(suite1.public_bytes(self.kem)): self.kem},
            admin_pk=admin_pk,
            visitor_sig_pk=suite1.public_bytes(self.sig),
        )

    # -- return codes (docs/protocol.md §10) -------------------------------------------

    async def return_code_make(self) -> str:
        """A new code for this conversation (replacing any earlier one); only the
        lookup and the sealed state reach the server."""
        code = rc.code_generate()
        keys = rc.code_keys(code)
        state = rc.ReturnState(
            conversation_id=self.conversation_id,
            token=self.token,
            kem_scalar=suite1.private_scalar(self.kem),
            kem_pk=suite1.public_bytes(self.kem),
            sig_scalar=suite1.private_scalar(self.sig),
            sig_pk=suite1.public_bytes(self.sig),
        )
        await self.connection.request(
            f.ReturnCodeSet(
                conversation_id=self.conversation_id,
                lookup=keys.lookup,
                sealed=rc.state_seal(keys, state),
            )
        )
        return code

    async def return_code_revoke(self) -> None:
        await self.connection.request(f.ReturnCodeRevoke(conversation_id=self.conversation_id))

    @classmethod
    async def from_return_code(
        cls, urls: list[str], code: str, *, admin_fingerprint: bytes | None, **options
    ) -> VisitorClient:
        """A visitor back with their code: fetch and open the sealed state on a short
        socket, then a client that resumes the conversation from its start when
        started. Raises CodeInvalid (a typo) or ServerRefused (`unauthorized`: no such
        code; `rate_limited`)."""
        keys = rc.code_keys(code)
        connection = Connection(urls[0], cls.endpoint)
        await connection.open()
        try:
            found = await connection.request(f.ReturnCodeOpen(lookup=keys.lookup))
        finally:
            await connection.close()
        state = rc.state_open(keys, found.sealed)
        client = cls(urls, admin_fingerprint=admin_fingerprint, **options)
        client.kem = suite1.private_key_from_scalar(state.kem_scalar)
        client.sig = suite1.private_key_from_scalar(state.sig_scalar)
        client.token = state.token
        client.conversation_id = state.conversation_id
        client.conversations[state.conversation_id] = Followed(state=client.state_new(b""))
        return client

    async def say(self, text: str) -> int:
        return await self.send_text(self.conversation_id, text)

    async def delete(self) -> f.ConversationDeleted:
        """Delete the conversation for everyone, now. The server answers,
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
