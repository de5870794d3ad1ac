"""A question's life through the staff pages: moderators assign or reject, agencies answer, leaders approve;
who may do what, what each step records, and what it tells whom."""
import re
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa

import search
import workdays
from accounts.models import Role
from audit import AuditEntry
from extensions import db
from feedback import workflow
from feedback.models import (Answer, Attachment, Holiday, InternalNote, Question, QuestionEvent, QuestionState,
                             RejectionReason)
from notifications import OutboxMessage
from search import SearchDocument
from testapp import PASSWORD

S = QuestionState
XSS = Path("/work/shared/corpora/xss_payloads_quick.txt")
ASKER = "nguoi.hoi@example.vn"


@pytest.fixture
def signed_in(app):
    """A separate browser signed in as user (English unless told otherwise)."""
    def open_as(user, lang="en"):
        client = app.test_client()
        response = client.post("/dang-nhap", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        if lang:
            client.set_cookie("lang", lang)
        return client
    return open_as


@pytest.fixture
def team(make_agency, make_user):
    agency = make_agency(name="Sở Tài nguyên và Môi trường")
    other = make_agency(name="Sở Y tế")
    return {
        "agency": agency, "other_agency": other,
        "moderator": make_user(Role.MODERATOR, name="Đỗ Kiểm Duyệt", email="kiem.duyet@example.vn"),
        "staff": make_user(Role.STAFF, agency=agency, name="Vũ Cán Bộ", email="can.bo@example.vn"),
        "colleague": make_user(Role.STAFF, agency=agency, name="Hà Đồng Nghiệp", email="dong.nghiep@example.vn"),
        "leader": make_user(Role.LEADER, agency=agency, name="Phan Lãnh Đạo", email="lanh.dao@example.vn"),
        "other_staff": make_user(Role.STAFF, agency=other, name="Lý Sở Khác", email="so.khac@example.vn"),
        "other_leader": make_user(Role.LEADER, agency=other, email="lanh.dao.khac@example.vn"),
        "citizen": make_user(Role.CITIZEN, email="cong.dan@example.vn"),
    }


def _requires_approval(agency):
    agency.requires_approval = True
    db.session.commit()


def _act(client, question, action, **form):
    return client.post(f"/can-bo/hoi-dap/{question.id}/{action}", data=form)


def _fresh(question):
    db.session.expire_all()
    return db.session.get(Question, question.id)


def _events(question):
    return db.session.scalars(sa.select(QuestionEvent).where(QuestionEvent.question_id == question.id)
                              .order_by(QuestionEvent.id)).all()


def _audit(question):
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.object_type == "Question",
                                                          AuditEntry.object_id == question.id)
                              .order_by(AuditEntry.id)).all()


def _outbox(kind=None):
    stmt = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        stmt = stmt.where(OutboxMessage.kind == kind)
    return db.session.scalars(stmt).all()


def _indexed(question):
    return db.session.scalar(sa.select(SearchDocument).where(SearchDocument.kind == "question",
                                                             SearchDocument.object_id == question.id))


def _snapshot(question):
    """Everything a refused step must leave as it was."""
    db.session.expire_all()
    q = db.session.get(Question, question.id)
    answer = db.session.scalar(sa.select(Answer).where(Answer.question_id == q.id))
    return (q.state, q.agency_id, q.due_on, q.claimed_by_id, q.published_at, q.rejection_reason, q.duplicate_of_id,
            q.public_title, q.public_body, answer.body_html if answer else None,
            answer.published_at if answer else None, len(_events(q)), len(_audit(q)), len(_outbox()),
            _indexed(q) is not None,
            db.session.scalar(sa.select(sa.func.count(InternalNote.id)).where(InternalNote.question_id == q.id)))


def _flash(page):
    return " ".join(re.findall(r'class="message message-error"[^>]*>(.*?)<', page, re.S)) or page


def _textarea(page, name):
    found = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    return found.group(1).strip() if found else None


# Moderators: assign


def test_a_moderator_assigns_a_question_due_ten_working_days_later(signed_in, team, make_question, monkeypatch):
    monkeypatch.setattr(workdays, "today", lambda: date(2026, 4, 24))  # a Friday
    question = make_question(S.SUBMITTED)
    response = _act(signed_in(team["moderator"]), question, "assign", agency=str(team["agency"].id))
    assert response.status_code == 303
    assert response.headers["Location"] == "/kiem-duyet/hoi-dap"
    question = _fresh(question)
    assert question.state is S.ASSIGNED
    assert question.agency_id == team["agency"].id
    assert question.assigned_at is not None
    assert question.due_on == date(2026, 5, 8)  # two weekends skipped


def test_the_due_date_skips_holidays_kept_in_the_database(signed_in, team, make_question, monkeypatch):
    monkeypatch.setattr(workdays, "today", lambda: date(2026, 4, 24))
    db.session.add_all([Holiday(day=date(2026, 4, 30), name="Ngày Giải phóng miền Nam"),
                        Holiday(day=date(2026, 5, 1), name="Ngày Quốc tế Lao động")])
    db.session.commit()
    question = make_question(S.SUBMITTED)
    _act(signed_in(team["moderator"]), question, "assign", agency=str(team["agency"].id))
    assert _fresh(question).due_on == date(2026, 5, 12)


