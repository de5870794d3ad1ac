"""The archive of ended sessions: the printable transcript, its CSV/JSON export and the search over every answer —
in the order answered, anonymous askers unnamed, and never anyone's e-mail or phone."""
import csv
import io
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from accounts.models import Role
from dialogue import archive, services
from dialogue.models import DialogueQuestion, DialogueQuestionState as Q, SessionState as S
from extensions import db
from feedback.asking import new_idempotency_key

CANARY_NAME = "Canary Nguyễn Bí Mật"
CANARY_EMAIL = "canary.secret@example.vn"
CANARY_PHONE = "0912345678"
RESULTS = {"HX-Request": "true", "HX-Target": "results"}


@pytest.fixture(autouse=True)
def english(client):
    """Read the pages in English, so that the messages checked here do not depend on the translation."""
    client.set_cookie("lang", "en")


@pytest.fixture
def secretary(make_user):
    return make_user(Role.MODERATOR)


@pytest.fixture
def answer(secretary):
    """Send, approve and answer a question the way the live console does; at sets the answer time."""
    def factory(session, body, text="<p>Thủ tục được giải quyết trong 5 ngày làm việc.</p>", official=0,
                at=None, name="Người hỏi công khai", anonymous=False, email=None, phone=None, public_body=None):
        question = DialogueQuestion(session=session, idempotency_key=new_idempotency_key(), body=body,
                                    public_body=public_body, asker_name=name, anonymous=anonymous,
                                    asker_email=email, asker_phone=phone)
        db.session.add(question)
        db.session.flush()
        services.approve(question, secretary)
        services.publish_answer(question, session.officials[official], text, secretary)
        if at is not None:
            question.answered_at = at
            question.answer.published_at = at
            services.index_answered(question, question.answer)
        db.session.commit()
        return question
    return factory


@pytest.fixture
def ended(make_dialogue_session):
    """An ended session that took place on 1 December 2026, 9:00–11:00 Vietnam time."""
    session = make_dialogue_session(S.ENDED, title="Đối thoại về đất đai tại Đắk Lắk")
    session.starts_at, session.ends_at = datetime(2026, 12, 1, 2, 0), datetime(2026, 12, 1, 4, 0)
    db.session.commit()
    return session


def _text(response):
    return response.get_data(as_text=True)


def _anchors(page):
    """The question ids of the transcript, in page order."""
    return [int(n) for n in re.findall(r'<li class="transcript-item" id="q-(\d+)">', page)]


# The transcript


def test_the_transcript_lists_answered_questions_in_the_order_answered(client, ended, answer,
                                                                       make_dialogue_question):
    start = datetime(2026, 12, 1, 2, 0)
    second = answer(ended, "Câu hỏi trả lời thứ hai?", at=start + timedelta(minutes=30))
    first = answer(ended, "Câu hỏi trả lời đầu tiên?", at=start + timedelta(minutes=5))
    third = answer(ended, "Câu hỏi trả lời cuối cùng?", at=start + timedelta(minutes=50))
    waiting = [make_dialogue_question(ended, state, body=f"Câu hỏi chưa trả lời {state}?", votes=99)
               for state in (Q.NEW, Q.APPROVED, Q.SHORTLISTED, Q.HIDDEN)]
    response = client.get(f"/doi-thoai/{ended.id}/bien-ban")
    assert response.status_code == 200
    page = _text(response)
    assert _anchors(page) == [first.id, second.id, third.id]
    assert "Question 1" in page and "Question 3" in page and "3 questions answered" in page
    for question in waiting:
        assert question.body not in page


