from django.urls import path

from gridlight.policies import views, views_matching, views_work
from gridlight.policies.steps import STEPS

app_name = "policies"

urlpatterns = [
    path("", views.policy_list, name="list"),
    path("<int:pk>/", views.policy_detail, name="detail"),
    path("<int:pk>/edit/", views.policy_edit, name="edit"),
    path("<int:pk>/source/", views.policy_source, name="source"),
    path("<int:pk>/draft/", views.draft_new, name="draft_new"),
    path("<int:pk>/matches/", views_matching.policy_matches, name="matches"),
    path("reminders/", views_matching.reminders, name="reminders"),
    path("pushes/", views_matching.push_kpi, name="push_kpi"),
    path("pushes/export/", views_matching.push_kpi_export, name="push_kpi_export"),
    path("versions/<int:pk>/", views.version_detail, name="version"),
    path("versions/<int:pk>/simulate/", views.version_simulate, name="simulate"),
    path("versions/<int:pk>/publish/", views.version_publish, name="publish"),
    path("talents/<int:pk>/", views.talent_policies, name="talent"),
    path("enterprises/<int:pk>/", views.enterprise_policies, name="enterprise"),
    path("applications/", views_work.queue, name="queue"),
    path("applications/<int:pk>/", views_work.application_detail, name="application"),
    # One route per step (no slug in the path: a step is one of the table's names).
    *(
        path(
            f"applications/<int:pk>/{name}/",
            views_work.application_step,
            {"step": name},
            name=f"application_{name}",
        )
        for name in STEPS
    ),
    path(
        "applications/<int:pk>/materials/<int:mid>/",
        views_work.application_material,
        name="material",
    ),
    path("grants/", views_work.grant_console, name="grants"),
    path("grants/reconfirm/", views_work.grant_reconfirm, name="reconfirm"),
    path("grants/batch/<int:pk>/", views_work.batch_create, name="batch_create"),
    path("batches/", views_work.batch_list, name="batches"),
    path("batches/<int:pk>/", views_work.batch_detail, name="batch"),
    path("batches/<int:pk>/export/", views_work.batch_export, name="batch_export"),
    path("batches/<int:pk>/paid/", views_work.batch_paid, name="batch_paid"),
    path("kpi/", views_work.kpi_page, name="kpi"),
    path("kpi/export/", views_work.kpi_export, name="kpi_export"),
]
