"""Translated text the staff pages' JavaScript shows. Rendered into each page as a JSON
data block (ops/static/ops/strings.js reads it), so the JS holds no language of its own
and makemessages finds every string here. Placeholders are ``{name}``."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from ops.interpreting import strings as interpreting_strings

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
        "conversation.visitor_typing": _("The visitor is writing…"),
        # Quick exit and "delete now" seen from the staff side.
        "conversation.quick_exit": _(
            "The visitor left in a hurry (quick exit): their phone no longer shows the "
            "conversation. Do not write anything that would put them at risk if someone "
            "else reads it."
        ),
        "conversation.deleted": _(
            "The visitor deleted this conversation. Nothing of it is left on the server."
        ),
        "conversation.expired": _("This conversation expired and was deleted."),
        "notify.rotation_due": _(
            "The team key is due for rotation: open the setup page to create a new version."
        ),
        "notify.deleted": _("A visitor deleted their conversation ({language})."),
        "message.sending": _("Sending…"),
        "message.sent": _("Sent"),
        "message.delivered": _("Delivered"),
        "message.read": _("Read"),
        "message.failed": _("Not sent"),
        "message.unreadable": _("A message could not be decrypted."),
        "message.event": _("(event)"),
        "composer.too_long": _("A message is at most 8,000 characters."),
        "composer.failed": _("The message was not sent. Try again."),
        "composer.claim_first_failed": _("Not sent: {reason}"),
        "composer.not_on_shift": _("you are not on a shift open now."),
        "composer.sent_unclaimed": _("Sent. The conversation stays in the queue: {reason}"),
        **dashboard(),
        **canned_picker(),
        **interpreting_strings.staff_side(),
    }


def interpreter_page() -> dict[str, str]:
    """The interpreter's page: the device gates and status lines of the staff app, then
    its own."""
    return {**staff_app(), **interpreting_strings.interpreter_page()}


def canned_picker() -> dict[str, str]:
    """The canned-reply picker of the conversation view (ops/static/ops/canned-picker.js)."""
    return {
        "canned.none": _("No canned reply matches. Escape closes this list."),
        "canned.unreviewed": _("not reviewed"),
        "canned.missing": _("No text in {language} yet."),
        "canned.missing_picked": _(
            "{shortcut} has no text in {language} yet: nothing was inserted. Write it "
            "yourself, or insert another language on purpose."
        ),
        "canned.insert_reference": _("Insert the text in {language}"),
        "canned.variable_missing": _(
            "No value is set for {names} in {language}: complete the text by hand before sending."
        ),
        "canned.variable_set": _("Set {name}"),
        "canned.variable_where": _("Where {name} is set"),
        "canned.variable_ask": _("A coordinator sets it on the canned replies page."),
    }


def canned() -> dict[str, str]:
    """The canned replies' page (ops/static/ops/canned.js)."""
    return {
        **common(),
        "canned.count": _("{n} replies, {unreviewed} not reviewed by the medical and legal staff."),
        "canned.missing_none": _("all languages"),
        "canned.missing_list": _("Missing: {languages}"),
        "canned.unreviewed": _("not reviewed"),
        "canned.version": _("version {version}"),
        "canned.reviewed_by": _("Version {version} reviewed by {by} on {date}."),
        "canned.reviewed_before": _(
            "Changed since version {version} was reviewed by {by} on {date}."
        ),
        "canned.review_mark": _("Mark version {version} reviewed"),
        "canned.review_confirm": _(
            "Have the association's medical and legal staff checked version {version} of "
            "/{shortcut}, in every language, against its sources? Your name will be "
            "recorded as the one who marked it."
        ),
        "canned.review_marked": _("/{shortcut}: version {version} marked reviewed."),
        "canned.review_withdraw": _("Withdraw the review"),
        "canned.review_withdrawn": _("/{shortcut} is no longer marked reviewed."),
        "canned.source_checked": _("checked on {date}"),
        "canned.edit": _("Edit"),
        "canned.edit_label": _("Edit /{shortcut}"),
        "canned.delete": _("Delete"),
        "canned.delete_confirm": _("Delete /{shortcut} in every language?"),
        "canned.deleted": _("/{shortcut} deleted."),
        "canned.saved": _("/{shortcut} saved."),
        "canned.new": _("New canned reply"),
        "canned.change": _("Change /{shortcut}"),
        "canned.text_in": _("Text in {language}"),
        "canned.title_in": _("Title in {language} (optional, to find it in that language)"),
        "canned.empty_text": _("Not written yet: staff will be told, nothing is replaced."),
        "canned.variables_saved": _(
            "Values saved. Filled in from the next reply inserted in a conversation: {names}."
        ),
        "canned.variables_none": _(
            "Values saved: no variable has a value now; staff fill them in by hand."
        ),
        "canned.variable_asked": _(
            "Type the value of {name} (for every language, or choose one), then save."
        ),
        "canned.variable_coordinator_only": _(
            "Only a coordinator sets {name}, in “Values of the variables” on this page: ask "
            "them. Meanwhile, complete the text by hand before sending."
        ),
        "canned.every_language": _("every language"),
        "canned.remove": _("Remove"),
        "canned.variable": _("Variable"),
        "canned.language": _("Language"),
        "canned.value": _("Value"),
        "canned.imported": _(
            "Imported: {created} new, {updated} changed, {unchanged} unchanged, {deleted} deleted."
        ),
        "canned.import_problems": _("Nothing was imported. Problems in the file:"),
        "canned.problem_row": _("row {row} {shortcut} {field}: {message}"),
        "canned.choose_file": _("Choose a .json or .csv file first."),
        "canned.none": _("No canned reply matches."),
    }


