"""Drafting operations on requests: create, edit while draft, data sought, attachments,
and the agency's deadline policy. State changes go through ``transitions``.

They raise ``ValidationError`` (field messages) for bad input and ``PermissionDenied``
when the actor may not act; nothing is half-stored (each runs in one transaction).
"""

import hashlib

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.models import Agency
from coordination.assistance import deadlines, federated, provider_orders
from coordination.assistance.choices import DRAFTING_ROLES, DataKind, LegalBasis, Status, Urgency
from coordination.assistance.models import (
    AssistanceRequest,
    Attachment,
    DataSought,
    DeadlinePolicy,
)
from coordination.assistance.transitions import archived_refusal
from coordination.assistance.validation import clean_measures, tlp_error
from incidents.choices import TLP, Action
from incidents.models import Incident, allocate_reference

EDITABLE_FIELDS = (
    "legal_basis",
    "measures",
    "urgency",
    "urgency_reason",
    "requested_country",
    "receiving_agency",
    "facts",
    "offences",
    "dual_criminality",
    "tlp",
    "confidentiality_requested",
    "confidentiality_reason",
    "issuer_deadline",
    "issuer_deadline_reason",
    "provisional_measures",
    "provisional_measures_detail",
    # Orders to a service provider (Regulation (EU) 2023/1543 Art. 7 and 8).
    "provider_addressee",
    "identification_only",
    "notification_exception",
    "notification_exception_reason",
    "enforcing_agency",
)
# Set from the others while drafting an order to a provider (provider_orders.check_draft).
DERIVED_FIELDS = (
    "requested_country",
    "receiving_agency",
    "enforcing_agency",
    "notification_exception",
    "notification_exception_reason",
)
MAX_DATA_ITEMS = 50
MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024


def _check_fields(request, by):
    errors = {}
    try:
        request.measures = clean_measures(request.measures)
    except ValueError as exc:
        errors["measures"] = _("Unknown measure: %(values)s.") % {"values": exc}
    errors |= provider_orders.check_draft(request, by)
    agency = request.receiving_agency
    if agency is not None:
        if agency.pk == by.agency_id:
            errors["receiving_agency"] = _("A request goes to another agency than your own.")
        elif not agency.is_active:
            errors["receiving_agency"] = _("%(agency)s is no longer active.") % {
                "agency": agency.name
            }
        elif not request.requested_country:
            request.requested_country = agency.country.code
        elif agency.country.code != str(request.requested_country):
            errors["receiving_agency"] = _("This authority is not in the requested country.")
    if request.requested_country and str(request.requested_country) == by.agency.country.code:
        if request.is_provider_order:
            errors.setdefault(
                "provider_addressee",
                _(
                    "This addressee is in your own Member State: a European Production or "
                    "Preservation Order goes to a provider's establishment or representative "
                    "in another Member State (Regulation (EU) 2023/1543 Art. 1(1))."
                ),
            )
        else:
            errors["requested_country"] = _(
                "A cross-border request goes to another country than your agency's."
            )
    if (
        request.issuer_deadline
        and request.issuer_deadline < timezone.now()
        and request.status == Status.DRAFT
    ):
        errors["issuer_deadline"] = _("The date you need the result by has already passed.")
    if request.provisional_measures and request.legal_basis != LegalBasis.EIO:
        errors["provisional_measures"] = _(
            "Provisional measures are asked for under an EIO (Directive 2014/41/EU Art. 32)."
        )
    marking = tlp_error(request)
    if marking:
        errors["tlp"] = marking
    for field, message in federated.addressee_errors(request).items():
        errors.setdefault(field, message)
    try:
        request.full_clean(
            exclude=["reference", "requesting_agency", "created_by", "incident", "measures"]
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, " ".join(messages))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_request(by, *, incident=None, data_sought=(), **fields):
    """Open a draft request of ``by``'s agency, optionally from an incident ``by`` works on."""
    if not by.agency_id or by.role not in DRAFTING_ROLES:
        raise PermissionDenied(_("Only investigators and liaison officers draft requests."))
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not editable: {', '.join(sorted(unknown))}")
    if incident is not None:
        allowed = Incident.objects.restrict(by, Action.CONTRIBUTE).filter(pk=incident.pk)
        if not allowed.exists():
            raise ValidationError(
                {"incident": _("You may only request assistance for an incident you work on.")}
            )
    fields.setdefault("urgency", Urgency.ROUTINE)
    if not fields.get("tlp"):
        # Drafted from a case, a request starts with the case's marking.
        fields["tlp"] = incident.tlp if incident is not None else TLP.AMBER
    request = AssistanceRequest(
        reference=allocate_reference("MLA", timezone.now().year, width=4),
        incident=incident,
        requesting_agency_id=by.agency_id,
        created_by=by,
        **fields,
    )
    _check_fields(request, by)
    request.save()
    if data_sought:
        set_data_sought(request, by, data_sought)
    return request


def _require_draft_editor(request, by):
    editable = AssistanceRequest.objects.restrict(by, "change").filter(pk=request.pk)
    if not editable.exists():
        raise PermissionDenied(_("Only a draft of your agency can be edited."))
    if refusal := archived_refusal(request):
        raise PermissionDenied(refusal)


