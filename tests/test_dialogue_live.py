"""The public pages of a dialogue session and its live region: the list and the home page box, drafts hidden,
the poll that answers 304 while nothing changed and the fresh fragment after any change, new answers announced
once, the projector view."""
import re

import pytest
import sqlalchemy as sa

from accounts.models import Role
from dialogue import services
from dialogue.models import DialogueQuestionState as Q, DialogueSession, SessionState as S
from extensions import db


@pytest.fixture(autouse=True)
def english(client):
    """Read the pages in English, so that the texts checked here do not depend on the translation."""
    client.set_cookie("lang", "en")


@pytest.fixture
def session(make_dialogue_session):
    return make_dialogue_session(S.LIVE, title="Đối thoại trực tuyến về thủ tục đất đai")


@pytest.fixture
def moderator(make_user):
    return make_user(Role.MODERATOR)


def _text(response):
    return response.get_data(as_text=True)


def _poller(page, target="live"):
    """The poller of a page: its address and the entity tag it sends."""
    element = re.search(rf'<div id="{target}-poll"[^>]*>', page, re.S)
    assert element, f"no {target} poller"
    url = re.search(r'hx-get="([^"]+)"', element.group(0)).group(1).replace("&amp;", "&")
    tag = re.search(r"hx-headers='([^']+)'", element.group(0)).group(1)
    import json

    return url, json.loads(tag)["If-None-Match"]


def _poll(client, url, tag, target="live"):
    return client.get(url, headers={"HX-Request": "true", "HX-Target": f"section#{target}", "If-None-Match": tag})


def _version(session):
    return db.session.scalar(sa.select(DialogueSession.version).where(DialogueSession.id == session.id))


# The list, the home page, drafts


def test_the_list_shows_live_sessions_first_then_upcoming_then_past(client, make_dialogue_session):
    past = make_dialogue_session(S.ENDED, title="Phiên đã kết thúc về y tế", starts_in_hours=-20)
    upcoming = make_dialogue_session(S.ANNOUNCED, title="Phiên sắp diễn ra về giáo dục", starts_in_hours=48)
    live = make_dialogue_session(S.LIVE, title="Phiên đang diễn ra về giao thông", starts_in_hours=-1)
    make_dialogue_session(S.DRAFT, title="Phiên nháp chưa công bố")
    page = _text(client.get("/doi-thoai"))
    positions = [page.index(s.title) for s in (live, upcoming, past)]
    assert positions == sorted(positions)
    assert page.index("Live now") < positions[0]
    assert "Phiên nháp chưa công bố" not in page


def test_upcoming_sessions_come_soonest_first(client, make_dialogue_session):
    later = make_dialogue_session(S.ANNOUNCED, title="Phiên tuần sau", starts_in_hours=24 * 7)
    sooner = make_dialogue_session(S.ANNOUNCED, title="Phiên ngày mai", starts_in_hours=24)
    page = _text(client.get("/doi-thoai"))
    assert page.index(sooner.title) < page.index(later.title)


def test_the_home_page_shows_the_live_session_prominently(client, make_dialogue_session):
    make_dialogue_session(S.ANNOUNCED, title="Phiên sắp tới về du lịch", starts_in_hours=24)
    live = make_dialogue_session(S.LIVE, title="Phiên đang phát trực tiếp", starts_in_hours=-1)
    page = _text(client.get("/"))
    assert "Online dialogue live now" in page
    assert f'href="/doi-thoai/{live.id}"' in page and live.title in page
    assert "Phiên sắp tới về du lịch" not in page


def test_the_home_page_shows_the_next_session_when_none_is_live(client, make_dialogue_session):
    make_dialogue_session(S.ANNOUNCED, title="Phiên tháng sau", starts_in_hours=24 * 30)
    nearest = make_dialogue_session(S.ANNOUNCED, title="Phiên tuần này", starts_in_hours=24 * 3)
    page = _text(client.get("/"))
    assert "Next online dialogue" in page and nearest.title in page
    assert "Phiên tháng sau" not in page


