"""Receiving a question: one per submission however often it is sent, files checked by their content."""
import hashlib
import secrets
import uuid

import sqlalchemy as sa
from flask import current_app, render_template, url_for
from flask_babel import gettext as _

import notifications
import public_forms
from extensions import db
from public_forms import new_idempotency_key  # noqa: F401  (the demo loader takes it from here)

from . import workflow
from .models import Attachment, Question

# No 0/O, 1/I/L: a code read aloud over the phone or copied from paper stays right.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
SIGNATURES = {  # the first bytes of each file type we accept
    b"%PDF-": ("application/pdf", "pdf"),
    b"\xff\xd8\xff": ("image/jpeg", "jpg"),
    b"\x89PNG\r\n\x1a\n": ("image/png", "png"),
}


class AskError(ValueError):
    """A file or value refused; the message is for the asker."""


def new_tracking_code():
    """An unguessable tracking code (about 50 bits)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text):
    """Read a tracking code as typed: any case, with or without spaces and dashes."""
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())[:CODE_LENGTH]


def format_code(code):
    """A tracking code in readable groups: ABCDE-FGHJK."""
    return f"{code[:5]}-{code[5:]}"


def find_by_key(key):
    """The question already made from this form, if any."""
    return db.session.scalar(sa.select(Question).where(Question.idempotency_key == key))


def check_files(files):
    """Check the attachments: at most 3, 5 MB each, PDF/JPEG/PNG judged by their content."""
    config = current_app.config
    files = [f for f in files if f and f.filename]
    if len(files) > config["ATTACHMENT_MAX_COUNT"]:
        raise AskError(_("At most %(n)d files.", n=config["ATTACHMENT_MAX_COUNT"]))
    checked = []
    for storage in files:
        data = storage.read(config["ATTACHMENT_MAX_BYTES"] + 1)
        if len(data) > config["ATTACHMENT_MAX_BYTES"]:
            raise AskError(_("%(name)s is larger than 5 MB.", name=storage.filename))
        kind = next((v for sig, v in SIGNATURES.items() if data.startswith(sig)), None)
        if kind is None:
            raise AskError(_("%(name)s is not a PDF, JPEG or PNG file.", name=storage.filename))
        checked.append((storage.filename, kind, data))
    return checked


def store_files(question, checked):
    """Write checked files outside static/ under generated names."""
    folder = current_app.config["UPLOAD_DIR"]
    folder.mkdir(parents=True, exist_ok=True)
    for filename, (content_type, extension), data in checked:
        stored = f"{uuid.uuid4().hex}.{extension}"
        (folder / stored).write_bytes(data)
        db.session.add(Attachment(question=question, stored_name=stored, filename=filename[-200:],
                                  content_type=content_type, size=len(data),
                                  sha256=hashlib.sha256(data).hexdigest()))


def create_question(form, checked_files, user=None):
    """Store a new question from a valid form; the receipt goes to the asker's e-mail if given."""
    question = Question(
        tracking_code=new_tracking_code(), idempotency_key=form.idempotency_key.data,
        title=form.title.data, body=form.body.data, topic_id=form.topic.data,
        requested_agency_id=form.agency.data or None, asker_name=form.name.data,
        asker_email=(form.email.data or "").lower() or None, asker_phone=form.phone.data or None,
        asker_address=form.address.data or None, consent_publish=form.consent_publish.data,
        asker_user_id=user.id if user is not None and user.is_authenticated else None,
    )
    db.session.add(question)
    db.session.flush()
    store_files(question, checked_files)
    workflow.record_submission(question)
    notify_asker(question, "receipt")
    return question


def notify_asker(question, kind):
    """Queue an e-mail to the asker (receipt or answer), when they gave an address."""
    if not question.asker_email:
        return
    context = {"question": question, "code": format_code(question.tracking_code),
               "track_url": url_for("feedback.track", _external=True)}
    subject = {"receipt": _("Your question has been received – code %(code)s", code=context["code"]),
               "answer": _("Your question has been answered – code %(code)s", code=context["code"])}[kind]
    body = render_template(f"email/question_{kind}.txt", **context)
    notifications.queue(f"question.{kind}", question.asker_email, subject, body)


def contact_matches(question, contact):
    """Whether contact is the e-mail or phone given with the question."""
    return public_forms.contact_matches(contact, question.asker_email, question.asker_phone)