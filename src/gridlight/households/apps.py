from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HouseholdsConfig(AppConfig):
    name = "gridlight.households"
    label = "households"
    verbose_name = _("Households")

    def ready(self) -> None:
        from gridlight.households import jobs  # noqa: F401 - registers the job functions
        from gridlight.households.subject import HouseholdSubject
        from gridlight.rules.subjects import register

        register(HouseholdSubject())
