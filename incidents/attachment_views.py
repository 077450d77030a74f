"""Files attached to timeline entries: download, and promotion to an evidence item.

An attachment is read through ``EntryAttachment.objects.restrict(user)``, the timeline's
own visibility rule (TLP:RED for the named recipients, AMBER+STRICT inside the author's
agency): what the reader may not see answers 404. Promotion needs the right to log
evidence on the incident (403). Writes go through the actions.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from incidents.choices import Action
from incidents.evidence import actions as evidence_actions
from incidents.evidence import storage
from incidents.evidence.choices import EvidenceKind
from incidents.forms import PromoteAttachmentForm, apply_validation_error
from incidents.models import EntryAttachment
from incidents.permissions import allowed_actions


def visible_attachment(user, pk):
    attachments = EntryAttachment.objects.restrict(user).select_related(
        "entry__incident__lead_agency", "evidence", "uploaded_by"
    )
    try:
        attachment = attachments.get(pk=pk)
    except EntryAttachment.DoesNotExist as exc:
        raise Http404(_("No such attachment.")) from exc
    if attachment.is_pending:
        raise Http404(
            _("The file has not arrived from the node %(node)s yet: try again in a minute.")
            % {"node": attachment.origin_node}
        )
    return attachment


def file_response(attachment):
    """The stored file as a download, never shown inline (the same headers as evidence)."""
    response = FileResponse(
        open(storage.absolute(attachment.file_path), "rb"),  # noqa: SIM115 - closed by Django
        as_attachment=True,
        filename=attachment.file_name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def attachment_download(request, pk):
    return file_response(visible_attachment(request.user, pk))


KIND_BY_EXTENSION = {
    "eml": EvidenceKind.EMAIL,
    "msg": EvidenceKind.EMAIL,
    "mbox": EvidenceKind.EMAIL,
    "pdf": EvidenceKind.DOCUMENT,
    "txt": EvidenceKind.DOCUMENT,
    "html": EvidenceKind.DOCUMENT,
    "doc": EvidenceKind.DOCUMENT,
    "docx": EvidenceKind.DOCUMENT,
    "log": EvidenceKind.LOGS,
    "pcap": EvidenceKind.NETWORK_CAPTURE,
    "pcapng": EvidenceKind.NETWORK_CAPTURE,
}


def _kind_of(file_name):
    extension = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    return KIND_BY_EXTENSION.get(extension, EvidenceKind.OTHER)


def _initial(attachment):
    entry = attachment.entry
    return {
        "title": attachment.file_name,
        "kind": _kind_of(attachment.file_name),
        "acquired_at": timezone.localtime(attachment.uploaded_at),
        "acquired_by_name": attachment.uploaded_by.display_name,
        "acquired_where": _("Concord, timeline of %(reference)s")
        % {"reference": entry.incident.reference},
        "acquisition_method": _("Attached to a timeline entry"),
    }


@login_required
@require_http_methods(["GET", "POST"])
def attachment_promote(request, pk):
    attachment = visible_attachment(request.user, pk)
    incident = attachment.entry.incident
    if Action.CONTRIBUTE not in allowed_actions(request.user, incident):
        raise PermissionDenied(_("You may not log evidence on this incident."))
    if attachment.evidence_id:
        return redirect(attachment.evidence)
    form = PromoteAttachmentForm(request.POST or None, initial=_initial(attachment))
    if request.method == "POST" and form.is_valid():
        try:
            item = evidence_actions.promote_attachment(
                attachment, request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s logged as evidence %(reference)s.")
                % {"name": attachment.file_name, "reference": item.reference},
            )
            return redirect(item)
    return render(
        request,
        "incidents/attachment_promote.html",
        {"form": form, "attachment": attachment, "incident": incident},
        status=400 if form.errors else 200,
    )
