"""Conversations opened before routing existed join the queue, oldest first, so that
none is left without a place in it (ops/routing.py)."""

from django.db import migrations


def routes_create(apps, schema_editor):
    Conversation = apps.get_model("chat", "Conversation")
    Route = apps.get_model("ops", "Route")
    routed = Route.objects.values_list("conversation_id", flat=True)
    missing = Conversation.objects.filter(state="open").exclude(pk__in=routed)
    Route.objects.bulk_create(
        Route(
            conversation_id=conversation.pk,
            state="waiting",
            language=conversation.language.split("-")[0].lower(),
            skill="",
            waiting_since=conversation.created_at,
            visitor_last_order=0,
        )
        for conversation in missing.iterator()
    )


class Migration(migrations.Migration):

    dependencies = [
        ("chat", "0001_initial"),
        ("ops", "0003_closure_note_route_shift_shiftevent_slot_and_more"),
    ]

    operations = [
        # Reversed with nothing to do: 0003's reversal drops the table.
        migrations.RunPython(routes_create, migrations.RunPython.noop),
    ]
