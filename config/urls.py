from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from chat.views import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("", include("ops.urls")),
    path("", include("widget.urls")),
    # Issue 10: the second factor, account security, blocking, security.txt; the audit log.
    path("", include("ops.auth.urls")),
    path("", include("audit.urls")),
]
