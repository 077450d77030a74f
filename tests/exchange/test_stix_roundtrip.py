"""Real-shaped bundles (tests/exchange/stix_bundles.py): every valid indicator kept with
its lifecycle, provenance and markings, and given back by the export."""

import json

import pytest
from django.urls import reverse

from coordination.exchange import stix
from coordination.exchange.collections import incident_collection_id
from coordination.exchange.export import incident_bundle
from coordination.exchange.importer import import_bundle
from coordination.intel.choices import IndicatorType
from coordination.intel.models import Indicator
from incidents.choices import TLP, ParticipationRole
from tests.exchange import stix_bundles as b
from tests.exchange.conftest import validate
from tests.exchange.test_taxii import taxii_get
from tests.factories import make_incident


@pytest.fixture
def target(lead_user, invited_agency):
    """A GREEN incident to import into."""
    return make_incident(
        lead_user,
        tlp=TLP.GREEN,
        title="Partner intelligence",
        shared_with=[(invited_agency, ParticipationRole.CONTRIBUTOR)],
    )


def run(target, user, template):
    return import_bundle(target, user, json.dumps(template))


def kept(target, stix_id):
    return Indicator.objects.get(incident=target, stix_id=stix_id)


def exported(bundle, object_id):
    return next(obj for obj in bundle["objects"] if obj["id"] == object_id)


@pytest.mark.django_db
def test_apt1_compound_patterns_are_kept_and_their_values_extracted(target, lead_user):
    report = run(target, lead_user, b.bundle(b.APT1))

    assert report.ok and report.errors == []
    assert sorted(c["object"] for c in report.created) == sorted(
        [b.X509_ID, b.HASHES_ID, b.DOMAIN_ID]
    )
    x509 = kept(target, b.X509_ID)
    assert (x509.type, x509.pattern) == (IndicatorType.PATTERN, b.X509_PATTERN)
    assert not x509.derived.exists()  # x509 has no Concord type: the pattern says it all
    hashes = kept(target, b.HASHES_ID)
    assert sorted(hashes.derived.values_list("type", "blocklist_note")) == [
        (IndicatorType.MD5, ""),
        (IndicatorType.SHA256, ""),
    ]
    assert kept(target, b.DOMAIN_ID).value == "advanbusiness.com"


@pytest.mark.django_db
def test_other_objects_are_reported_by_type_with_the_reason(target, lead_user):
    report = run(target, lead_user, b.bundle(b.APT1))

    skipped = {entry["type"]: entry for entry in report.skipped}
    assert set(skipped) == {"threat-actor", "malware", "relationship"}
    assert all(entry["reason"] for entry in skipped.values())
    assert skipped["malware"]["object"] == "malware--2485b844-4efe-4343-84c8-eb33312dd56f"


@pytest.mark.django_db
def test_misp_bundle_imports_every_valid_indicator_and_reports_the_one_without_id(
    target, lead_user
):
    report = run(target, lead_user, b.bundle(b.MISP))

    assert report.ok
    assert len(report.created) == len(b.MISP_INDICATORS)
    (error,) = report.errors
    assert error["object"] == f"#{b.NO_ID_POSITION}"
    assert "no id" in error["message"]
    assert {entry["type"] for entry in report.skipped} == {"grouping", "malware", "relationship"}


@pytest.mark.django_db
def test_api_import_of_an_indicator_without_id_answers_with_the_report_not_a_500(
    api_client, target, lead_user
):
    api_client.force_authenticate(lead_user)
    url = reverse("exchange-api:incident-stix", args=[target.reference])

    response = api_client.post(url, data=json.dumps(b.MISP), content_type="application/json")

    assert response.status_code == 201
    assert response.json()["errors"][0]["object"] == f"#{b.NO_ID_POSITION}"


