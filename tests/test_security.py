"""Safety from the first line: headers, CSRF, NUL bytes, error pages without internals, production settings."""
import re

import pytest

from accounts.models import Role
from app import create_app
from test_access import ROUTES
from testapp import TEST_CONFIG

GET_ROUTES = sorted(e for e, (method, *_) in ROUTES.items() if method == "GET" and "{" not in ROUTES[e][1])
POST_ROUTES = sorted(e for e, (method, *_) in ROUTES.items() if method == "POST")


@pytest.mark.parametrize("endpoint", GET_ROUTES)
def test_every_page_carries_the_security_headers(client, login_as, endpoint):
    method, path, allowed = ROUTES[endpoint][:3]
    if endpoint not in ("accounts.delete_account",):
        login_as(Role.ADMIN if Role.ADMIN in allowed else Role.CITIZEN)
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "HX-Request" in response.headers["Vary"]


def test_pages_have_no_inline_script(client):
    html = client.get("/").get_data(as_text=True)
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag
    assert " on" not in " ".join(re.findall(r"<[^>]+\son\w+=", html))


def _csrf_token(client, path="/dang-nhap"):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', html).group(1) \
        or re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.mark.parametrize("endpoint", POST_ROUTES + ["accounts.login", "accounts.register"])
def test_every_post_without_a_csrf_token_is_refused_and_changes_nothing(app, client, login_as, make_user, endpoint,
                                                                         paths):
    method, path, allowed = ROUTES[endpoint][:3]
    login_as(Role.ADMIN)
    target = make_user(Role.STAFF)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client.set_cookie("lang", "en")
        response = client.post(paths(path, other=target.id),
                               data={"active": "0", "required": "1", "lang": "vi", "email": target.email,
                                     "password": "mật khẩu thử nghiệm 2026"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "This form has expired" in html  # a message people understand, not the library's
    assert client.get_cookie("lang").value == "en"
    assert target.active and not target.two_factor_required
    assert client.get("/tai-khoan").status_code == 200  # still signed in as the admin


def test_htmx_post_with_the_token_in_the_header_is_accepted(client, csrf):
    html = client.get("/").get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)
    response = client.post("/ngon-ngu", data={"lang": "en", "next": "/"},
                           headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 302
    assert client.get_cookie("lang").value == "en"


def test_form_post_with_the_token_field_is_accepted(client, csrf, make_user):
    user = make_user()
    html = client.get("/dang-nhap").get_data(as_text=True)
    token = re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post("/dang-nhap", data={"csrf_token": token, "email": user.email,
                                               "password": "mật khẩu thử nghiệm 2026"})
    assert response.status_code == 302


@pytest.mark.parametrize("request_kwargs", [
    {"method": "GET", "path": "/hoi-dap", "query_string": {"q": "a\x00b"}},
    {"method": "POST", "path": "/dang-nhap", "data": {"email": "a\x00@example.vn", "password": "x"}},
    {"method": "POST", "path": "/dang-ky", "data": {"display_name": "Lan\x00", "email": "lan@example.vn",
                                                     "password": "một mật khẩu dài", "confirm": "một mật khẩu dài"}},
    {"method": "POST", "path": "/dang-nhap", "json": {"email": "\x00"}},
])
def test_text_with_a_nul_byte_is_refused_with_400(client, request_kwargs):
    kwargs = dict(request_kwargs)
    response = client.open(kwargs.pop("path"), **kwargs)
    assert response.status_code == 400


def test_not_found_page_is_in_the_layout_and_in_vietnamese(client):
    response = client.get("/khong-co-trang-nay")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert '<nav class="main-nav"' in html and 'lang="vi"' in html
    assert "Không tìm thấy" in html or "404" in html


def test_not_found_for_htmx_is_a_fragment_shown_in_the_message_area(client):
    response = client.get("/khong-co-trang-nay", headers={"HX-Request": "true", "HX-Target": "div#results"})
    assert response.status_code == 404
    assert response.headers["HX-Retarget"] == "#messages"
    assert "<html" not in response.get_data(as_text=True)


def test_boosted_navigation_to_a_missing_page_gets_the_whole_page(client):
    response = client.get("/khong-co-trang-nay", headers={"HX-Request": "true", "HX-Boosted": "true",
                                                           "HX-Request-Type": "full"})
    assert response.status_code == 404
    assert "<html" in response.get_data(as_text=True)
    assert "HX-Retarget" not in response.headers


def test_json_callers_get_json_errors(client):
    response = client.get("/khong-co-trang-nay", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404


def test_wrong_method_gets_405_with_our_page(client):
    response = client.get("/dang-xuat")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert '<nav class="main-nav"' in response.get_data(as_text=True)


def test_too_large_a_request_gets_413(client, app):
    response = client.post("/dang-nhap", data={"email": "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)})
    assert response.status_code == 413
    assert '<nav class="main-nav"' in response.get_data(as_text=True)


def test_an_unexpected_error_shows_a_plain_page_with_no_internals(tmp_path):
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}"})
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret detail /srv/portal/app.py SELECT password_hash FROM user_account")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    for leak in ("Traceback", "RuntimeError", "secret detail", "SELECT", "/srv/portal"):
        assert leak not in html
    assert '<nav class="main-nav"' in html


def test_debug_is_off_unless_asked(app):
    assert app.debug is False


def test_production_refuses_to_start_without_a_secret(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_production_cookies_are_secure_httponly_and_samesite(monkeypatch, tmp_path, make_user):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "p" * 40)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite3'}"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    with app.test_request_context("/", base_url="https://portal.example"):
        response = app.make_response("ok")
        response.set_cookie("probe", "1")  # the session interface reads the same settings
    client = app.test_client()
    response = client.get("/dang-nhap", base_url="https://portal.example")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Strict-Transport-Security" in response.headers


def test_rich_text_is_cleaned_right_by_many_threads_at_once(app):
    """gthread workers clean answers in several threads at once: each gets the same, correct result."""
    from concurrent.futures import ThreadPoolExecutor

    from web import clean_html

    text = "<p>Hồ sơ <strong>nộp</strong> tại <a href='https://dichvucong.gov.vn'>cổng</a> " \
           "<script>alert(1)</script>www.gialai.gov.vn</p>" * 40
    expected = str(clean_html(text))
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: str(clean_html(text)), range(400)))
    assert set(results) == {expected}
    assert "<script" not in expected
