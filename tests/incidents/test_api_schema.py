"""The OpenAPI schema and the interactive docs."""

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_is_served_and_lists_the_endpoints(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in (
        "/api/v1/incidents/",
        "/api/v1/incidents/{reference}/",
        "/api/v1/incidents/{reference}/status/",
        "/api/v1/incidents/{reference}/timeline/",
        "/api/v1/incidents/{reference}/participants/{agency_id}/",
        "/api/v1/agencies/",
        "/api/v1/auth/token/",
    ):
        assert path in schema["paths"], path
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


def test_schema_generates_without_warnings_and_validates(tmp_path):
    # --fail-on-warn turns any warning or error of the generator into a failure.
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert "/api/v1/incidents/" in yaml.safe_load(target.read_text())["paths"]


def test_docs_page_uses_our_own_static_files(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower()
