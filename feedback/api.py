"""The JSON API the one-stop-shop system reports dossiers to: a Bearer key, one dossier or a batch, JSON errors.

Every answer under /api/v1 is JSON, errors included: {"error": code, "message": text, "errors": {field: [...]}}.
A browser session plays no part here: only the key counts, and the audit log names the key.
"""
import hashlib
import json
from datetime import timedelta, timezone
from functools import wraps

import sqlalchemy as sa
from flask import Blueprint, current_app, g, jsonify, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from database import SAFE_METHODS, normalize_text, utcnow
from extensions import csrf, db, limiter, login_manager

from . import dossiers, openapi
from .survey_models import ApiKey, Dossier, SurveyResponse

api_bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(api_bp)

PREFIX = "/api/v1"
TOUCH_EVERY = timedelta(minutes=1)
DEFAULT_RATE_LIMIT = "600 per minute"
STATUS_NAMES = {dossiers.CREATED: "created", dossiers.UNCHANGED: "unchanged", dossiers.COMPLETED: "completed",
                dossiers.CONFLICT: "conflict", dossiers.FORBIDDEN: "forbidden", dossiers.INVALID: "invalid"}


# --- errors ------------------------------------------------------------------------------------------------------

class ApiError(Exception):
    """A refusal with its HTTP status, machine code, message and field errors."""

    def __init__(self, status, error, message, errors=None):
        super().__init__(message)
        self.status, self.error, self.message, self.errors = status, error, message, errors or {}


def error_response(status, error, message, errors=None):
    """The one shape of every error the API answers with."""
    response = jsonify({"error": error, "message": str(message), "errors": _item_errors(errors or {})})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


HTTP_ERRORS = {
    400: ("bad_request", lambda: _("The request could not be understood.")),
    401: ("unauthorized", lambda: _("Send a valid API key as 'Authorization: Bearer <key>'.")),
    403: ("forbidden", lambda: _("This key may not do that.")),
    404: ("not_found", lambda: _("There is nothing at this address.")),
    405: ("method_not_allowed", lambda: _("This address does not accept that method.")),
    413: ("too_large", lambda: _("The body is larger than %(n)d bytes.", n=current_app.config["API_MAX_BODY_BYTES"])),
    415: ("unsupported_media_type", lambda: _("Send the body as JSON with 'Content-Type: application/json'.")),
    422: ("invalid", lambda: _("Some fields are not valid.")),
    429: ("rate_limited", lambda: _("Too many requests with this key. Please wait and try again.")),
    500: ("server_error", lambda: _("An unexpected error occurred on our side. Please try again later.")),
}