def test_the_home_page_has_no_box_without_sessions(client):
    assert "dialogue-box" not in _text(client.get("/"))


def test_a_draft_session_is_not_found_by_the_public(client, make_dialogue_session, login_as):
    draft = make_dialogue_session(S.DRAFT)
    for path in (f"/doi-thoai/{draft.id}", f"/doi-thoai/{draft.id}/trinh-chieu",
                 f"/doi-thoai/{draft.id}/cau-hoi-tuong-tu?body=thu+tuc"):
        assert client.get(path).status_code == 404, path
    login_as(Role.STAFF)  # staff of another agency: still not found
    assert client.get(f"/doi-thoai/{draft.id}").status_code == 404


def test_a_draft_poll_is_not_found_either(client, make_dialogue_session):
    draft = make_dialogue_session(S.DRAFT)
    response = _poll(client, f"/doi-thoai/{draft.id}", f'"{draft.id}-{draft.version}"')
    assert response.status_code == 404


def test_a_moderator_previews_a_draft(client, make_dialogue_session, login_as):
    draft = make_dialogue_session(S.DRAFT, title="Phiên nháp để xem trước")
    login_as(Role.MODERATOR)
    page = _text(client.get(f"/doi-thoai/{draft.id}"))
    assert "Phiên nháp để xem trước" in page and "Preview: this session is a draft" in page


def test_an_unknown_session_is_not_found(client):
    assert client.get("/doi-thoai/999999").status_code == 404


# The session page


def test_the_page_shows_details_officials_description_and_times(client, session):
    page = _text(client.get(f"/doi-thoai/{session.id}"))
    assert session.title in page
    assert "<strong>Nguyễn Văn Lãnh</strong>, Giám đốc Sở" in page
    assert "<strong>Trần Thị Phó</strong>, Phó Giám đốc Sở" in page
    assert "Lãnh đạo Sở trả lời câu hỏi của người dân" in page
    assert session.host_agency.name in page
    assert re.search(r'<time datetime="[^"]+Z">\d{2}/\d{2}/\d{4} \d{2}:\d{2}</time>', page)


def test_the_description_is_sanitized(client, make_dialogue_session):
    session = make_dialogue_session()
    session.description_html = ('<p>Mời gửi câu hỏi</p><script>alert(1)</script>'
                                '<a href="javascript:alert(2)">x</a><img src=x onerror=alert(3)>')
    db.session.commit()
    page = _text(client.get(f"/doi-thoai/{session.id}"))
    assert "Mời gửi câu hỏi" in page
    assert "<script>alert(1)" not in page and "javascript:alert" not in page and "onerror" not in page


def test_the_page_lists_public_questions_with_votes_and_hides_the_others(client, session, make_dialogue_question):
    make_dialogue_question(session, Q.APPROVED, body="Câu hỏi đã duyệt về sổ đỏ", votes=3)
    make_dialogue_question(session, Q.SHORTLISTED, body="Câu hỏi được chọn về thuế đất", votes=7)
    make_dialogue_question(session, Q.NEW, body="Câu hỏi mới chưa duyệt")
    make_dialogue_question(session, Q.HIDDEN, body="Câu hỏi bị ẩn vì vi phạm")
    page = _text(client.get(f"/doi-thoai/{session.id}"))
    assert "Câu hỏi đã duyệt về sổ đỏ" in page and "3 votes" in page
    assert "Câu hỏi được chọn về thuế đất" in page and "7 votes" in page
    assert page.index("Câu hỏi được chọn về thuế đất") < page.index("Câu hỏi đã duyệt về sổ đỏ")  # most votes first
    assert "Câu hỏi mới chưa duyệt" not in page and "Câu hỏi bị ẩn vì vi phạm" not in page


