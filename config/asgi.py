"""The ASGI application that Daphne serves (`manage.py serve`).

Django is set up first, by `get_asgi_application()`, so that the websocket routes and
their consumers can import models.
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

# These need the app registry that the line above fills.
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

import chat.routing  # noqa: E402
from chat.health import HealthEndpoints  # noqa: E402
from config.origin import SameOriginValidator  # noqa: E402
from config.privacy import ClientAddressScrubber  # noqa: E402

application = ClientAddressScrubber(
    ProtocolTypeRouter(
        {
            # /healthz and /livez answered before Django's middleware (chat/health.py).
            "http": HealthEndpoints(django_asgi_app),
            "websocket": SameOriginValidator(
                AuthMiddlewareStack(URLRouter(chat.routing.websocket_urlpatterns))
            ),
        }
    )
)
