"""The self-help pages' staff side (ops/selfhelp/): Markdown made safe, the starter
pages, the coordinator's edit of a section in a language (audited), missing
translations, import and export; and the wrong sides (staff read, interpreters and
outsiders are refused)."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.test import Client

from audit.models import Action, AuditEntry
from ops.canned.models import CannedVariable
from ops.selfhelp import formats, selectors
from ops.selfhelp.models import SelfHelpAnswer, SelfHelpText
from ops.selfhelp.rendering import markdown_render, plain_render

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages(db):
    call_command("canned_load", verbosity=0)
    call_command("selfhelp_load", verbosity=0)


# -- Markdown ------------------------------------------------------------------------


def test_script_in_markdown_comes_out_as_text():
    html = markdown_render("Hello <script>alert(1)</script> and <b onclick=x>bold</b>")
    assert "<script" not in html and "<b " not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_javascript_link_comes_out_as_text():
    for link in (
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,x",
        "vbscript:x",
    ):
        html = markdown_render(f"[tap]({link})")
        assert "<a" not in html, link
        assert "tap" in html


def test_headings_lists_bold_and_phone_links_are_kept():
    html = markdown_render(
        "# Title\n\n- **3919** [call](tel:3919)\n- [text](sms:114)\n\n[site](https://example.org)"
    )
    assert "<h3>Title</h3>" in html  # under the page's h1 and the answer's h2
    assert "<li><strong>3919</strong>" in html
    assert 'href="tel:3919"' in html and 'href="sms:114"' in html
    assert 'href="https://example.org" rel="noopener noreferrer"' in html


def test_no_image_is_ever_made():
    html = markdown_render("![pixel](https://tracker.example/p.png) <img src=https://x/y.png>")
    assert "<img" not in html


def test_a_canned_text_is_plain_paragraphs_and_drops_sentences_without_a_value():
    body = "Free tests. Near you: {testing_centre}. Ask us.\n<b>112</b>: emergencies"
    assert (
        plain_render(body, {})
        == "<p>Free tests. Ask us.</p>\n<p>&lt;b&gt;112&lt;/b&gt;: emergencies</p>"
    )
    assert "Near you: CeGIDD Nord." in plain_render(body, {"testing_centre": "CeGIDD Nord"})


# -- the starter pages ----------------------------------------------------------------


def test_the_starter_pages_are_complete_in_every_base_language(pages):
    missing = selectors.missing_translations(selectors.pages_data(), selectors.pages_languages())
    assert missing == {language: [] for language in selectors.pages_languages()}
    assert len(selectors.pages_languages()) == 9


def test_health_answers_are_the_canned_replies_text(pages):
    """One source of truth: the page shows the canned reply's text as it is now."""
    from ops.canned.models import CannedText

    prep = CannedText.objects.get(reply__shortcut="prep", language="bg")
    prep.body = "ПрЕП: всеки ден за жени. Нов текст."
    prep.save()
    health = next(
        s for s in selectors.visitor_pages(language="bg")["sections"] if s["section"] == "health"
    )
    answer = next(a for a in health["answers"] if a["key"] == "prep")
    assert answer["body_html"] == "<p>ПрЕП: всеки ден за жени. Нов текст.</p>"
    assert 'href="tel:0800840800"' in answer["where_html"]


def test_an_answer_lacking_a_language_is_read_in_english(pages):
    SelfHelpText.objects.filter(answer__key="chat", language="ro").delete()
    about = next(
        s for s in selectors.visitor_pages(language="ro")["sections"] if s["section"] == "about"
    )
    chat = next(a for a in about["answers"] if a["key"] == "chat")
    assert chat["lang"] == "en" and chat["question"] == "What is the chat?"
    missing = selectors.missing_translations(selectors.pages_data(), selectors.pages_languages())
    assert missing["ro"] == ["chat"]


def test_an_answer_with_nothing_to_say_yet_is_left_out(pages):
    """ "Come and see us" is all variables; with no address set it is not shown."""
    about = next(
        s for s in selectors.visitor_pages(language="fr")["sections"] if s["section"] == "about"
    )
    assert "come-see-us" not in [a["key"] for a in about["answers"]]
    CannedVariable.objects.create(name="address", language="", value="12 rue Sainte-Catherine")
    about = next(
        s for s in selectors.visitor_pages(language="fr")["sections"] if s["section"] == "about"
    )
    come = next(a for a in about["answers"] if a["key"] == "come-see-us")
    assert "12 rue Sainte-Catherine" in come["body_html"]


def test_the_fingerprint_changes_with_what_is_shown(pages):
    before = selectors.visitor_pages(language="bg")["fingerprint"]
    assert selectors.visitor_pages(language="bg")["fingerprint"] == before
    SelfHelpText.objects.filter(answer__key="condoms", language="bg").update(question="Нов въпрос")
    assert selectors.visitor_pages(language="bg")["fingerprint"] != before


# -- the coordinator's pages ----------------------------------------------------------


def edit_form(client: Client, section: str, language: str) -> dict:
    page = client.get(f"/staff/pages/{section}/{language}")
    assert page.status_code == 200
    form = {"title": page.context["title"], "intro": page.context["intro"]}
    for row in page.context["rows"]:
        pk = row["answer"].pk
        form |= {
            f"question-{pk}": row["question"],
            f"body-{pk}": row["body"],
            f"where-{pk}": row["where"],
        }
    return form


