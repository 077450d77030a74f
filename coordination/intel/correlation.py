"""Where else an observable was seen, told only as far as sharing allows.

The rule (DESIGN.md section 2):

- a sighting in an incident the viewer may see is shown as a link;
- sightings in incidents the viewer may not see are told only as a number of cases and a
  number of countries (of the owning incidents' lead agencies);
- a sighting in a TLP:AMBER+STRICT or TLP:RED incident, or of an indicator marked so,
  is never told to someone who may not see that incident: not a link, not a count;
- a sighting the viewer's incident rights reach but the indicator's own TLP does not
  (``Indicator.objects.restrict``) is told neither: not a link, not a count.

Cost: for all the observables of one page, one query for the sightings (found by the
``(type, value)`` index, visibility tested with the ``EXISTS`` of ``restrict()``), one by
primary key for the linked incidents and one for contact requests already made, whatever
the number of incidents. Counting happens in Python over the sightings' ids: their
number is the number of sightings, which the database visits anyway.
"""

from dataclasses import dataclass, field

from django.db.models import BooleanField, Count, ExpressionWrapper, Q
from django.urls import reverse

from coordination.intel.models import ContactRequest, Indicator
from coordination.intel.querysets import IndicatorReadableBy
from incidents.choices import TLP, Action
from incidents.models import Incident
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
    """Sightings the viewer may see: the incident's rights and the indicator's own TLP
    (``Indicator.objects.restrict``). A TLP:AMBER+STRICT or RED indicator of a case the
    viewer sees but may not read is neither linked nor counted."""
    return Q(permission_exists(user, Action.VIEW, "incident_id")) & Q(IndicatorReadableBy(user))


def hidden_countable_q(user):
    """Sightings the viewer may not see but may count (the "hidden" side of the rule).

    Countable labels are readable by everyone who sees the incident, so a countable
    sighting is hidden exactly when its incident is."""
    return (
        ~permission_exists(user, Action.VIEW, "incident_id")
        & Q(incident__tlp__in=COUNTABLE_TLP)
        & Q(tlp__in=COUNTABLE_TLP)
    )


def _observable_q(observables):
    by_type = {}
    for type_, value in observables:
        by_type.setdefault(type_, set()).add(value)
    query = Q()
    for type_, values in by_type.items():
        query |= Q(type=type_, value__in=sorted(values))
    return query


def _sighting_rows(others, user):
    """Every sighting of the observables, with whether the user may see or count it.

    One query; visibility is decided once per sighting (an ``EXISTS`` in the select list,
    which PostgreSQL probes per row for a few sightings and hashes for many). Aggregating in
    SQL with ``Count(filter=...)`` instead repeated the ``EXISTS`` in each filter, and a
    second query for the links paid for visibility again (bench/INTEL.md).
    """
    countable = Q(incident__tlp__in=COUNTABLE_TLP) & Q(tlp__in=COUNTABLE_TLP)
    return (
        others.order_by()
        .annotate(
            o_visible=ExpressionWrapper(_visible_q(user), output_field=BooleanField()),
            o_countable=ExpressionWrapper(countable, output_field=BooleanField()),
        )
        .values_list(
            "type",
            "value",
            "incident_id",
            "incident__lead_agency__country",
            "incident__updated_at",
            "o_visible",
            "o_countable",
        )
    )


def sightings(
    user, observables, *, exclude_incident=None, links_limit=LINKS_PER_OBSERVABLE, exercise=None
):
    """``{(type, value): Sightings}`` for every observable, other than in ``exclude_incident``.

    Real cases and exercises never correlate with each other: the sightings of an exercise
    incident (``exercise``, by default ``exclude_incident``'s) are in exercises only.
    """
    observables = {(t, v) for t, v in observables}
    result = {key: Sightings() for key in observables}
    if not observables or not _may_act(user, Action.VIEW):
        return result
    if exercise is None:
        exercise = bool(exclude_incident is not None and exclude_incident.is_exercise)
    others = Indicator.objects.filter(_observable_q(observables), incident__is_exercise=exercise)
    if exclude_incident is not None:
        others = others.exclude(incident_id=exclude_incident.pk)

    visible, hidden, countries = {}, {}, {}
    for type_, value, incident_id, country, updated_at, is_visible, countable in _sighting_rows(
        others, user
    ):
        key = (type_, value)
        if is_visible:
            visible.setdefault(key, []).append((updated_at, incident_id))
        elif countable:
            hidden.setdefault(key, set()).add(incident_id)
            countries.setdefault(key, set()).add(country)
    for key, incidents in hidden.items():
        result[key].hidden_count = len(incidents)
        result[key].hidden_countries = len(countries[key])

    # Links: the most recently active visible incidents, read by primary key.
    shown = {}
    for key, seen in visible.items():
        result[key].visible_count = len(seen)
        shown[key] = [pk for _updated, pk in sorted(seen, reverse=True)[:links_limit]]
    if shown:
        details = {
            row["pk"]: row
            for row in Incident.objects.filter(
                pk__in={pk for pks in shown.values() for pk in pks}
            ).values("pk", "reference", "title", "is_exercise", "lead_agency__country")
        }
        for key, pks in shown.items():
            result[key].links = [
                SightingLink(
                    reference=details[pk]["reference"],
                    title=details[pk]["title"],
                    country=details[pk]["lead_agency__country"],
                    url=reverse("incidents:detail", args=[details[pk]["reference"]]),
                    is_exercise=details[pk]["is_exercise"],
                )
                for pk in pks
            ]

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
    shared = {}
    for exercise in sorted({i.incident.is_exercise for i in indicators}):
        shared[exercise] = sightings(
            user,
            [(i.type, i.value) for i in indicators if i.incident.is_exercise == exercise],
            links_limit=LINKS_PER_OBSERVABLE + 1,
            exercise=exercise,
        )
    result = {}
    for indicator in indicators:
        total = shared[indicator.incident.is_exercise][(indicator.type, indicator.value)]
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
