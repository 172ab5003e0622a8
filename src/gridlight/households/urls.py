from django.urls import path

from gridlight.households.views import catalogue, households, imports, rules, rules_editor, work

app_name = "households"

urlpatterns = [
    path("", households.household_list, name="list"),
    path("new/", households.household_create, name="create"),
    path("worklist/", work.worklist_view, name="worklist"),
    path("dashboard/", work.dashboard, name="dashboard"),
    path("dashboard/<int:pk>/", work.dashboard, name="dashboard_region"),
    path("import/", imports.import_view, name="import"),
    path("import/template/", imports.template_view, name="import_template"),
    path("export/", imports.export_view, name="export"),
    path("catalogue/", catalogue.catalogue, name="catalogue"),
    path("catalogue/packages/<str:light>/", catalogue.package_edit, name="package_edit"),
    path("rules/", rules.rules_index, name="rules_index"),
    path("rules/draft/", rules.rules_draft, name="rules_draft"),
    path("rules/recompute/", rules.rules_recompute, name="rules_recompute"),
    path("rules/<int:pk>/", rules.rules_version, name="rules_version"),
    path("rules/<int:pk>/simulate/", rules.rules_simulate, name="rules_simulate"),
    path("rules/<int:pk>/editor/node/", rules_editor.editor_node, name="rules_editor_node"),
    path("rules/<int:pk>/editor/rule/", rules_editor.editor_rule, name="rules_editor_rule"),
    path("rules/<int:pk>/editor/case/", rules_editor.editor_case, name="rules_editor_case"),
    path("rules/<int:pk>/editor/remove/", rules_editor.editor_remove, name="rules_editor_remove"),
    path("rules/<int:pk>/publish/", rules.rules_publish, name="rules_publish"),
    path("<int:pk>/", households.household_detail, name="detail"),
    path("<int:pk>/edit/", households.household_edit, name="edit"),
    path("<int:pk>/move/", households.household_move, name="move"),
    path("<int:pk>/override/", households.household_override, name="override"),
    path("<int:pk>/visits/", households.visit_create, name="visit"),
    path("<int:pk>/members/new/", households.member_edit, name="member_add"),
    path("<int:pk>/members/<int:resident_pk>/", households.member_edit, name="member_edit"),
    path(
        "<int:pk>/members/<int:resident_pk>/depart/", households.member_depart, name="member_depart"
    ),
    path("<int:pk>/members/<int:resident_pk>/reveal/<str:what>/", households.reveal, name="reveal"),
]
