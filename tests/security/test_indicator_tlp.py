"""Issue #13, "TLP-tight indicators": TLP:AMBER+STRICT and TLP:RED indicators were shown to
every participating agency on the indicator panel, /intel/, the REST API, in correlation
and in exports. Replayed on every surface for every persona.

The case: a TLP:AMBER incident of the lead agency (Germany) shared with an invited
agency (France). The lead investigator adds three indicators:

- ``198.51.100.10`` TLP:AMBER: everyone who sees the case;
- ``198.51.100.20`` TLP:AMBER+STRICT: the lead agency only;
- ``198.51.100.30`` TLP:RED naming one French officer: the author and that officer only.

Personas: the author, a colleague of the author (same agency, not named), the invited
investigator (not named), the named recipient (invited agency), an outsider.
"""

import base64
import json

import pytest
from django.urls import reverse

from accounts import actions as account_actions
from accounts.choices import Role, TokenScope
from coordination.exchange.collections import agency_collection_id, incident_collection_id
from coordination.exchange.export import incident_bundle
from coordination.intel import actions
from coordination.intel.correlation import sightings
from coordination.intel.models import Indicator
from incidents.choices import TLP, ParticipationRole
from incidents.models import TimelineEntry
from tests.factories import TEST_PASSWORD, UserFactory, make_incident

pytestmark = pytest.mark.django_db

AMBER, STRICT, RED = "45.80.149.10", "45.80.149.20", "45.80.149.30"
ALL = {AMBER, STRICT, RED}
TAXII = "application/taxii+json;version=2.1"

AUTHOR, COLLEAGUE, INVITED, NAMED, OUTSIDER = (
    "author",
    "colleague",
    "invited",
    "named",
    "outsider",
)
# What each persona may read on a person's screen, and through machine channels.
READS = {
    AUTHOR: {AMBER, STRICT, RED},
    COLLEAGUE: {AMBER, STRICT},
    INVITED: {AMBER},
    NAMED: {AMBER, RED},
    OUTSIDER: set(),
}
MACHINE_READS = {persona: values - {RED} for persona, values in READS.items()}
SEES_CASE = {AUTHOR, COLLEAGUE, INVITED, NAMED}
PERSONAS = list(READS)


@pytest.fixture
def people(lead_user, invited_user, outsider):
    return {
        AUTHOR: lead_user,
        COLLEAGUE: UserFactory(username="conrad", agency=lead_user.agency, role=Role.INVESTIGATOR),
        INVITED: invited_user,
        NAMED: UserFactory(username="nadia", agency=invited_user.agency, role=Role.LIAISON_OFFICER),
        OUTSIDER: outsider,
    }


@pytest.fixture
def case(incident, people):
    author = people[AUTHOR]
    for value, tlp, audience in (
        (AMBER, TLP.AMBER, []),
        (STRICT, TLP.AMBER_STRICT, []),
        (RED, TLP.RED, [people[NAMED]]),
    ):
        actions.add_indicator(
            incident, author, value=value, tlp=tlp, audience=audience, note=f"note of {value}"
        )
    return incident


def values_in(text):
    return {value for value in ALL if value in text}


def by_value(value):
    return Indicator.objects.get(value=value)


def tool_key(user):
    """The key of a read-only API token, as a TAXII client or firewall script holds."""
    return account_actions.create_api_token(user, name="tool", scope=TokenScope.READ, days=30)[1]


def basic(user):
    raw = base64.b64encode(f"{user.username}:{TEST_PASSWORD}".encode()).decode()
    return f"Basic {raw}"


# Pages -------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_indicator_panel_shows_only_what_the_persona_may_read(client, case, people, persona):
    client.force_login(people[persona])

    response = client.get(reverse("intel:panel", args=[case.reference]))

    if persona not in SEES_CASE:
        assert response.status_code == 404
        return
    html = response.content.decode()
    assert values_in(html) == READS[persona]
    count = len(READS[persona])
    assert f"{count} indicator{'s' if count > 1 else ''}</span>" in html  # the count too
    for hidden in ALL - READS[persona]:
        assert f"note of {hidden}" not in html