@pytest.mark.django_db
def test_every_hash_misp_exports_email_and_traffic_patterns_are_kept(target, lead_user):
    run(target, lead_user, b.bundle(b.MISP))

    sha512 = kept(target, b.SHA512_ID)
    assert (sha512.type, sha512.value) == (IndicatorType.SHA512, b.SHA512)
    imphash = kept(target, b.IMPHASH_ID)
    assert (imphash.type, imphash.value) == (
        IndicatorType.IMPHASH,
        "f34d5f2d4577ed6d9ceec516c1f5a744",
    )
    matches = kept(target, b.MATCHES_ID)
    assert matches.type == IndicatorType.PATTERN and matches.pattern == matches.value
    fuzzy = kept(target, b.FUZZY_ID)
    # Each hash of the OR is listed on its own, for correlation; a blocklist of MD5 carries
    # the MD5, and no blocklist carries the fuzzy hashes.
    assert sorted(fuzzy.derived.values_list("type", "value")) == sorted(
        [
            (IndicatorType.MD5, b.MD5_IN_OR),
            (
                IndicatorType.SSDEEP,
                (
                    "96:s4Ud1Lj96tHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8QsO/wqWXLcMSx:"
                    "sF1LjEtHHlZDrJzrhuyZvHYm8tKp/RWO"
                ),
            ),
            (
                IndicatorType.TLSH,
                "T1A3B2C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4",
            ),
        ]
    )
    (sender,) = kept(target, b.EMAIL_ID).derived.all()
    assert (sender.type, sender.value) == (IndicatorType.EMAIL, "billing@phish.example")
    assert "AND" in sender.blocklist_note
    (address,) = kept(target, b.TRAFFIC_ID).derived.all()
    assert (address.type, address.value) == (IndicatorType.IPV4, "203.0.113.9")
    assert address.blocklist_note


@pytest.mark.django_db
def test_the_most_restrictive_tlp_wins_container_and_granular_markings(target, lead_user):
    run(target, lead_user, b.bundle(b.MISP))

    # The grouping's TLP:AMBER reaches its members in a GREEN incident ...
    assert kept(target, b.ACTIVE_ID).tlp == TLP.AMBER
    assert {row.tlp for row in kept(target, b.FUZZY_ID).derived.all()} == {TLP.AMBER}
    # ... and a granular TLP:RED on the pattern beats it.
    assert kept(target, b.RED_ID).tlp == TLP.RED


@pytest.mark.django_db
def test_lifecycle_and_provenance_are_kept(target, lead_user):
    run(target, lead_user, b.bundle(b.APT1))
    run(target, lead_user, b.bundle(b.MISP))

    x509 = kept(target, b.X509_ID)
    assert stix.timestamp(x509.stix_created) == b.CREATED
    assert x509.stix["name"] == "Malicious SSL certificate"
    assert x509.stix["labels"] == ["apt1", "x509"]
    assert x509.stix["kill_chain_phases"][0]["phase_name"] == "establish-foothold"
    assert x509.stix["external_references"][0]["source_name"] == "mandiant"
    assert x509.stix["source_identity"]["name"] == "Mandiant"
    assert x509.stix["statements"][0]["definition"]["statement"].startswith("Copyright")
    assert kept(target, b.REVOKED_ID).revoked is True
    expired = kept(target, b.EXPIRED_ID)
    assert stix.timestamp(expired.valid_until) == "2024-06-01T00:00:00.000Z"
    assert not expired.active


@pytest.mark.django_db
def test_blocklist_leaves_out_revoked_expired_red_and_inexpressible_values(
    client, target, lead_user
):
    run(target, lead_user, b.bundle(b.MISP))
    run(target, lead_user, b.bundle(b.APT1))
    client.force_login(lead_user)

    listed = []
    for kind in ("ipv4", "domain", "md5", "email"):
        response = client.get(
            reverse("exchange:incident_blocklist", args=[target.reference]), {"type": kind}
        )
        assert response.status_code == 200, kind
        listed += b"".join(response.streaming_content).decode().splitlines()[1:]
    assert "active.example" in listed and b.MD5_IN_OR in listed
    assert "advanbusiness.com" in listed
    for absent in (
        "revoked.example",
        "expired.example",
        "198.51.100.66",  # TLP:RED by its granular marking
        "billing@phish.example",  # one side of an AND
        "203.0.113.9",
    ):
        assert absent not in listed
    assert not any("[" in line for line in listed)  # no pattern reaches a blocklist