def test_each_entry_has_the_asker_the_official_the_answer_and_the_time(client, ended, answer):
    question = answer(ended, "Xin hỏi thủ tục cấp sổ đỏ?", official=1, at=datetime(2026, 12, 1, 2, 45),
                      text="<p>Thời hạn là <strong>10 ngày</strong>.</p><script>alert(1)</script>"
                           "<img src=x onerror=alert(2)>")
    page = _text(client.get(f"/doi-thoai/{ended.id}/bien-ban"))
    item = page[page.index(f'id="q-{question.id}"'):]
    item = item[:item.index("</li>")]
    assert "Asked by Người hỏi công khai" in item
    assert "Xin hỏi thủ tục cấp sổ đỏ?" in item
    assert "<strong>Trần Thị Phó</strong>, Phó Giám đốc Sở" in item
    assert "01/12/2026 09:45" in item  # Vietnam time
    rich = re.search(r'<div class="rich-text" hx-ignore>(.*?)</div>', item, re.S).group(1)
    assert "Thời hạn là <strong>10 ngày</strong>." in rich
    assert "<script" not in item and "<img" not in item and "onerror" not in item


def test_the_transcript_describes_the_session(client, ended):
    page = _text(client.get(f"/doi-thoai/{ended.id}/bien-ban"))
    assert "<h1>Đối thoại về đất đai tại Đắk Lắk</h1>" in page
    assert ended.host_agency.name in page and ended.topic.name in page
    assert "01/12/2026 09:00" in page and "01/12/2026 11:00" in page
    assert "Nguyễn Văn Lãnh, Giám đốc Sở" in page and "Trần Thị Phó, Phó Giám đốc Sở" in page
    assert "Lãnh đạo Sở trả lời câu hỏi" in page
    assert "No question was answered in this session." in page
    assert f'href="/doi-thoai/{ended.id}/bien-ban.csv"' in page and f'href="/doi-thoai/{ended.id}/bien-ban.json"' in page


def test_the_public_wording_is_shown_never_the_original(client, ended, answer):
    answer(ended, "Nguyên văn có số nhà 12 ngõ 3 của tôi?", public_body="Câu hỏi đã được biên tập lại?")
    page = _text(client.get(f"/doi-thoai/{ended.id}/bien-ban"))
    assert "Câu hỏi đã được biên tập lại?" in page and "số nhà 12" not in page


@pytest.mark.parametrize("state", [S.DRAFT, S.ANNOUNCED, S.LIVE])
def test_only_an_ended_session_has_a_transcript(client, make_dialogue_session, answer, state):
    session = make_dialogue_session(S.LIVE)
    answer(session, "Câu hỏi trong phiên chưa kết thúc?")
    session.state = state
    db.session.commit()
    assert client.get(f"/doi-thoai/{session.id}/bien-ban").status_code == 404
    assert client.get(f"/doi-thoai/{session.id}/bien-ban.csv").status_code == 404
    assert client.get(f"/doi-thoai/{session.id}/bien-ban.json").status_code == 404


def test_an_unknown_session_or_format_is_not_found(client):
    assert client.get("/doi-thoai/999999/bien-ban").status_code == 404
    assert client.get("/doi-thoai/999999/bien-ban.csv").status_code == 404


def test_the_transcript_is_printable(client, ended, answer):
    answer(ended, "Câu hỏi để in ra giấy?")
    page = _text(client.get(f"/doi-thoai/{ended.id}/bien-ban"))
    assert '<link rel="stylesheet" href="/static/site.css">' in page
    assert re.search(r'<p class="no-print muted">[^<]*<a href="/doi-thoai/\d+/bien-ban.csv"', page)
    css = (Path(__file__).resolve().parent.parent / "static" / "site.css").read_text()
    printing = css[css.index("@media print"):]
    hidden = printing[:printing.index("display: none")]
    for selector in (".site-header", ".main-nav", ".work-nav", ".site-footer", ".skip-link", ".no-print",
                     "button", ".button", "form"):
        assert selector in hidden, selector
    assert ".transcript-item { break-inside: avoid; }" in printing


# No contact data, and no name for anonymous askers


def _canaries(ended, answer):
    """An anonymous asker whose name, e-mail and phone must never be published, and a public one."""
    hidden = answer(ended, "Hỏi về giá đất ở Đắk Lắk?", name=CANARY_NAME, anonymous=True, email=CANARY_EMAIL,
                    phone=CANARY_PHONE, at=datetime(2026, 12, 1, 2, 10))
    public = answer(ended, "Hỏi về thuế đất ở Đắk Lắk?", name="Phạm Công Khai", email="cong.khai@example.vn",
                    phone="0987654321", at=datetime(2026, 12, 1, 2, 20))
    return hidden, public


