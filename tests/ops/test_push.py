"""Web Push (issue 24, ops/push/): against a push service on loopback that checks what
a real one checks and decrypts what a browser decrypts (tests/push_service.py).

Personas: dora (staff on the afternoon shift, two browsers), fred (a colleague on the
same shift), eve (staff off shift), and visitors opening conversations at AT, during
the shift.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from chat.crypto import suite1
from chat.expiry import conversations_expire
from chat.models import Conversation
from chat.services.conversations import conversation_open
from chat.services.deletion import conversation_delete
from ops.auth.models import StaffSession
from ops.auth.sessions import sessions_end, staff_device_revoke
from ops.push import services
from ops.push.models import PushOutbox, StaffPushSubscription, VisitorPushSubscription
from ops.push.sending import PAYLOAD_BYTES, push_send_due
from ops.push.vapid import vapid_key_generate, vapid_public_key
from ops.routing import services as routing
from ops.routing.abuse import conversation_block
from tests.ops.conftest import AT
from tests.push_service import PushServer


@pytest.fixture
def push(settings, keys_ready):
    """Push on, with a fresh VAPID key, and a push service on loopback."""
    settings.PUSH_VAPID_PRIVATE_KEY = vapid_key_generate()
    settings.PUSH_VAPID_SUBJECT = "mailto:coordination@example.org"
    settings.PUSH_ALLOW_LOOPBACK = True
    settings.PUSH_VISITORS = True
    with PushServer() as service:
        service.vapid_public_key = vapid_public_key()
        yield service


@pytest.fixture
def subscribe(push, certify, now):
    """``subscribe(member)``: a new browser of ``member`` — its own device (certified)
    and sign-in session — ticks "me prévenir sur cet appareil"."""

    def run(member):
        keys = member.device_register(now=now)
        device = certify(keys)
        session = StaffSession.objects.create(
            session_key=suite1.random_bytes(16).hex(),
            user=member.user,
            device=device,
            created_at=now,
        )
        browser = push.subscribe()
        services.staff_subscribe(
            user_id=member.user.pk,
            session_key=session.session_key,
            device_id=str(device.pk),
            endpoint=browser.endpoint,
            p256dh=browser.p256dh,
            auth=browser.auth,
            now=AT,
        )
        return browser

    return run


def visitor_open(at=AT):
    """A visitor opens a conversation and writes: the first message puts it in the
    queue (issue 15), which is what staff are told about."""
    opened = conversation_open(
        suite=1,
        language="bg",
        campaign=None,
        visitor_kem_pk=suite1.public_bytes(suite1.private_key_generate()),
        visitor_sig_pk=suite1.public_bytes(suite1.private_key_generate()),
        now=at,
    )
    routing.visitor_wrote(conversation_id=str(opened.conversation.pk), order=0, now=at)
    return opened


def send():
    return push_send_due(now=timezone.now())


# -- staff: a new conversation during a shift ----------------------------------------------


def test_a_new_conversation_pushes_once_to_each_subscribed_device_of_staff_on_shift(
    push, subscribe, staff_on_shift, colleague_on_shift, staff_off_shift
):
    dora_phone, dora_laptop = subscribe(staff_on_shift), subscribe(staff_on_shift)
    fred_phone = subscribe(colleague_on_shift)
    eve_phone = subscribe(staff_off_shift)

    opened = visitor_open()
    report = send()

    assert report.sent == 3
    for browser in (dora_phone, dora_laptop, fred_phone):
        [push_] = push.accepted(browser.endpoint)
        assert push_.payload == {"kind": "conversation", "count": 1}
        assert len(push_.plaintext) == PAYLOAD_BYTES  # padded to one size
        # Nothing else: no id, language, campaign, text.
        assert str(opened.conversation.pk) not in push_.plaintext.decode()
        assert "bg" not in push_.plaintext.decode()
        assert push_.claims["aud"] == push.origin
        assert push_.claims["sub"] == "mailto:coordination@example.org"
        assert push_.headers["ttl"] == "3600"
        assert push_.headers["urgency"] == "high"
        assert push_.headers["topic"] == "conversation"
    assert push.accepted(eve_phone.endpoint) == []  # off shift: nothing
    assert len({r.body_length for r in push.received}) == 1  # every push the same size
    assert [r.problem for r in push.received if r.problem] == []
    assert PushOutbox.objects.count() == 0


def test_a_burst_of_conversations_is_one_push_with_their_count(push, subscribe, staff_on_shift):
    phone = subscribe(staff_on_shift)
    for _ in range(3):
        visitor_open()

    send()

    [push_] = push.accepted(phone.endpoint)
    assert push_.payload == {"kind": "conversation", "count": 3}


def test_staff_off_shift_on_call_is_told(push, subscribe, staff_off_shift):
    phone = subscribe(staff_off_shift)
    staff_off_shift.user.staff_profile.__class__.objects.filter(user=staff_off_shift.user).update(
        on_call_until=AT + timedelta(hours=2)
    )

    visitor_open()
    send()

    assert [p.payload for p in push.accepted(phone.endpoint)] == [
        {"kind": "conversation", "count": 1}
    ]


def test_nothing_is_sent_to_staff_off_shift(push, subscribe, staff_off_shift):
    subscribe(staff_off_shift)

    visitor_open()
    send()

    assert push.received == []


def test_a_410_deletes_the_subscription(push, subscribe, staff_on_shift):
    phone = subscribe(staff_on_shift)
    push.gone.add(phone.endpoint)

    visitor_open()
    report = send()

    assert report.gone == 1
    assert not StaffPushSubscription.objects.filter(endpoint=phone.endpoint).exists()
    assert PushOutbox.objects.count() == 0


def test_a_push_service_error_is_tried_again_later(push, subscribe, staff_on_shift):
    phone = subscribe(staff_on_shift)
    push.failing.add(phone.endpoint)

    visitor_open()
    report = send()

    assert report.retried == 1
    [row] = PushOutbox.objects.all()
    assert row.attempts == 1 and row.due_at > timezone.now()
    assert send().retried == 0  # not due yet: nothing sent again at once


# -- staff: a message in an assigned conversation ------------------------------------------


def test_a_visitor_message_is_pushed_to_the_assignee_only_with_no_dashboard_connected(
    push, subscribe, staff_on_shift
):
    from ops.routing.presence import staff_socket

    phone = subscribe(staff_on_shift)
    opened = visitor_open()
    routing.route_claim(
        conversation_id=str(opened.conversation.pk), user=staff_on_shift.user, at=AT
    )
    send()
    push.received.clear()

    routing.visitor_wrote(conversation_id=str(opened.conversation.pk), order=5, now=AT)
    send()
    assert push.accepted(phone.endpoint) == []  # her dashboard is open (routing_member)

    staff_socket(user_id=staff_on_shift.user.pk, event="closed", now=AT)
    routing.visitor_wrote(conversation_id=str(opened.conversation.pk), order=6, now=AT)
    routing.visitor_wrote(conversation_id=str(opened.conversation.pk), order=7, now=AT)
    send()
    [push_] = push.accepted(phone.endpoint)
    assert push_.payload == {"kind": "message", "count": 2}
    assert push_.headers["topic"] == "message"


# -- staff: what ends a subscription -------------------------------------------------------


def test_revoking_a_device_deletes_its_subscription_at_once(
    push, subscribe, staff_on_shift, coordinator, now
):
    phone = subscribe(staff_on_shift)
    subscription = StaffPushSubscription.objects.get(endpoint=phone.endpoint)

    staff_device_revoke(device_id=str(subscription.device_id), actor=coordinator.user, now=now)

    assert not StaffPushSubscription.objects.filter(endpoint=phone.endpoint).exists()


def test_ending_a_session_deletes_its_subscription(push, subscribe, staff_on_shift):
    phone = subscribe(staff_on_shift)
    subscription = StaffPushSubscription.objects.get(endpoint=phone.endpoint)

    sessions_end([subscription.session])

    assert not StaffPushSubscription.objects.filter(endpoint=phone.endpoint).exists()


def test_one_click_off(push, subscribe, staff_on_shift):
    phone = subscribe(staff_on_shift)

    services.staff_unsubscribe(user_id=staff_on_shift.user.pk, endpoint=phone.endpoint)
    visitor_open()
    send()

    assert push.received == []


def test_a_colleague_cannot_turn_off_someone_elses_device(
    push, subscribe, staff_on_shift, colleague_on_shift
):
    phone = subscribe(staff_on_shift)

    assert (
        services.staff_unsubscribe(user_id=colleague_on_shift.user.pk, endpoint=phone.endpoint) == 0
    )
    assert StaffPushSubscription.objects.filter(endpoint=phone.endpoint).exists()


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://169.254.169.254/latest/meta-data",
        "http://fcm.googleapis.com/fcm/send/x",
        "https://fcm.googleapis.com.evil.example/x",
        "https://user:pw@fcm.googleapis.com/x",
    ],
)
def test_an_endpoint_that_is_not_a_push_service_is_refused(settings, endpoint):
    settings.PUSH_VAPID_PRIVATE_KEY = vapid_key_generate()
    settings.PUSH_ALLOW_LOOPBACK = False
    assert not services.endpoint_allowed(endpoint)
    assert services.endpoint_allowed("https://fcm.googleapis.com/fcm/send/abc")
    assert services.endpoint_allowed("https://web.push.apple.com/QGh")


# -- visitors --------------------------------------------------------------------------------


@pytest.fixture
def visitor_subscribed(push, keys_ready):
    """A visitor opened a conversation and ticked "tell me on this phone"."""
    opened = visitor_open()
    phone = push.subscribe()
    services.visitor_subscribe(
        token=opened.token, endpoint=phone.endpoint, p256dh=phone.p256dh, auth=phone.auth, now=AT
    )
    return opened, phone


def endpoints_stored() -> list[str]:
    return list(VisitorPushSubscription.objects.values_list("endpoint", flat=True))


def test_a_team_reply_pushes_to_the_visitors_phone(push, visitor_subscribed):
    opened, phone = visitor_subscribed

    services.team_wrote(conversation_id=str(opened.conversation.pk), content_type="text", now=AT)
    services.team_wrote(conversation_id=str(opened.conversation.pk), content_type="event", now=AT)
    send()

    [push_] = push.accepted(phone.endpoint)
    assert push_.payload == {"kind": "reply", "count": 1}
    assert push_.headers["urgency"] == "normal"
    assert push_.headers["ttl"] == "86400"
    assert len(push_.plaintext) == PAYLOAD_BYTES


def test_expiry_deletes_the_visitors_subscription(push, visitor_subscribed, settings):
    opened, phone = visitor_subscribed
    assert endpoints_stored() == [phone.endpoint]

    conversations_expire(now=AT + timedelta(days=settings.CHAT_IDLE_EXPIRY_DAYS + 1))

    assert not Conversation.objects.filter(pk=opened.conversation.pk).exists()
    assert endpoints_stored() == []


def test_delete_now_deletes_the_visitors_subscription(push, visitor_subscribed):
    opened, _ = visitor_subscribed

    conversation_delete(conversation_id=str(opened.conversation.pk), now=AT)

    assert endpoints_stored() == []


def test_blocking_deletes_the_visitors_subscription(push, visitor_subscribed, staff_on_shift):
    opened, _ = visitor_subscribed

    conversation_block(conversation_id=str(opened.conversation.pk), user=staff_on_shift.user, at=AT)

    assert Conversation.objects.filter(pk=opened.conversation.pk).exists()  # kept for the team
    assert endpoints_stored() == []


def test_quick_exit_deletes_every_subscription_of_the_conversation(
    push, visitor_subscribed, client
):
    opened, _ = visitor_subscribed
    import base64

    response = client.post(
        "/c/push/unsubscribe",
        json.dumps({"token": base64.b64encode(opened.token).decode()}),
        content_type="application/json",
    )

    assert response.status_code == 204
    assert endpoints_stored() == []


def test_unticking_deletes_this_phones_subscription(push, visitor_subscribed, client):
    opened, phone = visitor_subscribed
    import base64

    response = client.post(
        "/c/push/unsubscribe",
        json.dumps({"token": base64.b64encode(opened.token).decode(), "endpoint": phone.endpoint}),
        content_type="application/json",
    )

    assert response.status_code == 204
    assert endpoints_stored() == []


def test_a_visitor_subscribes_through_the_page_with_the_conversations_token(
    push, keys_ready, client
):
    import base64

    opened = visitor_open()
    phone = push.subscribe()

    response = client.post(
        "/c/push/subscribe",
        json.dumps(
            {"token": base64.b64encode(opened.token).decode(), "subscription": phone.to_json()}
        ),
        content_type="application/json",
    )
    wrong = client.post(
        "/c/push/subscribe",
        json.dumps(
            {
                "token": base64.b64encode(bytes(32)).decode(),
                "subscription": push.subscribe().to_json(),
            }
        ),
        content_type="application/json",
    )

    assert response.status_code == 204
    assert wrong.status_code == 404
    assert endpoints_stored() == [phone.endpoint]


def test_visitor_push_can_be_turned_off(push, keys_ready, client, settings):
    import base64

    settings.PUSH_VISITORS = False
    opened = visitor_open()

    response = client.post(
        "/c/push/subscribe",
        json.dumps(
            {
                "token": base64.b64encode(opened.token).decode(),
                "subscription": push.subscribe().to_json(),
            }
        ),
        content_type="application/json",
    )

    assert response.status_code == 403
    assert endpoints_stored() == []


# -- what a dump of the database holds --------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_a_dump_holds_no_endpoint_of_a_deleted_or_blocked_conversation(
    push, staff_on_shift, settings
):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("pg_dump needs PostgreSQL")

    def subscribed():
        opened = visitor_open()
        phone = push.subscribe()
        services.visitor_subscribe(
            token=opened.token,
            endpoint=phone.endpoint,
            p256dh=phone.p256dh,
            auth=phone.auth,
            now=AT,
        )
        return opened, phone

    (deleted, deleted_phone), (expired, expired_phone) = subscribed(), subscribed()
    (blocked, blocked_phone), (_kept, kept_phone) = subscribed(), subscribed()
    conversation_delete(conversation_id=str(deleted.conversation.pk), now=AT)
    conversation_block(
        conversation_id=str(blocked.conversation.pk), user=staff_on_shift.user, at=AT
    )
    Conversation.objects.exclude(pk=expired.conversation.pk).update(last_activity_at=timezone.now())
    conversations_expire(now=AT + timedelta(days=settings.CHAT_IDLE_EXPIRY_DAYS + 1))

    db = connection.settings_dict
    dump = subprocess.run(
        [
            "pg_dump",
            "--no-owner",
            "--no-privileges",
            "-h",
            db["HOST"] or "127.0.0.1",
            "-p",
            str(db["PORT"] or 5432),
            "-U",
            db["USER"],
            db["NAME"],
        ],
        capture_output=True,
        check=True,
        env={**os.environ, "PGPASSWORD": db["PASSWORD"] or ""},
        timeout=120,
    ).stdout.decode()

    assert kept_phone.endpoint in dump  # the dump does hold live subscriptions
    for gone in (deleted_phone, expired_phone, blocked_phone):
        assert gone.endpoint not in dump


# -- the staff API (the dashboard's toggle) ---------------------------------------------------


def staff_browser(member, certify, now, push):
    keys = member.device_register(now=now)
    certify(keys)
    return keys.device_id, push.subscribe()


def test_the_dashboard_subscribes_this_session_and_device_and_one_click_turns_it_off(
    push, staff_on_shift, certify, now
):
    device_id, browser = staff_browser(staff_on_shift, certify, now, push)
    client = staff_on_shift.client

    state = client.get("/staff/api/push").json()
    on = client.post(
        "/staff/api/push/subscription",
        {"device_id": device_id, "subscription": browser.to_json()},
        content_type="application/json",
    )
    subscription = StaffPushSubscription.objects.get(endpoint=browser.endpoint)
    asked = client.get("/staff/api/push", {"endpoint": browser.endpoint}).json()
    off = client.post(
        "/staff/api/push/unsubscribe",
        {"endpoint": browser.endpoint},
        content_type="application/json",
    )

    assert state == {"enabled": True, "public_key": push.vapid_public_key, "subscribed": False}
    assert on.status_code == 201
    assert subscription.session.session_key == client.session.session_key
    assert str(subscription.device_id) == device_id
    assert asked["subscribed"] is True
    assert off.status_code == 200
    assert not StaffPushSubscription.objects.exists()


def test_a_colleagues_device_cannot_be_subscribed(
    push, staff_on_shift, colleague_on_shift, certify, now
):
    device_id, browser = staff_browser(colleague_on_shift, certify, now, push)

    response = staff_on_shift.client.post(
        "/staff/api/push/subscription",
        {"device_id": device_id, "subscription": browser.to_json()},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert not StaffPushSubscription.objects.exists()


def test_an_uncertified_device_cannot_be_subscribed(push, staff_on_shift, now):
    keys = staff_on_shift.device_register(now=now)  # pending: never certified

    response = staff_on_shift.client.post(
        "/staff/api/push/subscription",
        {"device_id": keys.device_id, "subscription": push.subscribe().to_json()},
        content_type="application/json",
    )

    assert response.status_code == 403


def test_an_anonymous_visitor_cannot_use_the_staff_api(push, client):
    assert client.get("/staff/api/push").status_code == 403


def test_push_is_off_without_a_vapid_key(settings, staff_on_shift):
    settings.PUSH_VAPID_PRIVATE_KEY = None

    assert staff_on_shift.client.get("/staff/api/push").json()["enabled"] is False


def test_the_push_keys_command_writes_a_private_key_once(tmp_path, settings):
    from io import StringIO

    from django.core.management import call_command
    from py_vapid import Vapid02

    settings.PUSH_VAPID_PRIVATE_KEY = None
    path = tmp_path / "vapid"
    call_command("push_keys", "--out", str(path), stdout=StringIO())
    first = path.read_text()
    call_command("push_keys", "--out", str(path), stdout=StringIO())

    assert path.read_text() == first  # kept, not replaced
    assert path.stat().st_mode & 0o077 == 0  # private to its owner
    assert Vapid02.from_string(first.strip()).public_key is not None
