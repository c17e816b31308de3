"""Web Push: staff told of a new conversation or message when their dashboard
is closed, and a visitor who asked for it told that the team answered.

RFC 8030 (the push protocol), RFC 8291 (payloads encrypted to the subscription:
aes128gcm) and RFC 8292 (VAPID: the helpline signs each request) through ``pywebpush``;
nothing here implements a primitive.

What the push service (Google, Mozilla, Apple) sees, and so what we send: an opaque
endpoint, when, and a payload padded to one size (``PAYLOAD_BYTES``) that holds only a
kind and a count. Never content, language, campaign or a conversation id
(docs/threat-model.md "Push notifications").

- ``models``: staff subscriptions (per device and session: they go when either goes),
  visitor subscriptions (per conversation, deleted with it), the outbox;
- ``vapid``: the helpline's VAPID key (a secret, like SECRET_KEY);
- ``services``: subscribing, unsubscribing, and queueing pushes in the caller's
  transaction (a rolled-back transaction sends nothing);
- ``sending``: the periodic job that claims due outbox rows and sends them, with retries,
  TTL, urgency and a Topic, and deletes a subscription the push service says is gone.
"""
