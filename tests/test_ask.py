"""Asking a question: stored once, a tracking code for this browser, every bad input refused clearly with
nothing typed lost, files judged by their content, robots and floods kept out."""
import hashlib
import io
import re
import unicodedata
import uuid

import pytest
import sqlalchemy as sa

from accounts.models import Role
from extensions import db
from feedback import asking
from feedback.models import Attachment, Question, QuestionEvent, QuestionState
from notifications import OutboxMessage

ASK = "/hoi-dap/dat-cau-hoi"
ASKED = "/hoi-dap/da-gui"
CHECK = "/hoi-dap/dat-cau-hoi/kiem-tra"
CODE = re.compile(r"\b[A-HJKMNP-Z2-9]{5}-[A-HJKMNP-Z2-9]{5}\b")

TITLE = "Thời hạn cấp giấy chứng nhận quyền sử dụng đất"
BODY = "Tôi nộp hồ sơ tại Bộ phận một cửa của huyện từ tháng trước. Xin hỏi bao lâu thì có kết quả?"

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00" + b"\x00" * 32


@pytest.fixture
def topic(make_topic):
    return make_topic(name="Đất đai")


def _form(the_topic, **changes):
    data = {"title": TITLE, "body": BODY, "topic": str(the_topic.id), "agency": "0", "name": "Trần Thị Mai",
            "email": "mai.tran@example.vn", "phone": "", "address": "", "consent_publish": "y",
            "idempotency_key": uuid.uuid4().hex, "website": ""}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _ask(client, the_topic, **changes):
    return client.post(ASK, data=_form(the_topic, **changes), content_type="multipart/form-data")


def _questions():
    return db.session.scalars(sa.select(Question).order_by(Question.id)).all()


def _count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _field_error(page, name):
    """The error text shown by one field ('' when none)."""
    slot = re.search(rf'<div id="{name}-error"[^>]*>(.*?)</div>', page, re.S)
    if slot:
        inner = re.search(r'<p class="field-error">(.*?)</p>', slot.group(1), re.S)
        return inner.group(1).strip() if inner else ""
    alone = re.search(rf'<p class="field-error" id="{name}-error">(.*?)</p>', page, re.S)
    return alone.group(1).strip() if alone else ""


# Success


def test_a_valid_question_is_stored_waiting_for_moderation_with_its_contact(client, topic, make_agency):
    agency = make_agency(name="Sở Tài nguyên và Môi trường")
    response = _ask(client, topic, agency=str(agency.id), email="Mai.Tran@Example.VN", phone="0912 345 678",
                    address="Số 12 đường Lê Lợi, Pleiku")
    assert response.status_code == 302
    assert response.headers["Location"] == ASKED
    [question] = _questions()
    assert question.state is QuestionState.SUBMITTED
    assert (question.title, question.body, question.topic_id) == (TITLE, BODY, topic.id)
    assert question.requested_agency_id == agency.id
    assert question.agency_id is None
    assert question.asker_name == "Trần Thị Mai"
    assert question.asker_email == "mai.tran@example.vn"
    assert question.asker_phone == "0912345678"
    assert question.asker_address == "Số 12 đường Lê Lợi, Pleiku"
    assert question.consent_publish is True
    assert re.fullmatch(r"[A-HJKMNP-Z2-9]{10}", question.tracking_code)
    assert [(e.action, e.to_state) for e in question.events] == [("submitted", "submitted")]


def test_no_agency_chosen_leaves_the_choice_to_the_moderator(client, topic):
    assert _ask(client, topic, agency="0").status_code == 302
    assert _questions()[0].requested_agency_id is None


def test_without_the_consent_box_the_question_is_not_for_publication(client, topic):
    assert _ask(client, topic, consent_publish=None).status_code == 302
    assert _questions()[0].consent_publish is False


def test_text_typed_in_decomposed_unicode_is_stored_in_nfc(client, topic):
    title = unicodedata.normalize("NFD", "Thủ tục đăng ký thường trú ở Đắk Lắk")
    body = unicodedata.normalize("NFD", "Tôi chuyển về Buôn Ma Thuột sinh sống, cần những giấy tờ gì?")
    name = unicodedata.normalize("NFD", "Nguyễn Thị Ánh")
    assert title != unicodedata.normalize("NFC", title)
    assert _ask(client, topic, title=title, body=body, name=name).status_code == 302
    question = _questions()[0]
    assert question.title == "Thủ tục đăng ký thường trú ở Đắk Lắk"
    assert question.body == "Tôi chuyển về Buôn Ma Thuột sinh sống, cần những giấy tờ gì?"
    assert question.asker_name == "Nguyễn Thị Ánh"


