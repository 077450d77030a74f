"""The one door to incidents and their children: ``restrict(user, action)``.

Visibility is read from guardian's direct foreign-key permission tables through
``EXISTS`` subqueries (indexed on ``content_object_id``), never through ORed joins
with ``.distinct()`` and never through ``get_objects_for_user``.
"""

import re
import time
from datetime import timedelta

from django.apps import apps
from django.db import connection, models
from django.db.models import Q

from incidents.choices import ROLES_FOR_ACTION, TLP, Action

REFERENCE_RE = re.compile(r"^\s*CC-\d{4}-\d{1,6}\s*$", re.IGNORECASE)
SEARCH_WORD_RE = re.compile(r"\w+", re.UNICODE)


def _may_act(user, action):
    action = Action(action)
    return (
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.role in ROLES_FOR_ACTION[action]
    )


_PERMISSION_IDS = {}


def incident_permission_id(codename):
    """The id of ``incidents.<codename>``, read once per process.

    Written into the visibility clause as a literal: a join on ``auth_permission`` there
    made PostgreSQL plan two alternative subplans per clause (2-3 ms of planning per
    list query, bench/README.md). ``forget_permission_ids`` empties the memo after
    every ``migrate`` or ``flush``, which may recreate permissions under new ids; the
    other processes on the database notice with their next request's user
    (``check_permission_ids``).
    """
    if codename not in _PERMISSION_IDS:
        permission_model = apps.get_model("auth", "Permission")
        _PERMISSION_IDS.update(
            permission_model.objects.filter(
                content_type__app_label="incidents", content_type__model="incident"
            ).values_list("codename", "pk")
        )
    return _PERMISSION_IDS[codename]


def forget_permission_ids(**kwargs):
    _PERMISSION_IDS.clear()


def view_permission_id_read():
    """The id of ``incidents.view_incident``, as a scalar subquery to read with the request's
    user (``accounts.backends``, ``accounts.tokens``): one indexed row, no query of its own.
    """
    from django.db.models import BigIntegerField
    from django.db.models.expressions import RawSQL

    permission = apps.get_model("auth", "Permission")._meta.db_table
    content_type = apps.get_model("contenttypes", "ContentType")._meta.db_table
    return RawSQL(
        f'(SELECT p."id" FROM "{permission}" p JOIN "{content_type}" c '
        'ON p."content_type_id" = c."id" WHERE c."app_label" = %s AND c."model" = %s '
        'AND p."codename" = %s)',
        ("incidents", "incident", "view_incident"),
        output_field=BigIntegerField(),
    )


def check_permission_ids(view_permission_id):
    """Forget the memo when ``view_incident``'s id read from the database is not the one held.

    ``post_migrate`` empties the memo only in the process that ran ``migrate`` or ``flush``;
    the other web processes on the same database learn of the new ids here, at their next
    request (signed-in or by API token), instead of finding no incident at all until they
    restart. Celery workers still need a restart after such a change.
    """
    held = _PERMISSION_IDS.get("view_incident")
    if held is not None and view_permission_id is not None and held != view_permission_id:
        _PERMISSION_IDS.clear()


def permission_exists(user, action, incident_ref="pk"):
    """Clause: ``user`` holds ``<action>_incident`` on the incident at ``incident_ref``.

    ``EXISTS (a grant to one of the user's groups) OR EXISTS (a grant to the user)``.
    The user's group ids (``User.visibility_group_ids``, read once per user object) and
    the permission id are literals, so the clause is a plain index probe to plan.
    """
    permission_id = incident_permission_id(f"{Action(action).value}_incident")
    held = group_grants(user.visibility_group_ids, permission_id)
    return HoldsIncidentPermission(
        incident_ref,
        group_ids=user.visibility_group_ids,
        user_id=user.pk,
        permission_id=permission_id,
        probe=held is not None and held >= PROBE_FROM_GRANTS,
        few=held is not None and held < LIST_FROM_GRANTS,
    )


