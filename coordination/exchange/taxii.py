"""A read-only TAXII 2.1 server (OASIS TAXII 2.1, sections 4 and 5).

Discovery, one API root, collections (one per incident the caller may see and one
"shared with my agency"), objects with ``added_after`` / ``limit`` / ``next`` paging,
objects by id, versions and manifest. Every response is
``application/taxii+json;version=2.1``; an ``Accept`` header that admits nothing of
the kind answers 406, a POST with another body type 415, and a POST of TAXII content
403 (collections are read-only). What the caller may not see answers 404.

The objects of a collection form one stream ordered by ``date_added``: the standard
TLP objects and the agencies' identities first, then the indicators by
``updated_at`` (a changed indicator is re-added as its newer version). ``next`` is a
keyset cursor into that stream, so paging stays one indexed range scan however deep.
"""

import datetime
import re
import uuid

from django.db.models import Q
from django.http import JsonResponse
from django.urls import reverse
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions

from coordination.exchange import auth, stix
from coordination.exchange.collections import (
    EPOCH,
    Entry,
    epoch_micros,
    find_collection,
    supporting_entries,
)
from coordination.exchange.collections import collections_for as user_collections
from coordination.intel.timestamps import parse_utc

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
CURSOR_RE = re.compile(
    r"^(?:s(?P<smicros>\d{1,20})\.(?P<sid>[a-z0-9-]{1,100}--[0-9a-f-]{36})"
    r"|i(?P<micros>\d{1,20})\.(?P<pk>\d{1,20}))$"
)
ID_RE = re.compile(r"^[a-z0-9-]+--[0-9a-f-]{36}$")


class TAXIIError(Exception):
    def __init__(self, status, title, description=""):
        super().__init__(title)
        self.status = status
        self.title = title
        self.description = description


