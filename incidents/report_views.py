"""The case report's downloads from the incident page: PDF and JSON.

The incident is read through ``Incident.objects.restrict`` (invisible → 404); every
section of the report through its own door (``incidents.report``). The JSON is the API's
(``CaseReportSerializer``), so a download from the page and a tool's read agree.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from rest_framework.renderers import JSONRenderer

from incidents import report_pdf
from incidents.api.serializers import CaseReportSerializer
from incidents.models import Incident
from incidents.report import build_report


def _report(request, reference):
    incidents = Incident.objects.restrict(request.user).select_related("lead_agency")
    try:
        incident = incidents.get(reference=reference)
    except Incident.DoesNotExist as exc:
        raise Http404(_("No such incident.")) from exc
    return build_report(incident, request.user)


def _attachment(content, content_type, filename):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def report_pdf_download(request, reference):
    case_report = _report(request, reference)
    return _attachment(
        report_pdf.render(case_report),
        "application/pdf",
        f"{case_report.incident['reference']}-case-report.pdf",
    )


@login_required
@require_GET
def report_json_download(request, reference):
    case_report = _report(request, reference)
    content = JSONRenderer().render(
        CaseReportSerializer(case_report.as_dict()).data, renderer_context={"indent": 2}
    )
    return _attachment(
        content,
        "application/json",
        f"{case_report.incident['reference']}-case-report.json",
    )
