"""Refanging, type detection and canonical form of indicator values."""

import pytest
from django.core.exceptions import ValidationError

from coordination.intel.choices import IndicatorType as T
from coordination.intel.normalise import detect_type, normalise, refang

MD5 = "d41d8cd98f00b204e9800998ecf8427e"
SHA1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


# --- refang --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("hxxp://evil[.]example/a", "http://evil.example/a"),
        ("hXXps://evil[.]example", "https://evil.example"),
        ("hxxps[:]//evil[.]example", "https://evil.example"),
        ("hxxp[://]evil.example", "http://evil.example"),
        ("meow://evil.example", "http://evil.example"),
        ("fxp://files.example", "ftp://files.example"),
        ("1.2.3[.]4", "1.2.3.4"),
        ("1(.)2(.)3(.)4", "1.2.3.4"),
        ("evil{.}example", "evil.example"),
        ("evil[dot]example", "evil.example"),
        ("evil (dot) example", "evil.example"),
        ("evil\\.example", "evil.example"),
        ("user[@]evil.example", "user@evil.example"),
        ("user(at)evil.example", "user@evil.example"),
        ("user [at] evil [dot] example", "user@evil.example"),
        ("  'evil.example'  ", "evil.example"),
        ("<http://evil.example/>", "http://evil.example/"),
        ("\u200bevil.example\ufeff", "evil.example"),
    ],
)
def test_refang_undoes_common_defanging(raw, expected):
    assert refang(raw) == expected


def test_refang_is_idempotent_and_leaves_plain_values_alone():
    for value in ("http://evil.example/x?a=1", "1.2.3.4", "a@b.example", MD5, "setup.exe"):
        assert refang(value) == value
        assert refang(refang(value)) == value


def test_refang_of_none_is_empty():
    assert refang(None) == ""


# --- detect_type ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("192.0.2.1", T.IPV4),
        ("1.2.3[.]4", T.IPV4),
        ("2001:db8::1", T.IPV6),
        ("[2001:db8::1]", T.IPV6),
        ("::ffff:192.0.2.1", T.IPV6),
        ("192.0.2.0/24", T.CIDR),
        ("192.0.2.7/24", T.CIDR),
        ("2001:db8::/32", T.CIDR),
        ("evil.example", T.DOMAIN),
        ("EVIL.Example.", T.DOMAIN),
        ("bücher.example", T.DOMAIN),
        ("xn--bcher-kva.example", T.DOMAIN),
        ("mail_relay.evil.example", T.DOMAIN),
        ("example.com", T.DOMAIN),
        ("http://evil.example", T.URL),
        ("hxxp://evil[.]example/login.php", T.URL),
        ("evil.example/login.php", T.URL),
        ("evil.example:8080/", T.URL),
        ("192.0.2.1/admin", T.URL),
        ("ftp://files.example/x", T.URL),
        ("user@evil.example", T.EMAIL),
        ("user[@]evil[.]example", T.EMAIL),
        (MD5, T.MD5),
        (MD5.upper(), T.MD5),
        (SHA1, T.SHA1),
        (SHA256, T.SHA256),
        ("invoice.pdf.exe", T.FILENAME),
        ("Invoice 2024.docm", T.FILENAME),
        ("payload.ps1", T.FILENAME),
        ("archive.7z", T.FILENAME),
    ],
)
def test_detect_type_recognises_each_kind(raw, expected):
    assert detect_type(raw) == expected


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("hello", "not a recognised indicator"),
        ("hello world", "not a recognised indicator"),
        ("999.1.2.3", "not a valid IPv4 address"),
        ("1.2.3", "not a valid IPv4 address"),
        ("d41d8cd98f00b204e9800998ecf842", "has 30 hexadecimal characters"),
        ("x" * 3000, "too long"),
    ],
)
def test_detect_type_refuses_with_a_clear_message(raw, fragment):
    with pytest.raises(ValidationError) as excinfo:
        detect_type(raw)
    assert fragment in " ".join(excinfo.value.messages)