@pytest.mark.django_db
def test_round_trip_gives_back_ids_patterns_markings_and_lifecycle(target, lead_user):
    run(target, lead_user, b.bundle(b.APT1))
    run(target, lead_user, b.bundle(b.MISP))

    bundle = incident_bundle(target, lead_user)

    result = validate(bundle)
    assert result.is_valid, [str(error) for error in result.errors]
    sources = {obj["id"]: obj for obj in b.APT1["objects"] + b.MISP_INDICATORS}
    for object_id in [b.X509_ID, b.HASHES_ID, b.DOMAIN_ID] + [o["id"] for o in b.MISP_INDICATORS]:
        source, back = sources[object_id], exported(bundle, object_id)
        assert back["pattern"] == source["pattern"]
        assert (back["created"], back["modified"]) == (source["created"], source["modified"])
        for key in ("revoked", "valid_until", "labels", "kill_chain_phases", "created_by_ref"):
            assert back.get(key) == source.get(key), key
        if "name" in source:
            assert back["name"] == source["name"]
        for reference in source.get("external_references", ()):
            assert reference in back["external_references"]
    x509 = exported(bundle, b.X509_ID)
    assert b.COPYRIGHT in x509["object_marking_refs"]
    assert exported(bundle, b.COPYRIGHT)["definition"]["statement"].startswith("Copyright")
    assert exported(bundle, b.MANDIANT)["name"] == "Mandiant"
    assert stix.TLP_MARKING_IDS[TLP.RED] in exported(bundle, b.RED_ID)["object_marking_refs"]
    assert stix.TLP_MARKING_IDS[TLP.AMBER] in exported(bundle, b.ACTIVE_ID)["object_marking_refs"]
    assert b.TERMS in exported(bundle, b.SHA512_ID)["object_marking_refs"]


@pytest.mark.django_db
def test_a_newer_modified_updates_the_same_indicator_an_older_one_is_unchanged(target, lead_user):
    run(target, lead_user, b.bundle(b.MISP))
    before = kept(target, b.ACTIVE_ID)
    newer = b.bundle(b.MISP)
    active = exported(newer, b.ACTIVE_ID)
    active.update(modified="2024-04-01T00:00:00.000Z", revoked=True, name="C2 domain (gone)")

    report = run(target, lead_user, newer)

    assert [entry["object"] for entry in report.updated] == [b.ACTIVE_ID]
    assert len(report.unchanged) == len(b.MISP_INDICATORS) - 1
    after = kept(target, b.ACTIVE_ID)
    assert after.pk == before.pk
    assert after.revoked and after.stix["name"] == "C2 domain (gone)"
    assert Indicator.objects.filter(incident=target, stix_id=b.ACTIVE_ID).count() == 1

    again = run(target, lead_user, b.bundle(b.MISP))  # the older version, sent late

    assert b.ACTIVE_ID in [entry["object"] for entry in again.unchanged]
    assert kept(target, b.ACTIVE_ID).revoked


@pytest.mark.django_db
def test_a_newer_version_with_a_new_pattern_replaces_the_extracted_values(target, lead_user):
    run(target, lead_user, b.bundle(b.APT1))
    newer = b.bundle(b.APT1)
    exported(newer, b.HASHES_ID).update(
        modified="2016-01-01T00:00:00.000Z",
        pattern="[file:hashes.MD5 = '11111111111111111111111111111111' OR "
        "file:hashes.MD5 = '22222222222222222222222222222222']",
    )

    run(target, lead_user, newer)

    assert sorted(kept(target, b.HASHES_ID).derived.values_list("value", flat=True)) == [
        "1" * 32,
        "2" * 32,
    ]


@pytest.mark.django_db
def test_taxii_serves_an_imported_indicator_under_its_own_id_and_version_marked_revoked(
    client, target, lead_user
):
    run(target, lead_user, b.bundle(b.MISP))
    url = reverse(
        "taxii:object",
        kwargs={
            "collection_id": incident_collection_id(target.reference),
            "object_id": b.REVOKED_ID,
        },
    )

    response = taxii_get(client, url, lead_user)
    by_version = taxii_get(client, url + f"?match[version]={b.MISP_CREATED}", lead_user)

    (served,) = response.json()["objects"]
    assert (served["id"], served["revoked"]) == (b.REVOKED_ID, True)
    assert served["modified"] == b.MISP_CREATED
    assert [o["id"] for o in by_version.json()["objects"]] == [b.REVOKED_ID]


