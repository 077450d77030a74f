"""TAXII 2.1 server: negotiation, authentication, collections, paging, TLP enforcement."""

import base64
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from coordination.exchange import stix
from coordination.exchange.collections import agency_collection_id, incident_collection_id
from coordination.intel.choices import IndicatorType
from coordination.intel.models import Indicator
from incidents.choices import TLP
from tests.factories import TEST_PASSWORD, make_incident

TAXII = "application/taxii+json;version=2.1"


def basic(user, password=TEST_PASSWORD):
    raw = base64.b64encode(f"{user.username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {raw}", "HTTP_ACCEPT": TAXII}


def taxii_get(client, url, user=None, **extra):
    headers = basic(user) if user else {"HTTP_ACCEPT": TAXII}
    headers.update(extra)
    return client.get(url, **headers)


def collection_url(name, incident, **kwargs):
    return reverse(
        f"taxii:{name}",
        kwargs={"collection_id": incident_collection_id(incident.reference), **kwargs},
    )


def objects(response):
    return response.json().get("objects", [])


def ids_of(kind, response):
    return [o["id"] for o in objects(response) if o["type"] == kind]


def patterns(response):
    return sorted(o["pattern"] for o in objects(response) if o["type"] == "indicator")


# Negotiation and authentication


@pytest.mark.django_db
def test_discovery_names_the_api_root(client, lead_user):
    response = taxii_get(client, reverse("taxii:discovery"), lead_user)

    assert response.status_code == 200
    assert response["Content-Type"] == TAXII
    body = response.json()
    assert body["default"] == "http://testserver/taxii2/api/"
    assert body["api_roots"] == [body["default"]]


@pytest.mark.django_db
def test_api_root_announces_taxii_2_1(client, lead_user):
    response = taxii_get(client, reverse("taxii:api_root"), lead_user)

    assert response.json()["versions"] == [TAXII]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept", "status"),
    [
        (TAXII, 200),
        ("application/taxii+json", 200),
        ("application/taxii+json; version=2.1", 200),
        ("*/*", 200),
        ("application/json", 406),
        ("application/taxii+json;version=2.0", 406),
        ("text/html", 406),
    ],
)
def test_accept_header_negotiation(client, lead_user, accept, status):
    response = taxii_get(client, reverse("taxii:api_root"), lead_user, HTTP_ACCEPT=accept)

    assert response.status_code == status
    assert response["Content-Type"] == TAXII
    if status == 406:
        assert response.json()["http_status"] == "406"


def assert_taxii_error(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == TAXII
    body = response.json()
    assert body["http_status"] == str(status)
    assert body["title"]
    return body


@pytest.mark.django_db
def test_post_with_another_media_type_is_415_and_taxii_post_is_refused_read_only(
    client, lead_user, incident
):
    url = collection_url("objects", incident)
    headers = basic(lead_user)

    wrong_type = client.post(url, data="{}", content_type="application/json", **headers)
    taxii_type = client.post(url, data="{}", content_type=TAXII, **headers)

    assert_taxii_error(wrong_type, 415)
    assert_taxii_error(taxii_type, 403)


@pytest.mark.django_db
def test_anonymous_post_is_401_with_a_challenge_not_403(client, incident):
    response = client.post(
        collection_url("objects", incident), data="{}", content_type=TAXII, HTTP_ACCEPT=TAXII
    )

    assert_taxii_error(response, 401)
    assert response["WWW-Authenticate"].startswith('Basic realm="Concord"')


@pytest.mark.django_db
def test_post_to_an_unknown_collection_is_404(client, lead_user):
    url = reverse(
        "taxii:objects", kwargs={"collection_id": "0" * 8 + "-0000-4000-8000-" + "0" * 12}
    )

    response = client.post(url, data="{}", content_type=TAXII, **basic(lead_user))

    assert_taxii_error(response, 404)


@pytest.mark.django_db
def test_read_only_token_posting_is_403(client, lead_user, incident, token_for):
    response = client.post(
        collection_url("objects", incident),
        data="{}",
        content_type=TAXII,
        HTTP_AUTHORIZATION=f"Bearer {token_for(lead_user)}",
        HTTP_ACCEPT=TAXII,
    )

    assert_taxii_error(response, 403)


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["delete", "put", "patch"])
@pytest.mark.parametrize("name", ["objects", "object", "collection", "manifest"])
def test_methods_taxii_does_not_offer_are_405_taxii_errors(
    client, lead_user, incident, method, name
):
    kwargs = {"object_id": stix.TLP_MARKING_IDS[TLP.CLEAR]} if name == "object" else {}
    url = collection_url(name, incident, **kwargs)

    response = getattr(client, method)(url, **basic(lead_user))

    assert_taxii_error(response, 405)
    assert "GET" in response["Allow"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/taxii2/", "/taxii2/api/", "/taxii2/api/collections/"])
def test_post_where_taxii_takes_none_is_405(client, lead_user, path):
    response = client.post(path, data="{}", content_type=TAXII, **basic(lead_user))

    assert_taxii_error(response, 405)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/taxii2/other-root/",
        "/taxii2/other-root/collections/",
        "/taxii2/api/collections/not-a-uuid/",
        "/taxii2/api/collections/not-a-uuid/objects/",
        "/taxii2/api/status/2d086da7-4bdc-4f91-900e-d77486753710/",
        "/taxii2/api/collections/0bd1b6ad-c7e4-4c82-9b3e-3a6c2b1f1f4e/objects/x/y/z/",
    ],
)
def test_unknown_addresses_are_taxii_404s(client, lead_user, path):
    assert_taxii_error(taxii_get(client, path, lead_user), 404)


