"""Canned prevention replies (DESIGN §6.3).

An entry has a title, a ``/shortcut``, topic tags and a body per language; bodies are
public templates with variables (``{next_opening}``, ``{address}``, ``{hours}``,
``{testing_centre}``, ``{phone}``) that the staff browser fills in and encrypts like any
message. The server stores and serves templates only: it never learns which reply was
sent, to whom, or with what.

``models`` (records) · ``rules`` (shortcuts, languages, variables: the checks every
write shares) · ``search`` (the picker's search, mirrored by
ops/static/ops/canned-search.js) · ``formats`` (JSON and CSV import/export) ·
``services`` (writes) · ``selectors`` (reads) · ``views`` (the page) ·
ops/api_canned.py (the JSON API) · ``starter_library.json`` (the starter library,
loaded by ``manage.py canned_load``; ``starter_superseded.json``: the content
fingerprints of its earlier versions, so that an entry nobody changed gets corrected).

A reply's texts and sources are its version; a coordinator marks a version reviewed
(who, when), and any change of them is a new version, not reviewed (``services``).
"""
