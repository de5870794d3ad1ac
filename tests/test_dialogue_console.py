"""The live console: who may run a session, the queue with its filters, order and conditional refresh, every
action on a question with its audit entry and its refusal, answers published and corrected (the earlier text
kept), and the asker told by e-mail."""
import re

import pytest
import sqlalchemy as sa

from accounts.models import Role
from audit import AuditEntry
from dialogue import services
from dialogue.models import (DialogueAnswerRevision, DialogueQuestion, DialogueQuestionState as Q, SessionState as S)
from extensions import db
from notifications import OutboxMessage


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("lang", "en")


@pytest.fixture
def session(make_dialogue_session):
    return make_dialogue_session(S.LIVE)


@pytest.fixture
def moderator(login_as):
    return login_as(Role.MODERATOR)


def _text(response):
    return response.get_data(as_text=True)


def _act(client, question, action, **data):
    return client.post(f"/doi-thoai/{question.session_id}/dieu-hanh/cau-hoi/{question.id}/{action}", data=data)


def _reload(question):
    db.session.expire_all()
    return db.session.get(DialogueQuestion, question.id)


def _audit(action):
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)).all()


# Who may run the console


@pytest.mark.parametrize("role", [Role.STAFF, Role.LEADER])
def test_staff_and_leaders_of_the_host_agency_run_the_console_as_secretary(client, login_as, make_agency,
                                                                           make_dialogue_session,
                                                                           make_dialogue_question, role):
    agency = make_agency()
    session = make_dialogue_session(S.LIVE, agency=agency)
    question = make_dialogue_question(session, Q.NEW)
    login_as(role, agency=agency)
    assert client.get(f"/doi-thoai/{session.id}/dieu-hanh").status_code == 200
    assert _act(client, question, "approve").status_code == 303
    assert _reload(question).state is Q.APPROVED


@pytest.mark.parametrize("role", [Role.STAFF, Role.LEADER])
def test_staff_of_another_agency_are_refused(client, login_as, session, make_dialogue_question, role):
    question = make_dialogue_question(session, Q.NEW)
    login_as(role)
    assert client.get(f"/doi-thoai/{session.id}/dieu-hanh").status_code == 403
    assert _act(client, question, "approve").status_code == 403
    assert _reload(question).state is Q.NEW


def test_citizens_are_refused_and_visitors_sent_to_sign_in(client, login_as, session):
    assert client.get(f"/doi-thoai/{session.id}/dieu-hanh").headers["Location"].startswith("/dang-nhap")
    login_as(Role.CITIZEN)
    assert client.get(f"/doi-thoai/{session.id}/dieu-hanh").status_code == 403


def test_a_poll_of_another_agencys_console_is_refused_even_with_the_right_tag(client, login_as, session):
    newest = db.session.scalar(sa.select(sa.func.max(DialogueQuestion.id)).where(
        DialogueQuestion.session_id == session.id))
    login_as(Role.STAFF)
    response = client.get(f"/doi-thoai/{session.id}/dieu-hanh", headers={
        "HX-Request": "true", "HX-Target": "div#queue", "If-None-Match": f'"{session.id}-{session.version}-{newest}"'})
    assert response.status_code == 403


def test_an_action_on_a_question_of_another_session_is_not_found(client, moderator, session, make_dialogue_session,
                                                                 make_dialogue_question):
    other = make_dialogue_question(make_dialogue_session(S.LIVE), Q.NEW)
    assert client.post(f"/doi-thoai/{session.id}/dieu-hanh/cau-hoi/{other.id}/approve").status_code == 404
    assert _act(client, other, "fly").status_code == 404


# The queue


def test_the_queue_shows_the_askers_name_and_contact_to_those_who_run_it(client, moderator, session,
                                                                         make_dialogue_question):
    question = make_dialogue_question(session, Q.NEW, anonymous=True, email="rieng.tu@example.vn")
    page = _text(client.get(f"/doi-thoai/{session.id}/dieu-hanh"))
    assert question.asker_name in page and "rieng.tu@example.vn" in page and "shown as anonymous" in page


