"""What every API answer shares: paging, errors as JSON, and what the schema says of them."""

import pytest

pytestmark = pytest.mark.django_db


def schema(client):
    return client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


@pytest.mark.parametrize("size", ["0", "-3", "null", "ten"])
def test_a_page_size_that_is_not_a_positive_number_answers_400(api_client, lead_user, size):
    api_client.force_authenticate(lead_user)

    response = api_client.get("/api/v1/incidents/", {"page_size": size})

    assert response.status_code == 400
    assert "page_size" in response.json()


def test_a_page_size_above_the_maximum_gives_the_maximum(api_client, lead_user, incident):
    api_client.force_authenticate(lead_user)

    response = api_client.get("/api/v1/incidents/", {"page_size": "5000"})

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_an_api_path_that_matches_no_url_answers_json_404(api_client, lead_user):
    api_client.force_authenticate(lead_user)

    response = api_client.get("/api/v1/agencies/not-a-number/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_a_page_path_that_matches_no_url_keeps_the_html_page(client, lead_user):
    client.force_login(lead_user)

    response = client.get("/incidents/no/such/page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_schema_documents_the_error_answers_of_every_operation(client):
    paths = schema(client)["paths"]

    detail = paths["/api/v1/incidents/{reference}/"]["get"]["responses"]
    listing = paths["/api/v1/incidents/"]["get"]["responses"]
    creation = paths["/api/v1/incidents/"]["post"]["responses"]
    token = paths["/api/v1/auth/token/"]["post"]["responses"]
    assert {"401", "403", "404"} <= set(detail)
    assert {"400", "401", "403", "404"} <= set(listing)
    assert {"400", "401", "403", "415"} <= set(creation)
    assert "429" in token


def test_schema_declares_countries_as_lists_and_blank_values_where_they_occur(client):
    components = schema(client)["components"]["schemas"]

    assert components["Incident"]["properties"]["affected_countries"]["type"] == "array"
    request = components["Request"]["properties"]
    for name in ("requested_country", "due_kind"):
        assert {"$ref": "#/components/schemas/BlankEnum"} in request[name]["oneOf"] or any(
            option.get("maxLength") == 0 for option in request[name]["oneOf"]
        ), name
