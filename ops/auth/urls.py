"""Routes of staff authentication and abuse: the second factor, the account's security
page, the coordinator's account actions, blocking a conversation, and security.txt.
(/staff/login/ and /staff/logout/ stay in ops/urls.py, under their old names, served by
ops/auth/views.py.)"""

from __future__ import annotations

from django.urls import path

from ops.auth import api, security_txt, session_api, views
from ops.routing import api_abuse

app_name = "staff_auth"

urlpatterns = [
    path("staff/2fa/", views.second_factor_view, name="second-factor"),
    path("staff/2fa/setup/", views.enrol_view, name="enrol"),
    path("staff/security/", views.security_view, name="security"),
    path(
        "staff/security/sign-out-everywhere",
        views.sign_out_everywhere_view,
        name="sign-out-everywhere",
    ),
    # Signing in without a browser (a native app): password and code in one request.
    path("staff/api/session", session_api.session_view, name="api-session"),
    path("staff/api/staff/<int:user_id>/sign-out", api.staff_sign_out_view, name="api-sign-out"),
    path(
        "staff/api/staff/<int:user_id>/two-factor-reset",
        api.staff_two_factor_reset_view,
        name="api-two-factor-reset",
    ),
    path(
        "staff/api/routes/<uuid:conversation_id>/block",
        api_abuse.route_block_view,
        name="api-route-block",
    ),
    path(".well-known/security.txt", security_txt.security_txt, name="security-txt"),
]