def _assert_no_contact(text):
    for secret in (CANARY_NAME, CANARY_EMAIL, CANARY_PHONE, "canary", "cong.khai@example.vn", "0987654321"):
        assert secret.lower() not in text.lower(), secret


def test_the_transcript_shows_anonymous_askers_as_anonymous_and_no_contact_data(client, ended, answer):
    hidden, public = _canaries(ended, answer)
    page = _text(client.get(f"/doi-thoai/{ended.id}/bien-ban"))
    _assert_no_contact(page)
    assert "Asked by Anonymous" in page and "Asked by Phạm Công Khai" in page


def test_the_csv_export_has_every_answer_in_order_and_no_contact_data(client, ended, answer):
    hidden, public = _canaries(ended, answer)
    response = client.get(f"/doi-thoai/{ended.id}/bien-ban.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="doi-thoai-{ended.id}-bien-ban.csv"'
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    _assert_no_contact(text)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert list(rows[0]) == archive.EXPORT_FIELDS
    assert [(r["number"], r["question_id"], r["asker"], r["anonymous"]) for r in rows] == [
        ("1", str(hidden.id), "", "True"), ("2", str(public.id), "Phạm Công Khai", "False")]
    assert rows[0]["official"] == "Nguyễn Văn Lãnh" and rows[0]["official_position"] == "Giám đốc Sở"
    assert rows[0]["answer"] == "Thủ tục được giải quyết trong 5 ngày làm việc."
    assert rows[0]["answered_at"] == "2026-12-01T02:10:00Z"
    assert rows[0]["url"] == f"http://localhost/doi-thoai/{ended.id}/bien-ban#q-{hidden.id}"


def test_the_json_export_has_the_session_and_every_answer_and_no_contact_data(client, ended, answer):
    hidden, public = _canaries(ended, answer)
    response = client.get(f"/doi-thoai/{ended.id}/bien-ban.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    _assert_no_contact(response.get_data(as_text=True))
    data = json.loads(response.data)
    assert data["session"]["title"] == "Đối thoại về đất đai tại Đắk Lắk"
    assert data["session"]["officials"] == [{"name": "Nguyễn Văn Lãnh", "position": "Giám đốc Sở"},
                                            {"name": "Trần Thị Phó", "position": "Phó Giám đốc Sở"}]
    assert data["session"]["starts_at"] == "2026-12-01T02:00:00Z"
    assert [q["question_id"] for q in data["questions"]] == [hidden.id, public.id]
    assert data["questions"][0]["asker"] is None and data["questions"][0]["anonymous"] is True
    assert data["questions"][1]["asker"] == "Phạm Công Khai"
    assert set(data["questions"][0]) == set(archive.EXPORT_FIELDS)


def test_a_csv_cell_never_starts_a_spreadsheet_formula(client, ended, answer):
    answer(ended, '=HYPERLINK("http://evil.example","bấm vào")', name="@tancong")
    rows = list(csv.DictReader(io.StringIO(client.get(f"/doi-thoai/{ended.id}/bien-ban.csv").data.decode()
                                           .lstrip("\ufeff"))))
    assert rows[0]["question"].startswith("'=HYPERLINK") and rows[0]["asker"] == "'@tancong"


# The archive search


def test_searching_without_diacritics_finds_dak_lak_with_highlights_and_a_link_to_the_answer(client, ended, answer):
    hidden, public = _canaries(ended, answer)
    response = client.get("/doi-thoai/tim-kiem?q=dak+lak")
    assert response.status_code == 200
    page = _text(response)
    assert "2 answers found" in page
    assert f'href="/doi-thoai/{ended.id}/bien-ban#q-{hidden.id}"' in page
    assert f'href="/doi-thoai/{ended.id}/bien-ban#q-{public.id}"' in page
    assert "<mark>Đắk</mark> <mark>Lắk</mark>" in page
    assert "Nguyễn Văn Lãnh, Giám đốc Sở" in page
    _assert_no_contact(page)
    anchored = _text(client.get(f"/doi-thoai/{ended.id}/bien-ban"))
    assert f'id="q-{hidden.id}"' in anchored


def test_the_search_reads_answers_too(client, ended, answer):
    question = answer(ended, "Câu hỏi về nước sạch?", text="<p>Nhà máy nước Buôn Ma Thuột sẽ mở rộng.</p>")
    page = _text(client.get("/doi-thoai/tim-kiem?q=buon ma thuot"))
    assert f"#q-{question.id}" in page and "<mark>Buôn</mark> <mark>Ma</mark> <mark>Thuột</mark>" in page


def test_the_search_leaves_out_sessions_that_have_not_ended(client, ended, answer, make_dialogue_session):
    live = make_dialogue_session(S.LIVE)
    answer(live, "Câu hỏi đang trực tiếp về Đắk Lắk?")
    kept = answer(ended, "Câu hỏi đã lưu trữ về Đắk Lắk?")
    page = _text(client.get("/doi-thoai/tim-kiem?q=dak lak"))
    assert "1 answer found" in page
    assert f"#q-{kept.id}" in page and "đang trực tiếp" not in page


def test_as_you_type_only_the_results_come_back(client, ended, answer):
    answer(ended, "Hỏi về Đắk Lắk?")
    response = client.get("/doi-thoai/tim-kiem?q=dak", headers=RESULTS)
    page = _text(response)
    assert response.status_code == 200 and "<html" not in page
    assert "1 answer found" in page and "<mark>Đắk</mark>" in page
    assert "HX-Request" in response.headers["Vary"]
    full = _text(client.get("/doi-thoai/tim-kiem?q=dak"))
    assert "<html" in full and 'hx-get="/doi-thoai/tim-kiem"' in full and 'id="results"' in full
    assert 'hx-trigger="input changed delay:300ms from:#q, submit"' in full


def test_a_search_without_a_match_says_so(client, ended, answer):
    answer(ended, "Hỏi về đất đai?")
    page = _text(client.get("/doi-thoai/tim-kiem?q=khongcotu"))
    assert "0 answers found" in page and "No answer in the archive matches your search" in page


def test_without_a_query_the_archive_lists_the_ended_sessions(client, ended, make_dialogue_session):
    others = [make_dialogue_session(state, title=f"Phiên {state} không được lưu trữ")
              for state in (S.DRAFT, S.ANNOUNCED, S.LIVE)]
    page = _text(client.get("/doi-thoai/tim-kiem"))
    assert f'href="/doi-thoai/{ended.id}/bien-ban"' in page and ended.title in page
    for session in others:
        assert session.title not in page


def test_many_results_are_paged(client, ended, answer):
    for n in range(25):
        answer(ended, f"Câu hỏi số {n} về Đắk Lắk?", at=datetime(2026, 12, 1, 2, 0) + timedelta(minutes=n))
    first = _text(client.get("/doi-thoai/tim-kiem?q=dak"))
    assert "25 answers found" in first and first.count('class="question-item"') == 20
    assert "Page 1 of 2" in first and 'href="/doi-thoai/tim-kiem?q=dak&amp;page=2"' in first
    second = _text(client.get("/doi-thoai/tim-kiem?q=dak&page=2"))
    assert second.count('class="question-item"') == 5


def test_an_excerpt_is_taken_around_the_first_match(app):
    text = "Mở đầu dài dòng. " * 40 + "Kết quả ở Đắk Lắk được công bố."
    piece = archive.excerpt(text, ["dak"])
    assert "Đắk Lắk" in piece and piece.startswith("…") and len(piece) <= archive.EXCERPT_CHARS + 2
    assert archive.excerpt("Ngắn gọn.", ["dak"]) == "Ngắn gọn."
    assert archive.excerpt(text, []).startswith("Mở đầu")
