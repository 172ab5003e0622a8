from django.urls import path

from gridlight.policies import views, views_matching

app_name = "policies"

urlpatterns = [
    path("", views.policy_list, name="list"),
    path("<int:pk>/", views.policy_detail, name="detail"),
    path("<int:pk>/draft/", views.draft_new, name="draft_new"),
    path("<int:pk>/matches/", views_matching.policy_matches, name="matches"),
    path("reminders/", views_matching.reminders, name="reminders"),
    path("pushes/", views_matching.push_kpi, name="push_kpi"),
    path("versions/<int:pk>/", views.version_detail, name="version"),
    path("versions/<int:pk>/simulate/", views.version_simulate, name="simulate"),
    path("versions/<int:pk>/publish/", views.version_publish, name="publish"),
    path("talents/<int:pk>/", views.talent_policies, name="talent"),
    path("enterprises/<int:pk>/", views.enterprise_policies, name="enterprise"),
]
