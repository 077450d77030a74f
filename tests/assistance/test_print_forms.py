"""Printable forms: each legal basis prints its instrument's form, in the receiving
authority's language, every time in one named zone (issue #14, point 9)."""

import re
from datetime import UTC, datetime
from html import unescape

import pytest

from accounts.choices import AgencyKind, Role
from coordination.assistance.choices import LegalBasis, Measure, ProviderRole, Urgency
from coordination.assistance.models import (
    AssistanceRequest,
    ProviderEstablishment,
    ServiceProvider,
)
from coordination.assistance.transitions import transition_request
from tests.factories import AgencyFactory, UserFactory

EIO_SECTIONS = "ABCDEFGHIJKL"
# Session, user, request (visibility, then with its relations), data sought, attachments,
# history, deadlines and policy, what the reader's side may do next (deadline rows, forward
# targets), and an EIO's earlier requests: a constant, none per row.
QUERY_BUDGET = 12


def _print(client, user, req, form=""):
    client.force_login(user)
    suffix = f"{form}/" if form else ""
    return client.get(f"/requests/{req.reference}/print/{suffix}")


def _html(response):
    assert response.status_code == 200, response.status_code
    return unescape(response.content.decode())


def _time_limit_headers(html):
    table = re.search(r"<table[^>]*print-time-limits.*?</thead>", html, re.DOTALL).group(0)
    return re.findall(r'<th scope="col">(.*?)</th>', table)


def _zones_of_times(html):
    return set(re.findall(r'<time class="when"[^>]*title="([^"]+)"', html))


@pytest.fixture
def provider_establishment(db):
    provider = ServiceProvider.objects.create(name="Example Cloud Ltd")
    return ProviderEstablishment.objects.create(
        provider=provider,
        role=ProviderRole.DESIGNATED_ESTABLISHMENT,
        country="IE",
        name="Example Cloud Ireland Ltd",
        address="1 Dock Road, Dublin 2",
        email="lawful-requests@cloud.example.ie",
        timezone="Europe/Dublin",
        language="en",
    )


@pytest.fixture
def ie_enforcing(db):
    return AgencyFactory(
        name="Garda National Cyber Crime Bureau",
        short_name="IE-GNCCB",
        country="IE",
        timezone="Europe/Dublin",
    )


def _order(req, **fields):
    AssistanceRequest.objects.filter(pk=req.pk).update(**fields)
    req.refresh_from_db()
    return req


# EIO, Annex A -----------------------------------------------------------------------------


def test_eio_prints_the_sections_of_annex_a_under_its_own_title(client, sent_request, de_liaison):
    # Given an EIO sent to the Dutch police unit (English)
    req = sent_request(LegalBasis.EIO)
    # When its form is printed
    html = _html(_print(client, de_liaison, req))
    # Then it is Annex A of the Directive, sections A to L in order, not a generic MLA request
    assert '<h1 id="form-title">European Investigation Order (EIO)</h1>' in html
    assert "Directive 2014/41/EU, Annex A" in html
    assert "Request for assistance in criminal matters" not in html
    positions = [
        html.index(f'id="section-{letter.lower()}"><h2>{letter}. ') for letter in EIO_SECTIONS
    ]
    assert positions == sorted(positions)
    assert "Directive 2014/41/EU Art. 14" in html  # J: legal remedies
    assert "203.0.113.7" in html and "ops@example.net" in html  # C and E


def test_eio_for_a_french_executing_authority_is_printed_in_french(
    client, sent_request, de_liaison, nl_agency
):
    # Given an EIO to an executing authority that works in French
    nl_agency.language = "fr"
    nl_agency.save()
    req = sent_request(LegalBasis.EIO)
    # When the German liaison officer prints it
    response = _print(client, de_liaison, req)
    html = _html(response)
    # Then the form is the French EIO, not a generic MLA request
    assert response["Content-Language"] == "fr"
    assert '<html lang="fr">' in html
    assert "Décision d'enquête européenne" in html
    assert "Demande d'entraide" not in html
    assert "Voies de recours" in html
    assert 'id="print-language-note"' not in html


