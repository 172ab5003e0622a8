from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "gridlight.tickets"
    label = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from gridlight.tickets import widgets  # noqa: F401 - it registers itself
        from gridlight.tickets.views import tickets  # noqa: F401 - registers its export
