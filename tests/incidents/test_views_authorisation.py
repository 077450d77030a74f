"""Every incident page × the four personas: who gets what, and nothing leaks."""

import pytest
from django.urls import reverse

from incidents.choices import ParticipationRole, Status
from incidents.models import Participation
from tests.factories import AgencyFactory

LEAD, INVITED, OUTSIDER, ANONYMOUS = "lead", "invited", "outsider", "anonymous"


@pytest.fixture
def as_persona(client, lead_user, invited_user, outsider):
    users = {LEAD: lead_user, INVITED: invited_user, OUTSIDER: outsider, ANONYMOUS: None}

    def _as(persona):
        if users[persona] is not None:
            client.force_login(users[persona])
        return client

    return _as


@pytest.fixture
def spare_agency(db):
    return AgencyFactory(name="Politie Team High Tech Crime", short_name="NL-THTC", country="NL")


def _invited_participation(incident):
    return Participation.objects.get(incident=incident, role=ParticipationRole.CONTRIBUTOR)


# (page, method, expected status per persona). 302 for the lead on POSTs: success redirects.
MATRIX = [
    ("dashboard", "get", {LEAD: 200, INVITED: 200, OUTSIDER: 200}),
    ("list", "get", {LEAD: 200, INVITED: 200, OUTSIDER: 200}),
    ("create", "get", {LEAD: 200, INVITED: 200, OUTSIDER: 200}),
    ("detail", "get", {LEAD: 200, INVITED: 200, OUTSIDER: 404}),
    ("timeline", "get", {LEAD: 200, INVITED: 200, OUTSIDER: 404}),
    ("edit", "get", {LEAD: 200, INVITED: 403, OUTSIDER: 404}),
    ("edit", "post", {LEAD: 302, INVITED: 403, OUTSIDER: 404}),
    ("status_change", "post", {LEAD: 302, INVITED: 403, OUTSIDER: 404}),
    ("timeline_add", "post", {LEAD: 302, INVITED: 302, OUTSIDER: 404}),
    ("invite", "post", {LEAD: 302, INVITED: 403, OUTSIDER: 404}),
    ("participant_remove", "post", {LEAD: 302, INVITED: 403, OUTSIDER: 404}),
    ("participant_role", "post", {LEAD: 302, INVITED: 403, OUTSIDER: 404}),
    ("agency_options", "get", {LEAD: 200, INVITED: 403, OUTSIDER: 404}),
]


def _request(page, incident, spare_agency):
    ref = incident.reference
    if page in ("dashboard", "list", "create"):
        return reverse(f"incidents:{page}"), {}
    if page in ("participant_remove", "participant_role"):
        pk = _invited_participation(incident).pk
        url = reverse(f"incidents:{page}", args=[ref, pk])
        return url, {"role": ParticipationRole.OBSERVER, "reason": "Case handed over"}
    url = reverse(f"incidents:{page}", args=[ref])
    data = {
        "edit": {
            "title": "Ransomware on hospital network (updated)",
            "summary": "",
            "category": incident.category,
            "severity": incident.severity,
            "tlp": incident.tlp,
            "affected_countries": ["DE", "FR"],
        },
        "status_change": {"status": Status.INVESTIGATING},
        "timeline_add": {"body": "Seized the C2 server.", "tlp": incident.tlp},
        "invite": {"agency": spare_agency.pk, "role": ParticipationRole.OBSERVER},
        "agency_options": {"country": "NL"},
    }.get(page, {})
    return url, data


@pytest.mark.django_db
@pytest.mark.parametrize("persona", [LEAD, INVITED, OUTSIDER, ANONYMOUS])
@pytest.mark.parametrize(("page", "method", "expected"), MATRIX, ids=lambda v: str(v))
def test_authorisation_matrix(as_persona, incident, spare_agency, persona, page, method, expected):
    # Given a persona and an incident led by Germany, shared with France
    url, data = _request(page, incident, spare_agency)
    client = as_persona(persona)
    # When the persona opens the page or sends the form
    response = getattr(client, method)(url, data)
    # Then the answer is the one the matrix promises
    if persona == ANONYMOUS:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    else:
        assert response.status_code == expected[persona], response.content[:500]


@pytest.mark.django_db
def test_outsider_never_sees_reference_or_title(client, incident, outsider):
    # Given an outsider signed in
    client.force_login(outsider)
    pages = [
        reverse("incidents:dashboard"),
        reverse("incidents:list"),
        reverse("incidents:list") + f"?q={incident.reference}",
        reverse("incidents:list") + "?q=Ransomware",
        reverse("incidents:list") + "?status=open&severity=high",
    ]
    for url in pages:
        # When they open the dashboard, the list or search
        body = client.get(url).content.decode()
        # Then neither the reference nor the title appears (beyond the echoed search box)
        body = body.replace(f'value="{incident.reference}"', "").replace('value="Ransomware"', "")
        assert incident.reference not in body, url
        assert incident.title not in body, url
        assert incident.get_absolute_url() not in body, url
    # And the detail page answers 404 without naming the incident
    response = client.get(incident.get_absolute_url())
    assert response.status_code == 404
    assert incident.title not in response.content.decode()


@pytest.mark.django_db
def test_unknown_reference_and_invisible_reference_answer_alike(client, incident, outsider):
    client.force_login(outsider)
    invisible = client.get(incident.get_absolute_url())
    unknown = client.get(reverse("incidents:detail", args=["CC-1999-999999"]))
    assert invisible.status_code == unknown.status_code == 404


@pytest.mark.django_db
def test_liaison_officer_may_not_file_an_incident(client, lead_agency):
    from accounts.choices import Role
    from tests.factories import UserFactory

    liaison = UserFactory(agency=lead_agency, role=Role.LIAISON_OFFICER)
    client.force_login(liaison)
    assert client.get(reverse("incidents:create")).status_code == 403
    response = client.get(reverse("incidents:dashboard"))
    assert reverse("incidents:create") not in response.content.decode()


@pytest.mark.django_db
def test_invited_member_sees_no_lead_controls(client, incident, invited_user):
    client.force_login(invited_user)
    body = client.get(incident.get_absolute_url()).content.decode()
    assert reverse("incidents:edit", args=[incident.reference]) not in body
    assert reverse("incidents:status_change", args=[incident.reference]) not in body
    assert reverse("incidents:invite", args=[incident.reference]) not in body
    # but a contributor may write on the timeline
    assert reverse("incidents:timeline_add", args=[incident.reference]) in body
