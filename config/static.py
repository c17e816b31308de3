"""Static files: WhiteNoise, with a year as "forever".

A file whose name carries the hash of its content (STATIC_COLLECTED, config/settings.py)
never changes under that name, so it is sent as `immutable`: a browser does not even
ask again. WhiteNoise says ten years; a year is the longest caches are asked to honour
(RFC 9111 §5.2.2.1), and a visitor who comes back after a year fetches the files again.
"""

from __future__ import annotations

from whitenoise.middleware import WhiteNoiseMiddleware

YEAR_SECONDS = 365 * 24 * 60 * 60


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    FOREVER = YEAR_SECONDS
