# Issue 7: team key rotation and crypto-shredding.

from django.db import migrations, models


def wraps_name_their_kem_key(apps, schema_editor):
    """Wraps made before issue 7 were sealed to their device's certificate KEM key."""
    TeamKeyWrap = apps.get_model("chat", "TeamKeyWrap")
    for wrap in TeamKeyWrap.objects.select_related("device"):
        wrap.kem_public_key = wrap.device.kem_public_key
        wrap.save(update_fields=["kem_public_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0003_returncode"),
    ]

    operations = [
        migrations.AddField(
            model_name="device",
            name="next_wrap_public_key",
            field=models.BinaryField(blank=True, max_length=65, null=True),
        ),
        migrations.AddField(
            model_name="device",
            name="next_wrap_signature",
            field=models.BinaryField(blank=True, max_length=64, null=True),
        ),
        migrations.AddField(
            model_name="device",
            name="retired_wrap_key_ids",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="teamkeywrap",
            name="kem_public_key",
            field=models.BinaryField(max_length=65, null=True),
        ),
        migrations.RunPython(wraps_name_their_kem_key, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="teamkeywrap",
            name="kem_public_key",
            field=models.BinaryField(max_length=65),
        ),
    ]
