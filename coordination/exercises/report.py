"""The after-action report: what each participant did in answer to each inject, and when.

Times are measured from the inject's release to the player's first act of each kind,
read from the rows those acts wrote (participations, indicators, request history), not
from anything the players declare. What the injects themselves wrote is left out.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Min
from django.utils.translation import gettext as _

from coordination.assistance.models import StatusHistory
from coordination.exercises.choices import InjectKind, InjectStatus, LogKind, Measure
from coordination.exercises.models import ExerciseIncident, Inject
from coordination.intel.models import Indicator
from incidents.choices import ParticipationRole
from incidents.models import Participation

# Request steps that answer a request (the requested side decides or asks back).
ANSWERS = ("accept", "refuse", "ask_information", "fulfil", "fulfil_partly", "forward")


@dataclass
class Measurement:
    inject: Inject
    agency_name: str
    measure: Measure
    target: timedelta | None
    at: datetime | None = None

    @property
    def taken(self):
        if self.at is None or self.inject.released_at is None:
            return None
        return max(self.at - self.inject.released_at, timedelta(0))

    @property
    def outcome(self):
        if self.inject.released_at is None:
            return "not_released"
        if self.at is None:
            return "not_done"
        if self.target is None or self.taken <= self.target:
            return "met"
        return "late"

    @property
    def outcome_label(self):
        if not self.inject.exercise.is_ended:  # still running: nothing is final yet
            if self.outcome == "not_released":
                return _("Not released yet")
            if self.outcome == "not_done":
                return _("Not yet")
        return {
            "not_released": _("Inject not released"),
            "not_done": _("Never done"),
            "met": _("On time"),
            "late": _("Late"),
        }[self.outcome]

    @property
    def measure_label(self):
        return Measure(self.measure).label


@dataclass
class TimelineItem:
    at: datetime
    text: str
    who: str = ""


@dataclass
class AgencySummary:
    name: str
    met: int = 0
    late: int = 0
    not_done: int = 0

    @property
    def total(self):
        return self.met + self.late + self.not_done


@dataclass
class Report:
    exercise: object
    roles: list
    measurements: list
    injects: list
    timeline: list
    lessons: list
    summaries: list = field(default_factory=list)

    @property
    def never_done(self):
        return [m for m in self.measurements if m.outcome in ("not_done", "not_released")]

    @property
    def unreleased(self):
        return [i for i in self.injects if i.status != InjectStatus.RELEASED]


def minutes(delta):
    return None if delta is None else round(delta.total_seconds() / 60, 1)


def duration_label(delta):
    if delta is None:
        return "—"
    total = int(delta.total_seconds())
    hours, rest = divmod(total, 3600)
    mins, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {mins:02d} min"
    if mins:
        return f"{mins} min {secs:02d} s" if secs else f"{mins} min"
    return f"{secs} s"


def _first(queryset, column):
    return queryset.aggregate(first=Min(column))["first"]


def build(exercise):
    injects = list(
        exercise.injects.select_related("agency", "acknowledged_by").order_by("due_at", "seq")
    )
    links = {
        link.key: link.incident_id for link in ExerciseIncident.objects.filter(exercise=exercise)
    }
    all_incidents = list(links.values())
    inject_indicators, inject_requests = set(), set()
    for inject in injects:
        inject_indicators.update((inject.refs or {}).get("indicators", ()))
        inject_requests.update((inject.refs or {}).get("requests", ()))
    roles = {a.role_key: a.agency for a in exercise.assignments.select_related("agency")}

    measurements = []
    for inject in injects:
        if inject.agency_id is None:
            continue
        expected = inject.expectations()
        if not expected:
            continue
        released = inject.released_at
        key = inject.payload.get("incident")
        scope = [links[key]] if key in links else all_incidents
        for name, target in expected.items():
            row = Measurement(inject, inject.agency.short_name, Measure(name), target)
            if released is not None:
                row.at = _measure(
                    name, inject, scope, all_incidents, inject_indicators, inject_requests
                )
            measurements.append(row)

    summaries = {}
    for row in measurements:
        summary = summaries.setdefault(row.agency_name, AgencySummary(row.agency_name))
        if row.outcome == "met":
            summary.met += 1
        elif row.outcome == "late":
            summary.late += 1
        else:
            summary.not_done += 1

    timeline = [
        TimelineItem(
            at=entry.at,
            text=_log_text(entry),
            who=" · ".join(p for p in (entry.actor_name, entry.agency_name) if p),
        )
        for entry in exercise.log.select_related("inject").order_by("at", "pk")
        if entry.kind != LogKind.ACKNOWLEDGED
    ]
    timeline += [
        TimelineItem(
            at=row.at,
            text=f"{row.measure_label} — {row.inject.title}",
            who=row.agency_name,
        )
        for row in measurements
        if row.at is not None
    ]
    timeline.sort(key=lambda item: item.at)
    return Report(
        exercise=exercise,
        roles=[(role, roles.get(role["key"])) for role in exercise.scenario["roles"]],
        measurements=measurements,
        injects=injects,
        timeline=timeline,
        lessons=list(exercise.lessons.all()),
        summaries=sorted(summaries.values(), key=lambda s: s.name),
    )


def _log_text(entry):
    label = str(LogKind(entry.kind).label)
    if entry.inject is not None:
        label = f"{label}: {entry.inject.title}"
    if entry.text and entry.kind in (LogKind.FAILED,):
        label = f"{label} ({entry.text})"
    return label


def _measure(name, inject, scope, all_incidents, inject_indicators, inject_requests):
    released, agency_id = inject.released_at, inject.agency_id
    if name == Measure.ACKNOWLEDGE:
        return inject.acknowledged_at
    if name == Measure.SHARE_INCIDENT:
        return _first(
            Participation.objects.filter(
                incident_id__in=scope,
                invited_by__agency_id=agency_id,
                created_at__gte=released,
            ).exclude(role=ParticipationRole.LEAD),
            "created_at",
        )
    if name == Measure.PASTE_INDICATORS:
        return _first(
            Indicator.objects.filter(
                incident_id__in=scope, added_by_agency_id=agency_id, created_at__gte=released
            ).exclude(pk__in=inject_indicators),
            "created_at",
        )
    if name == Measure.SEND_REQUEST:
        return _first(
            StatusHistory.objects.filter(
                request__incident_id__in=all_incidents,
                action="approve",
                actor_agency_id=agency_id,
                at__gte=released,
            ).exclude(request_id__in=inject_requests),
            "at",
        )
    if name == Measure.ANSWER:
        requests = (inject.refs or {}).get("requests", ())
        if inject.kind != InjectKind.REQUEST or not requests:
            return None
        return _first(
            StatusHistory.objects.filter(
                request_id__in=requests, action__in=ANSWERS, actor_agency_id=agency_id
            ),
            "at",
        )
    return None


# Charts: geometry computed here, drawn by templates/exercises/_charts.html as SVG.

CHART_WIDTH = 640
BAR_HEIGHT = 18
BAR_GAP = 8
LABEL_WIDTH = 220


def outcome_chart(report):
    """One stacked bar per agency: on time, late, never done."""
    rows = []
    widest = max((s.total for s in report.summaries), default=0) or 1
    span = CHART_WIDTH - LABEL_WIDTH - 40
    for index, summary in enumerate(report.summaries):
        y = index * (BAR_HEIGHT + BAR_GAP)
        x = LABEL_WIDTH
        parts = []
        for outcome, count in (
            ("met", summary.met),
            ("late", summary.late),
            ("not_done", summary.not_done),
        ):
            width = span * count / widest
            if count:
                parts.append(
                    {"outcome": outcome, "x": round(x, 1), "width": round(width, 1), "count": count}
                )
            x += width
        rows.append(
            {
                "label": summary.name,
                "y": y,
                "text_y": y + 13,
                "parts": parts,
                "end_x": round(x + 6, 1),
                "total": summary.total,
            }
        )
    return {
        "rows": rows,
        "height": max(len(rows) * (BAR_HEIGHT + BAR_GAP), BAR_HEIGHT),
        "width": CHART_WIDTH,
    }


def times_chart(report):
    """One bar per measured response to a released inject: time taken, with the target as
    a tick; the value is written past both, so neither hides it."""
    measured = [
        m
        for m in report.measurements
        if m.outcome != "not_released" and (m.taken is not None or m.target is not None)
    ]
    longest = (
        max(
            [minutes(m.taken) or 0 for m in measured] + [minutes(m.target) or 0 for m in measured],
            default=0,
        )
        or 1
    )
    span = CHART_WIDTH - LABEL_WIDTH - 90
    rows = []
    for index, row in enumerate(measured):
        y = index * (BAR_HEIGHT + BAR_GAP)
        taken = minutes(row.taken)
        target = minutes(row.target)
        rows.append(
            {
                "label": f"{row.agency_name} · {row.measure_label}",
                "title": row.inject.title,
                "y": y,
                "text_y": y + 13,
                "width": round(span * (taken or 0) / longest, 1),
                "target_x": None
                if target is None
                else round(LABEL_WIDTH + span * target / longest, 1),
                "outcome": row.outcome,
                "value": duration_label(row.taken) if row.taken is not None else _("never"),
                "value_x": round(
                    LABEL_WIDTH + span * max(taken or 0, target or 0) / longest + 6, 1
                ),
            }
        )
    return {
        "rows": rows,
        "height": max(len(rows) * (BAR_HEIGHT + BAR_GAP), BAR_HEIGHT),
        "width": CHART_WIDTH,
        "label_width": LABEL_WIDTH,
    }
