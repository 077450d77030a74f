"""The one door to requests for assistance: ``restrict(user, action)``.

Who sees a request:
- the requesting side: people of the requesting agency, provided they may see the linked
  incident (a request inherits its incident's visibility); once the request has left the
  agency (sent), every participant of the incident sees it too;
- the requested side: people of the agency it is addressed to and of the executing agency
  it was forwarded to, from the moment it is sent. They see the request, not the incident;
- the enforcing authority of an order to a service provider: people of that agency, once
  it was notified (Regulation (EU) 2023/1543 Art. 8). It too sees the order, not the incident.
- the validating side: people of a judicial agency of the requesting agency's country, while
  the request waits for a validation their kind of authority may give, and afterwards the
  people of the agency that validated it. They too see the request, not the incident.

Everything compiles to plain column tests plus the incident's permission ``EXISTS``: no
joins, so no ``.distinct()``.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.choices import Role
from incidents.choices import Action
from incidents.querysets import permission_exists


def _active_agency_user(user):
    return bool(user is not None and user.is_authenticated and user.is_active and user.agency_id)


def _awaiting_validation_by(user):
    """Requests of the user's country waiting for the validation of a judicial agency of
    the user's kind (``validation_rules``); nothing for other agencies."""
    from accounts.choices import JUDICIAL_KINDS
    from accounts.models import Agency
    from coordination.assistance.choices import Status
    from coordination.assistance.validation_rules import stored_values_for

    agency = user.agency
    if agency.kind not in JUDICIAL_KINDS:
        return Q(pk__in=[])
    same_country = Agency.objects.filter(country=agency.country).values("pk")
    return (
        Q(status=Status.PENDING_APPROVAL)
        & Q(validation_kinds__in=stored_values_for(agency.kind))
        & Q(requesting_agency_id__in=same_country)
        & ~Q(requesting_agency_id=agency.pk)
    )


class AssistanceRequestQuerySet(models.QuerySet):
    def restrict(self, user, action="view"):
        """Requests ``user`` may ``view``, or ``change`` (edit a draft of their agency)."""
        from coordination.assistance.choices import DRAFTING_ROLES, INTERNAL_STATUSES, Status

        if not _active_agency_user(user):
            return self.none()
        sees_incident = permission_exists(user, Action.VIEW, "incident_id")
        own_side = Q(requesting_agency_id=user.agency_id) & (
            Q(incident__isnull=True) | sees_incident
        )
        if action == "change":
            if user.role not in DRAFTING_ROLES:
                return self.none()
            return self.filter(own_side, status=Status.DRAFT)
        if action != "view":
            raise ValueError(f"Unknown action {action!r}")
        left_agency = ~Q(status__in=INTERNAL_STATUSES)
        participants = Q(incident__isnull=False) & sees_incident & left_agency
        requested_side = left_agency & (
            Q(receiving_agency_id=user.agency_id) | Q(executing_agency_id=user.agency_id)
        )
        enforcing = left_agency & Q(enforcing_agency_id=user.agency_id, notification_required=True)
        validating_side = Q(validating_agency_id=user.agency_id) | _awaiting_validation_by(user)
        return self.filter(own_side | participants | requested_side | enforcing | validating_side)

    def with_incident_visibility(self, user):
        """Annotate ``sees_incident``: whether ``user`` may see the request's incident.

        The requested side sees a request, not the case it was drafted from: pages and
        the API show the incident's reference only where this is true.
        """
        if not _active_agency_user(user):
            return self.annotate(sees_incident=models.Value(False))
        return self.annotate(
            sees_incident=models.ExpressionWrapper(
                permission_exists(user, Action.VIEW, "incident_id"),
                output_field=models.BooleanField(),
            )
        )

    def outgoing(self, agency_id):
        return self.filter(requesting_agency_id=agency_id)

    def incoming(self, agency_id):
        return self.filter(Q(receiving_agency_id=agency_id) | Q(executing_agency_id=agency_id))

    def overdue(self, now=None):
        return self.filter(due_at__lt=now or timezone.now())

    def awaiting_action_of(self, user):
        """The desk: requests waiting for ``user``'s agency to act, in the user's role."""
        from coordination.assistance.choices import PROVIDER_BASES, Status

        agency = user.agency_id
        requesting = Q(requesting_agency_id=agency)
        acting = Q(executing_agency_id=agency) | (
            Q(executing_agency__isnull=True) & Q(receiving_agency_id=agency)
        )
        waiting = Q(requesting & Q(status=Status.AWAITING_INFORMATION))
        # A request awaiting judicial validation waits for the validator, not its agency.
        approval = Q(status=Status.PENDING_APPROVAL, validation_kinds="")
        if user.role in (Role.LIAISON_OFFICER, Role.SUPERVISOR):
            # Orders to a provider: the issuing side records receipt and the provider's
            # answer; the notified enforcing authority decides on grounds for refusal.
            waiting |= requesting & Q(
                legal_basis__in=PROVIDER_BASES, status__in=[Status.SENT, Status.RECEIVED]
            )
            waiting |= Q(
                enforcing_agency_id=agency,
                notification_required=True,
                enforcing_decision="",
                status__in=[Status.SENT, Status.RECEIVED, Status.AWAITING_INFORMATION],
            )
        if user.role == Role.LIAISON_OFFICER:
            # Preserved data runs out unless the requesting side follows up or extends.
            waiting |= requesting & (approval | Q(status=Status.PRESERVED))
            waiting |= acting & Q(status__in=[Status.SENT, Status.RECEIVED, Status.IN_EXECUTION])
            waiting |= _awaiting_validation_by(user)
        elif user.role == Role.SUPERVISOR:
            waiting |= requesting & approval
            waiting |= acting & Q(status__in=[Status.SENT, Status.RECEIVED, Status.IN_EXECUTION])
            waiting |= _awaiting_validation_by(user)
        else:
            waiting |= requesting & Q(status=Status.DRAFT, created_by_id=user.pk)
        return self.filter(waiting)


def history_visible_to(request_obj, user, rows):
    """The history rows ``user`` may read: the requested side does not see the requesting
    agency's internal drafting steps (submit, return) nor its approval note."""
    from coordination.assistance.choices import INTERNAL_STATUSES

    # The judicial authority that validates (or validated) it examines the whole request.
    if user.agency_id == request_obj.requesting_agency_id or (
        request_obj.status in INTERNAL_STATUSES
        or user.agency_id == request_obj.validating_agency_id
    ):
        return list(rows)
    visible = []
    for row in rows:
        if row.to_status in INTERNAL_STATUSES:
            continue
        if row.from_status in INTERNAL_STATUSES:
            row.comment = ""  # the approving officer's note stays inside the agency
        visible.append(row)
    return visible