def test_the_due_date_counts_from_today_in_vietnam(app, team, make_question):
    from zoneinfo import ZoneInfo
    from datetime import datetime

    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    holidays = set(db.session.scalars(sa.select(Holiday.day)))
    day, left = today, app.config["DUE_WORKING_DAYS"]
    while left:
        day += timedelta(days=1)
        left -= day.weekday() < 5 and day not in holidays
    question = make_question(S.SUBMITTED)
    workflow.assign(question, team["moderator"], team["agency"])
    assert question.due_on == day


def test_assigning_is_recorded_with_its_actor_and_agency(signed_in, team, make_question):
    question = make_question(S.SUBMITTED)
    _act(signed_in(team["moderator"]), question, "assign", agency=str(team["agency"].id))
    event = _events(question)[-1]
    assert (event.action, event.from_state, event.to_state) == ("assign", "submitted", "assigned")
    assert (event.actor_id, event.agency_id) == (team["moderator"].id, team["agency"].id)
    [entry] = _audit(question)
    assert (entry.action, entry.actor_id) == ("question.assign", team["moderator"].id)


def test_the_agencys_staff_and_leaders_get_an_email_when_a_question_is_assigned(signed_in, team, make_question,
                                                                                 make_user):
    inactive = make_user(Role.STAFF, agency=team["agency"], email="nghi.viec@example.vn", active=False)
    question = make_question(S.SUBMITTED, title="Xin hỏi về bồi thường khi thu hồi đất nông nghiệp")
    _act(signed_in(team["moderator"]), question, "assign", agency=str(team["agency"].id))
    messages = _outbox("question.assigned")
    assert sorted(m.to_address for m in messages) == sorted(
        [team["staff"].email, team["colleague"].email, team["leader"].email])
    assert inactive.email not in {m.to_address for m in messages}
    assert all("Xin hỏi về bồi thường" in m.subject for m in messages)
    assert all(f"/can-bo/hoi-dap/{question.id}" in m.body for m in messages)
    assert _outbox("question.answer") == []


def test_assigning_without_an_agency_is_refused(signed_in, team, make_question):
    question = make_question(S.SUBMITTED)
    before = _snapshot(question)
    response = _act(signed_in(team["moderator"]), question, "assign", agency="")
    assert response.status_code == 409
    assert "Choose the agency that must answer." in _flash(response.get_data(as_text=True))
    assert _snapshot(question) == before


# Moderators: reject


def test_a_moderator_rejects_a_question_with_a_reason_and_a_note(signed_in, team, make_question):
    question = make_question(S.SUBMITTED)
    response = _act(signed_in(team["moderator"]), question, "reject", reason="spam", note="Quảng cáo bán đất nền")
    assert response.status_code == 303
    assert response.headers["Location"] == "/kiem-duyet/hoi-dap"
    question = _fresh(question)
    assert question.state is S.REJECTED
    assert question.rejection_reason is RejectionReason.SPAM
    assert question.rejection_note == "Quảng cáo bán đất nền"
    event = _events(question)[-1]
    assert (event.action, event.actor_id, event.to_state) == ("reject", team["moderator"].id, "rejected")
    assert "Quảng cáo bán đất nền" in event.note
    assert [e.action for e in _audit(question)] == ["question.reject"]


def test_a_moderator_rejects_without_the_optional_note(signed_in, team, make_question):
    question = make_question(S.SUBMITTED)
    response = _act(signed_in(team["moderator"]), question, "reject", reason="abusive", note="")
    assert response.status_code == 303
    assert _fresh(question).state is S.REJECTED


@pytest.mark.parametrize("reason", ["", "khong-ro"])
def test_a_rejection_without_a_known_reason_is_refused(signed_in, team, make_question, reason):
    question = make_question(S.SUBMITTED)
    before = _snapshot(question)
    response = _act(signed_in(team["moderator"]), question, "reject", reason=reason, note="Ghi chú")
    assert response.status_code == 409
    assert _snapshot(question) == before


def test_a_duplicate_must_name_the_question_it_repeats(signed_in, team, make_question):
    question = make_question(S.SUBMITTED)
    before = _snapshot(question)
    client = signed_in(team["moderator"])
    for duplicate_of in ("", str(question.id), "99999999"):
        response = _act(client, question, "reject", reason="duplicate", duplicate_of=duplicate_of, note="Trùng")
        assert response.status_code == 409
        assert "Give the number of a published question that already answers this one." in _flash(response.get_data(as_text=True))
    assert _snapshot(question) == before


def test_a_duplicate_is_linked_to_the_earlier_answer_on_the_tracking_page(client, signed_in, team, make_question):
    earlier = make_question(S.PUBLISHED)
    question = make_question(S.SUBMITTED, email="hoi.lai@example.vn")
    response = _act(signed_in(team["moderator"]), question, "reject", reason="duplicate",
                    duplicate_of=str(earlier.id), note="Đã được trả lời")
    assert response.status_code == 303
    assert _fresh(question).duplicate_of_id == earlier.id
    page = client.post("/tra-cuu", data={"code": question.tracking_code, "contact": "hoi.lai@example.vn"})
    assert f'href="/hoi-dap/{earlier.id}"' in page.get_data(as_text=True)


