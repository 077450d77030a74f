"""Queryset shapes that keep the incident list fast on large data (see bench/README.md)."""

import pytest
from django.db import connection

from incidents.models import Incident
from tests.factories import make_incident


@pytest.mark.django_db
class TestSearch:
    def test_search_matches_word_prefixes_in_title_and_summary(self, lead_user):
        ransomware = make_incident(lead_user, title="Ransomware against a hospital")
        phishing = make_incident(lead_user, title="Phishing wave", summary="Parcel lure")
        visible = Incident.objects.restrict(lead_user)
        assert list(visible.search("ransom")) == [ransomware]
        assert list(visible.search("parc")) == [phishing]

    def test_search_matches_a_full_reference(self, lead_user):
        incident = make_incident(lead_user)
        found = Incident.objects.restrict(lead_user).search(incident.reference.lower())
        assert list(found) == [incident]

    def test_search_does_not_select_the_search_document(self, lead_user):
        # The document is only matched (migration 0004); selecting it would send a
        # tsvector along with every row of every page.
        sql, _params = Incident.objects.search("ransom").query.sql_with_params()
        select_list = sql.split(" FROM ", 1)[0]
        assert "to_tsvector" not in select_list
        assert "search_document" not in select_list
        assert "_document" not in select_list

    @pytest.mark.skipif(connection.vendor != "postgresql", reason="GIN index: PostgreSQL only")
    def test_search_matches_the_stored_document_and_its_index(self, lead_user):
        sql, _params = Incident.objects.search("ransom").query.sql_with_params()
        assert '("incidents_incident"."search_document") @@' in sql
        assert "to_tsvector" not in sql  # nothing computed per row at query time
        with connection.cursor() as cursor:
            # Unordered, so that the only alternatives are a sequential scan (switched off)
            # and the GIN index; on a tiny table the ordered query walks incident_updated_idx.
            unordered, unordered_params = (
                Incident.objects.search("ransom").order_by().query.sql_with_params()
            )
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + unordered, unordered_params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "incident_search_idx" in plan

    def test_search_results_come_newest_first_unless_sorted_otherwise(self, lead_user, client):
        older = make_incident(lead_user, title="Ransomware at a port")
        newer = make_incident(lead_user, title="Ransomware at a school")
        Incident.objects.filter(pk=older.pk).update(updated_at=newer.updated_at.replace(year=2025))
        visible = Incident.objects.restrict(lead_user)

        assert list(visible.search("ransomware")) == [newer, older]
        assert list(visible.search("ransomware").order_by("title")) == [older, newer]

        client.force_login(lead_user)
        page = client.get("/incidents/", {"q": "ransomware", "sort": "title"}).content.decode()
        assert page.index(older.reference) < page.index(newer.reference)
        page = client.get("/incidents/", {"q": "ransomware"}).content.decode()
        assert page.index(newer.reference) < page.index(older.reference)

    @pytest.mark.skipif(connection.vendor != "postgresql", reason="GIN index: PostgreSQL only")
    def test_a_search_is_not_ordered_by_the_bare_update_time(self, lead_user):
        # ORDER BY "updated_at" DESC with a LIMIT makes PostgreSQL walk incident_updated_idx
        # and test every row against the search, reading the whole table when few matches
        # are visible (bench/README.md); the search sorts its GIN matches instead.
        sql, _params = Incident.objects.restrict(lead_user).search("ransom").query.sql_with_params()
        order_by = sql.rsplit(" ORDER BY ", 1)[1]
        assert not order_by.startswith('"incidents_incident"."updated_at" DESC')
        assert '"incidents_incident"."updated_at" +' in order_by


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="stored document: PostgreSQL only")
def test_search_document_follows_an_edited_title(lead_user):
    incident = make_incident(lead_user, title="Phishing wave")
    visible = Incident.objects.restrict(lead_user)
    assert not visible.search("wiper").exists()
    Incident.objects.filter(pk=incident.pk).update(title="Wiper attack on a port")
    assert list(visible.search("wiper")) == [incident]
    assert not visible.search("phishing").exists()
