"""API keys: made on the command line or by administrators, shown once, kept hashed, revoked; only keys count."""
import hashlib

import pytest
import sqlalchemy as sa

from accounts.models import Role
from audit import AuditEntry
from extensions import db
from feedback.survey_models import ApiKey

from access_roles import ALL_ROLES, ANONYMOUS
from test_api_dossiers import agency, dossier_data  # noqa: F401  (a fixture)

API_ROUTES = [("POST", "/api/v1/dossiers"), ("POST", "/api/v1/dossiers/batch"),
              ("GET", "/api/v1/dossiers/000.00.20.H21-261121-0001")]


@pytest.fixture
def cli(app):
    """Run a command of the portal's CLI inside the test's database transaction."""
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=list(args))


def _keys():
    db.session.expire_all()
    return db.session.scalars(sa.select(ApiKey).order_by(ApiKey.id)).all()


def _audit(action):
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)).all()


def _bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


# --- the command line -------------------------------------------------------------------------------------------------

def test_creating_a_key_prints_it_alone_on_the_last_line_and_keeps_only_its_hash(cli, client, agency):  # noqa: F811
    result = cli("api-keys", "create", "--name", "Hệ thống một cửa tỉnh")
    assert result.exit_code == 0, result.output
    secret = result.output.rstrip("\n").split("\n")[-1]
    assert secret.startswith("ctt_") and secret == secret.strip() and len(secret) > 40
    [key] = _keys()
    assert key.name == "Hệ thống một cửa tỉnh" and key.agency_id is None
    assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest() and secret.startswith(key.prefix)
    assert secret not in {key.name, key.prefix, key.key_hash}
    assert "not shown again" in result.output
    assert client.post("/api/v1/dossiers", json=dossier_data(agency), headers=_bearer(secret)).status_code == 201
    assert len(_audit("api_key.create")) == 1


def test_a_key_can_be_bound_to_one_agency(cli, client, agency, make_agency):  # noqa: F811
    other = make_agency()
    result = cli("api-keys", "create", "--name", "Một cửa Sở Xây dựng", "--agency", "so-xd")
    assert result.exit_code == 0, result.output
    secret = result.output.splitlines()[-1]
    assert _keys()[0].agency_id == agency.id
    assert client.post("/api/v1/dossiers", json=dossier_data(other), headers=_bearer(secret)).status_code == 403
    assert client.post("/api/v1/dossiers", json=dossier_data(agency), headers=_bearer(secret)).status_code == 201


@pytest.mark.parametrize("args,message", [(["--name", "Một cửa", "--agency", "SO-KHONG-CO"], "Unknown agency"),
                                          (["--name", "   "], "needs a name")])
def test_creating_a_key_with_bad_input_fails_clearly(cli, args, message):
    result = cli("api-keys", "create", *args)
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output
    assert _keys() == []


def test_keys_are_listed_and_revoked_on_the_command_line(cli, client, agency):  # noqa: F811
    secret = cli("api-keys", "create", "--name", "Một cửa cũ").output.splitlines()[-1]
    key = _keys()[0]
    listed = cli("api-keys", "list")
    assert listed.exit_code == 0 and key.prefix in listed.output and "Một cửa cũ" in listed.output
    assert "active" in listed.output and secret not in listed.output
    revoked = cli("api-keys", "revoke", str(key.id))
    assert revoked.exit_code == 0, revoked.output
    assert _keys()[0].revoked_at is not None and len(_audit("api_key.revoke")) == 1
    assert "revoked" in cli("api-keys", "list").output
    assert client.post("/api/v1/dossiers", json=dossier_data(agency), headers=_bearer(secret)).status_code == 401
    again = cli("api-keys", "revoke", str(key.id))
    assert again.exit_code != 0 and "already revoked" in again.output
    missing = cli("api-keys", "revoke", "999999")
    assert missing.exit_code != 0 and "No API key" in missing.output


# --- the administrators' pages ----------------------------------------------------------------------------------------

@pytest.fixture
def admin(client, login_as):
    """A signed-in administrator reading English."""
    client.set_cookie("lang", "en")
    return login_as(Role.ADMIN)


def test_the_keys_page_lists_each_key_with_its_state(client, admin, agency, cli):  # noqa: F811
    cli("api-keys", "create", "--name", "Một cửa tỉnh")
    cli("api-keys", "create", "--name", "Một cửa Sở", "--agency", "SO-XD")
    old = _keys()[0]
    cli("api-keys", "revoke", str(old.id))
    page = client.get("/quan-tri/khoa-api").get_data(as_text=True)
    assert "Một cửa tỉnh" in page and "Một cửa Sở" in page and "Sở Xây dựng" in page
    assert f"{old.prefix}…" in page and "Revoked" in page and "Never" in page and "All agencies" in page
    assert page.count(">\n              Revoke<") == 1  # only the active key can still be revoked
    assert 'action="/quan-tri/khoa-api/tao"' in page


