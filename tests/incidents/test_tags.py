"""Incident tags: free and machine tags, the TLP field as the tlp: tag, filters, suggestions."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents import actions
from incidents.choices import TLP, TimelineKind
from incidents.models import IncidentTag
from incidents.tags import parse_tag, suggestions_for, tlp_of
from tests.factories import make_incident

pytestmark = pytest.mark.django_db

API_LIST = "/api/v1/incidents/"


def tags_url(incident):
    return f"/api/v1/incidents/{incident.reference}/tags/"


class TestParsing:
    def test_machine_tag_is_normalised(self):
        parsed = parse_tag('  RSIT:Malicious-Code = "ransomware" '.replace(" = ", "="))
        assert parsed.name == 'rsit:malicious-code="ransomware"'
        assert (parsed.namespace, parsed.predicate, parsed.value) == (
            "rsit",
            "malicious-code",
            "ransomware",
        )
        assert parsed.is_machine

    def test_machine_tag_value_keeps_its_case_and_typographic_quotes_are_read(self):
        parsed = parse_tag("misp-galaxy:ransomware=\u201cLockBit\u201d")
        assert parsed.name == 'misp-galaxy:ransomware="LockBit"'
        assert parsed.key == 'misp-galaxy:ransomware="lockbit"'

    def test_machine_tag_without_value(self):
        parsed = parse_tag("TLP:Amber")
        assert parsed.name == "tlp:amber"
        assert tlp_of(parsed) == TLP.AMBER

    def test_tlp_1_white_reads_as_clear(self):
        assert tlp_of(parse_tag("tlp:white")) == TLP.CLEAR

    def test_free_tag_keeps_case_with_spaces_collapsed(self):
        parsed = parse_tag("  Hospital   sector ")
        assert parsed.name == "Hospital sector"
        assert parsed.key == "hospital sector"
        assert not parsed.is_machine

    def test_urls_and_spaced_colons_are_free_tags(self):
        assert not parse_tag("https://leak.example").is_machine
        assert not parse_tag("note: call back").is_machine

    @pytest.mark.parametrize("text", ["", "   ", "a,b", 'say "hi"', "x" * 201, "co`de"])
    def test_what_is_no_tag_is_refused_on_the_name(self, text):
        with pytest.raises(ValidationError) as exc:
            parse_tag(text)
        assert "name" in exc.value.message_dict


class TestAdding:
    def test_lead_investigator_tags_and_the_timeline_records_it(self, incident, lead_user):
        tag = actions.add_tag(incident, lead_user, 'rsit:malicious-code="ransomware"')

        assert tag.is_machine and tag.added_by_agency_id == lead_user.agency_id
        entry = incident.timeline.order_by("-pk").first()
        assert entry.kind == TimelineKind.SYSTEM
        assert 'rsit:malicious-code="ransomware"' in entry.body

    def test_same_tag_in_another_case_is_refused(self, incident, lead_user):
        actions.add_tag(incident, lead_user, "LockBit")
        with pytest.raises(ValidationError) as exc:
            actions.add_tag(incident, lead_user, "lockbit")
        assert "already tagged" in exc.value.message_dict["name"][0]

    def test_contributor_who_may_not_change_the_incident_may_not_tag(self, incident, invited_user):
        with pytest.raises(PermissionDenied):
            actions.add_tag(incident, invited_user, "phishing")
        assert not IncidentTag.objects.exists()

    @pytest.mark.parametrize("text", ["tlp:red", "tlp:clear", "TLP:AMBER"])
    def test_tlp_tag_is_refused_the_field_is_the_tag(self, incident, lead_user, text):
        with pytest.raises(ValidationError) as exc:
            actions.add_tag(incident, lead_user, text)
        assert "TLP:AMBER" in exc.value.message_dict["name"][0]
        assert not IncidentTag.objects.exists()

    def test_removing_writes_the_timeline(self, incident, lead_user):
        tag = actions.add_tag(incident, lead_user, "phishing")
        actions.remove_tag(tag, lead_user)
        assert not IncidentTag.objects.exists()
        assert "removed" in incident.timeline.order_by("-pk").first().body


class TestPages:
    def test_detail_shows_tags_with_machine_tags_apart_and_the_tlp_tag(
        self, client, incident, lead_user
    ):
        actions.add_tag(incident, lead_user, 'rsit:fraud="phishing"')
        actions.add_tag(incident, lead_user, "Hospital")
        client.force_login(lead_user)

        html = client.get(incident.get_absolute_url()).content.decode()

        assert 'class="tag tag--machine"' in html
        assert '<span class="tag__namespace">rsit</span>' in html
        assert '<span class="tag__namespace">tlp</span>:<span class="tag__predicate">amber' in html
        assert "Hospital" in html
        assert 'list="tag-suggestions"' in html

    def test_form_error_beside_the_field(self, client, incident, lead_user):
        client.force_login(lead_user)
        response = client.post(
            reverse("incidents:tag_add", args=[incident.reference]), {"name": "tlp:red"}
        )
        assert response.status_code == 400
        assert 'id="id_name_error"' in response.content.decode()

    def test_add_and_remove_through_the_page(self, client, incident, lead_user):
        client.force_login(lead_user)
        url = reverse("incidents:tag_add", args=[incident.reference])
        assert client.post(url, {"name": "Hospital"}).status_code == 302
        tag = IncidentTag.objects.get()
        remove = reverse("incidents:tag_remove", args=[incident.reference, tag.pk])
        assert client.post(remove).status_code == 302
        assert not IncidentTag.objects.exists()

    @pytest.mark.parametrize(
        ("persona", "status"), [("invited_user", 403), ("outsider", 404), (None, 302)]
    )
    def test_only_who_may_change_tags(self, request, client, incident, lead_user, persona, status):
        tag = actions.add_tag(incident, lead_user, "keep")
        if persona:
            client.force_login(request.getfixturevalue(persona))
        add = reverse("incidents:tag_add", args=[incident.reference])
        remove = reverse("incidents:tag_remove", args=[incident.reference, tag.pk])
        assert client.post(add, {"name": "new"}).status_code == status
        assert client.post(remove).status_code == status
        assert list(IncidentTag.objects.values_list("name", flat=True)) == ["keep"]

    def test_list_filters_by_tag_and_by_tlp_tag(self, client, lead_user):
        tagged = make_incident(lead_user, title="Tagged case")
        make_incident(lead_user, title="Other case")
        red = make_incident(lead_user, title="Red case", tlp=TLP.RED)
        actions.add_tag(tagged, lead_user, 'RSIT:fraud="Phishing"')
        client.force_login(lead_user)
        url = reverse("incidents:list")

        html = client.get(url, {"tag": 'rsit:fraud="phishing"'}).content.decode()
        assert "Tagged case" in html and "Other case" not in html
        assert '<li class="tag tag--machine mono">rsit:fraud=&#34;Phishing&#34;</li>' in html

        html = client.get(url, {"tag": "tlp:red"}).content.decode()
        assert red.title in html and "Tagged case" not in html

    def test_suggestions_are_my_agencys_tags_only(self, client, incident, lead_user, outsider):
        actions.add_tag(incident, lead_user, "hospital-wave")
        theirs = make_incident(outsider, title="Their case")
        actions.add_tag(theirs, outsider, "operation-secret-name")
        client.force_login(lead_user)

        for url in (incident.get_absolute_url(), reverse("incidents:list")):
            html = client.get(url).content.decode()
            assert '<option value="hospital-wave">' in html
            assert "operation-secret-name" not in html

    def test_the_tags_are_asked_for_only_when_the_incident_has_some(
        self, client, incident, lead_user
    ):
        def tag_reads():
            client.get(incident.get_absolute_url())  # the tag suggestions are now cached
            with CaptureQueriesContext(connection) as ctx:
                html = client.get(incident.get_absolute_url()).content.decode()
            reads = [
                q for q in ctx.captured_queries if '"incidents_incidenttag"."name"' in q["sql"]
            ]
            return len(reads), html

        client.force_login(lead_user)
        assert tag_reads()[0] == 0
        actions.add_tag(incident, lead_user, "hospital-wave")
        reads, html = tag_reads()
        assert reads == 1
        assert "hospital-wave" in html

    def test_suggestions_are_kept_until_the_agency_tags_again(
        self, incident, lead_user, invited_user, django_capture_on_commit_callbacks
    ):
        actions.add_tag(incident, lead_user, "hospital-wave")
        assert suggestions_for(lead_user) == ["hospital-wave"]
        with CaptureQueriesContext(connection) as kept:
            assert suggestions_for(lead_user) == ["hospital-wave"]
        assert len(kept) == 0

        with django_capture_on_commit_callbacks(execute=True):
            actions.add_tag(incident, lead_user, "ransomware")
        assert sorted(suggestions_for(lead_user)) == ["hospital-wave", "ransomware"]

        # Removed by whoever may change the tags: the list of the agency that added it.
        tag = IncidentTag.objects.get(key="ransomware")
        with django_capture_on_commit_callbacks(execute=True):
            actions.remove_tag(tag, lead_user)
        assert suggestions_for(lead_user) == ["hospital-wave"]
        assert suggestions_for(invited_user) == []

    def test_list_queries_do_not_grow_with_tags(self, client, lead_user):
        def seed(n):
            for i in range(n):
                incident = make_incident(lead_user, title=f"Case {i}")
                actions.add_tag(incident, lead_user, f"tag-{i}")
                actions.add_tag(incident, lead_user, f'rsit:fraud="x{i}"')

        client.force_login(lead_user)
        seed(2)
        with CaptureQueriesContext(connection) as few:
            client.get(reverse("incidents:list"))
        seed(10)
        with CaptureQueriesContext(connection) as many:
            client.get(reverse("incidents:list"))
        assert len(many.captured_queries) == len(few.captured_queries)


class TestAPI:
    def test_incidents_carry_their_tags_and_filter_by_tag(self, api_login, lead_user):
        tagged = make_incident(lead_user, title="Tagged")
        make_incident(lead_user, title="Plain")
        actions.add_tag(tagged, lead_user, "Hospital")
        client = api_login(lead_user)

        body = client.get(API_LIST, {"tag": "hospital"}).json()

        assert [row["reference"] for row in body["results"]] == [tagged.reference]
        assert body["results"][0]["tags"] == ["Hospital"]
        detail = client.get(f"{API_LIST}{tagged.reference}/").json()
        assert detail["tags"] == ["Hospital"]

    def test_add_list_and_remove(self, api_login, incident, lead_user):
        client = api_login(lead_user)
        response = client.post(tags_url(incident), {"name": 'RSIT:Fraud="phishing"'}, format="json")
        assert response.status_code == 201
        assert response.json()["name"] == 'rsit:fraud="phishing"'
        assert response.json()["is_machine"] is True
        assert [t["name"] for t in client.get(tags_url(incident)).json()] == [
            'rsit:fraud="phishing"'
        ]
        tag_id = response.json()["id"]
        assert client.delete(f"{tags_url(incident)}{tag_id}/").status_code == 204
        assert client.get(tags_url(incident)).json() == []

    def test_tlp_tag_answers_400_with_the_field(self, api_login, incident, lead_user):
        response = api_login(lead_user).post(
            tags_url(incident), {"name": "tlp:clear"}, format="json"
        )
        assert response.status_code == 400
        assert "name" in response.json()

    @pytest.mark.parametrize(("persona", "status"), [("invited_user", 403), ("outsider", 404)])
    def test_who_may_not_change_may_not_tag(
        self, request, api_login, incident, lead_user, persona, status
    ):
        tag = actions.add_tag(incident, lead_user, "keep")
        client = api_login(request.getfixturevalue(persona))
        assert client.post(tags_url(incident), {"name": "x"}, format="json").status_code == status
        assert client.delete(f"{tags_url(incident)}{tag.pk}/").status_code == status

    def test_suggestions_are_my_agencys(self, api_login, incident, lead_user, outsider):
        actions.add_tag(incident, lead_user, "hospital-wave")
        actions.add_tag(make_incident(outsider), outsider, "their-secret")
        assert api_login(lead_user).get("/api/v1/tags/").json() == ["hospital-wave"]
        assert api_login(outsider).get("/api/v1/tags/").json() == ["their-secret"]
