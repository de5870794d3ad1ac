"""Signing in and out: uniform errors, brute-force limit, safe redirects, sessions that end on the server."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from accounts.models import Role, UserSession
from database import utcnow
from extensions import db


def test_login_page_is_vietnamese_and_has_the_form(client):
    response = client.get("/dang-nhap")
    assert response.status_code == 200
    assert 'lang="vi"' in response.get_data(as_text=True)
    assert 'name="email"' in response.get_data(as_text=True)


def test_staff_can_sign_in_and_see_their_account(client, auth, make_user):
    user = make_user(Role.STAFF, name="Phạm Thị Hương")
    response = auth.login(user)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/tai-khoan").get_data(as_text=True)
    assert "Phạm Thị Hương" in page
    assert user.agency.name in page


def test_email_is_matched_whatever_its_case(client, auth, make_user):
    make_user(email="hoa@example.vn")
    assert auth.login("  HOA@Example.VN ").status_code == 302


def test_unknown_email_and_wrong_password_give_the_same_answer(client, auth, make_user):
    user = make_user()
    wrong_password = auth.login(user, password="không đúng mật khẩu")
    unknown_user = auth.login("nobody@example.vn")
    assert wrong_password.status_code == unknown_user.status_code == 422

    def error_text(response):
        text = response.get_data(as_text=True)
        start = text.index('class="field-error"')
        return text[start:text.index("</p>", start)]

    assert error_text(wrong_password) == error_text(unknown_user)


def test_typed_email_is_kept_after_a_failed_sign_in(client, auth, make_user):
    response = auth.login("someone@example.vn", password="sai mật khẩu rồi")
    assert 'value="someone@example.vn"' in response.get_data(as_text=True)


def test_inactive_user_cannot_sign_in(client, auth, make_user):
    user = make_user(Role.MODERATOR, active=False)
    assert auth.login(user).status_code == 422


def test_five_failed_attempts_per_account_per_minute_then_429(client, auth, make_user):
    user = make_user()
    for _ in range(5):
        assert auth.login(user, password="sai mật khẩu rồi").status_code == 422
    blocked = auth.login(user)  # even the right password waits now
    assert blocked.status_code == 429
    assert "Retry-After" in blocked.headers
    assert "Traceback" not in blocked.get_data(as_text=True)


def test_failed_attempts_on_one_account_do_not_block_another(client, auth, make_user):
    victim, other = make_user(), make_user()
    for _ in range(5):
        auth.login(victim, password="sai mật khẩu rồi")
    assert auth.login(other).status_code == 302


def test_successful_sign_ins_do_not_use_up_the_allowance(client, auth, make_user):
    user = make_user()
    for _ in range(6):
        assert auth.login(user).status_code == 302
        auth.logout()


def test_next_takes_the_user_back_to_the_page_they_wanted(client, auth, make_user):
    user = make_user()
    response = auth.login(user, query_string={"next": "/tai-khoan/doi-mat-khau"})
    assert response.headers["Location"] == "/tai-khoan/doi-mat-khau"


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example", "javascript:alert(1)",
    "http:/evil.example", " //evil.example", "/\t/evil.example", "evil.example",
])
def test_next_never_leaves_the_site(client, auth, make_user, target):
    user = make_user()
    response = auth.login(user, query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_protected_page_sends_anonymous_visitor_to_sign_in_and_back(client):
    response = client.get("/tai-khoan")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/dang-nhap?next=/tai-khoan")


def test_htmx_request_without_session_gets_401_and_a_redirect_header(client):
    response = client.get("/tai-khoan", headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/tai-khoan"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/dang-nhap?next=/tai-khoan"
    assert "<form" not in response.get_data(as_text=True)


def _session_cookie(client):
    cookie = client.get_cookie("portal_session")
    return cookie.value if cookie else None


def test_logout_ends_the_session_on_the_server_so_a_replayed_cookie_is_refused(client, auth, make_user):
    user = make_user()
    auth.login(user)
    stolen = _session_cookie(client)
    assert client.get("/tai-khoan").status_code == 200
    auth.logout()
    client.set_cookie("portal_session", stolen)
    assert client.get("/tai-khoan").status_code == 302


def test_deactivation_ends_every_session_of_the_user_at_once(app, client, auth, make_user, login_as):
    target = make_user(Role.STAFF)
    other_browser = app.test_client()
    assert other_browser.post("/dang-nhap", data={"email": target.email, "password": "mật khẩu thử nghiệm 2026"}).status_code == 302
    assert other_browser.get("/tai-khoan").status_code == 200
    login_as(Role.ADMIN)
    assert client.post(f"/quan-tri/nguoi-dung/{target.id}/trang-thai", data={"active": "0"}).status_code == 302
    assert other_browser.get("/tai-khoan").status_code == 302
    # Activating again does not revive the old session.
    client.post(f"/quan-tri/nguoi-dung/{target.id}/trang-thai", data={"active": "1"})
    assert other_browser.get("/tai-khoan").status_code == 302


def test_session_ends_after_idle_timeout(app, client, auth, make_user):
    user = make_user()
    auth.login(user)
    record = db.session.scalar(sa.select(UserSession).where(UserSession.user_id == user.id))
    record.last_seen_at = utcnow() - app.config["SESSION_IDLE_TIMEOUT"] - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/tai-khoan").status_code == 302


def test_session_ends_after_absolute_timeout_even_when_active(app, client, auth, make_user):
    user = make_user()
    auth.login(user)
    record = db.session.scalar(sa.select(UserSession).where(UserSession.user_id == user.id))
    record.created_at = utcnow() - app.config["SESSION_ABSOLUTE_TIMEOUT"] - timedelta(seconds=1)
    record.last_seen_at = utcnow()
    db.session.commit()
    assert client.get("/tai-khoan").status_code == 302


def test_activity_moves_the_idle_clock(app, client, auth, make_user):
    user = make_user()
    auth.login(user)
    record = db.session.scalar(sa.select(UserSession).where(UserSession.user_id == user.id))
    old = utcnow() - timedelta(minutes=5)
    record.last_seen_at = old
    db.session.commit()
    assert client.get("/tai-khoan").status_code == 200
    db.session.expire_all()
    assert db.session.get(UserSession, record.id).last_seen_at > old


def test_signing_in_gives_a_new_session_cookie(client, auth, make_user):
    client.get("/dang-nhap")
    before = _session_cookie(client)
    auth.login(make_user())
    assert _session_cookie(client) != before


def test_logout_is_post_only(client):
    assert client.get("/dang-xuat").status_code == 405


@pytest.mark.no_db_transaction
def test_a_form_sent_after_a_minute_idle_is_not_held_up_by_the_idle_clock(tmp_path):
    """A writing request moves the idle clock inside its own transaction: on SQLite a second connection
    would wait for the request's own write lock, then fail with 'database is locked'."""
    import time

    from accounts import services as accounts
    from testapp import PASSWORD, database_url, make_test_app

    app = make_test_app(database_url(tmp_path, "portal_idle"))
    with app.app_context():
        accounts.create_agency("SO-CHO", "Sở Chờ")
        accounts.create_user("canbo.cho@example.vn", PASSWORD, Role.STAFF, agency_code="SO-CHO")
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    assert client.post("/dang-nhap", data={"email": "canbo.cho@example.vn", "password": PASSWORD}).status_code == 302
    with app.app_context():
        db.session.execute(sa.update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=2)))
        db.session.commit()
        db.session.remove()
    started = time.monotonic()
    response = client.post("/dang-xuat")
    elapsed = time.monotonic() - started
    with app.app_context():
        ended = db.session.scalar(sa.select(UserSession.ended_at))
        db.session.remove()
        db.engine.dispose()
    assert response.status_code == 302 and elapsed < 2
    assert ended is not None
