"""Counters and their tablets: leaders manage counters, a staff member pairs a tablet (and is signed out on
it), the tablet shows the one-tap survey of the dossier just handed over — and nothing personal — then returns
to its neutral screen."""
import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from accounts.models import Role
from audit import AuditEntry
from extensions import db
from feedback import counters
from feedback.survey_models import CounterDevice, ServiceCounter, SurveyResponse

TABLET = "/quay-danh-gia"


@pytest.fixture(autouse=True)
def english(client):
    """Read the pages in English (the Vietnamese catalogue is filled later)."""
    client.set_cookie("lang", "en")


def _text(response):
    return response.get_data(as_text=True)


def _audited(action):
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)).all()


@pytest.fixture
def agency(make_agency):
    return make_agency(name="Trung tâm Phục vụ hành chính công")


@pytest.fixture
def counter(make_counter, agency):
    return make_counter(agency=agency, name="Quầy số 3")


@pytest.fixture
def paired(client, auth, make_user, counter):
    """This test client, paired as the tablet of counter by a staff member who is then signed out."""
    staff = make_user(Role.STAFF, agency=counter.agency)
    auth.login(staff)
    response = client.post(f"/can-bo/quay/{counter.id}/ghep-may")
    assert response.status_code == 303 and response.headers["Location"] == TABLET
    return staff


def _hand_over(dossier, counter, actor):
    counters.hand_over(dossier, counter, actor)
    db.session.commit()


def _poller(page):
    """The tablet poller's address and the entity tag it sends."""
    element = re.search(r'<div id="tablet-poll"[^>]*>', page).group(0)
    url = re.search(r'hx-get="([^"]+)"', element).group(1)
    return url, json.loads(re.search(r"hx-headers='([^']+)'", element).group(1))["If-None-Match"]


@pytest.fixture
def signed_in(app):
    """A browser of its own, signed in as user (the client fixture is the tablet)."""
    from testapp import PASSWORD

    def open_for(user):
        other = app.test_client()
        other.set_cookie("lang", "en")
        assert other.post("/dang-nhap", data={"email": user.email, "password": PASSWORD}).status_code == 302
        return other
    return open_for


def _poll(client, tag):
    return client.get(TABLET, headers={"HX-Request": "true", "HX-Target": "div#tablet", "If-None-Match": tag})


# --- the counters page ---------------------------------------------------------------------------------------------

def test_a_leader_sees_the_agencys_counters_and_their_tablets(client, login_as, agency, counter, paired,
                                                              make_counter, make_agency):
    make_counter(agency=make_agency(), name="Quầy của cơ quan khác")
    login_as(Role.LEADER, agency=agency)
    page = _text(client.get("/can-bo/quay"))
    assert "Quầy số 3" in page and "Quầy của cơ quan khác" not in page
    assert "Tablet paired on" in page and "/can-bo/quay/thiet-bi/" in page


def test_a_leader_adds_renames_closes_and_reopens_counters_each_audited(client, login_as, agency):
    leader = login_as(Role.LEADER, agency=agency)
    response = client.post("/can-bo/quay", data={"action": "add", "name": "  Quầy   số 1 "})
    assert response.status_code == 303
    counter = db.session.scalar(sa.select(ServiceCounter).where(ServiceCounter.agency_id == agency.id))
    assert counter.name == "Quầy số 1" and counter.active
    client.post("/can-bo/quay", data={"action": "rename", "counter": counter.id, "name": "Quầy tiếp nhận 1"})
    client.post("/can-bo/quay", data={"action": "close", "counter": counter.id})
    db.session.refresh(counter)
    assert (counter.name, counter.active) == ("Quầy tiếp nhận 1", False)
    assert "Closed" in _text(client.get("/can-bo/quay"))
    client.post("/can-bo/quay", data={"action": "reopen", "counter": counter.id})
    db.session.refresh(counter)
    assert counter.active
    for action in ("counter.add", "counter.rename", "counter.close", "counter.reopen"):
        [entry] = _audited(action)
        assert entry.actor_id == leader.id and entry.object_id == counter.id


