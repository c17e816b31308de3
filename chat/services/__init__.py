"""Domain actions: every write of the chat app, as plain transactional functions.

Consumers call them through ``database_sync_to_async``; tests call them directly. They
raise the typed errors of chat/errors.py and return plain results; publishing to the
channel layer is the caller's job, after the function has returned (the transaction is
committed by then): persist, then acknowledge, then fan out.
"""
