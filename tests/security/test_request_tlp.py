"""Issue #13, finding 5: a request for assistance drafted from a TLP:RED incident copied the
RED summary into its facts, and the requested agency saw it (and the incident reference)
with no TLP marking on the page or the print form.

A request now carries its own TLP marking: by default its incident's, never lower while
its texts quote the incident, shown on every page, the print form and the API, and obeyed
by its emails. The requested side sees the request, never the incident's reference.
"""

import json

import pytest
from django.urls import reverse

from coordination.assistance import actions
from coordination.assistance.choices import LegalBasis
from coordination.assistance.models import AssistanceRequest
from coordination.assistance.transitions import transition_request
from coordination.notifications.choices import Channel
from coordination.notifications.models import Notification
from incidents.actions import update_incident
from incidents.choices import TLP
from tests.assistance.conftest import DATA, complete_fields
from tests.factories import make_incident

pytestmark = pytest.mark.django_db

SECRET_SUMMARY = "An informant inside the Nightjar crew gave us the operators' real names."


@pytest.fixture
def red_incident(lead_user):
    return make_incident(
        lead_user,
        title="Operation Nightjar against a ransomware crew",
        summary=SECRET_SUMMARY,
        tlp=TLP.RED,
        affected_countries=["DE", "NL"],
    )


def draft(by, incident, nl_agency, **overrides):
    fields = complete_fields(LegalBasis.EIO, receiving_agency=nl_agency, facts=SECRET_SUMMARY)
    fields.update(overrides)
    return actions.create_request(by, incident=incident, data_sought=DATA, **fields)


@pytest.fixture
def sent_red_request(lead_user, approve, red_incident, nl_agency):
    request = draft(lead_user, red_incident, nl_agency)
    transition_request(request, "submit", lead_user)
    approve(request)
    return request


# Marking: defaults, floor and validation ---------------------------------------------


def test_drafting_form_from_a_red_incident_starts_marked_red(client, lead_user, red_incident):
    client.force_login(lead_user)

    html = client.get(
        reverse("assistance:create"), {"incident": red_incident.reference}
    ).content.decode()

    assert '<option value="red" selected>TLP:RED</option>' in html


def test_a_request_drafted_from_an_incident_takes_its_marking(lead_user, red_incident, nl_agency):
    request = draft(lead_user, red_incident, nl_agency)

    assert request.tlp == TLP.RED


def test_a_request_quoting_a_red_incident_cannot_be_marked_lower(
    lead_user, red_incident, nl_agency
):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as excinfo:
        draft(lead_user, red_incident, nl_agency, tlp=TLP.AMBER)

    message = excinfo.value.message_dict["tlp"][0]
    assert red_incident.reference in message and "TLP:RED" in message
    assert not AssistanceRequest.objects.exists()


def test_quoting_one_sentence_or_the_title_is_quoting(lead_user, red_incident, nl_agency):
    from django.core.exceptions import ValidationError

    for facts in (
        f"Background. {SECRET_SUMMARY.upper()} Please help.",
        "Case: operation nightjar against a RANSOMWARE crew.",
    ):
        with pytest.raises(ValidationError):
            draft(lead_user, red_incident, nl_agency, tlp=TLP.GREEN, facts=facts)


def test_rewritten_facts_may_be_marked_lower(lead_user, red_incident, nl_agency):
    request = draft(
        lead_user,
        red_incident,
        nl_agency,
        tlp=TLP.AMBER,
        facts="A ransomware crew staged attacks from a VPS in Amsterdam.",
    )

    assert request.tlp == TLP.AMBER


def test_form_shows_the_marking_error_beside_the_field(client, lead_user, red_incident, nl_agency):
    client.force_login(lead_user)
    data = {
        "legal_basis": "eio",
        "requested_country": "NL",
        "receiving_agency": str(nl_agency.pk),
        "measures": ["subscriber"],
        "urgency": "routine",
        "tlp": "amber",
        "facts": SECRET_SUMMARY,
        "offences": "§ 303b StGB",
        "dual_criminality": "Art. 138b Sr",
        "data-TOTAL_FORMS": "0",
        "data-INITIAL_FORMS": "0",
        "data-MIN_NUM_FORMS": "0",
        "data-MAX_NUM_FORMS": "50",
    }

    response = client.post(
        f"{reverse('assistance:create')}?incident={red_incident.reference}", data
    )

    assert response.status_code == 400
    assert "mark the request TLP:RED or higher" in response.content.decode()
    assert not AssistanceRequest.objects.exists()


def test_api_refuses_a_lower_marking_and_defaults_to_the_incidents(
    api_client, lead_user, red_incident, nl_agency
):
    api_client.force_authenticate(lead_user)
    payload = complete_fields(LegalBasis.EIO, receiving_agency=nl_agency.pk, facts=SECRET_SUMMARY)
    payload["incident"] = red_incident.reference

    refused = api_client.post(
        reverse("assistance-api:request-list"), {**payload, "tlp": "green"}, format="json"
    )
    created = api_client.post(reverse("assistance-api:request-list"), payload, format="json")

    assert refused.status_code == 400 and "tlp" in refused.json()
    assert created.status_code == 201 and created.json()["tlp"] == TLP.RED
    lowered = api_client.patch(
        reverse("assistance-api:request-detail", args=[created.json()["reference"]]),
        {"tlp": "amber"},
        format="json",
    )
    assert lowered.status_code == 400 and "tlp" in lowered.json()


