"""The one-stop-shop system reports one dossier at a time: answers, errors, idempotency, keys, audit, limits."""
from datetime import timedelta, timezone

import pytest
import sqlalchemy as sa

from audit import AuditEntry
from database import utcnow
from extensions import db
from feedback import dossiers, survey
from feedback.survey_models import ApiKey, Dossier
from testapp import all_at_once, database_url, make_test_app

URL = "/api/v1/dossiers"


def _iso(days_ago):
    """A time some days back, as the one-stop-shop system sends it (Vietnamese time with its offset)."""
    moment = (utcnow() - timedelta(days=days_ago)).replace(microsecond=0)
    return moment.replace(tzinfo=timezone.utc).astimezone(dossiers.LOCAL_ZONE).isoformat()


def dossier_data(agency, code="000.00.20.H21-261121-0001", **changes):
    """A completed dossier as the one-stop-shop system reports it."""
    data = {"code": code, "procedure": {"name": "Cấp giấy phép xây dựng", "code": "1.009794"},
            "field": "Xây dựng", "agency_code": agency.code, "received_at": _iso(10), "due_at": _iso(2)[:10],
            "completed_at": _iso(3), "channel": "counter",
            "applicant": {"name": "Nguyễn Văn An", "phone": "0912 345 678", "email": "an.nguyen@example.vn"}}
    data.update(changes)
    return data


@pytest.fixture
def agency(make_agency):
    """The agency whose dossiers are reported."""
    return make_agency(code="SO-XD", name="Sở Xây dựng")


@pytest.fixture
def make_key(app):
    """Create an API key (for every agency, or one); return the record and the headers that send it."""
    def factory(agency=None, name="Hệ thống một cửa"):
        key, secret = dossiers.create_key(name, agency)
        db.session.commit()
        return key, {"Authorization": f"Bearer {secret}"}
    return factory


@pytest.fixture
def headers(make_key):
    """The headers of a key valid for every agency."""
    return make_key()[1]


def _count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _stored(code):
    db.session.expire_all()
    return db.session.scalar(sa.select(Dossier).where(Dossier.code == code))


# --- answers ----------------------------------------------------------------------------------------------------------

def test_a_new_dossier_answers_201_with_its_survey_and_qr_links(client, agency, headers):
    response = client.post(URL, json=dossier_data(agency), headers=headers)
    assert response.status_code == 201
    body = response.get_json()
    stored = _stored("000.00.20.H21-261121-0001")
    assert body["code"] == stored.code and body["status"] == "created"
    assert body["survey_url"] == f"http://localhost/danh-gia/{stored.survey_token}"
    assert body["qr_url"] == f"http://localhost/danh-gia/{stored.survey_token}/ma-qr.png"
    assert body["qr_svg_url"] == f"http://localhost/danh-gia/{stored.survey_token}/ma-qr.svg"
    assert response.headers["Location"] == "http://localhost/api/v1/dossiers/000.00.20.H21-261121-0001"
    assert response.content_type == "application/json"
    assert stored.source == "api" and stored.api_key_id is not None
    assert stored.applicant_phone == "0912345678" and stored.procedure.code == "1.009794"


def test_the_same_dossier_sent_again_answers_200_with_the_same_link(client, agency, headers):
    first = client.post(URL, json=dossier_data(agency), headers=headers)
    again = client.post(URL, json=dossier_data(agency), headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["status"] == "unchanged"
    assert again.get_json()["survey_url"] == first.get_json()["survey_url"]
    assert "Location" not in again.headers
    assert _count(Dossier) == 1


def test_an_open_dossier_reported_again_once_completed_answers_200_completed(client, agency, headers):
    open_ = client.post(URL, json=dossier_data(agency, completed_at=None), headers=headers)
    assert open_.status_code == 201 and _stored("000.00.20.H21-261121-0001").completed_at is None
    done = client.post(URL, json=dossier_data(agency), headers=headers)
    assert done.status_code == 200
    assert done.get_json()["status"] == "completed"
    assert done.get_json()["survey_url"] == open_.get_json()["survey_url"]
    assert _stored("000.00.20.H21-261121-0001").completed_at is not None


def test_different_data_for_a_stored_code_answers_409_and_changes_nothing(client, agency, headers):
    client.post(URL, json=dossier_data(agency), headers=headers)
    response = client.post(URL, json=dossier_data(agency, channel="online"), headers=headers)
    assert response.status_code == 409
    body = response.get_json()
    assert body["error"] == "conflict" and list(body["errors"]) == ["code"]
    assert "survey_url" not in body
    assert _stored("000.00.20.H21-261121-0001").channel.value == "counter"


def test_field_errors_answer_422_naming_each_field(client, agency, headers):
    data = dossier_data(agency, code="", channel="fax", received_at="21/11/2026", colour="red",
                        procedure={"name": "x" * 301}, applicant={"phone": "12", "email": "not-an-address"})
    response = client.post(URL, json=data, headers=headers)
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "invalid" and body["message"]
    assert set(body["errors"]) == {"code", "channel", "received_at", "colour", "procedure.name", "applicant.phone",
                                   "applicant.email"}
    assert all(isinstance(m, str) and m for messages in body["errors"].values() for m in messages)
    assert _count(Dossier) == 0


def test_dates_in_the_wrong_order_or_in_the_future_are_named(client, agency, headers):
    data = dossier_data(agency, received_at=_iso(1), completed_at=_iso(5), due_at=_iso(-400))
    errors = client.post(URL, json=data, headers=headers).get_json()["errors"]
    assert set(errors) == {"completed_at"}
    errors = client.post(URL, json=dossier_data(agency, received_at=_iso(-2), completed_at=None, due_at=None),
                         headers=headers).get_json()["errors"]
    assert set(errors) == {"received_at"}


def test_an_unknown_agency_is_a_field_error(client, agency, headers):
    response = client.post(URL, json=dossier_data(agency, agency_code="SO-KHONG-CO"), headers=headers)
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["agency_code"]


def test_the_agency_code_is_matched_whatever_its_case(client, agency, headers):
    response = client.post(URL, json=dossier_data(agency, agency_code="so-xd"), headers=headers)
    assert response.status_code == 201


@pytest.mark.parametrize("body", ["[]", '"a dossier"', "42", "null"])
def test_a_body_that_is_not_one_object_answers_422(client, headers, body):
    response = client.post(URL, data=body, headers=headers, content_type="application/json")
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["dossier"]


# --- the request itself -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer ctt_wrong", "Basic dXNlcjpwYXNz",
                                           "ctt_without_the_bearer_word"])
