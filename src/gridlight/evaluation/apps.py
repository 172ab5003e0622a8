from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "gridlight.evaluation"
    label = "evaluation"
    verbose_name = _("Street evaluation")

    def ready(self) -> None:
        from gridlight.core.audit import register_actions
        from gridlight.evaluation import widgets  # noqa: F401 - it registers its region panel

        changed = {"create": _("created"), "update": _("changed")}
        register_actions("eval_cycle", _("Evaluation year"), {**changed, "plan": _("planned")})
        register_actions("eval_brand", _("One street, one brand"), changed)
        register_actions(
            "eval_milestone",
            _("Milestone"),
            {**changed, "done": _("done"), "evidence": _("evidence added")},
        )
        register_actions("eval_event", _("Evaluation event"), {"update": _("changed")})
        register_actions("eval_attendance", _("Attendance"), {"record": _("recorded")})
        register_actions(
            "eval_action",
            _("Action item"),
            {"create": _("created"), "done": _("done"), "escalate": _("raised as a ticket")},
        )
        register_actions(
            "eval_round",
            _("Judged round"),
            {
                "create": _("created"),
                "judge": _("judge appointed"),
                "conflict": _("conflict declared"),
                "close": _("closed"),
                "publish": _("published"),
            },
        )
        register_actions(
            "eval_sheet",
            _("Score sheet"),
            {
                "save": _("saved"),
                "confirm": _("confirmed and sealed"),
                "import": _("imported from paper for the judge"),
            },
        )
        register_actions(
            "eval_assessment",
            _("Half-year assessment"),
            {"create": _("created"), "compute": _("computed")},
        )
        register_actions("eval_standing", _("Annual ranking"), {"compute": _("computed")})
        register_actions(
            "eval_cadre", _("Cadre"), {**changed, "participate": _("participation recorded")}
        )
        register_actions(
            "eval_inspection",
            _("Position inspection"),
            {"record": _("recorded"), "fix": _("rectification done")},
        )
        register_actions(
            "eval_task",
            _("Evaluation task"),
            {"set": _("set"), "done": _("done"), "import": _("imported")},
        )
