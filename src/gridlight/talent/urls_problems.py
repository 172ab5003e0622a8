"""Staff pages of talent problems, under /talent/problems/."""

from django.urls import path

from gridlight.talent.views import problems

app_name = "talent_problems"

urlpatterns = [
    path("", problems.problem_list, name="list"),
    path("raise/", problems.problem_raise, name="raise"),
    path("solved/", problems.solved_page, name="solved"),
    path("solved/export/", problems.solved_export, name="solved_export"),
]
