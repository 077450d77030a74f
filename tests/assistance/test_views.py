"""Request pages: authorisation matrix, behaviour, and query budgets."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from coordination.assistance.choices import LegalBasis, Status
from coordination.assistance.models import AssistanceRequest, Attachment
from coordination.assistance.transitions import transition_request
from tests.assistance.conftest import DATA
from tests.factories import make_incident
from tests.mfa import verified_login

pytestmark = pytest.mark.django_db

PERSONAS = [
    "requesting_investigator",
    "requesting_liaison",
    "requested_liaison",
    "third_country",
    "anonymous",
]


@pytest.fixture
def personas(lead_user, de_liaison, nl_liaison, outsider):
    return {
        "requesting_investigator": lead_user,
        "requesting_liaison": de_liaison,
        "requested_liaison": nl_liaison,
        "third_country": outsider,
        "anonymous": None,
    }


def _as(client, user):
    if user is not None:
        client.force_login(user)
    return client


# page -> expected status per persona for a SENT request (anonymous is sent to log in)
SENT_PAGES = {
    "detail": {
        "requesting_investigator": 200,
        "requesting_liaison": 200,
        "requested_liaison": 200,
        "third_country": 404,
    },
    "print": {
        "requesting_investigator": 200,
        "requesting_liaison": 200,
        "requested_liaison": 200,
        "third_country": 404,
    },
    "edit": {
        "requesting_investigator": 403,
        "requesting_liaison": 403,
        "requested_liaison": 403,
        "third_country": 404,
    },
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("page", list(SENT_PAGES))
def test_request_pages_authorisation(client, personas, sent_request, persona, page):
    req = sent_request(LegalBasis.EIO)
    url = f"/requests/{req.reference}/" + ("" if page == "detail" else f"{page}/")
    response = _as(client, personas[persona]).get(url)
    if persona == "anonymous":
        assert response.status_code == 302 and "/login" in response["Location"]
    else:
        assert response.status_code == SENT_PAGES[page][persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_draft_is_hidden_from_everyone_outside_the_requesting_agency(
    client, personas, make_request, persona
):
    req = make_request(LegalBasis.EIO)
    response = _as(client, personas[persona]).get(f"/requests/{req.reference}/")
    expected = {"requesting_investigator": 200, "requesting_liaison": 200}.get(persona, 404)
    if persona == "anonymous":
        expected = 302
    assert response.status_code == expected


@pytest.mark.parametrize(
    ("persona", "action", "expected"),
    [
        ("requesting_investigator", "acknowledge", 403),
        ("requesting_liaison", "acknowledge", 403),
        ("requested_liaison", "acknowledge", 302),
        ("third_country", "acknowledge", 404),
        ("anonymous", "acknowledge", 302),
        ("requested_liaison", "accept", 409),
        ("requesting_liaison", "withdraw", 400),  # needs a reason
    ],
)
def test_action_endpoint_authorisation(client, personas, sent_request, persona, action, expected):
    req = sent_request(LegalBasis.EIO)
    response = _as(client, personas[persona]).post(f"/requests/{req.reference}/{action}/", {})
    assert response.status_code == expected
    if persona == "anonymous":
        assert "/login" in response["Location"]
        req.refresh_from_db()
        assert req.status == Status.SENT


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("requesting_investigator", 200),
        ("requesting_liaison", 200),
        ("requested_liaison", 200),
        ("third_country", 200),
        ("anonymous", 302),
    ],
)
def test_list_and_desk_open_to_every_agency_user(client, personas, persona, expected):
    client = _as(client, personas[persona])
    assert client.get("/requests/").status_code == expected
    assert client.get("/requests/desk/").status_code == expected


def test_drafting_is_for_investigators_and_liaison_officers(client, de_admin, lead_user):
    assert _as(client, de_admin).get("/requests/new/").status_code == 403
    assert _as(client, lead_user).get("/requests/new/").status_code == 200


def test_request_assistance_from_an_incident_is_prefilled(client, lead_user, nl_agency):
    incident = make_incident(lead_user, affected_countries=["DE", "NL"])
    response = _as(client, lead_user).get(f"/requests/new/?incident={incident.reference}")
    html = response.content.decode()
    assert response.status_code == 200
    assert incident.reference in html
    assert "Encrypted file servers" in html  # the incident's summary as the facts
    assert 'value="NL" selected' in html


def test_request_assistance_for_an_invisible_incident_is_404(client, lead_user, outsider):
    incident = make_incident(lead_user)
    assert (
        _as(client, outsider).get(f"/requests/new/?incident={incident.reference}").status_code
        == 404
    )


def _post_data(nl_agency, **overrides):
    data = {
        "legal_basis": "eio",
        "requested_country": "NL",
        "receiving_agency": str(nl_agency.pk),
        "measures": ["subscriber"],
        "urgency": "routine",
        "facts": "VPS in Amsterdam used to stage the attack.",
        "offences": "§ 303b StGB",
        "dual_criminality": "Art. 138b Sr",
        "data-TOTAL_FORMS": "2",
        "data-INITIAL_FORMS": "0",
        "data-MIN_NUM_FORMS": "0",
        "data-MAX_NUM_FORMS": "50",
        "data-0-kind": "ip_time",
        "data-0-value": "203.0.113.7",
        "data-0-observed_at": "2026-02-28T00:14",
        "data-0-provider": "Example Hosting",
    }
    data.update(overrides)
    return data


def test_create_draft_through_the_form(client, lead_user, nl_agency):
    incident = make_incident(lead_user)
    response = _as(client, lead_user).post(
        f"/requests/new/?incident={incident.reference}", _post_data(nl_agency)
    )
    assert response.status_code == 302
    req = AssistanceRequest.objects.get()
    assert req.incident == incident
    assert req.data_sought.get().value == "203.0.113.7"
    assert req.status == Status.DRAFT


def test_form_errors_keep_the_input_and_store_nothing(client, lead_user, other_agency):
    response = _as(client, lead_user).post(
        "/requests/new/", _post_data(other_agency, facts="Keep me typed", **{"data-0-kind": ""})
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Keep me typed" in html
    assert "203.0.113.7" in html
    assert "errorlist" in html
    assert not AssistanceRequest.objects.exists()


def test_form_adapts_to_the_legal_basis_without_losing_input(client, lead_user, nl_agency):
    client = _as(client, lead_user)
    data = _post_data(nl_agency, legal_basis="police", facts="Typed so far")
    html = client.post("/requests/new/adapt/", data, HTTP_HX_REQUEST="true").content.decode()
    assert "Typed so far" in html
    assert 'name="dual_criminality"' not in html  # police-to-police needs none
    assert "CETS 185 Art. 35" in html
    data["legal_basis"] = "eio"
    data["urgency"] = "emergency"
    html = client.post("/requests/new/adapt/", data, HTTP_HX_REQUEST="true").content.decode()
    assert 'name="dual_criminality"' in html
    assert 'name="urgency_reason"' in html
    assert "Directive 2014/41/EU" in html
    assert "Art. 32(2)" not in html  # provisional measures only when the issuer asks for them
    assert 'name="provisional_measures"' in html
    assert 'name="provisional_measures_detail"' not in html
    data["provisional_measures"] = "on"
    html = client.post("/requests/new/adapt/", data, HTTP_HX_REQUEST="true").content.decode()
    assert "Art. 32(2)" in html
    assert 'name="provisional_measures_detail"' in html
    data["add_row"] = "1"
    html = client.post("/requests/new/adapt/", data, HTTP_HX_REQUEST="true").content.decode()
    assert 'name="data-2-value"' in html


def test_submit_with_missing_essentials_shows_why(client, make_request, lead_user):
    req = make_request(LegalBasis.EIO, dual_criminality="")
    response = _as(client, lead_user).post(f"/requests/{req.reference}/submit/", {})
    assert response.status_code == 400
    assert "dual criminality" in response.content.decode()
    req.refresh_from_db()
    assert req.status == Status.DRAFT


def test_detail_shows_deadlines_sources_and_only_my_actions(
    client, sent_request, nl_liaison, de_liaison
):
    req = sent_request(LegalBasis.EIO)
    html = _as(client, nl_liaison).get(f"/requests/{req.reference}/").content.decode()
    assert "Directive 2014/41/EU Art. 16(1)" in html
    assert "days" in html and "left" in html
    # Shown in the time zone of the authority that must act, named.
    assert 'title="Europe/Amsterdam"' in html
    assert "Who must act" in html
    assert 'data-action="acknowledge"' in html
    assert 'data-action="withdraw"' not in html
    html = _as(client, de_liaison).get(f"/requests/{req.reference}/").content.decode()
    assert 'data-action="withdraw"' in html
    assert 'data-action="acknowledge"' not in html
    assert "data-confirm" in html  # withdraw is irreversible


def test_action_with_a_missing_reason_reopens_its_form_with_the_error(
    client, sent_request, nl_liaison
):
    req = sent_request(LegalBasis.EIO)
    transition_request(req, "acknowledge", nl_liaison)
    response = _as(client, nl_liaison).post(f"/requests/{req.reference}/refuse/", {"comment": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert "This action needs a reason" in html
    assert '<details class="request-action" open>' in html


def test_desk_lists_what_awaits_my_agency_nearest_first_with_overdue_in_red(
    client, frozen, sent_request, de_liaison, nl_liaison, make_request, lead_user
):
    from datetime import timedelta

    slow = sent_request(LegalBasis.BUDAPEST_MLA)  # acknowledge within 7 days
    fast = sent_request(LegalBasis.POLICE)  # acknowledge within 24 h
    pending = make_request(LegalBasis.BUDAPEST_MLA)
    transition_request(pending, "submit", lead_user)
    frozen.shift(timedelta(hours=30))
    html = _as(client, nl_liaison).get("/requests/desk/").content.decode()
    assert html.index(fast.reference) < html.index(slow.reference)
    assert "overdue by 6 h" in html
    assert "is-overdue" in html
    assert pending.reference not in html  # not yet sent: not theirs
    html = _as(client, de_liaison).get("/requests/desk/").content.decode()
    assert pending.reference in html  # awaits approval
    assert fast.reference not in html


def test_list_filters_by_direction(client, sent_request, de_liaison, nl_liaison):
    req = sent_request(LegalBasis.EIO)
    assert req.reference in _as(client, de_liaison).get("/requests/?direction=out").content.decode()
    assert req.reference not in client.get("/requests/?direction=in").content.decode()
    assert req.reference in _as(client, nl_liaison).get("/requests/?direction=in").content.decode()


def test_print_page_has_a_print_stylesheet_and_the_form(client, sent_request, de_liaison):
    req = sent_request(LegalBasis.EIO)
    html = _as(client, de_liaison).get(f"/requests/{req.reference}/print/").content.decode()
    assert "assistance.css" in html
    assert "Summary of the facts" in html
    assert "203.0.113.7" in html
    assert "Signature and seal" in html


def test_incident_panel_lists_requests_and_offers_to_draft(
    client, lead_user, make_request, outsider
):
    incident = make_incident(lead_user)
    req = make_request(LegalBasis.EIO, incident=incident)
    html = (
        _as(client, lead_user).get(f"/requests/for-incident/{incident.reference}/").content.decode()
    )
    assert req.reference in html
    assert f"/requests/new/?incident={incident.reference}" in html
    assert (
        _as(client, outsider).get(f"/requests/for-incident/{incident.reference}/").status_code
        == 404
    )
    page = _as(client, lead_user).get(incident.get_absolute_url()).content.decode()
    assert f"/requests/for-incident/{incident.reference}/" in page


def test_attachment_is_hashed_and_downloadable_by_both_sides(
    client, make_request, lead_user, approve, nl_liaison, outsider, settings, tmp_path
):
    import hashlib

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    req = make_request(LegalBasis.EIO)
    content = b"%PDF-1.4 court order"
    upload = SimpleUploadedFile("order.pdf", content, content_type="application/pdf")
    response = _as(client, lead_user).post(
        f"/requests/{req.reference}/attachments/", {"file": upload}
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    transition_request(req, "submit", lead_user)
    approve(req)
    url = f"/requests/{req.reference}/attachments/{attachment.pk}/"
    response = _as(client, nl_liaison).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert _as(client, outsider).get(url).status_code == 404
    # Once sent, attachments are frozen.
    upload = SimpleUploadedFile("late.pdf", b"late")
    _as(client, lead_user).post(f"/requests/{req.reference}/attachments/", {"file": upload})
    assert Attachment.objects.count() == 1


def test_policy_page_is_for_agency_admins(client, de_admin, de_liaison):
    assert _as(client, de_liaison).get("/requests/policy/").status_code == 403
    client = _as(client, de_admin)
    assert client.get("/requests/policy/").status_code == 200
    response = client.post("/requests/policy/", {"bilateral__execute__routine": "1080"})
    assert response.status_code == 302
    from coordination.assistance.models import DeadlinePolicy

    assert DeadlinePolicy.objects.get().hours == 1080
    response = client.post("/requests/policy/", {"bilateral__execute__routine": "-3"})
    assert response.status_code == 400


def test_desk_and_list_query_counts_are_constant(
    client, sent_request, nl_liaison, django_assert_max_num_queries
):
    for _ in range(2):
        sent_request(LegalBasis.EIO)
    client = _as(client, nl_liaison)
    with django_assert_max_num_queries(12) as before:
        client.get("/requests/desk/")
    for _ in range(6):
        sent_request(LegalBasis.POLICE)
    with django_assert_max_num_queries(len(before.captured_queries)):
        assert client.get("/requests/desk/").status_code == 200
    with django_assert_max_num_queries(12) as before:
        client.get("/requests/")
    with django_assert_max_num_queries(len(before.captured_queries)):
        assert client.get("/requests/").status_code == 200


def test_detail_query_count_is_constant(
    client, sent_request, nl_liaison, de_liaison, django_assert_max_num_queries
):
    req = sent_request(LegalBasis.EIO, data=DATA * 5)
    client = _as(client, de_liaison)
    with django_assert_max_num_queries(25) as before:
        client.get(f"/requests/{req.reference}/")
    transition_request(req, "acknowledge", nl_liaison)
    transition_request(req, "accept", nl_liaison)
    with django_assert_max_num_queries(len(before.captured_queries)):
        assert client.get(f"/requests/{req.reference}/").status_code == 200


def test_requested_side_does_not_read_the_internal_drafting_steps(
    client, make_request, lead_user, de_liaison, nl_liaison
):
    req = make_request(LegalBasis.BUDAPEST_MLA)
    transition_request(req, "submit", lead_user)
    transition_request(req, "return", de_liaison, comment="Internal: fix the offences.")
    transition_request(req, "submit", lead_user)
    transition_request(req, "approve", de_liaison, comment="Internal approval note.")
    html = _as(client, nl_liaison).get(f"/requests/{req.reference}/").content.decode()
    assert "Internal: fix the offences." not in html
    assert "Internal approval note." not in html
    assert "Approve and send" in html
    html = _as(client, de_liaison).get(f"/requests/{req.reference}/").content.decode()
    assert "Internal: fix the offences." in html


def test_print_gives_data_times_in_the_receiving_agencys_zone(client, sent_request, de_liaison):
    req = sent_request(LegalBasis.EIO)  # observed 2026-02-27 23:14 UTC; sent to Amsterdam
    html = _as(client, de_liaison).get(f"/requests/{req.reference}/print/").content.decode()
    assert "2026-02-28 00:14:00 CET" in html


def test_admin_lists_requests_by_metadata_alone(client, sent_request, django_user_model):
    admin_user = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    req = sent_request(LegalBasis.EIO)
    verified_login(client, admin_user)
    listing = client.get("/admin/assistance/assistancerequest/")
    assert listing.status_code == 200
    assert req.reference in listing.content.decode()
    assert req.facts not in listing.content.decode()
    assert client.get(f"/admin/assistance/assistancerequest/{req.pk}/change/").status_code == 403
    assert client.get("/admin/assistance/assistancerequest/add/").status_code == 403


# Remaining pages and endpoints, for the five personas (SENT request, linked incident).
OTHER_PAGES = {
    # name: (method, url template, expected per persona)
    "incident_panel": (
        "get",
        "/requests/for-incident/{incident}/",
        {
            "requesting_investigator": 200,
            "requesting_liaison": 200,
            "requested_liaison": 404,
            "third_country": 404,
        },
    ),
    "attachment_upload": (
        "post",
        "/requests/{ref}/attachments/",
        # visible but no longer a draft: 403, nothing stored
        {
            "requesting_investigator": 403,
            "requesting_liaison": 403,
            "requested_liaison": 403,
            "third_country": 404,
        },
    ),
    "form_adapt": (
        "post",
        "/requests/new/adapt/",
        {
            "requesting_investigator": 200,
            "requesting_liaison": 200,
            "requested_liaison": 200,
            "third_country": 200,
        },
    ),
    "policy": (
        "get",
        "/requests/policy/",
        {
            "requesting_investigator": 403,
            "requesting_liaison": 403,
            "requested_liaison": 403,
            "third_country": 403,
        },
    ),
    "create": (
        "get",
        "/requests/new/?incident={incident}",
        {
            "requesting_investigator": 200,
            "requesting_liaison": 200,
            "requested_liaison": 404,
            "third_country": 404,
        },
    ),
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("page", list(OTHER_PAGES))
def test_other_pages_authorisation(client, personas, sent_request, lead_user, persona, page):
    incident = make_incident(lead_user)
    req = sent_request(LegalBasis.EIO, incident=incident)
    method, template, expected = OTHER_PAGES[page]
    url = template.format(ref=req.reference, incident=incident.reference)
    client = _as(client, personas[persona])
    data = {"file": SimpleUploadedFile("x.txt", b"x")} if page == "attachment_upload" else {}
    response = getattr(client, method)(url, data) if method == "post" else client.get(url)
    if persona == "anonymous":
        assert response.status_code == 302 and "/login" in response["Location"]
    else:
        assert response.status_code == expected[persona]
    assert not Attachment.objects.exists()


def test_desk_reminds_the_requesting_side_of_preserved_data_running_out(
    client, sent_request, nl_liaison, de_liaison
):
    req = sent_request(LegalBasis.BUDAPEST_PRESERVATION)
    transition_request(req, "acknowledge", nl_liaison)
    transition_request(req, "confirm_preservation", nl_liaison)
    html = _as(client, de_liaison).get("/requests/desk/").content.decode()
    assert req.reference in html
    assert "59 days" in html
    assert req.reference not in _as(client, nl_liaison).get("/requests/desk/").content.decode()


def test_extension_form_asks_for_the_estimate_and_keeps_the_reasons(
    client, frozen, sent_request, nl_liaison
):
    req = sent_request(LegalBasis.EIO)
    transition_request(req, "acknowledge", nl_liaison)
    page = _as(client, nl_liaison)
    html = page.get(req.get_absolute_url()).content.decode()
    assert 'name="estimate"' in html and "Art. 12(5)" in html
    response = page.post(f"/requests/{req.reference}/extend/", {"comment": "Court review."})
    assert response.status_code == 400
    html = response.content.decode()
    assert "estimated time the decision needs" in html
    assert "Court review." in html  # what was typed is kept
    response = page.post(
        f"/requests/{req.reference}/extend/",
        {"comment": "Court review.", "estimate": "2026-04-14T12:00"},  # Amsterdam time
    )
    assert response.status_code == 302
    row = req.clocks.get(kind="decide")
    assert row.extension_reason == "Court review."
    assert row.due_at.isoformat() == "2026-04-14T10:00:00+00:00"


def test_provisional_measures_are_decided_from_the_request_page(
    client, frozen, sent_request, nl_liaison
):
    req = sent_request(
        LegalBasis.EIO,
        provisional_measures=True,
        provisional_measures_detail="Freeze the server before it is wiped.",
    )
    transition_request(req, "acknowledge", nl_liaison)
    page = _as(client, nl_liaison)
    html = page.get(req.get_absolute_url()).content.decode()
    assert 'data-action="decide_provisional"' in html
    assert "Freeze the server before it is wiped." in html
    assert "wherever practicable" in html
    response = page.post(
        f"/requests/{req.reference}/decide_provisional/", {"comment": "Server frozen."}
    )
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.provisional_decision == "Server frozen."
    assert req.status == Status.RECEIVED
