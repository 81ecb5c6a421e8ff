from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "tierdesk.org"
    label = "org"

    def ready(self) -> None:
        from tierdesk.org.config import connect_signals

        connect_signals()
