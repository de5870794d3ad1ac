"""The survey in real browsers: a citizen on a small phone opens the QR link of the result slip and answers in
one tap; a counter's tablet, paired by a staff member, shows the survey of the dossier just handed over, takes
the tap, and returns to its neutral screen with nothing personal left on it."""
import itertools
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from axe import run_axe

DEMO_PASSWORD = "cong-tuong-tac-2026"
AGENCY = "SO-VHTTDL"
PHONE = {"width": 375, "height": 740}
LIVE_WITHIN_MS = 5000
_numbers = itertools.count(1)


@pytest.fixture
def contexts(browser, live_server):
    """Open browser contexts for a test and close every one after it: a tablet polls, and must not keep calling
    the server while other tests run."""
    opened = []

    def open_context(**options):
        context = browser.new_context(base_url=live_server, **options)
        opened.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.on("console", lambda message: page.errors.append(message.text) if message.type == "error" else None)
        return page

    yield open_context
    for context in opened:
        context.close()


def _in_app(live_app, work):
    """Run work() against the live portal's database and commit."""
    from extensions import db

    with live_app.app_context():
        try:
            result = work()
            db.session.commit()
            return result
        finally:
            db.session.remove()


def _new_dossier(live_app, procedure):
    """A dossier of the demo department completed an hour ago, with the applicant's contact on record."""
    from database import utcnow
    from feedback import dossiers

    def work():
        n = next(_numbers)
        now = utcnow()
        outcome = dossiers.intake_one({
            "code": f"E2E.{int(time.time())}-{n:04d}", "procedure": {"name": procedure}, "field": "Văn hóa",
            "agency_code": AGENCY, "received_at": (now - timedelta(days=5)).isoformat() + "Z",
            "due_at": (now + timedelta(days=2)).isoformat() + "Z",
            "completed_at": (now - timedelta(hours=1)).isoformat() + "Z", "channel": "counter",
            "applicant": {"name": "Rơ Châm Hyơn", "phone": "0905111222", "email": "ro.cham.hyon@example.vn"}})
        assert outcome.stored, outcome.errors
        dossier = outcome.dossier
        return {"id": dossier.id, "code": dossier.code, "token": dossier.survey_token}
    return _in_app(live_app, work)


def _response(live_app, dossier_id):
    """(rating, via) of the stored answer of a dossier, or None."""
    from extensions import db
    from feedback.survey_models import SurveyResponse

    def work():
        row = db.session.execute(sa.select(SurveyResponse.rating, SurveyResponse.via)
                                 .where(SurveyResponse.dossier_id == dossier_id)).first()
        return (row.rating, row.via.value) if row else None
    return _in_app(live_app, work)


def _no_personal_data(page, dossier, *more):
    """Neither the page's text nor its markup holds the applicant's data or the dossier's code."""
    html = page.content()
    for private in ("Rơ Châm Hyơn", "0905111222", "ro.cham.hyon@example.vn", dossier["code"], *more):
        assert private not in html, private


