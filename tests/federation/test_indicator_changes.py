# ruff: noqa: F811 (the replica fixture of test_shared_incidents, imported, is an argument here)
"""An indicator changed after it was written (a sighting merged into it, a new version
imported, revoked) sends its new state where it went; the receiving node updates its copy,
never lowering its label; indicators imported from STIX travel as those written by hand."""

import json

import pytest
from django.utils import timezone

from coordination.exchange.importer import import_bundle
from coordination.federation.choices import InboxStatus
from coordination.federation.models import InboxMessage
from coordination.intel import actions as intel_actions
from coordination.intel.models import Indicator
from incidents.choices import TLP, ParticipationRole
from tests.factories import UserFactory, make_incident
from tests.federation.conftest import lead_stream
from tests.federation.test_shared_incidents import DE_CASE, STREAM, replica, sent  # noqa: F401

pytestmark = [pytest.mark.federation, pytest.mark.django_db]

VALID_FROM = "2026-01-05T10:00:00.000Z"


def indicator_from_de(indicator_id=5, **fields):
    return {
        "incident": DE_CASE,
        "indicator": {"node": "de-node", "id": indicator_id},
        "type": "domain",
        "value": "c2.example",
        "tlp": "amber",
        "first_seen": None,
        "last_seen": None,
        "confidence": 60,
        "note": "",
        "added_by_name": "Hans",
        "agency": {"node": "de-node", "id": 7},
        "created_at": timezone.now().isoformat(),
        "audience": [],
        **fields,
    }


def stix_bundle(*patterns, modified=VALID_FROM, **extra):
    objects = [
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
            "created": VALID_FROM,
            "modified": modified,
            "pattern": pattern,
            "pattern_type": "stix",
            "valid_from": VALID_FROM,
            **extra,
        }
        for n, pattern in enumerate(patterns, start=1)
    ]
    bundle = {"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000000"}
    return json.dumps({**bundle, "objects": objects}).encode()


@pytest.fixture
def shared(investigator, bka, remote):
    return make_incident(investigator, shared_with=[(bka, ParticipationRole.CONTRIBUTOR)])


# Sending ---------------------------------------------------------------------------------


def test_a_sighting_merged_into_an_indicator_written_here_sends_its_new_state(
    investigator, shared, remote
):
    indicator, _ = intel_actions.add_indicator(shared, investigator, value="evil.example")
    seen = timezone.now()

    intel_actions.add_indicator(
        shared, investigator, value="evil.example", confidence=90, last_seen=seen
    )

    first, update = sent(remote.peer, "incident.indicator")
    assert (
        first.body["indicator"]
        == update.body["indicator"]
        == {"node": "fr-node", "id": indicator.pk}
    )
    assert (first.body["confidence"], update.body["confidence"]) == (None, 90)
    assert update.body["last_seen"] == seen.isoformat() and update.body["revoked"] is False


def test_a_merge_that_changes_nothing_sends_nothing(investigator, shared, remote):
    intel_actions.add_indicator(shared, investigator, value="evil.example", confidence=90)

    intel_actions.add_indicator(shared, investigator, value="evil.example", confidence=50)

    assert len(sent(remote.peer, "incident.indicator")) == 1


def test_a_pasted_sighting_of_a_known_indicator_sends_its_new_state(investigator, shared, remote):
    intel_actions.add_indicator(shared, investigator, value="evil.example")

    intel_actions.paste_indicators(shared, investigator, "evil.example\n", confidence=70)

    assert [m.body["confidence"] for m in sent(remote.peer, "incident.indicator")] == [None, 70]


def test_a_sighting_merged_into_another_nodes_indicator_stays_here(
    replica, investigator, remote, post_message
):
    post_message(remote.message(2, type="incident.indicator", stream=STREAM,
                                body=indicator_from_de()))  # fmt: skip
    before = len(sent(remote.peer, "incident.indicator"))

    intel_actions.add_indicator(replica, investigator, value="c2.example", confidence=95)

    assert Indicator.objects.get(origin_node="de-node").confidence == 95
    assert len(sent(remote.peer, "incident.indicator")) == before


