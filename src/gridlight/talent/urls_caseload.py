"""The commissioners' pages, under /talent/caseload/ (namespace ``caseload``)."""

from django.urls import path

from gridlight.talent.views import caseload

app_name = "caseload"

urlpatterns = [
    path("", caseload.my_caseload, name="mine"),
    path("workload/", caseload.workload, name="workload"),
    path("cadence/", caseload.cadence, name="cadence"),
    path("commissioners/<int:pk>/", caseload.commissioner_caseload, name="commissioner"),
    path("commissioners/<int:pk>/desk/", caseload.desk, name="desk"),
    path("commissioners/<int:pk>/handover/", caseload.handover, name="handover"),
    path("commissioners/<int:pk>/reassign/", caseload.reassign, name="reassign"),
    path(
        "talents/<int:pk>/contact/",
        caseload.contact,
        {"kind": "talent"},
        name="talent_contact",
    ),
    path(
        "enterprises/<int:pk>/contact/",
        caseload.contact,
        {"kind": "enterprise"},
        name="enterprise_contact",
    ),
    path("talents/<int:pk>/assign/", caseload.assign, {"kind": "talent"}, name="talent_assign"),
    path(
        "enterprises/<int:pk>/assign/",
        caseload.assign,
        {"kind": "enterprise"},
        name="enterprise_assign",
    ),
]