def test_a_missing_or_wrong_key_answers_401_with_a_bearer_challenge(client, agency, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = client.post(URL, json=dossier_data(agency), headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["error"] == "unauthorized"
    assert _count(Dossier) == 0


def test_a_revoked_key_answers_401(client, agency, make_key, make_user):
    key, headers = make_key()
    dossiers.revoke_key(key, make_user("admin"))
    db.session.commit()
    assert client.post(URL, json=dossier_data(agency), headers=headers).status_code == 401


def test_a_key_of_one_agency_cannot_report_another_agencys_dossier(client, agency, make_agency, make_key):
    _key, headers = make_key(make_agency())
    response = client.post(URL, json=dossier_data(agency), headers=headers)
    assert response.status_code == 403
    assert response.get_json()["error"] == "forbidden"
    assert list(response.get_json()["errors"]) == ["agency_code"]
    assert _count(Dossier) == 0


def test_a_key_of_the_agency_reports_its_own_dossiers(client, agency, make_key):
    _key, headers = make_key(agency)
    assert client.post(URL, json=dossier_data(agency), headers=headers).status_code == 201


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_not_sent_as_json_answers_415(client, agency, headers, content_type):
    import json

    extra = {"content_type": content_type} if content_type else {}
    response = client.post(URL, data=json.dumps(dossier_data(agency)), headers=headers, **extra)
    assert response.status_code == 415
    assert response.get_json()["error"] == "unsupported_media_type"


def test_malformed_json_answers_400(client, headers):
    response = client.post(URL, data='{"code": "H21-1",', headers=headers, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"] == "malformed_json"


def test_a_body_over_the_limit_answers_413_before_anything_is_stored(app, client, agency, headers, monkeypatch):
    monkeypatch.setitem(app.config, "API_MAX_BODY_BYTES", 1000)
    data = dossier_data(agency, field="Đ" * 100, procedure={"name": "Thủ tục " * 60})
    response = client.post(URL, json=data, headers=headers)
    assert response.status_code == 413
    assert response.get_json()["error"] == "too_large"
    assert _count(Dossier) == 0


@pytest.mark.parametrize("method,path,status", [("GET", "/api/v1/khong-co", 404), ("DELETE", URL, 405),
                                                ("GET", URL, 405), ("PUT", "/api/v1/dossiers/batch", 405)])
def test_unknown_addresses_and_methods_answer_json_too(client, headers, method, path, status):
    response = client.open(path, method=method, headers=headers)
    assert response.status_code == status
    assert response.content_type == "application/json"
    assert set(response.get_json()) == {"error", "message", "errors"}
    if status == 405:
        assert "POST" in response.headers["Allow"]


def test_an_unexpected_failure_answers_json_500_without_internals(client, agency, headers, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(dossiers, "intake_one", broken)
    response = client.post(URL, json=dossier_data(agency), headers=headers)
    assert response.status_code == 500
    assert response.get_json()["error"] == "server_error"
    assert "secret internals" not in response.get_data(as_text=True)


def test_each_key_has_its_own_rate_limit(app, client, agency, make_key, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "2 per minute")
    _first, busy = make_key()
    _second, other = make_key()
    statuses = [client.post(URL, json=dossier_data(agency), headers=busy).status_code for _ in range(3)]
    assert statuses == [201, 200, 429]
    refused = client.post(URL, json=dossier_data(agency), headers=busy)
    assert refused.get_json()["error"] == "rate_limited" and refused.headers["Retry-After"]
    assert client.post(URL, json=dossier_data(agency), headers=other).status_code == 200


def test_a_keys_last_use_is_noted_at_most_once_a_minute(client, agency, make_key):
    key, headers = make_key()
    client.post(URL, json=dossier_data(agency), headers=headers)
    db.session.refresh(key)
    first = key.last_used_at
    assert first is not None
    client.post(URL, json=dossier_data(agency), headers=headers)
    db.session.refresh(key)
    assert key.last_used_at == first
    key.last_used_at = first - timedelta(minutes=5)
    db.session.commit()
    client.get(f"{URL}/000.00.20.H21-261121-0001", headers=headers)
    db.session.refresh(key)
    assert key.last_used_at > first - timedelta(minutes=5)


# --- audit ------------------------------------------------------------------------------------------------------------

def test_each_call_that_stores_something_writes_exactly_one_audit_entry(client, agency, make_key):
    key, headers = make_key()
    entries = lambda: db.session.scalars(sa.select(AuditEntry).where(  # noqa: E731
        AuditEntry.action == "dossiers.intake").order_by(AuditEntry.id)).all()
    client.post(URL, json=dossier_data(agency, completed_at=None), headers=headers)
    client.post(URL, json=dossier_data(agency, completed_at=None), headers=headers)  # unchanged
    client.post(URL, json=dossier_data(agency, channel="online"), headers=headers)  # conflict
    client.post(URL, json=dossier_data(agency, code=""), headers=headers)  # invalid
    client.post(URL, json=dossier_data(agency), headers=headers)  # completed
    logged = entries()
    assert [(e.details["created"], e.details["completed"]) for e in logged] == [(1, 0), (0, 1)]
    assert all(e.object_type == "ApiKey" and e.object_id == key.id and e.actor_id is None for e in logged)


# --- reading a dossier back -------------------------------------------------------------------------------------------

def test_a_dossier_is_read_back_with_its_links_but_never_the_applicants_contact(client, agency, headers):
    created = client.post(URL, json=dossier_data(agency), headers=headers)
    response = client.get(created.headers["Location"], headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["code"] == "000.00.20.H21-261121-0001" and body["agency_code"] == "SO-XD"
    assert body["procedure"] == {"name": "Cấp giấy phép xây dựng", "code": "1.009794"}
    assert body["field"] == "Xây dựng" and body["channel"] == "counter" and body["on_time"] is True
    assert body["survey_url"] == created.get_json()["survey_url"]
    assert body["survey_answered"] is False and body["answered_at"] is None
    text = response.get_data(as_text=True)
    assert "Nguyễn Văn An" not in text and "0912345678" not in text and "an.nguyen" not in text
    assert "applicant" not in body


def test_reading_back_shows_that_the_survey_was_answered(client, agency, headers):
    client.post(URL, json=dossier_data(agency), headers=headers)
    survey.answer(_stored("000.00.20.H21-261121-0001"), 3, "link")
    db.session.commit()
    body = client.get(f"{URL}/000.00.20.H21-261121-0001", headers=headers).get_json()
    assert body["survey_answered"] is True and body["answered_at"]


def test_a_dossier_of_another_agency_or_unknown_code_reads_as_404(client, agency, make_agency, make_key, headers):
    client.post(URL, json=dossier_data(agency), headers=headers)
    _key, outsider = make_key(make_agency())
    assert client.get(f"{URL}/000.00.20.H21-261121-0001", headers=outsider).status_code == 404
    missing = client.get(f"{URL}/H21-khong-co", headers=headers)
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"
    assert client.get(f"{URL}/000.00.20.H21-261121-0001").status_code == 401


def test_a_code_with_a_slash_is_read_back_at_its_location(client, agency, headers):
    created = client.post(URL, json=dossier_data(agency, code="H21/2026/0001"), headers=headers)
    assert created.status_code == 201
    assert client.get(created.headers["Location"], headers=headers).get_json()["code"] == "H21/2026/0001"


# --- the same dossier sent at once ------------------------------------------------------------------------------------


@pytest.mark.no_db_transaction
def test_the_same_dossier_sent_many_times_at_once_is_stored_once(tmp_path):
    """Ten retries of one report arrive together: one row, one 201, the others 200, all with the same link."""
    from accounts import services as accounts

    app = make_test_app(database_url(tmp_path, "portal_api_repeats"), API_RATE_LIMIT="1000 per minute")
    with app.app_context():
        agency = accounts.create_agency("SO-XD", "Sở Xây dựng")
        db.session.commit()
        _key, secret = dossiers.create_key("Hệ thống một cửa")
        db.session.commit()
        data = dossier_data(agency)
        db.session.remove()
    answers = []

    def post():
        response = app.test_client().post(URL, json=data, headers={"Authorization": f"Bearer {secret}"})
        answers.append((response.status_code, response.get_json().get("survey_url")))

    assert all_at_once([post] * 10) == []
    assert sorted(status for status, _url in answers) == [200] * 9 + [201]
    assert len({url for _status, url in answers}) == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Dossier)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "dossiers.intake")) == 1
        assert db.session.scalar(sa.select(ApiKey.last_used_at)) is not None
        db.session.remove()
        db.engine.dispose()
