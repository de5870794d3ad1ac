"""The survey as the applicant meets it: finding it by code and contact, the one-tap question, one answer per
dossier, the optional details, and the alert a dissatisfied answer raises."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from accounts.models import Role
from extensions import db
from feedback.survey_models import FollowUpReason, SurveyDetail, SurveyFollowUp, SurveyResponse
from notifications import OutboxMessage
from testapp import all_at_once, database_url, make_test_app


@pytest.fixture(autouse=True)
def english(client):
    """Read the pages in English (the Vietnamese catalogue is filled later)."""
    client.set_cookie("lang", "en")


@pytest.fixture
def dossier(make_dossier):
    return make_dossier(phone="0912345678", email="nguoi.nop@example.vn")


def _text(response):
    return response.get_data(as_text=True)


def _responses(dossier):
    return db.session.scalars(sa.select(SurveyResponse).where(SurveyResponse.dossier_id == dossier.id)).all()


def _rate(client, dossier, rating):
    return client.post(f"/danh-gia/{dossier.survey_token}", data={"rating": str(rating)})


def _buttons(page):
    return re.findall(r'<button type="submit" name="rating" value="(\d)"', page)


# --- finding the survey by code and contact --------------------------------------------------------------------

def test_the_start_page_explains_both_ways_in_and_prefills_only_the_code(client):
    response = client.get("/danh-gia?code=H21.00001&contact=0912345678")
    page = _text(response)
    assert response.status_code == 200
    assert "QR code" in page and 'name="code"' in page and 'value="H21.00001"' in page
    contact = re.search(r'<input[^>]*name="contact"[^>]*>', page).group(0)
    assert "0912345678" not in contact  # a phone or e-mail is never taken from an address


@pytest.mark.parametrize("contact", ["0912345678", "0912 345 678", "+84 912.345.678"])
def test_the_code_and_the_phone_in_any_spelling_open_the_survey(client, dossier, contact):
    response = client.post("/danh-gia", data={"code": dossier.code, "contact": contact})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/danh-gia/{dossier.survey_token}"
    assert client.get(response.headers["Location"]).status_code == 200


def test_the_email_in_any_case_and_the_code_in_small_letters_open_the_survey(client, dossier):
    response = client.post("/danh-gia", data={"code": dossier.code.lower(), "contact": " Nguoi.Nop@Example.VN "})
    assert response.status_code == 303 and dossier.survey_token in response.headers["Location"]


def test_a_wrong_contact_or_a_wrong_code_get_the_same_generic_message(client, dossier):
    wrong_contact = client.post("/danh-gia", data={"code": dossier.code, "contact": "0987654321"})
    wrong_code = client.post("/danh-gia", data={"code": "H99.99999", "contact": "0912345678"})
    message = "No completed dossier matches this code and phone number or e-mail."
    for response in (wrong_contact, wrong_code):
        assert response.status_code == 422
        assert message in _text(response)
        assert dossier.survey_token not in _text(response)
    assert 'aria-invalid' not in _text(wrong_contact)  # no hint which of the two was wrong
    assert f'value="{dossier.code}"' in _text(wrong_contact)  # nothing typed is lost


def test_both_fields_are_needed(client):
    response = client.post("/danh-gia", data={"code": "", "contact": ""})
    assert response.status_code == 422
    assert _text(response).count("This field is required.") >= 2


def test_lookups_are_limited_per_address_counting_every_attempt(app, client, dossier, monkeypatch):
    monkeypatch.setitem(app.config, "SURVEY_LOOKUP_LIMIT_PER_IP", "3 per minute")
    assert client.post("/danh-gia", data={"code": dossier.code, "contact": "0912345678"}).status_code == 303
    assert client.post("/danh-gia", data={"code": dossier.code, "contact": "0900000000"}).status_code == 422
    assert client.post("/danh-gia", data={"code": "", "contact": ""}).status_code == 422
    blocked = client.post("/danh-gia", data={"code": dossier.code, "contact": "0912345678"})
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert "Please wait a minute and try again" in _text(blocked)
    assert f'value="{dossier.code}"' in _text(blocked)
    assert client.get("/danh-gia").status_code == 200  # reading the page is not an attempt


def test_the_lookup_form_is_protected_against_forgery(client, dossier, csrf):
    response = client.post("/danh-gia", data={"code": dossier.code, "contact": "0912345678"})
    assert response.status_code == 400


# --- the one question --------------------------------------------------------------------------------------------

def test_the_first_screen_shows_the_service_but_nothing_about_the_applicant(client, dossier):
    page = _text(client.get(f"/danh-gia/{dossier.survey_token}"))
    assert dossier.agency.name in page and "Cấp giấy phép xây dựng" in page
    assert dossier.completed_on.strftime("%d/%m/%Y") in page
    assert "<legend" in page and "How satisfied are you" in page
    for private in (dossier.applicant_name, dossier.applicant_phone, dossier.applicant_email):
        assert private not in page


def test_one_tap_stores_the_answer_at_once_and_leads_to_the_optional_details(client, dossier):
    response = _rate(client, dossier, 3)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/danh-gia/{dossier.survey_token}/chi-tiet"
    [stored] = _responses(dossier)
    assert (stored.rating, stored.scale, stored.satisfied, stored.via.value) == (3, 3, True, "link")


def test_an_answer_after_the_code_form_is_counted_as_reached_by_code(client, dossier):
    client.post("/danh-gia", data={"code": dossier.code, "contact": "0912345678"})
    _rate(client, dossier, 2)
    assert _responses(dossier)[0].via.value == "code"


@pytest.mark.parametrize("size,labels", [
    (3, ["Very satisfied", "Satisfied", "Dissatisfied"]),
    (5, ["Very satisfied", "Satisfied", "Neither satisfied nor dissatisfied", "Dissatisfied", "Very dissatisfied"]),
])
def test_the_question_uses_the_scale_the_province_configures(app, client, dossier, monkeypatch, size, labels):
    monkeypatch.setitem(app.config, "SURVEY_SCALE", size)
    page = _text(client.get(f"/danh-gia/{dossier.survey_token}"))
    assert _buttons(page) == [str(n) for n in range(size, 0, -1)]
    found = re.findall(r'class="rating-button[^"]*">([^<]+)</button>', page)
    assert found == labels
    assert _rate(client, dossier, size).status_code == 303
    assert (_responses(dossier)[0].scale, _responses(dossier)[0].rating) == (size, size)


def test_an_answer_off_the_scale_is_refused_and_nothing_is_stored(client, dossier):
    response = _rate(client, dossier, 4)
    assert response.status_code == 422 and "Choose one of the answers." in _text(response)
    assert _rate(client, dossier, 0).status_code == 422
    assert client.post(f"/danh-gia/{dossier.survey_token}", data={}).status_code == 422
    assert _responses(dossier) == []


def test_the_token_is_single_use_a_second_answer_changes_nothing(client, app, dossier):
    _rate(client, dossier, 3)
    other = app.test_client()
    other.set_cookie("lang", "en")
    second = _rate(other, dossier, 1)
    assert second.status_code == 200 and "This survey has already been answered" in _text(second)
    again = _rate(client, dossier, 1)
    assert again.status_code == 200
    [stored] = _responses(dossier)
    assert stored.rating == 3


def test_a_second_visit_says_already_answered_kindly(client, app, dossier):
    _rate(client, dossier, 2)
    visitor = app.test_client()
    visitor.set_cookie("lang", "en")
    response = visitor.get(f"/danh-gia/{dossier.survey_token}")
    assert response.status_code == 200
    assert "Thank you! The answer for this dossier has been recorded" in _text(response)
    assert "Add details" not in _text(response)  # the details belong to the browser that answered
    assert "Add details" in _text(client.get(f"/danh-gia/{dossier.survey_token}"))


def test_a_dossier_not_completed_yet_explains_and_takes_no_answer(client, make_dossier):
    dossier = make_dossier(completed=False)
    page = client.get(f"/danh-gia/{dossier.survey_token}")
    assert page.status_code == 200 and "This dossier is not completed yet" in _text(page)
    assert _buttons(_text(page)) == []
    assert _rate(client, dossier, 3).status_code == 200
    assert _responses(dossier) == []


def test_an_unknown_address_gets_a_kind_404_with_the_way_by_code(client):
    response = client.get("/danh-gia/khong-ton-tai-1234567890")
    assert response.status_code == 404
    assert "We could not find this survey" in _text(response) and 'href="/danh-gia#by-code"' in _text(response)


def test_guessing_survey_addresses_is_limited_per_address(app, client, dossier, monkeypatch):
    monkeypatch.setitem(app.config, "SURVEY_TOKEN_LIMIT_PER_IP", "3 per minute")
    for _ in range(5):  # real addresses do not count
        assert client.get(f"/danh-gia/{dossier.survey_token}").status_code == 200
    for n in range(3):
        assert client.get(f"/danh-gia/doan-mo-{n}").status_code == 404
    blocked = client.get(f"/danh-gia/{dossier.survey_token}")
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers
    assert "Too many survey addresses that do not exist" in _text(blocked)
    assert client.get(f"/danh-gia/{dossier.survey_token}/ma-qr.png").status_code == 429


def test_the_rating_form_is_protected_against_forgery(client, dossier, csrf):
    assert _rate(client, dossier, 3).status_code == 400
    assert _responses(dossier) == []


# --- the optional details ----------------------------------------------------------------------------------------

DETAILS = {"time": "on_time", "contacts": "1", "one_stop": "yes", "good": ["attitude", "time"],
           "bad": ["facilities"], "comment": "Cán bộ hướng dẫn tận tình."}


def test_the_details_page_asks_the_criteria_reasons_and_a_comment(client, dossier):
    _rate(client, dossier, 3)
    response = client.get(f"/danh-gia/{dossier.survey_token}/chi-tiet")
    page = _text(response)
    assert response.status_code == 200
    assert page.count("<fieldset") == 7 + 2 and page.count("<legend") == 9
    assert "What went well?" in page and "What could be better?" in page
    assert "At most 2000 characters" in page and 'href="/danh-gia/cam-on"' in page  # the limit, and Skip


def test_the_details_are_stored_with_the_answer(client, dossier):
    _rate(client, dossier, 3)
    response = client.post(f"/danh-gia/{dossier.survey_token}/chi-tiet", data=DETAILS)
    assert response.status_code == 303 and response.headers["Location"] == "/danh-gia/cam-on"
    [stored] = _responses(dossier)
    items = {d.item: d.value for d in stored.details}
    assert items == {"time": "on_time", "contacts": "1", "one_stop": "yes", "tag:attitude": "good",
                     "tag:time": "good", "tag:facilities": "bad"}
    assert stored.comment == "Cán bộ hướng dẫn tận tình." and stored.details_at is not None
    assert stored.follow_up.reason is FollowUpReason.COMMENT  # a comment is for the agency to read
    assert "Thank you for your answer" in _text(client.get("/danh-gia/cam-on"))


def test_nothing_but_send_is_needed_each_question_is_optional(client, dossier):
    _rate(client, dossier, 3)
    assert client.post(f"/danh-gia/{dossier.survey_token}/chi-tiet", data={}).status_code == 303
    [stored] = _responses(dossier)
    assert stored.details == [] and stored.details_at is not None and stored.follow_up is None


def test_a_reason_both_good_and_bad_is_refused_and_everything_typed_stays(client, dossier):
    _rate(client, dossier, 2)
    data = {**DETAILS, "bad": ["attitude", "facilities"]}
    response = client.post(f"/danh-gia/{dossier.survey_token}/chi-tiet", data=data)
    page = _text(response)
    assert response.status_code == 422
    assert "A reason cannot be both good and bad: Staff attitude." in page
    assert 'href="#bad"' in page  # the error summary links to the group
    assert "Cán bộ hướng dẫn tận tình." in page
    for checked in ('name="time" value="on_time" checked', 'name="good" value="attitude" checked',
                    'name="good" value="time" checked', 'name="bad" value="attitude" checked',
                    'name="bad" value="facilities" checked', 'name="one_stop" value="yes" checked'):
        assert checked in page
    assert _responses(dossier)[0].details_at is None


def test_a_comment_over_the_limit_is_refused_and_kept(client, dossier):
    _rate(client, dossier, 3)
    long = "Rất tốt. " * 300
    response = client.post(f"/danh-gia/{dossier.survey_token}/chi-tiet", data={"comment": long})
    assert response.status_code == 422 and "At most 2000 characters." in _text(response)
    assert long.strip() in _text(response)


def test_an_answer_that_is_not_a_choice_is_refused(client, dossier):
    _rate(client, dossier, 3)
    response = client.post(f"/danh-gia/{dossier.survey_token}/chi-tiet", data={"time": "tomorrow"})
    assert response.status_code == 422
    assert _responses(dossier)[0].details == []


def test_the_details_belong_to_the_browser_that_rated(client, app, dossier):
    other = app.test_client()
    assert other.get(f"/danh-gia/{dossier.survey_token}/chi-tiet").status_code == 302  # nothing rated yet
    _rate(client, dossier, 3)
    page = other.get(f"/danh-gia/{dossier.survey_token}/chi-tiet")
    assert page.status_code == 200 and "<fieldset" not in _text(page)
    assert other.post(f"/danh-gia/{dossier.survey_token}/chi-tiet", data=DETAILS).status_code == 200
    assert _responses(dossier)[0].details == []


def test_the_details_can_be_sent_once_and_only_soon_after_the_rating(app, client, dossier, make_dossier):
    _rate(client, dossier, 3)
    client.post(f"/danh-gia/{dossier.survey_token}/chi-tiet", data={"time": "early"})
    again = client.post(f"/danh-gia/{dossier.survey_token}/chi-tiet", data={"time": "late"})
    assert again.status_code == 200 and "already been answered" in _text(again)
    assert {d.value for d in _responses(dossier)[0].details} == {"early"}

    later = make_dossier()
    _rate(client, later, 3)
    [stored] = _responses(later)
    stored.answered_at -= timedelta(minutes=app.config["SURVEY_DETAILS_MINUTES"] + 1)
    db.session.commit()
    page = client.get(f"/danh-gia/{later.survey_token}/chi-tiet")
    assert page.status_code == 200 and "<fieldset" not in _text(page) and "Add details" not in _text(page)


# --- the agency is told about a dissatisfied answer --------------------------------------------------------------

def test_a_dissatisfied_answer_opens_a_follow_up_and_emails_the_agencys_leaders(app, client, make_agency,
                                                                                make_user, make_dossier):
    if "feedback.follow_ups" not in app.view_functions:
        pytest.skip("the follow-up list (feedback.follow_ups) that the alert e-mail links to is not there yet")
    agency = make_agency()
    leader = make_user(Role.LEADER, agency=agency)
    make_user(Role.STAFF, agency=agency)
    dossier = make_dossier(agency=agency)
    assert _rate(client, dossier, 1).status_code == 303
    [stored] = _responses(dossier)
    assert stored.dissatisfied and stored.follow_up.reason is FollowUpReason.DISSATISFIED
    [mail] = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "survey.alert")).all()
    assert mail.to_address == leader.email and dossier.code in mail.subject
    with app.test_request_context():
        from flask import url_for

        assert url_for("feedback.follow_ups", _external=True) in mail.body
    assert dossier.applicant_phone not in mail.body and dossier.applicant_email not in mail.body


def test_a_satisfied_answer_raises_no_alert(client, make_agency, make_user, make_dossier):
    agency = make_agency()
    make_user(Role.LEADER, agency=agency)
    dossier = make_dossier(agency=agency)
    _rate(client, dossier, 3)
    assert db.session.scalar(sa.select(sa.func.count(SurveyFollowUp.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0


# --- one response per dossier under concurrent submissions -----------------------------------------------------

def _survey_app(tmp_path, schema):
    """An app on a database of its own with one completed dossier; its survey address and id."""
    from accounts import services as accounts
    from database import utcnow
    from feedback import dossiers

    app = make_test_app(database_url(tmp_path, schema), SURVEY_TOKEN_LIMIT_PER_IP="10000 per minute")
    with app.app_context():
        agency = accounts.create_agency("SO-KS", "Sở Khảo sát")
        now = utcnow()
        outcome = dossiers.intake_one({
            "code": "H21.KS-0001", "procedure": {"name": "Đăng ký khai sinh"}, "agency_code": agency.code,
            "received_at": (now - timedelta(days=3)).isoformat() + "Z",
            "completed_at": (now - timedelta(hours=1)).isoformat() + "Z", "channel": "counter"})
        db.session.commit()
        path, dossier_id = f"/danh-gia/{outcome.dossier.survey_token}", outcome.dossier.id
        db.session.remove()
    return app, path, dossier_id



@pytest.mark.no_db_transaction
def test_answers_sent_at_the_same_moment_with_one_token_store_exactly_one(tmp_path):
    app, path, dossier_id = _survey_app(tmp_path, "portal_survey_race")
    browsers = [app.test_client() for _ in range(6)]
    results = []
    ratings = [3, 1, 2, 3, 1, 2]
    assert all_at_once([lambda b=b, r=r: results.append(b.post(path, data={"rating": str(r)}))
                         for b, r in zip(browsers, ratings)]) == []
    statuses = sorted(response.status_code for response in results)
    assert statuses == [200] * 5 + [303]  # one stored; the others are told it is already answered
    for response in results:
        if response.status_code == 200:
            assert 'id="survey-answered"' in response.get_data(as_text=True)
    with app.app_context():
        rows = db.session.scalars(sa.select(SurveyResponse).where(SurveyResponse.dossier_id == dossier_id)).all()
        details = db.session.scalar(sa.select(sa.func.count(SurveyDetail.id)))
        db.session.remove()
        db.engine.dispose()
    assert len(rows) == 1 and details == 0