def test_detected_type_always_normalises():
    """Whatever detect_type answers, normalise accepts for that type."""
    samples = [
        "1.2.3[.]4",
        "2001:DB8::1",
        "10.0.0.9/8",
        "Evil.Example",
        "hxxps://Evil[.]Example:443/Path?q=1",
        "evil.example/x",
        "Someone@Evil.Example",
        MD5.upper(),
        SHA1,
        SHA256,
        "Invoice 2024.docm",
    ]
    for raw in samples:
        assert normalise(detect_type(raw), raw)


# --- normalise: addresses and networks -----------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "raw", "expected"),
    [
        (T.IPV4, "192.0.2.1", "192.0.2.1"),
        (T.IPV4, " 192.0.2[.]1 ", "192.0.2.1"),
        (T.IPV6, "2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        (T.IPV6, "[2001:db8::1]", "2001:db8::1"),
        (T.IPV6, "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        (T.CIDR, "192.0.2.77/24", "192.0.2.0/24"),
        (T.CIDR, "10.1.2.3/8", "10.0.0.0/8"),
        (T.CIDR, "2001:DB8:0:0::1/32", "2001:db8::/32"),
        (T.CIDR, "192.0.2.1/32", "192.0.2.1/32"),
    ],
)
def test_addresses_and_networks_get_canonical_text(type_, raw, expected):
    assert normalise(type_, raw) == expected


@pytest.mark.parametrize(
    ("type_", "raw", "fragment"),
    [
        (T.IPV4, "256.1.1.1", "not a valid IPv4 address"),
        (T.IPV4, "010.1.1.1", "not a valid IPv4 address"),
        (T.IPV4, "2001:db8::1", "not a valid IPv4 address"),
        (T.IPV6, "192.0.2.1", "not a valid IPv6 address"),
        (T.IPV6, "fe80::1%eth0", "zone"),
        (T.CIDR, "192.0.2.0", "needs a prefix length"),
        (T.CIDR, "192.0.2.0/33", "not a valid network"),
    ],
)
def test_invalid_addresses_are_refused(type_, raw, fragment):
    with pytest.raises(ValidationError) as excinfo:
        normalise(type_, raw)
    assert fragment in " ".join(excinfo.value.messages)


# --- normalise: domains --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Evil.EXAMPLE", "evil.example"),
        ("evil.example.", "evil.example"),
        ("evil[.]example", "evil.example"),
        ("Bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.example", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("пример.испытание", "xn--e1afmkfd.xn--80akhbyknj4f"),
        ("例え。テスト", "xn--r8jz45g.xn--zckzah"),
        ("_dmarc.evil.example", "_dmarc.evil.example"),
    ],
)
def test_domains_become_lower_case_idna(raw, expected):
    assert normalise(T.DOMAIN, raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "localhost",
        "evil..example",
        "-evil.example",
        "evil-.example",
        "evil.123",
        "ev il.example",
        "a" * 64 + ".example",
        ("a" * 60 + ".") * 5 + "example",
        "xn--zz.example",
        "*.evil.example",
    ],
)
def test_invalid_domains_are_refused(raw):
    with pytest.raises(ValidationError):
        normalise(T.DOMAIN, raw)


