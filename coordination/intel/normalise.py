"""Validation and canonical form of indicator values.

Public API (also used by the exchange formats):

- ``refang(raw)``: undo the usual "defanging" (``hxxp://evil[.]example``, ``1.2.3[.]4``,
  ``user[@]example.org``) so a value can be parsed.
- ``detect_type(raw)``: the :class:`IndicatorType` a pasted value most likely is.
- ``normalise(type, raw)``: the canonical text stored in ``Indicator.value``, so that equal
  observables compare equal across incidents and countries (correlation is an exact lookup
  on ``(type, value)``).

Both ``detect_type`` and ``normalise`` raise :class:`django.core.exceptions.ValidationError`
with a message meant for the person who typed the value.
"""

import ipaddress
import re
import string
import unicodedata
from urllib.parse import SplitResult, quote, unquote, urlsplit, urlunsplit

import idna
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from coordination.intel.choices import IndicatorType

MAX_LENGTH = 2048  # Indicator.value max_length

# --- refanging -----------------------------------------------------------------------------

# Order matters: longer forms first. Each pattern is case-insensitive.
_REFANG_RULES = (
    # Schemes: hxxp, hXXps, hxxxp, h__p, meow, fxp.
    (re.compile(r"\bh(?:xx|XX|\*\*|__|tt)x?p(s?)(?=\[?:|:)", re.IGNORECASE), r"http\1"),
    (re.compile(r"\bfxp(s?)(?=\[?:|:)", re.IGNORECASE), r"ftp\1"),
    (re.compile(r"\bmeow(s?)(?=\[?:|:)", re.IGNORECASE), r"http\1"),
    # "://" broken up: [://], [:]//, :[//], (://)
    (re.compile(r"[\[\(\{]\s*:\s*//\s*[\]\)\}]"), "://"),
    (re.compile(r"[\[\(\{]\s*:\s*[\]\)\}]"), ":"),
    (re.compile(r"[\[\(\{]\s*/\s*[\]\)\}]"), "/"),
    # Dots: [.], (.), {.}, [dot], (dot), {dot}, \.
    (re.compile(r"\s*[\[\(\{]\s*(?:\.|dot)\s*[\]\)\}]\s*", re.IGNORECASE), "."),
    (re.compile(r"\\\."), "."),
    # At: [@], (@), {@}, [at], (at), {at}
    (re.compile(r"\s*[\[\(\{]\s*(?:@|at)\s*[\]\)\}]\s*", re.IGNORECASE), "@"),
)

# Blanks and zero-width characters people paste around values.
_STRIP_CHARS = " \t\r\n\u200b\u200c\u200d\u2060\ufeff"
_QUOTES = "\"'`"


def _strip_wrapping(text):
    """``text`` without blanks, quotes and angle brackets around it.

    A quote or bracket is only taken off when it has no partner inside the value, so the
    quotes of ``"quoted local"@example.com`` and the ``<…>`` of a template URL
    (``?dw=<NNNN>``) stay where they belong.
    """
    while True:
        before = text
        text = text.strip(_STRIP_CHARS)
        if len(text) >= 2 and (text[0], text[-1]) in (
            ('"', '"'),
            ("'", "'"),
            ("`", "`"),
            ("<", ">"),
        ):
            inner = text[1:-1]
            if text[0] == "<" or text[0] not in inner:
                text = inner
        if text and text[0] in _QUOTES and text.count(text[0]) == 1:
            text = text[1:]
        if text and text[-1] in _QUOTES and text.count(text[-1]) == 1:
            text = text[:-1]
        if text[:1] == "<" and ">" not in text:
            text = text[1:]
        if text[-1:] == ">" and "<" not in text:
            text = text[:-1]
        if text == before:
            return text


def refang(raw) -> str:
    """``raw`` with the usual defanging undone and surrounding blanks/quotes removed.

    Idempotent: refanging an already refanged value changes nothing.
    """
    text = _strip_wrapping(str(raw or ""))
    for pattern, replacement in _REFANG_RULES:
        text = pattern.sub(replacement, text)
    return _strip_wrapping(text)


