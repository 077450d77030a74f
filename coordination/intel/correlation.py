"""Where else an observable was seen, told only as far as sharing allows.

The rule (DESIGN.md section 2):

- a sighting in an incident the viewer may see is shown as a link;
- sightings in incidents the viewer may not see are told only as a number of cases and a
  number of countries (of the owning incidents' lead agencies);
- a sighting in a TLP:AMBER+STRICT or TLP:RED incident, or of an indicator marked so,
  is never told to someone who may not see that incident: not a link, not a count.

Cost: for all the observables of one page, one aggregate query and one query for the
links, whatever the number of incidents. Both look sightings up by the ``(type, value)``
index and test visibility with the ``EXISTS`` of ``restrict()``.
"""

from dataclasses import dataclass, field

from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.urls import reverse

from coordination.intel.models import ContactRequest, Indicator
from incidents.choices import TLP, Action
from incidents.querysets import _may_act, permission_exists

# Labels whose material may be counted for people outside the case.
COUNTABLE_TLP = (TLP.CLEAR, TLP.GREEN, TLP.AMBER)
# Links shown per observable; the total is always given.
LINKS_PER_OBSERVABLE = 5


@dataclass
class SightingLink:
    reference: str
    title: str
    country: str
    url: str
    is_exercise: bool


@dataclass
class Sightings:
    """What the viewer may learn about one observable's other sightings."""

    links: list = field(default_factory=list)
    visible_count: int = 0
    hidden_count: int = 0
    hidden_countries: int = 0
    contact_requested: int = 0  # owning cases the viewer's agency already asked

    @property
    def any(self):
        return bool(self.visible_count or self.hidden_count)

    @property
    def more_links(self):
        return self.visible_count - len(self.links)

    @property
    def may_request_contact(self):
        return self.hidden_count > self.contact_requested


def _visible_q(user):
    return permission_exists(user, Action.VIEW, "incident_id")


def hidden_countable_q(user):
    """Sightings the viewer may not see but may count (the "hidden" side of the rule)."""
    return ~_visible_q(user) & Q(incident__tlp__in=COUNTABLE_TLP) & Q(tlp__in=COUNTABLE_TLP)


def _observable_q(observables):
    by_type = {}
    for type_, value in observables:
        by_type.setdefault(type_, set()).add(value)
    query = Q()
    for type_, values in by_type.items():
        query |= Q(type=type_, value__in=sorted(values))
    return query


def sightings(user, observables, *, exclude_incident=None, links_limit=LINKS_PER_OBSERVABLE):
    """``{(type, value): Sightings}`` for every observable, other than in ``exclude_incident``."""
    observables = {(t, v) for t, v in observables}
    result = {key: Sightings() for key in observables}
    if not observables or not _may_act(user, Action.VIEW):
        return result
    others = Indicator.objects.filter(_observable_q(observables))
    if exclude_incident is not None:
        others = others.exclude(incident_id=exclude_incident.pk)
    visible = _visible_q(user)
    hidden = hidden_countable_q(user)

    counts = (
        others.order_by()
        .values("type", "value")
        .annotate(
            visible_count=Count("incident_id", filter=visible, distinct=True),
            hidden_count=Count("incident_id", filter=hidden, distinct=True),
            hidden_countries=Count("incident__lead_agency__country", filter=hidden, distinct=True),
        )
    )
    with_links = []
    for row in counts:
        entry = result[(row["type"], row["value"])]
        entry.visible_count = row["visible_count"]
        entry.hidden_count = row["hidden_count"]
        entry.hidden_countries = row["hidden_countries"]
        if entry.visible_count:
            with_links.append((row["type"], row["value"]))

    if with_links:
        links = (
            others.filter(_observable_q(with_links))
            .filter(visible)
            .annotate(
                rank=Window(
                    RowNumber(),
                    partition_by=[F("type"), F("value")],
                    order_by=[F("incident__updated_at").desc(), F("incident_id").desc()],
                )
            )
            .values(
                "type",
                "value",
                "rank",
                "incident__reference",
                "incident__title",
                "incident__is_exercise",
                "incident__lead_agency__country",
            )
        )
        # Django 4.2+ filters on window functions in an outer query.
        for row in links.filter(rank__lte=links_limit).order_by("rank"):
            reference = row["incident__reference"]
            result[(row["type"], row["value"])].links.append(
                SightingLink(
                    reference=reference,
                    title=row["incident__title"],
                    country=row["incident__lead_agency__country"],
                    url=reverse("incidents:detail", args=[reference]),
                    is_exercise=row["incident__is_exercise"],
                )
            )

    if user.agency_id and any(s.hidden_count for s in result.values()):
        asked = (
            ContactRequest.objects.filter(
                _observable_q([k for k, s in result.items() if s.hidden_count]),
                requester_agency_id=user.agency_id,
            )
            .filter(hidden_countable_q_for_requests(user))
            .order_by()
            .values("type", "value")
            .annotate(n=Count("to_incident_id", distinct=True))
        )
        for row in asked:
            result[(row["type"], row["value"])].contact_requested = row["n"]
    return result


def sightings_of_indicators(user, indicators):
    """``{indicator.pk: Sightings}`` for indicators of several incidents (API lists, search).

    Each indicator's own incident is left out of its sightings. Same two or three queries
    as ``sightings``: the own incident is visible (the user sees the indicator), so it is
    taken off the visible side only.
    """
    indicators = list(indicators)
    shared = sightings(
        user,
        [(i.type, i.value) for i in indicators],
        links_limit=LINKS_PER_OBSERVABLE + 1,
    )
    result = {}
    for indicator in indicators:
        total = shared[(indicator.type, indicator.value)]
        own = indicator.incident.reference
        result[indicator.pk] = Sightings(
            links=[link for link in total.links if link.reference != own][:LINKS_PER_OBSERVABLE],
            visible_count=max(total.visible_count - 1, 0),
            hidden_count=total.hidden_count,
            hidden_countries=total.hidden_countries,
            contact_requested=total.contact_requested,
        )
    return result


def hidden_countable_q_for_requests(user):
    """Contact requests whose owning case is still hidden from (and countable for) the user."""
    return ~permission_exists(user, Action.VIEW, "to_incident_id") & Q(
        to_incident__tlp__in=COUNTABLE_TLP
    )


def hidden_owner_incidents(user, type_, value, *, exclude_incident=None):
    """Ids of the incidents holding a hidden, countable sighting of one observable."""
    others = Indicator.objects.filter(type=type_, value=value).filter(hidden_countable_q(user))
    if exclude_incident is not None:
        others = others.exclude(incident_id=exclude_incident.pk)
    return list(others.order_by("incident_id").values_list("incident_id", flat=True).distinct())
