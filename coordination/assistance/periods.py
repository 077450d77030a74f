"""How a period is counted: an exact duration, or the Union's rules for periods in days.

Regulation (EEC, Euratom) No 1182/71, Art. 3, for a period expressed in days and counted
from an event:
- (1) the day during which the event occurs is not counted;
- (2)(b) the period starts at the beginning of the first hour of the next day and ends with
  the expiry of the last hour of its last day;
- (4) a last day that is a public holiday, a Saturday or a Sunday moves the end to the
  expiry of the last hour of the following working day;
- (5) a period of two days or more includes at least two working days.

Days are those of the authority that must act: its time zone and its country's public
holidays (the ``holidays`` package).
"""

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holiday_calendars

from coordination.assistance.choices import Counting

DAY = timedelta(days=1)


class Hours(timedelta):
    """A window the law expresses in hours: counted exactly, even when it is whole days."""


def hours(n):
    return Hours(hours=n)


@lru_cache(maxsize=64)
def _public_holidays(country, year):
    if not country:
        return frozenset()
    try:
        return frozenset(holiday_calendars.country_holidays(country, years=year))
    except NotImplementedError:  # a country the library does not know: weekends only
        return frozenset()


def is_working_day(day, country):
    return day.weekday() < 5 and day not in _public_holidays(country, day.year)


def next_working_day(day, country):
    while not is_working_day(day, country):
        day += DAY
    return day


def end_of_day(day, zone):
    """The last second of ``day`` in ``zone``, as an aware datetime."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=ZoneInfo(zone))


def union_day_period_end(event_at, days, zone, country):
    """The end of a period of ``days`` days counted from ``event_at`` (1182/71 Art. 3)."""
    first: date = event_at.astimezone(ZoneInfo(zone)).date() + DAY
    last = first + timedelta(days=days - 1)
    last = next_working_day(last, country)
    if days >= 2:
        working = sum(is_working_day(first + timedelta(days=i), country) for i in range(days))
        while working < 2:
            last = next_working_day(last + DAY, country)
            working += 1
    return end_of_day(last, zone)


def counting_for(counting, window):
    """The counting that applies to ``window``: the Union's day rules only count days."""
    if counting == Counting.EU_DAYS and not isinstance(window, Hours) and not window % DAY:
        return Counting.EU_DAYS
    return Counting.EXACT


def period_end(event_at, window, counting, zone="UTC", country=""):
    """When a period of length ``window`` that started at ``event_at`` ends."""
    if counting_for(counting, window) == Counting.EU_DAYS:
        return union_day_period_end(event_at, window // DAY, zone or "UTC", country)
    return event_at + window