@pytest.mark.django_db
def test_unknown_collection_is_a_taxii_404(client, lead_user):
    url = reverse(
        "taxii:collection", kwargs={"collection_id": "2d086da7-4bdc-4f91-900e-d77486753710"}
    )

    assert_taxii_error(taxii_get(client, url, lead_user), 404)


@pytest.mark.django_db
def test_unknown_address_asks_the_anonymous_for_credentials(client):
    response = taxii_get(client, "/taxii2/other-root/")

    assert_taxii_error(response, 401)
    assert "WWW-Authenticate" in response


@pytest.mark.django_db
def test_anonymous_gets_401_with_basic_and_bearer_challenges(client):
    response = taxii_get(client, reverse("taxii:discovery"))

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith('Basic realm="Concord"')
    assert "Bearer" in response["WWW-Authenticate"]


@pytest.mark.django_db
def test_wrong_password_and_wrong_token_are_401(client, lead_user):
    url = reverse("taxii:discovery")

    assert client.get(url, **basic(lead_user, "wrong")).status_code == 401
    assert client.get(url, HTTP_AUTHORIZATION="Bearer nope").status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("scheme", ["Token", "Bearer"])
def test_api_token_authenticates_as_token_or_bearer(client, lead_user, token_for, scheme):
    key = token_for(lead_user)

    response = client.get(
        reverse("taxii:collections"), HTTP_AUTHORIZATION=f"{scheme} {key}", HTTP_ACCEPT=TAXII
    )

    assert response.status_code == 200


@pytest.mark.django_db
def test_inactive_user_cannot_use_basic_auth(client, lead_user):
    lead_user.is_active = False
    lead_user.save()

    assert taxii_get(client, reverse("taxii:discovery"), lead_user).status_code == 401


# Authorisation matrix: every endpoint, four personas.

GENERAL = ["discovery", "api_root", "collections"]
PER_COLLECTION = ["collection", "objects", "manifest", "object", "object_versions"]


def endpoint_url(name, incident, indicator_id):
    if name in GENERAL:
        return reverse(f"taxii:{name}")
    if name in ("object", "object_versions"):
        return collection_url(name, incident, object_id=indicator_id)
    return collection_url(name, incident)


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", GENERAL + PER_COLLECTION)
@pytest.mark.parametrize("persona", ["lead_user", "invited_user", "outsider", None])
def test_authorisation_matrix(
    client, request, incident, lead_user, add_indicator, endpoint, persona
):
    add_indicator(incident, IndicatorType.IPV4, "198.51.100.7", by=lead_user)
    indicator_id = stix.indicator_id(incident.reference, IndicatorType.IPV4, "198.51.100.7")
    user = request.getfixturevalue(persona) if persona else None
    expected = {None: 401, "outsider": 200 if endpoint in GENERAL else 404}.get(persona, 200)

    response = taxii_get(client, endpoint_url(endpoint, incident, indicator_id), user)

    assert response.status_code == expected
    assert response["Content-Type"] == TAXII
    if persona == "outsider":
        assert incident.reference not in response.content.decode()
        assert "198.51.100.7" not in response.content.decode()