# From this many grants of one permission, an agency's clause probes the grant index row
# by row instead of letting PostgreSQL hash all its grants first (bench/README.md, "Flat to
# a million"): hashing 200,000 grants costs 60-70 ms on every list, search and dashboard
# query of an agency that sees that many cases, and grows with the table, while a walk of
# the recency index probing each row stops after the page's rows. Below it, the hash is
# small and cheaper than probing every row of a walk through cases the agency may not see.
PROBE_FROM_GRANTS = 50_000
# Groups holding fewer grants than this are not listed: their lists and searches read the
# incidents their grants name (``AmongIncidentGrants``), which costs under 35 ms.
LIST_FROM_GRANTS = 5_000
GRANT_HOLDERS_KEY = "incidents:grant-holders"
# How long a process keeps the list read from the cache: it only picks a plan, every plan
# gives the same rows. ``refresh_large_grant_holders`` (beat, and each worker as it starts)
# writes it; until it has, every clause takes the plan of a middling holder.
GRANT_HOLDERS_MEMO_SECONDS = 60.0
_grant_holders = {"until": 0.0, "held": None}


def group_grants(group_ids, permission_id):
    """How many grants of ``permission_id`` the largest of the groups holds, as listed
    (0 below ``LIST_FROM_GRANTS``), or None while nothing is listed. No query: the list
    is read from the cache, once a minute per process. Only PostgreSQL plans by it."""
    if connection.vendor != "postgresql":
        return None
    now = time.monotonic()
    if _grant_holders["until"] < now:
        from django.core.cache import cache

        listed = cache.get(GRANT_HOLDERS_KEY)
        _grant_holders.update(
            until=now + GRANT_HOLDERS_MEMO_SECONDS,
            held=None
            if listed is None
            else {(group, permission): count for group, permission, count in listed},
        )
    held = _grant_holders["held"]
    if held is None:
        return None
    return max((held.get((group_id, permission_id), 0) for group_id in group_ids), default=0)


def refresh_large_grant_holders():
    """List the (group, permission, grants) of the groups holding ``LIST_FROM_GRANTS``
    grants or more, for every process to read from the cache: one pass over the grant
    index."""
    from django.core.cache import cache

    grants = apps.get_model("incidents", "IncidentGroupObjectPermission").objects
    counted = (
        grants.values_list("group_id", "permission_id")
        .annotate(grants=models.Count("*"))
        .filter(grants__gte=LIST_FROM_GRANTS)
        .order_by()
    )
    listed = sorted(counted)
    cache.set(GRANT_HOLDERS_KEY, listed, timeout=None)
    forget_grant_holders()
    return listed


def forget_grant_holders():
    _grant_holders.update(until=0.0, held=None)


GRANTS_VERSION_KEY = "incidents:grants-version"
VISIBLE_COUNT_SECONDS = 60


def grants_changed():
    """Forget the kept counts of large holders once the change of grants is committed
    (a count taken before the commit is then kept under the version it replaces)."""
    from django.core.cache import cache
    from django.db import transaction

    transaction.on_commit(lambda: cache.set(GRANTS_VERSION_KEY, time.time_ns(), None))


class HoldsIncidentPermission(models.Expression):
    """The SQL of ``permission_exists``, written out rather than built from querysets.

    Two ``Exists(queryset.filter(content_object_id=OuterRef(...)))`` cost 4-5 ms of ORM
    compilation per query (cloning and resolving both subqueries); the restricted list,
    detail and dashboard queries paid it on every request. The same SQL drawn from a
    template costs a few microseconds. Only the incident column goes through the ORM, so
    references across relations (``evidence__incident_id``) get their joins.
    """

    conditional = True
    output_field = models.BooleanField()

    def __init__(self, incident_ref, *, group_ids, user_id, permission_id, probe=False, few=False):
        super().__init__()
        self.incident_ref = incident_ref
        self.incident = models.F(incident_ref)
        self.group_ids = list(group_ids)
        self.user_id = user_id
        self.permission_id = permission_id
        self.probe = probe
        self.few = few  # holds few grants: lists read them (``AmongIncidentGrants``)

    def among(self):
        """The same rule as a semi-join on the grants (``AmongIncidentGrants``)."""
        return AmongIncidentGrants(
            self.incident_ref,
            group_ids=self.group_ids,
            user_id=self.user_id,
            permission_id=self.permission_id,
        )

    def get_source_expressions(self):
        return [self.incident]

    def set_source_expressions(self, exprs):
        (self.incident,) = exprs

    def as_sql(self, compiler, connection):
        incident_sql, incident_params = compiler.compile(self.incident)
        quote = connection.ops.quote_name
        group_table = quote(
            apps.get_model("incidents", "IncidentGroupObjectPermission")._meta.db_table
        )
        user_table = quote(
            apps.get_model("incidents", "IncidentUserObjectPermission")._meta.db_table
        )
        clauses, params = [], []
        if self.group_ids:
            placeholders = ", ".join(["%s"] * len(self.group_ids))
            # OFFSET 0 keeps PostgreSQL from turning the EXISTS into a hashed subplan.
            probe = " OFFSET 0" if self.probe and connection.vendor == "postgresql" else ""
            clauses.append(
                f"EXISTS(SELECT 1 FROM {group_table} cc_g WHERE cc_g.content_object_id = "
                f"{incident_sql} AND cc_g.group_id IN ({placeholders}) AND cc_g.permission_id = %s"
                f"{probe})"
            )
            params += [*incident_params, *self.group_ids, self.permission_id]
        clauses.append(
            f"EXISTS(SELECT 1 FROM {user_table} cc_u WHERE cc_u.content_object_id = "
            f"{incident_sql} AND cc_u.user_id = %s AND cc_u.permission_id = %s)"
        )
        params += [*incident_params, self.user_id, self.permission_id]
        return f"({' OR '.join(clauses)})", params


