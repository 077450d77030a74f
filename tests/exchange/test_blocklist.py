"""Plain-text blocklists for firewalls and DNS filters, per incident and per collection."""

import re

import pytest
from django.urls import reverse

from coordination.exchange.collections import agency_collection_id, incident_collection_id
from coordination.intel.actions import allow_in_blocklists
from coordination.intel.choices import IndicatorType
from coordination.intel.models import Indicator
from incidents.choices import TLP
from tests.factories import make_incident


def incident_url(incident):
    return reverse("exchange:incident_blocklist", args=[incident.reference])


def collection_url(collection_id):
    return reverse("exchange:collection_blocklist", kwargs={"collection_id": collection_id})


def body(response):
    return b"".join(response.streaming_content).decode()


def lines(response):
    """The values of a blocklist, without its header comment line."""
    header, *values = body(response).splitlines()
    assert header.startswith("# Concord blocklist: ")
    return values


@pytest.fixture
def mixed(incident, lead_user, add_indicator):
    add_indicator(incident, IndicatorType.IPV4, "45.80.149.108", by=lead_user)
    add_indicator(incident, IndicatorType.CIDR, "45.80.148.0/24", by=lead_user)
    add_indicator(incident, IndicatorType.IPV6, "2a0e:1c80:1::1", by=lead_user)
    add_indicator(incident, IndicatorType.CIDR, "2a0e:1c80::/32", by=lead_user)
    add_indicator(incident, IndicatorType.DOMAIN, "evil.example", by=lead_user, tlp=TLP.GREEN)
    add_indicator(incident, IndicatorType.URL, "http://evil.example/a", by=lead_user)
    add_indicator(incident, IndicatorType.SHA256, "e3b0" + "0" * 60, by=lead_user)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "status"),
    [("lead_user", 200), ("invited_user", 200), ("outsider", 404), (None, 401)],
)
def test_incident_blocklist_by_persona(client, request, incident, mixed, persona, status):
    if persona:
        client.force_login(request.getfixturevalue(persona))

    response = client.get(incident_url(incident) + "?type=ipv4")

    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "text/plain; charset=utf-8"
    else:
        assert b"45.80.149.108" not in response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "status"),
    [("lead_user", 200), ("invited_user", 200), ("outsider", 404), (None, 401)],
)
def test_incident_collection_blocklist_by_persona(
    client, request, incident, mixed, persona, status
):
    if persona:
        client.force_login(request.getfixturevalue(persona))

    response = client.get(
        collection_url(incident_collection_id(incident.reference)) + "?type=domain"
    )

    assert response.status_code == status


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?type=ipv4", ["45.80.148.0/24", "45.80.149.108"]),
        ("?type=ipv6", ["2a0e:1c80:1::1", "2a0e:1c80::/32"]),
        ("?type=domain", ["evil.example"]),
        ("?type=url", ["http://evil.example/a"]),
        ("?type=sha256", ["e3b0" + "0" * 60]),
    ],
)
def test_one_type_per_file_with_ipv4_and_ipv6_apart(
    client, lead_user, incident, mixed, query, expected
):
    client.force_login(lead_user)

    response = client.get(incident_url(incident) + query)

    assert response.status_code == 200
    assert lines(response) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "?type=ipv4,domain", "?type=ipv4&type=ipv6"])
def test_a_blocklist_without_exactly_one_type_is_400_naming_the_types(
    client, lead_user, incident, mixed, query
):
    client.force_login(lead_user)

    response = client.get(incident_url(incident) + query)

    assert response.status_code == 400
    assert b"one type" in response.content
    assert b"ipv4, ipv6, domain" in response.content


@pytest.mark.django_db
def test_networks_are_in_the_ipv4_and_ipv6_files(client, lead_user, incident, mixed):
    client.force_login(lead_user)

    response = client.get(incident_url(incident) + "?type=cidr")

    assert response.status_code == 400
    assert b"ipv4 and ipv6" in response.content


