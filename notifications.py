"""E-mail notifications through an outbox: a message is stored with the change that caused it, then sent."""
import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.header import Header
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import formatdate, make_msgid, parseaddr
from typing import Optional

import click
import sqlalchemy as sa
from flask import after_this_request, current_app, g
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy.orm import Mapped, mapped_column

from database import NFCString, NFCText, utcnow
from extensions import db


class OutboxMessage(db.Model):
    """An e-mail waiting to be sent, or sent. Stored in the same transaction as its cause, so none is lost."""

    __tablename__ = "outbox_message"
    __table_args__ = (sa.Index("ix_outbox_message_pending", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    to_address: Mapped[str] = mapped_column(NFCString(254))
    subject: Mapped[str] = mapped_column(NFCString(200))
    body: Mapped[str] = mapped_column(NFCText)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[Optional[datetime]]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[Optional[str]] = mapped_column(NFCString(500))


log = logging.getLogger(__name__)

# After the 1st, 2nd, 3rd failure: wait 1 min, 5 min, 30 min; then every 2 h, so a long outage costs little.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
# A claimed message is hidden from other senders this long; far above one send (a few MAIL_TIMEOUTs),
# and short enough that a message whose sender died mid-way is tried again the same hour.
CLAIM_LEASE = timedelta(minutes=15)
ERROR_LENGTH = 300


@dataclass(frozen=True)
class Claimed:
    """What a sender needs of a message it has claimed, read before the claim's transaction ends."""

    id: int
    to_address: str
    subject: str
    body: str
    attempts: int


@dataclass(frozen=True)
class Outcome:
    """The result of one attempt: sent, or why not, and whether the server itself is unusable."""

    ok: bool
    error: Optional[str] = None
    server_down: bool = False


# On Python 3.11 EmailMessage's folder drops the space between two encoded words (CPython gh-144156), so a
# long Vietnamese subject would arrive as "… trảlời …"; the older Header encoder keeps every space.
class MailPolicy(EmailPolicy):
    """The standard e-mail policy, except that a non-ASCII subject is folded by the older Header encoder."""

    def fold(self, name, value):
        """Fold a header for text output."""
        return self._fold_subject(name, value) or super().fold(name, value)

    def fold_binary(self, name, value):
        """Fold a header for the bytes sent over SMTP."""
        folded = self._fold_subject(name, value)
        return folded.encode("ascii") if folded else super().fold_binary(name, value)

    def _fold_subject(self, name, value):
        """The folded 'Subject: …' line(s) in RFC 2047 words, or None for other and plain-ASCII headers."""
        text = str(value)
        if name.lower() != "subject" or text.isascii():
            return None
        encoded = Header(text, "utf-8", header_name=name).encode(linesep=self.linesep)
        return f"{name}: {encoded}{self.linesep}"


MAIL_POLICY = MailPolicy()


def queue(kind, to_address, subject, body):
    """Add a message to the session, to be saved (or rolled back) with the change that caused it."""
    message = OutboxMessage(kind=kind, to_address=to_address, subject=_one_line(subject), body=body)
    db.session.add(message)
    return message


def _one_line(subject):
    """The subject on one line and within its column."""
    # PostgreSQL would refuse a long subject, and with it the submission that caused it;
    # a line break would make the header unsendable.
    subject = " ".join(subject.split())
    limit = OutboxMessage.__table__.c.subject.type.length
    return subject if len(subject) <= limit else subject[:limit - 1] + "…"


def deliver_pending(limit=50):
    """Send up to limit due messages, oldest first; return (sent, failed). Never raises for a send."""
    sent = failed = 0
    for message_id in _due_ids(utcnow(), limit):
        outcome = _deliver(message_id)
        if outcome is None:
            continue  # another process took it
        if outcome.ok:
            sent += 1
            continue
        failed += 1
        if outcome.server_down:
            break  # the rest would each wait up to MAIL_TIMEOUT and fail alike; they stay due
    return sent, failed


def _due_ids(now, limit):
    """The ids of the messages due for sending, oldest first, in a transaction of their own."""
    ids = db.session.scalars(
        sa.select(OutboxMessage.id)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
        .limit(limit)
    ).all()
    db.session.commit()
    return ids


def _deliver(message_id):
    """Claim one message, send it with no transaction open, and record the outcome; None if not claimed."""
    claimed = _claim(message_id, utcnow())
    if claimed is None:
        return None
    outcome = _send(claimed)
    _record(claimed, outcome, utcnow())
    return outcome


def _claim(message_id, now):
    """Take a due message for this process with a conditional UPDATE, committed at once; None if taken."""
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None),
               OutboxMessage.next_attempt_at <= now)
        .values(next_attempt_at=now + CLAIM_LEASE)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        return None
    row = db.session.execute(
        sa.select(OutboxMessage.to_address, OutboxMessage.subject, OutboxMessage.body, OutboxMessage.attempts)
        .where(OutboxMessage.id == message_id)
    ).one()
    db.session.commit()
    return Claimed(message_id, *row)


