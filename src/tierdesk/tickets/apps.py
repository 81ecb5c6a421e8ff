from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TicketsConfig(AppConfig):
    name = "tierdesk.tickets"
    label = "tickets"

    def ready(self) -> None:
        from tierdesk.tickets import opencounts, search

        post_migrate.connect(search.ensure_index_after_migrate, sender=self)
        post_migrate.connect(opencounts.recount_after_migrate, sender=self)
