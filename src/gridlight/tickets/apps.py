from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "gridlight.tickets"
    label = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from gridlight.core.audit import register_actions
        from gridlight.tickets import widgets  # noqa: F401 - it registers itself
        from gridlight.tickets.models import Step
        from gridlight.tickets.views import tickets  # noqa: F401 - registers its export

        # The audit trail names a ticket's steps as its timeline does.
        register_actions("ticket", _("Ticket"), dict(Step.choices))
        register_actions("ticket_policy", _("SLA policy"), {"update": _("changed")})
        register_actions("ticket_category", _("Ticket category"), {"update": _("changed")})
        register_actions(
            "ticket_unit",
            _("Unit"),
            {"member_add": _("handler added"), "member_remove": _("handler removed")},
        )
