"""A job's page: progress while it runs (htmx polls it), then its result."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from gridlight.core import exports
from gridlight.core.access import SignedInRequest, access
from gridlight.core.models import Job


@access()
def job_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    # A job is its starter's own record.
    job = Job.objects.filter(pk=pk, created_by_id=request.user.pk).first()
    if job is None:
        raise Http404
    template = "core/_job.html" if request.headers.get("HX-Request") else "core/job.html"
    return render(request, template, {"job": job})


@access()
def job_download(request: SignedInRequest, pk: int) -> HttpResponseBase:
    """The file an export job wrote (its starter's own, like the job)."""
    return exports.download(request, pk)
