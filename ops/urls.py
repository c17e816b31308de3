from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

app_name = "ops"

urlpatterns = [
    path(
        "staff/login/",
        auth_views.LoginView.as_view(
            template_name="ops/login.html", redirect_authenticated_user=False
        ),
        name="login",
    ),
    path("staff/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