@pytest.mark.django_db
def test_taxii_serves_the_source_identities_and_statements_indicators_refer_to(
    client, target, lead_user
):
    run(target, lead_user, b.bundle(b.APT1))
    url = reverse(
        "taxii:objects", kwargs={"collection_id": incident_collection_id(target.reference)}
    )

    served = taxii_get(client, url, lead_user).json()["objects"]
    by_id = {obj["id"]: obj for obj in served}
    assert by_id[b.MANDIANT]["type"] == "identity"
    assert by_id[b.COPYRIGHT]["definition"]["statement"].startswith("Copyright")
    referred = {
        ref
        for obj in served
        if obj["type"] == "indicator"
        for ref in [obj.get("created_by_ref"), *obj.get("object_marking_refs", ())]
    }
    assert referred <= set(by_id)  # nothing a consumer would look up in vain
    statements = taxii_get(client, url + "?match[type]=marking-definition", lead_user).json()
    assert b.COPYRIGHT in {obj["id"] for obj in statements["objects"]}


@pytest.mark.django_db
def test_indicator_panel_shows_revoked_expired_source_and_why_not_in_blocklists(
    client, target, lead_user
):
    run(target, lead_user, b.bundle(b.MISP))
    client.force_login(lead_user)

    response = client.get(reverse("intel:panel", args=[target.reference]), HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Revoked by its source" in html
    assert "Expired" in html
    assert "Source: CERT-EX" in html
    assert "Not in blocklists: the values are combined with AND" in html


@pytest.mark.django_db
def test_a_long_or_of_hashes_is_kept_whole_and_each_hash_listed(target, lead_user):
    hashes = [f"{n:032x}" for n in range(1, 61)]
    pattern = "[" + " OR ".join(f"file:hashes.MD5 = '{h}'" for h in hashes) + "]"
    poison_ivy = b.bundle(b.APT1)
    exported(poison_ivy, b.HASHES_ID)["pattern"] = pattern

    report = run(target, lead_user, poison_ivy)

    assert report.errors == []
    row = kept(target, b.HASHES_ID)
    assert (row.pattern, row.value) == (pattern, b.HASHES_ID)
    assert sorted(row.derived.values_list("value", flat=True)) == hashes


@pytest.mark.django_db
def test_two_versions_of_one_object_in_one_bundle_keep_the_newest(target, lead_user):
    older = exported(b.bundle(b.APT1), b.DOMAIN_ID)
    newer = {**older, "modified": "2016-01-01T00:00:00.000Z"}
    newer["pattern"] = "[domain-name:value = 'newer.example']"

    report = run(
        target, lead_user, {"type": "bundle", "id": b.APT1["id"], "objects": [newer, older]}
    )

    assert [c["value"] for c in report.created] == ["newer.example"]
    assert kept(target, b.DOMAIN_ID).value == "newer.example"


@pytest.mark.django_db
def test_api_gives_lifecycle_and_provenance_and_filters_what_is_active(
    api_client, target, lead_user
):
    run(target, lead_user, b.bundle(b.APT1))
    run(target, lead_user, b.bundle(b.MISP))
    api_client.force_authenticate(lead_user)
    url = reverse("intel-api:indicator-list")

    rows = api_client.get(url, {"incident": target.reference, "page_size": 100}).json()["results"]
    by_stix_id = {row["stix_id"]: row for row in rows if row["stix_id"]}
    x509 = by_stix_id[b.X509_ID]
    assert x509["stix_created"] == "2015-05-15T09:12:16.432000Z"
    assert x509["source"]["source_identity"]["name"] == "Mandiant"
    assert x509["source"]["kill_chain_phases"][0]["phase_name"] == "establish-foothold"
    assert x509["source"]["statements"][0]["definition"]["statement"].startswith("Copyright")
    assert x509["pattern"] and x509["active"] is True
    assert by_stix_id[b.REVOKED_ID]["revoked"] is True
    assert by_stix_id[b.REVOKED_ID]["active"] is False
    assert by_stix_id[b.EXPIRED_ID]["valid_until"] == "2024-06-01T00:00:00Z"
    derived = [row for row in rows if row["derived_from"] == kept(target, b.FUZZY_ID).pk]
    assert {row["type"] for row in derived} == {"md5", "ssdeep", "tlsh"}
    assert "similarity" in next(r for r in derived if r["type"] == "ssdeep")["blocklist_note"]

    inactive = api_client.get(url, {"incident": target.reference, "active": "false"}).json()
    assert {row["stix_id"] for row in inactive["results"]} == {b.REVOKED_ID, b.EXPIRED_ID}
    active = api_client.get(url, {"incident": target.reference, "active": "true"}).json()
    assert b.REVOKED_ID not in {row["stix_id"] for row in active["results"]}
