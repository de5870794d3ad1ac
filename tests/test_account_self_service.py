"""A person's own account: registering, changing the password, two-factor sign-in and deleting it."""
import html
import time
import unicodedata

import pyotp
import pytest
import sqlalchemy as sa

from accounts.models import Role, User
from audit import AuditEntry
from extensions import db
from testapp import PASSWORD

NEW_PASSWORD = "một mật khẩu mới dài hơn 2027"
SETUP_URL = "/tai-khoan/xac-thuc-hai-lop"


def _register(client, **fields):
    data = {"display_name": "Nguyễn Văn An", "email": "an@example.vn", "password": PASSWORD,
            "confirm": PASSWORD}
    data.update(fields)
    return client.post("/dang-ky", data=data)


def _sign_in(browser, user_or_email, password=PASSWORD):
    email = getattr(user_or_email, "email", user_or_email)
    return browser.post("/dang-nhap", data={"email": email, "password": password})


def _user_by_email(email):
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.email == email))


def _reload(user):
    db.session.expire_all()
    return db.session.get(User, user.id)


def _audit(action):
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)).all()


def _wrong_code(secret):
    """A six-digit code that is not valid for the secret at any nearby time step."""
    totp = pyotp.TOTP(secret)
    now = time.time()
    valid = {totp.at(now + 30 * step) for step in range(-3, 4)}
    return next(code for code in ("000000", "111111", "222222", "333333", "444444") if code not in valid)


def _setup_secret(browser):
    with browser.session_transaction() as s:
        return s["totp_setup_secret"]


