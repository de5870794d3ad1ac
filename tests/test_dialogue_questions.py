"""Sending a question to a dialogue session: stored once and waiting for moderation, every bad input refused by
its field with nothing typed lost, anonymous publicly but known to moderators, robots and floods kept out, no
question outside the window; similar questions shown while typing; no contact data on any public page."""
import re
import uuid

import pytest
import sqlalchemy as sa

from accounts.models import Role
from dialogue import services
from dialogue.models import DialogueQuestion, DialogueQuestionState as Q, SessionState as S
from extensions import db

BODY = "Xin hỏi thời gian cấp giấy chứng nhận quyền sử dụng đất lần đầu là bao lâu?"


@pytest.fixture(autouse=True)
def english(client):
    """Read the pages in English, so that the messages checked here do not depend on the translation."""
    client.set_cookie("lang", "en")


@pytest.fixture
def session(make_dialogue_session):
    return make_dialogue_session(S.LIVE)


def _form(**changes):
    data = {"body": BODY, "name": "Trần Thị Mai", "email": "mai.tran@example.vn", "phone": "",
            "idempotency_key": uuid.uuid4().hex, "website": ""}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _ask(client, session, **changes):
    return client.post(f"/doi-thoai/{session.id}/dat-cau-hoi", data=_form(**changes))


def _questions():
    return db.session.scalars(sa.select(DialogueQuestion).order_by(DialogueQuestion.id)).all()


def _text(response):
    return response.get_data(as_text=True)


def _field_error(page, name):
    """The error text shown by one field ('' when none)."""
    slot = re.search(rf'<div id="{name}-error"[^>]*>(.*?)</div>', page, re.S)
    if slot:
        inner = re.search(r'<p class="field-error">(.*?)</p>', slot.group(1), re.S)
        return inner.group(1).strip() if inner else ""
    alone = re.search(rf'<p class="field-error" id="{name}-error">(.*?)</p>', page, re.S)
    return alone.group(1).strip() if alone else ""


# Success


def test_a_valid_question_is_stored_waiting_for_moderation_with_its_contact(client, session):
    response = _ask(client, session, email="Mai.Tran@Example.VN", phone="0912 345 678")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/doi-thoai/{session.id}#ask"
    [question] = _questions()
    assert question.session_id == session.id and question.state is Q.NEW
    assert (question.body, question.asker_name, question.anonymous) == (BODY, "Trần Thị Mai", False)
    assert (question.asker_email, question.asker_phone) == ("mai.tran@example.vn", "0912345678")
    page = _text(client.get(response.headers["Location"]))
    assert "Your question has been received" in page
    assert BODY not in page  # not public before a moderator approves it


def test_a_phone_alone_is_enough(client, session):
    assert _ask(client, session, email="", phone="+84912345678").status_code == 302
    assert _questions()[0].asker_email is None and _questions()[0].asker_phone == "+84912345678"


def test_a_new_question_does_not_move_the_sessions_version(client, session):
    before = session.version
    _ask(client, session)
    db.session.refresh(session)
    assert session.version == before


def test_an_anonymous_question_keeps_the_name_for_the_moderators_only(client, session, login_as):
    _ask(client, session, name="Nguyễn Văn Kín Tiếng", anonymous="y")
    [question] = _questions()
    assert question.anonymous is True and question.asker_name == "Nguyễn Văn Kín Tiếng"
    services.approve(question, None)
    db.session.commit()
    public = _text(client.get(f"/doi-thoai/{session.id}"))
    assert "Asked by Anonymous" in public and "Nguyễn Văn Kín Tiếng" not in public
    login_as(Role.MODERATOR)
    console = _text(client.get(f"/doi-thoai/{session.id}/dieu-hanh?state=approved"))
    assert "Nguyễn Văn Kín Tiếng" in console and "shown as anonymous" in console


def test_a_signed_in_citizen_finds_the_name_and_email_filled(client, session, login_as):
    login_as(Role.CITIZEN, name="Đinh Thị Hạnh", email="hanh.dinh@example.vn")
    page = _text(client.get(f"/doi-thoai/{session.id}"))
    assert 'value="Đinh Thị Hạnh"' in page and 'value="hanh.dinh@example.vn"' in page