def test_a_coordinator_edits_an_answer_in_french_and_adds_its_romanian(pages, coordinator):
    chat = SelfHelpAnswer.objects.get(key="chat")
    SelfHelpText.objects.filter(answer=chat, language="ro").delete()
    form = edit_form(coordinator.client, "about", "fr")
    form[f"body-{chat.pk}"] = "Un espace pour écrire à l'équipe. **Gratuit.**"
    assert coordinator.client.post("/staff/pages/about/fr", form).status_code == 302
    form = edit_form(coordinator.client, "about", "ro")
    form[f"question-{chat.pk}"] = "Ce este chatul?"
    form[f"body-{chat.pk}"] = "Un loc unde scrii echipei. **Gratuit.** [Sună](tel:3919)"
    assert coordinator.client.post("/staff/pages/about/ro", form).status_code == 302

    about = next(
        s for s in selectors.visitor_pages(language="ro")["sections"] if s["section"] == "about"
    )
    answer = next(a for a in about["answers"] if a["key"] == "chat")
    assert answer["lang"] == "ro"
    link = '<a href="tel:3919" rel="noopener noreferrer">Sună</a>'
    assert (
        answer["body_html"]
        == f"<p>Un loc unde scrii echipei. <strong>Gratuit.</strong> {link}</p>\n"
    )
    entries = AuditEntry.objects.filter(action=Action.SELFHELP_CHANGED).order_by("at", "pk")
    assert [(e.actor_name, e.target, e.details) for e in entries] == [
        ("alice", "about/chat [fr]", {"created": False, "deleted": False, "fields": "body"}),
        (
            "alice",
            "about/chat [ro]",
            {"created": True, "deleted": False, "fields": "question,body"},
        ),
    ]


def test_nothing_is_saved_when_a_question_is_missing(pages, coordinator):
    condoms = SelfHelpAnswer.objects.get(key="condoms")
    form = edit_form(coordinator.client, "health", "bg")
    form[f"question-{condoms.pk}"] = ""
    form[f"where-{condoms.pk}"] = "[112](tel:112)"
    response = coordinator.client.post("/staff/pages/health/bg", form)
    assert response.status_code == 400
    assert response.context["problems"][0][0] == "answers.condoms.texts.bg.question"
    assert not AuditEntry.objects.filter(action=Action.SELFHELP_CHANGED).exists()


def test_staff_read_the_pages_but_cannot_change_them(pages, nurse):
    assert nurse.client.get("/staff/pages/").status_code == 200
    page = nurse.client.get("/staff/pages/health/fr")
    assert page.status_code == 200 and not page.context["can_edit"]
    form = edit_form(nurse.client, "health", "fr")
    assert nurse.client.post("/staff/pages/health/fr", form).status_code == 403
    assert nurse.client.post("/staff/pages/import", {}).status_code == 403


def test_interpreters_and_outsiders_are_refused(pages, interpreter, outsider):
    for client in (interpreter.client, outsider):
        for path in ("/staff/pages/", "/staff/pages/health/fr", "/staff/pages/export?format=json"):
            assert client.get(path).status_code == 403, path


def test_the_overview_lists_missing_translations(pages, nurse):
    SelfHelpText.objects.filter(answer__key="prep", language="zh").delete()
    page = nurse.client.get("/staff/pages/")
    assert page.context["missing"] == {"zh": ["prep"]}
    content = page.content.decode()
    assert "1 manquant" in content  # staff pages are in French by default
    assert '<th scope="col">pt-BR</th><th scope="col">zh</th>' in content


# -- import and export ----------------------------------------------------------------


def test_export_then_import_gives_the_same_pages(pages, coordinator):
    exported = coordinator.client.get("/staff/pages/export?format=json")
    assert exported["Content-Disposition"].startswith('attachment; filename="selfhelp-pages-')
    before = selectors.pages_data()
    SelfHelpText.objects.filter(answer__key="prep").delete()
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("pages.json", exported.content, content_type="application/json")
    response = coordinator.client.post("/staff/pages/import", {"file": upload, "mode": "merge"})
    assert response.status_code == 302
    assert selectors.pages_data() == before
    assert AuditEntry.objects.filter(action=Action.SELFHELP_IMPORTED, actor_name="alice").exists()
    assert AuditEntry.objects.filter(
        action=Action.EXPORT_MADE, target="self-help pages (json)"
    ).exists()


def test_csv_round_trip_for_translators(pages):
    data = selectors.pages_data()
    csv_bytes = formats.pages_to_csv(data, selectors.pages_languages())
    assert formats.pages_from_csv(csv_bytes) == data


def test_an_import_with_problems_changes_nothing(pages, coordinator):
    document = json.loads(formats.pages_to_json(selectors.pages_data()))
    document["answers"][0]["texts"]["fr"]["question"] = "x" * 500
    document["answers"][1]["canned"] = "no-such-reply"
    with pytest.raises(formats.PagesUnreadable):
        formats.pages_from_json(json.dumps(document).encode())
    document["answers"][0]["texts"]["fr"]["question"] = "ok"
    from django.utils import timezone

    from ops.selfhelp import services

    with pytest.raises(services.PagesInvalid) as refused:
        services.selfhelp_import(
            pages=formats.pages_from_json(json.dumps(document).encode()), now=timezone.now()
        )
    assert refused.value.problems == [("canned", "Aucune réponse type /no-such-reply.")]
    assert SelfHelpText.objects.get(answer__key="condoms", language="fr").question != "ok"


def test_a_browsers_crlf_line_ends_are_no_change(pages, coordinator):
    """Browsers send a textarea's line ends as CRLF: saving a section must not record a
    change of every untouched answer."""
    form = edit_form(coordinator.client, "about", "fr")
    form = {name: value.replace("\n", "\r\n") for name, value in form.items()}
    assert coordinator.client.post("/staff/pages/about/fr", form).status_code == 302
    assert not AuditEntry.objects.filter(action=Action.SELFHELP_CHANGED).exists()
