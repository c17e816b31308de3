"""The canned replies in Django's admin (imported by ops/admin.py): the fallback to the
dashboard's page, with the same rules (ops/canned/rules.py)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ops.canned import rules, selectors, services
from ops.canned.models import CannedReply, CannedText, CannedVariable


def string_list(value: object, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise forms.ValidationError(_('A list of texts, e.g. ["PrEP", "ПрЕП"].'), code=field)
    return value


class CannedReplyForm(forms.ModelForm):
    class Meta:
        model = CannedReply
        # "reviewed" is not edited here: a review is marked on the Canned replies page,
        # of the version read, with who and when (ops/canned/services.py).
        fields = ["shortcut", "title", "tags", "sources"]

    def clean_shortcut(self) -> str:
        return rules.shortcut_clean(self.cleaned_data["shortcut"])

    def clean_tags(self) -> list[str]:
        return list(rules.tags_clean(string_list(self.cleaned_data["tags"], "tags")))

    def clean_sources(self) -> list[str]:
        return list(rules.sources_clean(string_list(self.cleaned_data["sources"], "sources")))

    def clean(self) -> dict:
        data = super().clean()
        reply = rules.ReplyData(
            shortcut=data.get("shortcut", ""),
            title=data.get("title", ""),
            tags=tuple(data.get("tags") or ()),
            sources=tuple(data.get("sources") or ()),
            texts={"fr": rules.TextData(body="-")},  # texts are checked by their own forms
        )
        for field, message in rules.entry_problems(reply):
            self.add_error(field if field in self.fields else None, message)
        return data


class CannedTextForm(forms.ModelForm):
    class Meta:
        model = CannedText
        fields = ["language", "title", "body"]

    def clean(self) -> dict:
        data = super().clean()
        language = rules.language_clean(data.get("language") or "")
        text = rules.TextData(body=data.get("body") or "", title=data.get("title") or "")
        for field, message in rules.text_problems(language, text):
            name = field.rsplit(".", 1)[-1]
            self.add_error(name if name in self.fields else "language", message)
        data["language"] = language
        return data


class CannedTextInline(admin.StackedInline):
    model = CannedText
    form = CannedTextForm
    extra = 1


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    form = CannedReplyForm
    inlines = [CannedTextInline]
    list_display = ["shortcut", "title", "reviewed", "languages", "missing", "updated_at"]
    list_filter = ["reviewed"]
    search_fields = ["shortcut", "title", "texts__title"]
    readonly_fields = [
        "updated_at",
        "version",
        "reviewed",
        "reviewed_version",
        "reviewed_by_name",
        "reviewed_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("texts")

    @admin.display(description=_("languages"))
    def languages(self, reply: CannedReply) -> str:
        return ", ".join(sorted(text.language for text in reply.texts.all()))

    @admin.display(description=_("missing languages"))
    def missing(self, reply: CannedReply) -> str:
        used = CannedText.objects.values_list("language", flat=True).distinct()
        languages = rules.languages_ordered(used)
        return ", ".join(selectors.missing_languages(reply, languages)) or "—"

    def save_model(self, request, obj, form, change) -> None:
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change) -> None:
        """Texts or sources changed here are a new version, not reviewed, as on the
        Canned replies page."""
        super().save_related(request, form, formsets, change)
        if change and ("sources" in form.changed_data or any(f.has_changed() for f in formsets)):
            services.canned_reply_content_changed(
                reply_id=form.instance.pk, actor=request.user, now=timezone.now()
            )


@admin.register(CannedVariable)
class CannedVariableAdmin(admin.ModelAdmin):
    list_display = ["name", "language", "value"]
    list_filter = ["name", "language"]