@pytest.mark.parametrize("earlier_state,consent", [(S.SUBMITTED, True), (S.ASSIGNED, True), (S.PUBLISHED, False)])
def test_the_tracking_page_never_links_a_duplicate_to_a_page_the_asker_cannot_open(client, signed_in, team,
                                                                                 make_question, earlier_state,
                                                                                 consent):
    earlier = make_question(earlier_state, consent=consent)
    question = make_question(S.SUBMITTED, email="hoi.lai@example.vn")
    response = _act(signed_in(team["moderator"]), question, "reject", reason="duplicate", duplicate_of=str(earlier.id))
    assert response.status_code == 409  # only a published, public answer can be the original
    assert _fresh(question).state is S.SUBMITTED
    page = client.post("/tra-cuu", data={"code": question.tracking_code, "contact": "hoi.lai@example.vn"})
    for link in re.findall(r'href="(/hoi-dap/\d+)"', page.get_data(as_text=True)):
        assert client.get(link).status_code == 200, link


# Moderators: the public wording


def test_a_moderator_edits_the_public_wording_and_the_original_is_kept(client, signed_in, team, make_question):
    question = make_question(S.PUBLISHED, title="Ông Nguyễn Văn Bình ở thôn Plei Ơi hỏi về đất rẫy",
                             body="Tôi là Nguyễn Văn Bình, số điện thoại 0905111222, muốn hỏi về đất rẫy lâu năm.")
    moderator = signed_in(team["moderator"])
    response = _act(moderator, question, "edit_wording", title="Hỏi về cấp giấy chứng nhận đất rẫy",
                    body="Gia đình tôi canh tác đất rẫy lâu năm, muốn hỏi thủ tục cấp giấy chứng nhận.")
    assert response.status_code == 303
    question = _fresh(question)
    assert question.title == "Ông Nguyễn Văn Bình ở thôn Plei Ơi hỏi về đất rẫy"
    assert question.body.startswith("Tôi là Nguyễn Văn Bình")
    assert question.public_title == "Hỏi về cấp giấy chứng nhận đất rẫy"
    assert question.state is S.PUBLISHED
    assert [e.action for e in _audit(question)] == ["question.edit_wording"]
    assert _events(question)[-1].actor_id == team["moderator"].id

    for path in (f"/hoi-dap/{question.id}", "/hoi-dap", "/hoi-dap/moi.atom", "/hoi-dap/du-lieu.json", "/"):
        text = client.get(path).get_data(as_text=True)
        assert "Nguyễn Văn Bình" not in text and "0905111222" not in text, path
    detail = client.get(f"/hoi-dap/{question.id}").get_data(as_text=True)
    assert "Hỏi về cấp giấy chứng nhận đất rẫy" in detail
    assert "canh tác đất rẫy lâu năm" in detail

    found = client.get("/hoi-dap?q=canh+tac+dat+ray").get_data(as_text=True)
    assert f'href="/hoi-dap/{question.id}"' in found
    assert search.search("question", "Binh Plei").ids == []
    assert f'href="/hoi-dap/{question.id}"' not in client.get("/hoi-dap?q=nguyen+van+binh").get_data(as_text=True)

    work = moderator.get(f"/can-bo/hoi-dap/{question.id}").get_data(as_text=True)
    assert "Ông Nguyễn Văn Bình ở thôn Plei Ơi hỏi về đất rẫy" in work
    assert "Public wording (edited by a moderator)" in work


def test_empty_public_wording_is_refused(signed_in, team, make_question):
    question = make_question(S.PUBLISHED)
    before = _snapshot(question)
    response = _act(signed_in(team["moderator"]), question, "edit_wording", title=" ", body="Nội dung")
    assert response.status_code == 409
    assert _snapshot(question) == before


def test_agency_staff_cannot_edit_the_public_wording(signed_in, team, make_question):
    question = make_question(S.PUBLISHED, agency=team["agency"])
    before = _snapshot(question)
    response = _act(signed_in(team["staff"]), question, "edit_wording", title="Tiêu đề mới cho câu hỏi",
                    body="Nội dung mới của câu hỏi đã sửa")
    assert response.status_code == 409
    assert _snapshot(question) == before


# The agency: claim, draft, publish


def test_staff_claim_a_question_and_the_inbox_says_who_handles_it(signed_in, team, make_question):
    question = make_question(S.ASSIGNED, agency=team["agency"])
    staff = signed_in(team["staff"])
    response = _act(staff, question, "claim")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/can-bo/hoi-dap/{question.id}"
    assert _fresh(question).claimed_by_id == team["staff"].id
    event = _events(question)[-1]
    assert (event.action, event.actor_id) == ("claim", team["staff"].id)
    inbox = signed_in(team["colleague"]).get("/can-bo/hoi-dap").get_data(as_text=True)
    assert "Vũ Cán Bộ" in inbox
    work = signed_in(team["colleague"]).get(f"/can-bo/hoi-dap/{question.id}").get_data(as_text=True)
    assert "Vũ Cán Bộ is handling this question." in work


def test_saving_a_draft_keeps_the_answer_and_moves_the_question_into_progress(signed_in, team, make_question):
    question = make_question(S.ASSIGNED, agency=team["agency"])
    response = _act(signed_in(team["staff"]), question, "save_draft",
                    answer="Chào ông/bà,\n\nHồ sơ gồm:\n<ul><li>Đơn đề nghị</li></ul>")
    assert response.status_code == 303
    question = _fresh(question)
    assert question.state is S.DRAFTED
    assert question.claimed_by_id == team["staff"].id
    assert "<li>Đơn đề nghị</li>" in question.answer.body_html
    assert question.answer.author_id == team["staff"].id
    assert [(e.action, e.actor_id) for e in _events(question)][-1] == ("save_draft", team["staff"].id)
    assert [e.action for e in _audit(question)] == ["question.save_draft"]


