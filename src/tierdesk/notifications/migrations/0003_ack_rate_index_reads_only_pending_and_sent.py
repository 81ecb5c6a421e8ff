from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_mail_threading_and_outbox"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="notification",
            name="notification_ack_rate",
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(
                condition=models.Q(("kind", "ticket_opened")),
                fields=["to_address", "status", "created_at"],
                name="notification_ack_by_status",
            ),
        ),
    ]
