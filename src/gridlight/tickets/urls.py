from django.urls import path

from gridlight.tickets.views import calendar, consoles, kpi, tickets

app_name = "tickets"

urlpatterns = [
    path("", tickets.ticket_list, name="list"),
    path("new/", tickets.ticket_new, name="new"),
    path("new/grids/", tickets.grid_options, name="grid_options"),
    path("similar/", tickets.similar, name="similar"),
    path("export/", tickets.ticket_export, name="export"),
    path("inbox/", tickets.inbox, name="inbox"),
    path("dispatch/", consoles.dispatch_console, name="dispatch"),
    path("work/", consoles.worklist, name="worklist"),
    path("supervision/", consoles.supervision, name="supervision"),
    path("catalogue/", consoles.catalogue, name="catalogue"),
    path("catalogue/policies/<int:pk>/", consoles.policy_edit, name="policy_edit"),
    path("catalogue/categories/<int:pk>/", consoles.category_edit, name="category_edit"),
    path("catalogue/units/<int:pk>/", consoles.unit_detail, name="unit"),
    path("calendar/", calendar.calendar, name="calendar"),
    path("calendar/notice/", calendar.calendar_notice, name="calendar_notice"),
    path("calendar/<int:pk>/delete/", calendar.calendar_delete, name="calendar_delete"),
    path("kpi/", kpi.kpi_page, name="kpi"),
    path("kpi/export/", kpi.kpi_export, name="kpi_export"),
    path("<int:pk>/", tickets.ticket_detail, name="detail"),
    path("<int:pk>/attachments/<int:attachment_pk>/", tickets.attachment, name="attachment"),
    path("<int:pk>/<slug:name>/", tickets.ticket_action, name="action"),
]
