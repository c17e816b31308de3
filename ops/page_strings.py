"""Translated text the staff pages' JavaScript shows. Rendered into each page as a JSON
data block (ops/static/ops/strings.js reads it), so the JS holds no language of its own
and makemessages finds every string here. Placeholders are ``{name}``."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

CSRF_MESSAGE = gettext_lazy("Your session expired. Reload the page and sign in again.")


def common() -> dict[str, str]:
    return {
        "error.generic": _("Something went wrong. Try again."),
        "error.network": _("The server cannot be reached. Check the connection."),
        "role.staff": _("staff"),
        "role.interpreter": _("interpreter"),
        "state.pending": _("waiting"),
        "state.certified": _("certified"),
        "state.expired": _("certificate expired"),
        "state.invalid": _("signed by an old admin key"),
        "state.revoked": _("revoked"),
    }


def staff_app() -> dict[str, str]:
    return {
        **common(),
        "app.checking": _("Checking…"),
        "app.still_pending": _("Not certified yet. Compare the fingerprint with your coordinator."),
        "app.no_storage": _(
            "This browser cannot keep the device's keys (private browsing?). "
            "Use a normal window of a browser you will use again."
        ),
        "app.register_again_confirm": _(
            "Make new keys for this browser? Your coordinator will have to certify it."
        ),
        "status.idle": _("Offline"),
        "status.connecting": _("Connecting…"),
        "status.open": _("Connected"),
        "status.reconnecting": _("Connection lost, reconnecting…"),
        "status.closed": _("Disconnected"),
        "party.visitor": _("Visitor"),
        "party.you": _("You"),
        "party.colleague": _("Colleague"),
        "party.interpreter": _("Interpreter"),
        "list.waiting": _("Waiting for an answer"),
        "list.answered": _("Answered"),
        "list.new": _("New"),
        "list.closed": _("Closed"),
        "list.unread": _("{n} unread"),
        "list.title": _("Conversation {short}"),
        "conversation.started": _("Opened: {when}"),
        "preview.mine": _("You: {text}"),
        "announce.message": _("{who}: {text}"),
        "announce.elsewhere": _("New message from {who} in a conversation in {language}"),
        "conversation.closed": _("This conversation is closed."),
        "message.sending": _("Sending…"),
        "message.sent": _("Sent"),
        "message.delivered": _("Delivered"),
        "message.read": _("Read"),
        "message.failed": _("Not sent"),
        "message.unreadable": _("A message could not be decrypted."),
        "message.event": _("(event)"),
        "composer.too_long": _("A message is at most 8,000 characters."),
        "composer.failed": _("The message was not sent. Try again."),
    }


def setup() -> dict[str, str]:
    return {
        **common(),
        "setup.working": _("Working…"),
        "setup.admin_create": _("Create the admin key"),
        "setup.admin_replace": _("Make a new admin key (replaces the current one)"),
        "setup.passphrase_short": _("The passphrase needs at least {n} characters."),
        "setup.passphrase_weak": _("This passphrase is too easy to guess. Add words."),
        "setup.passphrase_mismatch": _("The two passphrases differ."),
        "setup.backup_downloaded": _(
            "Backup file downloaded. Put it somewhere safe, then install the key."
        ),
        "setup.admin_installed": _(
            "The admin key is installed. Its fingerprint is shown above: print it on "
            "outreach material."
        ),
        "setup.admin_loaded": _("The admin key is loaded for as long as this page is open."),
        "setup.bad_passphrase": _("Wrong passphrase, or the file was altered."),
        "setup.bad_backup": _("This file is not a helpline admin key backup."),
        "setup.backup_other_key": _(
            "This backup holds another admin key ({fingerprint}), not this helpline's."
        ),
        "setup.this_browser": _("this browser"),
        "setup.certify": _("Certify"),
        "setup.certify_who": _("Certify the device {device} of {who}"),
        "setup.revoke": _("Revoke"),
        "setup.revoke_who": _("Revoke the device {device} of {who}"),
        "setup.revoke_confirm": _(
            "Revoke the device {device} of {who}? It will no longer be able to read conversations."
        ),
        "setup.certified": _("Device of {who} certified."),
        "setup.revoked": _("Device of {who} revoked."),
        "setup.revoked_count": _("Revoked devices ({n})"),
        "setup.load_admin_first": _("Load the admin key first."),
        "setup.certify_first": _("Certify at least one staff device first."),
        "setup.missing_team_key": _("(lacks the current team key)"),
        "role.interpreter_no_team_key": _("none (interpreter)"),
        "setup.team_none": _("There is no team key yet: conversations cannot start."),
        "setup.team_expired": _("The team key has expired: create a new version."),
        "setup.team_current": _(
            "Current team key: version {version}, valid until {until}, held by {holders} "
            "staff device(s)."
        ),
        "setup.team_created": _("Team key version {version} created."),
        "setup.give_team_key": _("Give the team key to devices that lack it ({n})"),
        "setup.team_given": _("Team key given to {n} device(s)."),
        "setup.no_own_wrap": _(
            "This browser's device does not hold the current team key: create a new "
            "version instead."
        ),
        "setup.rotate_confirm": _(
            "Create a new team key version? New conversations will use it; devices that "
            "are not certified now will not get it."
        ),
        "strength.short": _("Strength: too short"),
        "strength.weak": _("Strength: weak"),
        "strength.fair": _("Strength: fair"),
        "strength.strong": _("Strength: strong"),
    }
