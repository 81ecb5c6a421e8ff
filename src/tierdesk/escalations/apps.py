from django.apps import AppConfig


class EscalationsConfig(AppConfig):
    name = "tierdesk.escalations"
    label = "escalations"
