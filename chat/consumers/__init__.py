"""Websocket consumers: parse, authorise, dispatch — the domain work is in services."""

from chat.consumers.staff import StaffConsumer
from chat.consumers.visitor import VisitorConsumer

__all__ = ["StaffConsumer", "VisitorConsumer"]