def test_a_citizen_scans_the_qr_link_on_a_phone_and_answers_in_one_tap(contexts, live_app, live_server):
    from feedback import dossiers
    from feedback.survey_models import Dossier
    from extensions import db

    dossier = _new_dossier(live_app, "Cấp giấy phép tổ chức lễ hội")
    with live_app.test_request_context(base_url=live_server):
        link = dossiers.survey_url(db.session.get(Dossier, dossier["id"]))
        db.session.remove()
    assert link == f"{live_server}/danh-gia/{dossier['token']}"

    phone = contexts(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.goto(link)
    expect(phone.locator("h1")).to_be_visible()
    expect(phone.locator(".survey-facts")).to_contain_text("Cấp giấy phép tổ chức lễ hội")
    _no_personal_data(phone, dossier)
    run_axe(phone, "the survey's first screen on a phone")
    buttons = phone.locator("button[name=rating]")
    expect(buttons).to_have_count(3)
    for n in range(3):  # large touch targets, the whole width of a small phone
        box = buttons.nth(n).bounding_box()
        assert box["height"] >= 48 and box["width"] >= 300, box
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    phone.locator("button[name=rating][value='3']").tap()
    phone.wait_for_url(f"**/danh-gia/{dossier['token']}/chi-tiet")
    assert _response(live_app, dossier["id"]) == (3, "link")  # stored at once, before any detail
    run_axe(phone, "the optional details on a phone")

    phone.locator("input[name=time][value=on_time]").check()
    phone.locator("input[name=good][value=attitude]").check()
    phone.locator("input[name=bad][value=attitude]").check()  # a slip: both good and bad
    phone.fill("#comment", "Cán bộ hướng dẫn rất tận tình.")
    phone.locator("main form button[type=submit]").click()
    expect(phone.locator(".error-summary")).to_be_visible()
    expect(phone.locator("#comment")).to_have_value("Cán bộ hướng dẫn rất tận tình.")
    run_axe(phone, "the details with an error")
    phone.locator("input[name=bad][value=attitude]").uncheck()
    phone.locator("main form button[type=submit]").click()
    phone.wait_for_url("**/danh-gia/cam-on")
    run_axe(phone, "thanks")

    phone.goto(link)  # the link again: answered, kindly
    expect(phone.locator("#survey-answered")).to_be_visible()
    run_axe(phone, "already answered")
    assert _response(live_app, dossier["id"]) == (3, "link")
    # The other way in, by code and contact: a wrong contact gets one generic message.
    phone.goto("/danh-gia")
    run_axe(phone, "the survey's start page")
    phone.fill("#code", dossier["code"])
    phone.fill("#contact", "0900000000")
    phone.locator("main form button[type=submit]").click()
    expect(phone.locator(".error-summary")).to_be_visible()
    expect(phone.locator("#code")).to_have_value(dossier["code"])
    run_axe(phone, "no dossier found")
    phone.goto("/danh-gia/khong-co-khao-sat-nay")
    run_axe(phone, "an unknown survey address")

    refused = "the server responded with a status of 4"  # the deliberate slips above
    assert [e for e in phone.errors if refused not in e] == [], phone.errors  # 422s and the 404


def test_the_counter_tablet_shows_the_survey_of_the_dossier_handed_over_and_forgets_it(contexts, live_app):
    from accounts.models import Agency, User
    from extensions import db
    from feedback import counters
    from feedback.survey_models import Dossier, ServiceCounter

    name = f"Quầy thử nghiệm {next(_numbers)}-{int(time.time())}"
    counter_id = _in_app(live_app, lambda: _add_counter(db, Agency, ServiceCounter, name))

    # A staff member signs in on the tablet, chooses the counter and pairs the device: she is signed out.
    tablet = contexts(viewport={"width": 1024, "height": 768}, has_touch=True)
    tablet.goto("/quay-danh-gia")
    expect(tablet.locator(".tablet-unpaired")).to_be_visible()
    run_axe(tablet, "a device not paired")
    tablet.goto("/dang-nhap")
    tablet.fill("input[name=email]", "canbo.vhttdl@demo.gov.vn")
    tablet.fill("input[name=password]", DEMO_PASSWORD)
    tablet.click("form[action^='/dang-nhap'] button[type=submit]")
    tablet.wait_for_selector(".account-link[href='/tai-khoan']")
    tablet.goto("/quay-danh-gia")
    run_axe(tablet, "choosing the counter")
    tablet.locator(".counter-choices a", has_text=name).click()
    tablet.wait_for_url(f"**/can-bo/quay/{counter_id}/ghep-may")
    run_axe(tablet, "pairing")
    tablet.locator("main form button[type=submit]").click()
    tablet.wait_for_url("**/quay-danh-gia")
    expect(tablet.locator(".tablet-counter")).to_contain_text(name)
    expect(tablet.locator(".tablet-neutral")).to_be_visible()
    assert "canbo.vhttdl" not in tablet.content() and tablet.locator("nav").count() == 0
    run_axe(tablet, "the tablet's neutral screen")
    tablet.evaluate("window.neverReloaded = true")

    # The result is handed over at the counter: the survey appears without a reload.
    dossier = _new_dossier(live_app, "Cấp giấy phép kinh doanh karaoke")

    def hand_over():
        staff = db.session.scalar(sa.select(User).where(User.email == "canbo.vhttdl@demo.gov.vn"))
        counters.hand_over(db.session.get(Dossier, dossier["id"]), db.session.get(ServiceCounter, counter_id), staff)
    _in_app(live_app, hand_over)
    expect(tablet.locator(".tablet-procedure")).to_have_text("Cấp giấy phép kinh doanh karaoke",
                                                             timeout=LIVE_WITHIN_MS)
    assert tablet.evaluate("window.neverReloaded === true")
    _no_personal_data(tablet, dossier, dossier["token"])
    run_axe(tablet, "the survey on the tablet")

    # One tap: stored; thanks; then the neutral screen by itself, holding nothing of the dossier.
    tablet.locator("button[name=rating][value='3']").tap()
    expect(tablet.locator(".tablet-thanks")).to_be_visible()
    assert _response(live_app, dossier["id"]) == (3, "tablet")
    expect(tablet.locator(".tablet-neutral")).to_be_visible(timeout=8000)
    assert tablet.url.endswith("/quay-danh-gia")
    assert "karaoke" not in tablet.content()
    _no_personal_data(tablet, dossier, dossier["token"], f'value="{dossier["id"]}"')
    run_axe(tablet, "the tablet back to neutral")
    assert tablet.errors == [], tablet.errors

    # The tablet holds no account.
    other_tab = tablet.context.new_page()
    other_tab.goto("/tai-khoan")
    assert "/dang-nhap" in other_tab.url

    # The agency's leader sees the tablet on the counters page.
    leader = contexts()
    leader.goto("/dang-nhap")
    leader.fill("input[name=email]", "lanhdao.vhttdl@demo.gov.vn")
    leader.fill("input[name=password]", DEMO_PASSWORD)
    leader.click("form[action^='/dang-nhap'] button[type=submit]")
    leader.wait_for_selector(".account-link[href='/tai-khoan']")
    leader.goto("/can-bo/quay")
    expect(leader.locator(".counter-item", has_text=name)).to_contain_text("Máy tính bảng ghép nối lúc")
    run_axe(leader, "counters and tablets")


def _add_counter(db, Agency, ServiceCounter, name):
    """A counter of the demo department; its id."""
    agency = db.session.scalar(sa.select(Agency).where(Agency.code == AGENCY))
    counter = ServiceCounter(agency_id=agency.id, name=name)
    db.session.add(counter)
    db.session.flush()
    return counter.id
