import pytest

from accounts.models import Agency
from tests.federation.conftest import make_remote_agency

pytestmark = [pytest.mark.federation, pytest.mark.django_db]


@pytest.fixture
def remote_agency(remote):
    return make_remote_agency(remote.peer, 11, "BKA-CC", name="Landeskriminalamt Berlin")


def test_remote_agency_may_share_a_short_name_with_a_local_one_but_not_its_group(
    lead_agency, remote_agency
):
    assert lead_agency.short_name == remote_agency.short_name
    assert lead_agency.group_id != remote_agency.group_id
    assert remote_agency.group.name == "agency:BKA-CC@de-node"


def test_active_agencies_stay_local_and_listed_ones_include_the_peers(lead_agency, remote_agency):
    assert list(Agency.objects.active()) == [lead_agency]
    assert set(Agency.objects.listed()) == {lead_agency, remote_agency}


def test_directory_page_marks_remote_agencies_with_their_node(login, lead_user, remote_agency):
    response = login(lead_user).get("/accounts/directory/")

    assert response.status_code == 200
    assert "Landeskriminalamt Berlin" in response.text
    assert "remote, node de-node" in response.text


def test_invite_picker_offers_remote_agencies_marked_with_their_node(
    login, lead_user, incident, remote_agency
):
    url = f"{incident.get_absolute_url()}agency-options/?country=DE"

    response = login(lead_user).get(url)

    assert response.status_code == 200
    assert "Landeskriminalamt Berlin (BKA-CC) · remote, node de-node" in response.text


def test_request_form_offers_remote_agencies_marked_with_their_node(lead_user, remote_agency):
    from coordination.assistance.forms import RequestForm

    form = RequestForm(user=lead_user)

    labels = [label for _value, label in form.fields["receiving_agency"].choices]
    assert "Landeskriminalamt Berlin (DE) · remote, node de-node" in labels


def test_a_second_local_agency_with_a_taken_short_name_is_a_validation_error(
    lead_agency, remote_agency
):
    from django.core.exceptions import ValidationError

    duplicate = Agency(name="Other", short_name="BKA-CC", country="DE", kind="police")

    with pytest.raises(ValidationError) as raised:
        duplicate.full_clean(exclude=["node", "group"])

    assert raised.value.messages == ["An agency of this node already has this short name."]
    remote_agency.full_clean(exclude=["node", "group"])  # the remote namesake is valid