class AmongIncidentGrants(HoldsIncidentPermission):
    """The same rule as a semi-join: the incident is among those the user's grants name.

    A search reads its matches from the GIN index, every one of them, then sorts; for an
    agency holding a few thousand grants, reading the incidents its grants name and
    testing each against the search document costs what it holds, not what matches
    across the table (8 ms against 320 ms for "ransomware" at 1,000,000 incidents).
    """

    def as_sql(self, compiler, connection):
        incident_sql, incident_params = compiler.compile(self.incident)
        quote = connection.ops.quote_name
        group_table = quote(
            apps.get_model("incidents", "IncidentGroupObjectPermission")._meta.db_table
        )
        user_table = quote(
            apps.get_model("incidents", "IncidentUserObjectPermission")._meta.db_table
        )
        selects, params = [], []
        if self.group_ids:
            placeholders = ", ".join(["%s"] * len(self.group_ids))
            selects.append(
                f"SELECT cc_g.content_object_id FROM {group_table} cc_g WHERE "
                f"cc_g.group_id IN ({placeholders}) AND cc_g.permission_id = %s"
            )
            params += [*self.group_ids, self.permission_id]
        selects.append(
            f"SELECT cc_u.content_object_id FROM {user_table} cc_u WHERE "
            f"cc_u.user_id = %s AND cc_u.permission_id = %s"
        )
        params += [self.user_id, self.permission_id]
        return f"{incident_sql} IN ({' UNION ALL '.join(selects)})", [*incident_params, *params]


# A search by an agency that sees many cases walks this many of the newest incidents
# first (``IncidentQuerySet.recent_window``), then reads the older matches from the index.
SEARCH_WALK_ROWS = 20_000


