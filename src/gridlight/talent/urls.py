from django.urls import path

from gridlight.talent.views import enterprises, imports, talents

app_name = "talent"

urlpatterns = [
    path("enterprises/", enterprises.enterprise_list, name="enterprise_list"),
    path("enterprises/new/", enterprises.enterprise_create, name="enterprise_create"),
    path("enterprises/import/", imports.enterprise_import, name="enterprise_import"),
    path(
        "enterprises/import/template/",
        imports.enterprise_template,
        name="enterprise_import_template",
    ),
    path("enterprises/export/", imports.enterprise_export, name="enterprise_export"),
    path("enterprises/<int:pk>/", enterprises.enterprise_detail, name="enterprise_detail"),
    path("enterprises/<int:pk>/edit/", enterprises.enterprise_edit, name="enterprise_edit"),
    path("talents/", talents.talent_list, name="talent_list"),
    path("talents/new/", talents.talent_create, name="talent_create"),
    path("talents/import/", imports.talent_import, name="talent_import"),
    path("talents/import/template/", imports.talent_template, name="talent_import_template"),
    path("talents/export/", imports.talent_export, name="talent_export"),
    path("talents/<int:pk>/", talents.talent_detail, name="talent_detail"),
    path("talents/<int:pk>/edit/", talents.talent_edit, name="talent_edit"),
    path("talents/<int:pk>/reveal/<str:what>/", talents.talent_reveal, name="talent_reveal"),
]