def test_the_queue_filters_by_state_with_counts(client, moderator, session, make_dialogue_question):
    bodies = {state: make_dialogue_question(session, state, body=f"Câu hỏi trạng thái {state.value}").body
              for state in Q}
    page = _text(client.get(f"/doi-thoai/{session.id}/dieu-hanh"))
    assert re.search(r'aria-current="page">Waiting \(3\)', page)
    assert all(bodies[s] in page for s in (Q.NEW, Q.APPROVED, Q.SHORTLISTED))
    assert bodies[Q.ANSWERED] not in page.split('id="queue"')[1] and bodies[Q.HIDDEN] not in page
    for state in Q:
        page = _text(client.get(f"/doi-thoai/{session.id}/dieu-hanh?state={state.value}"))
        queue = page.split('<ol class="queue">')[1]
        assert [b for s, b in bodies.items() if b in queue] == [bodies[state]], state
        assert re.search(rf'aria-current="page">{state.label} \(1\)', page)


def test_the_queue_sorts_by_votes_or_by_time(client, moderator, session, make_dialogue_question):
    older = make_dialogue_question(session, body="Câu hỏi cũ nhiều phiếu", votes=9)
    newer = make_dialogue_question(session, body="Câu hỏi mới ít phiếu", votes=1)
    by_votes = _text(client.get(f"/doi-thoai/{session.id}/dieu-hanh?sort=votes"))
    assert by_votes.index(older.body) < by_votes.index(newer.body)
    by_time = _text(client.get(f"/doi-thoai/{session.id}/dieu-hanh?sort=time"))
    assert by_time.index(newer.body) < by_time.index(older.body)


def _queue_poller(page):
    element = re.search(r'<div id="queue-poll"[^>]*>', page, re.S).group(0)
    url = re.search(r'hx-get="([^"]+)"', element).group(1).replace("&amp;", "&")
    import json

    return url, json.loads(re.search(r"hx-headers='([^']+)'", element).group(1))["If-None-Match"]


def _poll_queue(client, url, tag):
    return client.get(url, headers={"HX-Request": "true", "HX-Target": "div#queue", "If-None-Match": tag})


def test_the_queue_refreshes_itself_with_new_arrivals(app, client, moderator, session):
    page = _text(client.get(f"/doi-thoai/{session.id}/dieu-hanh?state=new&sort=time"))
    url, tag = _queue_poller(page)
    assert "state=new" in url and "sort=time" in url and 'data-pause-while-editing="#queue"' in page
    assert _poll_queue(client, url, tag).status_code == 304
    visitor = app.test_client()
    visitor.post(f"/doi-thoai/{session.id}/dat-cau-hoi", data={
        "body": "Câu hỏi vừa gửi tới trong buổi đối thoại", "name": "Người xem", "email": "xem@example.vn",
        "idempotency_key": "a" * 32, "website": ""})
    response = _poll_queue(client, url, tag)
    assert response.status_code == 200
    assert "Câu hỏi vừa gửi tới trong buổi đối thoại" in _text(response) and "<html" not in _text(response)
    assert _poll_queue(client, *_queue_poller(_text(response))).status_code == 304


def test_the_queue_refreshes_after_a_vote(app, client, moderator, session, make_dialogue_question):
    question = make_dialogue_question(session)
    url, tag = _queue_poller(_text(client.get(f"/doi-thoai/{session.id}/dieu-hanh")))
    app.test_client().post(f"/doi-thoai/{session.id}/cau-hoi/{question.id}/binh-chon")
    assert "1 vote" in _text(_poll_queue(client, url, tag))


# Each action, its audit entry, its refusal


