from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from ops.models import Campaign, StaffProfile


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "public_label", "is_coordinator", "is_interpreter"]
    list_filter = ["is_coordinator", "is_interpreter"]
    search_fields = ["user__username", "public_label"]
    autocomplete_fields = ["user"]


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
