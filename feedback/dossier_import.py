"""Importing completed dossiers from a CSV file: read the file, check every row against the intake rules and the
stored dossiers, show a preview with each row's problems, and store all the rows or none once confirmed.

Between the preview and the confirmation the rows wait in a file of the instance folder, named by a random token
that only the uploader's session holds; it is deleted after the import, on cancelling, or after an hour.
"""
import csv
import io
import json
import os
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import abort, current_app, flash, make_response, redirect, request, session, url_for
from flask_babel import format_decimal, gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired

import audit
from accounts.auth import role_required
from accounts.models import Agency, Role
from extensions import db
from forms import BaseForm
from search import fold
from web import render

from . import bp, dossiers
from .survey_models import Dossier

COLUMNS = ("code", "procedure_name", "procedure_code", "field", "agency_code", "received_at", "due_at",
           "completed_at", "channel", "applicant_name", "applicant_phone", "applicant_email")
REQUIRED = ("code", "procedure_name", "received_at", "completed_at", "channel")
TIMES = ("received_at", "due_at", "completed_at")
# Column names as other systems and people write them (folded: no marks, lower case, words joined by "_").
ALIASES = {
    **{name: name for name in COLUMNS},
    "ma_ho_so": "code", "ma_hs": "code", "so_ho_so": "code",
    "ten_thu_tuc": "procedure_name", "thu_tuc": "procedure_name", "ten_tthc": "procedure_name",
    "procedure": "procedure_name",
    "ma_thu_tuc": "procedure_code", "ma_tthc": "procedure_code",
    "linh_vuc": "field",
    "ma_co_quan": "agency_code", "ma_don_vi": "agency_code", "agency": "agency_code",
    "ngay_tiep_nhan": "received_at", "ngay_nhan": "received_at", "ngay_nop": "received_at",
    "ngay_hen_tra": "due_at", "han_xu_ly": "due_at", "han_giai_quyet": "due_at", "ngay_hen": "due_at",
    "ngay_hoan_thanh": "completed_at", "ngay_tra_ket_qua": "completed_at", "ngay_co_ket_qua": "completed_at",
    "kenh": "channel", "kenh_nop": "channel", "hinh_thuc_nop": "channel", "hinh_thuc": "channel",
    "ho_ten": "applicant_name", "ten_nguoi_nop": "applicant_name", "nguoi_nop": "applicant_name",
    "ho_ten_nguoi_nop": "applicant_name",
    "so_dien_thoai": "applicant_phone", "dien_thoai": "applicant_phone", "sdt": "applicant_phone",
    "email": "applicant_email", "e_mail": "applicant_email", "thu_dien_tu": "applicant_email",
}
CHANNELS = {
    "online": "online", "truc_tuyen": "online", "dich_vu_cong_truc_tuyen": "online", "dvc_truc_tuyen": "online",
    "counter": "counter", "tai_quay": "counter", "truc_tiep": "counter", "tai_bo_phan_mot_cua": "counter",
    "postal": "postal", "buu_chinh": "postal", "buu_dien": "postal", "buu_chinh_cong_ich": "postal",
}
DAY_FIRST = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T]+(\d{1,2})[:h](\d{2})(?::(\d{2}))?)?$")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
KEEP_SECONDS = 3600
SESSION_KEY = "dossier_import"
EXAMPLE_CODE = "VI-DU-0001"  # the template's example row, refused if it is left in
STATUS_LABELS = {
    "new": _l("New"),
    "completes": _l("Completes a stored open dossier"),
    "same": _l("Already stored, unchanged"),
    "conflict": _l("Conflict"),
    "invalid": _l("Error"),
}
IMPORTERS = (Role.STAFF, Role.LEADER, Role.ADMIN)


class Refused(Exception):
    """A file that cannot be imported at all; the message says why and how to fix it."""


def _key(text):
    """A column name or value folded for comparison: "Mã hồ sơ" → "ma_ho_so"."""
    return re.sub(r"[^a-z0-9]+", "_", fold(text or "")).strip("_")


