from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo district's builder: above the domain apps, it builds the core's regions and
    users, then households and tickets, through each app's own demo module."""

    name = "gridlight.demo"
    label = "gridlight_demo"
    verbose_name = _("Demo district")
