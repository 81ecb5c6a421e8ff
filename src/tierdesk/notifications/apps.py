from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "tierdesk.notifications"
    label = "notifications"