def test_approve_makes_the_question_public_and_searchable(client, moderator, session, make_dialogue_question):
    question = make_dialogue_question(session, Q.NEW, body="Câu hỏi chờ duyệt về học phí")
    response = _act(client, question, "approve")
    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"/doi-thoai/{session.id}/dieu-hanh?")
    assert _reload(question).state is Q.APPROVED
    assert [e.actor_id for e in _audit("dialogue.question_approve")] == [moderator.id]
    assert "The question is now public." in _text(client.get(response.headers["Location"]))
    assert "Câu hỏi chờ duyệt về học phí" in _text(client.get(f"/doi-thoai/{session.id}"))


def _refused(client, question, action, message, **data):
    response = _act(client, question, action, **data)
    assert response.status_code == 409
    assert message in _text(response)
    return response


def test_approving_an_approved_question_is_refused(client, moderator, session, make_dialogue_question):
    question = make_dialogue_question(session, Q.APPROVED)
    _refused(client, question, "approve", "This cannot be done while the question is “Approved”.")
    assert _audit("dialogue.question_approve") == []


def test_shortlist_and_unshortlist(client, moderator, session, make_dialogue_question):
    question = make_dialogue_question(session, Q.APPROVED)
    assert _act(client, question, "shortlist").status_code == 303
    assert _reload(question).state is Q.SHORTLISTED
    _refused(client, question, "shortlist", "cannot be done")
    assert _act(client, question, "unshortlist").status_code == 303
    assert _reload(question).state is Q.APPROVED
    assert len(_audit("dialogue.question_shortlist")) == len(_audit("dialogue.question_unshortlist")) == 1


def test_hide_needs_a_reason_and_keeps_it(client, moderator, session, make_dialogue_question):
    question = make_dialogue_question(session, Q.APPROVED, body="Câu hỏi có lời lẽ xúc phạm")
    _refused(client, question, "hide", "Give the reason for hiding the question.", reason="  ")
    assert _act(client, question, "hide", reason="Lời lẽ không phù hợp").status_code == 303
    question = _reload(question)
    assert question.state is Q.HIDDEN and question.hidden_reason == "Lời lẽ không phù hợp"
    assert "Câu hỏi có lời lẽ xúc phạm" not in _text(client.get(f"/doi-thoai/{session.id}"))
    assert len(_audit("dialogue.question_hide")) == 1


def test_edit_wording_changes_the_public_text_and_keeps_the_original(client, moderator, session,
                                                                     make_dialogue_question):
    question = make_dialogue_question(session, body="Tôi là Nguyễn Văn A, số nhà 5, hỏi về sổ đỏ")
    assert _act(client, question, "edit_wording", body="Một người dân hỏi về sổ đỏ").status_code == 303
    question = _reload(question)
    assert question.public_body == "Một người dân hỏi về sổ đỏ" and question.body.startswith("Tôi là")
    public = _text(client.get(f"/doi-thoai/{session.id}"))
    assert "Một người dân hỏi về sổ đỏ" in public and "số nhà 5" not in public
    _refused(client, question, "edit_wording", "The question cannot be empty.", body="")
    assert len(_audit("dialogue.question_edit_wording")) == 1


def test_categorise(client, moderator, session, make_dialogue_question):
    question = make_dialogue_question(session)
    assert _act(client, question, "categorise", category="Đất đai").status_code == 303
    assert _reload(question).category == "Đất đai"
    assert len(_audit("dialogue.question_categorise")) == 1


def test_merge_hides_the_duplicate_and_moves_its_votes(client, moderator, session, make_dialogue_question):
    keep = make_dialogue_question(session, body="Câu hỏi gốc")
    duplicate = make_dialogue_question(session, body="Câu hỏi trùng")
    for key in ("browser:1", "browser:2"):
        services.toggle_vote(duplicate, key)
    services.toggle_vote(keep, "browser:1")
    db.session.commit()
    assert _act(client, duplicate, "merge", into=str(keep.id)).status_code == 303
    duplicate, keep = _reload(duplicate), _reload(keep)
    assert duplicate.state is Q.HIDDEN and duplicate.merged_into_id == keep.id
    assert keep.vote_count == 2  # browser:1 counted once
    assert _audit("dialogue.question_merge")[0].details == {"into": keep.id}


