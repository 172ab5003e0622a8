"""The portal of talents and enterprises, under /me/talent/."""

from django.urls import path

from gridlight.talent.views import portal

app_name = "talent_portal"

urlpatterns = [
    path("", portal.home, name="home"),
    path("problems/", portal.my_problems, name="problems"),
    path("problems/new/", portal.problem_new, name="raise"),
    path("problems/<int:pk>/", portal.problem_detail, name="problem"),
    path("profile/", portal.profile, name="profile"),
    path("profile/edit/", portal.profile_edit, name="profile_edit"),
]
