"""The OpenAPI document at /api/v1/openapi.json describes the API as the code runs it (checked with schemathesis)."""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                               response_schema_conformance, status_code_conformance)
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode

from extensions import db
from feedback import dossiers
from feedback.survey_models import Channel

from test_api_dossiers import dossier_data


@pytest.fixture
def document(client):
    """The served document."""
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.content_type == "application/json"
    return response.get_json()


def test_the_document_is_openapi_3_1_and_public(document):
    assert document["openapi"].startswith("3.1")
    assert document["paths"]["/api/v1/openapi.json"]["get"]["security"] == []
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": document["components"]["securitySchemes"]["bearer"][
            "description"]}


def test_every_api_route_is_documented_and_nothing_else(app, document):
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = rule.rule.replace("<path:code>", "{code}")
            routes |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert routes == documented


def test_the_documented_dossier_follows_the_validation_rules(app, document):
    schema = document["components"]["schemas"]["Dossier"]
    assert set(schema["properties"]) == set(dossiers.FIELDS)
    assert schema["additionalProperties"] is False
    assert schema["properties"]["channel"]["enum"] == [c.value for c in Channel]
    assert schema["properties"]["code"]["maxLength"] == dossiers.LIMITS["code"]
    assert schema["properties"]["agency_code"]["maxLength"] == dossiers.LIMITS["agency_code"]
    applicant = schema["properties"]["applicant"]["properties"]
    assert {f"applicant.{name}": field["maxLength"] for name, field in applicant.items()} == {
        name: limit for name, limit in dossiers.LIMITS.items() if name.startswith("applicant.")}
    batch = document["components"]["schemas"]["Batch"]["properties"]["dossiers"]
    assert batch["maxItems"] == app.config["API_BATCH_MAX"]


def test_a_documented_example_is_accepted(client, make_agency, document):
    """What the document promises for a good dossier is what the API answers."""
    import jsonschema_rs

    agency = make_agency()
    data = dossier_data(agency)
    schemas = document["components"]["schemas"]
    jsonschema_rs.validator_for({**schemas["Dossier"], "components": document["components"]}).validate(data)
    key, secret = dossiers.create_key("Một cửa")
    db.session.commit()
    response = client.post("/api/v1/dossiers", json=data, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 201
    jsonschema_rs.validator_for({**schemas["Receipt"], "components": document["components"]}).validate(
        response.get_json())
    read = client.get(response.headers["Location"], headers={"Authorization": f"Bearer {secret}"})
    jsonschema_rs.validator_for({**schemas["DossierView"], "components": document["components"]}).validate(
        read.get_json())


# --- generated calls --------------------------------------------------------------------------------------------------

@pytest.fixture
def api_schema(app):
    """The document as schemathesis reads it from the app itself."""
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def api_headers(app, make_agency, monkeypatch):
    """A valid key for every agency, and an agency that generated dossiers may name, under a loose rate limit."""
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "100000 per minute")
    make_agency(code="SO-XD")
    key, secret = dossiers.create_key("Kiểm thử tự động")
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


OPERATIONS = [("POST", "/api/v1/dossiers"), ("POST", "/api/v1/dossiers/batch"), ("GET", "/api/v1/dossiers/{code}"),
              ("GET", "/api/v1/openapi.json")]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 25}


def test_the_generated_calls_below_cover_every_documented_operation(document):
    assert {(method, path) for path, item in document["paths"].items() for method in
            (m.upper() for m in item)} == set(OPERATIONS)


def _storable(case):
    """The generated dossier(s) of a case, for the agency that exists and with dates in the right order."""
    items = case.body.get("dossiers", []) if isinstance(case.body, dict) and "dossiers" in case.body else [case.body]
    for item in items:
        if isinstance(item, dict):
            item.update(agency_code="SO-XD", received_at="2026-01-05T08:00:00+07:00", due_at="2026-01-20",
                        completed_at="2026-01-19T16:30:00+07:00", applicant=None)
    return case


GENERATED = [(method, path, mode) for method, path in OPERATIONS for mode in EXAMPLES
             if not (path.endswith("openapi.json") and mode.is_negative)]  # it takes no input to get wrong


@pytest.mark.parametrize("method,path,mode", GENERATED, ids=[f"{m}-{p}-{g}" for m, p, g in GENERATED])
def test_generated_calls_get_documented_answers(api_schema, api_headers, method, path, mode):
    """Good and bad calls alike: never a server error, and every answer's status, type, headers and body as
    documented; a bad dossier gets one of the documented 4xx answers."""
    strategy = api_schema[path][method].as_strategy(generation_mode=mode)
    if mode.is_positive and method == "POST":  # half of them steered to a known agency and good dates, to be stored
        strategy = st.one_of(strategy, strategy.map(_storable))

    @given(case=strategy)
    @settings(max_examples=EXAMPLES[mode], deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def call(case):
        response = case.call_and_validate(headers=api_headers, checks=CHECKS)
        if mode.is_negative and (method, path) == ("POST", "/api/v1/dossiers"):
            assert 400 <= response.status_code < 500, response.text

    call()