def test_indicators_imported_from_stix_travel_and_a_new_version_revokes_what_it_drops(
    investigator, shared, remote
):
    first = stix_bundle("[domain-name:value = 'a.example' OR domain-name:value = 'b.example']")
    import_bundle(shared, investigator, first)
    values = {m.body["value"]: m.body["indicator"] for m in sent(remote.peer, "incident.indicator")}
    assert {"a.example", "b.example"} <= set(values)
    before = len(sent(remote.peer, "incident.indicator"))

    revised = stix_bundle(
        "[domain-name:value = 'a.example' OR domain-name:value = 'c.example']",
        modified="2026-02-01T10:00:00.000Z",
        revoked=True,
    )
    import_bundle(shared, investigator, revised)

    changes = [m.body for m in sent(remote.peer, "incident.indicator")[before:]]
    by_value = {}
    for body in changes:
        by_value.setdefault(body["value"], []).append(body)
    assert by_value["b.example"][-1]["revoked"] is True  # dropped here, revoked there
    assert by_value["b.example"][-1]["indicator"] == values["b.example"]
    assert not Indicator.objects.filter(incident=shared, value="b.example").exists()
    source = Indicator.objects.get(incident=shared, stix_id__startswith="indicator--")
    (source_state,) = [b for b in changes if b["indicator"] == {"node": "fr-node", "id": source.pk}]
    assert source_state["revoked"] is True  # the new version revokes it


# Receiving -------------------------------------------------------------------------------


def test_the_new_state_of_a_copy_is_taken_from_its_node(replica, remote, post_message):
    post_message(remote.message(2, type="incident.indicator", stream=STREAM,
                                body=indicator_from_de()))  # fmt: skip
    seen = timezone.now().replace(microsecond=0)

    post_message(
        remote.message(3, type="incident.indicator", stream=STREAM, body=indicator_from_de(
            confidence=85, last_seen=seen.isoformat(), revoked=True, note="Sinkholed",
        ))
    )  # fmt: skip

    (copy,) = Indicator.objects.filter(incident=replica)
    assert (copy.confidence, copy.last_seen, copy.revoked, copy.note) == (
        85, seen, True, "Sinkholed",
    )  # fmt: skip
    assert set(InboxMessage.objects.values_list("status", flat=True)) == {InboxStatus.APPLIED}


def test_a_copy_raised_here_keeps_its_label_when_its_node_sends_a_lower_one(
    replica, remote, post_message
):
    post_message(remote.message(2, type="incident.indicator", stream=STREAM,
                                body=indicator_from_de()))  # fmt: skip
    Indicator.objects.filter(origin_node="de-node").update(tlp=TLP.AMBER_STRICT)

    post_message(remote.message(3, type="incident.indicator", stream=STREAM,
                                body=indicator_from_de(confidence=99)))  # fmt: skip

    copy = Indicator.objects.get(origin_node="de-node")
    assert (copy.tlp, copy.confidence) == (TLP.AMBER_STRICT, 99)


def test_a_malformed_new_state_changes_nothing(replica, remote, post_message):
    post_message(remote.message(2, type="incident.indicator", stream=STREAM,
                                body=indicator_from_de()))  # fmt: skip

    post_message(remote.message(3, type="incident.indicator", stream=STREAM,
                                body=indicator_from_de(revoked="yes", confidence=10)))  # fmt: skip

    assert Indicator.objects.get(origin_node="de-node").confidence == 60
    failed = InboxMessage.objects.get(seq=3)
    assert failed.status == InboxStatus.FAILED and "revoked" in failed.error


def test_lead_node_takes_a_contributors_change_and_sends_it_on_to_the_other_nodes(
    remote, post_message, spain, led_here
):
    incident = led_here
    case, stream = lead_stream(incident)
    post_message(remote.message(1, type="incident.indicator", stream=stream,
                                body=indicator_from_de(incident=case)))  # fmt: skip
    before_de, before_es = len(sent(remote.peer)), len(sent(spain.peer))

    post_message(remote.message(2, type="incident.indicator", stream=stream,
                                body=indicator_from_de(incident=case, revoked=True)))  # fmt: skip

    assert Indicator.objects.get(origin_node="de-node", origin_id=5).revoked
    (relayed,) = sent(spain.peer)[before_es:]
    assert relayed.body["indicator"] == {"node": "de-node", "id": 5}
    assert relayed.body["revoked"] is True
    assert sent(remote.peer)[before_de:] == []  # not back to its node


# A label raised after the indicator went -----------------------------------------------------


def test_a_label_raised_beyond_what_a_node_may_have_tells_it_to_hide_its_copy(
    investigator, shared, remote
):
    indicator, _ = intel_actions.add_indicator(shared, investigator, value="evil.example")

    intel_actions.add_indicator(
        shared, investigator, value="evil.example", tlp=TLP.AMBER_STRICT, confidence=99
    )

    messages = sent(remote.peer)
    assert [m.body["confidence"] for m in messages if m.type == "incident.indicator"] == [None]
    (notice,) = [m for m in messages if m.type == "incident.indicator_raised"]
    assert notice.body == {
        "incident": {"node": "fr-node", "id": shared.pk},
        "indicator": {"node": "fr-node", "id": indicator.pk},
        "tlp": "amber+strict",
    }  # the label, never the content


