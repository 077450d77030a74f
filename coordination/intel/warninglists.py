"""MISP warning lists: values that break networks when blocked.

Private, reserved and documentation ranges, top-ranked domains, public resolvers, hashes
of empty or benign files and the like, as shipped offline by ``pymispwarninglists``.
Such values are flagged on paste and import and left out of blocklists unless an
analyst allows them per indicator.

The lists hold about a million entries: they are read once per process, on first use,
into one index (a dict per kind of entry), so a check costs a few dict lookups.
"""

import ipaddress
import json
import re
import threading
from bisect import bisect_left
from pathlib import Path
from urllib.parse import urlsplit

import pymispwarninglists

from coordination.intel.choices import IndicatorType

# MISP attribute types each indicator type stands for: a list applies to a type when its
# ``matching_attributes`` name one of these.
_IP = frozenset({"ip-src", "ip-dst", "ip-src|port", "ip-dst|port", "domain|ip"})
_ATTRIBUTES = {
    IndicatorType.IPV4: _IP,
    IndicatorType.IPV6: _IP,
    IndicatorType.CIDR: _IP,
    IndicatorType.DOMAIN: frozenset({"domain", "hostname", "domain|ip", "hostname|port"}),
    IndicatorType.URL: frozenset({"url", "uri"}),
    IndicatorType.EMAIL: frozenset(
        {"email", "email-src", "email-dst", "target-email", "whois-registrant-email"}
    ),
    IndicatorType.MD5: frozenset({"md5", "filename|md5"}),
    IndicatorType.SHA1: frozenset({"sha1", "filename|sha1"}),
    IndicatorType.SHA256: frozenset({"sha256", "filename|sha256"}),
    IndicatorType.SHA512: frozenset({"sha512", "filename|sha512"}),
    IndicatorType.SSDEEP: frozenset({"ssdeep", "filename|ssdeep"}),
    IndicatorType.TLSH: frozenset({"tlsh", "filename|tlsh"}),
    IndicatorType.IMPHASH: frozenset({"imphash", "filename|imphash"}),
    IndicatorType.FILENAME: frozenset({"filename"}),
}


class _Index:
    """Every entry of every warning list, by kind, pointing at the names of its lists."""

    def __init__(self, lists):
        self.types = {}  # list name -> indicator types it applies to
        self.strings = {}  # exact value (and its lower case) -> list names
        self.hostnames = {}  # host -> list names; a host's subdomains match too
        self.networks = {4: {}, 6: {}}  # version -> prefix length -> network int -> names
        self.substrings = []  # (substring, list name)
        self.regexes = []  # (compiled pattern, list name)
        for warninglist in lists:
            self._add(warninglist)
        self.sorted_networks = {
            version: {length: sorted(nets) for length, nets in by_length.items()}
            for version, by_length in self.networks.items()
        }

    def _add(self, warninglist):
        name = warninglist["name"]
        attributes = set(warninglist.get("matching_attributes") or ())
        self.types[name] = frozenset(
            type_ for type_, names in _ATTRIBUTES.items() if not attributes or attributes & names
        )
        kind = warninglist["type"]
        for entry in warninglist["list"]:
            entry = str(entry).strip()
            if not entry:
                continue
            if kind == "cidr":
                try:
                    network = ipaddress.ip_network(entry, strict=False)
                except ValueError:
                    _append(self.strings, entry, name)
                    continue
                by_length = self.networks[network.version].setdefault(network.prefixlen, {})
                _append(by_length, int(network.network_address), name)
            elif kind == "hostname":
                _append(self.hostnames, entry.lstrip(".").lower(), name)
            elif kind == "substring":
                self.substrings.append((entry.lower(), name))
            elif kind == "regex":
                pattern = _compile_misp_regex(entry)
                if pattern is not None:
                    self.regexes.append((pattern, name))
            else:
                _append(self.strings, entry, name)
                if entry.lower() != entry:
                    _append(self.strings, entry.lower(), name)

    def search(self, type_, value):
        """Names of the lists ``value`` (normalised, of ``type_``) is on, sorted."""
        found = set(self.strings.get(value, ()))
        if type_ in (IndicatorType.IPV4, IndicatorType.IPV6, IndicatorType.CIDR):
            found.update(self._networks(value))
        host = None
        if type_ == IndicatorType.DOMAIN:
            host = value
        elif type_ == IndicatorType.URL:
            host = (urlsplit(value).hostname or "").strip("[]")
            found.update(self._networks(host))
        if host:
            labels = host.split(".")
            for start in range(len(labels)):
                found.update(self.hostnames.get(".".join(labels[start:]), ()))
        if self.substrings or self.regexes:
            lowered = value.lower()
            found.update(name for entry, name in self.substrings if entry in lowered)
            found.update(name for pattern, name in self.regexes if pattern.search(value))
        return sorted(name for name in found if type_ in self.types.get(name, ()))

    def _networks(self, value):
        """Lists with a network that holds, or lies inside, the address or network."""
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            return ()
        start = int(network.network_address)
        end = int(network.broadcast_address)
        found = []
        for length, by_int in self.networks[network.version].items():
            if length <= network.prefixlen:
                shift = network.max_prefixlen - length
                found.extend(by_int.get((start >> shift) << shift, ()))
            else:
                # The indicator is wider than a listed network: blocking it blocks that too.
                ordered = self.sorted_networks[network.version][length]
                position = bisect_left(ordered, start)
                if position < len(ordered) and ordered[position] <= end:
                    found.extend(by_int[ordered[position]])
        return found


