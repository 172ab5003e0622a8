from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DevelopmentConfig(AppConfig):
    name = "gridlight.development"
    label = "development"
    verbose_name = _("Key projects and indicators")

    def ready(self) -> None:
        from gridlight.core.audit import register_actions

        register_actions(
            "project",
            _("Key project"),
            {
                "create": _("registered"),
                "update": _("changed"),
                "milestone_add": _("milestone added"),
                "milestone_update": _("milestone changed"),
                "milestone_delete": _("milestone removed"),
                "stage": _("moved to a later stage"),
                "import": _("projects imported"),
                "report_import": _("progress reports imported"),
                "report_submit": _("progress reported"),
                "report_resubmit": _("progress reported again"),
                "report_approve": _("report approved"),
                "report_return": _("report returned"),
                "thresholds": _("light thresholds changed"),
                "recompute": _("lights recomputed"),
                "supervise": _("put under supervision"),
            },
        )
        register_actions(
            "indicator",
            _("Indicator"),
            {
                "element_create": _("data element added"),
                "value_enter": _("value entered"),
                "value_approve": _("value approved"),
                "import": _("values imported"),
                "target_set": _("target set"),
                "define": _("indicator defined"),
            },
        )
