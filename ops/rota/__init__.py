"""The rota: weekly slots, one-off shifts and closures, in the helpline's zone.

``selectors`` (the rota in time: which shifts are open, the next opening, who is on
shift) · ``services`` (the coordinator's edits, public holidays as closures) · ``api``
(the coordinator's rota API).
"""
