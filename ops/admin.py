from __future__ import annotations

from django.contrib import admin

from ops.models import Campaign


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "created_at"]
    readonly_fields = ["created_at"]