def _http_error(error):
    """Any HTTP error under /api/v1, as JSON."""
    code = error.code if isinstance(error, HTTPException) and error.code else 500
    if code not in HTTP_ERRORS:
        code = 400 if code < 500 else 500
    name, message = HTTP_ERRORS[code]
    response = error_response(code, name, message())
    if code == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    if code == 429:
        response.headers["Retry-After"] = "60"
        limited = getattr(error, "response", None)
        for header in ("Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
            if limited is not None and header in limited.headers:
                response.headers[header] = limited.headers[header]
    return response


for _code in HTTP_ERRORS:
    api_bp.register_error_handler(_code, _http_error)


@api_bp.errorhandler(ApiError)
def _api_error(error):
    """A refusal raised by a view."""
    return error_response(error.status, error.error, error.message, error.errors)


@api_bp.errorhandler(Exception)
def _unexpected_error(error):
    """Log the traceback for us; tell the caller no more than that it failed."""
    if isinstance(error, HTTPException):
        return _http_error(error)
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    db.session.rollback()
    return _http_error(error)


def _item_errors(errors):
    """Field errors as the API names them: the dossier as a whole is 'dossier' rather than ''."""
    return {(name or "dossier"): [str(message) for message in messages] for name, messages in errors.items()}


def _api_request():
    """Before anything else on an API address: limit the body before anything reads it, set any browser session
    aside (the key is the caller: a session neither adds rights nor names the actor, nor is sent off to set up
    two factors), and answer an unknown address or method with JSON (no view of the blueprint runs then, so its
    error handlers would not)."""
    if request.path != PREFIX and not request.path.startswith(PREFIX + "/"):
        return None
    request.max_content_length = current_app.config["API_MAX_BODY_BYTES"]
    g._login_user = login_manager.anonymous_user()
    routing = request.routing_exception
    if isinstance(routing, HTTPException) and (routing.code or 500) >= 400:
        return _http_error(routing)
    return None


@api_bp.record_once
def _run_first(state):
    """Put _api_request ahead of every other check of every request, whatever the order of registration."""
    state.app.before_request_funcs.setdefault(None, []).insert(0, _api_request)


# --- keys and limits -----------------------------------------------------------------------------------------------

def _rate_key():
    """Count requests per key (by the hash of what was sent, so no database query is needed), else per address."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer ") and len(header) < 200:
        return "api-key:" + hashlib.sha256(header[len("Bearer "):].strip().encode()).hexdigest()[:32]
    return "api-ip:" + (request.remote_addr or "")


limited = limiter.limit(lambda: current_app.config.get("API_RATE_LIMIT", DEFAULT_RATE_LIMIT), key_func=_rate_key,
                        scope="api")


def key_required(view):
    """Run the view only with an active key (in g.api_key); answer 401 otherwise."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        key = dossiers.key_from_header(request.headers.get("Authorization"))
        if key is None:
            raise ApiError(401, "unauthorized", HTTP_ERRORS[401][1]())
        _touch(key)
        g.api_key = key
        return view(*args, **kwargs)
    return wrapped


def _touch(key):
    """Note when a key was last used, at most once a minute, so that busy keys do not write on every call."""
    now = utcnow()
    if key.last_used_at is not None and now - key.last_used_at < TOUCH_EVERY:
        return
    statement = sa.update(ApiKey).where(
        ApiKey.id == key.id,
        sa.or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - TOUCH_EVERY)).values(last_used_at=now)
    if request.method not in SAFE_METHODS:  # this request writes anyway: part of its transaction
        db.session.execute(statement, execution_options={"synchronize_session": False})
        db.session.commit()
        return
    bind = db.session.get_bind()
    if isinstance(bind, sa.Engine):  # a reading request stays read-only: a short transaction of its own
        with bind.execution_options(sqlite_immediate=True).begin() as conn:
            conn.execute(statement)
    else:  # the session is bound to one connection (a test's transaction): write through it
        bind.execute(statement)


def _json_body():
    """The request's JSON: 415 unless sent as application/json, 413 when too large, 400 when malformed."""
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type", HTTP_ERRORS[415][1]())
    raw = request.get_data(cache=True)
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "malformed_json", _("The body is not valid JSON.")) from None


# --- what the API answers ------------------------------------------------------------------------------------------

def _links(dossier):
    """The survey link and its QR codes, as printed on the result slip."""
    return {"survey_url": dossiers.survey_url(dossier), "qr_url": dossiers.qr_url(dossier, "png"),
            "qr_svg_url": dossiers.qr_url(dossier, "svg")}


def _local(moment):
    """A stored UTC time as ISO 8601 in Vietnamese time, as the one-stop-shop system sends them."""
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc).astimezone(dossiers.LOCAL_ZONE).isoformat()


def _refusal(outcome):
    """The error answer of a dossier that was not stored."""
    messages = {
        dossiers.CONFLICT: ("conflict", dossiers.conflict_message()),
        dossiers.FORBIDDEN: ("forbidden", _("This key may not report dossiers of this agency.")),
        dossiers.INVALID: ("invalid", _("Some fields are not valid.")),
    }
    name, message = messages[outcome.status]
    return error_response(outcome.http_status, name, message, outcome.errors)


