"""Writes of the interpreter hand-off, each ``@transaction.atomic`` and returning the
events to publish after commit; plus the chat hook and the periodic job.

Concurrency is the database's: accepting is one conditional ``UPDATE … WHERE state =
'pending' AND expires_at > now`` (of two interpreters accepting at once on two workers,
exactly one changes the row; the other is told it was taken), and every later change
(cancel, expire, leave, remove, time limit) is a conditional UPDATE from the state it
leaves, so the job and a person acting at the same moment never both act.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

import audit
from audit.models import Action
from chat.events import Event, events_publish_on_commit, staff_device_group
from chat.models import Conversation, Device
from chat.notices import notices_record
from chat.services.commits import epochs_close
from ops.errors import AlreadyClaimed, NotFound, NotYours, RouteStateConflict
from ops.interpreting import events
from ops.interpreting.models import InterpreterRequest
from ops.models import Route, StaffProfile

logger = logging.getLogger(__name__)

State = InterpreterRequest.State
ON_CALL_MAX = timedelta(hours=24)


class InterpreterUnavailable(AlreadyClaimed):
    """The request was taken by another interpreter, cancelled, or it expired."""


class InterpreterBusy(RouteStateConflict):
    """This interpreter is already in a conversation."""


def language_normal(code: str) -> str:
    """The primary subtag, lower-case (``pt-BR`` → ``pt``), as routing compares them."""
    return code.split("-")[0].strip().lower()


# -- on call ------------------------------------------------------------------------------


@transaction.atomic
def on_call_set(*, profile: StaffProfile, minutes: int, at: datetime) -> StaffProfile:
    """On call for ``minutes`` from now (0: off call). Interpreters only."""
    if not profile.is_interpreter:
        raise NotYours("only interpreters go on call")
    until = at + min(timedelta(minutes=minutes), ON_CALL_MAX) if minutes > 0 else None
    StaffProfile.objects.filter(pk=profile.pk).update(on_call_until=until)
    profile.on_call_until = until
    return profile


def interpreters_on_call(*, language: str, at: datetime) -> list[StaffProfile]:
    """Interpreters on call now who speak ``language`` (active accounts)."""
    profiles = StaffProfile.objects.filter(
        is_interpreter=True, user__is_active=True, on_call_until__gt=at
    ).select_related("user")
    return [p for p in profiles if language in {language_normal(x) for x in p.languages}]


# -- the request ----------------------------------------------------------------------------


def request_owner_check(route: Route | None, *, user: AbstractBaseUser, profile) -> None:
    """Staff act on the requests of conversations in their hands; a coordinator on any."""
    if profile.is_coordinator:
        return
    if route is None or route.assigned_to_id != user.pk:
        raise NotYours("this conversation is not in your hands")


@transaction.atomic
def interpreter_request(
    *, conversation_id: str, language: str, user: AbstractBaseUser, profile, at: datetime
) -> tuple[InterpreterRequest, list[Event]]:
    """Ask for an interpreter of ``language``; interpreters on call for it are offered it."""
    conversation = (
        Conversation.objects.select_for_update()
        .filter(pk=conversation_id, state=Conversation.State.OPEN)
        .first()
    )
    if conversation is None:
        raise NotFound("no such open conversation")
    request_owner_check(
        Route.objects.filter(pk=conversation_id).first(), user=user, profile=profile
    )
    language = language_normal(language)
    try:
        with transaction.atomic():
            request = InterpreterRequest.objects.create(
                conversation=conversation,
                language=language,
                requested_by=user,
                created_at=at,
                expires_at=at + timedelta(seconds=settings.HELPLINE_INTERPRETER_REQUEST_SECONDS),
            )
    except IntegrityError:
        raise RouteStateConflict("this conversation already has an interpreter request") from None
    offered = interpreters_on_call(language=language, at=at)
    audit.record(
        user,
        Action.INTERPRETER_REQUESTED,
        target=conversation_id,
        details={"language": language, "request": request.pk, "offered_to": len(offered)},
    )
    return request, [
        events.request_changed(request, offered_to=len(offered)),
        *(events.offered(p.user_id, request) for p in offered),
    ]


@transaction.atomic
def interpreter_accept(
    *, request_id: int, user: AbstractBaseUser, profile: StaffProfile, device_id: str, at: datetime
) -> tuple[InterpreterRequest, list[Event]]:
    """The first interpreter to accept gets the request; the others are told it is taken.

    The device must be one of theirs, a certified interpreter device: it is the one the
    staff browser will wrap the epoch secret to (and the server checks, when the commit
    comes, that it is this device of an accepted request)."""
    if not profile.is_interpreter:
        raise NotYours("only interpreters accept requests")
    device = Device.objects.filter(
        pk=device_id,
        user=user,
        role=Device.Role.INTERPRETER,
        state=Device.State.CERTIFIED,
        cert_not_after__gt=at,
    ).first()
    if device is None:
        raise NotFound("no certified interpreter device of yours with this id")
    request = InterpreterRequest.objects.filter(pk=request_id).first()
    languages = {language_normal(x) for x in profile.languages}
    if request is None or request.language not in languages:
        raise NotFound("no such request for your languages")
    ends_at = at + timedelta(minutes=settings.HELPLINE_INTERPRETER_TIME_LIMIT_MINUTES)
    try:
        with transaction.atomic():
            taken = InterpreterRequest.objects.filter(
                pk=request_id, state=State.PENDING, expires_at__gt=at
            ).update(
                state=State.ACCEPTED,
                interpreter=user,
                device=device,
                accepted_at=at,
                ends_at=ends_at,
            )
    except IntegrityError:
        raise InterpreterBusy("you are already in a conversation; leave it first") from None
    if not taken:
        raise InterpreterUnavailable("another interpreter took it, or it was withdrawn")
    request.refresh_from_db()
    others = [
        p.user_id
        for p in interpreters_on_call(language=request.language, at=at)
        if p.user_id != user.pk
    ]
    return request, [
        events.request_changed(request),
        *(events.withdrawn(user_id, request) for user_id in others),
    ]


@transaction.atomic
def interpreter_request_cancel(
    *, request_id: int, user: AbstractBaseUser, profile, at: datetime
) -> tuple[InterpreterRequest, list[Event]]:
    """Staff withdraw a request nobody has accepted yet (an accepted one is removed)."""
    request = InterpreterRequest.objects.filter(pk=request_id).first()
    if request is None:
        raise NotFound("no such request")
    request_owner_check(
        Route.objects.filter(pk=request.conversation_id).first(), user=user, profile=profile
    )
    if not InterpreterRequest.objects.filter(pk=request_id, state=State.PENDING).update(
        state=State.CANCELLED, ended_at=at
    ):
        raise RouteStateConflict("the request is no longer waiting")
    request.refresh_from_db()
    return request, request_closed(request, actor=user)


def request_closed(request: InterpreterRequest, *, actor: AbstractBaseUser | None) -> list[Event]:
    """A pending request was cancelled or expired: audited; told to staff and to the
    interpreters who were offered it."""
    audit.record(
        actor,
        Action.INTERPRETER_REQUEST_CLOSED,
        target=str(request.conversation_id),
        details={"language": request.language, "request": request.pk, "state": request.state},
    )
    offered = interpreters_on_call(language=request.language, at=request.ended_at)
    return [
        events.request_changed(request),
        *(events.withdrawn(p.user_id, request) for p in offered),
    ]


@transaction.atomic
def interpreter_end(
    *,
    request_id: int,
    reason: str,
    at: datetime,
    user: AbstractBaseUser | None = None,
    profile: StaffProfile | None = None,
) -> tuple[InterpreterRequest, list[Event]]:
    """The interpreter leaves (``left``), staff remove them (``removed``) or their time
    is up (``time_limit``, the job).

    At once: their sockets close, the server stops accepting envelopes in the epochs
    they could read (clients hold new messages), and the staff dashboards are told that
    an epoch without them is due — the first staff browser that has the conversation
    open makes it."""
    request = InterpreterRequest.objects.filter(pk=request_id).first()
    if request is None:
        raise NotFound("no such request")
    if reason == InterpreterRequest.EndReason.LEFT:
        if request.interpreter_id is None or user is None or request.interpreter_id != user.pk:
            raise NotFound("no such request of yours")
    elif reason == InterpreterRequest.EndReason.REMOVED:
        route = Route.objects.filter(pk=request.conversation_id).first()
        request_owner_check(route, user=user, profile=profile)
    if not InterpreterRequest.objects.filter(pk=request_id, state=State.ACCEPTED).update(
        state=State.ENDED, ended_at=at, end_reason=reason
    ):
        raise RouteStateConflict("the interpreter is not in the conversation")
    request.refresh_from_db()
    closed_through = (
        epochs_close(conversation_id=str(request.conversation_id), device_id=str(request.device_id))
        if request.device_id is not None
        else -1
    )
    audit.record(
        user,
        Action.INTERPRETER_LEFT,
        target=str(request.conversation_id),
        details={
            "language": request.language,
            "request": request.pk,
            "device": str(request.device_id or ""),
            "reason": reason,
        },
    )
    news: list[Event] = [events.request_changed(request, rekey_due=closed_through >= 0)]
    if request.interpreter_id is not None:
        # Before the close: their page learns why its socket is about to close.
        news.append(events.assignment_ended(request.interpreter_id, request))
    if request.device_id is not None:
        ended = (
            staff_device_group(str(request.device_id)),
            {"type": "interpreter.ended", "conversation_id": str(request.conversation_id)},
        )
        # Also as a notice: their sockets close even if Redis loses the fan-out.
        notices_record([ended])
        news.append(ended)
    return request, news


# -- chat's hook and the job ---------------------------------------------------------------


def interpreter_admitted(*, conversation_id: str, device_id: str, now: datetime) -> bool:
    """settings.CHAT_INTERPRETER_ADMITTED_HOOK: this interpreter device is in this
    conversation now (an accepted request, not ended, within its time limit)."""
    return InterpreterRequest.objects.filter(
        conversation_id=conversation_id,
        device_id=device_id,
        state=State.ACCEPTED,
        ends_at__gt=now,
    ).exists()


def interpreter_admitted_until(
    *, conversation_id: str, device_id: str, now: datetime
) -> datetime | None:
    """settings.CHAT_INTERPRETER_ADMITTED_UNTIL_HOOK: the end of this interpreter
    device's time in this conversation, or None when it is not in it now."""
    return (
        InterpreterRequest.objects.filter(
            conversation_id=conversation_id,
            device_id=device_id,
            state=State.ACCEPTED,
            ends_at__gt=now,
        )
        .values_list("ends_at", flat=True)
        .first()
    )


