"""Devices and keys: the staff devices a browser registers and the
coordinator's browser certifies, the admin key, the team key versions and their wraps.
Key ceremonies happen in browsers: this package takes public keys, signatures and wraps,
and hands them to chat's services, which verify the cryptography.

``api`` (the views under /staff/api/devices, /staff/api/setup, /staff/api/team-keys;
the plumbing they share is ops/jsonapi.py) · ``services`` (writes) · ``selectors``
(reads).

Not yet in their domain (they came with the rest of the old ops/services.py and
ops/selectors.py and are left where they are until a change that is not only a move):
``services.staff_member_create`` (staff accounts) and ``services.staff_routing_set``
(routing); ``selectors.staff_profile_of`` (who is staff, asked by every domain),
``presence_shown``, ``loads_of``, ``routing_profiles``, ``display_name`` and the
``PRESENCE_*`` times (routing), and ``campaigns_matching`` (campaigns).
"""