# "Evil Sender <evil@evil.example>" and '"Evil Sender" <evil@evil.example>' as mail clients show them.
_DISPLAY_NAME_RE = re.compile(r"^[^<>@]*<(?:mailto:)?([^<>\s]+@[^<>\s]+)>$", re.IGNORECASE)
# Punctuation that ends the sentence a URL was quoted in, not the URL.
_TRAILING_PUNCTUATION = ".,;:!?"
_CLOSING = {")": "(", "]": "[", "}": "{", ">": "<"}


def _trim_url(text):
    """``text`` without the sentence punctuation and unbalanced brackets that follow it.

    ``http://evil.example/path).`` loses ``).``; ``/wiki/Thing_(film)`` keeps its balanced
    parenthesis and ``?dw=<NNNN>`` its ``>``.
    """
    while text:
        last = text[-1]
        if (
            last in _TRAILING_PUNCTUATION
            or last in _CLOSING
            and text.count(last) > text.count(_CLOSING[last])
        ):
            text = text[:-1]
        else:
            return text
    return text


def _prepare(raw):
    """Refanged ``raw``, with a display name and the punctuation around a URL taken off."""
    text = refang(raw)
    match = _DISPLAY_NAME_RE.match(text)
    if match:
        return match.group(1)
    if _SCHEME_RE.match(text) or _SCHEMELESS_URL_RE.match(text):
        return _trim_url(text)
    return text


# --- detection -----------------------------------------------------------------------------

_HEX = frozenset(string.hexdigits)
_HASH_LENGTHS = {
    32: IndicatorType.MD5,
    40: IndicatorType.SHA1,
    64: IndicatorType.SHA256,
    70: IndicatorType.TLSH,  # a TLSH digest written without its "T1" version prefix
    128: IndicatorType.SHA512,
}
# blocksize:hash:hash, the form ssdeep prints (the quoted file name it may append dropped).
_SSDEEP_RE = re.compile(r'^(\d{1,10}):([A-Za-z0-9/+]{1,64}):([A-Za-z0-9/+]{1,64})(?:,".*")?$')
_TLSH_RE = re.compile(r"^(?:T1)?([0-9A-F]{70})$", re.IGNORECASE)
_SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.\-]*://", re.IGNORECASE)
# A bare host followed by a path, query or port: "evil.example/login.php", "evil.example:8080/".
_SCHEMELESS_URL_RE = re.compile(r"^[^\s/?#@:]+\.[^\s/?#@:]+(?:(?::\d{1,5})?[/?#]|:\d{1,5}$)")
# An address and port as reports write a C2 endpoint: "45.80.149.108:8080", "[2001:db8::1]:443".
_IP_PORT_RE = re.compile(
    r"^(?:(\d{1,3}(?:\.\d{1,3}){3})|\[([0-9a-f:.]+)\]):(\d{1,5})$", re.IGNORECASE
)
# Full-width and ideographic full stops (。．｡) separate domain labels as "." does.
_DOTS_RE = re.compile("[\u3002\uff0e\uff61]")
# Wildcards, ranges and alternatives: a pattern standing for many values, not one indicator.
_PATTERN_RE = re.compile(r"[{}*?|\[\]]")

# File extensions that make "name.ext" a file name rather than a domain. Extensions that
# are also top-level domains (.com, .zip, .sh, .so, .py, .pl, .rs, .mov, .one, .cab) are left out:
# give the type explicitly for those.
FILE_EXTENSIONS = frozenset(
    [
        "exe",
        "dll",
        "sys",
        "scr",
        "bat",
        "cmd",
        "ps1",
        "psm1",
        "vbs",
        "vbe",
        "js",
        "jse",
        "wsf",
        "wsh",
        "hta",
        "lnk",
        "msi",
        "msp",
        "msc",
        "cpl",
        "jar",
        "class",
        "apk",
        "ipa",
        "dmg",
        "pkg",
        "deb",
        "rpm",
        "elf",
        "bin",
        "dylib",
        "o",
        "iso",
        "img",
        "vhd",
        "vhdx",
        "doc",
        "docx",
        "docm",
        "dot",
        "dotm",
        "xls",
        "xlsx",
        "xlsm",
        "xlsb",
        "ppt",
        "pptx",
        "pptm",
        "rtf",
        "pdf",
        "odt",
        "ods",
        "odp",
        "txt",
        "csv",
        "log",
        "ini",
        "cfg",
        "conf",
        "json",
        "xml",
        "html",
        "htm",
        "svg",
        "eml",
        "msg",
        "rar",
        "7z",
        "gz",
        "tgz",
        "bz2",
        "xz",
        "tar",
        "arj",
        "ace",
        "lzh",
        "z",
        "png",
        "jpg",
        "jpeg",
        "gif",
        "bmp",
        "ico",
        "tmp",
        "dat",
        "db",
        "sqlite",
        "bak",
        "php",
        "asp",
        "aspx",
        "jsp",
        "war",
    ]
)


