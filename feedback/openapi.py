"""The OpenAPI 3.1 description of the dossier API, built from the constants the validation uses, so the two
cannot drift: field names from dossiers.FIELDS, lengths from dossiers.LIMITS, channels from Channel."""
from flask import current_app, request

from . import dossiers
from .survey_models import Channel

NO_CONTROL = "^[^\\u0000-\\u001f]*$"  # control characters are refused in every text field
STATUSES = ("created", "unchanged", "completed")
ITEM_STATUSES = (*STATUSES, "conflict", "forbidden", "invalid")


def _text(name, description, nullable=True, min_length=0):
    """A text field with the length limit the validation applies."""
    schema = {"type": ["string", "null"] if nullable else "string", "maxLength": dossiers.LIMITS[name],
              "pattern": NO_CONTROL, "description": description}
    if min_length:
        schema["minLength"] = min_length
    return schema


def _time(description, nullable=True):
    """A date-time with offset (Vietnamese time without one), or a date alone."""
    schema = {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "format": "date"}],
              "description": description + " ISO 8601: 2026-11-21T08:30:00+07:00, or a date alone (2026-11-21). "
                                           "A time without an offset is Vietnamese time (UTC+7)."}
    if nullable:
        schema["anyOf"].append({"type": "null"})
    return schema


def _dossier_schema():
    """A dossier as the one-stop-shop system reports it."""
    properties = {
        "code": {**_text("code", "The dossier code (mã hồ sơ) printed on the receipt; unique.", nullable=False,
                         min_length=1), "examples": ["000.00.20.H21-261121-0001"]},
        "procedure": {"description": "The administrative procedure: its name, and its national code when known. "
                                     "A name alone may be sent as a string.",
                      "oneOf": [
                          {**_text("procedure.name", "The procedure's name.", nullable=False), "minLength": 1},
                          {"type": "object", "additionalProperties": False, "required": ["name"],
                           "properties": {
                               "name": {**_text("procedure.name", "The procedure's name.", nullable=False),
                                        "minLength": 1},
                               "code": _text("procedure.code", "The procedure's national code."),
                           }},
                      ]},
        "field": _text("field", "The field (lĩnh vực), e.g. Đất đai."),
        "agency_code": _text("agency_code", "The code of the agency that handled the dossier.", nullable=False,
                             min_length=1),
        "received_at": _time("When the dossier was received.", nullable=False),
        "due_at": _time("When the result is due (a date alone: the end of that day)."),
        "completed_at": _time("When the result was given; absent or null while the dossier is open. An open "
                              "dossier may be reported again once completed."),
        "channel": {"type": "string", "enum": [channel.value for channel in Channel],
                    "description": "How the dossier was submitted: online, at the counter, or by post."},
        "applicant": {"type": ["object", "null"], "additionalProperties": False,
                      "description": "The applicant's contact, kept private: it lets them find the survey by "
                                     "the dossier code. Never shown publicly nor returned by this API.",
                      "properties": {
                          "name": _text("applicant.name", "The applicant's name."),
                          "phone": _text("applicant.phone", "A Vietnamese phone number, e.g. 0912 345 678."),
                          "email": {**_text("applicant.email", "An e-mail address."), "format": "email"},
                      }},
    }
    assert set(properties) == set(dossiers.FIELDS)
    return {"type": "object", "additionalProperties": False, "properties": properties,
            "required": ["code", "procedure", "agency_code", "received_at", "channel"]}


def _links():
    """The survey link and QR codes of a stored dossier."""
    return {
        "survey_url": {"type": "string", "format": "uri", "description": "The survey link for the result slip."},
        "qr_url": {"type": "string", "format": "uri", "description": "The QR code of the survey link (PNG)."},
        "qr_svg_url": {"type": "string", "format": "uri", "description": "The same QR code as SVG."},
    }


def _nullable_links():
    """The links of a batch item: null when it was not stored."""
    return {name: {"type": ["string", "null"], "format": "uri", "description": schema["description"]}
            for name, schema in _links().items()}


