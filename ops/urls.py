from __future__ import annotations

from django.urls import path
from django.views.i18n import set_language

from ops import api_canned, audit_page, views
from ops.auth import views as auth_views
from ops.campaigns import views as campaign_pages
from ops.canned import views as canned_views
from ops.devices import api
from ops.interpreting import api as api_interpreting
from ops.push import api as push_api
from ops.push import views as push_views
from ops.report import views as report_views
from ops.rota import api as api_rota
from ops.routing import api as api_routing
from ops.selfhelp import views as selfhelp_views

app_name = "ops"

urlpatterns = [
    # Password, then the second factor (ops/auth/urls.py).
    path("staff/login/", auth_views.login_view, name="login"),
    path("staff/logout/", auth_views.logout_view, name="logout"),
    path("staff/language/", set_language, name="language"),
    path("staff/", views.staff_app, name="app"),
    path("staff/setup/", views.staff_setup, name="setup"),
    path("staff/interpreter/", views.interpreter_page, name="interpreter"),
    path("staff/rota/", views.staff_rota, name="rota"),
    path("staff/canned/", canned_views.canned_page, name="canned"),
    path("staff/audit/", audit_page.audit_page, name="audit"),
    # The self-help pages beside the chat (ops/selfhelp/).
    path("staff/pages/", selfhelp_views.pages_overview, name="selfhelp"),
    path("staff/pages/export", selfhelp_views.pages_export, name="selfhelp-export"),
    path("staff/pages/import", selfhelp_views.pages_import, name="selfhelp-import"),
    path(
        "staff/pages/<slug:section>/<str:language>",
        selfhelp_views.pages_edit,
        name="selfhelp-edit",
    ),
    # Campaigns and the activity report (ops/campaigns/views.py, ops/report/).
    path("staff/campaigns/", campaign_pages.campaign_list, name="campaigns"),
    path("staff/campaigns/new", campaign_pages.campaign_new, name="campaign-new"),
    path(
        "staff/campaigns/association",
        campaign_pages.association_edit,
        name="campaigns-association",
    ),
    path("staff/campaigns/<int:campaign_id>/", campaign_pages.campaign_edit, name="campaign"),
    path(
        "staff/campaigns/<int:campaign_id>/sent", campaign_pages.campaign_sent, name="campaign-sent"
    ),
    path(
        "staff/campaigns/<int:campaign_id>/qr.<str:kind>",
        campaign_pages.campaign_qr,
        name="campaign-qr",
    ),
    path(
        "staff/campaigns/<int:campaign_id>/sticker",
        campaign_pages.campaign_sticker,
        name="campaign-sticker",
    ),
    path("staff/report/", report_views.report_page, name="report"),
    path("staff/report/print", report_views.report_print, name="report-print"),
    path("staff/report/export.csv", report_views.report_csv, name="report-csv"),
    # The JSON API (ops/jsonapi.py; devices and keys: ops/devices/api.py).
    # Web Push (ops/push/api.py).
    path("staff/sw.js", push_views.staff_service_worker, name="staff-service-worker"),
    path("staff/api/push", push_api.staff_push_state, name="api-push"),
    path(
        "staff/api/push/subscription",
        push_api.staff_push_subscribe,
        name="api-push-subscribe",
    ),
    path(
        "staff/api/push/unsubscribe",
        push_api.staff_push_unsubscribe,
        name="api-push-unsubscribe",
    ),
    path("c/push/subscribe", push_api.visitor_push_subscribe, name="push-visitor-subscribe"),
    path("c/push/unsubscribe", push_api.visitor_push_unsubscribe, name="push-visitor-unsubscribe"),
    path("staff/api/devices", api.devices_register, name="api-devices"),
    path("staff/api/devices/<uuid:device_id>", api.device_detail, name="api-device"),
    path(
        "staff/api/devices/<uuid:device_id>/certify",
        api.device_certify_view,
        name="api-device-certify",
    ),
    path(
        "staff/api/devices/<uuid:device_id>/wrap-key",
        api.device_wrap_key,
        name="api-device-wrap-key",
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
    # The shift dashboard (ops/routing/api.py).
    path("staff/api/dashboard", api_routing.dashboard_view, name="api-dashboard"),
    path("staff/api/presence", api_routing.presence_view, name="api-presence"),
    path(
        "staff/api/routes/<uuid:conversation_id>/claim",
        api_routing.route_claim_view,
        name="api-route-claim",
    ),
    path(
        "staff/api/routes/<uuid:conversation_id>/transfer",
        api_routing.route_transfer_view,
        name="api-route-transfer",
    ),
    path(
        "staff/api/routes/<uuid:conversation_id>/close",
        api_routing.route_close_view,
        name="api-route-close",
    ),
    path(
        "staff/api/routes/<uuid:conversation_id>/notes",
        api_routing.route_notes,
        name="api-route-notes",
    ),
    path(
        "staff/api/routes/<uuid:conversation_id>/outcome",
        api_routing.route_outcome,
        name="api-route-outcome",
    ),
    # Interpreter hand-off (ops/interpreting/api.py).
    path("staff/api/interpreting", api_interpreting.interpreting_state, name="api-interpreting"),
    path(
        "staff/api/interpreting/on-call", api_interpreting.on_call, name="api-interpreting-on-call"
    ),
    path(
        "staff/api/routes/<uuid:conversation_id>/interpreter",
        api_interpreting.request_make,
        name="api-interpreter-request",
    ),
    path(
        "staff/api/interpreting/<int:request_id>/accept",
        api_interpreting.request_accept,
        name="api-interpreter-accept",
    ),
    path(
        "staff/api/interpreting/<int:request_id>/cancel",
        api_interpreting.request_cancel,
        name="api-interpreter-cancel",
    ),
    path(
        "staff/api/interpreting/<int:request_id>/remove",
        api_interpreting.request_remove,
        name="api-interpreter-remove",
    ),
    path(
        "staff/api/interpreting/<int:request_id>/leave",
        api_interpreting.request_leave,
        name="api-interpreter-leave",
    ),
    # The coordinator's rota (ops/rota/api.py).
    path("staff/api/rota/slots", api_rota.slots, name="api-rota-slots"),
    path("staff/api/rota/slots/<int:entry_id>", api_rota.slot, name="api-rota-slot"),
    path("staff/api/rota/shifts", api_rota.shifts, name="api-rota-shifts"),
    path("staff/api/rota/shifts/<int:entry_id>", api_rota.shift, name="api-rota-shift"),
    path("staff/api/rota/closures", api_rota.closures, name="api-rota-closures"),
    path("staff/api/rota/closures/<int:entry_id>", api_rota.closure, name="api-rota-closure"),
    path("staff/api/staff", api_rota.staff_list, name="api-staff"),
    path("staff/api/staff/<int:user_id>", api_rota.staff_update, name="api-staff-member"),
    # Canned replies (ops/api_canned.py).
    path("staff/api/canned", api_canned.library, name="api-canned"),
    path("staff/api/canned/<int:reply_id>", api_canned.reply, name="api-canned-reply"),
    path(
        "staff/api/canned/<int:reply_id>/review",
        api_canned.review,
        name="api-canned-review",
    ),
    path("staff/api/canned/variables", api_canned.variables_put, name="api-canned-variables"),
    path("staff/api/canned/export", api_canned.library_export, name="api-canned-export"),
    path("staff/api/canned/import", api_canned.library_import, name="api-canned-import"),
]