@pytest.mark.django_db
def test_header_line_says_what_the_file_is_and_when_it_was_made(client, lead_user, incident, mixed):
    client.force_login(lead_user)

    response = client.get(incident_url(incident) + "?type=ipv4")

    header = body(response).splitlines()[0]
    assert header.startswith("# Concord blocklist: IPv4 addresses and networks of incident ")
    assert incident.reference in header
    assert re.search(r"made \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", header)
    assert response["Content-Disposition"].endswith(f'{incident.reference}-blocklist-ipv4.txt"')


@pytest.mark.django_db
def test_domains_as_a_response_policy_zone_with_semicolon_comments(
    client, lead_user, incident, mixed
):
    client.force_login(lead_user)

    response = client.get(incident_url(incident) + "?type=domain&format=rpz")

    zone = body(response).splitlines()
    assert zone[0].startswith("; Concord blocklist: Domain names of incident ")
    assert zone[1] == "$TTL 300"
    assert zone[2].startswith("@ IN SOA ")
    assert zone[-2:] == ["evil.example CNAME .", "*.evil.example CNAME ."]
    assert client.get(incident_url(incident) + "?type=ipv4&format=rpz").status_code == 400


@pytest.mark.django_db
def test_unknown_type_is_400_naming_the_allowed_types(client, lead_user, incident, mixed):
    client.force_login(lead_user)

    response = client.get(incident_url(incident) + "?type=ipv5")

    assert response.status_code == 400
    assert b"ipv5" in response.content
    assert b"ipv4" in response.content


@pytest.mark.django_db
def test_red_never_and_amber_strict_only_for_the_owning_agency(
    client, lead_user, invited_user, incident, add_indicator
):
    add_indicator(incident, IndicatorType.IPV4, "45.80.149.1", by=lead_user, tlp=TLP.RED)
    add_indicator(incident, IndicatorType.IPV4, "45.80.149.2", by=lead_user, tlp=TLP.AMBER_STRICT)
    add_indicator(incident, IndicatorType.IPV4, "45.80.149.3", by=lead_user, tlp=TLP.CLEAR)

    client.force_login(lead_user)
    for_lead = lines(client.get(incident_url(incident) + "?type=ipv4"))
    client.force_login(invited_user)
    for_invited = lines(client.get(incident_url(incident) + "?type=ipv4"))

    assert for_lead == ["45.80.149.2", "45.80.149.3"]
    assert for_invited == ["45.80.149.3"]


@pytest.mark.django_db
def test_red_incident_blocklist_is_empty(client, lead_user, add_indicator):
    red = make_incident(lead_user, tlp=TLP.RED)
    add_indicator(red, IndicatorType.IPV4, "45.80.149.1", by=lead_user, tlp=TLP.RED)
    client.force_login(lead_user)

    assert lines(client.get(incident_url(red) + "?type=ipv4")) == []


@pytest.mark.django_db
def test_agency_collection_blocklist_merges_incidents_without_duplicates(
    client, lead_user, outsider, incident, add_indicator, token_for
):
    add_indicator(incident, IndicatorType.DOMAIN, "evil.example", by=lead_user)
    second = make_incident(lead_user)
    add_indicator(second, IndicatorType.DOMAIN, "evil.example", by=lead_user)
    add_indicator(second, IndicatorType.DOMAIN, "worse.example", by=lead_user)
    foreign = make_incident(outsider)
    add_indicator(foreign, IndicatorType.DOMAIN, "spanish.example", by=outsider)

    response = client.get(
        collection_url(agency_collection_id(lead_user.agency_id)) + "?type=domain",
        HTTP_AUTHORIZATION=f"Bearer {token_for(lead_user)}",
    )

    assert lines(response) == ["evil.example", "worse.example"]


@pytest.mark.django_db
def test_another_agencys_collection_blocklist_is_404(client, lead_user, outsider):
    client.force_login(outsider)

    response = client.get(collection_url(agency_collection_id(lead_user.agency_id)))

    assert response.status_code == 404


