"""Following a question with its tracking code and the contact given when asking: the asker sees their
question, its public history and, once published, the answer; nobody else sees anything of it."""
import re

import pytest

from accounts.models import Role
from extensions import db
from feedback import asking, workflow
from feedback.models import QuestionState

TRACK = "/tra-cuu"
EMAIL = "lan.pham@example.vn"
PHONE = "0912345678"
TITLE = "Thủ tục cấp đổi giấy phép lái xe quá hạn ở Pleiku"
BODY = "Giấy phép lái xe hạng B2 của tôi đã quá hạn ba tháng. Tôi cần làm thủ tục gì để cấp đổi?"


@pytest.fixture
def question(make_question):
    return make_question(QuestionState.SUBMITTED, title=TITLE, body=BODY, email=EMAIL, phone=PHONE)


def _track(client, code, contact):
    return client.post(TRACK, data={"code": code, "contact": contact})


def _timeline(page):
    """The items of the public history on the tracking page."""
    block = re.search(r'<ol class="timeline">(.*?)</ol>', page, re.S)
    return re.findall(r"<li>(.*?)</li>", block.group(1), re.S) if block else []


def _error(page):
    found = re.search(r'<div id="code-error"[^>]*>(.*?)</div>|<p class="field-error" id="code-error">(.*?)</p>',
                      page, re.S)
    return (found.group(1) or found.group(2)).strip() if found else ""


def test_the_tracking_page_asks_for_the_code_and_contact_by_post(client):
    page = client.get(TRACK).get_data(as_text=True)
    assert re.search(r'<form method="post" action="/tra-cuu"', page)
    assert 'name="code"' in page and 'name="contact"' in page


def test_the_right_code_and_email_show_the_question_and_its_history(client, question):
    client.set_cookie("lang", "en")
    response = _track(client, asking.format_code(question.tracking_code), EMAIL)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert TITLE in page and BODY in page
    assert asking.format_code(question.tracking_code) in page
    assert "Awaiting moderation" in page
    items = _timeline(page)
    assert len(items) == 1
    assert "Question received; awaiting moderation." in items[0]


@pytest.mark.parametrize("contact", ["LAN.PHAM@EXAMPLE.VN", "  Lan.Pham@Example.vn  ", PHONE, "091 234 5678",
                                     "0912-345-678", "+84912345678", "+84 912 345 678"])
def test_the_contact_may_be_the_email_in_any_case_or_the_phone_as_written(client, question, contact):
    response = _track(client, question.tracking_code, contact)
    assert response.status_code == 200
    assert TITLE in response.get_data(as_text=True)


def test_a_phone_given_with_the_country_code_is_found_with_the_national_form(client, make_question):
    asked = make_question(email=None, phone="+84987654321")
    assert _track(client, asked.tracking_code, "0987 654 321").status_code == 200


@pytest.mark.parametrize("shape", [str.lower, lambda c: f"{c[:5]} {c[5:]}".lower(), lambda c: f" {c[:5]}-{c[5:]} ",
                                   lambda c: "-".join(c), lambda c: f"{c[:3]} {c[3:7]} - {c[7:]}".lower()])
def test_the_code_may_be_typed_in_lower_case_with_spaces_and_dashes(client, question, shape):
    response = _track(client, shape(question.tracking_code), EMAIL)
    assert response.status_code == 200
    assert TITLE in response.get_data(as_text=True)


def test_a_wrong_contact_and_a_wrong_code_give_the_same_refusal_and_show_nothing(client, question, make_question):
    client.set_cookie("lang", "en")
    other = make_question(email="khac@example.vn")
    wrong_contact = _track(client, question.tracking_code, "ai.do@example.vn")
    wrong_phone = _track(client, question.tracking_code, "0909000111")
    wrong_code = _track(client, "ABCDE-FGHJK", EMAIL)
    someone_elses = _track(client, other.tracking_code, EMAIL)
    responses = [wrong_contact, wrong_phone, wrong_code, someone_elses]
    assert {r.status_code for r in responses} == {422}
    errors = {_error(r.get_data(as_text=True)) for r in responses}
    assert len(errors) == 1
    assert "No question matches this code and contact." in errors.pop()
    for response in responses:
        page = response.get_data(as_text=True)
        assert TITLE not in page and BODY not in page
        assert other.title not in page
        assert _timeline(page) == []


def test_a_refusal_keeps_what_was_typed(client, question):
    page = _track(client, "abcde-fghjk", "ai.do@example.vn").get_data(as_text=True)
    assert 'value="abcde-fghjk"' in page
    assert 'value="ai.do@example.vn"' in page


@pytest.mark.parametrize("data", [{"code": "", "contact": EMAIL}, {"code": "X", "contact": ""}, {}])
def test_missing_code_or_contact_is_refused(client, question, data):
    response = client.post(TRACK, data=data)
    assert response.status_code == 422
    assert TITLE not in response.get_data(as_text=True)


def test_a_phone_does_not_open_a_question_asked_with_an_email_only(client, make_question):
    asked = make_question(email=EMAIL, phone=None, title=TITLE)
    response = _track(client, asked.tracking_code, "0912345678")
    assert response.status_code == 422
    assert TITLE not in response.get_data(as_text=True)