# Collections


@pytest.mark.django_db
def test_collections_list_agency_collection_and_visible_incidents_without_red(
    client, lead_user, outsider, incident
):
    red = make_incident(lead_user, tlp=TLP.RED, title="Named victims")

    mine = taxii_get(client, reverse("taxii:collections"), lead_user).json()["collections"]
    theirs = taxii_get(client, reverse("taxii:collections"), outsider).json()["collections"]

    assert [c["id"] for c in mine] == [
        agency_collection_id(lead_user.agency_id),
        incident_collection_id(incident.reference),
    ]
    assert all(c["can_read"] and not c["can_write"] for c in mine)
    assert red.reference not in json.dumps(mine)
    assert [c["id"] for c in theirs] == [agency_collection_id(outsider.agency_id)]


@pytest.mark.django_db
def test_another_agencys_collection_is_404(client, lead_user, outsider):
    url = reverse(
        "taxii:collection", kwargs={"collection_id": agency_collection_id(lead_user.agency_id)}
    )

    assert taxii_get(client, url, outsider).status_code == 404


@pytest.mark.django_db
def test_red_incident_collection_is_404_even_for_its_lead(client, lead_user):
    red = make_incident(lead_user, tlp=TLP.RED)

    assert taxii_get(client, collection_url("collection", red), lead_user).status_code == 404


# Objects and paging


@pytest.fixture
def ten_ips(incident, lead_user, add_indicator):
    return [
        add_indicator(incident, IndicatorType.IPV4, f"198.51.100.{n}", by=lead_user)
        for n in range(1, 11)
    ]


@pytest.mark.django_db
def test_objects_are_indicators_with_their_markings_and_identities(
    client, lead_user, incident, ten_ips
):
    response = taxii_get(client, collection_url("objects", incident), lead_user)

    body = response.json()
    assert body["more"] is False
    assert "next" not in body
    assert len(patterns(response)) == 10
    assert stix.agency_id(lead_user.agency_id) in ids_of("identity", response)
    assert stix.TLP_MARKING_IDS[TLP.AMBER] in ids_of("marking-definition", response)
    assert response["X-TAXII-Date-Added-First"] == "2022-10-01T00:00:00.000000Z"
    assert response["X-TAXII-Date-Added-Last"].endswith("Z")


@pytest.mark.django_db
def test_paging_with_limit_and_next_visits_every_object_once(client, lead_user, incident, ten_ips):
    url = collection_url("objects", incident)
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 4} | ({"next": cursor} if cursor else {})
        response = client.get(url, params, **basic(lead_user))
        body = response.json()
        pages += 1
        assert len(body.get("objects", [])) <= 4
        seen += [o["id"] for o in body.get("objects", [])]
        if not body["more"]:
            break
        assert len(body["objects"]) == 4
        cursor = body["next"]

    everything = taxii_get(client, url, lead_user)
    assert seen == [o["id"] for o in objects(everything)]
    assert len(seen) == len(set(seen)) == 6 + 1 + 10  # extension, 5 markings, identity, 10
    assert pages == 5


def page_through(client, url, user, params):
    """Every object id of ``url`` read ``params["limit"]`` at a time, following ``next``."""
    seen, cursor = [], None
    for _page in range(100):
        response = client.get(url, params | ({"next": cursor} if cursor else {}), **basic(user))
        assert response.status_code == 200
        body = response.json()
        seen += [o["id"] for o in body.get("objects", [])]
        if not body["more"]:
            return seen
        cursor = body["next"]
    raise AssertionError("paging never ended")


@pytest.mark.django_db
@pytest.mark.parametrize("limit", [1, 2, 3])
def test_paging_a_type_filter_serves_every_marking_definition(
    client, lead_user, incident, ten_ips, limit
):
    # Given the collection holds the extension definition before the five TLP markings
    url = collection_url("objects", incident)
    wanted = {"match[type]": "marking-definition"}

    # When a client pages the marking definitions ``limit`` at a time
    seen = page_through(client, url, lead_user, wanted | {"limit": limit})

    # Then it gets every one of them, TLP:CLEAR included, once each
    assert seen == ids_of("marking-definition", client.get(url, wanted, **basic(lead_user)))
    assert len(seen) == 5
    assert stix.TLP_MARKING_IDS[TLP.CLEAR] in seen