def detect_type(raw: str) -> str:
    """The :class:`IndicatorType` value ``raw`` (possibly defanged) most likely is."""
    text = _prepare(raw)
    if not text:
        raise ValidationError(_("The value is empty."), code="empty")
    if len(text) > MAX_LENGTH:
        raise ValidationError(
            _("The value is too long (%(length)d characters, at most %(max)d).")
            % {"length": len(text), "max": MAX_LENGTH},
            code="too_long",
        )

    if _SSDEEP_RE.match(text):
        return IndicatorType.SSDEEP
    if text[:2] in ("T1", "t1") and _TLSH_RE.match(text):
        return IndicatorType.TLSH
    if all(c in _HEX for c in text):
        if len(text) in _HASH_LENGTHS:
            return _HASH_LENGTHS[len(text)]
        if len(text) >= 16 and not text.isdigit():
            raise ValidationError(
                _(
                    "This looks like a hash but has %(length)d hexadecimal characters; "
                    "MD5 has 32, SHA-1 40, SHA-256 64, TLSH 70 and SHA-512 128."
                )
                % {"length": len(text)},
                code="hash_length",
            )

    if "/" in text and not _SCHEME_RE.match(text):
        try:
            ipaddress.ip_network(text, strict=False)
        except ValueError:
            pass
        else:
            return IndicatorType.CIDR

    bare = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    port_match = _IP_PORT_RE.match(text)
    if port_match:
        bare = port_match.group(1) or port_match.group(2)
    try:
        address = ipaddress.ip_address(bare)
    except ValueError:
        pass
    else:
        return IndicatorType.IPV4 if address.version == 4 else IndicatorType.IPV6

    if _SCHEME_RE.match(text) or _SCHEMELESS_URL_RE.match(text):
        return IndicatorType.URL

    if "@" in text and (
        not any(c.isspace() for c in text) or _QUOTED_LOCAL_RE.match(text.rpartition("@")[0])
    ):
        return IndicatorType.EMAIL

    if _PATTERN_RE.search(text):
        raise ValidationError(
            _(
                "“%(value)s” is a pattern (wildcards, ranges or alternatives stand for many "
                "values), not an indicator; list the values one by one."
            )
            % {"value": _shorten(text)},
            code="pattern",
        )

    text = _DOTS_RE.sub(".", text)
    if "." in text and not any(c in "/\\" for c in text):
        extension = text.rsplit(".", 1)[1].lower()
        if extension in FILE_EXTENSIONS:
            return IndicatorType.FILENAME
        try:
            _normalise_domain(text)
        except ValidationError:
            pass
        else:
            return IndicatorType.DOMAIN
        if _looks_like_dotted_quad(text):
            # "999.1.2.3" or "1.2.3": an attempt at an IPv4 address, not a file name.
            raise ValidationError(
                _("“%(value)s” is not a valid IPv4 address.") % {"value": text},
                code="invalid_ipv4",
            )
        if extension and extension.isalnum() and not extension.isdigit():
            return IndicatorType.FILENAME

    raise ValidationError(
        _(
            "“%(value)s” is not a recognised indicator (IP address, network, domain, URL, "
            "email address, MD5/SHA-1/SHA-256/SHA-512, SSDEEP or TLSH hash or file name)."
        )
        % {"value": _shorten(text)},
        code="unrecognised",
    )


def _looks_like_dotted_quad(text):
    parts = text.split(".")
    return 2 <= len(parts) <= 5 and all(p.isdigit() for p in parts)


def _shorten(text, limit=80):
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- normalisation -------------------------------------------------------------------------


