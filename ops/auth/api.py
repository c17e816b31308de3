"""Coordinator actions on a staff account, in the staff JSON API:

``POST /staff/api/staff/<user_id>/sign-out``: end all their sessions and sockets;
``POST /staff/api/staff/<user_id>/two-factor-reset``: a lost phone — forget their
authenticator and recovery codes (they enrol again at their next sign-in).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import HttpRequest, JsonResponse

from ops.auth.sessions import account_two_factor_reset, sessions_sign_out_everywhere
from ops.errors import NotFound
from ops.jsonapi import api_view
from ops.models import StaffProfile


def account_get(user_id: int):
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound("no such account")
    return user


@api_view(method="POST", coordinator=True)
def staff_sign_out_view(request: HttpRequest, profile: StaffProfile, user_id: int) -> JsonResponse:
    user = account_get(user_id)
    ended = sessions_sign_out_everywhere(user=user, actor=request.user)
    return JsonResponse({"user_id": user.pk, "sessions_ended": ended})


@api_view(method="POST", coordinator=True)
def staff_two_factor_reset_view(
    request: HttpRequest, profile: StaffProfile, user_id: int
) -> JsonResponse:
    user = account_get(user_id)
    account_two_factor_reset(user=user, actor=request.user)
    return JsonResponse({"user_id": user.pk, "two_factor": "reset"})