@pytest.mark.django_db
def test_value_with_a_line_break_cannot_inject_a_second_line(
    client, lead_user, incident, add_indicator
):
    add_indicator(incident, IndicatorType.FILENAME, "a.exe\n0.0.0.0/0", by=lead_user)
    add_indicator(incident, IndicatorType.FILENAME, "b.exe", by=lead_user)
    client.force_login(lead_user)

    assert lines(client.get(incident_url(incident) + "?type=filename")) == ["b.exe"]


@pytest.mark.django_db
def test_blocklist_queries_do_not_grow_with_values(
    client, lead_user, incident, add_indicator, django_assert_max_num_queries
):
    for n in range(1, 80):
        add_indicator(incident, IndicatorType.IPV4, f"45.80.149.{n}", by=lead_user)
    client.force_login(lead_user)

    with django_assert_max_num_queries(6):
        response = client.get(incident_url(incident) + "?type=ipv4")
        assert len(lines(response)) == 79


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("type_", "value", "kind"),
    [
        (IndicatorType.IPV4, "0.0.0.0", "ipv4"),
        (IndicatorType.IPV4, "127.0.0.1", "ipv4"),
        (IndicatorType.IPV4, "255.255.255.255", "ipv4"),
        (IndicatorType.CIDR, "10.0.0.0/8", "ipv4"),
        (IndicatorType.IPV4, "192.168.1.1", "ipv4"),
        (IndicatorType.IPV4, "198.51.100.7", "ipv4"),
        (IndicatorType.IPV4, "8.8.8.8", "ipv4"),
        (IndicatorType.IPV6, "2001:db8::1", "ipv6"),
        (IndicatorType.DOMAIN, "google.com", "domain"),
        (IndicatorType.MD5, "d41d8cd98f00b204e9800998ecf8427e", "md5"),
    ],
)
def test_warning_listed_values_are_left_out_and_shown_on_the_export_panel(
    client, lead_user, incident, add_indicator, type_, value, kind
):
    add_indicator(incident, type_, value, by=lead_user)
    client.force_login(lead_user)

    assert lines(client.get(incident_url(incident) + f"?type={kind}")) == []
    panel = client.get(reverse("exchange:incident_panel", args=[incident.reference]))
    html = panel.content.decode()
    assert "Left out of blocklists" in html
    assert value in html
    assert "List of" in html or "Top" in html or "hashes" in html


@pytest.mark.django_db
def test_an_analyst_allowing_the_indicator_puts_it_back(client, lead_user, incident, add_indicator):
    indicator = add_indicator(incident, IndicatorType.IPV4, "8.8.8.8", by=lead_user)
    add_indicator(incident, IndicatorType.IPV4, "45.80.149.108", by=lead_user)
    client.force_login(lead_user)
    assert lines(client.get(incident_url(incident) + "?type=ipv4")) == ["45.80.149.108"]

    allow_in_blocklists(indicator, lead_user)

    assert lines(client.get(incident_url(incident) + "?type=ipv4")) == [
        "45.80.149.108",
        "8.8.8.8",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["#comment.exe", "two words.exe", ";zone.exe", "tab\there.exe"])
def test_values_read_as_comments_or_two_values_never_reach_a_blocklist(
    client, lead_user, incident, add_indicator, value
):
    Indicator.objects.create(
        incident=incident, type=IndicatorType.FILENAME, value=value, added_by=lead_user
    )
    add_indicator(incident, IndicatorType.FILENAME, "b.exe", by=lead_user)
    client.force_login(lead_user)

    assert lines(client.get(incident_url(incident) + "?type=filename")) == ["b.exe"]


@pytest.mark.django_db
def test_sha512_hashes_have_their_own_list_and_fuzzy_hashes_none(
    client, incident, lead_user, add_indicator
):
    sha512 = "ab" * 64
    add_indicator(incident, IndicatorType.SHA512, sha512, by=lead_user)
    add_indicator(
        incident, IndicatorType.SSDEEP, "3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C", by=lead_user
    )
    client.force_login(lead_user)

    assert lines(client.get(incident_url(incident) + "?type=sha512")) == [sha512]
    refused = client.get(incident_url(incident) + "?type=ssdeep")
    assert refused.status_code == 400
    assert "sha512" in refused.content.decode()
