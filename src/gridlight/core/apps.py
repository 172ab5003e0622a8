from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "gridlight.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Export builders register themselves where their lists are filtered; a job started by
        # one process may run in another that has served no page yet.
        from gridlight.core import exports  # noqa: F401
        from gridlight.core.views import audit  # noqa: F401
