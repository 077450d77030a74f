"""Reading a tag as typed: a free word, or a MISP taxonomy machine tag.

Machine tags follow MISP's ``namespace:predicate="value"`` (the value optional):
``tlp:amber``, ``rsit:malicious-code="ransomware"``. Namespace and predicate are
case-folded; the value keeps its case and is always written between double quotes.
Free tags keep their case with their spaces collapsed; two tags that differ only by
case are the same tag (``key``).

``tlp:`` tags are not stored: the incident's TLP field is its ``tlp:`` machine tag
(shown among its tags and matched by the tag filter), so the two can never disagree.
Adding one is refused with a message pointing at the field.
"""

import re
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Min, Prefetch
from django.utils.translation import gettext as _

from incidents.choices import TLP
from incidents.models import IncidentTag

MAX_LENGTH = 200
MACHINE_TAG_RE = re.compile(
    r"""^(?P<namespace>[a-z0-9][a-z0-9_.\-]*):(?P<predicate>[^"=\s]+)"""
    r"""(?:=(?P<quote>"?)(?P<value>[^"]*)(?P=quote))?$""",
    re.IGNORECASE,
)
# TLP 1.0 spelled WHITE what TLP 2.0 calls CLEAR.
TLP_ALIASES = {
    "white": TLP.CLEAR,
    "amber+strict": TLP.AMBER_STRICT,
    "amber-strict": TLP.AMBER_STRICT,
}
TLP_NAMESPACE = "tlp"


@dataclass(frozen=True)
class ParsedTag:
    name: str
    key: str
    namespace: str = ""
    predicate: str = ""
    value: str = ""

    @property
    def is_machine(self):
        return bool(self.namespace)


def parse_tag(text):
    """The normalised tag of ``text``; ``ValidationError`` on ``name`` if it is no tag."""
    text = " ".join((text or "").split())
    # Word processors turn "…" into typographic quotes.
    text = text.replace("\u201c", '"').replace("\u201d", '"')
    if not text:
        raise ValidationError({"name": _("Type a tag.")})
    if len(text) > MAX_LENGTH:
        raise ValidationError(
            {"name": _("A tag is at most %(n)s characters long.") % {"n": MAX_LENGTH}}
        )
    if "," in text:
        raise ValidationError({"name": _("A tag cannot hold a comma: add one tag at a time.")})
    if "`" in text or any(ord(c) < 32 for c in text):
        raise ValidationError({"name": _("A tag cannot hold backticks or control characters.")})
    match = MACHINE_TAG_RE.match(text)
    if match and "://" not in text:
        namespace = match["namespace"].lower()
        predicate = match["predicate"].strip().lower()
        value = (match["value"] or "").strip()
        name = f'{namespace}:{predicate}="{value}"' if value else f"{namespace}:{predicate}"
        return ParsedTag(name, name.lower(), namespace, predicate, value)
    if '"' in text:
        raise ValidationError(
            {"name": _('Quotes belong to machine tags only, written namespace:predicate="value".')}
        )
    return ParsedTag(text, text.lower())


def tlp_of(parsed):
    """The TLP a ``tlp:`` machine tag names, or ``None`` (another tag, or an unknown label)."""
    if parsed.namespace != TLP_NAMESPACE or parsed.value:
        return None
    label = TLP_ALIASES.get(parsed.predicate, parsed.predicate)
    return TLP(label) if label in TLP.values else None


def tlp_tag(tlp):
    """The machine tag of an incident's TLP field: ``tlp:amber``."""
    return ParsedTag(f"{TLP_NAMESPACE}:{tlp}", f"{TLP_NAMESPACE}:{tlp}", TLP_NAMESPACE, str(tlp))


SUGGESTIONS = 300
# An incident's tags in the order they are shown; lists prefetch them for a page at once.
TAGS_PREFETCH = Prefetch("tags", queryset=IncidentTag.objects.order_by("key", "pk"))


# The suggestions are kept in the shared cache until the agency adds or removes a tag
# (``forget_suggestions``); the timeout only bounds what a missed deletion could leave.
SUGGESTIONS_SECONDS = 60 * 60


def _suggestions_key(agency_id):
    return f"{settings.CACHE_KEY_SCOPE}tag-suggestions:{agency_id}"


def suggestions_for(user):
    """The tags ``user``'s agency has used, for the suggestion list: never another agency's.

    Each name once (the first spelling by key), at most ``SUGGESTIONS``, most used first.
    """
    if not (user and user.is_authenticated and user.agency_id):
        return []
    key = _suggestions_key(user.agency_id)
    names = cache.get(key)
    if names is None:
        rows = (
            IncidentTag.objects.filter(added_by_agency_id=user.agency_id)
            .values("key")
            .annotate(name=Min("name"), uses=Count("pk"))
            .order_by("-uses", "key")[:SUGGESTIONS]
        )
        names = [row["name"] for row in rows]
        cache.set(key, names, SUGGESTIONS_SECONDS)
    return names


def forget_suggestions(agency_id):
    """When a tag of ``agency_id`` is added or removed: now, and again once the change is
    committed (a page drawn in between would have kept the list without it)."""
    if agency_id:
        key = _suggestions_key(agency_id)
        cache.delete(key)
        transaction.on_commit(lambda: cache.delete(key))


def shown_tags(incident):
    """What the incident page shows: its TLP as a machine tag, then its stored tags
    (prefetched ``incident.tags`` when the caller prefetched them; none asked for when
    the incident was read with ``has_tags`` false)."""
    if getattr(incident, "has_tags", True) is False:
        return [tlp_tag(incident.tlp)]
    return [tlp_tag(incident.tlp), *incident.tags.all()]
