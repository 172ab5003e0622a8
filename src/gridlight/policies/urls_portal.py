"""The applicant's policy pages in the talent portal, under /me/talent/policies/."""

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