@pytest.mark.django_db
def test_paging_identities_by_one_serves_both_agencies(
    client, lead_user, invited_user, incident, add_indicator
):
    add_indicator(incident, IndicatorType.DOMAIN, "lead.example", by=lead_user)
    add_indicator(incident, IndicatorType.DOMAIN, "partner.example", by=invited_user)

    seen = page_through(
        client,
        collection_url("objects", incident),
        lead_user,
        {"match[type]": "identity", "limit": 1},
    )

    assert sorted(seen) == sorted(
        [stix.agency_id(lead_user.agency_id), stix.agency_id(invited_user.agency_id)]
    )


@pytest.mark.django_db
def test_paging_by_one_with_added_after_serves_every_object_added_since(
    client, lead_user, invited_user, incident, ten_ips, add_indicator
):
    # Given objects added before and after a moment between the two agencies' identities
    add_indicator(incident, IndicatorType.DOMAIN, "partner.example", by=invited_user)
    url = collection_url("objects", incident)
    since = {"added_after": "2023-01-01T00:00:00Z"}
    expected = [o["id"] for o in objects(client.get(url, since, **basic(lead_user)))]

    # When a client pages by one from that moment
    seen = page_through(client, url, lead_user, since | {"limit": 1})

    # Then it gets them all, in the same order, once each
    assert seen == expected
    assert len(seen) == 2 + 11  # two identities, eleven indicators


@pytest.mark.django_db
def test_paging_by_one_serves_indicators_changed_in_the_same_microsecond(
    client, lead_user, incident, ten_ips
):
    Indicator.objects.filter(pk__in=[i.pk for i in ten_ips]).update(
        updated_at=ten_ips[0].updated_at
    )

    seen = page_through(
        client,
        collection_url("objects", incident),
        lead_user,
        {"match[type]": "indicator", "limit": 1},
    )

    assert len(seen) == len(set(seen)) == 10


@pytest.mark.django_db
def test_a_next_cursor_of_another_form_is_400(client, lead_user, incident, ten_ips):
    response = client.get(
        collection_url("objects", incident), {"limit": 1, "next": "s3"}, **basic(lead_user)
    )

    assert response.status_code == 400
    assert response["Content-Type"] == TAXII


@pytest.mark.django_db
def test_added_after_returns_only_what_changed_since(client, lead_user, incident, ten_ips):
    url = collection_url("objects", incident)
    first = taxii_get(client, url, lead_user)
    last_seen = first["X-TAXII-Date-Added-Last"]
    ten_ips[3].confidence = 10
    ten_ips[3].save()

    response = client.get(url, {"added_after": last_seen}, **basic(lead_user))

    assert patterns(response) == ["[ipv4-addr:value = '198.51.100.4']"]
    assert response["X-TAXII-Date-Added-First"] > last_seen


@pytest.mark.django_db
def test_added_after_later_than_everything_is_an_empty_envelope(
    client, lead_user, incident, ten_ips
):
    response = client.get(
        collection_url("objects", incident),
        {"added_after": "2999-01-01T00:00:00Z"},
        **basic(lead_user),
    )

    assert response.json() == {"more": False}
    assert "X-TAXII-Date-Added-First" not in response


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [{"limit": "0"}, {"limit": "many"}, {"added_after": "yesterday"}, {"next": "x!"}],
)
def test_bad_paging_parameters_are_400(client, lead_user, incident, params):
    response = client.get(collection_url("objects", incident), params, **basic(lead_user))

    assert response.status_code == 400
    assert response.json()["http_status"] == "400"


BAD_TIMESTAMPS = [
    "2026-01-01T00:00:00-22:30",  # an offset no zone has (PostgreSQL refuses beyond 15:59)
    "2026-01-01T00:00:00+15:00",
    "2026-13-01T00:00:00Z",  # well formed, impossible
    "2026-01-01T00:00:00",  # no zone
    "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
    "9999-12-31T23:59:59-01:00",  # after year 9999 in UTC
    "yesterday",
]


@pytest.mark.django_db
@pytest.mark.parametrize("parameter", ["added_after", "match[version]"])
@pytest.mark.parametrize("value", BAD_TIMESTAMPS)
def test_bad_timestamps_are_400_taxii_errors(client, lead_user, incident, parameter, value):
    response = client.get(
        collection_url("objects", incident), {parameter: value}, **basic(lead_user)
    )

    body = assert_taxii_error(response, 400)
    assert parameter in body["title"]
    assert body["description"]