@pytest.mark.parametrize("into", ["", "999999", "self"])
def test_merge_into_nothing_or_itself_is_refused(client, moderator, session, make_dialogue_question, into):
    question = make_dialogue_question(session)
    _refused(client, question, "merge", "Choose another question of the same session to merge into.",
             into=str(question.id) if into == "self" else into)
    assert _reload(question).state is Q.APPROVED


def test_merge_into_a_question_of_another_session_is_refused(client, moderator, session, make_dialogue_session,
                                                             make_dialogue_question):
    question = make_dialogue_question(session)
    foreign = make_dialogue_question(make_dialogue_session(S.LIVE))
    _refused(client, question, "merge", "Choose another question", into=str(foreign.id))


def test_mark_current_and_stop(client, moderator, session, make_dialogue_question):
    question = make_dialogue_question(session)
    assert _act(client, question, "current").status_code == 303
    db.session.expire_all()
    assert session.current_question_id == question.id
    console = _text(client.get(f"/doi-thoai/{session.id}/dieu-hanh"))
    assert re.search(r"Now answering</h2>\s*<p class=\"current-question\"><span class=\"q-number\">#%d" % question.id,
                     console)
    assert _act(client, question, "uncurrent").status_code == 303
    db.session.expire_all()
    assert session.current_question_id is None
    assert len(_audit("dialogue.current")) == 2


def test_a_new_question_cannot_be_current(client, moderator, session, make_dialogue_question):
    question = make_dialogue_question(session, Q.NEW)
    _refused(client, question, "current", "Only a published question of this session can be the current one.")


def test_no_current_question_before_the_session_is_live(client, moderator, make_dialogue_session,
                                                        make_dialogue_question):
    announced = make_dialogue_session(S.ANNOUNCED)
    question = make_dialogue_question(announced)
    _refused(client, question, "current", "The session is not live.")
    assert "none can be marked as being answered" in _text(client.get(f"/doi-thoai/{announced.id}/dieu-hanh"))


# Answers


def _publish(client, question, official, text):
    return _act(client, question, "publish", official=str(official.id), answer=text)


def test_publishing_an_answer_under_an_officials_name(client, moderator, session, make_dialogue_question):
    question = make_dialogue_question(session, email=None)
    services.set_current(session, question, moderator)
    db.session.commit()
    official = session.officials[1]
    response = _publish(client, question, official, "Hồ sơ gồm đơn và bản sao.\n\n<script>x</script><b>Nộp</b> tại xã.")
    assert response.status_code == 303
    question = _reload(question)
    assert question.state is Q.ANSWERED and question.answer.official_id == official.id
    assert "Hồ sơ gồm đơn và bản sao." in question.answer.body_html and "<b>Nộp</b>" in question.answer.body_html
    assert "<script>" not in question.answer.body_html
    assert question.answer.typed_by_id == moderator.id
    assert _audit("dialogue.answer_publish")[0].details == {"official": official.id}
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0  # no e-mail given, none sent


def test_publishing_tells_the_asker_by_email_in_vietnamese_by_default(client, moderator, session,
                                                                      make_dialogue_question):
    question = make_dialogue_question(session, email="nguoi.hoi@example.vn", body="Câu hỏi của người có e-mail")
    assert _publish(client, question, session.officials[0], "Câu trả lời gửi qua thư.").status_code == 303
    [message] = db.session.scalars(sa.select(OutboxMessage)).all()
    assert message.kind == "dialogue.answered" and message.to_address == "nguoi.hoi@example.vn"
    assert session.title[:40] in message.subject
    assert "Câu hỏi của người có e-mail" in message.body and "Nguyễn Văn Lãnh" in message.body
    assert f"/doi-thoai/{session.id}#q-{question.id}" in message.body
    assert question.asker_name in message.body


