"""Blocklist files: one kind of value per file, safe to load into a firewall, proxy or
DNS resolver.

- One kind per file (``?type=``): IPv4 addresses and networks, IPv6 addresses and
  networks, domains, URLs, each hash, email addresses, file names. Consumers take one
  kind per feed, and a firewall given an IPv6 network in an IPv4 set rejects the file.
- A first comment line says what the file is and when it was made: ``#`` for plain
  lists (firewalls, proxies), ``;`` for a DNS response policy zone (``format=rpz``).
- Values on a MISP warning list (private, reserved and documentation ranges, public
  resolvers, top-ranked domains, benign hashes) are left out unless an analyst allowed
  the indicator, as are values a parser could read as a comment or as two values.
"""

from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coordination.intel.choices import IndicatorType as T
from coordination.intel.warninglists import warning_lists


@dataclass(frozen=True)
class Kind:
    label: object
    filter: Q


KINDS = {
    "ipv4": Kind(
        gettext_lazy("IPv4 addresses and networks"),
        Q(type=T.IPV4) | (Q(type=T.CIDR) & ~Q(value__contains=":")),
    ),
    "ipv6": Kind(
        gettext_lazy("IPv6 addresses and networks"),
        Q(type=T.IPV6) | Q(type=T.CIDR, value__contains=":"),
    ),
    "domain": Kind(gettext_lazy("Domain names"), Q(type=T.DOMAIN)),
    "url": Kind(gettext_lazy("URLs"), Q(type=T.URL)),
    "md5": Kind(gettext_lazy("MD5 hashes"), Q(type=T.MD5)),
    "sha1": Kind(gettext_lazy("SHA-1 hashes"), Q(type=T.SHA1)),
    "sha256": Kind(gettext_lazy("SHA-256 hashes"), Q(type=T.SHA256)),
    "email": Kind(gettext_lazy("Email addresses"), Q(type=T.EMAIL)),
    "filename": Kind(gettext_lazy("File names"), Q(type=T.FILENAME)),
}
FORMATS = ("plain", "rpz")


class BlocklistRequestError(ValueError):
    pass


def parse_request(query):
    """``(kind, format)`` from the query string; ``BlocklistRequestError`` if unusable."""
    asked = [t.strip() for raw in query.getlist("type") for t in raw.split(",") if t.strip()]
    allowed = ", ".join(KINDS)
    if len(asked) != 1:
        raise BlocklistRequestError(
            _("Choose one type per blocklist (type=…): %(allowed)s.") % {"allowed": allowed}
        )
    kind = asked[0]
    if kind not in KINDS:
        hint = _(" Networks are in the ipv4 and ipv6 lists.") if kind == T.CIDR else ""
        raise BlocklistRequestError(
            _("Unknown type %(types)s. Use: %(allowed)s.") % {"types": kind, "allowed": allowed}
            + hint
        )
    format_ = query.get("format", "plain")
    if format_ not in FORMATS:
        raise BlocklistRequestError(
            _("Unknown format %(format)s. Use: %(allowed)s.")
            % {"format": format_, "allowed": ", ".join(FORMATS)}
        )
    if format_ == "rpz" and kind != "domain":
        raise BlocklistRequestError(_("A response policy zone lists domain names (type=domain)."))
    return kind, format_


def is_safe_line(value):
    """False for a value a consumer could read as a comment, as two values or as nothing."""
    return (
        bool(value)
        and value.isprintable()
        and not any(c.isspace() for c in value)
        and not value.startswith(("#", ";", "!"))
    )


def blocklist_values(indicators, kind):
    """The values of ``indicators`` that go into a blocklist of ``kind``: sorted, unique.

    The one place that decides what a blocklist holds. Left out: indicators revoked,
    expired or that a blocklist cannot express (``blocklistable``), values on a warning list
    whose indicator no analyst allowed, and values that are not safe as a line.
    """
    rows = (
        indicators.blocklistable()
        .filter(KINDS[kind].filter)
        .order_by("value")
        .values_list("type", "value", "blocklist_allowed_at")
        .iterator(chunk_size=2000)
    )
    last = None
    for type_, value, allowed_at in rows:
        if value == last or not is_safe_line(value):
            continue
        if allowed_at is None and warning_lists(type_, value):
            continue
        last = value
        yield value


def left_out(indicators):
    """``(indicator, warning list names)`` of ``indicators`` kept out of blocklists."""
    result = []
    for indicator in indicators.filter(blocklist_allowed_at__isnull=True).order_by("type", "value"):
        names = warning_lists(indicator.type, indicator.value)
        if names:
            result.append((indicator, names))
    return result


def header(kind, format_, subject):
    """The first line: what the file is and when it was made, as its consumers comment."""
    text = _("Concord blocklist: %(kind)s of %(subject)s, made %(time)s.") % {
        "kind": KINDS[kind].label,
        "subject": subject,
        "time": timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    text += " " + _("Values on MISP warning lists are left out unless allowed.")
    return ("; " if format_ == "rpz" else "# ") + text


def lines(values, kind, format_, subject, size=2000):
    """The file as text chunks of ``size`` lines (not one write per line)."""
    first = [header(kind, format_, subject)]
    if format_ == "rpz":
        serial = int(timezone.now().timestamp())
        first += [
            "$TTL 300",
            f"@ IN SOA localhost. hostmaster.localhost. ({serial} 3600 600 86400 300)",
            "@ IN NS localhost.",
        ]
    chunk = first
    for value in values:
        if format_ == "rpz":
            chunk += [f"{value} CNAME .", f"*.{value} CNAME ."]
        else:
            chunk.append(value)
        if len(chunk) >= size:
            yield "\n".join(chunk) + "\n"
            chunk = []
    if chunk:
        yield "\n".join(chunk) + "\n"