@transaction.atomic
def update_draft(request, by, *, data_sought=None, **changes):
    """Edit a draft. Once submitted it is frozen (return it to the drafter to edit)."""
    _require_draft_editor(request, by)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not editable: {', '.join(sorted(unknown))}")
    for name, value in changes.items():
        setattr(request, name, value)
    _check_fields(request, by)
    # CAS on the version: a concurrent submit must not be overwritten by a stale edit.
    values = {name: getattr(request, name) for name in (*changes, *DERIVED_FIELDS)}
    values["updated_at"] = timezone.now()
    updated = AssistanceRequest.objects.filter(
        pk=request.pk, version=request.version, status=Status.DRAFT
    ).update(**values, version=request.version + 1)
    if not updated:
        from incidents.exceptions import ConcurrentChange

        raise ConcurrentChange(
            _("Someone else changed this request meanwhile. Reload it and try again.")
        )
    request.version += 1
    request.updated_at = values["updated_at"]
    if data_sought is not None:
        set_data_sought(request, by, data_sought)
    return request


def _clean_item(item, index):
    errors = {}
    kind = (item.get("kind") or "").strip()
    value = (item.get("value") or "").strip()
    if kind not in DataKind.values:
        errors["kind"] = _("Choose what kind of identifier this is.")
    if not value:
        errors["value"] = _("Give the identifier.")
    elif len(value) > 300:
        errors["value"] = _("At most 300 characters.")
    observed_at = item.get("observed_at") or None
    if observed_at is not None and timezone.is_naive(observed_at):
        errors["observed_at"] = _("Give the time with its time zone.")
    if errors:
        raise ValidationError(
            {
                "data_sought": [
                    _("Item %(n)d: %(errors)s")
                    % {"n": index + 1, "errors": " ".join(str(m) for m in errors.values())}
                ]
            }
        )
    return DataSought(
        kind=kind,
        value=value,
        observed_at=observed_at,
        provider=(item.get("provider") or "").strip()[:200],
        note=(item.get("note") or "").strip()[:300],
        position=index,
    )


def set_data_sought(request, by, items):
    """Replace the request's list of data sought (a list of dicts) while it is a draft."""
    if request.status != Status.DRAFT:
        raise PermissionDenied(_("Only a draft can be edited."))
    items = list(items)
    if len(items) > MAX_DATA_ITEMS:
        raise ValidationError(
            {"data_sought": _("At most %(n)d items per request.") % {"n": MAX_DATA_ITEMS}}
        )
    rows = [_clean_item(item, i) for i, item in enumerate(items)]
    with transaction.atomic():
        request.data_sought.all().delete()
        for row in rows:
            row.request = request
        DataSought.objects.bulk_create(rows)
    return rows


@transaction.atomic
def add_attachment(request, by, uploaded):
    """Attach a document to a draft, hashing it (SHA-256) while it streams to storage."""
    _require_draft_editor(request, by)
    if uploaded.size > MAX_ATTACHMENT_BYTES:
        raise ValidationError({"file": _("A file may be at most 50 MB.")})
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    attachment = Attachment(
        request=request,
        name=(uploaded.name or "attachment")[:200],
        sha256=digest.hexdigest(),
        size=uploaded.size,
        content_type=(getattr(uploaded, "content_type", "") or "")[:100],
        uploaded_by=by,
    )
    storage = Attachment._meta.get_field("file").storage
    path = f"requests/{attachment.sha256[:2]}/{attachment.sha256}"
    if storage.exists(path):
        attachment.file.name = path  # same content, already stored once
    else:
        attachment.file.save(path, File(uploaded), save=False)
    attachment.save()
    return attachment


@transaction.atomic
def remove_attachment(attachment, by):
    _require_draft_editor(attachment.request, by)
    attachment.delete()  # the stored file may be shared by content hash: left in place


@transaction.atomic
def set_deadline_policy(agency, by, *, legal_basis, kind, urgency, hours):
    """An agency admin sets their agency's number for a policy deadline (None: default)."""
    if not (by.is_active and by.role == Role.AGENCY_ADMIN and by.agency_id == agency.pk):
        raise PermissionDenied(_("Only an admin of this agency sets its deadline policy."))
    rule = deadlines.rule(legal_basis, kind)
    if rule is None or not rule.configurable:
        raise ValidationError({"kind": _("This deadline is set by law and cannot be changed.")})
    if urgency not in Urgency.values:
        raise ValidationError({"urgency": _("Unknown urgency.")})
    if hours in (None, ""):
        DeadlinePolicy.objects.filter(
            agency=agency, legal_basis=legal_basis, kind=kind, urgency=urgency
        ).delete()
        return None
    if not isinstance(hours, int) or not 1 <= hours <= 24 * 366:
        raise ValidationError({"hours": _("Give a number of hours between 1 and 8784.")})
    policy, _created = DeadlinePolicy.objects.update_or_create(
        agency=agency,
        legal_basis=legal_basis,
        kind=kind,
        urgency=urgency,
        defaults={"hours": hours, "updated_by": by},
    )
    return policy


def receiving_agencies(country):
    """Authorities of ``country`` a request may be addressed to (central authorities first)."""
    return Agency.objects.active().filter(country=country).order_by("-is_24_7_contact", "name")
