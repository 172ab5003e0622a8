from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HouseholdsConfig(AppConfig):
    name = "gridlight.households"
    label = "households"
    verbose_name = _("Households")

    def ready(self) -> None:
        from gridlight.households import jobs, widgets  # noqa: F401 - they register themselves
        from gridlight.households.subject import HouseholdSubject
        from gridlight.households.views import imports  # noqa: F401 - registers its export
        from gridlight.rules.subjects import register

        register(HouseholdSubject())