def test_a_name_taken_or_empty_is_refused_and_what_was_typed_stays(client, login_as, agency, counter):
    login_as(Role.LEADER, agency=agency)
    taken = client.post("/can-bo/quay", data={"action": "add", "name": "Quầy số 3"})
    assert taken.status_code == 422
    assert "This agency already has a counter with this name." in _text(taken)
    assert re.search(r'id="new-name" name="name" value="Quầy số 3"', _text(taken))
    empty = client.post("/can-bo/quay", data={"action": "rename", "counter": counter.id, "name": " "})
    assert empty.status_code == 422 and "Give the counter a name" in _text(empty)
    assert f'<details class="more-actions" open>' in _text(empty)
    assert db.session.scalar(sa.select(sa.func.count(ServiceCounter.id))
                             .where(ServiceCounter.agency_id == agency.id)) == 1


def test_a_leader_cannot_touch_another_agencys_counter(client, login_as, make_counter):
    login_as(Role.LEADER)
    other = make_counter()
    assert client.post("/can-bo/quay", data={"action": "close", "counter": other.id}).status_code == 404
    db.session.refresh(other)
    assert other.active


def test_an_administrator_chooses_the_agency(client, login_as, agency, counter):
    login_as(Role.ADMIN)
    page = _text(client.get("/can-bo/quay"))
    assert agency.name in page and "Quầy số 3" not in page
    assert "Quầy số 3" in _text(client.get(f"/can-bo/quay?agency={agency.id}"))
    response = client.post("/can-bo/quay", data={"action": "add", "name": "Quầy số 4", "agency": agency.id})
    assert response.status_code == 303 and response.headers["Location"] == f"/can-bo/quay?agency={agency.id}"
    assert client.post("/can-bo/quay", data={"action": "add", "name": "Quầy số 5"}).status_code == 400


def test_the_counters_page_changes_need_the_form_token(app, client, login_as, agency, monkeypatch):
    login_as(Role.LEADER, agency=agency)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post("/can-bo/quay", data={"action": "add", "name": "Quầy số 9"}).status_code == 400


def _device(counter):
    return db.session.scalar(sa.select(CounterDevice).where(CounterDevice.counter_id == counter.id))


def test_a_leader_unpairs_a_tablet_which_then_shows_no_survey(client, signed_in, paired, counter, make_user,
                                                             make_dossier):
    device = _device(counter)
    leader = make_user(Role.LEADER, agency=counter.agency)
    desk = signed_in(leader)
    assert desk.post(f"/can-bo/quay/thiet-bi/{device.id}/huy").status_code == 303
    db.session.refresh(device)
    assert device.revoked_at is not None and _audited("counter.unpair")[0].actor_id == leader.id
    again = desk.post(f"/can-bo/quay/thiet-bi/{device.id}/huy")  # a second click changes nothing
    assert again.status_code == 303 and len(_audited("counter.unpair")) == 1
    dossier = make_dossier(agency=counter.agency)
    _hand_over(dossier, counter, leader)
    page = _text(client.get(TABLET))
    assert "This device is not paired" in page and dossier.procedure.name not in page


def test_a_leader_cannot_unpair_another_agencys_tablet(signed_in, paired, counter, make_user):
    device = _device(counter)
    outsider = signed_in(make_user(Role.LEADER))
    assert outsider.post(f"/can-bo/quay/thiet-bi/{device.id}/huy").status_code == 403
    db.session.refresh(device)
    assert device.revoked_at is None


def test_an_administrator_unpairs_any_tablet(signed_in, paired, counter, make_user):
    device = _device(counter)
    response = signed_in(make_user(Role.ADMIN)).post(f"/can-bo/quay/thiet-bi/{device.id}/huy")
    assert response.status_code == 303 and response.headers["Location"] == f"/can-bo/quay?agency={counter.agency_id}"
    db.session.refresh(device)
    assert device.revoked_at is not None


# --- pairing -------------------------------------------------------------------------------------------------------