def test_the_ask_address_opened_directly_leads_to_the_form(client, session):
    response = client.get(f"/doi-thoai/{session.id}/dat-cau-hoi")
    assert response.status_code == 302 and response.headers["Location"] == f"/doi-thoai/{session.id}#ask"


# Refused input: 422, the message by the field, nothing typed lost


TYPED = {"body": "Xin hỏi lệ phí cấp đổi giấy phép lái xe là bao nhiêu?", "name": "Lê Văn Hùng",
         "email": "hung.le@example.vn", "phone": "0905123456"}


@pytest.mark.parametrize("field,bad", [
    ("body", ""), ("body", "Ngắn quá"), ("body", "Dài " * 600),
    ("name", ""), ("name", "Nguyễn " * 20 + "An"),
    ("email", "khong-phai-email"), ("phone", "12345"),
])
def test_a_bad_value_is_refused_with_a_message_by_its_field_and_everything_typed_kept(client, session, field, bad):
    key = uuid.uuid4().hex
    response = _ask(client, session, **(TYPED | {field: bad, "anonymous": "y", "idempotency_key": key}))
    page = _text(response)
    assert response.status_code == 422
    assert _field_error(page, field), f"no message by {field}"
    assert 'class="error-summary"' in page
    for name, value in TYPED.items():
        if name == field:
            continue
        if name == "body":
            assert re.search(rf">\s*{re.escape(value)}</textarea>", page)
        else:
            assert f'value="{value}"' in page, name
    assert re.search(r'<input checked id="anonymous"', page)
    assert f'name="idempotency_key" type="hidden" value="{key}"' in page
    assert _questions() == []


def test_no_contact_at_all_is_refused_with_a_message_by_the_email(client, session):
    response = _ask(client, session, email="", phone="")
    assert response.status_code == 422
    assert "Give an e-mail address or a phone number" in _field_error(_text(response), "email")
    assert _questions() == []


def test_a_corrected_form_sent_again_with_its_key_is_stored(client, session):
    key = uuid.uuid4().hex
    assert _ask(client, session, body="Ngắn", idempotency_key=key).status_code == 422
    assert _ask(client, session, idempotency_key=key).status_code == 302
    assert [q.idempotency_key for q in _questions()] == [key]


# Checking one field as the person types


def _check(client, session, field, **data):
    return client.post(f"/doi-thoai/{session.id}/dat-cau-hoi/kiem-tra?field={field}", data=data)


def test_the_inline_check_answers_only_the_fields_message(client, session):
    response = _check(client, session, "body", body="Ngắn")
    assert response.status_code == 200
    assert _text(response).strip() == '<p class="field-error">Between 15 and 2000 characters.</p>'
    assert _text(_check(client, session, "body", body=BODY)).strip() == ""


def test_the_inline_check_of_the_contact_looks_at_email_and_phone(client, session):
    assert "Give an e-mail address" in _text(_check(client, session, "email", email="", phone=""))
    assert _text(_check(client, session, "email", email="", phone="0912345678")).strip() == ""


@pytest.mark.parametrize("field", ["website", "idempotency_key", "anonymous", "", "nope"])
def test_the_inline_check_refuses_an_unknown_field(client, session, field):
    assert _check(client, session, field).status_code == 400


def test_the_form_wires_checks_and_similar_questions(client, session):
    page = _text(client.get(f"/doi-thoai/{session.id}"))
    assert f'hx-post="/doi-thoai/{session.id}/dat-cau-hoi/kiem-tra?field=body"' in page
    assert f'hx-get="/doi-thoai/{session.id}/cau-hoi-tuong-tu"' in page
    assert 'hx-trigger="input delay:600ms from:#body"' in page
    assert 'name="idempotency_key"' in page and 'class="honeypot" aria-hidden="true"' in page


# Sent twice, robots, floods


def test_the_same_form_sent_twice_makes_one_question(client, session):
    key = uuid.uuid4().hex
    first = _ask(client, session, idempotency_key=key)
    second = _ask(client, session, idempotency_key=key)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert len(_questions()) == 1


def test_a_retry_from_another_browser_makes_no_second_question(app, client, session):
    key = uuid.uuid4().hex
    _ask(client, session, idempotency_key=key)
    assert _ask(app.test_client(), session, idempotency_key=key).status_code == 302
    assert len(_questions()) == 1