def _schemas():
    """The named schemas of the document."""
    time = {"type": ["string", "null"], "format": "date-time"}
    return {
        "Dossier": _dossier_schema(),
        "Receipt": {
            "type": "object", "required": ["code", "status", "survey_url", "qr_url", "qr_svg_url"],
            "properties": {"code": {"type": "string"},
                           "status": {"type": "string", "enum": list(STATUSES),
                                      "description": "created (201); unchanged, or completed by this report (200)."},
                           **_links()}},
        "Batch": {
            "type": "object", "additionalProperties": False, "required": ["dossiers"],
            "properties": {"dossiers": {
                "type": "array", "minItems": 1, "maxItems": current_app.config["API_BATCH_MAX"],
                "items": {"$ref": "#/components/schemas/Dossier"},
                "description": "Each dossier is checked and stored on its own: one that is refused does not stop "
                               "the others, and is reported in its result."}}},
        "BatchResult": {
            "type": "object", "required": ["results", "summary"],
            "properties": {
                "results": {"type": "array", "items": {
                    "type": "object",
                    "required": ["index", "code", "status", "http_status", "survey_url", "qr_url", "qr_svg_url",
                                 "errors"],
                    "properties": {
                        "index": {"type": "integer", "minimum": 0, "description": "The item's place in the list."},
                        "code": {"type": ["string", "null"]},
                        "status": {"type": "string", "enum": list(ITEM_STATUSES)},
                        "http_status": {"type": "integer", "enum": [200, 201, 403, 409, 422],
                                        "description": "What a single call with this dossier would answer."},
                        **_nullable_links(),
                        "errors": {"$ref": "#/components/schemas/FieldErrors"},
                    }}},
                "summary": {"type": "object", "required": list(ITEM_STATUSES),
                            "properties": {name: {"type": "integer", "minimum": 0} for name in ITEM_STATUSES}},
            }},
        "DossierView": {
            "type": "object",
            "required": ["code", "procedure", "field", "agency_code", "channel", "received_at", "due_at",
                         "completed_at", "on_time", "survey_url", "qr_url", "qr_svg_url", "survey_answered",
                         "answered_at"],
            "properties": {
                "code": {"type": "string"},
                "procedure": {"type": "object", "required": ["name", "code"],
                              "properties": {"name": {"type": "string"}, "code": {"type": ["string", "null"]}}},
                "field": {"type": ["string", "null"]},
                "agency_code": {"type": "string"},
                "channel": {"type": "string", "enum": [channel.value for channel in Channel]},
                "received_at": {"type": "string", "format": "date-time"},
                "due_at": time, "completed_at": time,
                "on_time": {"type": ["boolean", "null"], "description": "Completed by the due time (null while "
                                                                        "open or without a due time)."},
                **_links(),
                "survey_answered": {"type": "boolean"},
                "answered_at": time,
            }},
        "FieldErrors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                        "description": "Messages per field, named by dotted path (procedure.name, applicant.phone); "
                                       "'dossier' is the dossier as a whole."},
        "Error": {
            "type": "object", "required": ["error", "message", "errors"],
            "properties": {"error": {"type": "string", "description": "A machine-readable code, e.g. invalid."},
                           "message": {"type": "string"},
                           "errors": {"$ref": "#/components/schemas/FieldErrors"}}},
    }


ERROR_TEXTS = {
    "400": "The body is not valid JSON (malformed_json), or the request is otherwise malformed.",
    "401": "No key, or a key that is unknown or revoked.",
    "403": "The key is bound to another agency than the dossier's.",
    "404": "No dossier with this code is visible to this key.",
    "409": "A different dossier with this code is already stored.",
    "413": "The body is larger than API_MAX_BODY_BYTES.",
    "415": "The body is not sent as application/json.",
    "422": "Field errors, named by field.",
    "429": "Too many requests with this key; see Retry-After.",
}


def _errors(*codes):
    """Error responses, all in the one shape."""
    responses = {}
    for code in codes:
        response = {"description": ERROR_TEXTS[code],
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        if code == "401":
            response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"},
                                                        "description": "Bearer"}}
        responses[code] = response
    return responses


def _json(ref, description):
    """A JSON response of a named schema."""
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


def _body(ref):
    """A required JSON request body."""
    return {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


def document():
    """The whole OpenAPI document, with this server's address."""
    most, limit = current_app.config["API_BATCH_MAX"], current_app.config["API_MAX_BODY_BYTES"]
    created = _json("Receipt", "A new dossier; Location names it.")
    created["headers"] = {"Location": {"schema": {"type": "string", "format": "uri"},
                                       "description": "GET this address to read the dossier back."}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Dossier intake API",
            "version": "1.0.0",
            "description": (
                "The one-stop-shop system reports each dossier here; the answer carries the survey link and QR "
                "code to print on the result slip. Calls are idempotent on the dossier code: the same dossier "
                "sent again answers 200 with the same link. Authenticate with 'Authorization: Bearer <key>' "
                "(administrators create keys; a key may be bound to one agency). Bodies are JSON, at most "
                f"{limit} bytes. Every error answers {{\"error\", \"message\", \"errors\"}}."),
        },
        "servers": [{"url": request.host_url.rstrip("/")}],
        "security": [{"bearer": []}],
        "paths": {
            "/api/v1/dossiers": {"post": {
                "operationId": "reportDossier",
                "summary": "Report one dossier and get its survey link",
                "requestBody": _body("Dossier"),
                "responses": {
                    "201": created,
                    "200": _json("Receipt", "Already stored (unchanged), or an open dossier now completed."),
                    **_errors("400", "401", "403", "409", "413", "415", "422", "429"),
                }}},
            "/api/v1/dossiers/batch": {"post": {
                "operationId": "reportDossiers",
                "summary": f"Report up to {most} dossiers at once",
                "description": "Each dossier is answered on its own, in order, with the status a single call "
                               "would give; a refused one does not stop the others.",
                "requestBody": _body("Batch"),
                "responses": {
                    "200": _json("BatchResult", "One result per dossier, and how many of each kind."),
                    **_errors("400", "401", "413", "415", "422", "429"),
                }}},
            "/api/v1/dossiers/{code}": {"get": {
                "operationId": "readDossier",
                "summary": "Read a reported dossier back, with its survey links and whether it was answered",
                "parameters": [{"name": "code", "in": "path", "required": True,
                                "schema": {"type": "string", "minLength": 1,
                                           "maxLength": dossiers.LIMITS["code"]}}],
                "responses": {
                    "200": _json("DossierView", "The dossier, without the applicant's contact."),
                    **_errors("400", "401", "404", "429"),
                }}},
            "/api/v1/openapi.json": {"get": {
                "operationId": "openapi",
                "summary": "This document",
                "security": [],
                "responses": {"200": {"description": "The OpenAPI document.",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}},
            }},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "An API key made by an administrator (ctt_…)."}},
            "schemas": _schemas(),
        },
    }
