"""An asyncio client of the channel layer's Redis for the limits kept there
(chat/return_code_limits.py, chat/open_challenge.py): one per event loop (a client
belongs to the loop it was made on; tests run several), a few connections waited for,
so a burst queues for one rather than opening one each."""

from __future__ import annotations

import asyncio

import redis.asyncio as redis

CONNECTIONS = 8
POOL_WAIT_SECONDS = 5


class RedisPerLoop:
    def __init__(self, address: str, *, timeout: float) -> None:
        self.address = address
        self.timeout = timeout
        self.clients: dict[int, redis.Redis] = {}

    def client(self) -> redis.Redis:
        loop = id(asyncio.get_running_loop())
        client = self.clients.get(loop)
        if client is None:
            pool = redis.BlockingConnectionPool.from_url(
                self.address,
                max_connections=CONNECTIONS,
                timeout=POOL_WAIT_SECONDS,
                socket_timeout=self.timeout,
                socket_connect_timeout=self.timeout,
            )
            client = redis.Redis(connection_pool=pool)
            self.clients = {loop: client}  # older loops (tests) dropped
        return client
