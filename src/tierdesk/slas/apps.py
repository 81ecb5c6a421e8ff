from django.apps import AppConfig


class SlasConfig(AppConfig):
    name = "tierdesk.slas"
    label = "slas"
