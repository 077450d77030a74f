"""Timestamps given in query strings (``added_after``, ``added_before``): checked, then UTC.

RFC 3339 lets an offset run to 23:59, Python to just under a day, PostgreSQL only to
15:59: a value such as ``-22:30`` passed as given fails in the database. No zone in use
is further than 14 hours from UTC, so that is the limit; the value is then converted
to UTC, so nothing but UTC ever reaches a query.
"""

import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

MAX_OFFSET = datetime.timedelta(hours=14)


def parse_utc(raw, naive_in_current_zone=False):
    """The aware UTC datetime written in ``raw``; ``ValueError`` with a reason otherwise.

    Without a zone, ``raw`` is refused, or read in the current time zone when
    ``naive_in_current_zone`` (the REST filters, as Django's forms read a date).
    """
    try:
        value = parse_datetime((raw or "").strip())
    except ValueError:  # well formed but impossible, e.g. month 13
        value = None
    if value is None:
        raise ValueError(_("Give an RFC 3339 timestamp, e.g. 2026-01-31T12:00:00Z."))
    if value.tzinfo is None and naive_in_current_zone:
        try:
            value = timezone.make_aware(value)
        except (ValueError, OverflowError):  # a time skipped or repeated by the clock change
            raise ValueError(_("Give the time zone: end the timestamp with Z for UTC.")) from None
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(_("Give the time zone: end the timestamp with Z for UTC."))
    if abs(offset) > MAX_OFFSET:
        raise ValueError(_("A time zone offset is at most 14 hours; use Z for UTC."))
    try:
        return value.astimezone(datetime.UTC)
    except OverflowError:
        raise ValueError(_("The timestamp is out of range.")) from None