def test_time_limits_table_has_three_distinct_column_titles_in_english_and_french(
    client, sent_request, de_liaison, nl_agency
):
    req = sent_request(LegalBasis.EIO)
    english = _time_limit_headers(_html(_print(client, de_liaison, req)))
    assert english == ["Time limit", "Due", "Source"]
    nl_agency.language = "fr"
    nl_agency.save()
    french = _time_limit_headers(_html(_print(client, de_liaison, req)))
    assert french == ["Délai", "Échéance", "Source"]
    assert len(set(french)) == 3


def test_data_sought_and_every_other_time_are_in_the_readers_named_zone(
    client, frozen, sent_request, de_liaison
):
    # Given an EIO sent at 09:00 UTC on 2 March to Amsterdam, an IP seen 23:14 UTC on 27 Feb
    req = sent_request(LegalBasis.EIO)
    # When printed by the German side (whose own zone is Berlin)
    html = _html(_print(client, de_liaison, req))
    # Then the header names one zone, the receiving authority's
    assert "All times: Europe/Amsterdam (CET/CEST)" in html
    # and the data sought are in that zone (the column says which), as is the rest
    assert "Date and time (Europe/Amsterdam)" in html
    assert "2026-02-28 00:14:00 CET" in html
    assert "2026-02-27 23:14" not in html
    assert "2026-03-02 10:00 CET" in html  # approved and sent
    assert _zones_of_times(html) == {"Europe/Amsterdam"}


def test_eio_names_its_validator_once_validated(
    client, make_request, lead_user, de_liaison, approve, de_prosecutor
):
    req = make_request(LegalBasis.EIO)
    transition_request(req, "submit", lead_user)
    assert 'id="validation">Not yet validated.' in _html(_print(client, de_liaison, req))
    # Given the German prosecutor validated it
    approve(req)
    req.refresh_from_db()
    html = _html(_print(client, de_liaison, req))
    section_l = html[html.index('id="section-l"') : html.index('id="time-limits"')]
    assert de_prosecutor.display_name in section_l
    assert de_prosecutor.agency.name in section_l
    assert "CET" in section_l


def test_eio_from_a_prosecutor_needs_no_validation(client, sent_request, de_liaison, lead_agency):
    lead_agency.kind = AgencyKind.PROSECUTOR
    lead_agency.save()
    req = sent_request(LegalBasis.EIO)
    html = _html(_print(client, de_liaison, req))
    assert "Not required: issued by a judicial authority." in html
    assert "Signature and seal of the validating authority" not in html


def test_eio_shows_the_issuers_date_as_its_target_beside_the_legal_time_limits(
    client, sent_request, de_liaison
):
    req = _order(
        sent_request(
            LegalBasis.EIO,
            urgency=Urgency.URGENT,
            urgency_reason="Logs are overwritten after 14 days.",
            issuer_deadline=datetime(2026, 12, 20, 12, 0, tzinfo=UTC),
            issuer_deadline_reason="Trial date.",
        ),
        provisional_measures=True,
        provisional_measures_detail="Freeze the VPS image.",
    )
    html = _html(_print(client, de_liaison, req))
    section_b = html[html.index('id="section-b"') : html.index('id="section-c"')]
    assert "target date" in section_b and "Trial date." in section_b
    assert "does not replace the time limits" in section_b
    assert "Freeze the VPS image." in section_b


# EIO, Annex B -----------------------------------------------------------------------------


