from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from chat.views import healthz, livez

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("livez", livez, name="livez"),
    path("", include("ops.urls")),
    path("", include("widget.urls")),
    # The second factor, account security, blocking, security.txt.
    path("", include("ops.auth.urls")),
]
