"""Fixtures: the app on SQLite or PostgreSQL (PORTAL_TEST_DB), a database rolled back after each test,
factories with good defaults, and a signed-in client per role."""
import itertools

import pytest
from flask_sqlalchemy.session import Session as FlaskSession

from accounts import services
from accounts.models import AgencyKind, Role, Topic
from extensions import db, limiter
from testapp import PASSWORD, database_url, is_postgresql, make_test_app  # noqa: F401

def pytest_report_header(config):
    """Say which database this run uses, so a log shows it."""
    return [f"portal test database: {'postgresql' if is_postgresql() else 'sqlite'}"]


def _fresh_request_globals(sender, **extra):
    """Tests run inside an app context that the test client reuses for every request; give each
    request an empty `g`, as it has in production (Flask-Login keeps the loaded user there)."""
    from flask import g

    g.__dict__.clear()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """The app under test, on a database made by the migrations."""
    from flask import request_started

    app = make_test_app(database_url(tmp_path_factory.mktemp("db"), "portal_test"))
    request_started.connect(_fresh_request_globals, app)
    yield app
    with app.app_context():
        db.engine.dispose()


class OneConnectionSession(FlaskSession):
    """Every query of the app under test goes through the test's connection, inside its transaction.
    Another app in the same process (the browser tests' live server, still answering a page that polls)
    keeps its own engine: `db.session` is one global object, and a second thread must never use this
    connection."""

    test_app = None

    def get_bind(self, *args, **kwargs):
        from flask import current_app

        if current_app._get_current_object() is self.test_app:
            return self.bind
        return super().get_bind(*args, **kwargs)


@pytest.fixture(autouse=True)
def _transaction(request, app):
    """Run each test inside a transaction that is rolled back, so tests never see each other's data."""
    if "no_db_transaction" in request.keywords:
        yield
        return
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original = db.session
        OneConnectionSession.test_app = app
        db.session = db._make_scoped_session({
            "bind": connection, "join_transaction_mode": "create_savepoint", "class_": OneConnectionSession,
        })
        limiter.reset()
        try:
            yield
        finally:
            db.session.remove()
            db.session = original
            transaction.rollback()
            connection.close()


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


