"""Upvotes: one per browser or account, toggled off again, exact when many people vote at once, only on published
questions of a session that is not over; the button says whether it is pressed and works without JavaScript."""
import re

import pytest
import sqlalchemy as sa

from accounts.models import Role
from dialogue.models import DialogueQuestion, DialogueQuestionState as Q, DialogueVote, SessionState as S
from extensions import db
from feedback.public import VOTER_COOKIE
from testapp import PASSWORD, all_at_once, database_url, make_test_app


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("lang", "en")


@pytest.fixture
def session(make_dialogue_session):
    return make_dialogue_session(S.LIVE)


@pytest.fixture
def question(session, make_dialogue_question):
    return make_dialogue_question(session, Q.APPROVED)


def _vote(client, question, htmx=False):
    headers = {"HX-Request": "true", "HX-Target": f"form#vote-{question.id}"} if htmx else {}
    return client.post(f"/doi-thoai/{question.session_id}/cau-hoi/{question.id}/binh-chon", headers=headers)


def _count(question):
    return db.session.scalar(sa.select(DialogueQuestion.vote_count).where(DialogueQuestion.id == question.id))


def _votes(question):
    return db.session.scalar(sa.select(sa.func.count(DialogueVote.id)).where(DialogueVote.question_id == question.id))


def _pressed(page, question):
    form = re.search(rf'<form id="vote-{question.id}".*?</form>', page, re.S).group(0)
    return re.search(r'aria-pressed="(true|false)"', form).group(1) == "true"


def test_a_vote_counts_and_a_second_click_takes_it_back(client, question):
    first = _vote(client, question)
    assert first.status_code == 303
    assert first.headers["Location"] == f"/doi-thoai/{question.session_id}#q-{question.id}"
    assert _count(question) == 1 and _votes(question) == 1
    assert _pressed(client.get(f"/doi-thoai/{question.session_id}").get_data(as_text=True), question)
    assert _vote(client, question).status_code == 303
    assert _count(question) == 0 and _votes(question) == 0
    assert not _pressed(client.get(f"/doi-thoai/{question.session_id}").get_data(as_text=True), question)


def test_the_browser_is_remembered_by_a_long_lived_cookie(client, question):
    response = _vote(client, question)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(VOTER_COOKIE + "="))
    assert "HttpOnly" in cookie and "Max-Age=31536000" in cookie and "SameSite=Lax" in cookie


def test_each_browser_has_its_own_vote(app, question):
    browsers = [app.test_client() for _ in range(3)]
    for browser in browsers:
        assert _vote(browser, question).status_code == 303
    assert _count(question) == 3
    assert not _pressed(app.test_client().get(f"/doi-thoai/{question.session_id}").get_data(as_text=True), question)


def test_an_account_has_one_vote_whatever_the_browser(app, question, make_user):
    user = make_user(Role.CITIZEN)
    phone, laptop = app.test_client(), app.test_client()
    for browser in (phone, laptop):
        browser.post("/dang-nhap", data={"email": user.email, "password": PASSWORD})
    assert _vote(phone, question).status_code == 303
    page = laptop.get(f"/doi-thoai/{question.session_id}").get_data(as_text=True)
    assert _pressed(page, question)  # the laptop sees the account's vote
    assert _vote(laptop, question).status_code == 303  # …and pressing again takes it back
    assert _count(question) == 0
    assert db.session.scalar(sa.select(sa.func.count(DialogueVote.id))) == 0