def normalise(type: str, raw: str) -> str:
    """The canonical text of ``raw`` as an indicator of ``type``."""
    try:
        normaliser = _NORMALISERS[IndicatorType(type)]
    except (ValueError, KeyError):  # a STIX pattern comes from an import, never typed
        raise ValidationError(
            _("“%(type)s” is not an indicator type.") % {"type": type}, code="invalid_type"
        ) from None
    text = _prepare(raw)
    if not text:
        raise ValidationError(_("The value is empty."), code="empty")
    if len(text) > MAX_LENGTH:
        raise ValidationError(
            _("The value is too long (%(length)d characters, at most %(max)d).")
            % {"length": len(text), "max": MAX_LENGTH},
            code="too_long",
        )
    value = normaliser(text)
    if len(value) > MAX_LENGTH:
        raise ValidationError(
            _("The value is too long once normalised (%(length)d characters, at most %(max)d).")
            % {"length": len(value), "max": MAX_LENGTH},
            code="too_long",
        )
    return value


def _without_port(text):
    """The address of "address:port"; a blocklist or a firewall rule names the host."""
    match = _IP_PORT_RE.match(text)
    if not match:
        return text
    if not 0 < int(match.group(3)) <= 65535:
        raise ValidationError(
            _("“%(value)s” has an invalid port (1 to 65535).") % {"value": _shorten(text)},
            code="invalid_port",
        )
    return match.group(1) or match.group(2)


def _normalise_ipv4(text):
    text = _without_port(text)
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        raise ValidationError(
            _("“%(value)s” is not a valid IPv4 address.") % {"value": _shorten(text)},
            code="invalid_ipv4",
        ) from None


def _normalise_ipv6(text):
    text = _without_port(text)
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if "%" in text:
        raise ValidationError(
            _("An IPv6 address with a zone (“%”) is local to one machine; leave the zone out."),
            code="invalid_ipv6",
        )
    try:
        return str(ipaddress.IPv6Address(text))
    except ValueError:
        raise ValidationError(
            _("“%(value)s” is not a valid IPv6 address.") % {"value": _shorten(text)},
            code="invalid_ipv6",
        ) from None


def _normalise_cidr(text):
    if "/" not in text:
        raise ValidationError(
            _("A network needs a prefix length, such as 192.0.2.0/24."), code="invalid_cidr"
        )
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValidationError(
            _("“%(value)s” is not a valid network (CIDR), such as 192.0.2.0/24.")
            % {"value": _shorten(text)},
            code="invalid_cidr",
        ) from None
    return str(network)


_LABEL_RE = re.compile(r"^[a-z0-9_](?:[a-z0-9_\-]{0,61}[a-z0-9_])?$")


def _normalise_domain(text):
    domain = text.rstrip(".") if text.endswith(".") and not text.endswith("..") else text
    invalid = ValidationError(
        _("“%(value)s” is not a valid domain name.") % {"value": _shorten(text)},
        code="invalid_domain",
    )
    if not domain or any(c.isspace() for c in domain):
        raise invalid
    # Full-width and ideographic dots (。．｡) separate labels too.
    domain = re.sub("[\u3002\uff0e\uff61]", ".", domain)
    labels = domain.split(".")
    if len(labels) < 2 or any(label == "" for label in labels):
        raise invalid
    ascii_labels = []
    for label in labels:
        if label.isascii():
            ascii_label = label.lower()
        else:
            try:
                ascii_label = idna.encode(label, uts46=True).decode("ascii")
            except idna.IDNAError:
                raise ValidationError(
                    _("“%(label)s” is not a valid internationalised domain label.")
                    % {"label": label},
                    code="invalid_domain",
                ) from None
        if ascii_label.startswith("xn--"):
            try:
                idna.decode(ascii_label)
            except idna.IDNAError:
                raise ValidationError(
                    _("“%(label)s” is not a valid punycode label.") % {"label": ascii_label},
                    code="invalid_domain",
                ) from None
        if not _LABEL_RE.match(ascii_label):
            raise invalid
        ascii_labels.append(ascii_label)
    tld = ascii_labels[-1]
    if tld.isdigit() or "_" in tld:
        raise invalid
    result = ".".join(ascii_labels)
    if len(result) > 253:
        raise ValidationError(_("A domain name has at most 253 characters."), code="invalid_domain")
    return result