def test_a_label_raised_to_red_goes_whole_to_the_named_node_and_as_a_notice_to_the_others(
    investigator, bka, remote, spain, ccn
):
    incident = make_incident(
        investigator,
        shared_with=[(bka, ParticipationRole.CONTRIBUTOR), (ccn, ParticipationRole.OBSERVER)],
    )
    hans = UserFactory(username="de-node:hans", agency=bka, is_active=False, listed_by_node=True)
    intel_actions.add_indicator(incident, investigator, value="evil.example")
    before_de, before_es = len(sent(remote.peer)), len(sent(spain.peer))

    intel_actions.add_indicator(
        incident, investigator, value="evil.example", tlp=TLP.RED, audience=[hans]
    )

    to_de = [m for m in sent(remote.peer)[before_de:] if m.type.startswith("incident.indicator")]
    assert [(m.type, m.body["tlp"], m.body["audience"]) for m in to_de] == [
        ("incident.indicator", "red", ["hans"])
    ]
    to_es = [m for m in sent(spain.peer)[before_es:] if m.type.startswith("incident.indicator")]
    assert [(m.type, m.body["tlp"]) for m in to_es] == [("incident.indicator_raised", "red")]


def test_a_copy_told_of_a_raised_label_is_hidden_from_everyone_here(
    replica, investigator, remote, post_message
):
    post_message(remote.message(2, type="incident.indicator", stream=STREAM,
                                body=indicator_from_de()))  # fmt: skip
    assert Indicator.objects.filter(incident=replica).visible_to(investigator).exists()
    notice = {"incident": DE_CASE, "indicator": {"node": "de-node", "id": 5}, "tlp": "red"}

    post_message(remote.message(3, type="incident.indicator_raised", stream=STREAM, body=notice))

    copy = Indicator.objects.get(origin_node="de-node")
    assert copy.tlp == TLP.RED and not copy.audience.exists()
    assert not Indicator.objects.filter(incident=replica).visible_to(investigator).exists()
    assert InboxMessage.objects.get(seq=3).status == InboxStatus.APPLIED


def test_a_raised_label_notice_for_an_indicator_never_sent_here_changes_nothing(
    replica, remote, post_message
):
    notice = {"incident": DE_CASE, "indicator": {"node": "de-node", "id": 404}, "tlp": "red"}

    post_message(remote.message(2, type="incident.indicator_raised", stream=STREAM, body=notice))

    assert InboxMessage.objects.get(seq=2).status == InboxStatus.APPLIED
    assert not Indicator.objects.exists()


def test_lead_node_passes_a_contributors_raised_label_on_to_the_other_nodes(
    remote, post_message, spain, led_here
):
    incident = led_here
    case, stream = lead_stream(incident)
    post_message(remote.message(1, type="incident.indicator", stream=stream,
                                body=indicator_from_de(incident=case)))  # fmt: skip
    before_es = len(sent(spain.peer))
    notice = {"incident": case, "indicator": {"node": "de-node", "id": 5}, "tlp": "amber+strict"}

    post_message(remote.message(2, type="incident.indicator_raised", stream=stream, body=notice))

    assert Indicator.objects.get(origin_node="de-node").tlp == TLP.AMBER_STRICT
    (relayed,) = sent(spain.peer)[before_es:]
    assert relayed.type == "incident.indicator_raised" and relayed.body == notice


# Many at once ------------------------------------------------------------------------------


def _lines(count, start=0):
    return "\n".join(f"10.1.{n // 250}.{n % 250}" for n in range(start, start + count))


def test_a_paste_sends_one_message_per_indicator_in_order_in_a_few_queries(
    investigator, shared, remote, django_assert_max_num_queries
):
    intel_actions.paste_indicators(shared, investigator, _lines(30))

    # Not a few per indicator (they were seven): the rows and messages are written in
    # batches (SQLite splits a batch in a few statements, PostgreSQL does not).
    with django_assert_max_num_queries(40):
        intel_actions.paste_indicators(shared, investigator, _lines(200, start=30))

    messages = sent(remote.peer, "incident.indicator")
    assert [m.body["value"] for m in messages] == _lines(230).splitlines()
    assert [m.seq for m in messages] == sorted(m.seq for m in messages)
    assert len({m.seq for m in messages}) == 230


def test_an_import_sends_its_indicators_in_one_batch_per_node(
    investigator, bka, ccn, remote, spain
):
    incident = make_incident(
        investigator,
        shared_with=[(bka, ParticipationRole.CONTRIBUTOR), (ccn, ParticipationRole.OBSERVER)],
    )
    patterns = [f"[domain-name:value = 'host{n}.example']" for n in range(5)]

    import_bundle(incident, investigator, stix_bundle(*patterns))

    for peer in (remote.peer, spain.peer):
        values = [m.body["value"] for m in sent(peer, "incident.indicator")]
        assert values == [f"host{n}.example" for n in range(5)]
