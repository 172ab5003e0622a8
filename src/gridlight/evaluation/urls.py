from django.urls import path

from gridlight.evaluation.views import exports, judging, pages, work

app_name = "evaluation"

urlpatterns = [
    path("", pages.cycle_index, name="index"),
    path("<int:pk>/board/", pages.board, name="board"),
    path("<int:pk>/meetings/", pages.meetings, name="meetings"),
    path("<int:pk>/rounds/", pages.rounds, name="rounds"),
    path("<int:pk>/standings/", pages.standings, name="standings"),
    path("rounds/<int:pk>/", pages.round_detail, name="round"),
    path("rounds/<int:pk>/export/", exports.round_export, name="round_export"),
    path("rounds/<int:pk>/score/", judging.score_list, name="score_list"),
    path("rounds/<int:pk>/score/<int:entrant_pk>/", judging.score_sheet, name="score_sheet"),
    path("rounds/<int:pk>/close/", judging.round_step, {"step": "close"}, name="round_close"),
    path("rounds/<int:pk>/publish/", judging.round_step, {"step": "publish"}, name="round_publish"),
    path("assessments/<int:pk>/", pages.assessment, name="assessment"),
    path("brands/<int:pk>/", work.brand_detail, name="brand"),
    path("milestones/<int:pk>/done/", work.milestone_done, name="milestone_done"),
    path("actions/<int:pk>/done/", work.action_done, name="action_done"),
    path("evidence/<int:pk>/", work.evidence, name="evidence"),
    path("cadres/", work.cadre_list, name="cadres"),
    path("cadres/<int:pk>/", work.cadre_detail, name="cadre"),
    path("positions/", work.positions, name="positions"),
    path("rectifications/<int:pk>/fix/", work.rectification_fix, name="rectification_fix"),
]
