"""The coordinator's self-help pages (/staff/pages/): the sections and languages with
what is missing in each, a page per section and language to write it, import and
export. Staff who take conversations read them (and export); coordinators write.
Each view: who is asking → may they → act → render."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from audit.models import Action
from ops import clock
from ops.canned import rules as canned_rules
from ops.canned.models import CannedVariable
from ops.models import StaffProfile
from ops.pages import page_context, staff_page
from ops.selfhelp import formats, selectors, services
from ops.selfhelp.content import AnswerTextData
from ops.selfhelp.models import Section
from ops.selfhelp.rendering import markdown_render, plain_render


@staff_page(coordinator=False, interpreters="refused")
def pages_overview(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    data = selectors.pages_data()
    languages = selectors.pages_languages()
    missing = selectors.missing_translations(data, languages)
    rows = []
    for section in Section:
        answers = [answer for answer in data.answers if answer.section == section.value]
        rows.append(
            {
                "section": section,
                "answers": len(answers),
                "languages": [
                    {
                        "code": language,
                        "url": reverse("ops:selfhelp-edit", args=[section.value, language]),
                        "missing": sum(
                            1
                            for item in missing[language]
                            if item == f"section:{section.value}"
                            or item.split(" ")[0] in {answer.key for answer in answers}
                        ),
                    }
                    for language in languages
                ],
            }
        )
    context = {
        **page_context(profile, {}),
        "rows": rows,
        "page_languages": languages,
        "missing": {language: items for language, items in missing.items() if items},
    }
    return render(request, "selfhelp/overview.html", context)


def posted_text(value: str) -> str:
    """What a form field holds, as stored: browsers send a textarea's line ends as CRLF,
    which must not count as a change of an untouched answer."""
    return value.replace("\r\n", "\n").strip()


def answer_rows(section: str, language: str, posted: dict | None) -> list[dict]:
    values = canned_rules.variable_values_for(
        language, CannedVariable.objects.values_list("name", "language", "value")
    )
    rows = []
    for answer in selectors.section_answers(section):
        texts = {text.language: text for text in answer.texts.all()}
        text = texts.get(language)
        reference = texts.get(canned_rules.REFERENCE_LANGUAGE)
        canned_text = None
        if answer.canned is not None:
            canned_texts = {item.language: item for item in answer.canned.texts.all()}
            canned_text = canned_texts.get(language)
        row = {
            "answer": answer,
            "question": text.question if text else "",
            "body": text.body if text else "",
            "where": text.where if text else "",
            "reference": reference,
            "canned": answer.canned,
            "canned_html": plain_render(canned_text.body, values) if canned_text else "",
            "canned_missing": answer.canned is not None and canned_text is None,
        }
        if posted is not None:
            for name in ("question", "body", "where"):
                row[name] = posted.get(f"{name}-{answer.pk}", "")
        row["body_html"] = markdown_render(row["body"], values) if row["body"] else ""
        row["where_html"] = markdown_render(row["where"], values) if row["where"] else ""
        rows.append(row)
    return rows


@staff_page(
    coordinator=False, interpreters="refused", coordinator_to_post=True, methods=["GET", "POST"]
)
def pages_edit(
    request: HttpRequest, profile: StaffProfile, section: str, language: str
) -> HttpResponse:
    """One section in one language: its title and introduction, each answer's question,
    text (unless it comes from a canned reply) and where to go."""
    if section not in Section.values or not canned_rules.LANGUAGE_PATTERN.match(language):
        raise Http404
    problems: list[tuple[str, str]] = []
    posted = None
    section_text = next(
        (
            text
            for item in selectors.pages_data().sections
            if item.section == section
            for code, text in item.texts.items()
            if code == language
        ),
        None,
    )
    title = section_text.title if section_text else ""
    intro = section_text.intro if section_text else ""
    if request.method == "POST":
        posted = {name: posted_text(value) for name, value in request.POST.items()}
        title, intro = posted.get("title", ""), posted.get("intro", "")
        answers: dict[int, AnswerTextData | None] = {}
        for answer in selectors.section_answers(section):
            question = posted.get(f"question-{answer.pk}", "")
            body = posted.get(f"body-{answer.pk}", "")
            where = posted.get(f"where-{answer.pk}", "")
            answers[answer.pk] = (
                AnswerTextData(question=question, body=body, where=where)
                if question or body or where
                else None
            )
        try:
            changed = services.selfhelp_language_save(
                section=section,
                language=language,
                title=title,
                intro=intro,
                answers=answers,
                actor=request.user,
                now=timezone.now(),
            )
        except services.PagesInvalid as exc:
            problems = exc.problems
        else:
            messages.success(
                request,
                _("Saved. Answers changed: %(count)s.") % {"count": len(changed)},
            )
            return HttpResponseRedirect(request.path)
    context = {
        **page_context(profile, {}),
        "section": Section(section),
        "language": language,
        "page_languages": selectors.pages_languages(),
        "title": title,
        "intro": intro,
        "intro_html": markdown_render(intro) if intro else "",
        "rows": answer_rows(section, language, posted),
        "problems": problems,
        "can_edit": profile.is_coordinator,
    }
    return render(request, "selfhelp/edit.html", context, status=400 if problems else 200)


@staff_page(coordinator=False, interpreters="refused")
def pages_export(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    chosen = request.GET.get("format", "json")
    if chosen not in {"json", "csv"}:
        raise Http404
    data = selectors.pages_data()
    if chosen == "json":
        content, kind = formats.pages_to_json(data), "application/json"
    else:
        content, kind = formats.pages_to_csv(data, selectors.pages_languages()), "text/csv"
    response = HttpResponse(content, content_type=f"{kind}; charset=utf-8")
    audit.record(request.user, Action.EXPORT_MADE, target=f"self-help pages ({chosen})")
    day = clock.now().date().isoformat()
    response["Content-Disposition"] = f'attachment; filename="selfhelp-pages-{day}.{chosen}"'
    return response


@staff_page(coordinator=True, interpreters="refused", methods=["POST"])
def pages_import(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    """A pages file (JSON or CSV, by its name), merged in or (``mode=replace``) making
    the pages exactly the file; all or nothing, every problem listed."""
    upload = request.FILES.get("file")
    problems: list[tuple[str, str]] = []
    if upload is None:
        problems = [("file", _("Choose a file."))]
    else:
        read = (
            formats.pages_from_csv
            if upload.name.lower().endswith(".csv")
            else formats.pages_from_json
        )
        try:
            counts = services.selfhelp_import(
                pages=read(upload.read(formats.FILE_MAX_BYTES + 1)),
                replace=request.POST.get("mode") == "replace",
                actor=request.user,
                now=timezone.now(),
            )
        except (formats.PagesUnreadable, services.PagesInvalid) as exc:
            problems = exc.problems
        else:
            messages.success(
                request,
                _("Imported: %(created)s created, %(updated)s updated, %(deleted)s deleted.")
                % counts,
            )
            return HttpResponseRedirect(reverse("ops:selfhelp"))
    for where, message in problems:
        messages.error(request, f"{where}: {message}" if where else message)
    return HttpResponseRedirect(reverse("ops:selfhelp"))
