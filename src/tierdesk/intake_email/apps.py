from django.apps import AppConfig


class IntakeEmailConfig(AppConfig):
    name = "tierdesk.intake_email"
    label = "intake_email"
