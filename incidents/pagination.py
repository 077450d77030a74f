"""Pagination for lists that can hold tens of thousands of rows."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property


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
        self.is_capped = False

    def get_page(self, number):
        try:
            self._requested = max(1, int(number))
        except (TypeError, ValueError):
            self._requested = 1
        return super().get_page(number)

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
