"""European Production and Preservation Orders go to service providers (Regulation (EU)
2023/1543): the issuing side records what the provider does; the enforcing authority of the
provider's Member State, notified of orders for traffic or content data (Art. 8), may raise
grounds for refusal within its window (Art. 12)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.choices import Role
from coordination.assistance import actions, deadlines
from coordination.assistance.choices import (
    EnforcingDecision,
    LegalBasis,
    Measure,
    ProviderOutcome,
    Status,
    Urgency,
)
from coordination.assistance.models import AssistanceRequest, StatusHistory
from coordination.assistance.transitions import allowed_actions, side_of, transition_request
from coordination.notifications.choices import Channel, Event
from coordination.notifications.models import Notification
from incidents.exceptions import TransitionNotAllowed
from incidents.models import TimelineEntry
from tests.assistance.conftest import T0, complete_fields
from tests.factories import UserFactory, make_incident

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
D = timedelta(days=1)
DETAIL = "/api/v1/requests/{ref}/"


def _as(client, user):
    client.force_login(user)
    return client


def _names(request, user):
    return {t.name.value for t in allowed_actions(request, user)}


@pytest.fixture
def nl_supervisor(nl_agency):
    return UserFactory(username="nina", agency=nl_agency, role=Role.SUPERVISOR)


@pytest.fixture
def traffic_order(frozen, sent_request):
    """An EPOC for traffic data, sent at T0: NL-HTC is notified (Art. 8(1))."""
    return sent_request(LegalBasis.EPOC, measures=[Measure.TRAFFIC])


# Sending: addressee and notification ------------------------------------------------------


def test_order_goes_to_the_provider_and_notifies_the_enforcing_authority_for_traffic_data(
    traffic_order, nl_representative, nl_agency, nl_liaison
):
    req = AssistanceRequest.objects.get(pk=traffic_order.pk)
    assert req.status == Status.SENT
    assert req.provider_addressee == nl_representative
    assert str(req.requested_country) == "NL"
    assert req.receiving_agency is None
    assert req.notification_required is True
    assert req.enforcing_notified_at == T0 == req.sent_at
    assert side_of(nl_liaison, req) == "enforcing"
    assert AssistanceRequest.objects.restrict(nl_liaison).filter(pk=req.pk).exists()


def test_enforcing_authority_hears_of_the_order_with_its_refusal_window(
    nl_liaison, nl_supervisor, nl_agency, traffic_order
):
    alerts = Notification.objects.filter(event=Event.REQUEST_SENT)
    app = alerts.filter(channel=Channel.APP)
    assert set(app.values_list("recipient", flat=True)) == {nl_liaison.pk, nl_supervisor.pk}
    assert "Art. 8" in app.first().subject
    mailbox = alerts.get(channel=Channel.EMAIL, recipient__isnull=True)
    assert mailbox.email == nl_agency.mailbox
    assert "2026-03-12" in mailbox.body_text  # 10 days after the notification of 2 March


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"measures": [Measure.SUBSCRIBER]}, "subscriber data"),
        ({"measures": [Measure.TRAFFIC], "identification_only": True}, "to identify the user"),
        (
            {
                "measures": [Measure.CONTENT],
                "notification_exception": True,
                "notification_exception_reason": "Offence in Germany; the suspect lives in Kiel.",
            },
            "Art. 8(2) exception",
        ),
    ],
)
def test_order_without_notification_stays_invisible_to_the_enforcing_authority(
    client, frozen, sent_request, nl_liaison, fields, why
):
    req = sent_request(LegalBasis.EPOC, **fields)
    req.refresh_from_db()
    assert req.status == Status.SENT, why
    assert req.notification_required is False
    assert req.enforcing_notified_at is None and req.enforcing_agency is None
    assert not AssistanceRequest.objects.restrict(nl_liaison).filter(pk=req.pk).exists()
    assert _as(client, nl_liaison).get(req.get_absolute_url()).status_code == 404
    assert not Notification.objects.filter(event=Event.REQUEST_SENT).exists()


def test_content_data_needs_notification_even_when_identification_only_is_ticked(
    frozen, sent_request
):
    req = sent_request(LegalBasis.EPOC, measures=[Measure.CONTENT], identification_only=True)
    req.refresh_from_db()
    assert req.notification_required is True


def test_exception_needs_its_reasons(make_request, lead_user):
    req = make_request(
        LegalBasis.EPOC,
        measures=[Measure.TRAFFIC],
        notification_exception=True,
        enforcing_agency=None,
    )
    with pytest.raises(ValidationError) as excinfo:
        transition_request(req, "submit", lead_user)
    assert set(excinfo.value.message_dict) == {"notification_exception_reason"}


def test_addressee_and_enforcing_authority_are_essential(make_request, lead_user):
    req = make_request(
        LegalBasis.EPOC,
        measures=[Measure.TRAFFIC],
        provider_addressee=None,
        enforcing_agency=None,
        requested_country="NL",
    )
    with pytest.raises(ValidationError) as excinfo:
        transition_request(req, "submit", lead_user)
    errors = excinfo.value.message_dict
    assert "Art. 7(1)" in errors["provider_addressee"][0]
    assert "Art. 8(1)" in errors["enforcing_agency"][0]
    assert "receiving_agency" not in errors


def test_enforcing_authority_must_be_of_the_addressees_member_state(make_request, other_agency):
    with pytest.raises(ValidationError) as excinfo:
        make_request(LegalBasis.EPOC, measures=[Measure.TRAFFIC], enforcing_agency=other_agency)
    assert "enforcing_agency" in excinfo.value.message_dict


def test_addressee_in_the_issuing_member_state_is_refused(lead_user, nl_representative):
    nl_representative.country = "DE"
    nl_representative.save()
    with pytest.raises(ValidationError) as excinfo:
        actions.create_request(
            lead_user,
            **complete_fields(LegalBasis.EPOC_PR, provider_addressee=nl_representative),
        )
    assert "provider_addressee" in excinfo.value.message_dict


def test_preservation_order_is_never_notified(frozen, sent_request, nl_liaison, nl_agency):
    req = sent_request(LegalBasis.EPOC_PR, enforcing_agency=nl_agency)
    req.refresh_from_db()
    assert req.notification_required is False and req.enforcing_agency is None
    assert not AssistanceRequest.objects.restrict(nl_liaison).filter(pk=req.pk).exists()


def test_approval_records_the_transmission_identifier(frozen, make_request, lead_user, approve):
    req = make_request(LegalBasis.EPOC, measures=[Measure.SUBSCRIBER])
    transition_request(req, "submit", lead_user)
    approve(req, transmission_id="  EU-IT-2026-0042 ")
    req.refresh_from_db()
    assert req.transmission_id == "EU-IT-2026-0042"


# The agency-side steps do not apply ---------------------------------------------------------


@pytest.mark.parametrize("action", ["acknowledge", "accept", "ask_information", "fulfil", "refuse"])
def test_agency_side_actions_are_refused_on_an_order(traffic_order, nl_liaison, action):
    with pytest.raises(TransitionNotAllowed) as excinfo:
        transition_request(traffic_order, action, nl_liaison, comment="x")
    assert set(excinfo.value.allowed) == {"confirm_no_grounds", "raise_refusal_grounds"}


def test_agency_side_action_answers_409_with_the_allowed_ones(traffic_order, api_login, de_liaison):
    response = api_login(de_liaison).post(
        DETAIL.format(ref=traffic_order.reference) + "acknowledge/", {}
    )
    assert response.status_code == 409
    assert "record_receipt" in response.json()["allowed"]


def test_issuing_side_cannot_decide_for_the_enforcing_authority(traffic_order, de_liaison):
    with pytest.raises(PermissionDenied):
        transition_request(traffic_order, "confirm_no_grounds", de_liaison)


# The enforcing authority ---------------------------------------------------------------------


def test_enforcing_authority_confirms_no_grounds_once(
    traffic_order, frozen, nl_liaison, de_liaison, lead_user
):
    frozen.shift(2 * D)
    transition_request(traffic_order, "confirm_no_grounds", nl_liaison)
    traffic_order.refresh_from_db()
    assert traffic_order.status == Status.SENT
    assert traffic_order.enforcing_decision == EnforcingDecision.NO_GROUNDS
    assert traffic_order.enforcing_decided_at == T0 + 2 * D
    told = Notification.objects.filter(event=Event.REQUEST_UPDATED, channel=Channel.APP)
    assert {de_liaison.pk, lead_user.pk} <= set(told.values_list("recipient", flat=True))
    assert _names(traffic_order, nl_liaison) == set()
    with pytest.raises(TransitionNotAllowed):
        transition_request(traffic_order, "confirm_no_grounds", nl_liaison)
    with pytest.raises(TransitionNotAllowed):
        transition_request(traffic_order, "raise_refusal_grounds", nl_liaison, comment="Late")


def test_enforcing_authority_raises_grounds_and_the_order_ends(
    traffic_order, frozen, nl_supervisor, de_liaison
):
    with pytest.raises(ValidationError):
        transition_request(traffic_order, "raise_refusal_grounds", nl_supervisor)
    frozen.shift(9 * D)
    grounds = "Art. 12(1)(c): final judgment in the Netherlands for the same acts."
    transition_request(traffic_order, "raise_refusal_grounds", nl_supervisor, comment=grounds)
    traffic_order.refresh_from_db()
    assert traffic_order.status == Status.REFUSED
    assert traffic_order.enforcing_decision == EnforcingDecision.REFUSAL
    assert traffic_order.enforcing_grounds == grounds
    row = StatusHistory.objects.get(request=traffic_order, action="raise_refusal_grounds")
    assert row.actor_agency_name == nl_supervisor.agency.name
    told = Notification.objects.filter(
        event=Event.REQUEST_UPDATED,
        channel=Channel.APP,
        recipient=de_liaison,
        subject__contains="refusal",
    )
    assert any(grounds in n.body_text for n in told)
    assert "close" in _names(traffic_order, de_liaison)


@pytest.mark.parametrize(
    ("urgency", "end"),
    [
        # 10 days counted in the enforcing authority's days: Thursday 12 March, Amsterdam.
        (Urgency.ROUTINE, datetime(2026, 3, 12, 22, 59, 59, tzinfo=UTC)),
        # 96 hours, exactly.
        (Urgency.EMERGENCY, T0 + 96 * H),
    ],
)
def test_grounds_cannot_be_raised_after_the_window(frozen, sent_request, nl_liaison, urgency, end):
    req = sent_request(
        LegalBasis.EPOC, measures=[Measure.CONTENT], urgency=urgency, urgency_reason="Hostage."
    )
    assert deadlines.refusal_window_end(req) == end
    frozen.move_to(end - timedelta(minutes=1))
    assert "raise_refusal_grounds" in _names(req, nl_liaison)
    frozen.move_to(end + timedelta(minutes=1))
    assert _names(req, nl_liaison) == {"confirm_no_grounds"}
    with pytest.raises(TransitionNotAllowed) as excinfo:
        transition_request(req, "raise_refusal_grounds", nl_liaison, comment="Too late")
    assert "Art. 12(1)" in excinfo.value.message
    req.refresh_from_db()
    assert req.status == Status.SENT and not req.enforcing_decision


def test_other_agencies_of_that_member_state_see_nothing(
    client, api_login, traffic_order, nl_om_liaison, outsider
):
    for user in (nl_om_liaison, outsider):
        assert not AssistanceRequest.objects.restrict(user).filter(pk=traffic_order.pk).exists()
        assert _as(client, user).get(traffic_order.get_absolute_url()).status_code == 404
        response = api_login(user).post(
            DETAIL.format(ref=traffic_order.reference) + "confirm_no_grounds/", {}
        )
        assert response.status_code == 404


def test_enforcing_authority_sees_the_order_not_the_incident(
    client, frozen, sent_request, lead_user, nl_liaison
):
    incident = make_incident(lead_user)
    req = sent_request(LegalBasis.EPOC, measures=[Measure.TRAFFIC], incident=incident)
    html = _as(client, nl_liaison).get(req.get_absolute_url()).content.decode()
    assert "Example Cloud Legal Representative B.V." in html
    assert 'data-action="raise_refusal_grounds"' in html
    assert incident.reference not in html
    assert _as(client, nl_liaison).get(incident.get_absolute_url()).status_code == 404
    assert TimelineEntry.objects.filter(incident=incident).exists()


def test_desk_lists_notified_orders_until_the_enforcing_authority_decides(
    client, traffic_order, nl_liaison
):
    desk = "/requests/desk/"
    assert traffic_order.reference in _as(client, nl_liaison).get(desk).content.decode()
    transition_request(traffic_order, "confirm_no_grounds", nl_liaison)
    assert traffic_order.reference not in client.get(desk).content.decode()


def test_withdrawal_tells_the_enforcing_authority(traffic_order, de_liaison, nl_liaison, nl_agency):
    transition_request(traffic_order, "withdraw", de_liaison, comment="Suspect identified.")
    updates = Notification.objects.filter(event=Event.REQUEST_UPDATED)
    assert updates.filter(channel=Channel.APP, recipient=nl_liaison).exists()
    assert updates.filter(channel=Channel.EMAIL, email=nl_agency.mailbox).exists()


# The issuing side records what the provider does -------------------------------------------


def test_provider_receipt_cannot_be_in_the_future_or_before_sending(traffic_order, de_liaison):
    with pytest.raises(ValidationError) as excinfo:
        transition_request(traffic_order, "record_receipt", de_liaison, received_at=T0 + 2 * H)
    assert "received_at" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        transition_request(traffic_order, "record_receipt", de_liaison, received_at=T0 - H)
    assert "received_at" in excinfo.value.message_dict
    with pytest.raises(ValidationError):
        transition_request(
            traffic_order, "record_receipt", de_liaison, received_at=T0.replace(tzinfo=None)
        )
    traffic_order.refresh_from_db()
    assert traffic_order.status == Status.SENT and traffic_order.received_at is None


def test_investigator_may_not_record_for_the_provider(traffic_order, lead_user):
    with pytest.raises(PermissionDenied):
        transition_request(traffic_order, "record_receipt", lead_user)


def test_production_order_journey_with_clarification_and_data(
    traffic_order, frozen, de_liaison, lead_user, nl_liaison
):
    frozen.shift(3 * H)
    transition_request(
        traffic_order,
        "record_receipt",
        de_liaison,
        received_at=T0 + H,
        transmission_id="EU-IT-77",
    )
    traffic_order.refresh_from_db()
    assert (traffic_order.status, traffic_order.received_at) == (Status.RECEIVED, T0 + H)
    assert traffic_order.transmission_id == "EU-IT-77"
    with pytest.raises(ValidationError):
        transition_request(traffic_order, "record_clarification_request", de_liaison)
    transition_request(
        traffic_order,
        "record_clarification_request",
        de_liaison,
        comment="Annex III: which account, the IP address is shared (CGNAT).",
    )
    traffic_order.refresh_from_db()
    assert traffic_order.status == Status.AWAITING_INFORMATION
    assert traffic_order.information_asked_at == T0 + 3 * H
    transition_request(traffic_order, "answer", lead_user, comment="Source port 51234.")
    traffic_order.refresh_from_db()
    assert traffic_order.status == Status.RECEIVED
    assert _names(traffic_order, de_liaison) >= {
        "record_data",
        "record_data_partly",
        "record_impossibility",
        "withdraw",
    }
    transition_request(traffic_order, "record_data", de_liaison, comment="Received via SIRIUS.")
    traffic_order.refresh_from_db()
    assert traffic_order.status == Status.FULFILLED
    assert traffic_order.provider_outcome == ProviderOutcome.DATA_RECEIVED
    assert traffic_order.fulfilled_at == traffic_order.provider_answered_at == T0 + 3 * H
    actions_taken = list(
        StatusHistory.objects.filter(request=traffic_order).values_list("action", flat=True)
    )
    assert actions_taken[-4:] == [
        "record_receipt",
        "record_clarification_request",
        "answer",
        "record_data",
    ]


def test_impossibility_needs_reasons_and_ends_the_order(traffic_order, de_liaison):
    transition_request(traffic_order, "record_receipt", de_liaison)
    with pytest.raises(ValidationError):
        transition_request(traffic_order, "record_impossibility", de_liaison)
    transition_request(
        traffic_order, "record_impossibility", de_liaison, comment="Account deleted in 2024."
    )
    traffic_order.refresh_from_db()
    assert traffic_order.status == Status.NOT_EXECUTED
    assert traffic_order.provider_outcome == ProviderOutcome.IMPOSSIBLE
    assert traffic_order.fulfilled_at is None
    assert "close" in _names(traffic_order, de_liaison)


def test_preservation_order_journey(frozen, sent_request, de_liaison, lead_user):
    req = sent_request(LegalBasis.EPOC_PR)
    assert "confirm_preservation" not in _names(req, de_liaison)
    transition_request(req, "record_receipt", de_liaison)
    assert "record_data" not in _names(req, de_liaison)
    frozen.shift(5 * H)
    transition_request(req, "record_preservation", de_liaison, comment="Snapshot kept.")
    req.refresh_from_db()
    assert req.status == Status.PRESERVED
    assert req.preserved_at == T0 + 5 * H
    assert req.provider_outcome == ProviderOutcome.PRESERVED
    frozen.shift(40 * D)
    with pytest.raises(ValidationError):
        transition_request(req, "extend_preservation", lead_user)
    transition_request(
        req, "extend_preservation", lead_user, comment="Annex VI: the EPOC is being validated."
    )
    req.refresh_from_db()
    assert req.preservation_extended_at == T0 + 5 * H + 40 * D
    assert req.preservation_extension_reason == "Annex VI: the EPOC is being validated."
    production = sent_request(LegalBasis.EPOC, measures=[Measure.SUBSCRIBER])
    transition_request(req, "link_follow_up", lead_user, follow_up=production)
    req.refresh_from_db()
    assert req.status == Status.HELD and req.follow_up == production


# Pages and API --------------------------------------------------------------------------------


def test_request_page_records_the_receipt_with_the_time_given(client, traffic_order, de_liaison):
    page = _as(client, de_liaison)
    html = page.get(traffic_order.get_absolute_url()).content.decode()
    assert 'id="received-at-provider"' in html and 'id="order-addressee"' in html
    url = f"{traffic_order.get_absolute_url()}record_receipt/"
    response = page.post(url, {"received_at": "2026-03-02T12:00", "transmission_id": "X-1"})
    assert response.status_code == 400  # 12:00 in Berlin is 11:00 UTC: after T0, in the future
    assert "Receipt cannot be in the future." in response.content.decode()
    response = page.post(url, {"received_at": "2026-03-02T10:00", "transmission_id": "X-1"})
    assert response.status_code == 302
    traffic_order.refresh_from_db()
    assert traffic_order.received_at == T0  # 10:00 Europe/Berlin
    html = page.get(traffic_order.get_absolute_url()).content.decode()
    assert "X-1" in html and 'data-action="record_data"' in html


def test_enforcing_authority_decides_from_the_page(client, traffic_order, nl_liaison):
    url = f"{traffic_order.get_absolute_url()}raise_refusal_grounds/"
    response = _as(client, nl_liaison).post(url, {"comment": ""})
    assert response.status_code == 400
    response = client.post(url, {"comment": "Art. 12(1)(d): not an offence here."})
    assert response.status_code == 302
    html = client.get(traffic_order.get_absolute_url()).content.decode()
    assert "Grounds for refusal raised" in html and "not an offence here" in html


def test_api_shows_the_order_and_takes_its_actions(
    api_login, traffic_order, de_liaison, nl_liaison
):
    url = DETAIL.format(ref=traffic_order.reference)
    body = api_login(de_liaison).get(url).json()
    assert body["provider_addressee"]["provider"] == "Example Cloud Ltd"
    assert body["provider_addressee"]["role"] == "representative"
    assert body["enforcing_agency"]["short_name"] == "NL-HTC"
    assert body["notification_required"] is True
    assert body["refusal_window_until"] == "2026-03-12T22:59:59Z"  # end of day 10, Amsterdam
    assert body["receiving_agency"] is None
    assert "record_receipt" in body["allowed_actions"]
    response = api_login(de_liaison).post(
        url + "record_receipt/", {"received_at": "2026-03-03T09:00:00Z"}, format="json"
    )
    assert response.status_code == 400
    assert "received_at" in response.json()
    response = api_login(de_liaison).post(
        url + "record_receipt/",
        {"received_at": "2026-03-02T09:00:00Z", "transmission_id": "EU-IT-1"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == Status.RECEIVED
    assert response.json()["transmission_id"] == "EU-IT-1"
    client = api_login(nl_liaison)
    assert client.get(url).json()["allowed_actions"] == [
        "confirm_no_grounds",
        "raise_refusal_grounds",
    ]
    response = client.post(url + "confirm_no_grounds/", {}, format="json")
    assert response.status_code == 200
    assert response.json()["enforcing_decision"] == EnforcingDecision.NO_GROUNDS
    assert client.post(url + "confirm_no_grounds/", {}, format="json").status_code == 409


def test_api_drafts_an_order_to_a_provider(api_login, lead_user, nl_representative, nl_agency):
    response = api_login(lead_user).post(
        "/api/v1/requests/",
        {
            **complete_fields(LegalBasis.EPOC, measures=["content"]),
            "requested_country": "",
            "provider_addressee": nl_representative.pk,
            "enforcing_agency": nl_agency.pk,
            "data_sought": [
                {"kind": "email", "value": "a@mail.example", "provider": "Example Cloud Ltd"}
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["requested_country"] == "NL"
    assert body["provider_addressee"]["id"] == nl_representative.pk
    assert body["enforcing_agency"]["id"] == nl_agency.pk
    response = api_login(lead_user).patch(
        DETAIL.format(ref=body["reference"]), {"provider_addressee": 999999}, format="json"
    )
    assert response.status_code == 400
    assert "provider_addressee" in response.json()


def test_drafting_form_adapts_to_an_order(client, lead_user, nl_representative, nl_agency):
    page = _as(client, lead_user)
    data = {
        "legal_basis": "epoc",
        "measures": ["traffic"],
        "provider_addressee": nl_representative.pk,
        "urgency": "routine",
        "data-TOTAL_FORMS": "0",
        "data-INITIAL_FORMS": "0",
    }
    html = page.post("/requests/new/adapt/", data).content.decode()
    assert 'name="provider_addressee"' in html and 'name="receiving_agency"' not in html
    assert "The enforcing authority must be notified." in html
    assert f'<option value="{nl_agency.pk}"' in html
    html = page.post("/requests/new/adapt/", {**data, "identification_only": "on"}).content
    assert b"No notification." in html and b'name="enforcing_agency"' not in html
    html = page.post("/requests/new/adapt/", {**data, "notification_exception": "on"}).content
    assert b'name="notification_exception_reason"' in html
    response = page.post(
        "/requests/new/",
        {
            **data,
            "enforcing_agency": nl_agency.pk,
            "facts": "Leak site operator.",
            "offences": "§ 202a StGB.",
            "tlp": "amber",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    req = AssistanceRequest.objects.get()
    assert (req.provider_addressee, req.enforcing_agency) == (nl_representative, nl_agency)
    assert str(req.requested_country) == "NL"