def test_an_admin_creates_a_key_and_sees_its_secret_only_once(client, admin, agency):  # noqa: F811
    response = client.post("/quan-tri/khoa-api/tao", data={"name": "Một cửa tỉnh", "agency": "SO-XD"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    [key] = _keys()
    assert key.agency_id == agency.id and key.created_by_id == admin.id
    secret = page.split('aria-describedby="api-key-secret-hint">')[1].split("</textarea>")[0]
    assert hashlib.sha256(secret.encode()).hexdigest() == key.key_hash
    assert "readonly" in page and "shown only this once" in page
    assert secret not in client.get("/quan-tri/khoa-api").get_data(as_text=True)
    [entry] = _audit("api_key.create")
    assert entry.actor_id == admin.id and entry.object_id == key.id


def test_a_key_for_all_agencies_is_the_default_choice(client, admin, agency):  # noqa: F811
    form = client.get("/quan-tri/khoa-api/tao").get_data(as_text=True)
    assert ('<select aria-describedby="agency-hint" id="agency" name="agency">'
            '<option value="">All agencies</option>') in form
    assert client.post("/quan-tri/khoa-api/tao", data={"name": "Một cửa", "agency": ""}).status_code == 200
    assert _keys()[0].agency_id is None


@pytest.mark.parametrize("data,field", [({"name": "", "agency": ""}, "name"),
                                        ({"name": "x" * 121, "agency": ""}, "name"),
                                        ({"name": "Một cửa", "agency": "SO-KHONG-CO"}, "agency")])
def test_a_key_form_with_errors_is_shown_again_with_what_was_typed(client, admin, agency, data, field):  # noqa: F811
    response = client.post("/quan-tri/khoa-api/tao", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'class="error-summary"' in page and f'href="#{field}"' in page
    if data["name"]:
        assert data["name"] in page
    assert _keys() == []


def test_an_admin_revokes_a_key_and_the_api_refuses_it_at_once(client, admin, agency):  # noqa: F811
    from feedback import dossiers

    key, secret = dossiers.create_key("Một cửa cũ")
    db.session.commit()
    response = client.post(f"/quan-tri/khoa-api/{key.id}/thu-hoi")
    assert response.status_code == 302 and response.headers["Location"] == "/quan-tri/khoa-api"
    assert _keys()[0].revoked_at is not None and _keys()[0].revoked_by_id == admin.id
    [entry] = _audit("api_key.revoke")
    assert entry.actor_id == admin.id
    assert client.post("/api/v1/dossiers", json=dossier_data(agency), headers=_bearer(secret)).status_code == 401
    assert client.post(f"/quan-tri/khoa-api/{key.id}/thu-hoi").status_code == 302  # twice: no second entry
    assert len(_audit("api_key.revoke")) == 1
    assert client.post("/quan-tri/khoa-api/999999/thu-hoi").status_code == 404


def test_revoking_needs_the_form_token(client, admin, csrf):
    from feedback import dossiers

    key, _secret = dossiers.create_key("Một cửa")
    db.session.commit()
    assert client.post(f"/quan-tri/khoa-api/{key.id}/thu-hoi").status_code == 400
    assert _keys()[0].revoked_at is None


# --- only the key counts ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("method,path", API_ROUTES)
def test_a_browser_session_of_any_role_gives_no_access_to_the_api(client, login_as, role, method, path):
    if role != ANONYMOUS:
        login_as(role)
    response = client.open(path, method=method, json={"code": "H21"})
    assert response.status_code == 401
    assert response.content_type == "application/json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_api_call_from_a_signed_in_browser_is_recorded_as_the_keys(client, login_as, agency):  # noqa: F811
    from feedback import dossiers

    admin = login_as(Role.ADMIN)
    admin.two_factor_required = True  # pages would send them to set it up first; the API does not care
    key, secret = dossiers.create_key("Một cửa")
    db.session.commit()
    assert client.get("/quan-tri/khoa-api").status_code == 302
    assert client.post("/api/v1/dossiers", json=dossier_data(agency), headers=_bearer(secret)).status_code == 201
    [entry] = _audit("dossiers.intake")
    assert entry.actor_id is None and entry.object_type == "ApiKey" and entry.object_id == key.id
