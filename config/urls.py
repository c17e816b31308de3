from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from chat.views import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("", include("ops.urls")),
    path("", include("widget.urls")),
]
