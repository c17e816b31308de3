"""`/staff/sw.js`: the staff dashboard's service worker, scope `/staff/`.

Served from here, not /static/, because a worker's scope cannot reach above its own URL.
It holds no secret and no per-person data, so it needs no sign-in: the browser fetches it
again to check for updates, sometimes without the session.
"""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

STAFF_SERVICE_WORKER = "ops/staff-sw.js"


@require_GET
def staff_service_worker(request: HttpRequest) -> HttpResponse:
    found = finders.find(STAFF_SERVICE_WORKER)
    if found is None:
        raise Http404
    with open(found, "rb") as source:
        response = HttpResponse(source.read(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response
