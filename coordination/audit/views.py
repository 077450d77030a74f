"""The audit trail for those who answer for it: agency admins read their agency's
records, superusers the whole platform's; both filter and export them as CSV."""

import csv

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actions import is_agency_admin
from coordination.audit import recorder
from coordination.audit.forms import AuditFilterForm
from coordination.audit.models import AuditRecord
from incidents.pagination import LookaheadPaginator

CSV_COLUMNS = (
    ("seq", "number"),
    ("at", "time_utc"),
    ("category", "kind"),
    ("action", "action"),
    ("actor_name", "who"),
    ("actor_agency_name", "who_agency"),
    ("object_type", "object"),
    ("object_ref", "reference"),
    ("recipient", "recipient"),
    ("justification", "justification"),
    ("via", "channel"),
    ("client_address", "client_address"),
    ("method", "method"),
    ("path", "path"),
    ("details", "details"),
    ("entry_hash", "entry_hash"),
)


def _readable_records(request):
    user = request.user
    if not (user.is_superuser or is_agency_admin(user)):
        raise PermissionDenied(_("Only agency admins and platform admins read the audit trail."))
    return AuditRecord.objects.readable_by(user)


@login_required
def records(request):
    queryset = _readable_records(request)
    recorder.flush()  # what waits in the buffer is shown too
    form = AuditFilterForm(request.GET or None)
    paginator = LookaheadPaginator(form.filter(queryset).order_by("-seq"), settings.AUDIT_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"), after=request.GET.get("after"))
    return render(
        request,
        "audit/records.html",
        {
            "form": form,
            "page": page,
            "paginator": paginator,
            "scope": _("the whole platform")
            if request.user.is_superuser
            else request.user.agency.name,
            "filtered": form.is_bound and form.is_valid() and any(form.cleaned_data.values()),
        },
    )


class _Echo:
    def write(self, value):
        return value


@login_required
def export(request):
    """The filtered records as CSV, streamed (the export is itself recorded)."""
    queryset = _readable_records(request)
    recorder.flush()
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return records(request)
    rows = form.filter(queryset).order_by("seq").values_list(*(name for name, _ in CSV_COLUMNS))
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow([label for _, label in CSV_COLUMNS])
        for row in rows.iterator(chunk_size=2000):
            yield writer.writerow([_cell(value) for value in row])

    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="concord-audit-{stamp}.csv"'
    return response


def _cell(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, dict):
        import json

        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    text = "" if value is None else str(value)
    # A spreadsheet must not run what a user typed (CSV formula injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
