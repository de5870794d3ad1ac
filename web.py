"""The HTML and htmx glue: one render path, safe rich text, security headers, error pages."""
import secrets
import threading

from functools import partial

import bleach
from bleach.linkifier import LinkifyFilter
from flask import current_app, flash, g, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from markupsafe import Markup
from werkzeug.exceptions import HTTPException


ALLOWED_TAGS = frozenset({"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "a", "blockquote"})
ALLOWED_ATTRIBUTES = {"a": ["href", "title"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})

def _link_attrs(attrs, new=False):
    """Links in user text carry no referrer and no ranking credit."""
    attrs[(None, "rel")] = "nofollow noopener noreferrer"
    return attrs


# One pass: sanitize to the allow-list, then turn bare addresses into links and mark every link. A Cleaner is not
# safe to share between threads (its html5lib parser keeps state), and gunicorn's gthread workers run several
# requests at once: each thread gets its own.
_cleaners = threading.local()


def _cleaner():
    """This thread's cleaner."""
    cleaner = getattr(_cleaners, "cleaner", None)
    if cleaner is None:
        cleaner = _cleaners.cleaner = bleach.Cleaner(
            tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, protocols=ALLOWED_PROTOCOLS, strip=True,
            strip_comments=True, filters=[partial(LinkifyFilter, callbacks=[_link_attrs], parse_email=False)],
        )
    return cleaner


def clean_html(text):
    """Sanitize light rich text (bold, lists, links) from users; everything else is stripped."""
    if not text:
        return Markup("")
    return Markup(_cleaner().clean(text))


def paragraphs(text):
    """Plain text from a person, escaped, its blank-line-separated parts as paragraphs."""
    from markupsafe import escape

    parts = [p.strip() for p in (text or "").replace("\r\n", "\n").split("\n\n") if p.strip()]
    return Markup("".join(f"<p>{escape(p)}</p>".replace("\n", "<br>") for p in parts))


def is_htmx():
    """Whether htmx sent this request."""
    return request.headers.get("HX-Request") == "true"


def wants_json():
    """Whether the caller asked for JSON rather than a page."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return request.path.startswith("/api/") or best == "application/json"


def is_partial_request():
    """An htmx request that targets a fragment rather than the whole page (boosted links want pages)."""
    return is_htmx() and request.headers.get("HX-Request-Type", "partial") == "partial" \
        and request.headers.get("HX-Boosted") != "true"


def render(template_name, partial=None, status=None, **context):
    """Render the page, or only its partial for an htmx request that targets that fragment.
    A form sent back with errors answers 422, so that callers and tests can tell it was refused."""
    template = partial if (partial and is_partial_request()) else template_name
    if status is None:
        refused = request.method == "POST" and any(
            isinstance(value, FlaskForm) and value.errors for value in context.values())
        status = 422 if refused else 200
    return make_response(render_template(template, **context), status)


def csp_nonce():
    """A per-response nonce; reserved for the rare style that must be inline (none today)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "media-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "frame-src 'none'",
])


def add_security_headers(response):
    """Headers on every response: CSP, no sniffing, no framing, a quiet referrer, and Vary for htmx."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    response.vary.add("HX-Request")
    response.vary.add("Cookie")
    if request.endpoint != "static" and "Cache-Control" not in headers:
        headers["Cache-Control"] = "no-store" if request.cookies or response.status_code >= 400 else "no-cache"
    return response


ERROR_MESSAGES = {
    400: (lambda: _("Bad request"), lambda: _("The request could not be understood. Please check what you entered and try again.")),
    401: (lambda: _("Please sign in"), lambda: _("You need to sign in to see this page.")),
    403: (lambda: _("Not allowed"), lambda: _("Your account does not have permission for this page or action.")),
    404: (lambda: _("Page not found"), lambda: _("The address may be mistyped, or the page has been moved or removed.")),
    405: (lambda: _("Not allowed"), lambda: _("This address does not accept that kind of request.")),
    413: (lambda: _("Too large"), lambda: _("What you sent is larger than allowed. Please send smaller files.")),
    429: (lambda: _("Too many requests"), lambda: _("You have tried too many times in a short while. Please wait a minute and try again.")),
    500: (lambda: _("Something went wrong"), lambda: _("An unexpected error occurred on our side. Nothing you did caused it; please try again in a moment.")),
    503: (lambda: _("Temporarily unavailable"), lambda: _("The service is temporarily unavailable. Please try again in a moment.")),
}


def error_response(code, message=None):
    """An error page in the layout, a fragment in the message area for htmx, or JSON for API callers."""
    title_fn, text_fn = ERROR_MESSAGES.get(code, ERROR_MESSAGES[500])
    text = message or text_fn()
    if wants_json() and not is_htmx():
        response = make_response({"error": {"status": code, "message": str(text)}}, code)
    elif is_partial_request():
        response = make_response(render_template("errors/_error.html", code=code, title=title_fn(), text=text), code)
        # Show the message in the page's live region rather than inside whatever small target asked.
        response.headers["HX-Retarget"] = "#messages"
        response.headers["HX-Reswap"] = "innerHTML"
    else:
        response = make_response(render_template("errors/error.html", code=code, title=title_fn(), text=text), code)
    return response


def handle_http_error(error):
    """Render any HTTP error with our own page, never Werkzeug's."""
    code = error.code or 500
    message = None
    if code == 400 and getattr(error, "description", None) and getattr(error, "user_message", False):
        message = error.description
    response = error_response(code if code in ERROR_MESSAGES else (400 if code < 500 else 500), message)
    if code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    if code == 429:
        response.headers.setdefault("Retry-After", "60")
        existing = getattr(error, "response", None)
        if existing is not None:
            for key in ("Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
                if key in existing.headers:
                    response.headers[key] = existing.headers[key]
    return response


def handle_unexpected_error(error):
    """Log the traceback for us; show the person a plain apology with no internals."""
    if isinstance(error, HTTPException):
        return handle_http_error(error)
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    from extensions import db

    db.session.rollback()
    return error_response(500)


def flash_errors(form):
    """Flash a summary when a form has errors (each error is also shown by its field)."""
    if form.errors:
        flash(_("Please correct the highlighted fields."), "error")


def spreadsheet_cell(value):
    """A cell a spreadsheet will not run as a formula (text in exports comes from the public)."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def external_url(endpoint, **values):
    """An absolute link for e-mail: on the request's own host, or on PORTAL_URL outside a request (jobs, CLI)."""
    from flask import has_request_context, url_for

    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    with current_app.test_request_context(base_url=current_app.config["PORTAL_URL"]):
        return url_for(endpoint, _external=True, **values)