def test_answers_come_newest_first_with_the_officials_name_and_position(client, session, make_dialogue_question,
                                                                        moderator):
    first = make_dialogue_question(session, body="Câu hỏi trả lời trước")
    second = make_dialogue_question(session, body="Câu hỏi trả lời sau")
    services.publish_answer(first, session.officials[0], "Trả lời thứ nhất.", moderator)
    db.session.commit()
    services.publish_answer(second, session.officials[1], "Trả lời thứ hai.", moderator)
    db.session.commit()
    page = _text(client.get(f"/doi-thoai/{session.id}"))
    answers = page[page.index('id="answer-list"'):]
    assert answers.index("Trả lời thứ hai.") < answers.index("Trả lời thứ nhất.")
    assert "<strong>Trần Thị Phó</strong>, Phó Giám đốc Sở" in answers
    # Published text never becomes htmx behaviour.
    assert re.search(r'<div class="rich-text" hx-ignore><p>Trả lời thứ hai.</p></div>', answers)


def test_the_current_question_is_highlighted(client, session, make_dialogue_question, moderator):
    question = make_dialogue_question(session, body="Câu hỏi đang được trả lời trực tiếp")
    services.set_current(session, question, moderator)
    db.session.commit()
    page = _text(client.get(f"/doi-thoai/{session.id}"))
    current = re.search(r'<blockquote class="current-question"[^>]*>(.*?)</blockquote>', page, re.S).group(1)
    assert "Câu hỏi đang được trả lời trực tiếp" in current
    assert f'<li id="q-{question.id}" class="dq-item is-current">' in page


def test_an_anonymous_asker_is_shown_as_anonymous(client, session, make_dialogue_question):
    make_dialogue_question(session, anonymous=True, body="Câu hỏi của người giấu tên")
    question = make_dialogue_question(session, body="Câu hỏi có tên người hỏi")
    page = _text(client.get(f"/doi-thoai/{session.id}"))
    assert "Asked by Anonymous" in page
    assert f"Asked by {question.asker_name}" in page


def test_an_announced_session_polls_but_shows_no_current_question_box(client, make_dialogue_session):
    session = make_dialogue_session(S.ANNOUNCED)
    page = _text(client.get(f"/doi-thoai/{session.id}"))
    assert 'id="live-poll"' in page and "Now answering" not in page


def test_an_ended_session_does_not_poll_nor_take_votes(client, make_dialogue_session, make_dialogue_question):
    session = make_dialogue_session(S.ENDED, starts_in_hours=-20)
    make_dialogue_question(session, Q.ANSWERED, votes=2)
    page = _text(client.get(f"/doi-thoai/{session.id}"))
    assert 'id="live-poll"' not in page
    assert "2 votes" in page and 'class="vote-button"' not in page


# The poll


def test_the_poller_carries_the_version_and_asks_the_browser_not_to_cache(client, session):
    page = _text(client.get(f"/doi-thoai/{session.id}"))
    url, tag = _poller(page)
    assert tag == f'"{session.id}-{session.version}"'
    assert url.startswith(f"/doi-thoai/{session.id}?")
    assert 'hx-trigger="every 2s"' in page and 'hx-target="#live"' in page and 'hx-swap="innerMorph"' in page
    assert """hx-config='{"cache": "no-store"}'""" in page


def test_the_poll_answers_304_with_the_etag_while_nothing_changed(client, session):
    url, tag = _poller(_text(client.get(f"/doi-thoai/{session.id}")))
    response = _poll(client, url, tag)
    assert response.status_code == 304
    assert response.headers["ETag"] == tag
    assert response.get_data() == b""


def test_the_unchanged_poll_reads_only_the_version(app, client, session):
    url, tag = _poller(_text(client.get(f"/doi-thoai/{session.id}")))
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert _poll(client, url, tag).status_code == 304
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    queries = [s for s in statements if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))]
    assert len(queries) == 1, queries
    assert "dialogue_session" in queries[0] and "version" in queries[0]