def test_bad_timestamps_are_400_on_postgresql_too(
    require_postgres, client, lead_user, incident, ten_ips
):
    url = collection_url("objects", incident)

    for value in BAD_TIMESTAMPS:
        assert_taxii_error(client.get(url, {"added_after": value}, **basic(lead_user)), 400)


def test_an_offset_is_converted_to_utc_on_postgresql(
    require_postgres, client, lead_user, incident, ten_ips
):
    # Given the moment an indicator last changed, written with an Indian offset
    last = ten_ips[-1].updated_at
    just_before = (last - timezone.timedelta(microseconds=1)).astimezone(
        timezone.get_fixed_timezone(5 * 60 + 30)
    )

    # When a client asks what was added after it
    response = client.get(
        collection_url("objects", incident),
        {"added_after": just_before.isoformat()},
        **basic(lead_user),
    )

    # Then it is read as the same instant in UTC
    assert response.status_code == 200
    assert patterns(response) == ["[ipv4-addr:value = '198.51.100.10']"]


@pytest.mark.django_db
def test_match_type_and_id_filter_objects(client, lead_user, incident, ten_ips):
    wanted = stix.indicator_id(incident.reference, IndicatorType.IPV4, "198.51.100.2")
    url = collection_url("objects", incident)

    only_indicators = client.get(url, {"match[type]": "indicator"}, **basic(lead_user))
    one = client.get(url, {"match[id]": wanted}, **basic(lead_user))

    assert {o["type"] for o in objects(only_indicators)} == {"indicator"}
    assert [o["id"] for o in objects(one)] == [wanted]


@pytest.mark.django_db
def test_object_by_id_and_its_versions(client, lead_user, incident, ten_ips):
    wanted = stix.indicator_id(incident.reference, IndicatorType.IPV4, "198.51.100.2")

    response = taxii_get(client, collection_url("object", incident, object_id=wanted), lead_user)
    versions = taxii_get(
        client, collection_url("object_versions", incident, object_id=wanted), lead_user
    )
    missing = taxii_get(
        client,
        collection_url(
            "object", incident, object_id="indicator--00000000-0000-4000-8000-000000000000"
        ),
        lead_user,
    )

    assert [o["id"] for o in objects(response)] == [wanted]
    assert versions.json()["versions"] == [objects(response)[0]["modified"]]
    assert missing.status_code == 404


@pytest.mark.django_db
def test_every_way_of_writing_an_indicator_stores_the_uuid_of_its_stix_id(
    lead_user, incident, ten_ips
):
    from coordination.intel import actions as intel_actions

    intel_actions.paste_indicators(incident, lead_user, "evil.example\nbad.example")
    for indicator in Indicator.objects.select_related("incident"):
        expected = stix.indicator_id(incident.reference, indicator.type, indicator.value)
        assert f"indicator--{indicator.stix_uuid}" == expected


@pytest.mark.django_db
def test_object_by_id_is_one_indexed_lookup_and_still_finds_bulk_loaded_rows(
    client, lead_user, incident, ten_ips, django_assert_max_num_queries
):
    wanted = stix.indicator_id(incident.reference, IndicatorType.IPV4, "198.51.100.2")
    url = collection_url("object", incident, object_id=wanted)
    taxii_get(client, url, lead_user)
    with django_assert_max_num_queries(13):
        assert [o["id"] for o in objects(taxii_get(client, url, lead_user))] == [wanted]
    # A row loaded outside the ORM (COPY, raw SQL) has no stored uuid: found all the same.
    Indicator.objects.filter(stix_uuid__isnull=False).update(stix_uuid=None)
    assert [o["id"] for o in objects(taxii_get(client, url, lead_user))] == [wanted]
    wrong = "indicator--not-a-uuid"
    assert (
        taxii_get(
            client, collection_url("object", incident, object_id=wrong), lead_user
        ).status_code
        == 404
    )


@pytest.mark.django_db
def test_manifest_lists_id_date_added_version_media_type(client, lead_user, incident, ten_ips):
    response = client.get(
        collection_url("manifest", incident),
        {"match[type]": "indicator", "limit": 3},
        **basic(lead_user),
    )

    body = response.json()
    assert body["more"] is True
    assert len(body["objects"]) == 3
    record = body["objects"][0]
    assert set(record) == {"id", "date_added", "version", "media_type"}
    assert record["media_type"] == "application/stix+json;version=2.1"