def test_panel_names_who_reads_a_red_indicator(client, case, people):
    client.force_login(people[AUTHOR])

    html = client.get(reverse("intel:panel", args=[case.reference])).content.decode()

    assert f"For: {people[AUTHOR].display_name}, {people[NAMED].display_name}" in html


def search_results(client, **query):
    """The values in the results fragment of /intel/ (the form echoes the query)."""
    response = client.get(
        reverse("intel:search"), query, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
    )
    html = response.content.decode()
    return values_in(
        html.split('<code class="break indicator-value">', 1)[-1] if "<code" in html else ""
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_intel_search_finds_only_what_the_persona_may_read(client, case, people, persona):
    client.force_login(people[persona])

    listed = search_results(client)
    exact = set().union(*(search_results(client, q=value) for value in ALL))
    strict_by_type = search_results(client, q="45.80.149", type="ipv4")

    assert listed == READS[persona]
    assert exact == READS[persona]
    assert strict_by_type == READS[persona]


# REST API ----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_list_and_count_hold_only_what_the_persona_may_read(api_client, case, people, persona):
    api_client.force_authenticate(people[persona])

    body = api_client.get(reverse("intel-api:indicator-list")).json()

    assert {row["value"] for row in body["results"]} == READS[persona]
    assert body["count"] == len(READS[persona])
    assert values_in(json.dumps(body)) == READS[persona]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("value", sorted(ALL))
def test_api_detail_of_an_unreadable_indicator_is_404(api_client, case, people, persona, value):
    api_client.force_authenticate(people[persona])

    response = api_client.get(reverse("intel-api:indicator-detail", args=[by_value(value).pk]))

    if value in READS[persona]:
        assert response.status_code == 200
        assert response.json()["note"] == f"note of {value}"
    else:
        assert response.status_code == 404
        assert value not in response.content.decode()
        assert f"note of {value}" not in response.content.decode()


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    "query",
    [
        {"tlp": TLP.RED},
        {"tlp": TLP.AMBER_STRICT},
        {"value": RED},
        {"value": "198.51.100"},
        {"type": "ipv4"},
        {"incident": "CC-"},
    ],
)
def test_api_filters_never_count_what_the_persona_may_not_read(
    api_client, case, people, persona, query
):
    api_client.force_authenticate(people[persona])
    if query.get("incident"):
        query = {"incident": case.reference}

    body = api_client.get(reverse("intel-api:indicator-list"), query).json()

    assert {row["value"] for row in body["results"]} <= READS[persona]
    assert body["count"] == len(body["results"])


def test_api_shows_the_named_recipients_of_a_red_indicator(api_client, case, people):
    api_client.force_authenticate(people[NAMED])

    body = api_client.get(reverse("intel-api:indicator-detail", args=[by_value(RED).pk])).json()

    assert body["tlp"] == TLP.RED
    assert body["audience"] == [people[NAMED].pk]


def test_red_indicator_timeline_entry_is_read_by_the_indicators_readers(case, people):
    for persona, user in people.items():
        entries = TimelineEntry.objects.restrict(user).filter(incident=case)
        bodies = " ".join(entries.values_list("body", flat=True))
        assert values_in(bodies) == READS[persona], persona


# Correlation -------------------------------------------------------------------------


@pytest.fixture
def french_case(people):
    """A case of the invited agency holding the same three observables, TLP:AMBER."""
    french = make_incident(people[INVITED], title="French case")
    for value in ALL:
        actions.add_indicator(french, people[INVITED], value=value)
    return french