def test_a_filled_honeypot_stores_nothing_but_looks_like_success(client, session):
    response = _ask(client, session, website="http://spam.example.com")
    assert response.status_code == 302
    assert "Your question has been received" in _text(client.get(response.headers["Location"]))
    assert _questions() == []


def test_too_many_questions_from_one_address_get_429(app, client, session):
    app.config["DIALOGUE_ASK_LIMIT_PER_IP"] = "3 per hour"
    try:
        for n in range(3):
            assert _ask(client, session, email=f"nguoi{n}@example.vn").status_code == 302
        blocked = _ask(client, session, email="nguoi9@example.vn")
    finally:
        app.config["DIALOGUE_ASK_LIMIT_PER_IP"] = "10 per hour"
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers
    assert len(_questions()) == 3


def test_refused_forms_do_not_use_up_the_allowance(app, client, session):
    app.config["DIALOGUE_ASK_LIMIT_PER_IP"] = "2 per hour"
    try:
        for _ in range(4):
            assert _ask(client, session, body="ngắn").status_code == 422
        statuses = [_ask(client, session, email=f"n{n}@example.vn").status_code for n in range(2)]
    finally:
        app.config["DIALOGUE_ASK_LIMIT_PER_IP"] = "10 per hour"
    assert statuses == [302, 302]


def test_one_contact_may_ask_five_questions_a_day_whatever_the_address(app, session):
    for n in range(5):
        response = app.test_client().post(f"/doi-thoai/{session.id}/dat-cau-hoi",
                                          data=_form(email="cung.mot@example.vn"),
                                          environ_base={"REMOTE_ADDR": f"198.51.100.{n + 1}"})
        assert response.status_code == 302
    sixth = app.test_client().post(f"/doi-thoai/{session.id}/dat-cau-hoi", data=_form(email="CUNG.MOT@example.vn"),
                                   environ_base={"REMOTE_ADDR": "198.51.100.99"})
    assert sixth.status_code == 429
    assert len(_questions()) == 5


# The window


@pytest.mark.parametrize("state,opens_in_hours,closes_in_hours", [
    (S.ANNOUNCED, 5, 10),     # not open yet
    (S.LIVE, -10, -1),        # closed already
    (S.ENDED, -10, 5),        # the session ended
    (S.DRAFT, -10, 5),        # never announced
])
def test_outside_the_window_there_is_no_form_and_a_question_is_refused(client, login_as, make_dialogue_session,
                                                                        state, opens_in_hours, closes_in_hours):
    from datetime import timedelta

    from database import utcnow

    session = make_dialogue_session(state)
    session.questions_open_at = utcnow() + timedelta(hours=opens_in_hours)
    session.questions_close_at = utcnow() + timedelta(hours=closes_in_hours)
    db.session.commit()
    if state is S.DRAFT:
        assert _ask(client, session).status_code == 404
        login_as(Role.MODERATOR)  # even the moderator's preview takes no question
    page = _text(client.get(f"/doi-thoai/{session.id}"))
    assert 'action="/doi-thoai/%d/dat-cau-hoi"' % session.id not in page
    assert "Questions can be sent from" in page if opens_in_hours > 0 else "no longer accepted" in page
    response = _ask(client, session)
    assert response.status_code == 409
    assert "Questions are not accepted for this session now." in _text(response)
    assert _questions() == []


def test_the_service_refuses_a_question_outside_the_window(make_dialogue_session):
    session = make_dialogue_session(S.ENDED, starts_in_hours=-20)
    with pytest.raises(services.DialogueError):
        services.submit_question(session, uuid.uuid4().hex, BODY, "Người hỏi", email="a@example.vn")


# Similar questions