@api_bp.post("/dossiers")
@limited
@key_required
def dossier_create():
    """Report one dossier: 201 when new, 200 when already stored (or now completed), with its survey link."""
    data = _json_body()
    if not isinstance(data, dict):
        raise ApiError(422, "invalid", HTTP_ERRORS[422][1](), {"dossier": [_("Send one dossier as a JSON object.")]})
    outcome = dossiers.intake_one(data, key=g.api_key)
    if not outcome.stored:
        db.session.commit()  # the key's last use
        return _refusal(outcome)
    response = jsonify({"code": outcome.dossier.code, "status": STATUS_NAMES[outcome.status],
                        **_links(outcome.dossier)})
    response.status_code = outcome.http_status
    if outcome.status == dossiers.CREATED:
        response.headers["Location"] = url_for("api.dossier_detail", code=outcome.dossier.code, _external=True)
    db.session.commit()
    return response


@api_bp.post("/dossiers/batch")
@limited
@key_required
def dossier_batch():
    """Report up to API_BATCH_MAX dossiers at once; each is answered on its own, in order."""
    data = _json_body()
    most = dossiers.batch_max()
    if not isinstance(data, dict) or not isinstance(data.get("dossiers"), list):
        raise ApiError(422, "invalid", HTTP_ERRORS[422][1](),
                       {"dossiers": [_("Send an object with a list of dossiers: {\"dossiers\": [...]}.")]})
    errors = {str(name)[:64]: [_("Unknown field.")] for name in sorted(set(data) - {"dossiers"})}
    items = data["dossiers"]
    if not items:
        errors["dossiers"] = [_("Send at least one dossier.")]
    elif len(items) > most:
        errors["dossiers"] = [_("At most %(n)d dossiers in one call; send the rest in another.", n=most)]
    if errors:
        raise ApiError(422, "invalid", HTTP_ERRORS[422][1](), errors)
    checked = []
    for item in items:
        try:
            checked.append(dossiers.validate(item))
        except dossiers.Invalid as invalid:
            checked.append(invalid)
    outcomes = dossiers.intake(checked, key=g.api_key)
    results, summary = [], dict.fromkeys(STATUS_NAMES.values(), 0)
    for index, (item, outcome) in enumerate(zip(items, outcomes)):
        status = STATUS_NAMES[outcome.status]
        summary[status] += 1
        code = outcome.code or (item.get("code") if isinstance(item, dict) else None)
        result = {"index": index, "code": code if isinstance(code, str) else None, "status": status,
                  "http_status": outcome.http_status, "survey_url": None, "qr_url": None, "qr_svg_url": None,
                  "errors": _item_errors(outcome.errors)}
        if outcome.stored:
            result.update(code=outcome.dossier.code, **_links(outcome.dossier))
        results.append(result)
    db.session.commit()  # after reading the stored dossiers, which a commit would expire one by one
    return jsonify({"results": results, "summary": summary})


@api_bp.get("/dossiers/<path:code>")
@limited
@key_required
def dossier_detail(code):
    """A dossier as reported, its survey links and whether it was answered; never the applicant's contact."""
    try:
        code = normalize_text(code).strip()
    except ValueError:
        code = ""
    dossier = db.session.scalar(sa.select(Dossier).where(Dossier.code == code)) if code else None
    if dossier is None or not g.api_key.may_post_for(dossier.agency_id):
        raise ApiError(404, "not_found", _("No dossier with this code is visible to this key."))
    answered_at = db.session.scalar(sa.select(SurveyResponse.answered_at)
                                    .where(SurveyResponse.dossier_id == dossier.id))
    return jsonify({
        "code": dossier.code,
        "procedure": {"name": dossier.procedure.name, "code": dossier.procedure.code},
        "field": dossier.topic.name if dossier.topic else None,
        "agency_code": dossier.agency.code,
        "channel": dossier.channel.value,
        "received_at": _local(dossier.received_at),
        "due_at": _local(dossier.due_at),
        "completed_at": _local(dossier.completed_at),
        "on_time": dossier.on_time,
        **_links(dossier),
        "survey_answered": answered_at is not None,
        "answered_at": _local(answered_at),
    })


@api_bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI description of this API, built from the same rules the views apply."""
    return jsonify(openapi.document())
