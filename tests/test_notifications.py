"""E-mail through the outbox, against a real SMTP server on loopback: sent once, never lost, never doubled."""
import logging
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from aiosmtpd.smtp import AuthResult

import notifications
from accounts.models import Role
from database import utcnow
from extensions import db
from notifications import OutboxMessage, deliver_after_response, deliver_pending, queue
from smtp import Collector, free_port as _free_port, start_server as _start_server
from testapp import database_url, make_test_app

SUBJECT = "Câu hỏi của bạn đã được trả lời – mã HĐ-0042"
BODY = "Kính gửi ông Nguyễn Văn Ánh,\n\nSở Tư pháp tỉnh Gia Lai đã trả lời câu hỏi của ông.\nTrân trọng."
PASSWORD_FOR_SMTP = "s3cret-Smtp-Pa55word"


@pytest.fixture
def use_mail_settings(app):
    """Change the app's mail settings for one test, restoring them afterwards."""
    saved = {key: value for key, value in app.config.items() if key.startswith("MAIL_")}

    def apply(**settings):
        app.config.update(settings)
    yield apply
    for key in [key for key in app.config if key.startswith("MAIL_")]:
        del app.config[key]
    app.config.update(saved)


@pytest.fixture
def smtp_server(use_mail_settings):
    """A real SMTP server on 127.0.0.1 that collects messages; the app sends to it."""
    handler = Collector()
    controller = _start_server(handler)
    use_mail_settings(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_TIMEOUT=5)
    handler.port = controller.port
    yield handler
    controller.stop()


@pytest.fixture
def server_down(use_mail_settings):
    """Point the app at a closed port on loopback."""
    use_mail_settings(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port(), MAIL_TIMEOUT=5)


def _queue_and_commit(to="anh@example.vn", subject=SUBJECT, body=BODY, kind="question.answer"):
    message = queue(kind, to, subject, body)
    db.session.commit()
    return message


def _reload(message):
    db.session.expire_all()
    return db.session.get(OutboxMessage, message.id)


def _count_messages():
    return db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)))


def _make_due(message):
    message = _reload(message)
    message.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()


# queue and deliver


def test_queue_adds_the_message_to_the_session_without_committing(app):
    message = queue("question.receipt", "anh@example.vn", SUBJECT, BODY)
    assert message in db.session.new
    assert message.sent_at is None


def test_a_long_subject_with_line_breaks_is_kept_on_one_line_within_its_column(app):
    message = _queue_and_commit(subject="Câu hỏi\nvề đất đai " + "rất dài " * 40)
    subject = _reload(message).subject
    assert len(subject) == 200 and subject.endswith("…")
    assert subject.startswith("Câu hỏi về đất đai rất dài")


def test_a_queued_message_is_sent_once_in_utf8_and_marked_sent(smtp_server):
    message = _queue_and_commit()
    assert deliver_pending() == (1, 0)
    assert len(smtp_server.received) == 1
    recipients, email = smtp_server.received[0]
    assert recipients == ["anh@example.vn"]
    assert email["To"] == "anh@example.vn"
    assert email["Subject"] == SUBJECT
    assert email.get_content().replace("\r\n", "\n").rstrip("\n") == BODY
    assert email.get_content_charset() == "utf-8"
    assert "Cổng tương tác" in email["From"]
    message = _reload(message)
    assert message.sent_at is not None
    assert message.attempts == 0 and message.last_error is None


def test_nothing_is_sent_for_a_change_that_was_rolled_back(smtp_server):
    queue("question.receipt", "anh@example.vn", SUBJECT, BODY)
    db.session.rollback()
    assert deliver_pending() == (0, 0)
    assert smtp_server.received == []
    assert _count_messages() == 0


def test_messages_are_sent_oldest_first_and_at_most_limit_at_a_time(smtp_server):
    for n in range(3):
        _queue_and_commit(subject=f"Thư số {n}")
    assert deliver_pending(limit=2) == (2, 0)
    assert deliver_pending(limit=2) == (1, 0)
    assert smtp_server.subjects() == ["Thư số 0", "Thư số 1", "Thư số 2"]


def test_with_the_server_down_the_message_stays_queued_for_a_later_attempt(server_down):
    message = _queue_and_commit()
    before = utcnow()
    assert deliver_pending() == (0, 1)
    message = _reload(message)
    assert message.sent_at is None
    assert message.attempts == 1
    assert "Connection" in message.last_error and len(message.last_error) <= 300
    assert before + timedelta(seconds=59) <= message.next_attempt_at <= utcnow() + timedelta(seconds=61)
    assert deliver_pending() == (0, 0)  # not due yet


def test_when_the_server_is_back_and_the_time_has_come_the_message_is_sent_exactly_once(app, use_mail_settings,
                                                                                          smtp_server):
    real_port = smtp_server.port
    use_mail_settings(MAIL_PORT=_free_port())
    message = _queue_and_commit()
    assert deliver_pending() == (0, 1)
    use_mail_settings(MAIL_PORT=real_port)
    assert deliver_pending() == (0, 0)  # back, but the time has not come
    _make_due(message)
    assert deliver_pending() == (1, 0)
    assert deliver_pending() == (0, 0)
    assert smtp_server.subjects() == [SUBJECT]
    message = _reload(message)
    assert message.sent_at is not None and message.attempts == 1


