from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TalentConfig(AppConfig):
    name = "gridlight.talent"
    label = "talent"
    verbose_name = _("Talent service")

    def ready(self) -> None:
        from gridlight.talent import jobs, portal_widget  # noqa: F401 - they register themselves
        from gridlight.talent.views import (
            imports,  # noqa: F401 - registers its exports
            problems,  # noqa: F401 - registers its export
        )

        _register_audit_actions()


def _register_audit_actions() -> None:
    from gridlight.core.audit import register_actions

    register_actions(
        "enterprise",
        _("Enterprise"),
        {"create": _("registered"), "update": _("changed"), "import": _("imported")},
    )
    register_actions(
        "talent",
        _("Talent"),
        {"create": _("registered"), "update": _("changed"), "import": _("imported")},
    )