def test_typed_text_becomes_paragraphs_and_line_breaks(signed_in, team, make_question):
    question = make_question(S.ASSIGNED, agency=team["agency"])
    _act(signed_in(team["staff"]), question, "save_draft", answer="Dòng một\nDòng hai\n\nĐoạn hai")
    assert _fresh(question).answer.body_html == "<p>Dòng một<br>Dòng hai</p><p>Đoạn hai</p>"


@pytest.mark.parametrize("answer", ["", "   ", "\n\n"])
def test_an_empty_answer_is_refused(signed_in, team, make_question, answer):
    question = make_question(S.ASSIGNED, agency=team["agency"])
    before = _snapshot(question)
    response = _act(signed_in(team["staff"]), question, "save_draft", answer=answer)
    assert response.status_code == 409
    assert "Write the answer before saving it." in _flash(response.get_data(as_text=True))
    assert _snapshot(question) == before


@pytest.mark.parametrize("answer", ["<script></script>", "<p> </p>", "<br>", "<div hx-get='/x'></div>"])
def test_an_answer_with_no_text_once_sanitized_is_refused(signed_in, team, make_question, answer):
    question = make_question(S.ASSIGNED, agency=team["agency"])
    response = _act(signed_in(team["staff"]), question, "publish", answer=answer)
    assert response.status_code == 409
    assert _fresh(question).state is S.ASSIGNED


