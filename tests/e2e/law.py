"""Due dates as the law counts them, computed here independently of the application."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays


def union_days_due(start, days, zone, country):
    """The end of ``days`` days from ``start`` (Regulation 1182/71 Art. 3): the day of the
    event not counted, the end of the last day in ``zone``, a Saturday, Sunday or public
    holiday of ``country`` moved to the next working day."""
    where = ZoneInfo(zone)
    day = start.astimezone(where).date() + timedelta(days=days)
    while day.weekday() >= 5 or day in holidays.country_holidays(country, years=day.year):
        day += timedelta(days=1)
    return datetime.combine(day, time(23, 59, 59), tzinfo=where)


def dutch_days_due(start, days):
    """``union_days_due`` for the Dutch authorities and provider of the journeys."""
    return union_days_due(start, days, "Europe/Amsterdam", "NL")
