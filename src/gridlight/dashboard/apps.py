from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "gridlight.dashboard"
    label = "dashboard"
    verbose_name = _("Cockpit")

    def ready(self) -> None:
        from django.conf import settings

        from gridlight.core import periodic
        from gridlight.dashboard import refresh

        # The job behind the page's button, and the embedded scheduler's round (Celery beat
        # runs ``gridlight.dashboard.refresh_cockpit`` instead, see settings).
        refresh.register_job()
        periodic.register(
            "cockpit", float(settings.GRIDLIGHT_COCKPIT_SECONDS), refresh.refresh_quietly
        )
