"""On PostgreSQL, a quarter of each new ticket page stays free for updates of its rows.

A ticket row is about 1.6 kB (its SLA snapshot alone some 900 bytes), so a full page had
room for no new version of one: nearly every update (a comment, an SLA flag, a firing) went
to another page and wrote an entry into each of the table's sixteen indexes. With room on
the page, an update that changes no indexed column is a HOT update and writes none.
"""

from django.db import migrations

from tierdesk.core.migrationops import fillfactor


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0004_open_work_indexes"),
    ]

    operations = [fillfactor("tickets_ticket", 75)]
