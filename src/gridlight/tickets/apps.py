from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "gridlight.tickets"
    label = "tickets"
    verbose_name = "Tickets"