def test_the_wait_after_each_failure_grows_to_two_hours_and_stays_there(server_down):
    message = _queue_and_commit()
    waits = []
    for _ in range(5):
        _make_due(message)
        started = utcnow()
        assert deliver_pending() == (0, 1)
        waits.append(round((_reload(message).next_attempt_at - started).total_seconds() / 60))
    assert waits == [1, 5, 30, 120, 120]
    assert _reload(message).attempts == 5


def test_a_dead_server_stops_the_batch_so_the_rest_wait_untouched(server_down):
    first, second = _queue_and_commit(), _queue_and_commit()
    assert deliver_pending() == (0, 1)
    assert _reload(first).attempts == 1
    assert _reload(second).attempts == 0 and _reload(second).last_error is None


def test_a_refused_login_is_recorded_without_the_password(use_mail_settings):
    handler = Collector()
    controller = _start_server(handler, auth_require_tls=False,
                               authenticator=lambda *args: AuthResult(success=False, handled=False))
    try:
        use_mail_settings(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USERNAME="cong",
                          MAIL_PASSWORD=PASSWORD_FOR_SMTP)
        message = _queue_and_commit()
        assert deliver_pending() == (0, 1)
    finally:
        controller.stop()
    message = _reload(message)
    assert "SMTPAuthenticationError" in message.last_error
    assert PASSWORD_FOR_SMTP not in message.last_error
    assert handler.received == []


def test_a_password_smtplib_cannot_send_is_reported_without_quoting_it(use_mail_settings):
    handler = Collector()
    controller = _start_server(handler, auth_require_tls=False,
                               authenticator=lambda *args: AuthResult(success=True))
    try:
        use_mail_settings(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USERNAME="cong",
                          MAIL_PASSWORD="mật-khẩu")
        message = _queue_and_commit()
        assert deliver_pending() == (0, 1)
    finally:
        controller.stop()
    error = _reload(message).last_error
    assert "must be ASCII" in error
    assert not any(char in error for char in "ậẩ")


def test_a_message_is_sent_after_logging_in_with_the_right_password(use_mail_settings):
    def authenticator(server, session, envelope, mechanism, auth_data):
        right = auth_data.login == b"cong" and auth_data.password == PASSWORD_FOR_SMTP.encode()
        return AuthResult(success=right, handled=False)

    handler = Collector()
    controller = _start_server(handler, auth_require_tls=False, authenticator=authenticator)
    try:
        use_mail_settings(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USERNAME="cong",
                          MAIL_PASSWORD=PASSWORD_FOR_SMTP)
        _queue_and_commit()
        assert deliver_pending() == (1, 0)
    finally:
        controller.stop()
    assert handler.subjects() == [SUBJECT]


# never twice


def test_two_deliveries_in_a_row_never_send_a_message_twice(smtp_server):
    for n in range(3):
        _queue_and_commit(subject=f"Thư số {n}")
    assert deliver_pending() == (3, 0)
    assert deliver_pending() == (0, 0)
    assert sorted(smtp_server.subjects()) == ["Thư số 0", "Thư số 1", "Thư số 2"]


def test_a_sender_holding_an_old_list_skips_messages_another_sender_has_claimed_or_sent(smtp_server, monkeypatch):
    sent, claimed = _queue_and_commit(subject="Đã gửi"), _queue_and_commit(subject="Đang gửi")
    message = _reload(claimed)
    message.next_attempt_at = utcnow() + notifications.CLAIM_LEASE  # as another sender's claim leaves it
    db.session.commit()
    assert deliver_pending() == (1, 0)
    # A slower sender read both ids before any of this happened: its conditional UPDATEs must find nothing.
    monkeypatch.setattr(notifications, "_due_ids", lambda now, limit: [sent.id, claimed.id])
    assert deliver_pending() == (0, 0)
    assert smtp_server.subjects() == ["Đã gửi"]


@pytest.mark.no_db_transaction
def test_two_threads_delivering_at_once_send_each_message_exactly_once(tmp_path):
    handler = Collector(delay=0.02)
    controller = _start_server(handler)
    app = make_test_app(database_url(tmp_path, "portal_mail"), MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    try:
        with app.app_context():
            for n in range(30):
                queue("test", f"nguoi{n}@example.vn", f"Thư số {n}", BODY)
            db.session.commit()
        barrier, results, errors = threading.Barrier(2), [], []

        def worker():
            with app.app_context():
                barrier.wait()
                try:
                    results.append(deliver_pending())
                except Exception as error:  # a locked database or a duplicate would surface here
                    errors.append(repr(error))

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert sum(sent for sent, _ in results) == 30 and all(failed == 0 for _, failed in results)
        assert sorted(handler.subjects()) == sorted(f"Thư số {n}" for n in range(30))
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).where(OutboxMessage.sent_at.is_(None))) == 0
    finally:
        controller.stop()
        with app.app_context():
            db.engine.dispose()


