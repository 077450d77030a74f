"""MISP warning lists: what breaks networks when blocked is recognised, and read once."""

import pytest

from coordination.intel import warninglists
from coordination.intel.choices import IndicatorType as T
from coordination.intel.warninglists import warning_lists


@pytest.mark.parametrize(
    ("type_", "value", "list_name"),
    [
        (T.IPV4, "0.0.0.0", "List of RFC 5735 CIDR blocks"),
        (T.IPV4, "127.0.0.1", "List of RFC 5735 CIDR blocks"),
        (T.IPV4, "255.255.255.255", "List of RFC 5735 CIDR blocks"),
        (T.CIDR, "10.0.0.0/8", "List of RFC 1918 CIDR blocks"),
        (T.CIDR, "10.1.2.0/24", "List of RFC 1918 CIDR blocks"),
        (T.IPV4, "192.168.1.1", "List of RFC 1918 CIDR blocks"),
        (T.IPV4, "203.0.113.9", "List of RFC 5735 CIDR blocks"),
        (T.IPV6, "2001:db8::1", "List of RFC 3849 CIDR blocks"),
        (T.IPV4, "1.1.1.1", "List of known IPv4 public DNS resolvers"),
        (T.DOMAIN, "google.com", "Top 1000 website from Alexa"),
        (T.DOMAIN, "co.uk", "Second level TLDs as known by Mozilla Foundation"),
        (T.URL, "https://google.com/search", "Top 1000 website from Alexa"),
        (T.MD5, "d41d8cd98f00b204e9800998ecf8427e", "List of known hashes for empty files"),
    ],
)
def test_values_that_break_networks_are_on_a_warning_list(type_, value, list_name):
    assert list_name in warning_lists(type_, value)


def test_a_network_wider_than_a_listed_one_is_flagged():
    # Blocking 0.0.0.0/0 or 8.0.0.0/7 blocks the resolvers and private ranges inside.
    assert warning_lists(T.CIDR, "0.0.0.0/0")
    assert "List of known IPv4 public DNS resolvers" in warning_lists(T.CIDR, "8.0.0.0/7")


@pytest.mark.parametrize(
    ("type_", "value"),
    [
        (T.IPV4, "45.80.149.108"),
        (T.CIDR, "45.80.148.0/24"),
        (T.DOMAIN, "evil.example"),
        (T.URL, "http://evil.example/a"),
        (T.SHA256, "e3b0" + "0" * 60),
    ],
)
def test_ordinary_malicious_values_are_on_no_list(type_, value):
    assert warning_lists(type_, value) == []


def test_dynamic_dns_is_no_warning_list_here():
    # Attackers rent dynamic DNS names and datacenter addresses: blocking one is the point.
    assert "List of known dynamic DNS domains" not in warning_lists(T.DOMAIN, "evil.duckdns.org")


def test_a_list_applies_only_to_the_types_it_names():
    # The resolver list is for IP addresses: the same text as a file name is no warning.
    assert warning_lists(T.FILENAME, "8.8.8.8") == []


def test_the_lists_are_read_once_per_process(monkeypatch):
    calls = []
    real = warninglists._load

    def counting():
        calls.append(1)
        return real()

    monkeypatch.setattr(warninglists, "_index", None)
    monkeypatch.setattr(warninglists, "_load", counting)
    for _ in range(3):
        warning_lists(T.IPV4, "10.0.0.1")

    assert calls == [1]
