"""The OpenAPI schema is valid without warnings, and Swagger UI works with no internet."""

import re

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse

# The contract's paths (DESIGN.md, "The REST contract") that this part of the portal provides.
CONTRACT_PATHS = [
    "/api/v1/auth/token/",
    "/api/v1/me/",
    "/api/v1/me/deadlines/",
    "/api/v1/me/calendar-token/",
    "/api/v1/courses/{course_id}/assignments/",
    "/api/v1/assignments/{assignment_id}/",
    "/api/v1/assignments/{assignment_id}/submissions/",
    "/api/v1/extensions/",
]


@pytest.fixture
def schema(client) -> dict:
    response = client.get(reverse("api-schema"))
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_schema_is_openapi_3(schema):
    assert str(schema["openapi"]).startswith("3.")
    assert schema["info"]["title"] == "Course portal API"


def test_schema_as_json(client):
    response = client.get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_schema_needs_no_sign_in(client):
    assert client.get(reverse("api-schema")).status_code == 200
    assert client.get(reverse("api-docs")).status_code == 200


def test_schema_lists_the_contract_paths(schema):
    missing = [p for p in CONTRACT_PATHS if p not in schema["paths"]]
    assert not missing, missing
    assert "post" in schema["paths"]["/api/v1/courses/{course_id}/assignments/"]
    assert "patch" in schema["paths"]["/api/v1/assignments/{assignment_id}/"]


def test_schema_documents_the_error_shape(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"detail", "code", "fields"}
    create = schema["paths"]["/api/v1/courses/{course_id}/assignments/"]["post"]
    assert {"201", "400", "403", "404"} <= set(create["responses"])


def test_schema_documents_token_auth(schema):
    schemes = schema["components"]["securitySchemes"]
    assert any(s.get("type") == "apiKey" and s.get("name") == "Authorization" for s in schemes.values())
    token = schema["paths"]["/api/v1/auth/token/"]["post"]
    assert "200" in token["responses"]


def test_spectacular_validates_without_warnings(db, tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    generated = yaml.safe_load(out.read_text())
    assert str(generated["openapi"]).startswith("3.")
    assert set(CONTRACT_PATHS) <= set(generated["paths"])


def test_swagger_ui_uses_local_static_files(client):
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    for cdn in ("cdn.jsdelivr", "unpkg.com", "cdnjs", "googleapis"):
        assert cdn not in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    assert any(a.endswith("swagger-ui.css") for a in assets)
    for asset in assets:
        assert asset.startswith("/static/"), f"{asset} is not served by the portal"
    assert reverse("api-schema") in html


@pytest.mark.parametrize(
    "asset", ["swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"]
)
def test_swagger_ui_static_files_are_served(client, asset):
    html = client.get(reverse("api-docs")).content.decode()
    [url] = [a for a in re.findall(r'(?:src|href)="([^"]+)"', html) if a.endswith("/" + asset)]
    response = client.get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert len(body) > 1000
