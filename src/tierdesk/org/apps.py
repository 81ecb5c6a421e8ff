from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "tierdesk.org"
    label = "org"
