"""Self-help pages beside the chat (the visitor's "Health", "Need help?", "My rights",
"Who we are"): short answers a visitor reads without writing, in their language,
online or offline.

One source of truth with the canned replies: an answer may take its text from a canned
reply (``SelfHelpAnswer.canned``), so a fact corrected and reviewed in the canned library
is corrected on the pages too; the page adds the question and "where to go". Answers
with no canned reply (who we are, anonymity, the chat) have a Markdown text of their own.

``models`` · ``rendering`` (Markdown on the server: markdown-it-py, then nh3; canned
text as plain paragraphs) · ``formats`` (JSON/CSV import and export) · ``services``
(writes, audited) · ``selectors`` (reads; ``visitor_pages`` is what the visitor's pages
show, handed to widget/pages.py through settings.WIDGET_PAGES_PROVIDER) · ``views``
(the coordinator's pages, /staff/pages/) · ``starter_pages.json`` (the starter content,
loaded by ``manage.py selfhelp_load``).

Reading a page changes nothing on the server: no count, no log, no record of which
answer was read (docs/operations.md).
"""
