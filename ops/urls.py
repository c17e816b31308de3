from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.i18n import set_language

from ops import api, views

app_name = "ops"

urlpatterns = [
    path(
        "staff/login/",
        views.staff_referrer_policy(
            auth_views.LoginView.as_view(
                template_name="ops/login.html", redirect_authenticated_user=True
            )
        ),
        name="login",
    ),
    path("staff/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("staff/language/", set_language, name="language"),
    path("staff/", views.staff_app, name="app"),
    path("staff/setup/", views.staff_setup, name="setup"),
    # The JSON API (ops/api.py).
    path("staff/api/devices", api.devices_register, name="api-devices"),
    path("staff/api/devices/<uuid:device_id>", api.device_detail, name="api-device"),
    path(
        "staff/api/devices/<uuid:device_id>/certify",
        api.device_certify_view,
        name="api-device-certify",
    ),
    path(
        "staff/api/devices/<uuid:device_id>/revoke",
        api.device_revoke_view,
        name="api-device-revoke",
    ),
    path("staff/api/setup", api.setup, name="api-setup"),
    path("staff/api/setup/admin-key", api.admin_key_install, name="api-admin-key"),
    path("staff/api/team-keys", api.team_keys_publish, name="api-team-keys"),
    path(
        "staff/api/team-keys/<int:version>/wraps",
        api.team_key_wrap_add,
        name="api-team-key-wraps",
    ),
]