def test_pairing_asks_first_then_signs_the_staff_member_out_and_leaves_only_the_device_cookie(
        app, client, auth, make_user, counter):
    staff = make_user(Role.STAFF, agency=counter.agency)
    auth.login(staff)
    confirm = client.get(f"/can-bo/quay/{counter.id}/ghep-may")
    assert confirm.status_code == 200 and "You will be signed out on this device." in _text(confirm)
    assert _device(counter) is None
    response = client.post(f"/can-bo/quay/{counter.id}/ghep-may")
    assert response.status_code == 303 and response.headers["Location"] == TABLET
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(counters.DEVICE_COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/quay-danh-gia" in cookie
    assert re.search(r"Max-Age=(\d+)", cookie) and int(re.search(r"Max-Age=(\d+)", cookie).group(1)) > 300 * 86400
    assert "Secure" not in cookie  # development; see the next test
    token = cookie.split(";")[0].split("=", 1)[1]
    device = counters.device_for(token)
    assert device.counter_id == counter.id and device.paired_by_id == staff.id
    assert _audited("counter.pair")[0].actor_id == staff.id
    assert client.get("/tai-khoan").status_code == 302  # signed out: the tablet holds no account
    page = client.get(TABLET)
    assert page.status_code == 200 and "Quầy số 3" in _text(page) and staff.email not in _text(page)


def test_the_device_cookie_is_secure_where_sessions_are(app, client, auth, make_user, counter, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    auth.login(make_user(Role.STAFF, agency=counter.agency))
    response = client.post(f"/can-bo/quay/{counter.id}/ghep-may")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(counters.DEVICE_COOKIE + "="))
    assert "Secure" in cookie


def test_staff_cannot_pair_a_tablet_with_another_agencys_counter(client, login_as, counter):
    login_as(Role.STAFF)
    assert client.post(f"/can-bo/quay/{counter.id}/ghep-may").status_code == 403
    assert _device(counter) is None


def test_a_closed_counter_cannot_get_a_tablet(client, login_as, counter):
    login_as(Role.LEADER, agency=counter.agency)
    counter.active = False
    db.session.commit()
    response = client.post(f"/can-bo/quay/{counter.id}/ghep-may")
    assert response.status_code == 409 and _device(counter) is None


def test_pairing_needs_the_form_token(app, client, login_as, counter, monkeypatch):
    login_as(Role.STAFF, agency=counter.agency)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post(f"/can-bo/quay/{counter.id}/ghep-may").status_code == 400
    assert _device(counter) is None


# --- the tablet ----------------------------------------------------------------------------------------------------

def test_a_device_that_is_not_paired_says_how_to_pair(client):
    response = client.get(TABLET)
    page = _text(response)
    assert response.status_code == 200 and "This device is not paired with a counter" in page
    assert "/dang-nhap?next=/quay-danh-gia" in page and "tablet-poll" not in page


def test_a_signed_in_staff_member_chooses_the_counter_there(client, login_as, counter, make_counter):
    closed = make_counter(agency=counter.agency, name="Quầy đã đóng")
    closed.active = False
    db.session.commit()
    login_as(Role.STAFF, agency=counter.agency)
    page = _text(client.get(TABLET))
    assert f'href="/can-bo/quay/{counter.id}/ghep-may"' in page and "Quầy đã đóng" not in page


def test_a_forged_device_cookie_is_not_a_tablet(client):
    client.set_cookie(counters.DEVICE_COOKIE, "gia-mao", path=TABLET)
    assert "This device is not paired" in _text(client.get(TABLET))


def test_the_neutral_screen_polls_and_gets_304_while_nothing_changes(client, paired, counter):
    page = _text(client.get(TABLET))
    assert "When your result is handed over at this counter" in page
    assert 'name="rating"' not in page
    url, tag = _poller(page)
    assert url == TABLET and "every 2s" in page
    unchanged = _poll(client, tag)
    assert unchanged.status_code == 304 and unchanged.headers["ETag"] == tag and unchanged.data == b""
    assert _device(counter).last_seen_at is not None  # the leaders see the tablet is alive


def test_a_handed_over_dossier_appears_without_anything_personal(client, paired, counter, make_dossier):
    page = _text(client.get(TABLET))
    _url, tag = _poller(page)
    dossier = make_dossier(agency=counter.agency, procedure="Đăng ký kết hôn", phone="0987654321",
                           email="ca.nhan@example.vn")
    _hand_over(dossier, counter, paired)
    fresh = _poll(client, tag)
    fragment = _text(fresh)
    assert fresh.status_code == 200 and fresh.headers["ETag"] != tag and "<html" not in fragment
    assert "Đăng ký kết hôn" in fragment and len(re.findall(r'name="rating"', fragment)) == 3
    assert "HX-Target" in fresh.headers["Vary"]
    full = _text(client.get(TABLET))
    for private in (dossier.applicant_name, dossier.applicant_phone, dossier.applicant_email, dossier.code,
                    dossier.survey_token):
        assert private not in fragment and private not in full
    assert _poll(client, fresh.headers["ETag"]).status_code == 304


def test_a_tap_stores_the_answer_and_the_screen_returns_to_neutral(client, paired, counter, make_dossier):
    dossier = make_dossier(agency=counter.agency, procedure="Đăng ký kết hôn")
    _hand_over(dossier, counter, paired)
    response = client.post(f"{TABLET}/tra-loi", data={"dossier": dossier.id, "rating": "3"})
    assert response.status_code == 303 and response.headers["Location"] == f"{TABLET}?cam-on=1"
    stored = db.session.scalar(sa.select(SurveyResponse).where(SurveyResponse.dossier_id == dossier.id))
    assert (stored.rating, stored.via.value) == (3, "tablet")
    thanks = _text(client.get(response.headers["Location"]))
    assert "Thank you!" in thanks and "Đăng ký kết hôn" not in thanks and 'name="rating"' not in thanks
    assert 'hx-trigger="load delay:4s"' in thanks and 'http-equiv="refresh"' in thanks  # back by itself
    neutral = _text(client.get(TABLET))
    assert "When your result is handed over" in neutral and "Đăng ký kết hôn" not in neutral
    again = client.post(f"{TABLET}/tra-loi", data={"dossier": dossier.id, "rating": "1"})  # a double tap
    assert again.status_code == 303
    db.session.refresh(stored)
    assert stored.rating == 3


def test_the_tablet_answers_only_the_dossier_waiting_at_its_counter(client, paired, counter, make_dossier,
                                                                    make_counter):
    waiting = make_dossier(agency=counter.agency)
    elsewhere = make_dossier(agency=counter.agency)
    not_handed_over = make_dossier(agency=counter.agency)
    _hand_over(elsewhere, make_counter(agency=counter.agency), paired)
    _hand_over(waiting, counter, paired)
    for dossier in (elsewhere, not_handed_over):
        response = client.post(f"{TABLET}/tra-loi", data={"dossier": dossier.id, "rating": "3"})
        assert response.status_code == 409 and "no longer shown at this counter" in _text(response)
    assert client.post(f"{TABLET}/tra-loi", data={"dossier": "x", "rating": "3"}).status_code == 409
    off_scale = client.post(f"{TABLET}/tra-loi", data={"dossier": waiting.id, "rating": "7"})
    assert off_scale.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(SurveyResponse.id))) == 0


