"""Baseline B1: a stock Channels relay consumer under Daphne, over a Redis channel layer.

Clients connect to ``/pair/<group>``; each socket joins the group ``pair.<group>`` and
every frame it receives is ``group_send``-ed to the group; the other members forward it.
No validation, no database: what Channels and the layer cost by themselves. Daphne is
set up as ``manage.py serve`` sets it up (no access log, same frame bounds, same pings).

    python bench/relay_b1.py --port 8200 --layer pubsub --redis redis://127.0.0.1:6390/1
"""

from __future__ import annotations

import argparse
from pathlib import Path

# Daphne installs Twisted's asyncio reactor on import: it must come first.
from daphne.server import Server  # isort: skip

import django
from django.conf import settings

LAYERS = {
    # Configured as config/settings.py configures the real path's layer.
    "pubsub": lambda url: {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [{"address": url, "socket_timeout": 2, "socket_connect_timeout": 2}]},
    },
    # Stock: channels_redis's defaults (capacity 100, expiry 60 s, its own pool sizes).
    "core": lambda url: {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [url]},
    },
}


def application_build():
    from channels.generic.websocket import AsyncWebsocketConsumer
    from channels.routing import ProtocolTypeRouter

    class RelayConsumer(AsyncWebsocketConsumer):
        async def connect(self) -> None:
            self.group = "pair." + self.scope["path"].rsplit("/", 1)[-1]
            await self.channel_layer.group_add(self.group, self.channel_name)
            await self.accept()

        async def disconnect(self, code: int) -> None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

        async def receive(self, text_data=None, bytes_data=None) -> None:
            await self.channel_layer.group_send(
                self.group, {"type": "relay", "text": text_data, "origin": self.channel_name}
            )

        async def relay(self, event: dict) -> None:
            if event["origin"] != self.channel_name:
                await self.send(text_data=event["text"])

    return ProtocolTypeRouter({"websocket": RelayConsumer.as_asgi()})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--layer", choices=sorted(LAYERS), required=True)
    parser.add_argument("--redis", required=True)
    parser.add_argument("--ready-file", type=Path)
    arguments = parser.parse_args()
    settings.configure(
        INSTALLED_APPS=["channels"],
        CHANNEL_LAYERS={"default": LAYERS[arguments.layer](arguments.redis)},
        LOGGING_CONFIG=None,
    )
    django.setup()
    import logging

    # channels_redis reports dropped messages (over capacity) at INFO: keep them.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    def ready() -> None:
        if arguments.ready_file is not None:
            arguments.ready_file.write_text(f"127.0.0.1:{arguments.port}\n")

    Server(
        application=application_build(),
        endpoints=[f"tcp:port={arguments.port}:interface=127.0.0.1"],
        action_logger=None,
        websocket_max_message_size=2**17,
        websocket_max_frame_size=2**17,
        ping_interval=20,
        ping_timeout=30,
        websocket_timeout=86400,
        application_close_timeout=10,
        verbosity=0,
        ready_callable=ready,
        server_name="bench-b1",
    ).run()


if __name__ == "__main__":
    main()
