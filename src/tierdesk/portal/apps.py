from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "tierdesk.portal"
    label = "portal"