def read_csv(raw, filename, need_agency):
    """The rows of an uploaded CSV file as {column: text}, numbered as a spreadsheet numbers them; raises
    Refused for a file that is not a readable CSV of dossiers."""
    if not raw.strip():
        raise Refused(_("The file is empty."))
    if len(raw) > MAX_BYTES:
        raise Refused(_("The file is larger than %(n)s MB. Split it into smaller files.",
                        n=format_decimal(MAX_BYTES // (1024 * 1024))))
    if raw.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise Refused(_("This is a spreadsheet workbook, not a CSV file. In Excel, save it as "
                        "“CSV UTF-8 (Comma delimited)”."))
    if filename and not filename.lower().endswith((".csv", ".txt")):
        raise Refused(_("Choose a CSV file (its name ends in .csv)."))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Refused(_("The file is not in UTF-8. In Excel, save it as “CSV UTF-8 (Comma delimited)”; "
                        "in LibreOffice, choose the character set “Unicode (UTF-8)”.")) from None
    if "\x00" in text:
        raise Refused(_("This file is not a CSV file: the first row must hold the column names "
                        "(see the template)."))
    first = next(iter(text.splitlines()), "")
    line = first.rstrip("\r\n")
    if line.lower().startswith("sep=") and len(line) == 5:  # Excel's way of naming the separator
        delimiter, text = line[4], text.split("\n", 1)[1] if "\n" in text else ""
    else:
        delimiter = max(",;\t", key=lambda d: sum(_key(h) in ALIASES
                                                  for h in next(csv.reader([first], delimiter=d))))
    try:
        records = list(_records(text, delimiter))
    except csv.Error:
        raise Refused(_("This file could not be read as CSV. Check that quotes around values are closed.")) \
            from None
    header = records[0][1] if records else []
    columns = {}
    ignored = []
    for index, name in enumerate(header):
        column = ALIASES.get(_key(name))
        if column is None:
            if name.strip():
                ignored.append(name.strip())
            continue
        if column in columns.values():
            raise Refused(_("The column %(column)s appears twice.", column=name.strip()))
        columns[index] = column
    if not columns:
        raise Refused(_("This file is not a CSV file of dossiers: the first row must hold the column names "
                        "(see the template)."))
    required = REQUIRED + (("agency_code",) if need_agency else ())
    missing = [c for c in required if c not in columns.values()]
    if missing:
        raise Refused(_("Columns missing: %(columns)s. The first row must hold the column names "
                        "(see the template).", columns=", ".join(missing)))
    rows = []
    for number, cells in records[1:]:
        if not any(c.strip() for c in cells):
            continue
        values = {column: (cells[i].strip() if i < len(cells) else "") for i, column in columns.items()}
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            values["_extra"] = "1"
        rows.append((number, values))
        if len(rows) > MAX_ROWS:
            raise Refused(_("The file has more than %(n)s dossiers. Split it into files of at most %(n)s rows.",
                            n=format_decimal(MAX_ROWS)))
    if not rows:
        raise Refused(_("The file holds column names but no dossier."))
    headers = {column: header[i].strip() for i, column in columns.items()}
    return {"filename": filename, "headers": headers, "ignored": ignored, "rows": rows}


def _records(text, delimiter):
    """(spreadsheet row number, cells) of each record; a value may span lines inside quotes."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for number, cells in enumerate(reader, start=1):
        yield number, cells


def _csv_time(value):
    """A date as people write it (21/11/2026, 21/11/2026 08:30) or as ISO 8601, in the form validate reads."""
    found = DAY_FIRST.match(value)
    if not found:
        dossiers.parse_time(value)  # raises ValueError when it is not ISO 8601 either
        return value
    day, month, year, hour, minute, second = (int(g) if g else None for g in found.groups())
    if hour is None:
        return date(year, month, day).isoformat()
    return datetime(year, month, day, hour, minute, second or 0).isoformat()


@dataclass
class RowCheck:
    """One row of the file, what importing it would do, and its problems as (column, message)."""

    line: int
    values: dict
    item: object = None
    status: str = "invalid"
    problems: list = field(default_factory=list)


def _submission(row, own_agency):
    """The row as the intake rules read a dossier, with the problems only a CSV can have."""
    values = dict(row.values)
    own = set()  # columns whose problem is said here, in a CSV's words
    for name in TIMES:
        if values.get(name):
            try:
                values[name] = _csv_time(values[name])
            except ValueError:
                row.problems.append((name, _("Use a date like 21/11/2026 or 21/11/2026 08:30.")))
                own.add(name)
    if not values.get("completed_at") and "completed_at" not in own:
        row.problems.append(("completed_at", _("Only completed dossiers can be imported: give the completion date.")))
    if values.get("channel"):
        channel = CHANNELS.get(_key(values["channel"]))
        if channel is None:
            row.problems.append(("channel", _("Use one of: trực tuyến (online), tại quầy (counter), "
                                              "bưu chính (postal).")))
            own.add("channel")
        values["channel"] = channel
    phone = re.sub(r"[\s.]", "", values.get("applicant_phone") or "")
    if re.fullmatch(r"[235789]\d{8}", phone):  # a spreadsheet drops the leading zero of a number
        values["applicant_phone"] = "0" + phone
    if own_agency is not None:
        given = values.get("agency_code") or ""
        if not given or given.upper() == own_agency.upper():
            values["agency_code"] = own_agency
        else:
            row.problems.append(("agency_code", _("You may import only dossiers of your agency (%(code)s).",
                                                  code=own_agency)))
            own.add("agency_code")
    if values.get("_extra"):
        row.problems.append(("", _("This row has more values than the first row has column names.")))
    if (values.get("code") or "").upper() == EXAMPLE_CODE:
        row.problems.append(("code", _("This is the template's example row: delete it.")))
        own.add("code")
    applicant = {k: values.get(f"applicant_{k}") for k in ("name", "phone", "email") if values.get(f"applicant_{k}")}
    procedure = {"name": values.get("procedure_name"), "code": values.get("procedure_code") or None}
    data = {"code": values.get("code"), "procedure": procedure,
            "field": values.get("field") or None, "agency_code": values.get("agency_code"),
            "received_at": values.get("received_at"), "due_at": values.get("due_at") or None,
            "completed_at": values.get("completed_at") or None, "channel": values.get("channel"),
            **({"applicant": applicant} if applicant else {})}
    return data, own


def check(upload, user):
    """Check every row as the import would store it; return the rows and whether the file may be imported."""
    own_agency = user.agency.code if user.role in (Role.STAFF, Role.LEADER) and user.agency else None
    rows, seen = [], {}
    for line, values in upload["rows"]:
        row = RowCheck(line, values)
        rows.append(row)
        data, own = _submission(row, own_agency)
        try:
            item = dossiers.validate(data)
        except dossiers.Invalid as error:
            for name, messages in error.errors.items():
                column = name.replace(".", "_") if name != "applicant" else "applicant_name"
                if column not in own:
                    row.problems.extend((column, message) for message in messages)
            continue
        if row.problems:
            continue
        if item.code in seen:
            row.problems.append(("code", _("This dossier code is already on row %(line)d of the file.",
                                           line=seen[item.code])))
            row.status = "conflict"
            continue
        seen[item.code] = line
        row.item = item
    _compare_with_stored([r for r in rows if r.item is not None])
    counts = {status: sum(r.status == status for r in rows) for status in STATUS_LABELS}
    if counts["invalid"] or counts["conflict"]:
        reason = _("Nothing can be imported while rows have errors or conflicts: correct them in the file and "
                   "upload it again.")
    elif not (counts["new"] or counts["completes"]):
        reason = _("Nothing to import: every dossier of this file is already stored.")
    else:
        reason = None
    return {"rows": rows, "counts": counts, "ready": reason is None, "reason": reason,
            "problems": [(r.line, column, message) for r in rows for column, message in r.problems]}


def _compare_with_stored(rows):
    """What storing each valid row would do, read from the stored dossiers (a few queries for the file)."""
    agencies = dict(db.session.execute(sa.select(Agency.code, Agency.id).where(
        Agency.code.in_(sorted({r.item.agency_code for r in rows})))).all()) if rows else {}
    stored = {}
    codes = [r.item.code for r in rows]
    for start in range(0, len(codes), 500):
        for dossier in db.session.scalars(sa.select(Dossier).where(Dossier.code.in_(codes[start:start + 500]))):
            stored[dossier.code] = dossier
    for row in rows:
        item = row.item
        agency_id = agencies.get(item.agency_code)
        existing = stored.get(item.code)
        if agency_id is None:
            row.problems.append(("agency_code", _("No agency has this code.")))
            row.status, row.item = "invalid", None
        elif existing is None:
            row.status = "new"
        elif existing.agency_id != agency_id or existing.fingerprint != item.fingerprint:
            row.problems.append(("code", _("A different dossier with this code is already stored.")))
            row.status = "conflict"
        elif existing.completed_at == item.completed_at:
            row.status = "same"
        elif existing.completed_at is None:
            row.status = "completes"
        else:
            row.problems.append(("completed_at", _("This dossier is already stored with another completion time.")))
            row.status = "conflict"


# --- the upload waiting for confirmation ---------------------------------------------------------------------------

def _folder(create=False):
    """Where uploads wait for confirmation (never under static/)."""
    folder = Path(current_app.instance_path) / "imports"
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sweep():
    """Delete uploads left waiting for more than an hour."""
    limit = time.time() - KEEP_SECONDS
    for path in _folder().glob("*.json"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except FileNotFoundError:
            pass


def _save(upload):
    """Keep the upload for the confirmation; the session holds its token, the form never holds the rows."""
    _discard()
    token = secrets.token_urlsafe(24)
    path = _folder(create=True) / f"{token}.json"
    partial = path.with_suffix(".part")
    with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as f:
        json.dump({**upload, "user": current_user.id, "created": time.time()}, f, ensure_ascii=False)
    os.replace(partial, path)
    session[SESSION_KEY] = token
    return token


def _pending():
    """(token, upload) waiting for this user's confirmation, or (None, None)."""
    token = session.get(SESSION_KEY)
    if not token or not TOKEN.match(token):
        return None, None
    path = _folder() / f"{token}.json"
    try:
        with open(path, encoding="utf-8") as f:
            upload = json.load(f)
    except (FileNotFoundError, ValueError):
        session.pop(SESSION_KEY, None)
        return None, None
    if upload.get("user") != current_user.id or time.time() - upload.get("created", 0) > KEEP_SECONDS:
        _discard()
        return None, None
    return token, upload


def _discard():
    """Forget the waiting upload of this session and delete its file."""
    token = session.pop(SESSION_KEY, None)
    if token and TOKEN.match(token):
        (_folder() / f"{token}.json").unlink(missing_ok=True)


class UploadForm(BaseForm):
    """The CSV file to import."""

    file = FileField(_l("CSV file"), validators=[FileRequired(message=_l("Choose a CSV file."))])


@bp.route("/can-bo/ho-so/nhap", methods=["GET", "POST"])
@role_required(*IMPORTERS)
def dossier_import():
    """Upload a CSV of completed dossiers, see every row checked, then import all of them or none."""
    if current_user.role in (Role.STAFF, Role.LEADER) and current_user.agency is None:
        abort(403)
    _sweep()
    action = request.form.get("action") if request.method == "POST" else None
    if action == "confirm":
        return _confirm()
    if action == "cancel":
        _discard()
        flash(_("The import has been cancelled; nothing was stored."), "info")
        return redirect(url_for("feedback.dossier_import"), 303)
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        name = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1][:200]  # without a folder
        try:
            data = read_csv(upload.stream.read(MAX_BYTES + 1), name,
                            need_agency=current_user.role is Role.ADMIN)
        except Refused as error:
            form.file.errors.append(str(error))
        else:
            _save(data)
            return redirect(url_for("feedback.dossier_import"), 303)
    token, pending = _pending() if request.method == "GET" else (None, None)
    preview = check(pending, current_user) if pending else None
    return render("dossiers/dossier_import.html", form=form, token=token, pending=pending, preview=preview,
                  labels=STATUS_LABELS, max_rows=MAX_ROWS)


def _confirm():
    """Import the waiting upload in one transaction: every row is stored, or none is."""
    token, pending = _pending()
    if pending is None or request.form.get("token") != token:
        flash(_("There is no file waiting to be imported: it was imported already, cancelled or too old. "
                "Upload it again if needed."), "error")
        return redirect(url_for("feedback.dossier_import"), 303)
    preview = check(pending, current_user)
    if not preview["ready"]:
        flash(preview["reason"], "error")
        return render("dossiers/dossier_import.html", form=UploadForm(), token=token, pending=pending,
                      preview=preview, labels=STATUS_LABELS, max_rows=MAX_ROWS, status=422)
    outcomes = dossiers.intake([row.item for row in preview["rows"]], key=None, actor=current_user)
    if not all(outcome.stored for outcome in outcomes):  # a dossier stored meanwhile by someone else
        db.session.rollback()
        flash(_("Nothing was imported: some dossiers changed while you were checking. Review the preview "
                "again."), "error")
        return redirect(url_for("feedback.dossier_import"), 303)
    created = sum(o.status == dossiers.CREATED for o in outcomes)
    completed = sum(o.status == dossiers.COMPLETED for o in outcomes)
    audit.record("dossiers.import", None, file=pending["filename"], rows=len(outcomes), created=created,
                 completed=completed)
    db.session.commit()
    _discard()
    flash(_("Imported %(file)s — new dossiers: %(created)s; completed: %(completed)s; already stored: %(same)s.",
            file=pending["filename"], created=format_decimal(created), completed=format_decimal(completed),
            same=format_decimal(len(outcomes) - created - completed)), "success")
    return redirect(url_for("feedback.dossier_list"), 303)


@bp.route("/can-bo/ho-so/nhap/mau.csv")
@role_required(*IMPORTERS)
def dossier_import_template():
    """A CSV to fill in: the column names and one example row (to delete), UTF-8 with a BOM for Excel."""
    agency = current_user.agency.code if current_user.agency else "SO-TP"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerow([EXAMPLE_CODE, "Cấp phiếu lý lịch tư pháp cho công dân Việt Nam", "2.001417", "Tư pháp",
                     agency, "16/11/2026 08:30", "26/11/2026", "24/11/2026 15:00", "truc_tuyen", "Nguyễn Văn Mẫu",
                     "0900000001", "nguoi.nop@example.vn"])
    response = make_response("\ufeff" + out.getvalue())
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="mau-nhap-ho-so.csv"'
    return response