@pytest.mark.parametrize("persona", [INVITED, NAMED])
def test_correlation_links_only_sightings_the_persona_may_read(case, french_case, people, persona):
    # The French officers see the lead case: the AMBER sighting is a link; the STRICT one
    # is not theirs to read (no link, no count); the RED one only for the named officer.
    found = sightings(people[persona], [("ipv4", v) for v in ALL], exclude_incident=french_case)

    linked = {value for (_type, value), seen in found.items() if seen.links}
    assert linked == READS[persona]
    for (_type, value), seen in found.items():
        if value not in READS[persona]:
            assert (seen.visible_count, seen.hidden_count, seen.hidden_countries) == (0, 0, 0)


def test_panel_of_another_case_does_not_link_or_count_unreadable_sightings(
    client, case, french_case, people
):
    client.force_login(people[INVITED])

    html = client.get(reverse("intel:panel", args=[french_case.reference])).content.decode()

    assert html.count(f'href="{case.get_absolute_url()}"') == 1  # the AMBER one, no more
    assert "Seen in" not in html


@pytest.mark.parametrize("persona", [INVITED, NAMED])
def test_api_sightings_follow_the_same_rule(api_client, case, french_case, people, persona):
    api_client.force_authenticate(people[persona])

    body = api_client.get(
        reverse("intel-api:indicator-list"), {"incident": french_case.reference}
    ).json()

    for row in body["results"]:
        expected = 1 if row["value"] in READS[persona] else 0
        assert row["sightings"]["visible_count"] == expected, row["value"]
        assert row["sightings"]["hidden_count"] == 0


def test_outsider_counts_only_the_amber_sighting(case, people):
    found = sightings(people[OUTSIDER], [("ipv4", v) for v in ALL])

    assert found[("ipv4", AMBER)].hidden_count == 1
    assert found[("ipv4", STRICT)].hidden_count == 0
    assert found[("ipv4", RED)].hidden_count == 0


# Exports -----------------------------------------------------------------------------


def bundle_values(bundle):
    return values_in(json.dumps([o for o in bundle["objects"] if o["type"] == "indicator"]))