def _enable_two_factor(browser):
    """Open the set-up page as the signed-in official and enter the app's current code."""
    assert browser.get(SETUP_URL).status_code == 200
    secret = _setup_secret(browser)
    response = browser.post(SETUP_URL, data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302, response.get_data(as_text=True)
    return secret


def _next_code(secret):
    """A code for the next time step: newer than the one used to turn two factors on."""
    return pyotp.TOTP(secret).at(time.time() + 30)


# Registration


def test_registering_signs_the_citizen_in_and_opens_their_account(client):
    response = _register(client, email="An.Nguyen@Example.VN")
    assert response.status_code == 302
    assert response.headers["Location"] == "/tai-khoan"
    assert client.get("/tai-khoan").status_code == 200
    user = _user_by_email("an.nguyen@example.vn")
    assert user.role is Role.CITIZEN
    assert user.display_name == "Nguyễn Văn An"


@pytest.mark.parametrize("typed", ["hoa@example.vn", "HOA@Example.VN"])
def test_an_email_already_registered_is_refused_whatever_its_case(client, make_user, typed):
    make_user(email="hoa@example.vn")
    response = _register(client, display_name="Trần Thị Hoa", email=typed)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="email-error"' in page
    assert f'value="{typed}"' in page
    assert 'value="Trần Thị Hoa"' in page
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


def test_the_duplicate_email_message_says_the_address_is_taken(client, make_user):
    make_user(email="hoa@example.vn")
    client.set_cookie("lang", "en")
    page = _register(client, email="Hoa@example.vn").get_data(as_text=True)
    start = page.index('id="email-error"')
    assert "An account with this e-mail address already exists." in page[start:page.index("</p>", start)]


@pytest.mark.parametrize("password", ["ngắn quá", "1234567890", "QWERTYUIOP", "aaaaaaaaaaaa", "hoa.nguyen@example.vn",
                                      "hoa.nguyen"])
def test_a_weak_password_is_refused(client, password):
    response = _register(client, email="hoa.nguyen@example.vn", password=password, confirm=password)
    assert response.status_code == 422
    assert 'id="password-error"' in response.get_data(as_text=True)
    assert _user_by_email("hoa.nguyen@example.vn") is None


def test_a_password_that_is_the_email_address_is_refused_with_that_reason(client):
    client.set_cookie("lang", "en")
    email = "hoa.nguyen@example.vn"
    response = _register(client, email=email, password=email, confirm=email)
    assert response.status_code == 422
    assert "The password must not be your e-mail address." in response.get_data(as_text=True)


def test_passwords_that_differ_are_refused(client):
    response = _register(client, password=PASSWORD, confirm=PASSWORD + "!")
    assert response.status_code == 422
    assert 'id="confirm-error"' in response.get_data(as_text=True)
    assert _user_by_email("an@example.vn") is None


def test_a_signed_in_user_visiting_registration_goes_to_their_account(client, login_as):
    login_as(Role.CITIZEN)
    for response in (client.get("/dang-ky"), _register(client, email="other@example.vn")):
        assert response.status_code == 302
        assert response.headers["Location"] == "/tai-khoan"
    assert _user_by_email("other@example.vn") is None


def test_a_decomposed_name_is_stored_in_nfc(client):
    nfc = "Nguyễn Thị Ánh"
    decomposed = unicodedata.normalize("NFD", nfc)
    assert decomposed != nfc
    assert _register(client, display_name=decomposed, email="anh@example.vn").status_code == 302
    stored = db.session.scalar(sa.select(User.display_name).where(User.email == "anh@example.vn"))
    assert stored == nfc
    assert db.session.scalar(sa.select(User.id).where(User.display_name == nfc)) is not None


def test_registration_is_recorded_in_the_audit_log(client):
    _register(client)
    user = _user_by_email("an@example.vn")
    entries = _audit("user.create")
    assert [(e.object_type, e.object_id) for e in entries] == [("User", user.id)]
    assert entries[0].details == {"role": "citizen"}


# Changing the password


def test_a_wrong_current_password_does_not_change_it(client, auth, login_as):
    user = login_as(Role.CITIZEN)
    response = client.post("/tai-khoan/doi-mat-khau",
                           data={"current": "không phải mật khẩu", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 422
    assert 'id="current-error"' in response.get_data(as_text=True)
    auth.logout()
    assert auth.login(user).status_code == 302
    assert _audit("user.password_change") == []


def test_a_weak_new_password_is_refused(client, login_as):
    login_as(Role.CITIZEN)
    response = client.post("/tai-khoan/doi-mat-khau",
                           data={"current": PASSWORD, "password": "1234567890", "confirm": "1234567890"})
    assert response.status_code == 422
    assert 'id="password-error"' in response.get_data(as_text=True)


def test_changing_the_password_signs_out_other_browsers_but_not_this_one(app, client, login_as):
    user = login_as(Role.CITIZEN)
    other_browser = app.test_client()
    assert _sign_in(other_browser, user).status_code == 302
    assert other_browser.get("/tai-khoan").status_code == 200

    response = client.post("/tai-khoan/doi-mat-khau",
                           data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/tai-khoan"
    assert client.get("/tai-khoan").status_code == 200
    assert other_browser.get("/tai-khoan").status_code == 302

    fresh = app.test_client()
    assert _sign_in(fresh, user, PASSWORD).status_code == 422
    assert _sign_in(fresh, user, NEW_PASSWORD).status_code == 302


def test_a_password_change_is_recorded_in_the_audit_log(client, login_as):
    user = login_as(Role.CITIZEN)
    client.post("/tai-khoan/doi-mat-khau", data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    entries = _audit("user.password_change")
    assert [(e.object_id, e.actor_id) for e in entries] == [(user.id, user.id)]


# Two-factor sign-in


@pytest.mark.parametrize("role", [Role.STAFF, Role.LEADER, Role.MODERATOR, Role.ADMIN])
def test_an_official_sees_a_qr_code_and_the_secret_kept_in_the_session(client, login_as, role):
    login_as(role)
    response = client.get(SETUP_URL)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<svg" in page
    secret = _setup_secret(client)
    assert secret in page
    # Reloading the page keeps the same secret, so the app scanned a moment ago still works.
    client.get(SETUP_URL)
    assert _setup_secret(client) == secret


def test_a_citizen_cannot_open_two_factor_set_up(client, login_as):
    login_as(Role.CITIZEN)
    assert client.get(SETUP_URL).status_code == 403
    assert client.post(SETUP_URL, data={"code": "123456"}).status_code == 403


def test_a_wrong_code_does_not_turn_two_factor_on(client, login_as):
    user = login_as(Role.STAFF)
    client.get(SETUP_URL)
    response = client.post(SETUP_URL, data={"code": _wrong_code(_setup_secret(client))})
    assert response.status_code == 422
    assert 'id="code-error"' in response.get_data(as_text=True)
    assert not _reload(user).two_factor_enabled


def test_the_right_code_turns_two_factor_on(client, login_as):
    user = login_as(Role.STAFF)
    secret = _enable_two_factor(client)
    user = _reload(user)
    assert user.two_factor_enabled
    assert user.totp_secret == secret
    with client.session_transaction() as s:
        assert "totp_setup_secret" not in s
    entries = _audit("user.2fa_enable")
    assert [(e.object_id, e.actor_id) for e in entries] == [(user.id, user.id)]


def test_signing_in_with_two_factor_asks_for_a_code_before_letting_in(app, client, login_as):
    user = login_as(Role.LEADER)
    secret = _enable_two_factor(client)

    browser = app.test_client()
    response = _sign_in(browser, user)
    assert response.status_code == 302
    assert response.headers["Location"] == "/dang-nhap/xac-thuc"
    not_yet = browser.get("/tai-khoan")
    assert not_yet.status_code == 302
    assert not_yet.headers["Location"].startswith("/dang-nhap")

    code = _next_code(secret)
    assert browser.post("/dang-nhap/xac-thuc", data={"code": code}).status_code == 302
    assert browser.get("/tai-khoan").status_code == 200

    replay = app.test_client()
    assert _sign_in(replay, user).headers["Location"] == "/dang-nhap/xac-thuc"
    assert replay.post("/dang-nhap/xac-thuc", data={"code": code}).status_code == 422
    assert replay.get("/tai-khoan").status_code == 302


def test_the_code_step_without_a_password_step_sends_back_to_sign_in(client):
    response = client.post("/dang-nhap/xac-thuc", data={"code": "123456"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/dang-nhap"


def test_five_wrong_codes_then_429(app, client, login_as):
    user = login_as(Role.MODERATOR)
    secret = _enable_two_factor(client)
    browser = app.test_client()
    _sign_in(browser, user)
    wrong = _wrong_code(secret)
    for _ in range(5):
        assert browser.post("/dang-nhap/xac-thuc", data={"code": wrong}).status_code == 422
    blocked = browser.post("/dang-nhap/xac-thuc", data={"code": _next_code(secret)})
    assert blocked.status_code == 429
    assert browser.get("/tai-khoan").status_code == 302


def test_an_official_may_turn_optional_two_factor_off_with_the_password(app, client, login_as):
    user = login_as(Role.STAFF)
    _enable_two_factor(client)
    assert client.post(SETUP_URL, data={"password": "không phải mật khẩu"}).status_code == 422
    assert _reload(user).two_factor_enabled
    assert client.post(SETUP_URL, data={"password": PASSWORD}).status_code == 302
    assert not _reload(user).two_factor_enabled
    assert _sign_in(app.test_client(), user).headers["Location"] == "/"
    entries = _audit("user.2fa_disable")
    assert [(e.object_id, e.actor_id) for e in entries] == [(user.id, user.id)]


def test_audit_entries_of_a_users_own_changes_name_a_user_as_their_object(client, login_as):
    login_as(Role.STAFF)
    client.post("/tai-khoan/doi-mat-khau", data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    _enable_two_factor(client)
    client.post(SETUP_URL, data={"password": NEW_PASSWORD})
    own = ("user.password_change", "user.2fa_enable", "user.2fa_disable")
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action.in_(own))).all()
    assert sorted(e.action for e in entries) == sorted(own)
    assert {e.action: e.object_type for e in entries} == {action: "User" for action in own}


# Administrators and two-factor sign-in


def test_an_official_required_to_use_two_factor_must_set_it_up_before_anything_else(app, client, make_user,
                                                                                    login_as):
    staff = make_user(Role.STAFF)
    admin = login_as(Role.ADMIN)
    response = client.post(f"/quan-tri/nguoi-dung/{staff.id}/xac-thuc-hai-lop", data={"required": "1"})
    assert response.status_code == 302
    assert _reload(staff).two_factor_required
    entries = _audit("user.require_2fa")
    assert [(e.object_id, e.actor_id) for e in entries] == [(staff.id, admin.id)]

    browser = app.test_client()
    assert _sign_in(browser, staff).status_code == 302
    for path in ("/tai-khoan", "/", "/tai-khoan/doi-mat-khau"):
        response = browser.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == SETUP_URL
    assert browser.get(SETUP_URL).status_code == 200

    _enable_two_factor(browser)
    assert browser.get("/tai-khoan").status_code == 200
    assert browser.get("/").status_code == 200

    # While it is required it cannot be turned off, even with the right password.
    browser.post(SETUP_URL, data={"password": PASSWORD})
    assert _reload(staff).two_factor_enabled
    assert _audit("user.2fa_disable") == []


def test_an_administrator_can_make_two_factor_optional_again(client, make_user, login_as):
    staff = make_user(Role.LEADER)
    admin = login_as(Role.ADMIN)
    client.post(f"/quan-tri/nguoi-dung/{staff.id}/xac-thuc-hai-lop", data={"required": "1"})
    assert client.post(f"/quan-tri/nguoi-dung/{staff.id}/xac-thuc-hai-lop", data={"required": "0"}).status_code == 302
    assert not _reload(staff).two_factor_required
    entries = _audit("user.waive_2fa")
    assert [(e.object_id, e.actor_id) for e in entries] == [(staff.id, admin.id)]


def test_an_administrator_cannot_require_two_factor_of_a_citizen(client, make_user, login_as):
    citizen = make_user(Role.CITIZEN)
    login_as(Role.ADMIN)
    client.set_cookie("lang", "en")
    response = client.post(f"/quan-tri/nguoi-dung/{citizen.id}/xac-thuc-hai-lop", data={"required": "1"},
                           follow_redirects=True)
    page = html.unescape(response.get_data(as_text=True))
    assert 'class="message message-error"' in page
    assert "Two-factor sign-in is for officials' accounts." in page
    assert not _reload(citizen).two_factor_required
    assert _audit("user.require_2fa") == []


def test_an_administrator_cannot_deactivate_themselves(client, login_as):
    admin = login_as(Role.ADMIN)
    assert client.post(f"/quan-tri/nguoi-dung/{admin.id}/trang-thai", data={"active": "0"}).status_code == 403
    assert _reload(admin).active
    assert client.get("/tai-khoan").status_code == 200
    assert _audit("user.deactivate") == []


def test_deactivating_a_user_is_recorded_in_the_audit_log(client, make_user, login_as):
    staff = make_user(Role.STAFF)
    admin = login_as(Role.ADMIN)
    client.post(f"/quan-tri/nguoi-dung/{staff.id}/trang-thai", data={"active": "0"})
    client.post(f"/quan-tri/nguoi-dung/{staff.id}/trang-thai", data={"active": "1"})
    assert [(e.object_id, e.actor_id) for e in _audit("user.deactivate")] == [(staff.id, admin.id)]
    assert [(e.object_id, e.actor_id) for e in _audit("user.activate")] == [(staff.id, admin.id)]


# Deleting one's account


def test_a_citizen_can_delete_their_account_and_cannot_sign_in_again(client, auth, login_as):
    user = login_as(Role.CITIZEN)
    user_id, email = user.id, user.email
    response = client.post("/tai-khoan/xoa", data={"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/tai-khoan").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user_id) is None
    assert auth.login(email).status_code == 422
    entries = _audit("user.delete")
    assert [(e.object_type, e.object_id) for e in entries] == [("User", user_id)]


def test_a_wrong_password_keeps_the_account(client, login_as):
    user = login_as(Role.CITIZEN)
    response = client.post("/tai-khoan/xoa", data={"password": "không phải mật khẩu", "confirm": "y"})
    assert response.status_code == 422
    assert 'id="password-error"' in response.get_data(as_text=True)
    assert _reload(user) is not None
    assert client.get("/tai-khoan").status_code == 200


def test_an_unticked_confirmation_keeps_the_account(client, login_as):
    user = login_as(Role.CITIZEN)
    response = client.post("/tai-khoan/xoa", data={"password": PASSWORD})
    assert response.status_code == 422
    assert 'id="confirm-error"' in response.get_data(as_text=True)
    assert _reload(user) is not None
    assert _audit("user.delete") == []


@pytest.mark.parametrize("role", [Role.STAFF, Role.LEADER, Role.MODERATOR, Role.ADMIN])
def test_officials_cannot_delete_their_own_account(client, login_as, role):
    user = login_as(role)
    assert client.get("/tai-khoan/xoa").status_code == 403
    assert client.post("/tai-khoan/xoa", data={"password": PASSWORD, "confirm": "y"}).status_code == 403
    assert _reload(user) is not None
