"""The role a staff member's visitor-facing label names, so the visitor reads it in their
own language (the `role` of the `profile` event, docs/protocol.md §6.2).

A coordinator writes labels in French ("Infirmière", "Travailleur social"); a label that
is one of the roles below is sent with its role's name, and the visitor's page shows
"Nurse", "Медицинска сестра", "护士"… A label that is not (a first name someone chose,
"Claire") is shown as written. Accents, case and spaces do not matter.
"""

from __future__ import annotations

import unicodedata

# Role (the protocol's list) → labels that name it, in French and English.
ROLE_LABELS: dict[str, tuple[str, ...]] = {
    "nurse": ("infirmière", "infirmier", "infirmier·e", "infirmier.e", "nurse"),
    "social_worker": (
        "travailleuse sociale",
        "travailleur social",
        "travailleur·se social·e",
        "assistante sociale",
        "assistant social",
        "assistant·e social·e",
        "éducatrice",
        "éducateur",
        "éducatrice spécialisée",
        "éducateur spécialisé",
        "social worker",
    ),
    "peer_mediator": (
        "médiatrice",
        "médiateur",
        "médiatrice paire",
        "médiateur pair",
        "médiatrice en santé",
        "médiateur en santé",
        "paire-aidante",
        "pair-aidant",
        "peer mediator",
        "peer worker",
    ),
    "doctor": ("médecin", "docteure", "docteur", "doctor"),
    "psychologist": ("psychologue", "psychologist"),
    "lawyer": ("juriste", "avocate", "avocat", "lawyer"),
    "coordinator": ("coordinatrice", "coordinateur", "coordinator"),
    "team": ("l'équipe", "équipe", "the team", "team"),
}


def label_key(label: str) -> str:
    """Lower case, no accents, single spaces, straight apostrophes."""
    text = unicodedata.normalize("NFKD", label.replace("’", "'"))
    text = "".join(char for char in text if not unicodedata.combining(char))
    return " ".join(text.lower().split())


_BY_LABEL = {label_key(label): role for role, labels in ROLE_LABELS.items() for label in labels}


def public_role(label: str) -> str | None:
    """The role a label names, or None when it names none (it is then shown as written)."""
    return _BY_LABEL.get(label_key(label))