# development


def test_without_a_mail_server_the_message_is_logged_and_marked_sent(use_mail_settings, caplog):
    use_mail_settings(MAIL_SERVER=None)
    message = _queue_and_commit()
    with caplog.at_level(logging.INFO):
        assert deliver_pending() == (1, 0)
    assert SUBJECT in caplog.text and "Sở Tư pháp tỉnh Gia Lai" in caplog.text and "anh@example.vn" in caplog.text
    assert _reload(message).sent_at is not None


# after the response


def test_mail_queued_by_a_request_goes_out_only_when_its_response_is_closed(app, smtp_server):
    with app.test_request_context("/", method="POST"):
        _queue_and_commit()
        deliver_after_response()
        response = app.process_response(app.make_response("ok"))
    assert smtp_server.received == []  # the person gets their page first
    response.close()
    assert smtp_server.subjects() == [SUBJECT]


def test_asking_twice_in_one_request_delivers_once(app, monkeypatch):
    calls = []
    monkeypatch.setattr(notifications, "deliver_pending", lambda: calls.append(1))
    with app.test_request_context("/", method="POST"):
        deliver_after_response()
        deliver_after_response()
        response = app.process_response(app.make_response("ok"))
    response.close()
    assert calls == [1]


def test_a_failure_after_the_response_is_logged_not_raised(app, monkeypatch, caplog):
    def broken():
        raise RuntimeError("database gone")

    monkeypatch.setattr(notifications, "deliver_pending", broken)
    with app.test_request_context("/", method="POST"):
        deliver_after_response()
        response = app.process_response(app.make_response("ok"))
    response.close()
    assert "Sending e-mail after a response failed" in caplog.text


# the outbox page


def test_the_outbox_page_shows_each_message_with_its_state_for_an_admin(client, login_as, server_down):
    login_as(Role.ADMIN)
    client.set_cookie("lang", "en")
    waiting = _queue_and_commit(subject="Chờ gửi <b>lại</b>", to="cho@example.vn")
    deliver_pending()
    sent = _queue_and_commit(subject="Đã gửi rồi", kind="question.receipt")
    message = _reload(sent)
    message.sent_at = utcnow()
    db.session.commit()
    page = client.get("/quan-tri/thu-di").get_data(as_text=True)
    assert "Chờ gửi &lt;b&gt;lại&lt;/b&gt;" in page and "cho@example.vn" in page
    assert "Waiting" in page and "Attempts: 1" in page and _reload(waiting).last_error in page
    assert "Đã gửi rồi" in page and "Sent " in page and "question.receipt" in page
    assert "<details><summary>" in page and "Sở Tư pháp tỉnh Gia Lai" in page
    assert page.index("Đã gửi rồi") < page.index("Chờ gửi")  # newest first


def test_the_outbox_page_says_so_when_nothing_was_queued(client, login_as):
    login_as(Role.ADMIN)
    client.set_cookie("lang", "en")
    assert "No e-mail has been queued yet." in client.get("/quan-tri/thu-di").get_data(as_text=True)


@pytest.mark.parametrize("role", [role for role in Role if role != Role.ADMIN])
def test_the_outbox_page_is_forbidden_to_every_other_role(client, login_as, role):
    login_as(role)
    assert client.get("/quan-tri/thu-di").status_code == 403


def test_the_outbox_page_asks_a_visitor_to_sign_in(client):
    response = client.get("/quan-tri/thu-di")
    assert response.status_code == 302 and response.headers["Location"].startswith("/dang-nhap?next=")


# the command line


def test_mail_send_delivers_what_is_due_and_says_how_it_went(app, smtp_server):
    _queue_and_commit()
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert "sent 1, failed 0" in result.output
    assert smtp_server.subjects() == [SUBJECT]


def test_mail_send_with_the_server_down_reports_the_failure(app, server_down):
    _queue_and_commit()
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert "sent 0, failed 1" in result.output


def test_mail_test_sends_one_message_and_says_so(app, smtp_server):
    result = app.test_cli_runner().invoke(args=["mail", "test", "--to", "quantri@example.vn"])
    assert result.exit_code == 0, result.output
    assert "sent to quantri@example.vn" in result.output
    assert [recipients for recipients, _ in smtp_server.received] == [["quantri@example.vn"]]
    message = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.kind == "test"))
    assert message.sent_at is not None


def test_mail_test_fails_with_the_reason_when_the_server_is_down(app, server_down):
    result = app.test_cli_runner().invoke(args=["mail", "test", "--to", "quantri@example.vn"])
    assert result.exit_code != 0
    assert "not sent to quantri@example.vn" in result.output and "Connection" in result.output
    assert "Traceback" not in result.output


def test_mail_test_without_a_mail_server_says_the_message_was_only_logged(app, use_mail_settings):
    use_mail_settings(MAIL_SERVER=None)
    result = app.test_cli_runner().invoke(args=["mail", "test", "--to", "quantri@example.vn"])
    assert result.exit_code == 0, result.output
    assert "MAIL_SERVER is not set" in result.output and "written to the log" in result.output
