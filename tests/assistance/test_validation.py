"""Judicial validation (Directive 2014/41/EU Art. 2(c); Regulation (EU) 2023/1543 Art. 4) and
the warning for an EIO addressed to a police authority.

Germany's police unit (BKA-CC, lead_agency) drafts; the German prosecutor (DE-ZIT) or the
German court (DE-AG) validates; the Netherlands (NL-HTC, a police unit; NL-OM, a
prosecutor) receive.
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.choices import AgencyKind, Role
from coordination.assistance.choices import LegalBasis, Measure, Status
from coordination.assistance.models import AssistanceRequest, StatusHistory
from coordination.assistance.transitions import allowed_actions, transition_request
from coordination.assistance.validation_rules import may_validate, validation_needed
from coordination.notifications.choices import Channel, Event
from coordination.notifications.models import Notification
from incidents.choices import TimelineKind
from incidents.models import TimelineEntry
from tests.assistance.conftest import T0
from tests.factories import AgencyFactory, UserFactory, make_incident

pytestmark = pytest.mark.django_db

EIO_SOURCE = "Directive 2014/41/EU Art. 2(c)(ii)"


def detail(req):
    return f"/api/v1/requests/{req.reference}/"


@pytest.fixture
def submitted(make_request, lead_user):
    """``submitted(basis, **fields)``: drafted and submitted by the German investigator."""

    def _submitted(basis=LegalBasis.EIO, **fields):
        req = make_request(basis, **fields)
        transition_request(req, "submit", lead_user)
        return req

    return _submitted


@pytest.fixture
def fr_prosecutor(db):
    agency = AgencyFactory(
        name="Parquet de Paris – J3",
        short_name="FR-J3",
        country="FR",
        kind=AgencyKind.PROSECUTOR,
        timezone="Europe/Paris",
    )
    return UserFactory(username="pauline", agency=agency, role=Role.LIAISON_OFFICER)


def epoc(submitted, measures, **fields):
    return submitted(LegalBasis.EPOC, measures=measures, **fields)


# Who validates ---------------------------------------------------------------------------


def test_police_liaison_cannot_validate_an_eio(submitted, de_liaison, de_prosecutor):
    # Given an EIO drafted by a police unit and submitted
    req = submitted()
    # When the police unit's liaison officer approves it
    with pytest.raises(PermissionDenied) as refused:
        transition_request(req, "approve", de_liaison, confirm_addressee=True)
    # Then it is refused, naming who must validate and the source
    message = str(refused.value)
    assert "judge, court, investigating judge or public prosecutor of Germany" in message
    assert EIO_SOURCE in message
    assert "approve" not in [t.name for t in allowed_actions(req, de_liaison)]
    # and the officer may still return it or withdraw it
    assert {"return", "withdraw"} <= {t.name for t in allowed_actions(req, de_liaison)}
    req.refresh_from_db()
    assert req.status == Status.PENDING_APPROVAL


def test_police_liaison_gets_403_in_the_browser_and_the_api(
    client, api_login, submitted, de_liaison
):
    req = submitted()
    client.force_login(de_liaison)
    response = client.post(f"/requests/{req.reference}/approve/", {"confirm_addressee": "on"})
    assert response.status_code == 403
    response = api_login(de_liaison).post(
        f"{detail(req)}approve/", {"confirm_addressee": True}, format="json"
    )
    assert response.status_code == 403
    assert EIO_SOURCE in response.json()["detail"]


def test_prosecutor_of_the_issuing_state_validates_an_eio_from_a_police_unit(
    frozen, make_request, lead_user, de_prosecutor, de_prosecution
):
    # Given an EIO of the police unit, drafted from an incident and submitted
    incident = make_incident(lead_user)
    req = make_request(LegalBasis.EIO, incident=incident)
    transition_request(req, "submit", lead_user)
    assert req.validation_kinds == "prosecutor,court"
    # When the German prosecutor validates it
    row = transition_request(req, "approve", de_prosecutor, confirm_addressee=True)
    # Then it is sent, and the validator and the validating authority are named
    req.refresh_from_db()
    assert req.status == Status.SENT
    assert req.validated_by == de_prosecutor
    assert req.validating_agency == de_prosecution
    assert req.validated_at == T0
    assert req.approved_by == de_prosecutor
    assert row.actor_name == de_prosecutor.display_name
    assert row.actor_agency_name == de_prosecution.name
    entry = TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.REQUEST).latest("pk")
    assert f"Validated by {de_prosecutor.display_name} ({de_prosecution.name})" in entry.body
    assert EIO_SOURCE in entry.body


def test_prosecutor_of_another_country_may_not_validate(submitted, fr_prosecutor):
    req = submitted()
    reason = may_validate(fr_prosecutor, req)
    assert "issuing State" in reason
    with pytest.raises(PermissionDenied):
        transition_request(req, "approve", fr_prosecutor, confirm_addressee=True)


def test_investigator_of_the_prosecution_may_not_validate(submitted, de_prosecution):
    clerk = UserFactory(username="ina", agency=de_prosecution, role=Role.INVESTIGATOR)
    req = submitted()
    with pytest.raises(PermissionDenied, match="liaison officer or supervisor"):
        transition_request(req, "approve", clerk, confirm_addressee=True)


def test_supervisor_of_the_prosecution_validates(submitted, de_prosecution):
    chief = UserFactory(username="sabine", agency=de_prosecution, role=Role.SUPERVISOR)
    req = submitted()
    transition_request(req, "approve", chief, confirm_addressee=True)
    assert req.status == Status.SENT and req.validated_by == chief


@pytest.mark.parametrize("measures", [[Measure.CONTENT], [Measure.TRAFFIC]])
def test_epoc_for_content_or_traffic_data_needs_a_court(
    submitted, de_prosecutor, de_judge, de_court, measures
):
    # Given a production order for content or traffic data (not identification only)
    req = epoc(submitted, measures)
    requirement = validation_needed(req)
    assert requirement.kinds == (AgencyKind.COURT,)
    assert str(requirement.source) == "Regulation (EU) 2023/1543 Art. 4(2)"
    # When the prosecutor tries to validate it, then it is refused
    with pytest.raises(PermissionDenied, match="judge, court or investigating judge"):
        transition_request(req, "approve", de_prosecutor)
    # and the court validates it
    transition_request(req, "approve", de_judge)
    assert req.status == Status.SENT
    assert req.validating_agency == de_court


@pytest.mark.parametrize(
    ("measures", "identification_only", "source"),
    [
        ([Measure.SUBSCRIBER], False, "Regulation (EU) 2023/1543 Art. 4(1)"),
        ([Measure.TRAFFIC], True, "Regulation (EU) 2023/1543 Art. 4(1)"),
    ],
)
def test_prosecutor_validates_an_epoc_for_subscriber_or_identification_data(
    submitted, de_prosecutor, measures, identification_only, source
):
    req = epoc(submitted, measures)
    AssistanceRequest.objects.filter(pk=req.pk).update(identification_only=identification_only)
    req.refresh_from_db()
    assert str(validation_needed(req).source) == source
    transition_request(req, "approve", de_prosecutor)
    assert req.status == Status.SENT and req.validated_by == de_prosecutor


def test_prosecutor_validates_an_epoc_pr(submitted, de_prosecutor):
    req = submitted(LegalBasis.EPOC_PR)
    assert str(validation_needed(req).source) == "Regulation (EU) 2023/1543 Art. 4(3)"
    transition_request(req, "approve", de_prosecutor)
    assert req.status == Status.SENT and req.validated_by == de_prosecutor


def test_an_epoc_for_content_issued_by_a_court_needs_no_validation(make_request, de_court):
    judge = UserFactory(username="jan", agency=de_court, role=Role.INVESTIGATOR)
    colleague = UserFactory(username="jule", agency=de_court, role=Role.LIAISON_OFFICER)
    req = make_request(LegalBasis.EPOC, by=judge, measures=[Measure.CONTENT])
    assert validation_needed(req) is None
    transition_request(req, "submit", judge)
    transition_request(req, "approve", colleague)
    assert req.status == Status.SENT and req.validated_by is None


def test_an_eio_issued_by_a_prosecutor_keeps_four_eyes(make_request, de_prosecution, nl_prosecutor):
    # Given an EIO drafted in the prosecution itself (Art. 2(c)(i): no validation)
    drafter = UserFactory(username="paul", agency=de_prosecution, role=Role.LIAISON_OFFICER)
    second = UserFactory(username="pia", agency=de_prosecution, role=Role.LIAISON_OFFICER)
    req = make_request(LegalBasis.EIO, by=drafter)
    AssistanceRequest.objects.filter(pk=req.pk).update(receiving_agency=nl_prosecutor)
    req.refresh_from_db()
    assert validation_needed(req) is None
    transition_request(req, "submit", drafter)
    assert req.validation_kinds == ""
    # Then the drafter may not approve it; a second officer does
    with pytest.raises(PermissionDenied, match="Four eyes"):
        transition_request(req, "approve", drafter)
    transition_request(req, "approve", second)
    assert req.status == Status.SENT
    assert req.approved_by == second and req.validated_by is None


@pytest.mark.parametrize(
    "basis",
    [
        LegalBasis.BUDAPEST_PRESERVATION,
        LegalBasis.BUDAPEST_MLA,
        LegalBasis.BILATERAL,
        LegalBasis.POLICE,
    ],
)
def test_four_eyes_rule_unchanged_for_the_other_bases(
    client, make_request, de_liaison, de_liaison_2, de_prosecutor, basis
):
    drafting_liaison = de_liaison_2
    req = make_request(basis, by=drafting_liaison)
    transition_request(req, "submit", drafting_liaison)
    assert validation_needed(req) is None
    # The prosecutor does not see it, let alone approve it
    client.force_login(de_prosecutor)
    assert client.get(f"/requests/{req.reference}/").status_code == 404
    with pytest.raises(PermissionDenied):
        transition_request(req, "approve", de_prosecutor)
    with pytest.raises(PermissionDenied, match="Four eyes"):
        transition_request(req, "approve", drafting_liaison)
    transition_request(req, "approve", de_liaison)
    assert req.status == Status.SENT and req.validated_by is None


def test_the_drafter_never_validates(make_request, de_prosecution, de_judge):
    # Given an EPOC for content drafted by a prosecutor (a court must validate it)
    drafter = UserFactory(username="paula", agency=de_prosecution, role=Role.LIAISON_OFFICER)
    colleague = UserFactory(username="peer", agency=de_prosecution, role=Role.LIAISON_OFFICER)
    req = make_request(LegalBasis.EPOC, by=drafter, measures=[Measure.CONTENT])
    transition_request(req, "submit", drafter)
    # Then neither the drafter nor a prosecutor colleague validates it
    with pytest.raises(PermissionDenied, match="You drafted or submitted"):
        transition_request(req, "approve", drafter)
    with pytest.raises(PermissionDenied, match="judge, court or investigating judge"):
        transition_request(req, "approve", colleague)
    transition_request(req, "approve", de_judge)
    assert req.validated_by == de_judge


def test_the_drafter_of_the_police_unit_is_told_who_validates(submitted, lead_user):
    req = submitted()
    with pytest.raises(PermissionDenied, match="You drafted or submitted"):
        transition_request(req, "approve", lead_user, confirm_addressee=True)


def test_the_validator_may_return_the_request_with_a_reason(client, submitted, de_prosecutor):
    req = submitted()
    with pytest.raises(ValidationError):
        transition_request(req, "return", de_prosecutor, comment=" ")
    row = transition_request(req, "return", de_prosecutor, comment="Proportionality not shown.")
    assert req.status == Status.DRAFT and req.validation_kinds == ""
    assert row.actor_agency_name == de_prosecutor.agency.name
    # A draft is the police unit's own business again
    client.force_login(de_prosecutor)
    assert client.get(f"/requests/{req.reference}/").status_code == 404


def test_the_validator_may_not_withdraw(submitted, de_prosecutor):
    req = submitted()
    with pytest.raises(PermissionDenied):
        transition_request(req, "withdraw", de_prosecutor, comment="No.")


# Who sees what ---------------------------------------------------------------------------


def test_the_validator_sees_the_request_but_not_the_incident(
    client, frozen, api_login, make_request, lead_user, de_prosecutor
):
    incident = make_incident(lead_user)
    req = make_request(LegalBasis.EIO, incident=incident)
    transition_request(req, "submit", lead_user)
    client.force_login(de_prosecutor)
    page = client.get(f"/requests/{req.reference}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert incident.reference not in html
    assert "Validate and send" in html
    assert client.get(incident.get_absolute_url()).status_code == 404
    body = api_login(de_prosecutor).get(detail(req)).json()
    assert body["incident"] is None
    assert body["allowed_actions"] == ["approve", "return"]
    assert body["validation"] == {
        "kinds": ["prosecutor", "court"],
        "authorities": "a judge, court, investigating judge or public prosecutor",
        "source": EIO_SOURCE,
        "pending": True,
    }
    # After validation the validating authority keeps seeing it
    transition_request(req, "approve", de_prosecutor, confirm_addressee=True)
    assert client.get(f"/requests/{req.reference}/").status_code == 200
    body = api_login(de_prosecutor).get(detail(req)).json()
    assert body["validated_by"] == de_prosecutor.display_name
    assert body["validating_agency"]["short_name"] == "DE-ZIT"
    assert body["validated_at"] == "2026-03-02T09:00:00Z"
    assert body["allowed_actions"] == []


def test_a_judicial_agency_of_another_country_sees_nothing(
    client, api_login, submitted, fr_prosecutor
):
    req = submitted()
    client.force_login(fr_prosecutor)
    assert client.get(f"/requests/{req.reference}/").status_code == 404
    assert req.reference not in client.get("/requests/").content.decode()
    assert req.reference not in client.get("/requests/desk/").content.decode()
    assert api_login(fr_prosecutor).get(detail(req)).status_code == 404


def test_a_prosecutor_does_not_see_an_order_only_a_court_may_validate(
    client, submitted, de_prosecutor, de_judge
):
    req = epoc(submitted, [Measure.CONTENT])
    client.force_login(de_prosecutor)
    assert client.get(f"/requests/{req.reference}/").status_code == 404
    client.force_login(de_judge)
    assert client.get(f"/requests/{req.reference}/").status_code == 200


def test_the_validator_reads_the_internal_history(client, make_request, lead_user, de_prosecutor):
    req = make_request(LegalBasis.EIO)
    transition_request(req, "submit", lead_user)
    transition_request(req, "return", de_prosecutor, comment="Add the offences' dates.")
    transition_request(req, "submit", lead_user)
    client.force_login(de_prosecutor)
    html = client.get(f"/requests/{req.reference}/").content.decode()
    assert "Add the offences&#x27; dates." in html


def test_the_desk_lists_the_requests_awaiting_my_validation(
    client, submitted, sent_request, de_liaison, de_prosecutor, de_judge
):
    req = submitted()
    content = epoc(submitted, [Measure.CONTENT])
    other = sent_request(LegalBasis.BUDAPEST_MLA)
    client.force_login(de_prosecutor)
    html = client.get("/requests/desk/").content.decode()
    assert req.reference in html
    assert "My agency validates it" in html
    assert content.reference not in html and other.reference not in html
    client.force_login(de_judge)
    html = client.get("/requests/desk/").content.decode()
    assert req.reference in html and content.reference in html
    # The police unit's officer no longer has it on the desk: it waits for the validator
    client.force_login(de_liaison)
    assert req.reference not in client.get("/requests/desk/").content.decode()
    transition_request(req, "approve", de_prosecutor, confirm_addressee=True)
    client.force_login(de_prosecutor)
    assert req.reference not in client.get("/requests/desk/").content.decode()


def test_desk_query_count_does_not_grow_with_awaiting_validations(
    client, submitted, de_prosecutor, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    submitted()
    client.force_login(de_prosecutor)
    client.get("/requests/desk/")
    with CaptureQueriesContext(connection) as captured:
        client.get("/requests/desk/")
    for _ in range(4):
        submitted()
    with django_assert_max_num_queries(len(captured.captured_queries)):
        client.get("/requests/desk/")


# Pages ----------------------------------------------------------------------------------


def test_detail_page_names_who_must_validate_then_who_validated(
    client, frozen, submitted, lead_user, de_prosecutor
):
    req = submitted()
    client.force_login(lead_user)
    html = client.get(f"/requests/{req.reference}/").content.decode()
    assert "Awaiting validation by" in html
    assert "public prosecutor of Germany" in html and EIO_SOURCE in html
    transition_request(req, "approve", de_prosecutor, confirm_addressee=True)
    html = client.get(f"/requests/{req.reference}/").content.decode()
    assert (
        f"Validated by {de_prosecutor.display_name} (Generalstaatsanwaltschaft Frankfurt am Main)"
        in html
    )
    assert "Validate and send" in html  # the history row's label


def test_drafting_form_says_who_will_validate(client, lead_user, nl_agency):
    client.force_login(lead_user)
    html = client.get("/requests/new/?legal_basis=eio").content.decode()
    assert 'id="validation-hint"' in html and EIO_SOURCE in html


# An EIO addressed to a police authority -------------------------------------------------


def test_draft_form_warns_beside_the_addressee_of_an_eio_to_police(
    client, lead_user, make_request, nl_agency, nl_prosecutor
):
    req = make_request(LegalBasis.EIO)
    client.force_login(lead_user)
    html = client.get(f"/requests/{req.reference}/edit/").content.decode()
    assert 'id="addressee-warning"' in html
    assert html.index('id="field-receiving_agency"') < html.index('id="addressee-warning"')
    AssistanceRequest.objects.filter(pk=req.pk).update(receiving_agency=nl_prosecutor)
    html = client.get(f"/requests/{req.reference}/edit/").content.decode()
    assert 'id="addressee-warning"' not in html


def test_browser_validation_of_an_eio_to_police_needs_the_confirmation(
    client, submitted, de_prosecutor
):
    req = submitted()
    client.force_login(de_prosecutor)
    html = client.get(f"/requests/{req.reference}/").content.decode()
    assert 'id="addressee-warning"' in html
    assert "I confirm sending this EIO to a police authority" in html
    # Without the box ticked: 400, the error beside the checkbox
    response = client.post(f"/requests/{req.reference}/approve/", {"comment": ""})
    assert response.status_code == 400
    html = response.content.decode()
    field = html[html.index('id="field-confirm_addressee"') :]
    assert "Confirm that this EIO goes to a police authority" in field[: field.index("</div>")]
    req.refresh_from_db()
    assert req.status == Status.PENDING_APPROVAL
    # Ticked: validated and sent
    response = client.post(f"/requests/{req.reference}/approve/", {"confirm_addressee": "on"})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == Status.SENT and req.validated_by == de_prosecutor


def test_api_validation_of_an_eio_to_police_needs_confirm_addressee(
    api_login, submitted, de_prosecutor
):
    req = submitted()
    client = api_login(de_prosecutor)
    body = client.get(detail(req)).json()
    assert "police" in body["addressee_warning"]
    response = client.post(f"{detail(req)}approve/", {}, format="json")
    assert response.status_code == 400
    assert "confirm_addressee" in response.json()
    response = client.post(f"{detail(req)}approve/", {"confirm_addressee": True}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "sent"


def test_an_eio_to_the_executing_judicial_authority_needs_no_confirmation(
    api_login, make_request, lead_user, de_prosecutor, nl_prosecutor
):
    req = make_request(LegalBasis.EIO)
    AssistanceRequest.objects.filter(pk=req.pk).update(receiving_agency=nl_prosecutor)
    req.refresh_from_db()
    transition_request(req, "submit", lead_user)
    client = api_login(de_prosecutor)
    assert client.get(detail(req)).json()["addressee_warning"] == ""
    response = client.post(f"{detail(req)}approve/", {}, format="json")
    assert response.status_code == 200


def test_four_eyes_approval_of_an_eio_to_police_needs_the_confirmation_too(
    make_request, de_prosecution, nl_agency
):
    drafter = UserFactory(username="paul", agency=de_prosecution, role=Role.INVESTIGATOR)
    second = UserFactory(username="pia", agency=de_prosecution, role=Role.LIAISON_OFFICER)
    req = make_request(LegalBasis.EIO, by=drafter)
    transition_request(req, "submit", drafter)
    with pytest.raises(ValidationError) as error:
        transition_request(req, "approve", second)
    assert "confirm_addressee" in error.value.message_dict
    transition_request(req, "approve", second, confirm_addressee=True)
    assert req.status == Status.SENT


# Notifications --------------------------------------------------------------------------


def _recipients(event, **filters):
    rows = Notification.objects.filter(event=event, **filters)
    return {n.recipient.username if n.recipient_id else n.email for n in rows}


def test_submission_notifies_the_agencies_that_may_validate(
    make_request, lead_user, de_liaison, de_prosecutor, de_judge, fr_prosecutor
):
    # Given a prosecutor's supervisor and an investigator beside the liaison officer
    UserFactory(username="sabine", agency=de_prosecutor.agency, role=Role.SUPERVISOR)
    UserFactory(username="ina", agency=de_prosecutor.agency, role=Role.INVESTIGATOR)
    # When an EIO of the police unit is submitted
    req = make_request(LegalBasis.EIO)
    transition_request(req, "submit", lead_user)
    # Then the German prosecutor's and court's officers and mailboxes hear it
    to_validators = Notification.objects.filter(
        event=Event.REQUEST_SUBMITTED, subject__contains="awaiting your judicial validation"
    )
    names = {n.recipient.username if n.recipient_id else n.email for n in to_validators}
    assert names == {
        "petra",
        "sabine",
        "jakob",
        "zit@gsta.example.de",
        "ermittlungsrichter@ag.example.de",
    }
    mail = to_validators.get(email="zit@gsta.example.de")
    assert EIO_SOURCE in mail.body_text and mail.channel == Channel.EMAIL
    # and the police unit's liaison officer learns it waits for validation
    assert _recipients(
        Event.REQUEST_SUBMITTED, subject__contains="Request awaiting judicial validation"
    ) == {"dora"}


def test_submission_of_an_epoc_for_content_notifies_the_court_only(
    submitted, de_prosecutor, de_judge
):
    epoc(submitted, [Measure.CONTENT])
    rows = Notification.objects.filter(
        event=Event.REQUEST_SUBMITTED, subject__contains="awaiting your judicial validation"
    )
    assert {n.recipient.username if n.recipient_id else n.email for n in rows} == {
        "jakob",
        "ermittlungsrichter@ag.example.de",
    }


def test_validation_tells_the_requested_side_and_the_requesting_agency(
    submitted, de_liaison, de_prosecutor, nl_liaison
):
    req = submitted()
    transition_request(req, "approve", de_prosecutor, confirm_addressee=True)
    assert "noor" in _recipients(Event.REQUEST_SENT, channel=Channel.APP)
    told = _recipients(
        Event.REQUEST_UPDATED, channel=Channel.APP, subject__contains="validated and sent"
    )
    assert told == {"dora", "lena"}
    assert StatusHistory.objects.filter(request=req, action="approve").get().actor_agency_name
