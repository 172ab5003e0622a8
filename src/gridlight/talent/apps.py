from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TalentConfig(AppConfig):
    name = "gridlight.talent"
    label = "talent"
    verbose_name = _("Talent service")

    def ready(self) -> None:
        # talentportal: the portal's home widget, the problem export and audit labels.
        from gridlight.talent import portal_widget  # noqa: F401 - registers itself
        from gridlight.talent.views import problems  # noqa: F401 - registers its export
