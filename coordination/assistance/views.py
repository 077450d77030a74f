"""Request pages. Every view reads requests through ``AssistanceRequest.objects.restrict``
(what the user may not see answers 404) and writes through ``actions`` / ``transitions``.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from coordination.assistance.models import AssistanceRequest


def visible_request(request, reference):
    queryset = AssistanceRequest.objects.restrict(request.user).select_related(
        "requesting_agency", "receiving_agency", "executing_agency", "incident", "created_by"
    )
    try:
        return queryset.get(reference=reference)
    except AssistanceRequest.DoesNotExist:
        raise Http404 from None


@login_required
@require_GET
def request_detail(request, reference):
    obj = visible_request(request, reference)
    return render(request, "assistance/request_detail.html", {"obj": obj})
