from django.urls import path

from gridlight.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.cockpit, name="cockpit"),
    path("refresh/", views.cockpit_refresh, name="cockpit_refresh"),
]
