"""A real TAXII client (OASIS taxii2-client) reads Concord over HTTP, paging included."""

import pytest
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

from coordination.exchange import stix
from coordination.exchange.collections import incident_collection_id
from coordination.intel.choices import IndicatorType
from incidents.choices import TLP
from tests.factories import TEST_PASSWORD


@pytest.mark.django_db(transaction=True)
def test_taxii2_client_discovers_and_pages_through_a_collection(
    live_server, incident, lead_user, add_indicator, token_for
):
    for n in range(1, 13):
        add_indicator(incident, IndicatorType.IPV4, f"198.51.100.{n}", by=lead_user)
    add_indicator(incident, IndicatorType.DOMAIN, "secret.example", by=lead_user, tlp=TLP.RED)

    server = Server(f"{live_server.url}/taxii2/", user=lead_user.username, password=TEST_PASSWORD)
    (api_root,) = server.api_roots
    assert isinstance(api_root, ApiRoot)
    collection = next(
        c for c in api_root.collections if c.id == incident_collection_id(incident.reference)
    )
    assert collection.can_read and not collection.can_write

    pages = list(as_pages(collection.get_objects, per_request=5))
    received = [obj for page in pages for obj in page.get("objects", [])]
    indicators = sorted(o["pattern"] for o in received if o["type"] == "indicator")

    assert len(pages) == 4  # 7 supporting objects + 12 indicators, 5 a page
    assert all(page["more"] for page in pages[:-1]) and not pages[-1]["more"]
    assert len(indicators) == 12
    assert len({o["id"] for o in received}) == len(received)
    assert "secret.example" not in str(received)

    manifest = collection.get_manifest()
    assert len(manifest["objects"]) == len(received)


@pytest.mark.django_db(transaction=True)
def test_taxii2_client_with_a_bearer_token_and_added_after(
    live_server, incident, lead_user, add_indicator, token_for
):
    first = add_indicator(incident, IndicatorType.DOMAIN, "early.example", by=lead_user)
    key = token_for(lead_user)

    class Bearer:
        def __call__(self, request):
            request.headers["Authorization"] = f"Bearer {key}"
            return request

    url = f"{live_server.url}/taxii2/api/collections/{incident_collection_id(incident.reference)}/"
    collection = Collection(url, auth=Bearer())
    everything = collection.get_objects()
    add_indicator(incident, IndicatorType.DOMAIN, "late.example", by=lead_user)

    since = collection.get_objects(added_after=first.updated_at)

    assert "early.example" in str(everything["objects"])
    assert [o["pattern"] for o in since["objects"]] == ["[domain-name:value = 'late.example']"]


@pytest.mark.django_db(transaction=True)
def test_taxii2_client_pages_a_filtered_collection_by_one(
    live_server, incident, lead_user, invited_user, add_indicator
):
    # Given a collection with two agencies' identities and five TLP markings
    add_indicator(incident, IndicatorType.DOMAIN, "lead.example", by=lead_user)
    add_indicator(incident, IndicatorType.DOMAIN, "partner.example", by=invited_user)
    url = f"{live_server.url}/taxii2/api/collections/{incident_collection_id(incident.reference)}/"
    collection = Collection(url, user=lead_user.username, password=TEST_PASSWORD)

    def paged(**filters):
        pages = as_pages(collection.get_objects, per_request=1, **filters)
        return [obj["id"] for page in pages for obj in page.get("objects", [])]

    # When the OASIS client pages filtered objects one at a time
    identities = paged(type="identity")
    markings = paged(type="marking-definition")
    since = paged(added_after="2023-01-01T00:00:00Z")

    # Then nothing is skipped and nothing is served twice
    assert len(identities) == len(set(identities)) == 2
    assert len(markings) == len(set(markings)) == 5
    assert stix.TLP_MARKING_IDS[TLP.CLEAR] in markings
    assert len(since) == len(set(since)) == 2 + 2  # two identities, two indicators