def _append(mapping, key, name):
    names = mapping.get(key, ())
    if name not in names:
        mapping[key] = (*names, name)


def _compile_misp_regex(entry):
    """A pattern written as MISP writes them (``/pattern/flags``), or ``None`` if broken."""
    pattern, flags = entry, 0
    if entry.startswith("/") and entry.rfind("/") > 0:
        cut = entry.rfind("/")
        pattern = entry[1:cut]
        if "i" in entry[cut + 1 :]:
            flags = re.IGNORECASE
    try:
        return re.compile(pattern, flags)
    except re.error:
        return None


# The lists whose values break networks when blocked, by their folder in the package.
# Left out on purpose: dynamic DNS, VPN/datacenter, cloud and scanner lists (attackers
# rent exactly that infrastructure, and blocking one address there is what a CERT wants)
# and the million-entry popularity lists (a rank near a million protects nothing).
LISTS = (
    # Private, reserved, shared, documentation, link-local and multicast ranges, names.
    "rfc1918",
    "rfc5735",
    "rfc3849",
    "rfc6598",
    "rfc6761",
    "ipv6-linklocal",
    "multicast",
    # Whole top-level and public second-level domains.
    "tlds",
    "second-level-tlds",
    # Public resolvers.
    "public-dns-v4",
    "public-dns-v6",
    "public-dns-hostname",
    # Top-ranked domains.
    "alexa",
    "moz-top500",
    "tranco10k",
    "cisco_top10k",
    "majestic_million",
    # Hashes of empty and well-known benign files (blocking them quarantines system files).
    "empty-hashes",
    "common-ioc-false-positive",
    "ti-falsepositives",
    "nioc-filehash",
    # Certificate revocation and OCSP endpoints (blocking them breaks TLS).
    "crl-hostname",
    "crl-ip",
)

_index = None
_lock = threading.Lock()


def _load():
    from pymispwarninglists import WarningLists

    folder = Path(pymispwarninglists.__file__).parent / "data" / "misp-warninglists" / "lists"
    lists = []
    for name in LISTS:
        with (folder / name / "list.json").open(encoding="utf-8") as file:
            lists.append(json.load(file))
    # The package checks each list's type; the index then answers in a few lookups.
    loaded = WarningLists(lists=lists)
    return _Index(warninglist.warninglist for warninglist in loaded.values())


def index():
    """The process-wide index of the warning lists, read on first use."""
    global _index
    if _index is None:
        with _lock:
            if _index is None:
                _index = _load()
    return _index


def warning_lists(type_, value):
    """Names of the MISP warning lists the normalised ``value`` of ``type_`` is on."""
    return index().search(IndicatorType(type_), value)
