"""Campaigns: codes for the chat link, what the coordinator edits, the sent
count, the link-open counter.

``services`` (codes, create/update, the sent count, the link-open counter) · ``views``
(the campaign pages, QR codes and the printable sticker sheet).
"""
