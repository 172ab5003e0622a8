""" "Policies for me" in the portal of talents and enterprises, under /me/policies/."""

from django.urls import path

from gridlight.policies import views_matching

app_name = "policies_portal"

urlpatterns = [
    path("", views_matching.my_policies, name="mine"),
]
