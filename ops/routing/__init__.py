"""Routing (DESIGN §6.2): which staff member has which conversation, and what staff and
visitors are told of it.

``services`` (the queue, claims, transfers, closing, auto-assign, hand-over) ·
``presence`` (available / busy / away, and the staff socket's hook) · ``availability``
(the visitor's ``helpline.status``) · ``visitor_route`` (the visitor's
``conversation.route``) · ``abuse`` (blocking a conversation) · ``dashboard`` (what the
shift dashboard loads) · ``events`` (the staff events and the JSON shapes they share
with the API) · ``api`` and ``api_abuse`` (the dashboard's JSON API).
"""