def test_a_survey_left_unanswered_leaves_the_screen_after_a_while(app, client, paired, counter, make_dossier):
    dossier = make_dossier(agency=counter.agency, procedure="Đăng ký kết hôn")
    _hand_over(dossier, counter, paired)
    dossier.handed_over_at -= timedelta(minutes=app.config["COUNTER_SHOW_MINUTES"] + 1)
    db.session.commit()
    assert "Đăng ký kết hôn" not in _text(client.get(TABLET))


def test_an_unpaired_or_revoked_device_cannot_answer(app, client, paired, counter, make_dossier, make_user):
    dossier = make_dossier(agency=counter.agency)
    _hand_over(dossier, counter, paired)
    stranger = app.test_client()
    response = stranger.post(f"{TABLET}/tra-loi", data={"dossier": dossier.id, "rating": "3"})
    assert response.status_code == 303 and response.headers["Location"] == TABLET
    counters.unpair(_device(counter), make_user(Role.LEADER, agency=counter.agency))
    db.session.commit()
    assert client.post(f"{TABLET}/tra-loi", data={"dossier": dossier.id, "rating": "3"}).status_code == 303
    assert db.session.scalar(sa.select(sa.func.count(SurveyResponse.id))) == 0
    assert "This device is not paired" in _text(_poll(client, '"x"'))  # the poller gets the unpaired screen


def test_a_closed_counter_s_tablet_shows_no_survey(client, paired, counter, make_dossier):
    counter.active = False
    db.session.commit()
    assert "This device is not paired" in _text(client.get(TABLET))


def test_the_tablet_answer_needs_the_form_token(client, paired, counter, make_dossier, csrf):
    dossier = make_dossier(agency=counter.agency)
    _hand_over(dossier, counter, paired)
    page = _text(client.get(TABLET))
    assert 'name="csrf_token"' in page
    assert client.post(f"{TABLET}/tra-loi", data={"dossier": dossier.id, "rating": "3"}).status_code == 400
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(f"{TABLET}/tra-loi", data={"dossier": dossier.id, "rating": "3", "csrf_token": token})
    assert response.status_code == 303


def test_the_tablet_layout_has_no_way_off_the_screen(client, paired, counter, make_dossier):
    dossier = make_dossier(agency=counter.agency)
    _hand_over(dossier, counter, paired)
    page = _text(client.get(TABLET))
    assert re.search(r'<html lang="en">', page)
    assert "<a " not in page and "<nav" not in page and "<script>" not in page and "style=" not in page