def test_the_thanks_page_shows_the_tracking_code_in_readable_groups(client, topic):
    response = client.get(_ask(client, topic).headers["Location"])
    page = response.get_data(as_text=True)
    question = _questions()[0]
    assert response.status_code == 200
    assert CODE.search(page).group(0) == asking.format_code(question.tracking_code)
    assert f"{question.tracking_code[:5]}-{question.tracking_code[5:]}" in page


def test_the_tracking_code_is_shown_only_in_the_browser_that_asked(app, client, topic):
    _ask(client, topic)
    code = asking.format_code(_questions()[0].tracking_code)
    other = app.test_client().get(ASKED)
    assert other.status_code == 200
    assert code not in other.get_data(as_text=True)
    assert not CODE.search(other.get_data(as_text=True))
    assert code in client.get(ASKED).get_data(as_text=True)


def test_a_receipt_with_the_code_is_queued_for_the_askers_email(client, topic):
    _ask(client, topic, email="Mai.Tran@example.vn")
    question = _questions()[0]
    [message] = db.session.scalars(sa.select(OutboxMessage)).all()
    assert message.kind == "question.receipt"
    assert message.to_address == "mai.tran@example.vn"
    assert asking.format_code(question.tracking_code) in message.subject
    assert asking.format_code(question.tracking_code) in message.body
    assert TITLE in message.body


def test_no_email_is_queued_when_only_a_phone_is_given(client, topic):
    assert _ask(client, topic, email="", phone="0912345678").status_code == 302
    question = _questions()[0]
    assert question.asker_email is None and question.asker_phone == "0912345678"
    assert _count(OutboxMessage) == 0


@pytest.mark.parametrize("typed,stored", [("091 234 5678", "0912345678"), ("+84912345678", "+84912345678"),
                                          ("0912-345-678", "0912345678"), ("028 3829 1234", "02838291234")])
def test_vietnamese_phone_numbers_are_accepted_as_people_write_them(client, topic, typed, stored):
    assert _ask(client, topic, email="", phone=typed).status_code == 302
    assert _questions()[0].asker_phone == stored


# Refused input: 422, the message by the field, nothing typed lost


TYPED = {"title": "Lệ phí cấp đổi giấy phép lái xe", "body": "Giấy phép lái xe của tôi hết hạn, lệ phí là bao nhiêu?",
         "name": "Lê Văn Hùng", "email": "hung.le@example.vn", "phone": "0905123456",
         "address": "Thôn Plei Ku Tiêng, xã Ia Kha"}


@pytest.mark.parametrize("field,bad", [
    ("title", "Ngắn quá"),
    ("body", ""),
    ("body", "Hỏi ngắn thôi"),
    ("topic", "0"),
    ("topic", None),
    ("email", "khong-phai-email"),
    ("phone", "12345"),
    ("phone", "0912 345"),
    ("name", "Nguyễn " * 20 + "An"),
    ("name", ""),
])
def test_a_bad_value_is_refused_with_a_message_by_its_field_and_everything_typed_kept(client, topic, field, bad):
    other = TYPED | {"topic": str(topic.id), field: bad}
    response = _ask(client, topic, **other)
    page = response.get_data(as_text=True)
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
    if field != "topic":
        assert re.search(rf'<option selected value="{topic.id}">|<option value="{topic.id}" selected>', page)
    if field in ("title", "name", "email", "phone") and bad:
        assert f'value="{bad.replace(" ", "") if field == "phone" else bad}"' in page
    assert _count(Question) == 0
    assert _count(OutboxMessage) == 0


