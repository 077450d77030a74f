"""Pagination for lists that can hold tens of thousands of rows."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property


class LookaheadPaginator(Paginator):
    """Counts rows only as far as the requested page plus ``lookahead`` pages.

    An exact ``COUNT(*)`` over every incident a user may see costs as much as the page
    itself on large data sets (bench/README.md). Past the limit, ``count`` stops at the
    limit and ``is_capped`` is true, so the template says "more than N"; moving on
    to later pages moves the limit with them.
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

    @cached_property
    def count(self):
        limit = (self._requested + self.lookahead) * self.per_page
        counted = self.object_list[: limit + 1].count()
        self.is_capped = counted > limit
        return min(counted, limit)
