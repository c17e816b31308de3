"""Turning what coordinators write into the HTML visitors read, on the server.

Markdown (a coordinator's text, "where to go", a section's introduction) goes through
markdown-it-py with raw HTML off — ``<script>`` is text — and only headings, lists,
paragraphs, bold and italics, and links; then through nh3 (the Ammonia sanitiser) with
an allow-list of those tags and of link schemes: https, http, tel:, sms:, mailto:, and
links within the site. A link markdown-it refuses (``javascript:``, ``data:``…) stays
text; no image is ever made (``![…](…)`` is a link at most), so a page never loads
anything from another host. Headings are moved down two levels: an answer's ``#`` sits
under the page's h1 and the answer's h2.

A canned reply's text is plain text (it is sent in chats as it is): each line is a
paragraph, HTML-escaped, its variables filled with the helpline's values; a sentence
whose variable has no value is left out rather than shown with ``{phone}`` in it.
"""

from __future__ import annotations

import re
from functools import lru_cache

import nh3
from django.utils.html import escape
from markdown_it import MarkdownIt

from ops.canned import rules

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "h3", "h4", "h5", "h6"}
ALLOWED_SCHEMES = {"https", "http", "tel", "sms", "mailto"}
HEADING_SHIFT = 2
# The block and inline rules a page text may use; everything else stays text.
BLOCK_RULES_OFF = ["table", "code", "fence", "blockquote", "hr", "html_block", "reference"]
INLINE_RULES_OFF = ["image", "html_inline", "backticks", "strikethrough"]
# A sentence and the spaces after it, in the visitors' languages (Chinese ends with "。"
# and no space); what follows the last stop is one more.
SENTENCE = re.compile(r"[^.!?。！？]*[.!?。！？]+\s*|[^.!?。！？]+$")


@lru_cache(maxsize=1)
def markdown_parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.disable(BLOCK_RULES_OFF)
    parser.disable(INLINE_RULES_OFF)
    return parser


def markdown_render(text: str, values: dict[str, str] | None = None) -> str:
    """Safe HTML for a coordinator's Markdown; variables (``{phone}``…) filled from
    ``values`` first (a missing one stays as written: the staff page warns of it)."""
    if values is not None:
        text, _missing = rules.body_fill(text, values)
    parser = markdown_parser()
    tokens = parser.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = min(int(token.tag[1]) + HEADING_SHIFT, 6)
            token.tag = f"h{level}"
    html = parser.renderer.render(tokens, parser.options, {})
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href"}},
        url_schemes=ALLOWED_SCHEMES,
        # Nothing about the page read goes to the site a link opens.
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def plain_render(text: str, values: dict[str, str]) -> str:
    """A canned reply's plain text as paragraphs, variables filled; sentences whose
    variable has no value left out (the rest of the line exactly as written)."""
    paragraphs = []
    for line in text.splitlines():
        kept = "".join(
            sentence
            for sentence in SENTENCE.findall(line)
            if not sentence_missing_value(sentence, values)
        ).strip()
        if kept:
            filled, _missing = rules.body_fill(kept, values)
            paragraphs.append(f"<p>{escape(filled)}</p>")
    return "\n".join(paragraphs)


def sentence_missing_value(sentence: str, values: dict[str, str]) -> bool:
    return any(
        name in rules.VARIABLES and not values.get(name, "").strip()
        for name in rules.body_variables(sentence)
    )