def taxii_response(data, status=200, headers=None):
    response = JsonResponse(data, status=status, content_type=TAXII_MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(error):
    body = {"title": str(error.title), "http_status": str(error.status)}
    if error.description:
        body["description"] = str(error.description)
    response = taxii_response(body, status=error.status)
    if error.status == 401:
        response["WWW-Authenticate"] = auth.CHALLENGE
    return response


def accepts_taxii(request):
    """True when the ``Accept`` header admits TAXII 2.1 (no header admits anything)."""
    header = request.headers.get("Accept", "").strip()
    if not header:
        return True
    for part in header.split(","):
        media, *raw_params = (piece.strip() for piece in part.split(";"))
        params = {}
        for raw in raw_params:
            key, _sep, value = raw.partition("=")
            params[key.strip().lower()] = value.strip().strip('"')
        if params.get("q") in ("0", "0.0", "0.00", "0.000"):
            continue
        media = media.lower()
        if media in ("*/*", "application/*"):
            return True
        if media == "application/taxii+json" and params.get("version", "2.1") == "2.1":
            return True
    return False


def taxii_time(value):
    """A TAXII timestamp: UTC with microseconds, so ``added_after`` loses nothing."""
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(raw, name):
    try:
        return parse_utc(raw)
    except ValueError as exc:
        raise TAXIIError(400, _("Invalid %(name)s.") % {"name": name}, str(exc)) from None


def split_param(request, name):
    return [item.strip() for item in request.GET.get(name, "").split(",") if item.strip()]


@method_decorator(csrf_exempt, name="dispatch")
class TAXIIView(View):
    """Negotiation, authentication and error format shared by every TAXII endpoint.

    Checked in this order, each failure a TAXII error message: the method (405), the
    ``Accept`` header (406), the credentials (401, 403 for a read-only token writing),
    the body's media type (415), then what the endpoint itself finds (404, 400).
    """

    http_method_names = ["get", "head", "options"]
    # Only a collection's objects resource is written to in TAXII 2.1; Concord's are
    # read-only (``can_write`` false), so a POST there is refused with 403, as the
    # standard has it, and anywhere else with 405.
    accepts_post = False

    def dispatch(self, request, *args, **kwargs):
        try:
            method = request.method.lower()
            if method not in self.http_method_names and not (
                method == "post" and self.accepts_post
            ):
                raise TAXIIError(
                    405,
                    _("Method not allowed."),
                    _("This resource answers %(methods)s.")
                    % {"methods": ", ".join(self.allowed_methods())},
                )
            if not accepts_taxii(request):
                raise TAXIIError(
                    406,
                    _("Not acceptable."),
                    _("This server answers %(media_type)s only.")
                    % {"media_type": TAXII_MEDIA_TYPE},
                )
            self.user = self.authenticated_user(request)
            if method == "post":
                return self.refuse_post(request, *args, **kwargs)
            return super().dispatch(request, *args, **kwargs)
        except TAXIIError as error:
            response = error_response(error)
            if error.status == 405:
                response["Allow"] = ", ".join(self.allowed_methods())
            return response

    def allowed_methods(self):
        methods = [m.upper() for m in self.http_method_names if m != "options"]
        return methods + (["POST"] if self.accepts_post else [])

    def authenticated_user(self, request):
        try:
            user = auth.authenticate(request)
        except exceptions.AuthenticationFailed as exc:
            raise TAXIIError(401, _("Authentication failed."), exc.detail) from exc
        except exceptions.PermissionDenied as exc:
            raise TAXIIError(403, _("Forbidden."), exc.detail) from exc
        if user is None:
            raise TAXIIError(
                401,
                _("Authentication required."),
                _("Use HTTP Basic or an API token (Authorization: Bearer <token>)."),
            )
        return user

    def refuse_post(self, request, collection_id):
        content_type = request.content_type or ""
        params = request.content_params or {}
        if content_type != "application/taxii+json" or params.get("version", "2.1") != "2.1":
            raise TAXIIError(
                415,
                _("Unsupported media type."),
                _("Send %(media_type)s.") % {"media_type": TAXII_MEDIA_TYPE},
            )
        self.collection(collection_id)  # an unknown or hidden collection answers 404
        raise TAXIIError(
            403,
            _("This collection is read-only."),
            _("Partners add indicators through the STIX import of an incident they take part in."),
        )

    def collection(self, collection_id):
        collection = find_collection(self.user, collection_id)
        if collection is None:
            raise TAXIIError(404, _("No such collection."))
        return collection


class DiscoveryView(TAXIIView):
    def get(self, request):
        root = request.build_absolute_uri(reverse("taxii:api_root"))
        return taxii_response(
            {
                "title": "Concord TAXII",
                "description": _("Indicators of the cyber incidents shared with you, in STIX 2.1."),
                "default": root,
                "api_roots": [root],
            }
        )


class APIRootView(TAXIIView):
    def get(self, request):
        return taxii_response(
            {
                "title": "Concord",
                "description": _("Incident indicators, TLP 2.0 enforced."),
                "versions": [TAXII_MEDIA_TYPE],
                "max_content_length": 0,
            }
        )


class CollectionsView(TAXIIView):
    def get(self, request):
        collections = [collection.as_taxii() for collection in user_collections(self.user)]
        return taxii_response({"collections": collections} if collections else {})


class CollectionView(TAXIIView):
    def get(self, request, collection_id):
        return taxii_response(self.collection(collection_id).as_taxii())


class Stream:
    """The filtered object stream of one collection, read a page at a time."""

    def __init__(self, request, collection, user):
        self.collection = collection
        self.indicators = collection.indicators(user)
        self.added_after = None
        if "added_after" in request.GET:
            self.added_after = parse_time(request.GET["added_after"], "added_after")
        self.types = set(split_param(request, "match[type]"))
        self.ids = set(split_param(request, "match[id]"))
        spec_versions = split_param(request, "match[spec_version]")
        self.empty = bool(spec_versions) and "2.1" not in spec_versions
        versions = split_param(request, "match[version]")
        self.versions = [v for v in versions if v not in ("last", "first", "all")]
        self.version_times = [parse_time(v, "match[version]") for v in self.versions]

    def wants(self, object_type):
        return not self.empty and (not self.types or object_type in self.types)

    def supporting(self):
        entries = supporting_entries(self.indicators)
        if self.added_after is not None:
            entries = [e for e in entries if e.date_added > self.added_after]
        entries = [e for e in entries if self.wants(e.object["type"])]
        if self.ids:
            entries = [e for e in entries if e.id in self.ids]
        if self.versions:
            entries = [e for e in entries if e.version in self.versions]
        return entries

    def indicator_queryset(self):
        queryset = self.indicators
        if not self.wants("indicator"):
            return queryset.none()
        if self.added_after is not None:
            queryset = queryset.filter(updated_at__gt=self.added_after)
        if self.version_times:
            window = Q()
            for moment in self.version_times:
                # STIX versions carry milliseconds; the row keeps microseconds.
                # An imported object's version is its source's ``modified``.
                until = moment + datetime.timedelta(milliseconds=1)
                window |= Q(stix_modified=None, updated_at__gte=moment, updated_at__lt=until)
                window |= Q(stix_modified__gte=moment, stix_modified__lt=until)
            queryset = queryset.filter(window)
        if self.ids:
            queryset = queryset.filter(pk__in=self.indicator_pks_for_ids(queryset))
        return queryset.select_related("incident").order_by("updated_at", "pk")

    def indicator_pks_for_ids(self, queryset):
        """Indicator ids are UUIDv5 of stable keys, stored in ``stix_uuid`` (indexed)."""
        wanted = set()
        for object_id in self.ids:
            if object_id.startswith("indicator--"):
                try:
                    wanted.add(uuid.UUID(object_id.removeprefix("indicator--")))
                except ValueError:
                    continue  # not an id Concord could have minted: matches nothing
        if not wanted:
            return []
        found = list(queryset.filter(stix_uuid__in=wanted).values_list("pk", flat=True))
        # Rows written without the ORM (bulk loads) may lack the stored uuid: hash those.
        namespace = stix.namespace()
        unfilled = queryset.filter(stix_uuid__isnull=True).values_list(
            "pk", "incident__reference", "type", "value"
        )
        found += [
            pk
            for pk, reference, kind, value in unfilled.iterator(chunk_size=5000)
            if stix.uuid.uuid5(namespace, stix.indicator_key(reference, kind, value)) in wanted
        ]
        return found

    @staticmethod
    def indicator_entry(indicator):
        micros = epoch_micros(indicator.updated_at)
        return Entry(
            indicator.updated_at, stix.indicator_object(indicator), f"i{micros}.{indicator.pk}"
        )

    def page(self, limit, cursor):
        """Up to ``limit`` entries after ``cursor``, and whether more follow.

        The stream is ordered by ``(date_added, id)`` for the supporting objects, then
        ``(updated_at, pk)`` for the indicators; ``cursor`` is the key of the last entry
        served, so a page resumes right after it whatever the filters keep.
        """
        match = CURSOR_RE.match(cursor) if cursor else None
        if cursor and match is None:
            raise TAXIIError(400, _("Invalid next."), _("Pass back the value of next as given."))
        queryset = self.indicator_queryset()
        if match is None:
            supporting = self.supporting()
        elif match["smicros"] is not None:
            key = (int(match["smicros"]), match["sid"])
            supporting = [
                entry
                for entry in self.supporting()
                if (epoch_micros(entry.date_added), entry.id) > key
            ]
        else:
            supporting = []
            after = EPOCH + datetime.timedelta(microseconds=int(match["micros"]))
            # The first condition is the sargable one (a range on the stream index);
            # the second breaks ties between rows changed in the same microsecond.
            queryset = queryset.filter(updated_at__gte=after).filter(
                Q(updated_at__gt=after) | Q(pk__gt=int(match["pk"]))
            )
        entries = supporting[:limit]
        room = limit - len(entries)
        if len(supporting) > limit:
            return entries, True
        rows = list(queryset[: room + 1]) if room else []
        more = len(rows) > room if room else queryset.exists()
        with translation.override("en"):
            entries += [self.indicator_entry(row) for row in rows[:room]]
        return entries, more


class NotFoundView(TAXIIView):
    """Any other address under the TAXII root: an unknown API root, a collection id
    that is not a UUID, a status resource (Concord keeps none: it accepts no POST)."""

    def get(self, request, *args, **kwargs):
        raise TAXIIError(404, _("Not found."), _("No TAXII resource has this address."))


def page_parameters(request):
    raw = request.GET.get("limit")
    if raw is None or raw == "":
        return DEFAULT_LIMIT, request.GET.get("next")
    if not raw.isdigit() or int(raw) < 1:
        raise TAXIIError(400, _("Invalid limit."), _("Give a positive whole number."))
    return min(int(raw), MAX_LIMIT), request.GET.get("next")


def page_headers(entries):
    if not entries:
        return {}
    return {
        "X-TAXII-Date-Added-First": taxii_time(entries[0].date_added),
        "X-TAXII-Date-Added-Last": taxii_time(entries[-1].date_added),
    }


def envelope(entries, more, key="objects", render=None):
    body = {"more": more}
    if more and entries:
        body["next"] = entries[-1].cursor
    if entries:
        body[key] = [render(e) if render else e.object for e in entries]
    return body


class ObjectsView(TAXIIView):
    accepts_post = True

    def get(self, request, collection_id):
        stream = Stream(request, self.collection(collection_id), self.user)
        limit, cursor = page_parameters(request)
        entries, more = stream.page(limit, cursor)
        return taxii_response(envelope(entries, more), headers=page_headers(entries))


class ManifestView(TAXIIView):
    def get(self, request, collection_id):
        stream = Stream(request, self.collection(collection_id), self.user)
        limit, cursor = page_parameters(request)
        entries, more = stream.page(limit, cursor)

        def record(entry):
            return {
                "id": entry.id,
                "date_added": taxii_time(entry.date_added),
                "version": entry.version,
                "media_type": stix.STIX_MEDIA_TYPE,
            }

        return taxii_response(envelope(entries, more, render=record), headers=page_headers(entries))


class ObjectView(TAXIIView):
    """One object by id (all the versions held: Concord keeps the latest)."""

    versions_only = False

    def get(self, request, collection_id, object_id):
        if not ID_RE.match(object_id):
            raise TAXIIError(404, _("No such object."))
        query = request.GET.copy()
        query["match[id]"] = object_id
        request.GET = query
        stream = Stream(request, self.collection(collection_id), self.user)
        entries, _more = stream.page(MAX_LIMIT, None)
        if not entries:
            raise TAXIIError(404, _("No such object."))
        headers = page_headers(entries)
        if self.versions_only:
            return taxii_response(
                {"more": False, "versions": [entry.version for entry in entries]}, headers=headers
            )
        return taxii_response(envelope(entries, False), headers=headers)