def test_similar_questions_of_the_session_are_found_without_diacritics(client, session, make_dialogue_question,
                                                                       make_dialogue_session):
    mine = make_dialogue_question(session, body="Thời hạn cấp giấy chứng nhận quyền sử dụng đất", votes=4)
    make_dialogue_question(session, Q.NEW, body="Cấp giấy chứng nhận đất cho hộ mới (chưa duyệt)")
    other_session = make_dialogue_session(S.LIVE)
    make_dialogue_question(other_session, body="Giấy chứng nhận đất của phiên khác")
    response = client.get(f"/doi-thoai/{session.id}/cau-hoi-tuong-tu?body=giay+chung+nhan+dat",
                          headers={"HX-Request": "true", "HX-Target": "div#similar"})
    fragment = _text(response)
    assert response.status_code == 200 and "<html" not in fragment
    assert f'href="#q-{mine.id}"' in fragment and "<mark>" in fragment and "4 votes" in fragment
    assert "chưa duyệt" not in fragment and "phiên khác" not in fragment


def test_at_most_five_similar_questions_are_shown(client, session, make_dialogue_question):
    for n in range(7):
        make_dialogue_question(session, body=f"Thủ tục đăng ký kết hôn trường hợp số {n}")
    fragment = _text(client.get(f"/doi-thoai/{session.id}/cau-hoi-tuong-tu?body=dang+ky+ket+hon",
                                headers={"HX-Request": "true", "HX-Target": "div#similar"}))
    assert fragment.count("<li>") == 5


def test_nothing_similar_gives_an_empty_fragment(client, session, make_dialogue_question):
    make_dialogue_question(session, body="Thủ tục đăng ký kết hôn")
    fragment = _text(client.get(f"/doi-thoai/{session.id}/cau-hoi-tuong-tu?body=xyzzy",
                                headers={"HX-Request": "true", "HX-Target": "div#similar"}))
    assert fragment.strip() == ""


def test_similar_questions_work_as_a_page_without_javascript(client, session, make_dialogue_question):
    question = make_dialogue_question(session, body="Lệ phí đăng ký hộ kinh doanh")
    page = _text(client.get(f"/doi-thoai/{session.id}/cau-hoi-tuong-tu?body=le+phi"))
    assert "<html" in page and f'href="/doi-thoai/{session.id}#q-{question.id}"' in page


# No contact data anywhere public


CANARY_EMAIL = "canary.rieng.tu@example.vn"
CANARY_PHONE = "0987654321"


def test_no_contact_data_appears_on_any_public_page_or_fragment(client, make_dialogue_session, moderator_user):
    session = make_dialogue_session(S.LIVE, title="Phiên có câu hỏi của chim hoàng yến")
    for n, state in enumerate((Q.APPROVED, Q.SHORTLISTED, Q.ANSWERED)):
        question = DialogueQuestion(session=session, idempotency_key=uuid.uuid4().hex, asker_name=f"Hoàng Yến {n}",
                                    body=f"Câu hỏi chim hoàng yến số {n} về thủ tục hành chính",
                                    asker_email=CANARY_EMAIL, asker_phone=CANARY_PHONE, state=Q.NEW)
        db.session.add(question)
        db.session.flush()
        services.approve(question, moderator_user)
        if state is Q.SHORTLISTED:
            services.shortlist(question, moderator_user)
        if state is Q.ANSWERED:
            services.set_current(session, question, moderator_user)
            services.publish_answer(question, session.officials[0], "Câu trả lời công khai.", moderator_user)
    db.session.commit()
    fragment = {"HX-Request": "true"}
    pages = [
        client.get("/"), client.get("/doi-thoai"), client.get(f"/doi-thoai/{session.id}"),
        client.get(f"/doi-thoai/{session.id}?seen=0&current=0", headers={**fragment, "HX-Target": "section#live"}),
        client.get(f"/doi-thoai/{session.id}/trinh-chieu"),
        client.get(f"/doi-thoai/{session.id}/trinh-chieu", headers={**fragment, "HX-Target": "main#projector"}),
        client.get(f"/doi-thoai/{session.id}/cau-hoi-tuong-tu?body=chim+hoang+yen"),
        client.get(f"/doi-thoai/{session.id}/cau-hoi-tuong-tu?body=chim+hoang+yen",
                   headers={**fragment, "HX-Target": "div#similar"}),
    ]
    for response in pages:
        text = _text(response)
        assert response.status_code == 200
        assert CANARY_EMAIL not in text and CANARY_PHONE not in text and "0987 654 321" not in text
    assert "chim hoàng yến" in _text(pages[2]) and "số 0 về thủ tục" in _text(pages[7])


@pytest.fixture
def moderator_user(make_user):
    return make_user(Role.MODERATOR)
