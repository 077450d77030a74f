"""Scenario files: the shipped ones validate; a faulty one is refused with where and why."""

import pytest

from coordination.exercises import scenarios

pytestmark = pytest.mark.exercise

VALID = """
id: tiny
title: A tiny scenario
objectives: [Answer fast]
roles:
  - {key: lead, kind: lead_country, label: Lead}
injects:
  - {key: one, at: 0m, to: lead, do: incident, incident: case, title: Case, summary: Text}
  - {key: two, at: 1h30m, to: lead, do: timeline, incident: case, title: More, text: News,
     expect: {acknowledge: 15m}}
"""


def test_the_three_shipped_scenarios_validate():
    shipped = scenarios.shipped()
    assert {"hospital-ransomware", "payment-ddos", "supply-chain"} <= set(shipped)
    for scenario in shipped.values():
        kinds = {inject["do"] for inject in scenario.injects}
        assert {"incident", "request"} <= kinds
        assert scenario.objectives


def test_a_valid_scenario_loads_with_its_offsets():
    scenario = scenarios.parse(VALID)
    assert scenario.id == "tiny"
    assert scenarios.parse_duration(scenario.injects[1]["at"]).total_seconds() == 5400


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("do: timeline", "do: teleport"), "injects/1/do"),
        (("at: 1h30m", "at: soon"), "injects/1/at"),
        (("to: lead, do: timeline", "to: ghost, do: timeline"), "'to' names no role: ghost"),
        (("incident: case, title: More", "incident: other, title: More"), "not filed"),
        (("acknowledge: 15m", "acknowledge: 15m, tea: 5m"), "injects/1/expect"),
        (("title: A tiny scenario\n", ""), "'title' is a required property"),
    ],
)
def test_a_faulty_scenario_is_refused_naming_where(change, message):
    old, new = change
    with pytest.raises(scenarios.ScenarioError) as caught:
        scenarios.parse(VALID.replace(old, new, 1))
    assert message in str(caught.value)


def test_an_inject_without_what_its_action_needs_is_refused():
    broken = VALID.replace(", text: News", "")
    with pytest.raises(scenarios.ScenarioError) as caught:
        scenarios.parse(broken)
    assert "'text' is a required property" in str(caught.value)


def test_yaml_that_does_not_parse_is_refused():
    with pytest.raises(scenarios.ScenarioError, match="not valid YAML"):
        scenarios.parse("id: [unclosed")
