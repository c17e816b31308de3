"""`manage.py serve`: Daphne, configured for the helpline (the only way we run it).

Daphne's command line and `runserver` are not used because they print an access log with
every client's address (DESIGN §2) and accept frames far larger than the protocol allows.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path
from typing import Any

from channels.routing import get_default_application
from daphne.endpoints import build_endpoint_description_strings
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chat.eventloop import loop_name
from chat.events import server_loop_set
from chat.jobs import jobs_load, jobs_run_forever
from chat.metrics import metrics_serve
from chat.notices import notices_follow_start
from chat.server import HelplineServer
from config.env import env_int, env_str
from config.request_limits import body_bound_install

logger = logging.getLogger(__name__)

# How long shutdown waits for a job under way before leaving it to the daemon thread's end.
JOBS_STOP_TIMEOUT_SECONDS = 30


class Command(BaseCommand):
    help = "Serve HTTP and websockets with Daphne (no access log)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=None, help="Address to bind (env HOST, 127.0.0.1).")
        parser.add_argument("--port", type=int, default=None, help="Port (env PORT, 8000).")
        parser.add_argument(
            "--jobs",
            action="store_true",
            help="Also run the periodic jobs in this process (the embedded default).",
        )
        parser.add_argument(
            "--ready-file",
            type=Path,
            default=None,
            help="Write this file once the socket is listening.",
        )

    def handle(
        self,
        *args: Any,
        host: str | None = None,
        port: int | None = None,
        jobs: bool = False,
        ready_file: Path | None = None,
        **options: Any,
    ) -> None:
        host = host or env_str("HOST", "127.0.0.1")
        port = port if port is not None else env_int("PORT", 8000, minimum=0)

        def ready() -> None:
            # Daphne has made the loop that will serve the sockets this thread's loop:
            # events of jobs running in a thread of this process are published on it
            # (chat/events.py), where the in-memory channel layer's queues live.
            server_loop_set(asyncio.get_event_loop())
            logger.info("event loop: %s", loop_name())
            # Before any socket: a revocation written from now on reaches every socket
            # this process will serve, Redis or not (chat/notices.py).
            notices_follow_start()
            if ready_file is not None:
                ready_file.write_text(f"{host}:{port}\n", encoding="utf-8")

        max_frame = 2 * settings.CHAT_MAX_FRAME_BYTES
        # Bodies over the cap are refused before Daphne buffers them (a client's 800 MB
        # POST otherwise stays in this process's memory).
        body_bound_install(settings.HTTP_BODY_MAX_BYTES)
        server = HelplineServer(
            application=get_default_application(),
            # What may wait in memory for one websocket whose client does not read
            # (chat/server.py): past it, the socket is closed (4413).
            send_queue_max_bytes=settings.CHAT_SEND_QUEUE_BYTES,
            endpoints=build_endpoint_description_strings(host=host, port=port),
            # No access log: Daphne's names the client address of every request (DESIGN §2).
            action_logger=None,
            # Twice the protocol's cap, so the consumer sees an oversized-but-sane frame and
            # answers it with an error frame; anything larger is refused by Daphne before
            # it is buffered. Daphne >= 4.2.3 is required for this bound to hold
            # (CVE-2026-44545).
            websocket_max_message_size=max_frame,
            websocket_max_frame_size=max_frame,
            # Keepalive pings find sockets that a phone dropped when it lost signal, and
            # those whose client stopped reading (chat/server.py).
            ping_interval=settings.CHAT_PING_INTERVAL_SECONDS,
            ping_timeout=settings.CHAT_PING_TIMEOUT_SECONDS,
            websocket_timeout=86400,
            application_close_timeout=10,
            verbosity=0,
            ready_callable=ready,
            server_name="helpline",
        )

        stop = threading.Event()
        jobs_thread = None
        if jobs:
            job_list = jobs_load()
            jobs_thread = threading.Thread(
                target=jobs_run_forever, args=(stop, job_list), name="jobs", daemon=True
            )

        shown_host = f"[{host}]" if ":" in host else host
        metrics_serve()
        self.stdout.write(f"Serving on http://{shown_host}:{port}")
        self.stdout.flush()
        if jobs_thread is not None:
            jobs_thread.start()
            logger.info("Periodic jobs running in this process")
        try:
            # Blocks until SIGINT or SIGTERM: Daphne's reactor handles both.
            server.run()
            if server.abort_start:
                # Daphne logged why (port taken, address not available) and returned.
                raise CommandError(f"Could not listen on {shown_host}:{port}")
        finally:
            stop.set()
            if jobs_thread is not None:
                jobs_thread.join(JOBS_STOP_TIMEOUT_SECONDS)
                logger.info("Periodic jobs stopped")