def dashboard() -> dict[str, str]:
    """The shift dashboard's strings (ops/static/ops/dashboard.js)."""
    return {
        "skill.minors": _("minors"),
        "skill.trans": _("trans people"),
        "skill.health": _("health"),
        "skill.legal": _("legal"),
        "skill.social": _("social"),
        "presence.available": _("Available"),
        "presence.busy": _("Busy"),
        "presence.away": _("Away"),
        "presence.saved": _("Your presence: {presence}."),
        "presence.off_shift": _("You are not on shift: colleagues see you only while you are."),
        "duration.seconds": _("< 1 min"),
        "duration.minutes": _("{m} min"),
        "duration.hours": _("{h} h {m} min"),
        "duration.days": _("{d} d {h} h"),
        "shift.loading": _("Loading the shift…"),
        "shift.open": _("On shift: {label}"),
        "shift.open_many": _("On shift: {labels}"),
        "shift.ends": _("Ends at {time}, in {duration}"),
        "shift.ended": _("Your shift has ended."),
        "shift.not_mine": _("A shift is open ({labels}); you are not on it."),
        "shift.unstaffed": _("A shift is open but nobody is on it ({labels})."),
        "shift.closed": _("Closed."),
        "shift.next_opening": _("Next opening: {when}"),
        "shift.next_none": _("No shift planned in the next three weeks."),
        "queue.waiting_for": _("waiting {duration}"),
        "queue.handed_over": _("handed over"),
        "queue.handed_over_title": _("Came back from a shift or a colleague: read the notes."),
        "queue.notes": _("{n} note(s)"),
        "queue.claim": _("Claim"),
        "queue.claim_label": _("Claim the conversation in {language}"),
        "queue.claimed": _("You took the conversation in {language}."),
        "queue.taken": _("A colleague took this conversation first."),
        "queue.new": _("New conversation in the queue: {language}"),
        "queue.gone": _("The conversation in {language} left the queue."),
        "queue.count": _("{n} waiting"),
        "queue.read_only": _("You are not on shift: you can read the queue, not take from it."),
        "queue.nothing_to_claim": _("Nobody is waiting in the queue."),
        "mine.unread_new": _("new messages"),
        "notify.new": _("New conversation ({language})"),
        "notify.assigned": _("A conversation was given to you ({language})"),
        "notify.handed_over": _("Handed-over conversation waiting ({language})"),
        "notifications.on": _("Browser notifications are on."),
        "notifications.denied": _(
            "This browser blocks notifications for this site: allow them in its settings."
        ),
        "notifications.unsupported": _("This browser cannot show notifications."),
        # Push to this device when its tab is closed (ops/static/ops/staff-push.js).
        "push.on": _("This device will be told, even with the dashboard closed."),
        "push.off": _("This device will not be told any more."),
        "push.failed": _("This device could not be told: allow notifications, then try again."),
        "push.unavailable": _("Push notifications are not set up on this helpline."),
        "push.title_conversation": _("New conversation"),
        "push.title_message": _("New message"),
        "push.body_count": _("{count} since the last notification"),
        "colleague.load": _("{load}/{capacity}"),
        "colleague.load_label": _("{load} conversation(s) out of {capacity}"),
        "colleague.you": _("you"),
        "route.waiting": _("In the queue, waiting {duration}. Claim it to answer."),
        "route.waiting_handed_over": _(
            "Back in the queue (handed over), waiting {duration}. Read the notes, then claim it."
        ),
        "route.mine": _("Yours since {when}."),
        "route.colleague": _("In {name}'s hands."),
        "route.closed": _("Closed. If the visitor writes again it goes back to the queue."),
        "route.unknown": _("Not routed."),
        "reminder.text": _(
            "Your shift ends in {minutes} min. Leave a hand-over note on your open "
            "conversations ({n}) for the next shift."
        ),
        "reminder.text_none": _("Your shift ends in {minutes} min."),
        "transfer.queue": _("Back to the queue"),
        "transfer.queue_hint": _("Whoever is on shift next claims it; it keeps its place."),
        "transfer.colleague": _("{name} ({load})"),
        "transfer.no_colleague": _("No colleague on shift can take it now."),
        "transfer.done_queue": _("The conversation is back in the queue."),
        "transfer.done_colleague": _("The conversation is now in {name}'s hands."),
        "close.confirm": _(
            "Close this conversation? If the visitor writes again, it comes back to the queue."
        ),
        "close.done": _("Conversation closed."),
        "note.saved": _("Note saved, sealed to the team key."),
        "outcome.saved": _("Topics and outcome saved."),
        "outcome.noted": _("(noted)"),
        "note.unreadable": _("(this note cannot be opened on this device)"),
        "note.kind.handover": _("Hand-over note"),
        "note.kind.transfer": _("Transfer note"),
        "note.meta": _("{kind} · {name} · {when}"),
        "note.too_long": _("A note is at most 4,000 bytes."),
        "note.nobody": _("a former colleague"),
        "dashboard.reloaded": _("The dashboard is up to date again."),
        "dashboard.unavailable": _("The shift dashboard could not load: {reason}"),
    }


