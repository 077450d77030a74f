"""Issue #13, finding 4: the platform admin does not read cases through the Django admin.

Tried as the finding describes: a superuser walks every page the admin registers (lists,
searches, detail, history, add and delete pages) over a case with a timeline, evidence,
an indicator, a request and notifications. None of their content shows, and nothing of
a case can be changed there (TLP included).
"""

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from coordination.intel import actions as intel_actions
from coordination.notifications.models import Notification
from incidents import actions
from incidents.choices import TLP, ParticipationRole
from incidents.models import Incident
from tests.assistance.conftest import make_request, nl_agency  # noqa: F401
from tests.evidence.conftest import evidence_fields, upload_of
from tests.factories import UserFactory, make_incident
from tests.mfa import verified_login

pytestmark = pytest.mark.django_db

# Each string is case content; none may appear on any admin page.
CONTENT = {
    "title": "Nightjar extortion of the Mainz clinic",
    "summary": "Informant KESTREL reports the affiliate's wallet.",
    "timeline": "Suspect's home address confirmed by surveillance.",
    "evidence title": "Seized laptop of suspect Varga",
    "evidence description": "Found under the floorboards at Varga's flat.",
    "custody purpose": "Password cracking by the BSI lab",
    "facts": "The suspect rented a VPS from Example Hosting under the alias Merlin.",
    "indicator": "kestrel-drop.example",
    "indicator note": "C2 used only against the clinic.",
}


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", agency=None, is_staff=True, is_superuser=True)


@pytest.fixture
def case(lead_user, invited_agency, invited_user, make_request):  # noqa: F811
    incident = make_incident(lead_user, title=CONTENT["title"], summary=CONTENT["summary"])
    actions.share_incident(incident, invited_agency, ParticipationRole.CONTRIBUTOR, lead_user)
    actions.add_timeline_entry(incident, lead_user, body=CONTENT["timeline"], tlp=TLP.AMBER)
    from incidents.evidence import actions as evidence_actions
    from incidents.evidence.choices import CustodyAction

    item = evidence_actions.create_evidence(
        incident,
        lead_user,
        upload=upload_of(),
        **evidence_fields(
            sha256="",
            title=CONTENT["evidence title"],
            description=CONTENT["evidence description"],
        ),
    )
    evidence_actions.record_custody_event(
        item, lead_user, CustodyAction.ANALYSED, purpose=CONTENT["custody purpose"]
    )
    intel_actions.add_indicator(
        incident, lead_user, value=CONTENT["indicator"], note=CONTENT["indicator note"]
    )
    make_request(incident=incident, facts=CONTENT["facts"])
    assert Notification.objects.filter(body_text__contains=CONTENT["title"]).exists()
    return incident


def admin_pages(model, obj):
    """Every page the admin has for ``model`` and one of its rows."""
    info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    yield reverse(f"{info}_changelist")
    yield reverse(f"{info}_changelist") + "?q=a"
    yield reverse(f"{info}_add")
    if obj is not None:
        for view in ("change", "history", "delete"):
            try:
                yield reverse(f"{info}_{view}", args=[obj.pk])
            except NoReverseMatch:
                continue


def test_no_admin_page_shows_case_content(client, superuser, case):
    verified_login(client, superuser)
    pages = [reverse("admin:index")]
    for model in admin.site._registry:
        pages.extend(admin_pages(model, model._default_manager.first()))
    assert len(pages) > 30
    for url in pages:
        response = client.get(url)
        assert response.status_code in (200, 302, 403), url
        html = response.content.decode()
        for name, text in CONTENT.items():
            assert text not in html, f"{name} shown on {url}"


def test_case_lists_show_their_metadata(client, superuser, case):
    verified_login(client, superuser)
    html = client.get(reverse("admin:incidents_incident_changelist")).content.decode()
    assert case.reference in html and case.lead_agency.name in html
    html = client.get(reverse("admin:incidents_evidence_changelist")).content.decode()
    assert case.evidence.get().reference in html


def test_superuser_cannot_change_a_case_or_lower_its_tlp(client, superuser, case):
    verified_login(client, superuser)
    response = client.post(
        reverse("admin:incidents_incident_change", args=[case.pk]),
        {"title": "Renamed", "summary": "", "tlp": TLP.CLEAR},
    )
    assert response.status_code == 403
    case.refresh_from_db()
    assert (case.title, case.tlp) == (CONTENT["title"], TLP.AMBER)
    assert Incident.objects.filter(pk=case.pk).exists()


def test_no_case_model_can_be_added_changed_or_deleted(rf, superuser, case):
    from coordination.assistance.models import AssistanceRequest
    from coordination.intel.models import ContactRequest, Indicator
    from incidents.models import CustodyEvent, Evidence, TimelineEntry

    request = rf.get("/")
    request.user = superuser
    for model in (Incident, Evidence, AssistanceRequest, Indicator, ContactRequest, Notification):
        model_admin = admin.site._registry[model]
        obj = model._default_manager.first()
        assert not model_admin.has_add_permission(request), model
        assert not model_admin.has_change_permission(request, obj), model
        assert not model_admin.has_delete_permission(request, obj), model
    for model in (TimelineEntry, CustodyEvent):
        assert not admin.site.is_registered(model)


def test_custody_chains_can_still_be_checked_from_the_evidence_list(client, superuser, case):
    verified_login(client, superuser)
    item = case.evidence.get()
    response = client.post(
        reverse("admin:incidents_evidence_changelist"),
        {"action": "verify_chains", "_selected_action": [item.pk]},
        follow=True,
    )
    html = response.content.decode()
    assert f"{item.reference}: chain intact." in html
    assert CONTENT["evidence title"] not in html
