"""The canned replies' API (ops/README.md "Canned replies API"): the library for every
staff member (the picker and the page read it), its editing, the helpline's variable
values, and import/export, for the coordinator. Interpreters are refused: they are
invited into one conversation, they do not answer with the helpline's templates.

Bodies are public templates: the staff browser fills in the variables and encrypts
what it sends like any message; nothing here knows which reply went to whom.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

import audit
from audit.models import Action
from ops import clock
from ops.canned import formats, rules, selectors, services
from ops.canned.errors import CannedInvalid, LibraryImportRefused
from ops.canned.models import CannedReply, CannedVariable
from ops.canned.rules import ReplyData, TextData
from ops.jsonapi import (
    BadRequest,
    Body,
    api_methods,
    api_view,
    body_parse,
    error_for,
)
from ops.models import StaffProfile
from ops.routing.events import unix

UNSET: Any = msgspec.UNSET
# Generous limits against absurd bodies; the rules (ops/canned/rules.py) say the rest,
# field by field, in the coordinator's language.
Short = Annotated[str, msgspec.Meta(max_length=1000)]
Long = Annotated[str, msgspec.Meta(max_length=20_000)]
Shorts = Annotated[list[Short], msgspec.Meta(max_length=200)]
LanguageKey = Annotated[str, msgspec.Meta(max_length=16)]


class TextBody(Body):
    body: Long
    title: Short = ""

    def data(self) -> TextData:
        return TextData(body=self.body.strip(), title=self.title.strip())


class ReplyBody(Body):
    shortcut: Short
    title: Short
    texts: Annotated[dict[LanguageKey, TextBody], msgspec.Meta(max_length=100)]
    tags: Shorts = []
    sources: Shorts = []

    def data(self) -> ReplyData:
        return ReplyData(
            shortcut=rules.shortcut_clean(self.shortcut),
            title=self.title.strip(),
            tags=rules.tags_clean(self.tags),
            sources=rules.sources_clean(self.sources),
            texts={
                rules.language_clean(language): text.data() for language, text in self.texts.items()
            },
        )


class ReplyPatch(Body):
    """Only what changes; a text set to null deletes that language's. "Reviewed" is not
    a field: a review is its own action (``review``), of the version read."""

    shortcut: Short | msgspec.UnsetType = UNSET
    title: Short | msgspec.UnsetType = UNSET
    tags: Shorts | msgspec.UnsetType = UNSET
    sources: Shorts | msgspec.UnsetType = UNSET
    texts: (
        Annotated[dict[LanguageKey, TextBody | None], msgspec.Meta(max_length=100)]
        | msgspec.UnsetType
    ) = UNSET

    def fields(self) -> dict[str, Any]:
        cleaners = {
            "shortcut": rules.shortcut_clean,
            "title": str.strip,
            "tags": rules.tags_clean,
            "sources": rules.sources_clean,
        }
        return {
            name: clean(getattr(self, name))
            for name, clean in cleaners.items()
            if getattr(self, name) is not UNSET
        }

    def texts_data(self) -> dict[str, TextData | None] | None:
        if self.texts is UNSET:
            return None
        return {
            rules.language_clean(language): None if text is None else text.data()
            for language, text in self.texts.items()
        }


class ReviewBody(Body):
    """The version the coordinator read and marks reviewed."""

    version: Annotated[int, msgspec.Meta(ge=1)]


class VariableBody(Body):
    name: Short
    value: Short
    language: Short = ""


class VariablesBody(Body):
    variables: Annotated[list[VariableBody], msgspec.Meta(max_length=200)]


# -- shapes ---------------------------------------------------------------------------------


def reply_json(reply: CannedReply, languages: list[str]) -> dict:
    texts = {text.language: text for text in reply.texts.all()}
    return {
        "id": reply.pk,
        "shortcut": reply.shortcut,
        "title": reply.title,
        "tags": list(reply.tags),
        "reviewed": reply.reviewed,
        "version": reply.version,
        "review": review_json(reply),
        "sources": list(reply.sources),
        "texts": {
            language: {"title": texts[language].title, "body": texts[language].body}
            for language in rules.languages_ordered(texts)
            if language in texts
        },
        "missing": selectors.missing_languages(reply, languages),
        "updated_at": unix(reply.updated_at),
    }


def review_json(reply: CannedReply) -> dict | None:
    """The last review: of the current version when ``reviewed``, of an earlier one when
    the entry has changed since; None when no version was ever marked (or the mark was
    withdrawn)."""
    if reply.reviewed_version is None:
        return None
    return {
        "version": reply.reviewed_version,
        "by": reply.reviewed_by_name,
        "at": unix(reply.reviewed_at),
    }


def variable_json(variable: CannedVariable) -> dict:
    return {"name": variable.name, "language": variable.language, "value": variable.value}


def library_json(profile: StaffProfile, query: str = "") -> dict:
    replies = selectors.replies_all()
    languages = selectors.library_languages(replies)
    if query:
        replies = selectors.replies_search(replies, query)
    return {
        "languages": languages,
        "reference_language": rules.REFERENCE_LANGUAGE,
        "variables": {
            "names": list(rules.VARIABLES),
            "values": [variable_json(v) for v in selectors.variables_all()],
        },
        "replies": [reply_json(reply, languages) for reply in replies],
        "unreviewed": sum(1 for reply in replies if not reply.reviewed),
        "can_edit": profile.is_coordinator,
    }


def one_reply_json(reply_id: int) -> dict:
    replies = selectors.replies_all()
    languages = selectors.library_languages(replies)
    reply = next(reply for reply in replies if reply.pk == reply_id)
    return reply_json(reply, languages)


def invalid(exc: CannedInvalid | LibraryImportRefused) -> JsonResponse:
    """The error table's answer (ops/jsonapi.py), with what is wrong, field by field (or row
    by row, for an import)."""
    status, code, message = error_for(exc)
    body = {
        "error": code,
        "message": str(message),
        "detail": str(exc)[:500],
        "problems": [
            problem.as_json()
            if isinstance(problem, formats.RowProblem)
            else {"field": problem[0], "message": problem[1]}
            for problem in exc.problems
        ],
    }
    return JsonResponse(body, status=status)


# -- views ----------------------------------------------------------------------------------


@api_view(method="GET", interpreters=False)
def library_get(request: HttpRequest, profile: StaffProfile) -> JsonResponse:
    """The whole library (tens of entries): the picker searches it in the browser;
    ``?q=`` filters it here with the same rules."""
    return JsonResponse(library_json(profile, request.GET.get("q", "")[:200]))


@api_view(method="POST", coordinator=True, interpreters=False)
def reply_create(request: HttpRequest, profile: StaffProfile) -> JsonResponse:
    body = body_parse(request, ReplyBody)
    try:
        reply = services.canned_reply_create(
            reply=body.data(), now=timezone.now(), actor=request.user
        )
    except CannedInvalid as exc:
        return invalid(exc)
    return JsonResponse(one_reply_json(reply.pk), status=201)


@api_view(method="PATCH", coordinator=True, interpreters=False)
def reply_update(request: HttpRequest, profile: StaffProfile, reply_id: int) -> JsonResponse:
    body = body_parse(request, ReplyPatch)
    try:
        reply = services.canned_reply_update(
            reply_id=reply_id,
            fields=body.fields(),
            texts=body.texts_data(),
            now=timezone.now(),
            actor=request.user,
        )
    except CannedInvalid as exc:
        return invalid(exc)
    return JsonResponse(one_reply_json(reply.pk))


@api_view(method="DELETE", coordinator=True, interpreters=False)
def reply_delete(request: HttpRequest, profile: StaffProfile, reply_id: int) -> HttpResponse:
    services.canned_reply_delete(reply_id=reply_id, actor=request.user)
    return HttpResponse(status=204)


@api_view(method="POST", coordinator=True, interpreters=False)
def review_mark(request: HttpRequest, profile: StaffProfile, reply_id: int) -> JsonResponse:
    """The coordinator records that the association's medical and legal staff checked
    the version they read (409 ``review_outdated`` if it has changed since)."""
    body = body_parse(request, ReviewBody)
    services.canned_reply_review(
        reply_id=reply_id, version=body.version, actor=request.user, now=timezone.now()
    )
    return JsonResponse(one_reply_json(reply_id))


@api_view(method="DELETE", coordinator=True, interpreters=False)
def review_withdraw(request: HttpRequest, profile: StaffProfile, reply_id: int) -> JsonResponse:
    services.canned_reply_review_withdraw(reply_id=reply_id, actor=request.user)
    return JsonResponse(one_reply_json(reply_id))


@api_view(method="PUT", coordinator=True, interpreters=False)
def variables_put(request: HttpRequest, profile: StaffProfile) -> JsonResponse:
    body = body_parse(request, VariablesBody)
    values = [(v.name, rules.language_clean(v.language), v.value) for v in body.variables]
    try:
        saved = services.canned_variables_set(values=values)
    except CannedInvalid as exc:
        return invalid(exc)
    return JsonResponse({"values": [variable_json(v) for v in saved]})


def file_format(request: HttpRequest) -> str:
    chosen = request.GET.get("format", "")
    if chosen not in {"json", "csv"}:
        raise BadRequest("format must be json or csv")
    return chosen


@api_view(method="GET", interpreters=False)
def library_export(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    """The whole library as a file: JSON, or CSV with a row per entry and language
    (missing languages included, their body empty, for the translators)."""
    chosen = file_format(request)
    replies = selectors.replies_all()
    data = [selectors.reply_data(reply) for reply in replies]
    if chosen == "json":
        content, kind = formats.library_to_json(data), "application/json"
    else:
        languages = selectors.library_languages(replies)
        content, kind = formats.library_to_csv(data, languages), "text/csv"
    response = HttpResponse(content, content_type=f"{kind}; charset=utf-8")
    audit.record(request.user, Action.EXPORT_MADE, target=f"canned replies ({chosen})")
    day = clock.now().date().isoformat()
    response["Content-Disposition"] = f'attachment; filename="canned-replies-{day}.{chosen}"'
    return response


@api_view(method="POST", coordinator=True, interpreters=False)
def library_import(request: HttpRequest, profile: StaffProfile) -> JsonResponse:
    """A library file as the request body (``?format=json|csv``, ``&replace=1`` to make
    the library exactly the file). Every problem is reported with its row; nothing is
    written unless the whole file is right."""
    chosen = file_format(request)
    replace = request.GET.get("replace") in {"1", "true"}
    read = formats.library_from_json if chosen == "json" else formats.library_from_csv
    try:
        replies = read(request.body)
        result = services.canned_library_import(
            replies=replies, replace=replace, now=timezone.now(), actor=request.user
        )
    except formats.LibraryUnreadable as exc:
        return invalid(LibraryImportRefused(exc.problems))
    except LibraryImportRefused as exc:
        return invalid(exc)
    return JsonResponse({**result.as_json(), "replies": CannedReply.objects.count()})


library = api_methods(GET=library_get, POST=reply_create)
reply = api_methods(PATCH=reply_update, DELETE=reply_delete)
review = api_methods(POST=review_mark, DELETE=review_withdraw)
