from django.apps import AppConfig


class PhoneConfig(AppConfig):
    name = "tierdesk.phone"
    label = "phone"