# --- normalise: URLs -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://Evil.Example/Login.PHP", "http://evil.example/Login.PHP"),
        ("hxxp://evil[.]example", "http://evil.example/"),
        ("https://evil.example:443/a", "https://evil.example/a"),
        ("http://evil.example:80/a", "http://evil.example/a"),
        ("http://evil.example:8080/a", "http://evil.example:8080/a"),
        ("https://evil.example:80/a", "https://evil.example:80/a"),
        ("http://Bücher.example/ä", "http://xn--bcher-kva.example/%C3%A4"),
        ("http://evil.example/a%2fb%7e%41", "http://evil.example/a%2Fb~A"),
        ("http://evil.example/100%", "http://evil.example/100%25"),
        ("http://evil.example/p?Q=A&b=%zz#Frag", "http://evil.example/p?Q=A&b=%25zz#Frag"),
        ("http://[2001:DB8::1]:8080/x", "http://[2001:db8::1]:8080/x"),
        ("http://192.0.2.1/x", "http://192.0.2.1/x"),
        ("http://3221225985/x", "http://192.0.2.1/x"),
        ("http://User:Pass@evil.example/", "http://User:Pass@evil.example/"),
        ("evil.example/login.php", "http://evil.example/login.php"),
        ("ftp://files.example", "ftp://files.example"),
        ("http://intranet/x", "http://intranet/x"),
    ],
)
def test_urls_get_lower_case_scheme_and_host_and_normal_form(raw, expected):
    assert normalise(T.URL, raw) == expected


def test_url_normalisation_is_idempotent():
    for raw in ("http://Bücher.example/ä?x=%7e", "HTTPS://EVIL.example:443", "evil.example/a b"):
        try:
            once = normalise(T.URL, raw)
        except ValidationError:
            continue
        assert normalise(T.URL, once) == once


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("http:///path", "no host"),
        ("http://evil.example/a b", "spaces"),
        ("http://evil.example:99999/", "not a valid URL"),
        ("http://999.1.1.1/", "invalid IPv4"),
        ("mailto:user@evil.example", "with a host"),
        ("http://ev!l.example/", "not a valid domain name"),
    ],
)
def test_invalid_urls_are_refused(raw, fragment):
    with pytest.raises(ValidationError) as excinfo:
        normalise(T.URL, raw)
    assert fragment in " ".join(excinfo.value.messages)


# --- normalise: email ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Someone@Evil.EXAMPLE", "Someone@evil.example"),
        ("someone[@]evil[.]example", "someone@evil.example"),
        ("someone@Bücher.example", "someone@xn--bcher-kva.example"),
        ("mailto:someone@evil.example", "someone@evil.example"),
        ("first.last+tag@evil.example", "first.last+tag@evil.example"),
    ],
)
def test_email_keeps_local_part_and_lower_cases_idna_domain(raw, expected):
    assert normalise(T.EMAIL, raw) == expected


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("someone", "not a valid email address"),
        ("@evil.example", "not a valid email address"),
        ("someone@", "not a valid email address"),
        ("someone@localhost", "invalid domain"),
        ("a@b@evil.example", "not a valid email address"),
        ("x" * 65 + "@evil.example", "at most 64"),
    ],
)
def test_invalid_email_addresses_are_refused(raw, fragment):
    with pytest.raises(ValidationError) as excinfo:
        normalise(T.EMAIL, raw)
    assert fragment in " ".join(excinfo.value.messages)


# --- normalise: hashes and file names ------------------------------------------------------


@pytest.mark.parametrize(("type_", "raw"), [(T.MD5, MD5), (T.SHA1, SHA1), (T.SHA256, SHA256)])
def test_hashes_are_lower_cased(type_, raw):
    assert normalise(type_, "  " + raw.upper() + " ") == raw


@pytest.mark.parametrize(
    ("type_", "raw", "fragment"),
    [
        (T.MD5, MD5[:-1], "has 32 hexadecimal characters; this value has 31"),
        (T.MD5, SHA1, "has 32 hexadecimal characters; this value has 40"),
        (T.SHA1, MD5, "has 40 hexadecimal characters"),
        (T.SHA256, SHA256 + "0", "has 64 hexadecimal characters; this value has 65"),
        (T.SHA256, "g" * 64, "only hexadecimal characters"),
    ],
)
def test_hashes_are_length_and_alphabet_checked(type_, raw, fragment):
    with pytest.raises(ValidationError) as excinfo:
        normalise(type_, raw)
    assert fragment in " ".join(excinfo.value.messages)