# TLP enforcement


@pytest.mark.django_db
def test_amber_strict_is_served_only_to_the_owning_agency(
    client, lead_user, invited_user, incident, add_indicator
):
    add_indicator(incident, IndicatorType.IPV4, "198.51.100.1", by=lead_user, tlp=TLP.AMBER_STRICT)
    add_indicator(
        incident, IndicatorType.IPV4, "198.51.100.2", by=invited_user, tlp=TLP.AMBER_STRICT
    )
    url = collection_url("objects", incident)

    assert patterns(taxii_get(client, url, lead_user)) == ["[ipv4-addr:value = '198.51.100.1']"]
    assert patterns(taxii_get(client, url, invited_user)) == ["[ipv4-addr:value = '198.51.100.2']"]


@pytest.mark.django_db
def test_red_is_never_served_not_even_to_the_owner(client, lead_user, incident, add_indicator):
    add_indicator(incident, IndicatorType.IPV4, "198.51.100.1", by=lead_user, tlp=TLP.RED)
    add_indicator(incident, IndicatorType.IPV4, "198.51.100.2", by=lead_user, tlp=TLP.GREEN)
    red_case = make_incident(lead_user, tlp=TLP.RED)
    add_indicator(red_case, IndicatorType.IPV4, "198.51.100.3", by=lead_user, tlp=TLP.RED)
    agency_url = reverse(
        "taxii:objects", kwargs={"collection_id": agency_collection_id(lead_user.agency_id)}
    )

    in_incident = taxii_get(client, collection_url("objects", incident), lead_user)
    in_agency = taxii_get(client, agency_url, lead_user)

    assert patterns(in_incident) == ["[ipv4-addr:value = '198.51.100.2']"]
    assert patterns(in_agency) == ["[ipv4-addr:value = '198.51.100.2']"]
    assert "198.51.100.1" not in in_agency.content.decode()
    assert "198.51.100.3" not in in_agency.content.decode()


@pytest.mark.django_db
def test_agency_collection_holds_every_visible_incident_and_nothing_else(
    client, lead_user, invited_user, outsider, incident, add_indicator
):
    add_indicator(incident, IndicatorType.DOMAIN, "shared.example", by=lead_user)
    own = make_incident(invited_user)
    add_indicator(own, IndicatorType.DOMAIN, "french.example", by=invited_user)
    foreign = make_incident(outsider)
    add_indicator(foreign, IndicatorType.DOMAIN, "spanish.example", by=outsider)
    url = reverse(
        "taxii:objects", kwargs={"collection_id": agency_collection_id(invited_user.agency_id)}
    )

    response = taxii_get(client, url, invited_user)

    assert patterns(response) == [
        "[domain-name:value = 'french.example']",
        "[domain-name:value = 'shared.example']",
    ]


# Query counts


@pytest.mark.django_db
def test_objects_page_queries_do_not_grow_with_the_collection(
    client,
    lead_user,
    invited_user,
    incident,
    add_indicator,
    token_for,
    django_assert_max_num_queries,
):
    for n in range(1, 60):
        add_indicator(incident, IndicatorType.IPV4, f"198.51.100.{n}", by=lead_user)
        add_indicator(incident, IndicatorType.DOMAIN, f"d{n}.example", by=invited_user)
    url = collection_url("objects", incident)
    agency_url = reverse(
        "taxii:objects", kwargs={"collection_id": agency_collection_id(lead_user.agency_id)}
    )
    token = {"HTTP_AUTHORIZATION": f"Bearer {token_for(lead_user)}", "HTTP_ACCEPT": TAXII}
    # A token's first call in five minutes also notes its use (and audits it): once per
    # interval, not per read, so it is left out of the per-read budget.
    client.get(reverse("taxii:discovery"), **token)

    with django_assert_max_num_queries(10):
        first = client.get(url, {"limit": 50}, **token)
    with django_assert_max_num_queries(10):
        client.get(url, {"limit": 50, "next": first.json()["next"]}, **token)
    with django_assert_max_num_queries(10):
        client.get(agency_url, {"limit": 100}, **token)
    with django_assert_max_num_queries(10):
        client.get(collection_url("manifest", incident), {"limit": 100}, **token)
    with django_assert_max_num_queries(6):
        client.get(reverse("taxii:collections"), **token)
