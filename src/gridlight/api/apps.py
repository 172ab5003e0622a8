from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "gridlight.api"
    label = "gridlight_api"
