"""Pagination for lists that can hold tens of thousands of rows."""

from datetime import UTC, datetime, timedelta
from functools import reduce
from operator import or_

from django.core.paginator import Paginator
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Keyset:
    """Where a list ordered by plain columns stands after a row: its ordering values.

    A "Next" link carries it (``?page=N&after=…``), so the next page is read from the index
    where the previous one ended instead of walking and dropping every row before it
    (``OFFSET``), which costs what the page's depth is. Only orders on non-null date-time
    or integer columns, all in one direction and ending on a unique one, are walked this
    way; the token is a position, never a permission (the list's filters still apply).
    """

    SEPARATOR = "_"

    def __init__(self, queryset):
        self.fields, self.descending = self._ordering(queryset)

    @property
    def usable(self):
        return bool(self.fields)

    @staticmethod
    def _ordering(queryset):
        model = queryset.model
        query = queryset.query
        order = list(query.order_by or (query.default_ordering and model._meta.ordering) or ())
        if not order or not all(isinstance(item, str) for item in order):
            return (), False
        directions = {item.startswith("-") for item in order}
        if len(directions) != 1:
            return (), False
        fields = []
        for item in order:
            name = item.lstrip("-")
            field = model._meta.pk if name == "pk" else model._meta.get_field(name)
            if field.null or not isinstance(field, (models.DateTimeField, models.IntegerField)):
                return (), False
            fields.append(field)
        if not (fields[-1].primary_key or fields[-1].unique):
            return (), False
        return tuple(fields), directions.pop()

    def token(self, row):
        """The position just after ``row``, as a query-string value."""
        parts = []
        for field in self.fields:
            value = getattr(row, field.attname)
            if isinstance(field, models.DateTimeField):
                delta = value - EPOCH
                value = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
            parts.append(str(value))
        return self.SEPARATOR.join(parts)

    def parse(self, token):
        """The values of ``token``, or None when it is not a position in this order."""
        parts = (token or "").split(self.SEPARATOR)
        if not self.fields or len(parts) != len(self.fields):
            return None
        values = []
        for field, part in zip(self.fields, parts, strict=True):
            try:
                number = int(part)
                if not -(2**63) <= number < 2**63:
                    return None
                if isinstance(field, models.DateTimeField):
                    number = EPOCH + timedelta(microseconds=number)
            except (ValueError, OverflowError):
                return None
            values.append(number)
        return values

    def after(self, values):
        """Rows past the position ``values``, lexicographically; the first column also as
        a range (``<=`` or ``>=``) so the index walk starts at the position."""
        lookup = "lt" if self.descending else "gt"
        names = [field.attname for field in self.fields]
        tiers = [
            Q(
                **dict(zip(names[:depth], values[:depth], strict=True)),
                **{f"{names[depth]}__{lookup}": value},
            )
            for depth, value in enumerate(values)
        ]
        return Q(**{f"{names[0]}__{lookup}e": values[0]}) & reduce(or_, tiers)


class LookaheadPaginator(Paginator):
    """Counts rows only as far as the requested page plus ``lookahead`` pages.

    An exact ``COUNT(*)`` over every incident a user may see costs as much as the page
    itself on large data sets (bench/README.md). Past the limit, ``count`` stops at the
    limit and ``is_capped`` is true, so the template says "more than N"; moving on
    to later pages moves the limit with them.

    The ordered ids from the requested page up to the limit are read once: with the
    page's offset they give the count, and the page's rows are then fetched by primary
    key. The visibility check, whose cost is per query rather than per row, runs once
    over the walk instead of once for a count and once more for the page.
    """

    lookahead = 10

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._requested = 1
        self._after = None
        self.is_capped = False
        self.keyset = Keyset(self.object_list)

    def get_page(self, number, after=None):
        """Page ``number``; ``after`` (a ``Keyset`` token from the previous page's "Next"
        link) starts it where that page ended instead of counting rows from the top."""
        try:
            self._requested = max(1, int(number))
        except (TypeError, ValueError):
            self._requested = 1
        if self._requested > 1 and after:
            self._after = self.keyset.parse(after)
        page = super().get_page(number)
        page.next_cursor = (
            self.keyset.token(page[-1]) if self.keyset.usable and page.has_next() else ""
        )
        return page

    @property
    def _limit(self):
        return (self._requested + self.lookahead) * self.per_page

    @cached_property
    def _window(self):
        """``(offset, ids)``: the ordered ids from the requested page up to the limit + 1.

        The rows before the requested page are skipped by the database (``OFFSET``): a
        deep page does not send thousands of ids only to be counted.
        """
        offset = (self._requested - 1) * self.per_page
        if self._after is not None:
            walk = self.object_list.filter(self.keyset.after(self._after))
            return offset, list(walk.values_list("pk", flat=True)[: self._limit + 1 - offset])
        recent_window = getattr(self.object_list, "recent_window", None)
        ids = recent_window(offset, self._limit + 1) if recent_window else None
        if ids is None:
            ids = list(self.object_list.values_list("pk", flat=True)[offset : self._limit + 1])
        return offset, ids

    @cached_property
    def count(self):
        offset, ids = self._window
        if ids or not offset:
            counted = offset + len(ids)
            self.is_capped = counted > self._limit
            return min(counted, self._limit)
        # The requested page lies past the end: count exactly (fewer rows than the offset).
        return self.object_list.count()

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        offset, ids = self._window
        if bottom >= offset:
            page_ids = ids[bottom - offset : bottom - offset + self.per_page]
        else:  # asked past the end, sent to the last page: read its ids
            page_ids = list(
                self.object_list.values_list("pk", flat=True)[bottom : bottom + self.per_page]
            )
        return self._get_page(self._rows(page_ids), number, self)

    def _rows(self, ids):
        """The rows of ``ids``, in that order, with the list's related objects."""
        if not ids:
            return []
        listed = self.object_list
        if listed.query.annotation_select:  # computed columns need the list's own query
            return list(listed.filter(pk__in=ids))
        # The ids already passed the list's filters and visibility: read them by key only.
        rows = listed.model._default_manager.filter(pk__in=ids).order_by()
        rows.query.select_related = listed.query.select_related
        rows.query.deferred_loading = listed.query.deferred_loading
        rows = rows.prefetch_related(*listed._prefetch_related_lookups)
        by_pk = {row.pk: row for row in rows}
        return [by_pk[pk] for pk in ids if pk in by_pk]