def test_the_agency_choice_the_consent_and_the_form_key_are_kept_too(client, topic, make_agency):
    agency = make_agency(name="Sở Xây dựng")
    key = uuid.uuid4().hex
    page = _ask(client, topic, title="Ngắn", agency=str(agency.id), idempotency_key=key).get_data(as_text=True)
    assert re.search(r'<input checked id="consent_publish"', page)
    select = re.search(r'<select[^>]*name="agency"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert re.search(rf'<option selected value="{agency.id}">', select)
    assert f'name="idempotency_key" type="hidden" value="{key}"' in page


def test_a_corrected_form_sent_again_with_its_key_is_stored(client, topic):
    key = uuid.uuid4().hex
    assert _ask(client, topic, title="Ngắn", idempotency_key=key).status_code == 422
    assert _ask(client, topic, idempotency_key=key).status_code == 302
    [question] = _questions()
    assert question.idempotency_key == key and question.title == TITLE


def test_a_title_over_200_characters_is_refused(client, topic):
    response = _ask(client, topic, title="Thủ tục " * 30)
    assert response.status_code == 422
    assert _field_error(response.get_data(as_text=True), "title")
    assert _count(Question) == 0


def test_a_signed_in_citizen_finds_the_form_filled_and_the_question_linked_to_the_account(client, login_as, topic):
    user = login_as(Role.CITIZEN, name="Đinh Thị Hạnh", email="hanh.dinh@example.vn")
    page = client.get(ASK).get_data(as_text=True)
    assert 'value="Đinh Thị Hạnh"' in page and 'value="hanh.dinh@example.vn"' in page
    assert _ask(client, topic, name="Đinh Thị Hạnh", email="hanh.dinh@example.vn").status_code == 302
    assert _questions()[0].asker_user_id == user.id


def test_an_anonymous_question_belongs_to_no_account(client, topic):
    _ask(client, topic)
    assert _questions()[0].asker_user_id is None


def test_no_contact_at_all_is_refused_with_a_message_by_the_email(client, topic):
    client.set_cookie("lang", "en")
    response = _ask(client, topic, email="", phone="")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Give an e-mail address or a phone number" in _field_error(page, "email")
    assert f'value="{TITLE}"' in page and re.search(rf">\s*{re.escape(BODY)}</textarea>", page)
    assert _count(Question) == 0


@pytest.mark.parametrize("lang,expected", [("en", "Choose the field of your question."),
                                           ("vi", "Vui lòng chọn lĩnh vực của câu hỏi.")])
def test_leaving_the_field_on_its_placeholder_asks_to_choose_a_field(client, topic, lang, expected):
    client.set_cookie("lang", lang)
    response = _ask(client, topic, topic="0")
    assert response.status_code == 422
    assert _field_error(response.get_data(as_text=True), "topic") == expected


def test_messages_say_what_is_wrong_in_english_too(client, topic):
    client.set_cookie("lang", "en")
    page = _ask(client, topic, title="Ngắn", email="sai@", phone="123").get_data(as_text=True)
    assert _field_error(page, "title") == "Between 10 and 200 characters."
    assert "Enter a valid e-mail address" in _field_error(page, "email")
    assert "Enter a Vietnamese phone number" in _field_error(page, "phone")


def test_messages_are_in_vietnamese_by_default(client, topic):
    page = _ask(client, topic, title="Ngắn").get_data(as_text=True)
    message = _field_error(page, "title")
    assert message and "Between" not in message
    assert 'lang="vi"' in page


# Sent twice, robots


def test_the_same_form_sent_twice_makes_one_question_and_both_lead_to_the_same_thanks(client, topic):
    key = uuid.uuid4().hex
    first = _ask(client, topic, idempotency_key=key)
    second = _ask(client, topic, idempotency_key=key)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"] == ASKED
    [question] = _questions()
    assert _count(OutboxMessage) == 1
    assert asking.format_code(question.tracking_code) in client.get(ASKED).get_data(as_text=True)


def test_a_retry_from_a_fresh_session_still_makes_no_second_question(app, client, topic):
    key = uuid.uuid4().hex
    _ask(client, topic, idempotency_key=key)
    retry = app.test_client()
    response = _ask(retry, topic, idempotency_key=key)
    assert response.status_code == 302
    assert len(_questions()) == 1
    assert asking.format_code(_questions()[0].tracking_code) in retry.get(ASKED).get_data(as_text=True)


def test_different_forms_make_different_questions(client, topic):
    _ask(client, topic)
    _ask(client, topic, email="khac@example.vn")
    questions = _questions()
    assert len(questions) == 2
    assert questions[0].tracking_code != questions[1].tracking_code


def test_a_filled_honeypot_stores_nothing_but_looks_like_success(client, topic):
    response = _ask(client, topic, website="http://spam.example.com")
    assert response.status_code == 302
    assert response.headers["Location"] == ASKED
    page = client.get(ASKED)
    assert page.status_code == 200
    assert not CODE.search(page.get_data(as_text=True))
    assert _count(Question) == 0
    assert _count(OutboxMessage) == 0


def test_the_honeypot_is_hidden_from_people(client):
    page = client.get(ASK).get_data(as_text=True)
    start = page.index('class="honeypot"')
    assert 'aria-hidden="true"' in page[start - 40:start + 40]
    assert 'tabindex="-1"' in page[start:page.index("</div>", start)]


# Attachments


@pytest.mark.parametrize("data,name,content_type", [(PDF, "giay-to.pdf", "application/pdf"),
                                                    (JPEG, "anh chup.jpg", "image/jpeg"),
                                                    (PNG, "so-do.png", "image/png")])
def test_pdf_jpeg_and_png_files_are_accepted_and_stored_under_a_generated_name(app, client, topic, data, name,
                                                                            content_type):
    response = _ask(client, topic, attachments=[(io.BytesIO(data), name)])
    assert response.status_code == 302
    [item] = db.session.scalars(sa.select(Attachment)).all()
    assert item.question_id == _questions()[0].id
    assert (item.filename, item.content_type, item.size) == (name, content_type, len(data))
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{32}\.(pdf|jpg|png)", item.stored_name)
    stored = app.config["UPLOAD_DIR"] / item.stored_name
    assert stored.read_bytes() == data
    assert "static" not in stored.parts


def test_the_type_is_judged_by_content_not_by_the_name(client, topic):
    response = _ask(client, topic, attachments=[(io.BytesIO(PNG), "ban-scan.pdf")])
    assert response.status_code == 302
    item = db.session.scalars(sa.select(Attachment)).one()
    assert item.content_type == "image/png" and item.stored_name.endswith(".png")


def test_three_files_are_accepted(client, topic):
    files = [(io.BytesIO(PDF), "a.pdf"), (io.BytesIO(JPEG), "b.jpg"), (io.BytesIO(PNG), "c.png")]
    assert _ask(client, topic, attachments=files).status_code == 302
    assert _count(Attachment) == 3


def _refused_files(app, client, topic, files, english_message):
    before = set(app.config["UPLOAD_DIR"].glob("*")) if app.config["UPLOAD_DIR"].exists() else set()
    client.set_cookie("lang", "en")
    response = _ask(client, topic, **TYPED, attachments=files)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert english_message in _field_error(page, "attachments")
    assert f'value="{TYPED["title"]}"' in page and f'value="{TYPED["email"]}"' in page
    assert _count(Question) == 0 and _count(Attachment) == 0 and _count(OutboxMessage) == 0
    after = set(app.config["UPLOAD_DIR"].glob("*")) if app.config["UPLOAD_DIR"].exists() else set()
    assert after == before


def test_a_pdf_name_with_other_content_is_refused(app, client, topic):
    _refused_files(app, client, topic, [(io.BytesIO(b"MZ\x90\x00 not a pdf at all"), "hoa-don.pdf")],
                   "hoa-don.pdf is not a PDF, JPEG or PNG file.")


def test_an_html_file_named_as_an_image_is_refused(app, client, topic):
    _refused_files(app, client, topic, [(io.BytesIO(b"<html><script>alert(1)</script></html>"), "anh.jpg")],
                   "anh.jpg is not a PDF, JPEG or PNG file.")


def test_a_file_over_5_mb_is_refused(app, client, topic):
    big = b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024)
    _refused_files(app, client, topic, [(io.BytesIO(big), "lon.pdf")], "lon.pdf is larger than 5 MB.")