def test_file_names_keep_case_and_spaces_but_not_folders():
    assert normalise(T.FILENAME, " Invoice 2024.PDF.exe ") == "Invoice 2024.PDF.exe"
    assert normalise(T.FILENAME, "cafe\u0301.txt") == "caf\u00e9.txt"  # NFC
    for bad in ("C:\\Users\\x\\evil.exe", "/tmp/evil", "a\x00b.exe", "..", "x" * 256):
        with pytest.raises(ValidationError):
            normalise(T.FILENAME, bad)


# --- normalise: general --------------------------------------------------------------------


def test_unknown_type_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        normalise("bitcoin", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT")
    assert "not an indicator type" in excinfo.value.messages[0]


def test_empty_and_overlong_values_are_refused_for_every_type():
    for type_ in T.values:
        with pytest.raises(ValidationError):
            normalise(type_, "  ")
        with pytest.raises(ValidationError):
            normalise(type_, "a" * 3000)


def test_normalise_is_idempotent_for_every_type():
    samples = {
        T.IPV4: "192.0.2[.]1",
        T.IPV6: "2001:DB8::0:1",
        T.CIDR: "192.0.2.9/24",
        T.DOMAIN: "Bücher.Example.",
        T.URL: "HXXPS://Evil[.]Example:443/A%7e?b=%2f",
        T.EMAIL: "Someone@Bücher.example",
        T.MD5: MD5.upper(),
        T.SHA1: SHA1.upper(),
        T.SHA256: SHA256.upper(),
        T.FILENAME: "Invoice.pdf.exe",
    }
    for type_, raw in samples.items():
        once = normalise(type_, raw)
        assert normalise(type_, once) == once, type_


# --- values as reports write them (issue: paste misdetections) -----------------------------


@pytest.mark.parametrize(
    ("raw", "type_", "expected"),
    [
        # An address and port names a C2 endpoint; the indicator is the address.
        ("45.80.149[.]108:8080", T.IPV4, "45.80.149.108"),
        ("[2001:db8::1]:443", T.IPV6, "2001:db8::1"),
        ("evil[.]example:8080", T.URL, "http://evil.example:8080/"),
        # Sentence punctuation after a URL is not part of it.
        ("hxxp://evil[.]com/path).", T.URL, "http://evil.com/path"),
        ("http://evil.example/a,", T.URL, "http://evil.example/a"),
        ("http://evil.example/wiki/Thing_(film).", T.URL, "http://evil.example/wiki/Thing_(film)"),
        # A template URL keeps both its angle brackets.
        (
            "hxxp://evil[.]example/dl?dw=<NNNN>",
            T.URL,
            "http://evil.example/dl?dw=%3CNNNN%3E",
        ),
        ("<http://evil.example/dl?dw=<NNNN>>", T.URL, "http://evil.example/dl?dw=%3CNNNN%3E"),
        # Addresses as mail clients show them.
        ("Evil Sender <evil@evil.example>", T.EMAIL, "evil@evil.example"),
        ('"Evil Sender" <evil[@]evil[.]example>', T.EMAIL, "evil@evil.example"),
        ('"quoted local"@example.com', T.EMAIL, '"quoted local"@example.com'),
        # The ideographic full stop separates labels.
        ("evil。example", T.DOMAIN, "evil.example"),
        ("évil．example", T.DOMAIN, "xn--vil-9la.example"),
    ],
)
def test_values_as_reports_write_them_are_detected_and_normalised(raw, type_, expected):
    assert detect_type(raw) == type_
    assert normalise(type_, raw) == expected


def test_a_template_url_without_its_opening_bracket_loses_only_the_stray_bracket():
    assert normalise(T.URL, "http://evil.example/dl?dw=NNNN>") == "http://evil.example/dl?dw=NNNN"


def test_a_stray_leading_backslash_on_an_email_address_is_refused_with_the_reason():
    # Given a backslash left over from escaping, when detected or normalised as an email,
    # then it is refused rather than guessed, and the message says what to remove.
    raw = r"\user@example.com"
    assert detect_type(raw) == T.EMAIL
    with pytest.raises(ValidationError) as error:
        normalise(T.EMAIL, raw)
    assert error.value.code == "invalid_email"
    assert "backslash" in error.value.messages[0]


def test_a_backslash_inside_a_quoted_local_part_is_kept():
    assert normalise(T.EMAIL, r'"a\"b"@example.com') == r'"a\"b"@example.com'


@pytest.mark.parametrize(
    "raw", ["server-{1,30}[.]example.website", "evil*.example", "c2-[1-9].example.net"]
)
def test_a_pattern_is_refused_as_not_an_indicator(raw):
    with pytest.raises(ValidationError) as error:
        detect_type(raw)
    assert error.value.code == "pattern"
    assert "not an indicator" in error.value.messages[0]


def test_a_brace_pattern_is_never_stored_as_a_file_name_even_when_the_type_is_given():
    with pytest.raises(ValidationError) as error:
        normalise(T.FILENAME, "server-{1,30}[.]example.website")
    assert error.value.code == "pattern"
    with pytest.raises(ValidationError):
        normalise(T.DOMAIN, "server-{1,30}[.]example.website")


@pytest.mark.parametrize("raw", ["45.80.149.108:0", "45.80.149.108:99999", "[2001:db8::1]:70000"])
def test_an_address_with_an_impossible_port_is_refused(raw):
    with pytest.raises(ValidationError) as error:
        normalise(detect_type(raw), raw)
    assert error.value.code == "invalid_port"


# --- hashes beyond MD5, SHA-1 and SHA-256 ----------------------------------------------------

SSDEEP = (
    "96:s4Ud1Lj96tHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8QsO/wqWXLcMSx:sF1LjEtHHlZDrJzrhuyZvHYm8tKp/RWO"
)
TLSH_DIGEST = "A3B2C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ab" * 64, T.SHA512),
        (SSDEEP, T.SSDEEP),
        (f'{SSDEEP},"invoice.exe"', T.SSDEEP),
        (f"T1{TLSH_DIGEST}", T.TLSH),
        (TLSH_DIGEST.lower(), T.TLSH),
    ],
)
def test_sha512_and_fuzzy_hashes_are_recognised(raw, expected):
    assert detect_type(raw) == expected


