"""Plain-text blocklists for firewalls and DNS filters, per incident and per collection."""

import pytest
from django.urls import reverse

from coordination.exchange.collections import agency_collection_id, incident_collection_id
from coordination.intel.choices import IndicatorType
from incidents.choices import TLP
from tests.factories import make_incident


def incident_url(incident):
    return reverse("exchange:incident_blocklist", args=[incident.reference])


def collection_url(collection_id):
    return reverse("exchange:collection_blocklist", kwargs={"collection_id": collection_id})


def lines(response):
    return b"".join(response.streaming_content).decode().splitlines()


@pytest.fixture
def mixed(incident, lead_user, add_indicator):
    add_indicator(incident, IndicatorType.IPV4, "198.51.100.7", by=lead_user)
    add_indicator(incident, IndicatorType.CIDR, "203.0.113.0/24", by=lead_user)
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

    response = client.get(incident_url(incident))

    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "text/plain; charset=utf-8"
    else:
        assert b"198.51.100.7" not in response.content


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

    response = client.get(collection_url(incident_collection_id(incident.reference)))

    assert response.status_code == status


@pytest.mark.django_db
def test_one_value_per_line_sorted_by_type(client, lead_user, incident, mixed):
    client.force_login(lead_user)

    response = client.get(incident_url(incident))

    assert lines(response) == [
        "203.0.113.0/24",
        "evil.example",
        "198.51.100.7",
        "e3b0" + "0" * 60,
        "http://evil.example/a",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?type=ipv4&type=cidr", ["203.0.113.0/24", "198.51.100.7"]),
        ("?type=ipv4,domain", ["evil.example", "198.51.100.7"]),
        ("?type=url", ["http://evil.example/a"]),
    ],
)
def test_filter_by_type(client, lead_user, incident, mixed, query, expected):
    client.force_login(lead_user)

    response = client.get(incident_url(incident) + query)

    assert lines(response) == expected


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
    add_indicator(incident, IndicatorType.IPV4, "198.51.100.1", by=lead_user, tlp=TLP.RED)
    add_indicator(incident, IndicatorType.IPV4, "198.51.100.2", by=lead_user, tlp=TLP.AMBER_STRICT)
    add_indicator(incident, IndicatorType.IPV4, "198.51.100.3", by=lead_user, tlp=TLP.CLEAR)

    client.force_login(lead_user)
    for_lead = lines(client.get(incident_url(incident)))
    client.force_login(invited_user)
    for_invited = lines(client.get(incident_url(incident)))

    assert for_lead == ["198.51.100.2", "198.51.100.3"]
    assert for_invited == ["198.51.100.3"]


@pytest.mark.django_db
def test_red_incident_blocklist_is_empty(client, lead_user, add_indicator):
    red = make_incident(lead_user, tlp=TLP.RED)
    add_indicator(red, IndicatorType.IPV4, "198.51.100.1", by=lead_user, tlp=TLP.RED)
    client.force_login(lead_user)

    assert lines(client.get(incident_url(red))) == []


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
        collection_url(agency_collection_id(lead_user.agency_id)),
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

    assert lines(client.get(incident_url(incident))) == ["b.exe"]


@pytest.mark.django_db
def test_blocklist_queries_do_not_grow_with_values(
    client, lead_user, incident, add_indicator, django_assert_max_num_queries
):
    for n in range(1, 80):
        add_indicator(incident, IndicatorType.IPV4, f"198.51.100.{n}", by=lead_user)
    client.force_login(lead_user)

    with django_assert_max_num_queries(6):
        response = client.get(incident_url(incident))
        assert len(lines(response)) == 79
