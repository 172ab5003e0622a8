from django.urls import path

from gridlight.core.views import audit, auth, home, jobs, positions, regions, tokens, users
from gridlight.core.views import map as map_views

app_name = "core"

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", home.healthz, name="healthz"),
    path("accounts/login/", auth.login_view, name="login"),
    path("accounts/logout/", auth.logout_view, name="logout"),
    path("accounts/tokens/", tokens.token_list, name="token_list"),
    path("accounts/tokens/<int:pk>/revoke/", tokens.token_revoke, name="token_revoke"),
    path("regions/", regions.region_index, name="region_index"),
    path("regions/import/", regions.region_import, name="region_import"),
    path("regions/export/", regions.region_export, name="region_export"),
    path("regions/template/", regions.region_template, name="region_template"),
    path("regions/<int:pk>/", regions.region_detail, name="region_detail"),
    path("regions/<int:pk>/edit/", regions.region_edit, name="region_edit"),
    path("regions/<int:pk>/add/", regions.region_add_child, name="region_add_child"),
    path("positions/", positions.position_list, name="position_list"),
    path("positions/map/", map_views.position_map, name="position_map"),
    path("positions/map/outlines/import/", map_views.outline_import, name="outline_import"),
    path("positions/map/outlines/export/", map_views.outline_export, name="outline_export"),
    path("positions/new/", positions.position_create, name="position_create"),
    path("positions/import/", positions.position_import, name="position_import"),
    path("positions/export/", positions.position_export, name="position_export"),
    path("positions/template/", positions.position_template, name="position_template"),
    path("positions/<int:pk>/", positions.position_detail, name="position_detail"),
    path("positions/<int:pk>/edit/", positions.position_edit, name="position_edit"),
    path("positions/<int:pk>/delete/", positions.position_delete, name="position_delete"),
    path("audit/", audit.audit_list, name="audit_list"),
    path("audit/export/", audit.audit_export, name="audit_export"),
    path("jobs/<int:pk>/", jobs.job_detail, name="job_detail"),
    path("jobs/<int:pk>/download/", jobs.job_download, name="job_download"),
    path("users/", users.user_list, name="user_list"),
    path("users/new/", users.user_create, name="user_create"),
    path("users/<int:pk>/", users.user_detail, name="user_detail"),
    path("assignments/<int:pk>/revoke/", users.assignment_revoke, name="assignment_revoke"),
]
