from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RulesConfig(AppConfig):
    name = "gridlight.rules"
    label = "rules"
    verbose_name = _("Rules")

    def ready(self) -> None:
        from gridlight.core.audit import register_actions

        register_actions(
            "rules",
            _("Rule set"),
            {"draft": _("draft made"), "edit": _("draft edited"), "publish": _("published")},
        )
