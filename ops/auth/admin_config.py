"""django.contrib.admin's app config with the admin site behind the staff sign-in
(settings.INSTALLED_APPS names this class instead of "django.contrib.admin"). In its own
module: ``ops.auth.apps`` must declare one app config only."""

from __future__ import annotations

from django.contrib.admin import apps as admin_apps


class StaffAdminConfig(admin_apps.AdminConfig):
    """Password and second factor, like every staff page (ops/auth/admin_site.py)."""

    default_site = "ops.auth.admin_site.StaffAdminSite"
