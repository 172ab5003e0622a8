from django.urls import path

from gridlight.evaluation.views import pages

app_name = "evaluation"

urlpatterns = [
    path("", pages.cycle_index, name="index"),
    path("<int:pk>/board/", pages.board, name="board"),
    path("<int:pk>/meetings/", pages.meetings, name="meetings"),
    path("<int:pk>/rounds/", pages.rounds, name="rounds"),
    path("rounds/<int:pk>/", pages.round_detail, name="round"),
    path("assessments/<int:pk>/", pages.assessment, name="assessment"),
]
