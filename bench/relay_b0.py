"""Baseline B0: a bare ``websockets`` relay on uvloop, permessage-deflate off.

Clients connect to ``/pair/<group>``; every text frame one member sends goes, as it is,
to every other member of its group. No parsing, no persistence: the practical Python
limit for moving frames between sockets.

    python bench/relay_b0.py --port 8100 --ready-file /tmp/b0.ready
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections import defaultdict
from pathlib import Path

import uvloop
from websockets.asyncio.server import ServerConnection, serve

groups: dict[str, set[ServerConnection]] = defaultdict(set)


async def relay(websocket: ServerConnection) -> None:
    group = websocket.request.path.rsplit("/", 1)[-1]
    members = groups[group]
    members.add(websocket)
    try:
        async for frame in websocket:
            for member in list(members):
                if member is not websocket:
                    await member.send(frame)
    finally:
        members.discard(websocket)
        if not members:
            groups.pop(group, None)


async def main(port: int, ready_file: Path | None) -> None:
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    # The same bounds and keepalive as `manage.py serve`.
    async with serve(
        relay,
        "127.0.0.1",
        port,
        compression=None,
        max_size=2**17,
        ping_interval=20,
        ping_timeout=30,
    ):
        if ready_file is not None:
            ready_file.write_text(f"127.0.0.1:{port}\n")
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ready-file", type=Path)
    arguments = parser.parse_args()
    uvloop.run(main(arguments.port, arguments.ready_file))