@pytest.mark.parametrize("persona", PERSONAS)
def test_stix_download_in_the_browser_holds_what_the_persona_may_read(
    client, case, people, persona
):
    client.force_login(people[persona])

    response = client.get(reverse("exchange:incident_stix", args=[case.reference]))

    if persona not in SEES_CASE:
        assert response.status_code == 404
        return
    assert bundle_values(json.loads(response.content)) == READS[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_stix_api_holds_what_the_persona_may_read(api_client, case, people, persona):
    api_client.force_authenticate(people[persona])

    response = api_client.get(reverse("exchange-api:incident-stix", args=[case.reference]))

    if persona not in SEES_CASE:
        assert response.status_code == 404
        return
    assert bundle_values(response.json()) == READS[persona]


@pytest.mark.parametrize("persona", sorted(SEES_CASE))
def test_stix_fetched_by_a_tool_never_holds_red(client, api_client, case, people, persona):
    key = tool_key(people[persona])

    file = client.get(
        reverse("exchange:incident_stix", args=[case.reference]),
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    api = api_client.get(
        reverse("exchange-api:incident-stix", args=[case.reference]),
        HTTP_AUTHORIZATION=f"Token {key}",
    )

    assert bundle_values(json.loads(file.content)) == MACHINE_READS[persona]
    assert bundle_values(api.json()) == MACHINE_READS[persona]


def test_a_tool_gets_nothing_of_a_red_incident(client, lead_user):
    red = make_incident(lead_user, title="Operation Kestrel", tlp=TLP.RED)
    key = tool_key(lead_user)

    response = client.get(
        reverse("exchange:incident_stix", args=[red.reference]),
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )

    assert response.status_code == 403
    assert "Kestrel" not in response.content.decode()


def test_bundle_builder_applies_the_rule_for_each_persona(case, people):
    for persona, user in people.items():
        if persona in SEES_CASE:
            assert bundle_values(incident_bundle(case, user)) == READS[persona], persona


def taxii_objects(client, user, collection_id):
    url = reverse("taxii:objects", kwargs={"collection_id": collection_id})
    return client.get(url, HTTP_AUTHORIZATION=basic(user), HTTP_ACCEPT=TAXII)


@pytest.mark.parametrize("persona", PERSONAS)
def test_taxii_collections_serve_only_what_the_persona_may_read(client, case, people, persona):
    user = people[persona]

    incident_feed = taxii_objects(client, user, incident_collection_id(case.reference))
    agency_feed = taxii_objects(client, user, agency_collection_id(user.agency_id))

    if persona in SEES_CASE:
        assert values_in(incident_feed.content.decode()) == MACHINE_READS[persona]
    else:
        assert incident_feed.status_code == 404
    assert values_in(agency_feed.content.decode()) == MACHINE_READS[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_taxii_object_by_id_of_an_unreadable_indicator_is_404(client, case, people, persona):
    from coordination.exchange import stix

    user = people[persona]
    for value in ALL:
        object_id = stix.indicator_id(case.reference, "ipv4", value)
        url = reverse(
            "taxii:object",
            kwargs={
                "collection_id": agency_collection_id(user.agency_id),
                "object_id": object_id,
            },
        )
        response = client.get(url, HTTP_AUTHORIZATION=basic(user), HTTP_ACCEPT=TAXII)
        assert (response.status_code == 200) == (value in MACHINE_READS[persona]), value


@pytest.mark.parametrize("persona", PERSONAS)
def test_blocklists_hold_only_what_the_persona_may_read(client, case, people, persona):
    user = people[persona]
    client.force_login(user)

    incident_list = client.get(
        reverse("exchange:incident_blocklist", args=[case.reference]) + "?type=ipv4"
    )
    agency_list = client.get(
        reverse(
            "exchange:collection_blocklist",
            kwargs={"collection_id": agency_collection_id(user.agency_id)},
        )
        + "?type=ipv4"
    )

    if persona in SEES_CASE:
        text = b"".join(incident_list.streaming_content).decode()
        assert values_in(text) == MACHINE_READS[persona]
    else:
        assert incident_list.status_code == 404
    assert values_in(b"".join(agency_list.streaming_content).decode()) == MACHINE_READS[persona]


@pytest.mark.parametrize("persona", sorted(SEES_CASE))
def test_export_panel_counts_only_what_the_persona_may_share(client, case, people, persona):
    client.force_login(people[persona])

    html = client.get(reverse("exchange:incident_panel", args=[case.reference])).content.decode()

    count = len(MACHINE_READS[persona])
    assert f"{count} shareable indicator" in html


# Adding: named recipients, and no way round the rule by adding again ------------------


def test_named_recipients_must_belong_to_a_participating_agency(incident, lead_user, outsider):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as excinfo:
        actions.add_indicator(
            incident, lead_user, value="192.0.2.1", tlp=TLP.RED, audience=[outsider]
        )
    assert "participating agency" in excinfo.value.message_dict["audience"][0]
    with pytest.raises(ValidationError) as excinfo:
        actions.add_indicator(incident, lead_user, value="192.0.2.1", audience=[outsider])
    assert "only for TLP:RED" in excinfo.value.message_dict["audience"][0]


def test_api_names_recipients_by_id_and_refuses_strangers(
    api_client, incident, lead_user, invited_user, outsider
):
    api_client.force_authenticate(lead_user)
    url = reverse("intel-api:indicator-list")

    refused = api_client.post(
        url,
        {
            "incident": incident.reference,
            "value": "192.0.2.9",
            "tlp": "red",
            "audience": [outsider.pk],
        },
        format="json",
    )
    created = api_client.post(
        url,
        {
            "incident": incident.reference,
            "value": "192.0.2.9",
            "tlp": "red",
            "audience": [invited_user.pk],
        },
        format="json",
    )

    assert refused.status_code == 400 and "audience" in refused.json()
    assert created.status_code == 201
    assert created.json()["audience"] == [invited_user.pk]
    api_client.force_authenticate(invited_user)
    assert api_client.get(created["Location"]).status_code == 200


def test_panel_form_names_recipients(client, incident, lead_user, invited_user):
    client.force_login(lead_user)

    response = client.post(
        reverse("intel:add", args=[incident.reference]),
        {"one-value": "192.0.2.77", "one-tlp": "red", "one-audience": [invited_user.pk]},
    )

    assert response.status_code == 302
    assert list(Indicator.objects.get(value="192.0.2.77").audience.all()) == [invited_user]


def test_adding_a_hidden_value_again_neither_shows_nor_merges_it(case, people):
    from django.core.exceptions import ValidationError

    before = by_value(RED)
    with pytest.raises(ValidationError) as excinfo:
        actions.add_indicator(case, people[INVITED], value=RED, note="mine")
    assert "not shared with you" in excinfo.value.message_dict["value"][0]
    after = by_value(RED)
    assert (after.note, after.tlp, after.updated_at) == (before.note, before.tlp, before.updated_at)


def test_paste_refuses_the_line_of_a_hidden_value_without_showing_it(case, people):
    report = actions.paste_indicators(case, people[INVITED], f"{STRICT}\n192.0.2.55\n")

    refused = [line for line in report.lines if line.outcome == "refused"]
    assert [line.raw for line in refused] == [STRICT]
    assert refused[0].value == "" and not report.stored
    stored = actions.paste_indicators(
        case, people[INVITED], f"{STRICT}\n192.0.2.55\n", skip_refused=True
    )
    assert stored.stored and stored.added == 1
    assert by_value(STRICT).note == f"note of {STRICT}"


def test_another_agency_cannot_take_an_indicator_out_of_sight_with_amber_strict(case, people):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as excinfo:
        actions.add_indicator(case, people[INVITED], value=AMBER, tlp=TLP.AMBER_STRICT)
    assert "only that agency" in excinfo.value.message_dict["tlp"][0]
    assert by_value(AMBER).tlp == TLP.AMBER


def test_a_named_recipient_may_not_pass_red_on(case, people):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as excinfo:
        actions.add_indicator(
            case, people[NAMED], value=RED, tlp=TLP.RED, audience=[people[INVITED]]
        )
    assert "names its recipients" in excinfo.value.message_dict["audience"][0]
    assert list(by_value(RED).audience.all()) == [people[NAMED]]


def test_marking_red_on_merge_keeps_the_merger_among_the_readers(case, people):
    indicator, created = actions.add_indicator(case, people[INVITED], value=AMBER, tlp=TLP.RED)

    assert not created and indicator.tlp == TLP.RED
    readable = Indicator.objects.restrict(people[INVITED]).filter(pk=indicator.pk)
    assert readable.exists()
    assert Indicator.objects.restrict(people[AUTHOR]).filter(pk=indicator.pk).exists()
    assert not Indicator.objects.restrict(people[COLLEAGUE]).filter(pk=indicator.pk).exists()


def test_agency_removed_from_the_case_loses_its_named_red_indicators(case, people):
    from incidents.actions import remove_participation

    participation = case.participations.get(agency=people[NAMED].agency)
    remove_participation(participation, people[AUTHOR])

    assert not Indicator.objects.restrict(people[NAMED]).exists()


def test_observer_role_does_not_widen_the_rule(case, people):
    from incidents.actions import change_participation_role

    participation = case.participations.get(agency=people[INVITED].agency)
    change_participation_role(participation, ParticipationRole.OBSERVER, people[AUTHOR])

    visible = set(Indicator.objects.restrict(people[NAMED]).values_list("value", flat=True))
    assert visible == READS[NAMED]
