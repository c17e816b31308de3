"""The Python reference client of protocol v1: used by tests, benchmarks, ``chat_smoke``.

It makes and holds its own keys and talks to the server only through the websocket
protocol (and, for staff, Django's login form) — exactly what a browser does.
"""

from chat.client.staff import StaffClient
from chat.client.state import ConversationState, Message
from chat.client.visitor import VisitorClient
from chat.crypto.keys import AdminKeys, DeviceKeys

__all__ = [
    "AdminKeys",
    "ConversationState",
    "DeviceKeys",
    "Message",
    "StaffClient",
    "VisitorClient",
]