def test_contact_data_never_goes_in_the_address(client, question):
    response = client.get(f"{TRACK}?code={question.tracking_code}&contact={EMAIL}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert TITLE not in page
    assert 'method="post"' in page


# What the asker sees as the question moves on


@pytest.fixture
def people(make_user, make_agency):
    agency = make_agency(name="Sở Giao thông vận tải")
    agency.requires_approval = True
    db.session.commit()
    return {"agency": agency,
            "moderator": make_user(Role.MODERATOR, name="Kiểm Duyệt Viên"),
            "staff": make_user(Role.STAFF, agency=agency, name="Cán Bộ Xử Lý"),
            "leader": make_user(Role.LEADER, agency=agency, name="Lãnh Đạo Sở")}


DRAFT = "Bản nháp đầu tiên chưa được duyệt, không được công khai."
RETURN_NOTE = "Ghi chú trả lại: bổ sung căn cứ pháp lý ở đoạn hai."
NOTE = "Ghi chú nội bộ: đã gọi điện cho người hỏi ngày 12."
ANSWER = "Theo Thông tư 35/2024/TT-BGTVT, giấy phép quá hạn dưới 3 tháng được cấp đổi trực tuyến."


def _through_the_agency(question, people, publish=True):
    workflow.assign(question, people["moderator"], people["agency"])
    workflow.claim(question, people["staff"])
    workflow.add_note(question, people["staff"], NOTE)
    workflow.save_draft(question, people["staff"], DRAFT)
    workflow.submit_for_approval(question, people["staff"])
    workflow.return_for_changes(question, people["leader"], RETURN_NOTE)
    workflow.save_draft(question, people["staff"], ANSWER)
    workflow.submit_for_approval(question, people["staff"])
    if publish:
        workflow.approve(question, people["leader"])
    db.session.commit()


def test_internal_steps_notes_and_drafts_never_show_to_the_asker(client, question, people):
    _through_the_agency(question, people, publish=False)
    client.set_cookie("lang", "en")
    page = _track(client, question.tracking_code, EMAIL).get_data(as_text=True)
    items = _timeline(page)
    assert len(items) == 2
    assert "Question received" in items[0]
    assert "Sent to Sở Giao thông vận tải to answer." in items[1]
    for hidden in (DRAFT, ANSWER, RETURN_NOTE, NOTE, "claim", "save_draft", "submit_for_approval",
                   "return_for_changes", "took it on", "returned the answer for changes", "Cán Bộ Xử Lý",
                   "Lãnh Đạo Sở", "Kiểm Duyệt Viên"):
        assert hidden not in page, hidden
    assert "Awaiting leader approval" in page


def test_after_publication_the_answer_shows_and_the_history_ends_answered(client, question, people):
    _through_the_agency(question, people)
    client.set_cookie("lang", "en")
    page = _track(client, question.tracking_code, "0912 345 678").get_data(as_text=True)
    assert "Answered" in page
    items = _timeline(page)
    assert [("received" in i, "Sent to" in i, "Answered." in i) for i in items] == [
        (True, False, False), (False, True, False), (False, False, True)]
    answer = re.search(r'<div class="rich-text" hx-ignore>(.*?)</div>', page, re.S)
    assert answer and ANSWER in answer.group(1)
    assert "Answer from Sở Giao thông vận tải" in page
    for hidden in (DRAFT, RETURN_NOTE, NOTE, "Cán Bộ Xử Lý", "Lãnh Đạo Sở"):
        assert hidden not in page, hidden


def test_a_forward_shows_as_being_sent_on_without_the_agencys_reason(client, question, people):
    workflow.assign(question, people["moderator"], people["agency"])
    workflow.forward(question, people["staff"], "Lý do nội bộ: việc này thuộc Công an tỉnh")
    db.session.commit()
    client.set_cookie("lang", "en")
    page = _track(client, question.tracking_code, EMAIL).get_data(as_text=True)
    assert "Being sent to the right agency." in _timeline(page)[-1]
    assert "Lý do nội bộ" not in page


def test_a_rejection_shows_its_reason(client, question, people):
    workflow.reject(question, people["moderator"], "out_of_scope", note="Xem hướng dẫn của Tòa án.")
    db.session.commit()
    client.set_cookie("lang", "en")
    page = _track(client, question.tracking_code, EMAIL).get_data(as_text=True)
    assert "Rejected" in page
    assert "Not accepted: Outside the portal&#39;s scope" in page or "Not accepted: Outside the portal's scope" in page


def test_the_moderators_note_to_the_asker_shows_on_the_tracking_page(client, question, people):
    workflow.reject(question, people["moderator"], "out_of_scope",
                    note="Câu hỏi này thuộc thẩm quyền của Tòa án nhân dân tỉnh.")
    db.session.commit()
    page = _track(client, question.tracking_code, EMAIL).get_data(as_text=True)
    assert "Câu hỏi này thuộc thẩm quyền của Tòa án nhân dân tỉnh." in page


def test_the_asker_sees_their_own_wording_not_the_moderators_public_one(client, make_question, people):
    published = make_question(QuestionState.PUBLISHED, title=TITLE, body=BODY, email=EMAIL)
    workflow.edit_wording(published, people["moderator"], "Cấp đổi giấy phép lái xe quá hạn",
                          "Giấy phép lái xe quá hạn ba tháng thì cấp đổi thế nào?")
    db.session.commit()
    page = _track(client, published.tracking_code, EMAIL).get_data(as_text=True)
    assert TITLE in page


# Guessing


def test_more_than_20_attempts_a_minute_get_429(client, question):
    for n in range(20):
        assert _track(client, f"AAAAA{n:05d}", EMAIL).status_code == 422
    blocked = _track(client, question.tracking_code, EMAIL)
    assert blocked.status_code == 429
    assert TITLE not in blocked.get_data(as_text=True)
    assert "Retry-After" in blocked.headers


def test_successful_look_ups_count_too(client, question):
    for _ in range(20):
        assert _track(client, question.tracking_code, EMAIL).status_code == 200
    assert _track(client, question.tracking_code, EMAIL).status_code == 429


def test_opening_the_form_does_not_count(client, question):
    for _ in range(25):
        assert client.get(TRACK).status_code == 200
    assert _track(client, question.tracking_code, EMAIL).status_code == 200
