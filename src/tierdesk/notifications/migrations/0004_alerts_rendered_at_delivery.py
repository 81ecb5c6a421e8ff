from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0003_ack_rate_index_reads_only_pending_and_sent"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="render_later",
            field=models.JSONField(blank=True, null=True),
        ),
    ]
