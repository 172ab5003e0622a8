"""The applicant's applications, offers and grants in the talent portal, under
/me/talent/policies/ (the matched "policies for me" are urls_portal.py, under /me/policies/)."""

from django.urls import path

from gridlight.policies import views_portal

app_name = "policy_portal"

urlpatterns = [
    path("", views_portal.mine, name="mine"),
    path("apply/<int:pk>/", views_portal.apply, name="apply"),
    path("applications/<int:pk>/", views_portal.application, name="application"),
    path("applications/<int:pk>/resubmit/", views_portal.resubmit, name="resubmit"),
    path("applications/<int:pk>/withdraw/", views_portal.withdraw, name="withdraw"),
    path("offers/<int:pk>/confirm/", views_portal.confirm, name="confirm"),
]
