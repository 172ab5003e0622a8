from django.urls import path

from gridlight.development.views import indicators, manage, projects

app_name = "development"

urlpatterns = [
    path("projects/", projects.project_list, name="project_list"),
    path("projects/export/", projects.project_export, name="project_export"),
    path("projects/recompute/", projects.lights_recompute, name="lights_recompute"),
    path("projects/new/", manage.project_create, name="project_create"),
    path("projects/summary/", manage.project_summary, name="project_summary"),
    path("projects/import/", manage.projects_import, name="projects_import"),
    path("projects/import/template/", manage.projects_template, name="projects_template"),
    path("projects/reports/import/", manage.reports_import, name="reports_import"),
    path("projects/reports/import/template/", manage.reports_template, name="reports_template"),
    path("projects/<int:pk>/edit/", manage.project_edit, name="project_edit"),
    path("projects/<int:pk>/stage/", manage.project_stage, name="project_stage"),
    path("projects/<int:pk>/milestones/new/", manage.milestone_add, name="milestone_add"),
    path("milestones/<int:pk>/edit/", manage.milestone_edit, name="milestone_edit"),
    path("milestones/<int:pk>/delete/", manage.milestone_delete, name="milestone_delete"),
    path("projects/<int:pk>/", projects.project_detail, name="project_detail"),
    path("projects/<int:pk>/report/", projects.report_form, name="report_form"),
    path("projects/<int:pk>/supervise/", projects.project_supervise, name="project_supervise"),
    path("reports/<int:pk>/approve/", projects.report_approve, name="report_approve"),
    path("reports/<int:pk>/return/", projects.report_return, name="report_return"),
    path("indicators/", indicators.indicator_list, name="indicator_list"),
    path("indicators/contributions/", indicators.contributions, name="contributions"),
    path("indicators/import/", indicators.values_import, name="values_import"),
    path("indicators/import/template/", indicators.values_template, name="values_template"),
    path("indicators/export/", indicators.values_export, name="values_export"),
    path("indicators/elements/<int:pk>/", indicators.element_detail, name="element_detail"),
    path("indicators/elements/<int:pk>/values/", indicators.value_enter, name="value_enter"),
    path("indicators/values/<int:pk>/approve/", indicators.value_approve, name="value_approve"),
]