def _record(claimed, outcome, now):
    """Mark the message sent, or count the failure and set the time of the next attempt."""
    if outcome.ok:
        values = {"sent_at": now, "last_error": None}
    else:
        attempts = claimed.attempts + 1
        values = {"attempts": attempts, "last_error": outcome.error,
                  "next_attempt_at": now + BACKOFF[min(attempts, len(BACKOFF)) - 1]}
    db.session.execute(
        sa.update(OutboxMessage).where(OutboxMessage.id == claimed.id).values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _send(claimed):
    """Hand one message to the mail server (or to the log in development); report, never raise."""
    config = current_app.config
    try:
        email = _build(claimed, config)
        if not config.get("MAIL_SERVER"):
            _log_instead(email)
        else:
            _smtp_send(email, config)
    except Exception as error:  # noqa: BLE001  (whatever went wrong, the message stays queued)
        text = _describe(error, config.get("MAIL_PASSWORD"))
        log.warning("E-mail %s not sent: %s", claimed.id, text)  # the address stays out of the log
        return Outcome(ok=False, error=text, server_down=_server_unusable(error))
    return Outcome(ok=True)


def _build(claimed, config):
    """The e-mail itself, its Vietnamese subject and body encoded as UTF-8."""
    email = EmailMessage(policy=MAIL_POLICY)
    email["From"] = config["MAIL_FROM"]
    email["To"] = claimed.to_address
    email["Subject"] = claimed.subject
    email["Date"] = formatdate(usegmt=True)
    # The sender's domain, not make_msgid's default, which asks DNS for this host's name.
    email["Message-ID"] = make_msgid(domain=parseaddr(config["MAIL_FROM"])[1].partition("@")[2] or "localhost")
    email.set_content(claimed.body, cte="quoted-printable")  # 7-bit clean for any relay, without 8BITMIME
    return email


def _smtp_send(email, config):
    """Send through the configured server: SSL from the start, or STARTTLS, and a login when set."""
    host, port, timeout = config["MAIL_SERVER"], int(config["MAIL_PORT"]), float(config["MAIL_TIMEOUT"])
    if config.get("MAIL_USE_SSL"):
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            _login(smtp, config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(email)


def _login(smtp, username, password):
    """Log in; smtplib can only send ASCII credentials, so say so rather than quote a character of them."""
    if not (username.isascii() and password.isascii()):
        raise smtplib.SMTPAuthenticationError(0, "MAIL_USERNAME and MAIL_PASSWORD must be ASCII for smtplib")
    smtp.login(username, password)


def _server_unusable(error):
    """Whether an error would hit every message alike (server down or refusing us), not only this one."""
    if isinstance(error, (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected,
                          smtplib.SMTPAuthenticationError)):
        return True
    return isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)


def _log_instead(email):
    """Development (no MAIL_SERVER): write the message to the log; it is marked sent and stays on the page."""
    current_app.logger.info("MAIL_SERVER is not set, so this e-mail was logged, not sent.\nTo: %s\n"
                            "Subject: %s\n\n%s", email["To"], email["Subject"], email.get_content())


def _describe(error, password):
    """A short error text for the outbox page, with the password (should a server echo it) blanked."""
    text = f"{type(error).__name__}: {error}".strip().replace("\x00", "")  # a NUL cannot be stored
    if password:
        text = text.replace(password, "***")
    return text[:ERROR_LENGTH]


def deliver_after_response():
    """Send what is due once this response has gone out, so nobody waits for (or on) the mail server."""
    if g.get("_outbox_delivery_registered"):
        return
    g._outbox_delivery_registered = True
    app = current_app._get_current_object()

    @after_this_request
    def _deliver_on_close(response):
        """Let the server finish sending the page first; the delivery runs when it closes the response."""
        response.call_on_close(lambda: _deliver_in_background(app))
        return response


def _deliver_in_background(app):
    """Run deliver_pending in an app context of its own (the request's is gone); log, never raise."""
    with app.app_context():
        try:
            deliver_pending()
        except Exception:  # noqa: BLE001  (the person already has their page; the cron job will retry)
            app.logger.exception("Sending e-mail after a response failed")


mail_cli = AppGroup("mail", help="Send the e-mail waiting in the outbox.")


@mail_cli.command("send")
@click.option("--limit", default=50, show_default=True, help="At most this many messages.")
def send_command(limit):
    """Send the messages that are due (for a cron job or a systemd timer)."""
    sent, failed = deliver_pending(limit)
    click.echo(f"sent {sent}, failed {failed}")


@mail_cli.command("test")
@click.option("--to", "to_address", required=True, help="The address to send the test message to.")
def test_command(to_address):
    """Queue one test message and send it now, to check the mail settings."""
    subject = _("Test message from %(portal)s", portal=current_app.config["PORTAL_NAME"])
    message = queue("test", to_address, subject,
                    _("This message checks that the portal can send e-mail. No action is needed."))
    db.session.commit()
    outcome = _deliver(message.id)
    if outcome is None:  # a concurrent `mail send` took it: it is sent or retried there
        raise click.ClickException(f"message {message.id} was taken by another sender; see the outbox page")
    if not outcome.ok:
        raise click.ClickException(f"not sent to {to_address}: {outcome.error}")
    if not current_app.config.get("MAIL_SERVER"):
        click.echo(f"MAIL_SERVER is not set: the message to {to_address} was written to the log, not sent")
        return
    click.echo(f"sent to {to_address}")