def test_acknowledgement_form_exists_only_once_the_eio_was_acknowledged(
    client, frozen, sent_request, de_liaison, nl_liaison
):
    # Given an EIO sent but not yet acknowledged
    req = sent_request(LegalBasis.EIO)
    assert _print(client, nl_liaison, req, "acknowledgement").status_code == 404
    assert "print/acknowledgement/" not in _html(client.get(f"/requests/{req.reference}/"))
    # When the Dutch side acknowledges it an hour later
    frozen.move_to(datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    transition_request(req, "acknowledge", nl_liaison)
    # Then both sides have Annex B, linked from the detail page
    for user in (nl_liaison, de_liaison):
        client.force_login(user)
        assert "print/acknowledgement/" in _html(client.get(f"/requests/{req.reference}/"))
        html = _html(_print(client, user, req, "acknowledgement"))
        assert "Acknowledgement of receipt of a European Investigation Order" in html
        assert "Directive 2014/41/EU, Annex B" in html
        section_b = html[html.index('id="section-b"') : html.index('id="section-c"')]
        assert "Team High Tech Crime" in section_b
        # in the issuing authority's zone (Berlin), as every time on it
        assert '<td id="date-of-receipt"><time class="when"' in section_b
        assert "2026-03-02 11:00 CET" in section_b
        assert "All times: Europe/Berlin (CET/CEST)" in html
        assert _zones_of_times(html) == {"Europe/Berlin"}


def test_acknowledgement_is_printed_in_the_issuing_authoritys_language(
    client, sent_request, nl_liaison, lead_agency
):
    lead_agency.language = "fr"
    lead_agency.save()
    req = sent_request(LegalBasis.EIO)
    transition_request(req, "acknowledge", nl_liaison)
    html = _html(_print(client, nl_liaison, req, "acknowledgement"))
    assert "Accusé de réception d'une décision d'enquête européenne" in html


def test_acknowledgement_names_the_authority_it_was_forwarded_to(
    client, sent_request, nl_liaison, nl_prosecutor
):
    req = sent_request(LegalBasis.EIO)
    transition_request(req, "acknowledge", nl_liaison)
    transition_request(req, "forward", nl_liaison, agency=nl_prosecutor)
    html = _html(_print(client, nl_liaison, req, "acknowledgement"))
    section_c = html[html.index('id="section-c"') : html.index('id="section-d"')]
    assert "Landelijk Parket" in section_c
    assert "Team High Tech Crime" not in section_c


def test_acknowledgement_is_for_eios_only(client, sent_request, nl_liaison):
    req = sent_request(LegalBasis.BUDAPEST_MLA)
    transition_request(req, "acknowledge", nl_liaison)
    assert _print(client, nl_liaison, req, "acknowledgement").status_code == 404


# EPOC and EPOC-PR -------------------------------------------------------------------------


def test_epoc_names_the_providers_addressee_and_the_notified_enforcing_authority(
    client, frozen, sent_request, de_liaison, provider_establishment, ie_enforcing
):
    req = _order(
        sent_request(LegalBasis.EPOC, measures=[Measure.TRAFFIC]),
        provider_addressee=provider_establishment,
        enforcing_agency=ie_enforcing,
        notification_required=True,
        enforcing_notified_at=datetime(2026, 3, 2, 9, 5, tzinfo=UTC),
        transmission_id="EDES-42",
    )
    html = _html(_print(client, de_liaison, req))
    assert "European Production Order Certificate (EPOC)" in html
    assert "Regulation (EU) 2023/1543, Annex I" in html
    addressee = html[html.index('id="addressee"') : html.index('id="issuing-authority"')]
    assert "Example Cloud Ltd" in addressee
    assert "Example Cloud Ireland Ltd — Designated establishment" in addressee
    assert "Ireland" in addressee and "lawful-requests@cloud.example.ie" in addressee
    status = re.search(r'id="notification-status">(.*?)</p>', html, re.DOTALL).group(1)
    assert "Notified to Garda National Cyber Crime Bureau (Ireland)" in status
    assert "2026-03-02 09:05 GMT" in status  # in the provider's zone
    assert "All times: Europe/Dublin (GMT/IST)" in html
    assert "EDES-42" in html
    assert "at the latest 10 days after receipt" in html


def test_epoc_in_an_emergency_under_the_art_8_2_exception(
    client, sent_request, de_liaison, provider_establishment
):
    req = _order(
        sent_request(LegalBasis.EPOC, urgency=Urgency.EMERGENCY, urgency_reason="Kidnapping."),
        provider_addressee=provider_establishment,
        notification_exception=True,
        notification_exception_reason="Victim and suspect live in Germany.",
    )
    html = _html(_print(client, de_liaison, req))
    assert "at the latest 8 hours after receipt" in html
    assert "exception of Art. 8(2)" in html
    assert "Victim and suspect live in Germany." in html


def test_epoc_for_subscriber_data_needs_no_notification(
    client, sent_request, de_liaison, provider_establishment
):
    req = _order(
        sent_request(LegalBasis.EPOC, measures=[Measure.SUBSCRIBER]),
        provider_addressee=provider_establishment,
    )
    status = re.search(
        r'id="notification-status">(.*?)</p>', _html(_print(client, de_liaison, req)), re.DOTALL
    ).group(1)
    assert status.startswith("Not required")


def test_epoc_pr_names_the_addressee_and_the_preservation_period(
    client, sent_request, de_liaison, provider_establishment
):
    req = _order(
        sent_request(LegalBasis.EPOC_PR),
        provider_addressee=provider_establishment,
        preservation_extended_at=datetime(2026, 4, 20, 9, 0, tzinfo=UTC),
        preservation_extension_reason="Production order being drafted.",
    )
    html = _html(_print(client, de_liaison, req))
    assert "European Preservation Order Certificate (EPOC-PR)" in html
    assert "Regulation (EU) 2023/1543, Annex II" in html
    assert "Example Cloud Ireland Ltd" in html
    assert "preserved for 60 days" in html and "by 30 days" in html
    assert "Production order being drafted." in html
    assert "2026-04-20 10:00 IST" in html
    assert re.search(r'id="notification-status">Not required', html)


def test_epoc_for_a_french_establishment_is_printed_in_french(
    client, sent_request, de_liaison, provider_establishment
):
    provider_establishment.language = "fr"
    provider_establishment.save()
    req = _order(sent_request(LegalBasis.EPOC), provider_addressee=provider_establishment)
    html = _html(_print(client, de_liaison, req))
    assert "Certificat d'injonction européenne de production (EPOC)" in html


# Other bases --------------------------------------------------------------------------------


def test_budapest_request_prints_the_generic_mla_form(client, sent_request, de_liaison, nl_agency):
    req = sent_request(LegalBasis.BUDAPEST_MLA)
    html = _html(_print(client, de_liaison, req))
    assert "Request for assistance in criminal matters" in html
    assert "Budapest Convention Art. 31" in html
    assert "European Investigation Order" not in html
    assert _time_limit_headers(html) == ["Time limit", "Due", "Source"]
    nl_agency.language = "fr"
    nl_agency.save()
    html = _html(_print(client, de_liaison, req))
    assert "Demande d'entraide judiciaire en matière pénale" in html


def test_a_german_speaking_receiver_gets_english_with_a_note(
    client, sent_request, de_liaison, nl_agency
):
    nl_agency.language = "de"
    nl_agency.save()
    req = sent_request(LegalBasis.EIO)
    response = _print(client, de_liaison, req)
    html = _html(response)
    assert response["Content-Language"] == "en"
    assert "European Investigation Order (EIO)" in html
    note = re.search(r'id="print-language-note">(.*?)</p>', html, re.DOTALL).group(1)
    assert "printed in English" in note and "German" in note and "Team High Tech Crime" in note


# Who may print -------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["", "acknowledgement"])
def test_outsider_gets_404_and_anonymous_is_sent_to_login(
    client, sent_request, nl_liaison, outsider, form
):
    req = sent_request(LegalBasis.EIO)
    transition_request(req, "acknowledge", nl_liaison)
    url = f"/requests/{req.reference}/print/" + (f"{form}/" if form else "")
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_requested_side_prints_the_form_in_its_own_language(client, sent_request, nl_agency):
    nl_agency.language = "fr"
    nl_agency.save()
    reader = UserFactory(agency=nl_agency, role=Role.LIAISON_OFFICER, language="en")
    req = sent_request(LegalBasis.EIO)
    assert "Décision d'enquête" in _html(_print(client, reader, req))


@pytest.mark.parametrize("basis", [LegalBasis.EIO, LegalBasis.EPOC, LegalBasis.BUDAPEST_MLA])
def test_print_page_query_count(
    client,
    sent_request,
    de_liaison,
    provider_establishment,
    django_assert_max_num_queries,
    basis,
):
    req = sent_request(basis)
    if basis == LegalBasis.EPOC:
        _order(req, provider_addressee=provider_establishment)
    client.force_login(de_liaison)
    client.get(f"/requests/{req.reference}/print/")  # session and caches warm
    with django_assert_max_num_queries(QUERY_BUDGET):
        assert client.get(f"/requests/{req.reference}/print/").status_code == 200


def test_acknowledgement_query_count(
    client, sent_request, nl_liaison, django_assert_max_num_queries
):
    req = sent_request(LegalBasis.EIO)
    transition_request(req, "acknowledge", nl_liaison)
    client.force_login(nl_liaison)
    client.get(f"/requests/{req.reference}/print/acknowledgement/")
    with django_assert_max_num_queries(QUERY_BUDGET):
        assert client.get(f"/requests/{req.reference}/print/acknowledgement/").status_code == 200