def rota() -> dict[str, str]:
    """The coordinator's rota page (ops/static/ops/rota.js)."""
    return {
        **common(),
        "skill.none": _("none"),
        "skill.minors": _("minors"),
        "skill.trans": _("trans people"),
        "skill.health": _("health"),
        "skill.legal": _("legal"),
        "skill.social": _("social"),
        # A context of its own: Django's admin translates a bare "Change" as a noun.
        "rota.edit": pgettext("verb, a button", "Change"),
        "rota.edit_label": _("Change: {what}"),
        "rota.delete": _("Delete"),
        "rota.delete_label": _("Delete: {what}"),
        "rota.delete_confirm": _("Delete {what}?"),
        "rota.save": _("Save"),
        "rota.save_label": _("Save {name}"),
        # Said after saving: what the helpline now has, read back.
        "rota.saved_slot": _("Weekly slot saved: {label} — {when}, {hours}."),
        "rota.saved_shift": _("One-off shift saved: {label} — {when}, {hours}."),
        "rota.saved_with": _("On it: {staff}."),
        "rota.saved_nobody": _("Nobody is on it: it opens nothing for visitors until someone is."),
        "rota.saved_closure": _(
            "Closure saved: {reason}, from {start} to {end}. Weekly slots do not open then; "
            "one-off shifts still do."
        ),
        "rota.saved_member": _(
            "{name} saved: languages {languages}; skills {skills}; up to {capacity} "
            "conversations at once."
        ),
        "rota.deleted": _("Deleted: {what}."),
        "rota.nobody": _("nobody — it opens nothing for visitors"),
        "rota.next_day": _("(next day)"),
        "rota.working": _("Saving…"),
        "rota.languages_label": _("Languages of {name}"),
        "rota.skills_label": _("Skills of {name}"),
        "rota.capacity_label": _("Capacity of {name}"),
        "rota.invalid.weekday": _("Choose a day."),
        "rota.invalid.date": _("Give a date."),
        "rota.invalid.start": _("Give a start time (hh:mm)."),
        "rota.invalid.end": _("Give an end time (hh:mm), different from the start."),
        "rota.invalid.label": _("Give a label (at most 100 characters)."),
        "rota.invalid.skill": _("Choose a focus from the list."),
        "rota.invalid.staff": _("Only staff members who take conversations can be on it."),
        "rota.invalid.start_date": _("Give the first day."),
        "rota.invalid.end_date": _("Give the last day, on or after the first."),
        "rota.invalid.reason": _("Give a reason (at most 200 characters)."),
        "rota.invalid.languages": _("Two- or three-letter language codes, e.g. fr, bg."),
        "rota.invalid.skills": _("Choose skills from the list."),
        "rota.invalid.capacity": _("A number from 0 to 50."),
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
        "setup.certified_no_source": _(
            "It does not have team key version {version} yet: this browser holds none to "
            "give. Open this page in a browser that holds it and give it the key there."
        ),
        "setup.revoked": _("Device of {who} revoked: its sessions are closed."),
        "setup.revoked_rotate": _(
            "It held the current team key: create a new version (step 3) so that it "
            "cannot read new conversations."
        ),
        "setup.revoked_count": _("Revoked devices ({n})"),
        "setup.load_admin_first": _("Load the admin key first."),
        "setup.certify_first": _("Certify at least one staff device first."),
        "setup.lacks_ready": _("lacks v{version}: ready to be given it"),
        "setup.lacks_no_wrap_key": _("lacks v{version}: no wrap key published yet"),
        "role.interpreter_no_team_key": _("none (interpreter)"),
        "setup.team_none": _("There is no team key yet: conversations cannot start."),
        "setup.team_expired": _("The team key has expired: create a new version."),
        "setup.team_current": _(
            "Current team key: version {version}, valid until {until}, held by {holders} "
            "staff device(s)."
        ),
        "setup.team_created": _("Team key version {version} created."),
        "setup.give_team_key": _("Give the team key to devices that lack it ({n})"),
        # What a version reached (creation, rotation, giving): one sentence for who got
        # it, one per reason for those who did not, with what to do next.
        "setup.given_one": _("Version {version} went to 1 device: {devices}."),
        "setup.given_many": _("Version {version} went to {n} devices: {devices}."),
        "setup.given_none": _("No device got version {version}."),
        "setup.no_wrap_key_one": _(
            "1 device has not published a wrap key yet: {devices}. It publishes one the "
            "next time its person opens the Conversations page (a command-line device: "
            "manage.py helpline_keys publish-wrap-key); then give it the team key here."
        ),
        "setup.no_wrap_key_many": _(
            "{n} devices have not published a wrap key yet: {devices}. Each publishes one "
            "the next time its person opens the Conversations page (a command-line device: "
            "manage.py helpline_keys publish-wrap-key); then give them the team key here."
        ),
        "setup.bad_wrap_key": _(
            "Not given to {devices}: the wrap key published for it does not verify under "
            "its certificate. Ask its person to open the Conversations page again; if this "
            "stays, revoke the device."
        ),
        "setup.not_verified": _(
            "Not given to {devices}: its certificate does not verify under the admin key. "
            "If you do not know this device, revoke it."
        ),
        "setup.no_own_wrap": _(
            "This browser's device does not hold the current team key: create a new "
            "version instead."
        ),
        "setup.rotate_confirm": _(
            "Create a new team key version? New conversations will use it; devices that "
            "are not certified now will not get it."
        ),
        # Rotation due, and what still uses older versions.
        "setup.rotation_due_device_revoked": _(
            "A revoked device held the current team key: create a new version so it "
            "cannot read new conversations."
        ),
        "setup.rotation_due_schedule": _(
            "The current team key is due for its scheduled rotation: create a new version."
        ),
        "setup.team_usage": _(
            "Conversations still under an older version: {list}. Staff browsers move each "
            "one to the current version when they open it; an older version is destroyed "
            "once no conversation has an epoch under it."
        ),
        "strength.short": _("Strength: too short"),
        "strength.weak": _("Strength: weak"),
        "strength.fair": _("Strength: fair"),
        "strength.strong": _("Strength: strong"),
    }