@pytest.fixture
def csrf(app):
    """Switch CSRF protection on for one test."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


_counter = itertools.count(1)


@pytest.fixture
def make_agency(app):
    """Create an agency; every argument has a good default."""
    def factory(code=None, name=None, kind=AgencyKind.DEPARTMENT, parent=None):
        n = next(_counter)
        agency = services.create_agency(code or f"AG-{n}", name or f"Sở Thử nghiệm {n}", kind,
                                        parent.code if parent else None)
        db.session.commit()
        return agency
    return factory


@pytest.fixture
def make_user(app, make_agency):
    """Create a user of a role; staff and leaders get an agency of their own unless one is given."""
    def factory(role=Role.CITIZEN, agency=None, email=None, password=PASSWORD, name=None, active=True):
        role = Role(role)
        if role.is_agency_role and agency is None:
            agency = make_agency()
        n = next(_counter)
        user = services.create_user(email or f"user{n}@example.vn", password, role,
                                    agency.code if agency else None, name or f"Người dùng {n}")
        user.active = active
        db.session.commit()
        return user
    return factory


@pytest.fixture
def make_topic(app):
    """Create a topic (lĩnh vực)."""
    def factory(name=None, slug=None):
        n = next(_counter)
        topic = Topic(slug=slug or f"linh-vuc-{n}", name=name or f"Lĩnh vực {n}")
        db.session.add(topic)
        db.session.commit()
        return topic
    return factory


class Auth:
    """Sign a test client in and out."""

    def __init__(self, client):
        self.client = client

    def login(self, user_or_email, password=PASSWORD, **kwargs):
        email = getattr(user_or_email, "email", user_or_email)
        return self.client.post("/dang-nhap", data={"email": email, "password": password}, **kwargs)

    def logout(self):
        return self.client.post("/dang-xuat")


@pytest.fixture
def auth(client):
    """Sign-in helper for the test client."""
    return Auth(client)


@pytest.fixture
def login_as(client, auth, make_user):
    """Sign in a new user of the given role and return it."""
    def factory(role, **kwargs):
        user = make_user(role, **kwargs)
        response = auth.login(user)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user
    return factory


@pytest.fixture
def make_question(app, make_topic, make_agency):
    """Create a question in any state, as the workflow would have left it; answer text for answered ones."""
    from datetime import timedelta

    from database import utcnow
    from feedback import asking, workflow
    from feedback.models import Answer, Question, QuestionEvent, QuestionState

    def factory(state=QuestionState.SUBMITTED, agency=None, topic=None, title=None, body=None, consent=True,
                email="nguoi.hoi@example.vn", phone=None, answer="<p>Câu trả lời của cơ quan.</p>",
                published_days_ago=0, due_in_days=10, **fields):
        state = QuestionState(state)
        n = next(_counter)
        question = Question(
            tracking_code=asking.new_tracking_code(), idempotency_key=asking.new_idempotency_key(),
            title=title or f"Câu hỏi số {n} về thủ tục hành chính",
            body=body or f"Nội dung câu hỏi số {n}: xin hỏi thời hạn giải quyết hồ sơ là bao lâu?",
            topic=topic or make_topic(), asker_name=f"Người hỏi {n}", asker_email=email, asker_phone=phone,
            consent_publish=consent, state=state, **fields)
        db.session.add(question)
        db.session.add(QuestionEvent(question=question, action="submitted", to_state="submitted"))
        if state not in (QuestionState.SUBMITTED, QuestionState.REJECTED):
            question.agency = agency or make_agency()
            question.assigned_at = utcnow() - timedelta(days=published_days_ago + 1)
            question.due_on = (utcnow() + timedelta(days=due_in_days)).date()
        if state is QuestionState.REJECTED:
            question.rejection_reason = fields.get("rejection_reason", "spam")
        if state in (QuestionState.DRAFTED, QuestionState.PENDING_APPROVAL, QuestionState.PUBLISHED):
            db.session.add(Answer(question=question, body_html=answer))
        if state is QuestionState.PUBLISHED:
            question.published_at = utcnow() - timedelta(days=published_days_ago)
            db.session.flush()
            question.answer.published_at = question.published_at
            workflow.index_for_search(question)
        db.session.commit()
        return question
    return factory


@pytest.fixture
def paths(app, make_user, make_question, make_dialogue_session, make_dialogue_question, make_dossier,
          make_counter, tmp_path):
    """Fill the placeholders of a table path with real objects."""
    from feedback.models import Attachment, QuestionState

    def fill(path, **given):
        if "{" not in path:
            return path
        values = {"other": given.get("other") or make_user(Role.STAFF).id}
        if "{published}" in path:
            values["published"] = make_question(QuestionState.PUBLISHED).id
        if "{question}" in path or "{attachment}" in path:
            question = make_question(QuestionState.ASSIGNED)
            values["question"] = question.id
            stored = "test-attachment.pdf"
            (app.config["UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)
            (app.config["UPLOAD_DIR"] / stored).write_bytes(b"%PDF-1.4 test")
            item = Attachment(question_id=question.id, stored_name=stored, filename="giay-to.pdf",
                              content_type="application/pdf", size=13, sha256="0" * 64)
            db.session.add(item)
            db.session.commit()
            values["attachment"] = item.id
        if "{session}" in path or "{dquestion}" in path:
            from dialogue.models import SessionState

            session = make_dialogue_session(SessionState.LIVE)  # of an agency no test user belongs to
            values["session"] = session.id
            values["dquestion"] = make_dialogue_question(session).id
        if "{ended_session}" in path:  # the archive: an ended session with a cover and an answered question
            from dialogue.models import DialogueQuestionState, SessionState

            covers = app.config["UPLOAD_DIR"] / "covers"
            covers.mkdir(parents=True, exist_ok=True)
            (covers / ("0" * 32 + ".png")).write_bytes(b"\x89PNG\r\n\x1a\n test cover")
            ended = make_dialogue_session(SessionState.ENDED, cover_image="0" * 32 + ".png")
            make_dialogue_question(ended, DialogueQuestionState.ANSWERED)
            values["ended_session"] = ended.id
        if "{token}" in path:  # the survey of a completed dossier, not yet answered
            values["token"] = make_dossier().survey_token
        if "{dossier}" in path:  # of an agency no test user belongs to
            values["dossier"] = make_dossier().id
        if "{counter}" in path:  # of an agency no test user belongs to
            values["counter"] = make_counter().id
        if "{follow_up}" in path:  # a dissatisfied answer of an agency no test user belongs to
            from feedback import survey

            dossier = make_dossier()
            response, _created = survey.answer(dossier, 1, "link")
            db.session.commit()
            values["follow_up"] = response.follow_up.id
        if "{api_key}" in path:
            from feedback import dossiers

            key, _secret = dossiers.create_key("Hệ thống một cửa (kiểm thử)")
            db.session.commit()
            values["api_key"] = key.id
        return path.format(**{**values, **given})
    return fill


@pytest.fixture
def make_dialogue_session(app, make_topic, make_agency):
    """Create a dialogue session in any state, with two officials; questions open from yesterday to tomorrow."""
    from datetime import timedelta

    from database import utcnow
    from dialogue.models import DialogueOfficial, DialogueSession, SessionState

    def factory(state=SessionState.ANNOUNCED, agency=None, title=None, starts_in_hours=2, **fields):
        n = next(_counter)
        now = utcnow()
        starts = now + timedelta(hours=starts_in_hours)
        session = DialogueSession(
            title=title or f"Đối thoại trực tuyến số {n} về cải cách hành chính",
            topic=make_topic(), host_agency=agency or make_agency(),
            description_html="<p>Lãnh đạo Sở trả lời câu hỏi của người dân và doanh nghiệp.</p>",
            starts_at=starts, ends_at=starts + timedelta(hours=2),
            questions_open_at=now - timedelta(days=1), questions_close_at=starts + timedelta(hours=2),
            state=SessionState(state), **fields)
        session.officials = [DialogueOfficial(name="Nguyễn Văn Lãnh", position="Giám đốc Sở", position_order=1),
                             DialogueOfficial(name="Trần Thị Phó", position="Phó Giám đốc Sở", position_order=2)]
        db.session.add(session)
        db.session.commit()
        return session
    return factory


@pytest.fixture
def make_dialogue_question(app):
    """Create a question in a session, in any state (answered ones get an answer by the first official)."""
    from database import utcnow
    from dialogue import services
    from dialogue.models import DialogueAnswer, DialogueQuestion, DialogueQuestionState as Q
    from feedback.asking import new_idempotency_key

    def factory(session, state=Q.APPROVED, body=None, votes=0, anonymous=False, email="nguoi.xem@example.vn"):
        n = next(_counter)
        state = Q(state)
        question = DialogueQuestion(session=session, idempotency_key=new_idempotency_key(),
                                    body=body or f"Câu hỏi đối thoại số {n}: thủ tục này mất bao lâu?",
                                    asker_name=f"Người xem {n}", anonymous=anonymous, asker_email=email,
                                    state=state, vote_count=votes)
        db.session.add(question)
        db.session.flush()
        if state is not Q.NEW:
            question.approved_at = utcnow()
        if state is Q.ANSWERED:
            question.answered_at = utcnow()
            answer = DialogueAnswer(question=question, official=session.officials[0],
                                    body_html="<p>Thủ tục được giải quyết trong 5 ngày làm việc.</p>")
            db.session.add(answer)
            db.session.flush()
            services.index_answered(question, answer)
        elif state in (Q.APPROVED, Q.SHORTLISTED):
            import search

            search.index(services.search_kind(session.id), question.id, question.shown_body,
                         published_at=question.approved_at)
        db.session.commit()
        return question
    return factory


@pytest.fixture
def make_dossier(app, make_agency):
    """Store a dossier through the intake rules (completed yesterday, on time, with the applicant's contact)."""
    from datetime import timedelta

    from database import utcnow
    from feedback import dossiers

    def factory(agency=None, code=None, completed=True, channel="counter", procedure="Cấp giấy phép xây dựng",
                phone="0912345678", email="nguoi.nop@example.vn", received_days_ago=10, due_in_days=-1,
                completed_days_ago=1, field="Xây dựng", key=None):
        n = next(_counter)
        agency = agency or make_agency()
        now = utcnow()
        received = now - timedelta(days=received_days_ago)
        data = {"code": code or f"H21.{n:05d}-261121-{n:04d}", "procedure": {"name": procedure},
                "field": field, "agency_code": agency.code,
                "received_at": received.isoformat() + "Z",
                "due_at": (now + timedelta(days=due_in_days)).isoformat() + "Z",
                "completed_at": (now - timedelta(days=completed_days_ago)).isoformat() + "Z" if completed else None,
                "channel": channel,
                "applicant": {"name": f"Người nộp {n}", "phone": phone, "email": email}}
        outcome = dossiers.intake_one(data, key=key)
        assert outcome.stored, outcome.errors
        db.session.commit()
        return outcome.dossier
    return factory


@pytest.fixture
def make_counter(app, make_agency):
    """Create a counter of the one-stop shop of an agency."""
    from feedback.survey_models import ServiceCounter

    def factory(agency=None, name=None):
        counter = ServiceCounter(agency=agency or make_agency(), name=name or f"Quầy số {next(_counter)}")
        db.session.add(counter)
        db.session.commit()
        return counter
    return factory
