from django.apps import AppConfig


class SchedulerConfig(AppConfig):
    name = "tierdesk.scheduler"
    label = "scheduler"