def test_an_md5_long_value_is_never_guessed_as_an_imphash():
    assert detect_type("f34d5f2d4577ed6d9ceec516c1f5a744") == T.MD5


@pytest.mark.parametrize(
    ("type_", "raw", "expected"),
    [
        (T.SHA512, "AB" * 64, "ab" * 64),
        (T.SSDEEP, f'{SSDEEP},"C:\\\\temp\\\\invoice.exe"', SSDEEP),
        (T.TLSH, TLSH_DIGEST.lower(), f"T1{TLSH_DIGEST}"),
        (T.TLSH, f"t1{TLSH_DIGEST}", f"T1{TLSH_DIGEST}"),
        (T.IMPHASH, "F34D5F2D4577ED6D9CEEC516C1F5A744", "f34d5f2d4577ed6d9ceec516c1f5a744"),
    ],
)
def test_one_hash_has_one_canonical_text(type_, raw, expected):
    assert normalise(type_, raw) == expected


@pytest.mark.parametrize(
    ("type_", "raw", "fragment"),
    [
        (T.SHA512, "ab" * 63, "128 hexadecimal characters"),
        (T.SSDEEP, "96:abc", "not an SSDEEP hash"),
        (T.TLSH, "T1" + "A" * 69, "not a TLSH hash"),
        (T.IMPHASH, "f34d5f2d", "32 hexadecimal characters"),
    ],
)
def test_malformed_hashes_are_refused_with_the_expected_form(type_, raw, fragment):
    with pytest.raises(ValidationError) as excinfo:
        normalise(type_, raw)
    assert fragment in " ".join(excinfo.value.messages)