def _normalise_host(host, text):
    """The canonical host part of a URL: IP addresses canonical, domains as IDNA."""
    if host.startswith("[") and host.endswith("]"):
        return "[" + _normalise_ipv6(host[1:-1]) + "]"
    try:
        return str(ipaddress.IPv4Address(host))
    except ValueError:
        pass
    if host.isdigit() and int(host) < 2**32:
        # "http://3232235777/" is how browsers read a whole-number IPv4 address.
        return str(ipaddress.IPv4Address(int(host)))
    if _looks_like_dotted_quad(host):
        raise ValidationError(
            _("“%(value)s” has an invalid IPv4 address as its host.") % {"value": _shorten(text)},
            code="invalid_url",
        )
    if "." not in host.rstrip("."):
        # Single-label hosts ("localhost", intranet names) are legal in URLs.
        if not _LABEL_RE.match(host.lower()):
            raise ValidationError(
                _("“%(value)s” has an invalid host.") % {"value": _shorten(text)},
                code="invalid_url",
            )
        return host.lower()
    return _normalise_domain(host)


_DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21, "ws": 80, "wss": 443}
# RFC 3986 section 2.3: percent-encoded unreserved characters are decoded.
_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_PERCENT_RE = re.compile(r"%([0-9A-Fa-f]{2})")
# Characters left as they are when re-encoding a path, query or fragment.
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"
_SAFE_QUERY = _SAFE_PATH + "?"


def _normalise_percent(component, safe):
    """Upper-case escapes, decode escaped unreserved characters, encode what must be."""

    def fix(match):
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    component = _PERCENT_RE.sub(fix, component)
    # A "%" not followed by two hex digits is a literal percent sign: encode it.
    component = re.sub(r"%(?![0-9A-F]{2})", "%25", component)
    return quote(component, safe=safe)


def _normalise_url(text):
    if not _SCHEME_RE.match(text):
        if re.match(r"^[a-z][a-z0-9+.\-]*:(?!\d)", text, re.IGNORECASE):
            raise ValidationError(
                _("Only URLs with a host are supported, such as http://, https:// or ftp://."),
                code="invalid_url",
            )
        # Indicator feeds often leave the scheme out ("evil.example/login.php").
        text = "http://" + text
    if any(c.isspace() or unicodedata.category(c) == "Cc" for c in text):
        raise ValidationError(
            _("A URL cannot contain spaces or control characters; encode them as %20."),
            code="invalid_url",
        )
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValidationError(
            _("“%(value)s” is not a valid URL.") % {"value": _shorten(text)}, code="invalid_url"
        ) from None
    scheme = parts.scheme.lower()
    netloc = parts.netloc
    userinfo, _at, hostport = netloc.rpartition("@")
    host = hostport
    if hostport.startswith("["):
        host = hostport[: hostport.find("]") + 1]
    elif ":" in hostport:
        host = hostport.rsplit(":", 1)[0]
    if not host:
        raise ValidationError(
            _("“%(value)s” has no host.") % {"value": _shorten(text)}, code="invalid_url"
        )
    host = _normalise_host(unquote(host) if "%" in host else host, text)
    netloc = host
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{host}:{port}"
    if _at:
        netloc = _normalise_percent(userinfo, "!$&'()*+,;=:-._~%") + "@" + netloc
    path = _normalise_percent(parts.path, _SAFE_PATH)
    if not path and scheme in ("http", "https"):
        path = "/"
    query = _normalise_percent(parts.query, _SAFE_QUERY)
    fragment = _normalise_percent(parts.fragment, _SAFE_QUERY)
    return urlunsplit(SplitResult(scheme, netloc, path, query, fragment))


# RFC 5322 quoted string: printable characters and blanks, with \" and \\ escaped.
_QUOTED_LOCAL_RE = re.compile(r'^"(?:[^"\\\r\n]|\\[^\r\n])*"$')


