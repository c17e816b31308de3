"""Staff authentication: password, then a second factor, for every account.

A session is only ever created once both factors are done: the password step keeps the
user id in an anonymous session ("half signed in"), the second-factor step logs in.
Every session so created is on record (``StaffSession``); the middleware drops any
session that is not, so a session made another way (a password-only login, a session
from before two-factor authentication existed) is simply anonymous. A record is deleted
on sign-out, "sign out everywhere", and when a device it proved on the staff socket is
revoked; the sockets riding on it are closed at once.

Modules: ``two_factor`` (TOTP and recovery codes, django-otp), ``sessions`` (records,
sign-out, the hooks the staff socket calls), ``lockout`` (django-axes without
addresses), ``middleware``, ``views`` and ``forms`` (the pages), ``jobs``.
"""
