from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoliciesConfig(AppConfig):
    """Policies: the catalogue, eligibility on the rules engine, computed benefits."""

    name = "gridlight.policies"
    label = "policies"
    verbose_name = _("Policies")

    def ready(self) -> None:
        from gridlight.core.audit import register_actions
        from gridlight.policies.grants import receiving
        from gridlight.policies.matching import on_profile_changed, receiving_sources
        from gridlight.rules.subjects import register
        from gridlight.talent.subject import EnterpriseSubject, TalentSubject, listen

        register(TalentSubject())
        register(EnterpriseSubject())
        listen(on_profile_changed)
        # What a subject already receives (its live grants) reaches matching: not offered
        # again, never pushed again.
        if receiving not in receiving_sources:
            receiving_sources.append(receiving)
        register_actions(
            "policy",
            _("Policy"),
            {
                "create": _("created"),
                "update": _("changed"),
                "draft": _("draft made"),
                "edit": _("draft edited"),
                "publish": _("published"),
            },
        )
