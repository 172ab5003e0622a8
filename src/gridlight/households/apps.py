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
        _register_audit_actions()


def _register_audit_actions() -> None:
    from gridlight.core.audit import register_actions
    from gridlight.households.models import ResidentStatus

    register_actions(
        "household",
        _("Household"),
        {
            "register": _("registered"),
            "update": _("changed"),
            "dissolve": _("dissolved"),
            "move": _("moved"),
            "override": _("light set by hand"),
            "override_clear": _("light set by hand cleared"),
            "import": _("imported"),
        },
    )
    register_actions(
        "resident",
        _("Resident"),
        {"add": _("added"), "update": _("changed"), **dict(ResidentStatus.choices)},
    )
    register_actions("visit", _("Visit"), {"record": _("recorded")})
    register_actions("attribute", _("Attribute"), {"save": _("saved")})
    register_actions("package", _("Service package"), {"update": _("changed")})