class _Markup(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


ALLOWED = {"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "a", "blockquote"}


def _assert_safe(html):
    parser = _Markup()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag in ALLOWED, (tag, html)
        assert set(attrs) <= ({"href", "title", "rel"} if tag == "a" else set()), (tag, attrs)
        href = (attrs.get("href") or "").strip().lower()
        assert not href or href.startswith(("http://", "https://", "mailto:")), href
    lowered = html.lower()
    assert "<script" not in lowered and "<iframe" not in lowered and "<svg" not in lowered
    assert not re.search(r"<[^>]*\s(on\w+|style|hx-[\w-]+|formaction)\s*=", lowered)
    return parser.tags


PAYLOADS = [line for line in XSS.read_text(encoding="utf-8").splitlines() if line.strip()] + [
    '<p style="color:red" onclick="alert(1)" hx-get="/dang-xuat" hx-trigger="load">Xin chào</p>',
    '<div hx-post="/can-bo/hoi-dap/1/publish" hx-trigger="load">tự gửi</div>',
    '<a href="javascript:alert(1)">bấm vào đây</a>', '<a href=" JaVaScRiPt:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">dữ liệu</a>',
    '<strong onmouseover="alert(1)" style="font-size:99px">đậm</strong>',
    '<blockquote hx-on:click="alert(1)">trích dẫn</blockquote>',
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_xss_payload_is_sanitized_in_the_saved_answer(team, make_question, payload):
    question = make_question(S.ASSIGNED, agency=team["agency"])
    answer = workflow.save_draft(question, team["staff"], payload + "\n\nNội dung trả lời.")
    _assert_safe(answer.body_html)


def test_a_hostile_answer_is_stored_and_shown_clean_while_light_formatting_survives(client, signed_in, team,
                                                                                    make_question):
    question = make_question(S.ASSIGNED, agency=team["agency"])
    formatting = ('<p><strong>Căn cứ</strong> <em>Luật Đất đai 2024</em>, xem '
                  '<a href="https://dichvucong.gov.vn/thu-tuc">Cổng dịch vụ công</a>.</p>'
                  '<ul><li>Đơn đề nghị</li><li>Bản sao CCCD</li></ul>')
    staff = signed_in(team["staff"])
    response = _act(staff, question, "publish", answer=formatting + "".join(PAYLOADS))
    assert response.status_code == 303
    stored = _fresh(question).answer.body_html
    tags = _assert_safe(stored)
    assert ("strong", {}) in tags and ("li", {}) in tags
    assert ("a", {"href": "https://dichvucong.gov.vn/thu-tuc"}) in [(t, {k: v for k, v in a.items() if k != "rel"})
                                                                    for t, a in tags]
    preview = re.search(r'<div class="rich-text[^"]*" hx-ignore>(.*?)</div>',
                        client.get(f"/hoi-dap/{question.id}").get_data(as_text=True), re.S).group(1)
    _assert_safe(preview)
    assert "<strong>Căn cứ</strong>" in preview


def test_links_in_an_answer_carry_no_referrer_and_no_ranking_credit(client, signed_in, team, make_question):
    question = make_question(S.ASSIGNED, agency=team["agency"])
    _act(signed_in(team["staff"]), question, "publish",
         answer='Xem <a href="https://dichvucong.gov.vn">Cổng dịch vụ công</a> hoặc https://gialai.gov.vn')
    page = client.get(f"/hoi-dap/{question.id}").get_data(as_text=True)
    answer = re.search(r'<div class="rich-text" hx-ignore>(.*?)</div>', page, re.S).group(1)
    links = [attrs for tag, attrs in _assert_safe(answer) if tag == "a"]
    assert len(links) == 2
    assert all(a.get("rel") == "nofollow noopener noreferrer" for a in links)


def test_staff_publish_an_answer_when_the_agency_needs_no_approval(client, signed_in, team, make_question):
    question = make_question(S.ASSIGNED, agency=team["agency"], email=ASKER)
    response = _act(signed_in(team["staff"]), question, "publish", answer="Hồ sơ được giải quyết trong 10 ngày.")
    assert response.status_code == 303
    question = _fresh(question)
    assert question.state is S.PUBLISHED
    assert question.published_at is not None and question.answer.published_at == question.published_at
    assert [(e.action, e.actor_id) for e in _events(question)][-2:] == [("save_draft", team["staff"].id),
                                                                       ("publish", team["staff"].id)]
    assert [e.action for e in _audit(question)] == ["question.save_draft", "question.publish"]
    [message] = _outbox("question.answer")
    assert message.to_address == ASKER
    assert _indexed(question) is not None
    page = client.get(f"/hoi-dap/{question.id}")
    assert page.status_code == 200
    assert "Hồ sơ được giải quyết trong 10 ngày." in page.get_data(as_text=True)
    assert f'href="/hoi-dap/{question.id}"' in client.get("/hoi-dap?q=giai+quyet+10+ngay").get_data(as_text=True)


def test_an_answer_without_consent_goes_to_the_asker_only(client, signed_in, team, make_question):
    question = make_question(S.DRAFTED, agency=team["agency"], consent=False, email=ASKER)
    response = _act(signed_in(team["staff"]), question, "publish")
    assert response.status_code == 303
    assert _fresh(question).state is S.PUBLISHED
    assert [m.to_address for m in _outbox("question.answer")] == [ASKER]
    assert _indexed(question) is None
    assert client.get(f"/hoi-dap/{question.id}").status_code == 404
    tracking = client.post("/tra-cuu", data={"code": question.tracking_code, "contact": ASKER})
    assert "Câu trả lời của cơ quan." in tracking.get_data(as_text=True)


def test_an_asker_with_only_a_phone_gets_no_email(signed_in, team, make_question):
    question = make_question(S.DRAFTED, agency=team["agency"], email=None, phone="0912345678")
    assert _act(signed_in(team["staff"]), question, "publish").status_code == 303
    assert _outbox() == []


def test_submitting_for_approval_is_refused_when_the_agency_needs_none(signed_in, team, make_question):
    question = make_question(S.DRAFTED, agency=team["agency"])
    before = _snapshot(question)
    assert _act(signed_in(team["staff"]), question, "submit_for_approval").status_code == 409
    assert _snapshot(question) == before


# The leader's approval


def test_staff_cannot_publish_when_the_agency_requires_approval(signed_in, team, make_question):
    _requires_approval(team["agency"])
    question = make_question(S.ASSIGNED, agency=team["agency"])
    before = _snapshot(question)
    typed = "Câu trả lời đang soạn: hồ sơ nộp tại Bộ phận một cửa."
    response = _act(signed_in(team["staff"]), question, "publish", answer=typed)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "a leader approves answers before publication" in _flash(page)
    assert _textarea(page, "answer") == typed
    assert "Send to the leader for approval" in page
    assert _snapshot(question) == before
    assert _outbox() == []


def test_the_work_page_offers_staff_approval_not_publication(signed_in, team, make_question):
    _requires_approval(team["agency"])
    question = make_question(S.DRAFTED, agency=team["agency"])
    page = signed_in(team["staff"]).get(f"/can-bo/hoi-dap/{question.id}").get_data(as_text=True)
    assert "Send to the leader for approval" in page
    assert "/publish" not in page


def test_staff_submit_for_approval_and_the_leader_approves_which_publishes(client, signed_in, team, make_question):
    _requires_approval(team["agency"])
    question = make_question(S.ASSIGNED, agency=team["agency"], email=ASKER)
    staff, leader = signed_in(team["staff"]), signed_in(team["leader"])
    response = _act(staff, question, "submit_for_approval", answer="Đề nghị ông/bà nộp hồ sơ trực tuyến.")
    assert response.status_code == 303
    question = _fresh(question)
    assert question.state is S.PENDING_APPROVAL
    assert question.answer.body_html == "<p>Đề nghị ông/bà nộp hồ sơ trực tuyến.</p>"
    assert _outbox("question.answer") == []
    assert client.get(f"/hoi-dap/{question.id}").status_code == 404

    page = leader.get(f"/can-bo/hoi-dap/{question.id}").get_data(as_text=True)
    assert "Approve and publish" in page and "Đề nghị ông/bà nộp hồ sơ trực tuyến." in page
    assert _act(staff, question, "approve").status_code == 409
    assert _act(leader, question, "approve").status_code == 303
    question = _fresh(question)
    assert question.state is S.PUBLISHED
    assert question.answer.approved_by_id == team["leader"].id and question.answer.approved_at is not None
    assert [(e.action, e.actor_id) for e in _events(question)][-3:] == [
        ("save_draft", team["staff"].id), ("submit_for_approval", team["staff"].id), ("approve", team["leader"].id)]
    assert [e.action for e in _audit(question)] == ["question.save_draft", "question.submit_for_approval",
                                                    "question.approve"]
    assert [m.to_address for m in _outbox("question.answer")] == [ASKER]
    assert _indexed(question) is not None
    assert client.get(f"/hoi-dap/{question.id}").status_code == 200


def test_the_leader_returns_the_draft_for_changes_with_a_note(signed_in, team, make_question):
    _requires_approval(team["agency"])
    question = make_question(S.PENDING_APPROVAL, agency=team["agency"])
    leader = signed_in(team["leader"])
    before = _snapshot(question)
    refused = _act(leader, question, "return_for_changes", note="  ")
    assert refused.status_code == 409
    assert "Say what should be changed." in _flash(refused.get_data(as_text=True))
    assert _snapshot(question) == before
    assert _act(leader, question, "return_for_changes", note="Bổ sung căn cứ pháp lý").status_code == 303
    question = _fresh(question)
    assert question.state is S.DRAFTED
    event = _events(question)[-1]
    assert (event.action, event.actor_id, event.note) == ("return_for_changes", team["leader"].id,
                                                          "Bổ sung căn cứ pháp lý")
    assert "Bổ sung căn cứ pháp lý" in signed_in(team["staff"]).get(f"/can-bo/hoi-dap/{question.id}").get_data(
        as_text=True)
    assert _outbox() == []


def test_a_leader_may_publish_directly(signed_in, team, make_question):
    _requires_approval(team["agency"])
    question = make_question(S.DRAFTED, agency=team["agency"])
    assert _act(signed_in(team["leader"]), question, "publish").status_code == 303
    assert _fresh(question).state is S.PUBLISHED


# Forwarding


def test_staff_forward_a_question_back_and_the_moderator_reassigns_it(signed_in, team, make_question):
    question = make_question(S.ASSIGNED, agency=team["agency"], claimed_by=team["staff"])
    staff = signed_in(team["staff"])
    refused = _act(staff, question, "forward", reason="")
    assert refused.status_code == 409
    assert "Give the reason" in _flash(refused.get_data(as_text=True))

    response = _act(staff, question, "forward", reason="Thuộc thẩm quyền của Sở Y tế")
    assert response.status_code == 303
    assert response.headers["Location"] == "/can-bo/hoi-dap"
    question = _fresh(question)
    assert question.state is S.FORWARDED and question.claimed_by_id is None
    event = _events(question)[-1]
    assert (event.action, event.actor_id, event.note) == ("forward", team["staff"].id, "Thuộc thẩm quyền của Sở Y tế")

    moderator = signed_in(team["moderator"])
    queue = moderator.get("/kiem-duyet/hoi-dap").get_data(as_text=True)
    assert f'href="/can-bo/hoi-dap/{question.id}"' in queue
    assert "Thuộc thẩm quyền của Sở Y tế" in moderator.get(f"/can-bo/hoi-dap/{question.id}").get_data(as_text=True)
    assert _act(moderator, question, "assign", agency=str(team["other_agency"].id)).status_code == 303
    question = _fresh(question)
    assert question.state is S.ASSIGNED and question.agency_id == team["other_agency"].id
    assert sorted(m.to_address for m in _outbox("question.assigned")) == sorted(
        [team["other_staff"].email, team["other_leader"].email])
    assert staff.get(f"/can-bo/hoi-dap/{question.id}").status_code == 403
    assert signed_in(team["other_staff"]).get(f"/can-bo/hoi-dap/{question.id}").status_code == 200
    assert [e.action for e in _audit(question)] == ["question.forward", "question.assign"]


def test_the_inbox_lists_the_agencys_open_questions_only(signed_in, team, make_question):
    mine = make_question(S.ASSIGNED, agency=team["agency"], title="Câu hỏi của Sở Tài nguyên đang mở")
    answered = make_question(S.PUBLISHED, agency=team["agency"], title="Câu hỏi của Sở Tài nguyên đã trả lời")
    theirs = make_question(S.ASSIGNED, agency=team["other_agency"], title="Câu hỏi của Sở Y tế đang mở")
    waiting = make_question(S.SUBMITTED, title="Câu hỏi chưa được phân công")
    staff = signed_in(team["staff"])
    page = staff.get("/can-bo/hoi-dap").get_data(as_text=True)
    assert mine.title in page
    for other in (answered, theirs, waiting):
        assert other.title not in page
    assert answered.title in staff.get("/can-bo/hoi-dap?state=published").get_data(as_text=True)
    assert theirs.title not in staff.get("/can-bo/hoi-dap?state=assigned").get_data(as_text=True)


# Who may do what


ACTIONS = {"claim": {}, "save_draft": {"answer": "Trả lời"}, "submit_for_approval": {"answer": "Trả lời"},
           "publish": {"answer": "Trả lời"}, "approve": {}, "return_for_changes": {"note": "Sửa"},
           "forward": {"reason": "Không phải của chúng tôi"}, "assign": {}, "reject": {"reason": "spam"},
           "edit_wording": {"title": "Tiêu đề khác hẳn", "body": "Nội dung khác hẳn của câu hỏi"},
           "note": {"note": "Ghi chú của người ngoài"}}


@pytest.mark.parametrize("who", ["other_staff", "other_leader"])
@pytest.mark.parametrize("state", [S.ASSIGNED, S.DRAFTED, S.PENDING_APPROVAL])
def test_another_agency_gets_403_on_the_work_page_and_every_action(signed_in, team, make_question, who, state):
    question = make_question(state, agency=team["agency"])
    client = signed_in(team[who])
    assert client.get(f"/can-bo/hoi-dap/{question.id}").status_code == 403
    before = _snapshot(question)
    for action, form in ACTIONS.items():
        form = dict(form, agency=str(team["other_agency"].id))
        assert _act(client, question, action, **form).status_code == 403, action
    assert _snapshot(question) == before


def test_agency_staff_cannot_open_a_question_not_yet_assigned(signed_in, team, make_question):
    question = make_question(S.SUBMITTED)
    client = signed_in(team["staff"])
    assert client.get(f"/can-bo/hoi-dap/{question.id}").status_code == 403
    before = _snapshot(question)
    for action in ("assign", "reject", "edit_wording"):
        assert _act(client, question, action, agency=str(team["agency"].id), reason="spam").status_code == 403
    assert _snapshot(question) == before


def test_citizens_get_403_and_visitors_are_sent_to_sign_in(client, signed_in, team, make_question):
    question = make_question(S.ASSIGNED, agency=team["agency"])
    citizen = signed_in(team["citizen"])
    before = _snapshot(question)
    assert citizen.get(f"/can-bo/hoi-dap/{question.id}").status_code == 403
    page = client.get(f"/can-bo/hoi-dap/{question.id}")
    assert page.status_code == 302 and page.headers["Location"].startswith("/dang-nhap")
    for action, form in ACTIONS.items():
        assert _act(citizen, question, action, **form).status_code == 403, action
        visitor = _act(client, question, action, **form)
        assert visitor.status_code == 302 and visitor.headers["Location"].startswith("/dang-nhap"), action
    assert _snapshot(question) == before


def test_an_unknown_action_or_question_is_404(signed_in, team, make_question):
    question = make_question(S.ASSIGNED, agency=team["agency"])
    moderator = signed_in(team["moderator"])
    assert _act(moderator, question, "delete").status_code == 404
    assert moderator.post("/can-bo/hoi-dap/99999999/claim").status_code == 404


@pytest.mark.parametrize("who,state,action,form", [
    ("moderator", S.SUBMITTED, "approve", {}),
    ("moderator", S.SUBMITTED, "publish", {}),
    ("leader", S.ASSIGNED, "approve", {}),
    ("staff", S.PUBLISHED, "publish", {}),
    ("staff", S.PUBLISHED, "publish", {"answer": "Sửa câu trả lời đã công khai"}),
    ("staff", S.PUBLISHED, "save_draft", {"answer": "Sửa câu trả lời đã công khai"}),
    ("staff", S.PUBLISHED, "forward", {"reason": "Muộn rồi"}),
    ("moderator", S.PUBLISHED, "assign", {"agency": "other"}),
    ("moderator", S.PUBLISHED, "reject", {"reason": "spam"}),
    ("moderator", S.ASSIGNED, "assign", {"agency": "other"}),
    ("moderator", S.REJECTED, "assign", {"agency": "other"}),
    ("staff", S.PENDING_APPROVAL, "save_draft", {"answer": "Sửa khi đang chờ duyệt"}),
    ("staff", S.PENDING_APPROVAL, "publish", {}),
    ("leader", S.DRAFTED, "approve", {}),
    ("staff", S.ASSIGNED, "publish", {}),
    ("staff", S.ASSIGNED, "submit_for_approval", {}),
    ("staff", S.PUBLISHED, "claim", {}),
    ("moderator", S.ASSIGNED, "save_draft", {"answer": "Người kiểm duyệt tự trả lời"}),
])
def test_an_impossible_step_is_refused_with_409_and_changes_nothing(signed_in, team, make_question, who, state, action,
                                                                   form):
    if state in (S.PENDING_APPROVAL,):
        _requires_approval(team["agency"])
    question = make_question(state, agency=team["agency"])
    if form.get("agency") == "other":
        form = dict(form, agency=str(team["other_agency"].id))
    before = _snapshot(question)
    response = _act(signed_in(team[who]), question, action, **form)
    assert response.status_code == 409
    assert 'class="message message-error"' in response.get_data(as_text=True)
    assert _snapshot(question) == before


def test_publishing_twice_sends_one_email_and_records_one_publication(signed_in, team, make_question):
    question = make_question(S.DRAFTED, agency=team["agency"], email=ASKER)
    staff = signed_in(team["staff"])
    assert _act(staff, question, "publish").status_code == 303
    assert _act(staff, question, "publish").status_code == 409
    assert len(_outbox("question.answer")) == 1
    assert [e.action for e in _events(question)].count("publish") == 1


# Attachments and notes


@pytest.fixture
def attachment(app, team, make_question):
    question = make_question(S.ASSIGNED, agency=team["agency"])
    folder = app.config["UPLOAD_DIR"]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "0123456789abcdef0123456789abcdef.pdf").write_bytes(b"%PDF-1.4 so do thua dat")
    item = Attachment(question_id=question.id, stored_name="0123456789abcdef0123456789abcdef.pdf",
                      filename="sơ đồ thửa đất.pdf", content_type="application/pdf", size=23, sha256="0" * 64)
    db.session.add(item)
    db.session.commit()
    return item


@pytest.mark.parametrize("who", ["moderator", "staff", "leader"])
def test_those_handling_the_question_download_its_files_as_attachments(signed_in, team, attachment, who):
    response = signed_in(team[who]).get(f"/can-bo/tep/{attachment.id}")
    assert response.status_code == 200
    assert response.data == b"%PDF-1.4 so do thua dat"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''s%C6%A1%20%C4%91%E1%BB%93" in response.headers["Content-Disposition"]
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_work_page_links_the_files(signed_in, team, attachment):
    page = signed_in(team["staff"]).get(f"/can-bo/hoi-dap/{attachment.question_id}").get_data(as_text=True)
    assert f'href="/can-bo/tep/{attachment.id}"' in page and "sơ đồ thửa đất.pdf" in page


@pytest.mark.parametrize("who", ["other_staff", "other_leader", "citizen"])
def test_nobody_else_downloads_the_files(signed_in, team, attachment, who):
    assert signed_in(team[who]).get(f"/can-bo/tep/{attachment.id}").status_code == 403


def test_visitors_are_sent_to_sign_in_for_a_file(client, attachment):
    response = client.get(f"/can-bo/tep/{attachment.id}")
    assert response.status_code == 302 and response.headers["Location"].startswith("/dang-nhap")


def test_internal_notes_are_seen_by_the_agency_and_the_moderators_only(client, signed_in, team, make_question):
    question = make_question(S.PUBLISHED, agency=team["agency"], email=ASKER)
    staff = signed_in(team["staff"])
    response = _act(staff, question, "note", note="Đã xác minh với phòng đăng ký đất đai.")
    assert response.status_code == 303
    [note] = db.session.scalars(sa.select(InternalNote).where(InternalNote.question_id == question.id)).all()
    assert note.author_id == team["staff"].id
    for who in ("staff", "colleague", "leader", "moderator"):
        page = signed_in(team[who]).get(f"/can-bo/hoi-dap/{question.id}").get_data(as_text=True)
        assert "Đã xác minh với phòng đăng ký đất đai." in page, who
        assert "Vũ Cán Bộ" in page
    tracking = client.post("/tra-cuu", data={"code": question.tracking_code, "contact": ASKER})
    assert tracking.status_code == 200
    assert "Đã xác minh" not in tracking.get_data(as_text=True)
    for path in (f"/hoi-dap/{question.id}", "/hoi-dap/du-lieu.json", "/hoi-dap/du-lieu.csv", "/hoi-dap/moi.atom"):
        assert "Đã xác minh" not in client.get(path).get_data(as_text=True), path


def test_an_empty_note_is_refused(signed_in, team, make_question):
    question = make_question(S.ASSIGNED, agency=team["agency"])
    before = _snapshot(question)
    response = _act(signed_in(team["moderator"]), question, "note", note="   ")
    assert response.status_code == 409
    assert "The note is empty." in _flash(response.get_data(as_text=True))
    assert _snapshot(question) == before


def test_the_work_page_shows_who_did_what(signed_in, team, make_question):
    question = make_question(S.SUBMITTED)
    moderator, staff = signed_in(team["moderator"]), signed_in(team["staff"])
    _act(moderator, question, "assign", agency=str(team["agency"].id))
    _act(staff, question, "claim")
    _act(staff, question, "save_draft", answer="Nháp")
    page = staff.get(f"/can-bo/hoi-dap/{question.id}").get_data(as_text=True)
    history = re.search(r'<ol class="timeline">(.*?)</ol>', page, re.S).group(1)
    assert re.search(r"Asker:\s*sent the question", history)
    assert re.search(r"Đỗ Kiểm Duyệt:\s*assigned it to the agency", history)
    assert re.search(r"Vũ Cán Bộ:\s*took it on", history)
    assert re.search(r"Vũ Cán Bộ:\s*started the answer", history)


def test_the_whole_way_every_move_leaves_an_event_with_its_actor_and_an_audit_entry(signed_in, team, make_question):
    _requires_approval(team["agency"])
    question = make_question(S.SUBMITTED)
    moderator, staff, leader = signed_in(team["moderator"]), signed_in(team["staff"]), signed_in(team["leader"])
    steps = [
        (moderator, "assign", {"agency": str(team["agency"].id)}, team["moderator"]),
        (staff, "forward", {"reason": "Nhầm cơ quan"}, team["staff"]),
        (moderator, "assign", {"agency": str(team["agency"].id)}, team["moderator"]),
        (staff, "save_draft", {"answer": "Nháp một"}, team["staff"]),
        (staff, "submit_for_approval", {}, team["staff"]),
        (leader, "return_for_changes", {"note": "Thêm căn cứ"}, team["leader"]),
        (staff, "submit_for_approval", {"answer": "Nháp hai"}, team["staff"]),
        (leader, "approve", {}, team["leader"]),
    ]
    for client, action, form, _actor in steps:
        assert _act(client, question, action, **form).status_code == 303, action
    moves = [(e.action, e.actor_id) for e in _events(question) if e.action != "submitted"]
    assert moves == [(action, actor.id) for _c, action, _f, actor in steps]
    audit = iter((a.action, a.actor_id, (a.details or {}).get("to_state")) for a in _audit(question))
    for _c, action, _f, actor in steps:  # each move in order (other audited actions may come between)
        assert any(entry[:2] == (f"question.{action}", actor.id) and entry[2] for entry in audit), action
    assert _fresh(question).state is S.PUBLISHED


def test_claiming_and_noting_are_in_the_audit_log(signed_in, team, make_question):
    question = make_question(S.ASSIGNED, agency=team["agency"])
    staff = signed_in(team["staff"])
    _act(staff, question, "claim")
    _act(staff, question, "note", note="Ghi chú nội bộ")
    assert {a.action for a in _audit(question)} >= {"question.claim", "question.note"}