def _fresh_after(client, session, change):
    """Poll with the page's tag after change(); return the response."""
    url, tag = _poller(_text(client.get(f"/doi-thoai/{session.id}")))
    change()
    db.session.commit()
    return _poll(client, url, tag)


def test_the_poll_sends_the_new_fragment_after_an_answer_is_published(client, session, make_dialogue_question,
                                                                      moderator):
    question = make_dialogue_question(session, body="Câu hỏi sắp được trả lời")
    response = _fresh_after(client, session, lambda: services.publish_answer(
        question, session.officials[0], "Hồ sơ được giải quyết trong 3 ngày.", moderator))
    page = _text(response)
    assert response.status_code == 200
    assert "<html" not in page and 'id="live-poll"' in page
    assert "Hồ sơ được giải quyết trong 3 ngày." in page
    assert response.headers["ETag"] == f'"{session.id}-{_version(session)}"'
    assert _poller(page)[1] == response.headers["ETag"]  # the next poll sends the new version


def test_the_poll_sends_the_new_fragment_after_the_current_question_changes(client, session, make_dialogue_question,
                                                                            moderator):
    question = make_dialogue_question(session, body="Câu hỏi được chọn trả lời ngay")
    response = _fresh_after(client, session, lambda: services.set_current(session, question, moderator))
    assert response.status_code == 200
    assert re.search(r'class="current-question"[^>]*>\s*<p>Câu hỏi được chọn trả lời ngay', _text(response))


def test_the_poll_sends_the_new_fragment_after_a_vote(app, client, session, make_dialogue_question):
    question = make_dialogue_question(session, votes=0)
    url, tag = _poller(_text(client.get(f"/doi-thoai/{session.id}")))
    assert app.test_client().post(f"/doi-thoai/{session.id}/cau-hoi/{question.id}/binh-chon").status_code == 303
    response = _poll(client, url, tag)
    assert response.status_code == 200
    assert "1 vote" in _text(response)


def test_the_poll_sends_the_new_fragment_after_a_question_is_approved(client, session, make_dialogue_question,
                                                                      moderator):
    question = make_dialogue_question(session, Q.NEW, body="Câu hỏi vừa được duyệt công khai")
    response = _fresh_after(client, session, lambda: services.approve(question, moderator))
    assert response.status_code == 200 and "Câu hỏi vừa được duyệt công khai" in _text(response)


def test_a_new_question_waiting_for_moderation_does_not_wake_the_viewers(client, session):
    url, tag = _poller(_text(client.get(f"/doi-thoai/{session.id}")))
    services.submit_question(session, "k" * 32, "Một câu hỏi mới chờ kiểm duyệt", "Người hỏi", email="a@example.vn")
    db.session.commit()
    assert _poll(client, url, tag).status_code == 304


def test_a_stale_or_foreign_tag_gets_the_fragment(client, session, make_dialogue_session):
    other = make_dialogue_session(S.LIVE)
    url, _ = _poller(_text(client.get(f"/doi-thoai/{session.id}")))
    for tag in ('"%d-0"' % session.id, f'"{other.id}-{other.version}"', "garbage"):
        assert _poll(client, url, tag).status_code == 200, tag


def test_without_htmx_the_same_address_answers_the_whole_page(client, session):
    url, tag = _poller(_text(client.get(f"/doi-thoai/{session.id}")))
    response = client.get(url, headers={"If-None-Match": tag})
    assert response.status_code == 200 and "<html" in _text(response)
    assert "HX-Target" in response.headers["Vary"]