class IncidentQuerySet(models.QuerySet):
    def restrict(self, user, action=Action.VIEW):
        """The incidents ``user`` may ``action`` (view, contribute, change, share)."""
        if not _may_act(user, action):
            return self.none()
        clause = permission_exists(user, action)
        restricted = self.filter(clause)
        if clause.few:
            # An agency that sees a few thousand cases: its lists, filters and searches
            # read the incidents its grants name, a cost that does not grow with the table
            # (a walk of the recency index meets one of its cases in a thousand at
            # 1,000,000 incidents; bench/README.md, "Flat to a million").
            restricted = restricted.filter(clause.among())
        # Kept with the query (clones copy it) for ``search`` to pick its plan.
        restricted.query.incident_visibility = clause
        return restricted

    def visible_count(self, user, action=Action.VIEW, *, real_only=False):
        """``restrict(user, action).count()`` of the unfiltered table, read from the grants.

        Every grant row points at an existing incident (foreign key), so the distinct
        incidents among the user's grants are exactly the incidents ``restrict`` lets
        through. Counting them reads only the grant index (16 ms for 20,100 incidents of
        100,000) where ``COUNT(*)`` over ``restrict`` probes the grants for every incident
        of the table (60 ms; bench/README.md).
        """
        if not _may_act(user, action):
            return 0
        permission_id = incident_permission_id(f"{Action(action).value}_incident")
        held = group_grants(user.visibility_group_ids, permission_id)
        if held is None or held < PROBE_FROM_GRANTS:
            return self._count_grants(user, permission_id, real_only)
        # Counting 200,000 grants costs 120-130 ms at 1,000,000 incidents: kept until a
        # grant changes anywhere (``grants_changed``), and a minute at most.
        from django.core.cache import cache

        key = (
            f"incidents:visible-count:{cache.get(GRANTS_VERSION_KEY, 0)}:"
            f"{user.pk}:{permission_id}:{int(real_only)}"
        )
        counted = cache.get(key)
        if counted is None:
            counted = self._count_grants(user, permission_id, real_only)
            cache.set(key, counted, VISIBLE_COUNT_SECONDS)
        return counted

    def _count_grants(self, user, permission_id, real_only):
        by_user = apps.get_model("incidents", "IncidentUserObjectPermission").objects.filter(
            user_id=user.pk, permission_id=permission_id
        )
        by_group = apps.get_model("incidents", "IncidentGroupObjectPermission").objects.filter(
            group_id__in=user.visibility_group_ids, permission_id=permission_id
        )
        if real_only:  # leave exercises out (the real list's count); a hashed subplan
            exercises = self.model.objects.filter(is_exercise=True).values("pk")
            by_user = by_user.exclude(content_object_id__in=exercises)
            by_group = by_group.exclude(content_object_id__in=exercises)
        return (
            by_group.values("content_object_id")
            .union(by_user.values("content_object_id"))  # UNION: an incident counts once
            .count()
        )

    def search(self, q):
        """Match reference, title and summary.

        On PostgreSQL this matches the stored search document of migration 0004 and its
        GIN index (prefix match on every word); elsewhere a plain ``icontains``.
        """
        q = (q or "").strip()
        if not q:
            return self
        if REFERENCE_RE.match(q):
            return self.filter(reference__iexact=q.strip().upper())
        if connection.vendor != "postgresql":
            return self.filter(
                Q(reference__icontains=q) | Q(title__icontains=q) | Q(summary__icontains=q)
            )
        from django.contrib.postgres.search import SearchQuery

        words = SEARCH_WORD_RE.findall(q.lower())[:8]
        if not words:
            return self.none()
        query = SearchQuery(" & ".join(f"{w}:*" for w in words), config="simple", search_type="raw")
        # alias(), not annotate(): the document is only matched, never selected and
        # returned with every row.
        matching = self.alias(_document=incident_document()).filter(_document=query)
        visibility = getattr(self.query, "incident_visibility", None)
        # Newest first, but sorted after reading the matches from the GIN index: walking
        # the update-time index instead (what the planner picks for a LIMIT) reads the
        # whole table when the matches the user may see are few (99 ms at 100,000
        # incidents for a word in one title of six). A later explicit sort replaces this.
        ordered = matching.order_by(
            models.ExpressionWrapper(
                models.F("updated_at") + models.Value(timedelta(0)),
                output_field=models.DateTimeField(),
            ).desc(),
            "-pk",
        )
        if visibility is not None and visibility.probe:
            # An agency that sees many cases finds a common word's newest matches by
            # walking the newest incidents: ``recent_window``, used by the list's pages.
            ordered.query.recent_walk = ordered.query.order_by
        return ordered

    def recent_window(self, start, stop):
        """The ids ``[start:stop]`` of a search marked for a recent walk, or None.

        The ``SEARCH_WALK_ROWS`` newest incidents are walked first, each tested against
        the document and the visibility clause (probed row by row): a word in one title
        of six fills a page from a few thousand rows, whatever the table's size. Only if
        they hold too few matches are the older ones read from the GIN index and sorted,
        which costs what they number (few, then). A sort by another column drops the mark.
        """
        walk = getattr(self.query, "recent_walk", None)
        if not walk or tuple(self.query.order_by[: len(walk)]) != tuple(walk):
            return None
        newest = self.model._default_manager.order_by("-updated_at", "-pk")
        boundary = newest.values_list("updated_at", flat=True)[
            SEARCH_WALK_ROWS - 1 : SEARCH_WALK_ROWS
        ]
        boundary = list(boundary)
        if not boundary:  # a small table: the index and a sort cost little
            return None
        walked = list(
            self.filter(updated_at__gte=boundary[0])
            .order_by("-updated_at", "-pk")
            .values_list("pk", flat=True)[:stop]
        )
        if len(walked) >= stop:
            return walked[start:stop]
        older = self.filter(updated_at__lt=boundary[0]).values_list("pk", flat=True)
        return walked[start:] + list(older[max(0, start - len(walked)) : stop - len(walked)])


def incident_document():
    """The search document: a stored generated column with a GIN index (migration 0004)."""
    from django.contrib.postgres.search import SearchVectorField
    from django.db.models.expressions import RawSQL

    return RawSQL('"incidents_incident"."search_document"', [], output_field=SearchVectorField())


