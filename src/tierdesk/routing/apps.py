from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "tierdesk.routing"
    label = "routing"