def test_the_page_works_without_javascript_a_reload_shows_everything(client, session, make_dialogue_question,
                                                                     moderator):
    question = make_dialogue_question(session, body="Câu hỏi cho người không dùng JavaScript")
    services.set_current(session, question, moderator)
    services.publish_answer(question, session.officials[0], "Câu trả lời hiện ra khi tải lại trang.", moderator)
    db.session.commit()
    page = _text(client.get(f"/doi-thoai/{session.id}"))
    assert "Câu trả lời hiện ra khi tải lại trang." in page
    assert f'<form id="vote-{question.id}" class="vote" method="post"' in page


# Announcements


def test_a_new_answer_is_announced_once_politely(client, session, make_dialogue_question, moderator):
    question = make_dialogue_question(session, body="Xin hỏi về lệ phí trước bạ")
    url, tag = _poller(_text(client.get(f"/doi-thoai/{session.id}")))
    services.publish_answer(question, session.officials[0], "Lệ phí là 0,5%.", moderator)
    db.session.commit()
    fragment = _text(_poll(client, url, tag))
    news = re.search(r'<p id="live-news"[^>]*aria-live="polite"[^>]*>(.*?)</p>', fragment, re.S).group(1)
    assert "1 new answer." in news and "Nguyễn Văn Lãnh answered" in news and "Xin hỏi về lệ phí trước bạ" in news
    # The next poll (carrying the new answer as seen) says nothing again, even when other things change.
    url, tag = _poller(fragment)
    services.toggle_vote(question, "browser:" + "a" * 32)
    db.session.commit()
    later = _text(_poll(client, url, tag))
    assert re.search(r'<p id="live-news"[^>]*>\s*</p>', later)


def test_a_change_of_current_question_is_announced(client, session, make_dialogue_question, moderator):
    question = make_dialogue_question(session, body="Câu hỏi về đất nông nghiệp")
    url, tag = _poller(_text(client.get(f"/doi-thoai/{session.id}")))
    services.set_current(session, question, moderator)
    db.session.commit()
    assert "Now answering: “Câu hỏi về đất nông nghiệp”" in _text(_poll(client, url, tag))


def test_a_page_load_announces_nothing(client, session, make_dialogue_question):
    make_dialogue_question(session, Q.ANSWERED)
    assert re.search(r'<p id="live-news"[^>]*>\s*</p>', _text(client.get(f"/doi-thoai/{session.id}")))


# The projector


def test_the_projector_shows_the_current_question_and_its_answer(client, session, make_dialogue_question, moderator):
    question = make_dialogue_question(session, body="Câu hỏi trên màn hình lớn")
    services.set_current(session, question, moderator)
    services.publish_answer(question, session.officials[1], "Câu trả lời trên màn hình lớn.", moderator)
    db.session.commit()
    page = _text(client.get(f"/doi-thoai/{session.id}/trinh-chieu"))
    assert '<h1 class="projector-question">Câu hỏi trên màn hình lớn</h1>' in page
    assert "Câu trả lời trên màn hình lớn." in page and "Trần Thị Phó" in page


def test_the_projector_waits_when_no_question_is_current(client, session):
    page = _text(client.get(f"/doi-thoai/{session.id}/trinh-chieu"))
    assert "The next question will appear here." in page


def test_the_projector_polls_the_same_way(client, session, make_dialogue_question, moderator):
    url, tag = _poller(_text(client.get(f"/doi-thoai/{session.id}/trinh-chieu")), "projector")
    assert _poll(client, url, tag, "projector").status_code == 304
    question = make_dialogue_question(session, body="Câu hỏi mới cho máy chiếu")
    services.set_current(session, question, moderator)
    db.session.commit()
    response = _poll(client, url, tag, "projector")
    assert response.status_code == 200 and "Câu hỏi mới cho máy chiếu" in _text(response)
    assert "<html" not in _text(response)


def test_the_projector_says_when_the_session_has_ended(client, make_dialogue_session):
    ended = make_dialogue_session(S.ENDED, starts_in_hours=-20)
    page = _text(client.get(f"/doi-thoai/{ended.id}/trinh-chieu"))
    assert "The session has ended." in page and 'id="projector-poll"' not in page
