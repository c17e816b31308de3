"""``python -m bench [--quick]`` — see bench/README.md."""

import sys

import django
from django.conf import settings

# The load generator uses the reference client's crypto (chat.client, chat.crypto), whose
# package imports chat's models: Django must be set up, but with no database of its own
# (the servers under test have theirs).
settings.configure(
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "chat"],
    USE_TZ=True,
)
django.setup()

from bench.runner import main  # noqa: E402

sys.exit(main())
