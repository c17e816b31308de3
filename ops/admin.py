from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from chat.events import events_publish_on_commit
from ops import clock
from ops.models import Campaign, Closure, Note, Route, Shift, ShiftEvent, Slot, StaffProfile
from ops.rota.services import rota_changed


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "channel", "date", "messages_sent", "skill", "created_at"]
    list_filter = ["channel", "skill"]
    readonly_fields = ["created_at"]


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "public_label",
        "is_coordinator",
        "is_interpreter",
        "languages",
        "skills",
        "capacity",
        "presence",
    ]
    list_filter = ["is_coordinator", "is_interpreter", "presence"]
    search_fields = ["user__username", "public_label"]
    autocomplete_fields = ["user"]
    readonly_fields = ["presence_shown", "last_seen_at", "open_sockets"]


class RotaAdmin(admin.ModelAdmin):
    """The rota is edited in the dashboard's rota page; the admin is the fallback, and
    tells dashboards and visitors the same way (ops/rota/services.py)."""

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        rota_announce()

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        rota_announce()

    def delete_queryset(self, request, queryset) -> None:
        super().delete_queryset(request, queryset)
        rota_announce()


def rota_announce() -> None:
    events_publish_on_commit(rota_changed(clock.now()))


@admin.register(Slot)
class SlotAdmin(RotaAdmin):
    list_display = ["label", "weekday", "start", "end", "skill"]
    list_filter = ["weekday", "skill"]
    filter_horizontal = ["staff"]


@admin.register(Shift)
class ShiftAdmin(RotaAdmin):
    list_display = ["label", "date", "start", "end", "skill"]
    list_filter = ["skill"]
    date_hierarchy = "date"
    filter_horizontal = ["staff"]


@admin.register(Closure)
class ClosureAdmin(RotaAdmin):
    list_display = ["reason", "start_date", "end_date"]
    date_hierarchy = "start_date"


# Routes, notes and shift events are the helpline's own records: shown, never edited
# (a claim or a transfer made here would skip the checks and tell no dashboard).


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Route)
class RouteAdmin(ReadOnlyAdmin):
    list_display = ["conversation_id", "state", "language", "skill", "assigned_to", "waiting_since"]
    list_filter = ["state", "language", "skill", "handed_over"]


@admin.register(Note)
class NoteAdmin(ReadOnlyAdmin):
    list_display = ["conversation_id", "kind", "author", "team_key_version", "created_at"]
    list_filter = ["kind"]
    exclude = ["ciphertext"]  # sealed: nothing readable to show


@admin.register(ShiftEvent)
class ShiftEventAdmin(ReadOnlyAdmin):
    list_display = ["instance_key", "kind", "created_at"]
    list_filter = ["kind"]


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False
    max_num = 1


User = get_user_model()
# The profile is edited with the account it belongs to.
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, StaffProfileInline]


# The canned replies register their own admin.
import ops.canned.admin  # noqa: E402, F401