def _normalise_email(text):
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:") :]
    local, at, domain = text.rpartition("@")
    invalid = ValidationError(
        _("“%(value)s” is not a valid email address.") % {"value": _shorten(text)},
        code="invalid_email",
    )
    quoted = bool(_QUOTED_LOCAL_RE.match(local))
    if not at or not local or not domain or any(c.isspace() for c in domain):
        raise invalid
    if not quoted and any(c.isspace() for c in local):
        raise invalid
    if not quoted and "\\" in local:
        # A backslash is only legal inside a quoted local part; outside one it is left over
        # from escaping in the report, and guessing what was meant could block a stranger.
        raise ValidationError(
            _(
                "“%(value)s”: a backslash is not allowed in an email address outside quotes; "
                "remove it if it came from escaping in the source."
            )
            % {"value": _shorten(text)},
            code="invalid_email",
        )
    if len(local) > 64:
        raise ValidationError(
            _("The part before “@” has at most 64 characters."), code="invalid_email"
        )
    if any(unicodedata.category(c) == "Cc" for c in local) or (
        "@" in local and not (local.startswith('"') and local.endswith('"'))
    ):
        raise invalid
    try:
        domain = _normalise_domain(domain)
    except ValidationError:
        raise ValidationError(
            _("“%(value)s” has an invalid domain after “@”.") % {"value": _shorten(text)},
            code="invalid_email",
        ) from None
    # The local part is case-sensitive in principle (RFC 5321): keep it as written.
    return f"{local}@{domain}"


def _hash_normaliser(type_, length):
    def normalise_hash(text):
        value = text.lower()
        if not all(c in _HEX for c in value):
            raise ValidationError(
                _("%(type)s: only hexadecimal characters (0-9, a-f) are allowed.")
                % {"type": type_.label},
                code="invalid_hash",
            )
        if len(value) != length:
            raise ValidationError(
                _("%(type)s has %(expected)d hexadecimal characters; this value has %(length)d.")
                % {"type": type_.label, "expected": length, "length": len(value)},
                code="hash_length",
            )
        return value

    return normalise_hash


def _normalise_ssdeep(text):
    match = _SSDEEP_RE.match(text.strip())
    if not match:
        raise ValidationError(
            _("“%(value)s” is not an SSDEEP hash (block size:hash:hash).")
            % {"value": _shorten(text)},
            code="invalid_hash",
        )
    # Base64 digits are case-sensitive: only the appended file name is dropped.
    return ":".join(match.groups())


def _normalise_tlsh(text):
    match = _TLSH_RE.match(text.strip())
    if not match:
        raise ValidationError(
            _("“%(value)s” is not a TLSH hash (70 hexadecimal characters, after “T1”).")
            % {"value": _shorten(text)},
            code="invalid_hash",
        )
    # One digest, two spellings: stored with its version prefix, as TLSH 4 prints it.
    return "T1" + match.group(1).upper()


def _normalise_filename(text):
    name = unicodedata.normalize("NFC", text)
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        raise ValidationError(
            _("A file name cannot contain control or invisible characters."),
            code="invalid_filename",
        )
    if re.search(r"\{[^{}]*,[^{}]*\}", name):
        raise ValidationError(
            _(
                "“%(value)s” is a pattern ({a,b} stands for several names), not a file name; "
                "list the names one by one."
            )
            % {"value": _shorten(name)},
            code="pattern",
        )
    if "/" in name or "\\" in name:
        raise ValidationError(
            _("Give the file name without its folder (no “/” or “\\”)."),
            code="invalid_filename",
        )
    if name in (".", ".."):
        raise ValidationError(
            _("“%(value)s” is not a file name.") % {"value": name}, code="invalid_filename"
        )
    if len(name) > 255:
        raise ValidationError(_("A file name has at most 255 characters."), code="invalid_filename")
    return name


_NORMALISERS = {
    IndicatorType.IPV4: _normalise_ipv4,
    IndicatorType.IPV6: _normalise_ipv6,
    IndicatorType.CIDR: _normalise_cidr,
    IndicatorType.DOMAIN: _normalise_domain,
    IndicatorType.URL: _normalise_url,
    IndicatorType.EMAIL: _normalise_email,
    IndicatorType.MD5: _hash_normaliser(IndicatorType.MD5, 32),
    IndicatorType.SHA1: _hash_normaliser(IndicatorType.SHA1, 40),
    IndicatorType.SHA256: _hash_normaliser(IndicatorType.SHA256, 64),
    IndicatorType.SHA512: _hash_normaliser(IndicatorType.SHA512, 128),
    IndicatorType.SSDEEP: _normalise_ssdeep,
    IndicatorType.TLSH: _normalise_tlsh,
    IndicatorType.IMPHASH: _hash_normaliser(IndicatorType.IMPHASH, 32),
    IndicatorType.FILENAME: _normalise_filename,
}
