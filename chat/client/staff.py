"""The staff (or interpreter) device side of the reference client."""

from __future__ import annotations

import asyncio
import time

from chat.client.connection import ServerRefused
from chat.client.http import staff_login
from chat.client.rotation import epoch_rotate, epoch_rotation_due
from chat.client.session import Followed, Session
from chat.client.state import ConversationState
from chat.crypto import certs, suite1
from chat.crypto.certs import device_auth_message
from chat.crypto.errors import BadObject
from chat.crypto.keys import DeviceKeys
from chat.protocol import frames as f


class StaffClient(Session):
    endpoint = "staff"

    def __init__(
        self,
        urls: list[str],
        *,
        device: DeviceKeys,
        cookie: str,
        admin_fingerprint: bytes | None,
        auto_reconnect: bool = True,
    ) -> None:
        super().__init__(urls, auto_reconnect=auto_reconnect)
        self.device = device
        self._cookie = cookie
        self.admin_fingerprint = admin_fingerprint
        self.admin_pk = b""
        self.cert: certs.DeviceCert | None = None
        self.team_keys: dict[int, tuple[certs.TeamKeyAnnouncement, suite1.PrivateKey]] = {}
        # Every version the server announced to this device, held or not.
        self.team_keys_announced: dict[int, certs.TeamKeyAnnouncement] = {}

    @classmethod
    def login(
        cls,
        urls: list[str],
        *,
        username: str,
        password: str,
        device: DeviceKeys,
        admin_fingerprint: bytes | None,
        auto_reconnect: bool = True,
        totp_secret: str | None = None,
    ) -> StaffClient:
        cookie = staff_login(urls[0], username, password, totp_secret)
        return cls(
            urls,
            device=device,
            cookie=cookie,
            admin_fingerprint=admin_fingerprint,
            auto_reconnect=auto_reconnect,
        )

    def cookie(self) -> str | None:
        return self._cookie

    async def authenticate(self) -> None:
        nonce = self.connection.hello.nonce
        signature = suite1.sign(
            self.device.sig, device_auth_message(nonce=nonce, device_id=self.device.device_id)
        )
        ready = await self.connection.request(
            f.DeviceAuth(device_id=self.device.device_id, signature=signature)
        )
        self._ready(ready)
        for conversation_id, followed in self.conversations.items():
            await self.connection.request(
                f.ConversationSubscribe(conversation_id=conversation_id, after=followed.last_order)
            )

    def _ready(self, ready: f.DeviceReady) -> None:
        if (
            self.admin_fingerprint
            and suite1.admin_fingerprint(ready.admin_pk) != self.admin_fingerprint
        ):
            raise BadObject("the server's admin key does not match the pinned fingerprint")
        self.admin_pk = ready.admin_pk
        certs.cert_verify(ready.cert, admin_pk=ready.admin_pk, now=int(time.time()))
        self.cert = ready.cert
        self.sees_part = ready.cert.role == "interpreter"
        for entry in ready.team_keys:
            self.team_keys_announced[entry.announcement.version] = entry.announcement
            if entry.wrap is None:
                continue
            team_key = self.device.team_wrap_open(
                entry.wrap.ct, entry.announcement, kem_pk=entry.wrap.kem_pk
            )
            self.team_keys[entry.announcement.version] = (entry.announcement, team_key)
        # A version made since (a rotation) opens the conversations already followed too.
        for followed in self.conversations.values():
            followed.state.open_keys.update(self.open_keys())
            followed.state.team_keys.update(
                {version: ann.pk for version, (ann, _) in self.team_keys.items()}
            )

    def team_key_current_missing(self, *, now: int) -> int | None:
        """The version new conversations use (the newest announced, not expired) when
        this device does not hold it; None when it does (or there is none)."""
        live = [v for v, ann in self.team_keys_announced.items() if ann.not_after > now]
        current = max(live, default=None)
        return current if current is not None and current not in self.team_keys else None

    def open_keys(self) -> dict[bytes, suite1.PrivateKey]:
        if self.cert is not None and self.cert.role == "interpreter":
            return {suite1.key_id(self.device.kem_public): self.device.kem}
        return {suite1.key_id(ann.pk): key for ann, key in self.team_keys.values()}

    async def list_conversations(self) -> list[f.ConversationSummary]:
        answer = await self.connection.request(f.ConversationList())
        return answer.conversations

    async def subscribe(self, conversation_id: str) -> None:
        """Follow a conversation. Its ``conversation.state`` frame (which carries the
        visitor's signing key) is applied in order, before the backlog behind it."""
        state = ConversationState(
            conversation_id=conversation_id,
            me=self.device.device_id,
            sign_key=self.device.sig,
            open_keys=self.open_keys(),
            admin_pk=self.admin_pk,
            visitor_sig_pk=b"",
        )
        state.device_certs[self.cert.device_id] = self.cert
        state.team_keys = {version: ann.pk for version, (ann, _) in self.team_keys.items()}
        self.conversations[conversation_id] = Followed(state=state)
        await self.connection.request(
            f.ConversationSubscribe(conversation_id=conversation_id, after=0)
        )

    async def rotate_epoch(self, conversation_id: str) -> int | None:
        """Move the conversation to the newest team key version this device holds, with a
        ``rekey`` epoch (chat/client/rotation.py), so the old one can be destroyed. Returns
        its order, or None when it was not due or another device made the next epoch
        first."""
        followed = self.conversations[conversation_id]
        state = followed.state
        newest = max(self.team_keys, default=0)
        if not newest or not epoch_rotation_due(state, current_version=newest):
            return None
        epoch = state.current_epoch
        signed = epoch_rotate(
            state, team=self.team_keys[newest][0], visitor_kem_pk=state.visitor_kem_pk
        )
        try:
            ack = await self.connection.request(
                f.CommitSubmit(
                    conversation_id=conversation_id,
                    commit=signed.commit,
                    signature=signed.signature,
                    wraps=signed.wraps,
                )
            )
        except ServerRefused as exc:
            # Forget our epoch unless another device's commit has taken its place.
            if state.commits.get(epoch + 1, (None,))[0] is signed.commit:
                state.commits.pop(epoch + 1)
                state.secrets.pop(epoch + 1)
            if exc.code == "epoch_conflict":
                return None
            raise
        await self.connection.items.put(("own", conversation_id, ack.order))
        return ack.order

    async def wait_for_epoch(self, conversation_id: str, timeout: float = 10) -> None:
        """Wait until this device holds a secret for the conversation (after subscribe)."""

        async def ready() -> None:
            while self.conversations[conversation_id].state.current_epoch < 0:
                await asyncio.sleep(0.02)

        await asyncio.wait_for(ready(), timeout)