def test_incident_raised_to_red_after_drafting_blocks_submission(lead_user, nl_agency, de_liaison):
    from django.core.exceptions import ValidationError

    incident = make_incident(lead_user, summary=SECRET_SUMMARY, tlp=TLP.AMBER)
    request = draft(lead_user, incident, nl_agency)
    update_incident(incident, lead_user, tlp=TLP.RED)

    with pytest.raises(ValidationError) as excinfo:
        transition_request(AssistanceRequest.objects.get(pk=request.pk), "submit", lead_user)

    assert "TLP:RED" in excinfo.value.message_dict["tlp"][0]


# What the requested side sees --------------------------------------------------------


def test_requested_side_sees_the_marking_and_not_the_incident_on_the_page(
    client, sent_red_request, nl_liaison, red_incident
):
    client.force_login(nl_liaison)

    html = client.get(sent_red_request.get_absolute_url()).content.decode()

    assert '<span class="tlp tlp--red">TLP:RED</span>' in html
    assert red_incident.reference not in html
    assert red_incident.title not in html


def test_requested_side_sees_the_marking_on_the_print_form(
    client, sent_red_request, nl_liaison, red_incident
):
    client.force_login(nl_liaison)

    html = client.get(
        reverse("assistance:print", args=[sent_red_request.reference])
    ).content.decode()

    assert '<span class="tlp tlp--red">TLP:RED</span>' in html
    assert red_incident.reference not in html


@pytest.mark.parametrize("page", ["assistance:requests", "assistance:desk"])
def test_list_and_desk_show_the_marking_without_the_incident(
    client, sent_red_request, nl_liaison, red_incident, page
):
    client.force_login(nl_liaison)

    html = client.get(reverse(page)).content.decode()

    assert sent_red_request.reference in html
    assert '<span class="tlp tlp--red">TLP:RED</span>' in html
    assert red_incident.reference not in html


def test_requesting_side_still_sees_the_incident_reference(
    client, sent_red_request, lead_user, red_incident
):
    client.force_login(lead_user)

    html = client.get(reverse("assistance:requests")).content.decode()
    printed = client.get(reverse("assistance:print", args=[sent_red_request.reference]))

    assert red_incident.reference in html
    assert red_incident.reference in printed.content.decode()


def test_incident_panel_shows_each_requests_marking(client, sent_red_request, lead_user):
    client.force_login(lead_user)

    html = client.get(
        reverse("assistance:incident_panel", args=[sent_red_request.incident.reference])
    ).content.decode()

    assert '<span class="tlp tlp--red">TLP:RED</span>' in html


def test_api_gives_the_marking_and_hides_the_incident_from_the_requested_side(
    api_client, sent_red_request, nl_liaison, red_incident
):
    api_client.force_authenticate(nl_liaison)

    listed = api_client.get(reverse("assistance-api:request-list")).json()
    detail = api_client.get(
        reverse("assistance-api:request-detail", args=[sent_red_request.reference])
    ).json()
    probed = api_client.get(
        reverse("assistance-api:request-list"), {"incident": red_incident.reference}
    ).json()

    assert listed["results"][0]["tlp"] == TLP.RED and listed["results"][0]["incident"] is None
    assert detail["tlp"] == TLP.RED and detail["incident"] is None
    assert red_incident.reference not in json.dumps([listed, detail])
    assert probed["count"] == 0


# Emails ------------------------------------------------------------------------------


def test_red_request_reaches_the_counterpart_mailbox_as_a_link_only(sent_red_request, nl_agency):
    mails = Notification.objects.filter(channel=Channel.EMAIL, email=nl_agency.mailbox)

    assert mails.exists()
    for mail in mails:
        for text in (mail.subject, mail.body_text, mail.body_html):
            assert "Nightjar" not in text and "informant" not in text
            assert sent_red_request.incident.reference not in text
        assert "[TLP:RED]" in mail.subject
        assert sent_red_request.get_absolute_url() in mail.body_text


def test_request_marked_red_on_a_lower_incident_is_kept_out_of_emails(
    lead_user, approve, nl_agency, nl_liaison
):
    incident = make_incident(lead_user, tlp=TLP.GREEN)
    request = draft(
        lead_user, incident, nl_agency, tlp=TLP.RED, facts="Names of undercover officers."
    )
    transition_request(request, "submit", lead_user)
    approve(request)
    transition_request(request, "acknowledge", nl_liaison)
    transition_request(request, "ask_information", nl_liaison, comment="Which officers exactly?")

    mails = Notification.objects.filter(channel=Channel.EMAIL)
    assert mails.exists()
    for mail in mails:
        assert "undercover" not in mail.body_text and "Which officers" not in mail.body_text
        assert "[TLP:RED]" in mail.subject
