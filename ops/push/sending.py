"""Sending due pushes (settings.PERIODIC_JOBS, every 5 s): off the request path.

A run claims due outbox rows with a conditional UPDATE (a lease token and a new due
time: a crashed run's rows come due again after LEASE), groups them by subscription and
kind, and sends one push per group through ``pywebpush``:

- the payload is ``{"kind": …, "count": n}`` padded with spaces to PAYLOAD_BYTES, so
  every push of the helpline has the same size on the wire;
- ``Topic`` is the kind: a push service holding an undelivered push of the same kind for
  that subscription replaces it, so a burst is one notification (RFC 8030 §5.4);
- ``TTL`` and ``Urgency`` are set (RFC 8030 §5.2, §5.3); VAPID (RFC 8292) signs each
  request for the endpoint's origin, valid for VAPID_VALIDITY;
- 201/202: done; 404/410: the subscription is gone (the browser unsubscribed, or the
  push service dropped it) and is deleted, its rows with it; 429, 5xx or no answer: tried
  again later (PUSH_ATTEMPTS in all, backing off); other answers: dropped and logged.

Nothing logged names an endpoint (it identifies a browser): only the push service's host.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.utils import timezone
from pywebpush import WebPusher

from ops.push.models import PushOutbox, StaffPushSubscription, VisitorPushSubscription
from ops.push.vapid import b64url, vapid_signer

logger = logging.getLogger(__name__)

PAYLOAD_BYTES = 64
COUNT_MAX = 99  # "99" and more: the payload's size never depends on the count
LEASE = timedelta(minutes=2)
BATCH = 200
VAPID_VALIDITY = timedelta(hours=12)  # RFC 8292 §2: at most 24 hours
RETRY_FIRST = timedelta(seconds=30)
URGENCY = {
    PushOutbox.Kind.CONVERSATION: "high",
    PushOutbox.Kind.MESSAGE: "high",
    PushOutbox.Kind.REPLY: "normal",
}


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    dropped: int = 0
    gone: int = 0


def payload_for(kind: str, count: int) -> bytes:
    """What the push says, and no more: a kind and a count, padded to one size."""
    text = json.dumps({"kind": kind, "count": min(count, COUNT_MAX)}, separators=(",", ":"))
    data = text.encode("ascii")
    assert len(data) <= PAYLOAD_BYTES  # noqa: S101 — kinds are ours, the count is capped
    return data + b" " * (PAYLOAD_BYTES - len(data))


def push_send_job() -> None:
    report = push_send_due(now=timezone.now())
    if report.sent or report.retried or report.dropped or report.gone:
        logger.info(
            "push: %d sent, %d to retry, %d dropped, %d subscriptions gone",
            report.sent,
            report.retried,
            report.dropped,
            report.gone,
        )


def outbox_claim(*, now: datetime) -> list[PushOutbox]:
    """The due rows this run sends: leased with a conditional UPDATE, so another run
    (another worker) never sends them too."""
    due = list(
        PushOutbox.objects.filter(due_at__lte=now)
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:BATCH]
    )
    if not due:
        return []
    lease = uuid.uuid4()
    PushOutbox.objects.filter(pk__in=due, due_at__lte=now).update(lease=lease, due_at=now + LEASE)
    return list(
        PushOutbox.objects.filter(lease=lease).select_related(
            "staff_subscription", "visitor_subscription"
        )
    )


def push_send_due(*, now: datetime, session: requests.Session | None = None) -> SendReport:
    report = SendReport()
    signer = vapid_signer()
    if signer is None:
        PushOutbox.objects.all().delete()  # push was turned off: nothing will go
        return report
    rows = outbox_claim(now=now)
    groups: dict[tuple[str, int, str], list[PushOutbox]] = defaultdict(list)
    for row in rows:
        if row.staff_subscription_id is not None:
            groups[("staff", row.staff_subscription_id, row.kind)].append(row)
        else:
            groups[("visitor", row.visitor_subscription_id, row.kind)].append(row)
    http = session or requests.Session()
    try:
        for (side, _, kind), members in groups.items():
            subscription = (
                members[0].staff_subscription
                if side == "staff"
                else members[0].visitor_subscription
            )
            outcome = push_send_one(
                subscription, kind=kind, count=len(members), signer=signer, http=http, now=now
            )
            outcome_record(outcome, subscription, members, report=report, now=now)
    finally:
        if session is None:
            http.close()
    return report


@dataclass(frozen=True)
class Outcome:
    status: int | None  # None: no answer
    retry_after: int | None = None


def push_send_one(
    subscription: StaffPushSubscription | VisitorPushSubscription,
    *,
    kind: str,
    count: int,
    signer,
    http: requests.Session,
    now: datetime,
) -> Outcome:
    endpoint = subscription.endpoint
    parts = urlsplit(endpoint)
    claims = {
        "aud": f"{parts.scheme}://{parts.netloc}",
        # The machine's clock, not the helpline's: the push service checks it against its own.
        "exp": int(time.time() + VAPID_VALIDITY.total_seconds()),
        "sub": settings.PUSH_VAPID_SUBJECT,
    }
    staff = isinstance(subscription, StaffPushSubscription)
    ttl = settings.PUSH_STAFF_TTL_SECONDS if staff else settings.PUSH_VISITOR_TTL_SECONDS
    headers = {**signer.sign(claims), "Topic": kind, "Urgency": URGENCY[kind]}
    info = {
        "endpoint": endpoint,
        "keys": {
            "p256dh": b64url(bytes(subscription.p256dh)),
            "auth": b64url(bytes(subscription.auth)),
        },
    }
    try:
        response = WebPusher(info, requests_session=http).send(
            payload_for(kind, count),
            headers=headers,
            ttl=ttl,
            content_encoding="aes128gcm",
            timeout=settings.PUSH_TIMEOUT_SECONDS,
        )
    except requests.RequestException as error:
        logger.warning("push to %s: no answer (%s)", parts.hostname, type(error).__name__)
        return Outcome(status=None)
    retry_after = response.headers.get("Retry-After", "")
    return Outcome(
        status=response.status_code,
        retry_after=int(retry_after) if retry_after.isdigit() else None,
    )


def outcome_record(
    outcome: Outcome,
    subscription: StaffPushSubscription | VisitorPushSubscription,
    members: list[PushOutbox],
    *,
    report: SendReport,
    now: datetime,
) -> None:
    pks = [row.pk for row in members]
    status = outcome.status
    if status is not None and 200 <= status < 300:
        PushOutbox.objects.filter(pk__in=pks).delete()
        report.sent += 1
        return
    if status in (404, 410):
        # The push service says this subscription is no more: neither is our copy.
        type(subscription).objects.filter(pk=subscription.pk).delete()
        report.gone += 1
        return
    host = urlsplit(subscription.endpoint).hostname
    if status is None or status == 429 or status >= 500:
        attempts = max(row.attempts for row in members) + 1
        if attempts >= settings.PUSH_ATTEMPTS:
            PushOutbox.objects.filter(pk__in=pks).delete()
            logger.warning("push to %s: given up after %d attempts", host, attempts)
            report.dropped += 1
            return
        wait = RETRY_FIRST * 2 ** (attempts - 1)
        if outcome.retry_after is not None:
            wait = max(wait, timedelta(seconds=min(outcome.retry_after, 3600)))
        PushOutbox.objects.filter(pk__in=pks).update(
            attempts=attempts, due_at=now + wait, lease=None
        )
        report.retried += 1
        return
    PushOutbox.objects.filter(pk__in=pks).delete()
    logger.warning("push to %s refused: HTTP %s", host, status)
    report.dropped += 1