def test_a_file_of_exactly_5_mb_is_accepted(client, topic):
    exact = b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024 - 9)
    assert len(exact) == 5 * 1024 * 1024
    assert _ask(client, topic, attachments=[(io.BytesIO(exact), "vua.pdf")]).status_code == 302
    assert _count(Attachment) == 1


def test_four_files_are_refused(app, client, topic):
    files = [(io.BytesIO(PDF), f"tep-{n}.pdf") for n in range(4)]
    _refused_files(app, client, topic, files, "At most 3 files.")


def test_one_bad_file_among_good_ones_refuses_them_all(app, client, topic):
    files = [(io.BytesIO(PDF), "tot.pdf"), (io.BytesIO(b"GIF89a......"), "xau.png")]
    _refused_files(app, client, topic, files, "xau.png is not a PDF, JPEG or PNG file.")


# Rate limit


def test_the_fourth_question_from_one_address_within_an_hour_gets_429(client, topic):
    for n in range(3):
        assert _ask(client, topic, email=f"nguoi{n}@example.vn").status_code == 302
    blocked = _ask(client, topic, email="nguoi9@example.vn")
    assert blocked.status_code == 429
    assert "Retry-After" in blocked.headers
    assert len(_questions()) == 3


def test_refused_forms_do_not_use_up_the_allowance(client, topic):
    for _ in range(5):
        assert _ask(client, topic, title="ngắn").status_code == 422
    for n in range(3):
        assert _ask(client, topic, email=f"nguoi{n}@example.vn").status_code == 302
    assert len(_questions()) == 3