def interpreting_tick(*, at: datetime) -> list[Event]:
    """Expire requests nobody took; end assignments past their time limit. Each row in
    its own transaction, by a conditional UPDATE: two workers never act twice."""
    published: list[Event] = []
    for request_id in InterpreterRequest.objects.filter(
        state=State.PENDING, expires_at__lte=at
    ).values_list("pk", flat=True):
        with transaction.atomic():
            if not InterpreterRequest.objects.filter(pk=request_id, state=State.PENDING).update(
                state=State.EXPIRED, ended_at=at
            ):
                continue
            request = InterpreterRequest.objects.get(pk=request_id)
            news = request_closed(request, actor=None)
            events_publish_on_commit(news)
            published += news
    for request_id in InterpreterRequest.objects.filter(
        state=State.ACCEPTED, ends_at__lte=at
    ).values_list("pk", flat=True):
        try:
            _, news = interpreter_end(
                request_id=request_id, reason=InterpreterRequest.EndReason.TIME_LIMIT, at=at
            )
        except RouteStateConflict:
            continue  # someone ended it meanwhile
        events_publish_on_commit(news)
        published += news
    return published


def interpreting_job() -> None:
    news = interpreting_tick(at=timezone.now())
    if news:
        logger.info("interpreting job: %d events", len(news))