def test_an_empty_answer_is_refused_and_nothing_is_published(client, moderator, session, make_dialogue_question):
    question = make_dialogue_question(session)
    services.set_current(session, question, moderator)
    db.session.commit()
    _refused(client, question, "publish", "Write the answer before publishing it.",
             official=str(session.officials[0].id), answer="  <p> </p> ")
    assert _reload(question).state is Q.APPROVED and _reload(question).answer is None
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0


def test_a_refused_answer_keeps_what_was_typed(client, moderator, session, make_dialogue_question):
    question = make_dialogue_question(session)
    services.set_current(session, question, moderator)
    db.session.commit()
    page = _text(_act(client, question, "publish", official="999999", answer="Câu trả lời đang gõ dở"))
    assert "Choose the official who answers." in page
    assert re.search(r'<textarea id="answer"[^>]*>Câu trả lời đang gõ dở</textarea>', page)


def test_an_official_of_another_session_is_refused(client, moderator, session, make_dialogue_session,
                                                   make_dialogue_question):
    question = make_dialogue_question(session)
    stranger = make_dialogue_session(S.LIVE).officials[0]
    _refused(client, question, "publish", "Choose the official who answers.", official=str(stranger.id),
             answer="Trả lời")


def test_publishing_twice_is_refused(client, moderator, session, make_dialogue_question):
    question = make_dialogue_question(session, Q.ANSWERED)
    _refused(client, question, "publish", "This question already has an answer; edit it instead.",
             official=str(session.officials[0].id), answer="Lần hai")


def test_correcting_an_answer_keeps_the_earlier_text(client, moderator, session, make_dialogue_question):
    question = make_dialogue_question(session, Q.ANSWERED)
    before = question.answer.body_html
    response = _act(client, question, "edit_answer", official=str(session.officials[1].id),
                    answer="Thủ tục được giải quyết trong 3 ngày làm việc.")
    assert response.status_code == 303
    question = _reload(question)
    assert question.answer.body_html == "<p>Thủ tục được giải quyết trong 3 ngày làm việc.</p>"
    assert question.answer.official_id == session.officials[1].id
    [revision] = db.session.scalars(sa.select(DialogueAnswerRevision)).all()
    assert revision.body_html == before and revision.edited_by_id == moderator.id
    assert len(_audit("dialogue.answer_edit")) == 1
    assert "Thủ tục được giải quyết trong 3 ngày làm việc." in _text(client.get(f"/doi-thoai/{session.id}"))
    services.set_current(session, question, moderator)
    db.session.commit()
    assert "corrected 1 time" in _text(client.get(f"/doi-thoai/{session.id}/dieu-hanh"))


def test_correcting_a_question_without_answer_is_refused(client, moderator, session, make_dialogue_question):
    question = make_dialogue_question(session)
    _refused(client, question, "edit_answer", "This question has no answer yet.", answer="Sửa")
    assert db.session.scalar(sa.select(sa.func.count(DialogueAnswerRevision.id))) == 0


def test_an_empty_correction_is_refused_and_the_answer_unchanged(client, moderator, session, make_dialogue_question):
    question = make_dialogue_question(session, Q.ANSWERED)
    before = question.answer.body_html
    _refused(client, question, "edit_answer", "Write the answer before publishing it.", answer="")
    assert _reload(question).answer.body_html == before
    assert db.session.scalar(sa.select(sa.func.count(DialogueAnswerRevision.id))) == 0


def test_the_console_shows_the_publish_form_for_the_current_question(client, moderator, session,
                                                                     make_dialogue_question):
    question = make_dialogue_question(session)
    services.set_current(session, question, moderator)
    db.session.commit()
    page = _text(client.get(f"/doi-thoai/{session.id}/dieu-hanh"))
    form = re.search(r'<form method="post" action="[^"]*/%d/publish[^"]*">(.*?)</form>' % question.id, page, re.S)
    assert form and '<select id="official" name="official">' in form.group(1)
    assert "Nguyễn Văn Lãnh – Giám đốc Sở" in form.group(1) and '<textarea id="answer"' in form.group(1)