def test_another_address_is_not_blocked(app, client, topic):
    for n in range(3):
        _ask(client, topic, email=f"nguoi{n}@example.vn")
    other = app.test_client()
    response = other.post(ASK, data=_form(topic, email="khac@example.vn"), content_type="multipart/form-data",
                          environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert response.status_code == 302
    assert len(_questions()) == 4


def test_one_contact_may_ask_five_questions_a_day_whatever_the_address(app, topic):
    for n in range(5):
        browser = app.test_client()
        response = browser.post(ASK, data=_form(topic, email="cung.mot@example.vn"), content_type="multipart/form-data",
                                environ_base={"REMOTE_ADDR": f"198.51.100.{n + 1}"})
        assert response.status_code == 302
    sixth = app.test_client().post(ASK, data=_form(topic, email="CUNG.MOT@example.vn"),
                                   content_type="multipart/form-data", environ_base={"REMOTE_ADDR": "198.51.100.99"})
    assert sixth.status_code == 429
    assert len(_questions()) == 5


# Checking one field as the person types


def _check(client, field, **data):
    return client.post(f"{CHECK}?field={field}", data=data)


def test_the_inline_check_answers_only_the_fields_message(client, topic):
    client.set_cookie("lang", "en")
    response = _check(client, "title", title="Ngắn")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in text.lower() and "<form" not in text
    assert text.strip() == '<p class="field-error">Between 10 and 200 characters.</p>'


def test_the_inline_check_is_empty_when_the_field_is_valid(client, topic):
    response = _check(client, "title", title=TITLE)
    assert response.status_code == 200
    assert response.get_data(as_text=True).strip() == ""


def test_the_inline_check_ignores_the_errors_of_other_fields(client, topic):
    # Only the title is sent; body, topic and contact are all missing, yet nothing is said about them.
    assert _check(client, "title", title=TITLE).get_data(as_text=True).strip() == ""


@pytest.mark.parametrize("field,data,expected", [
    ("email", {"email": "", "phone": ""}, "Give an e-mail address or a phone number"),
    ("email", {"email": "sai-dia-chi"}, "Enter a valid e-mail address"),
    ("phone", {"phone": "12345"}, "Enter a Vietnamese phone number"),
    ("body", {"body": "ngắn"}, "Between 20 and 5000 characters."),
])
def test_the_inline_check_explains_each_field(client, topic, field, data, expected):
    client.set_cookie("lang", "en")
    assert expected in _check(client, field, **data).get_data(as_text=True)


def test_a_phone_alone_satisfies_the_inline_contact_check(client, topic):
    assert _check(client, "email", email="", phone="091 234 5678").get_data(as_text=True).strip() == ""


@pytest.mark.parametrize("field", ["website", "idempotency_key", "csrf_token", "attachments", "", "nope"])
def test_the_inline_check_refuses_an_unknown_field_with_400(client, field):
    assert _check(client, field).status_code == 400


def test_the_inline_check_stores_nothing(client, topic):
    _check(client, "title", **_form(topic))
    assert _count(Question) == 0
    assert _count(QuestionEvent) == 0


def test_the_ask_form_wires_each_checked_field_to_its_own_message_slot(client, topic):
    page = client.get(ASK).get_data(as_text=True)
    assert f'hx-post="{CHECK}?field=title"' in page
    assert 'hx-target="#title-error"' in page
    assert 'id="title-error" aria-live="polite"' in page
    assert 'name="idempotency_key"' in page
    assert 'enctype="multipart/form-data"' in page


def test_a_citizen_sees_their_own_questions_and_answers_only(client, login_as, make_question):
    from extensions import db
    from feedback.models import QuestionState

    citizen = login_as("citizen")
    mine = make_question(QuestionState.PUBLISHED, title="Câu hỏi của tôi về hộ tịch", consent=False,
                         answer="<p>Trả lời riêng cho tôi.</p>")
    mine.asker_user_id = citizen.id
    make_question(QuestionState.PUBLISHED, title="Câu hỏi của người khác")
    db.session.commit()
    page = client.get("/tai-khoan/cau-hoi").get_data(as_text=True)
    assert "Câu hỏi của tôi về hộ tịch" in page and "Trả lời riêng cho tôi." in page
    assert "Câu hỏi của người khác" not in page