def test_htmx_gets_the_button_alone_pressed_with_the_new_count(client, question):
    response = _vote(client, question, htmx=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in page and page.strip().startswith(f'<form id="vote-{question.id}"')
    assert _pressed(page, question) and "1 vote" in page
    again = _vote(client, question, htmx=True).get_data(as_text=True)
    assert not _pressed(again, question) and "0 votes" in again


def test_the_vote_button_is_a_labelled_toggle_in_a_real_form(client, question):
    page = client.get(f"/doi-thoai/{question.session_id}").get_data(as_text=True)
    form = re.search(rf'<form id="vote-{question.id}".*?</form>', page, re.S).group(0)
    assert 'method="post"' in form
    assert f'action="/doi-thoai/{question.session_id}/cau-hoi/{question.id}/binh-chon"' in form
    assert 'name="csrf_token"' in form and 'aria-pressed="false"' in form
    assert f'aria-describedby="q-{question.id}-text vote-{question.id}-count"' in form


@pytest.mark.parametrize("state", [Q.NEW, Q.HIDDEN])
def test_an_unpublished_question_cannot_be_voted_on(client, session, make_dialogue_question, state):
    hidden = make_dialogue_question(session, state)
    assert _vote(client, hidden).status_code == 404
    assert _votes(hidden) == 0


def test_an_answered_question_can_still_be_voted_on(client, session, make_dialogue_question):
    answered = make_dialogue_question(session, Q.ANSWERED)
    assert _vote(client, answered).status_code == 303 and _count(answered) == 1


def test_a_question_of_another_session_is_not_found(client, question, make_dialogue_session):
    other = make_dialogue_session(S.LIVE)
    assert client.post(f"/doi-thoai/{other.id}/cau-hoi/{question.id}/binh-chon").status_code == 404


def test_votes_close_with_the_session(client, make_dialogue_session, make_dialogue_question):
    ended = make_dialogue_session(S.ENDED, starts_in_hours=-20)
    question = make_dialogue_question(ended, Q.ANSWERED, votes=2)
    response = _vote(client, question)
    assert response.status_code == 409
    assert "Voting has closed for this session." in response.get_data(as_text=True)
    assert _count(question) == 2


def test_a_late_htmx_vote_gets_the_final_count_without_a_button(client, make_dialogue_session,
                                                                 make_dialogue_question):
    ended = make_dialogue_session(S.ENDED, starts_in_hours=-20)
    question = make_dialogue_question(ended, Q.ANSWERED, votes=2)
    response = _vote(client, question, htmx=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert f'<p class="vote" id="vote-{question.id}">' in page and "2 votes" in page and "<button" not in page


def test_a_vote_moves_the_sessions_version(client, session, question):
    before = session.version
    _vote(client, question)
    db.session.refresh(session)
    assert session.version == before + 1


def _voting_app(tmp_path, schema):
    """An app on a database of its own with one approved question of a live session; its vote address and id."""
    from datetime import timedelta

    from accounts import services as accounts
    from accounts.models import Topic
    from database import utcnow
    from dialogue.models import DialogueSession

    app = make_test_app(database_url(tmp_path, schema), DIALOGUE_VOTE_LIMIT_PER_IP="10000 per minute")
    with app.app_context():
        now = utcnow()
        session = DialogueSession(title="Đối thoại", topic=Topic(slug="dat-dai", name="Đất đai"),
                                  host_agency=accounts.create_agency("SO-X", "Sở X"), starts_at=now,
                                  ends_at=now + timedelta(hours=2), questions_open_at=now - timedelta(days=1),
                                  questions_close_at=now + timedelta(hours=2), state=S.LIVE)
        question = DialogueQuestion(session=session, idempotency_key="k" * 32, body="Câu hỏi", asker_name="A",
                                    state=Q.APPROVED)
        db.session.add_all([session, question])
        db.session.commit()
        path, question_id = f"/doi-thoai/{session.id}/cau-hoi/{question.id}/binh-chon", question.id
        db.session.remove()
    return app, path, question_id


def _stored_votes(app, question_id):
    """The question's counter and its vote rows, read afresh."""
    with app.app_context():
        counter = db.session.scalar(sa.select(DialogueQuestion.vote_count).where(DialogueQuestion.id == question_id))
        rows = db.session.scalars(sa.select(DialogueVote.voter_key).where(DialogueVote.question_id == question_id))
        result = counter, list(rows)
        db.session.remove()
    return result



@pytest.mark.no_db_transaction
def test_votes_from_many_browsers_at_once_are_all_counted_exactly(tmp_path):
    """Twenty browsers vote at once, then half of them take their vote back at once: no vote is lost or doubled."""
    app, path, question_id = _voting_app(tmp_path, "portal_votes")
    browsers = [app.test_client() for _ in range(20)]
    for n, browser in enumerate(browsers):
        browser.set_cookie(VOTER_COOKIE, f"{n:032x}")
    statuses = []
    assert all_at_once([lambda b=b: statuses.append(b.post(path).status_code) for b in browsers]) == []
    assert statuses == [303] * 20
    counter, keys = _stored_votes(app, question_id)
    assert counter == len(keys) == len(set(keys)) == 20
    assert all_at_once([lambda b=b: b.post(path) for b in browsers[::2]]) == []
    counter, keys = _stored_votes(app, question_id)
    assert counter == len(keys) == 10
    with app.app_context():
        db.engine.dispose()


@pytest.mark.no_db_transaction
def test_one_browser_double_clicking_at_once_never_counts_twice(tmp_path):
    """The same browser sends its vote twice at the same moment: the counter always matches the votes kept."""
    app, path, question_id = _voting_app(tmp_path, "portal_votes_twice")
    for round_ in range(5):
        twins = [app.test_client() for _ in range(2)]
        for browser in twins:
            browser.set_cookie(VOTER_COOKIE, f"{round_:032x}")
        assert all_at_once([lambda b=b: b.post(path) for b in twins]) == []
    counter, keys = _stored_votes(app, question_id)
    assert counter == len(keys) <= 5
    assert len(keys) == len(set(keys))
    with app.app_context():
        db.engine.dispose()