class TimelineQuerySet(models.QuerySet):
    def restrict(self, user, action=Action.VIEW):
        """Entries of incidents ``user`` may see, less those whose TLP is not for them."""
        if not _may_act(user, action):
            return self.none()
        return self.filter(permission_exists(user, action, "incident_id")).visible_to(user)

    def visible_to(self, user):
        """Apply the per-entry TLP rule (the incident's visibility is checked by the caller).

        AMBER+STRICT stays inside the author's agency; RED is for the author and
        the named recipients alone.
        """
        if not (user and user.is_authenticated):
            return self.none()
        return self.filter(EntryReadableBy(user))

    # Append-only: no bulk rewriting either.
    def update(self, **kwargs):
        raise TypeError("Timeline entries are append-only.")

    def delete(self):
        raise TypeError("Timeline entries are append-only.")


class EntryAttachmentQuerySet(models.QuerySet):
    def restrict(self, user, action=Action.VIEW):
        """Attachments of the timeline entries ``user`` may read: the entry's rule, reused."""
        entries = apps.get_model("incidents", "TimelineEntry").objects.restrict(user, action)
        return self.filter(entry__in=entries.values("pk"))


class TLPReadableBy(models.Expression):
    """The TLP 2.0 rule of a row marked with its own label, as one SQL fragment.

    ``tlp IN (clear, green, amber) OR (tlp = red AND (author = user OR user in the
    audience)) OR (tlp = amber+strict AND owning agency = user's agency)``. The caller
    has checked that the user sees the row's incident. Timeline entries and indicators
    share it (``EntryReadableBy``, ``coordination.intel.querysets.IndicatorReadableBy``):
    a subclass names its author, owning agency and audience columns.

    Built from querysets (an ``Exists`` on the audience), it cost about 2 ms of ORM work
    per use and an incident's page uses it four times; the columns alone go through the
    ORM here, so it works inside subqueries (``OuterRef``) and prefetches alike.
    """

    conditional = True
    output_field = models.BooleanField()
    # (model label, name of the many-to-many field holding the named recipients)
    audience_of = None
    author_column = "author_id"
    agency_column = "author_agency_id"

    # Further columns ``owner_sql`` needs, compiled in the same way.
    extra_columns = ()

    def __init__(self, user):
        super().__init__()
        self.user_id = user.pk
        self.agency_id = user.agency_id
        names = ("tlp", self.author_column, self.agency_column, "pk", *self.extra_columns)
        self.columns = [models.F(name) for name in names]

    def get_source_expressions(self):
        return self.columns

    def set_source_expressions(self, exprs):
        self.columns = list(exprs)

    def owner_sql(self, agency, extra, connection):
        """The clause "the row's owning agency is the user's" (the agency id is a param).

        ``agency`` is the SQL of the agency column, ``extra`` that of ``extra_columns``.
        """
        return f"{agency} = %s", [self.agency_id]

    def as_sql(self, compiler, connection):
        compiled = [compiler.compile(column)[0] for column in self.columns]
        tlp, author, agency, row, *extra = compiled
        model_label, field_name = self.audience_of
        field = apps.get_model(model_label)._meta.get_field(field_name)
        through = field.remote_field.through._meta
        table = connection.ops.quote_name(through.db_table)
        row_column = through.get_field(field.m2m_field_name()).column
        user_column = through.get_field(field.m2m_reverse_field_name()).column
        sql = (
            f"({tlp} IN (%s, %s, %s) OR ({tlp} = %s AND ({author} = %s OR EXISTS("
            f"SELECT 1 FROM {table} cc_a WHERE cc_a.{row_column} = {row} "
            f"AND cc_a.{user_column} = %s)))"
        )
        params = [TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.RED, self.user_id, self.user_id]
        if self.agency_id is not None:  # "= NULL" is never true: leave the clause out
            owner, owner_params = self.owner_sql(agency, extra, connection)
            sql += f" OR ({tlp} = %s AND {owner})"
            params += [TLP.AMBER_STRICT, *owner_params]
        return f"{sql})", [str(p) if isinstance(p, TLP) else p for p in params]


class EntryReadableBy(TLPReadableBy):
    """The TLP rule of timeline entries: AMBER+STRICT stays in the author's agency."""

    audience_of = ("incidents.TimelineEntry", "audience")


class TaskQuerySet(models.QuerySet):
    def restrict(self, user, action=Action.VIEW):
        """Tasks of the incidents ``user`` may ``action``; tasks carry no TLP of their own."""
        if not _may_act(user, action):
            return self.none()
        return self.filter(permission_exists(user, action, "incident_id"))
