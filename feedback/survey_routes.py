"""The survey as the applicant meets it: finding it by dossier code, the one-tap question, the optional details
and the QR code printed on the result slip.

A survey address carries the dossier's random token. Whoever holds it may give the one overall rating; the
optional details belong to the browser that gave it (its response ids are kept in the signed session).
"""
import io
import time
from functools import wraps

import qrcode
from flask import current_app, make_response, redirect, request, session, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from limits import parse
from qrcode.image.pure import PyPNGImage
from qrcode.image.svg import SvgPathImage
from wtforms import RadioField, SelectChoice, SelectMultipleField, StringField, TextAreaField, ValidationError
from wtforms.validators import Optional

from extensions import db, limiter
from forms import BaseForm, max_length, required
from notifications import deliver_after_response
from web import error_response, render

from . import bp, dossiers, survey
from .survey_models import SurveyVia

ANSWERED_KEY = "survey_answered"  # response ids this browser gave: only it may add the details
BY_CODE_KEY = "survey_by_code"    # dossier ids this browser found with their code and contact
REMEMBERED = 5                    # enough for a family's dossiers; keeps the session cookie small
QR_CACHE = "private, max-age=31536000, immutable"  # a token's link never changes


class AddressLimit:
    """A per-address limit kept in the rate limiter's storage (shared by every worker and server). The view
    decides what counts, and answers a refusal with a page that says what to do."""

    def __init__(self, setting, scope):
        self.setting, self.scope = setting, scope

    def _item(self):
        return parse(current_app.config[self.setting])

    def reached(self):
        """Whether this address has used up its allowance (this request not counted)."""
        return limiter.enabled and not limiter.limiter.test(self._item(), self.scope, request.remote_addr)

    def hit(self):
        """Count one attempt of this address; False when it goes over the limit."""
        return not limiter.enabled or limiter.limiter.hit(self._item(), self.scope, request.remote_addr)

    def refuse(self, response):
        """Mark response as a 429 with the time to wait."""
        reset, _remaining = limiter.limiter.get_window_stats(self._item(), self.scope, request.remote_addr)
        response.status_code = 429
        response.headers["Retry-After"] = str(max(1, int(reset - time.time())))
        return response


lookups = AddressLimit("SURVEY_LOOKUP_LIMIT_PER_IP", "survey-lookup")  # every code-and-contact attempt
guesses = AddressLimit("SURVEY_TOKEN_LIMIT_PER_IP", "survey-token")    # survey addresses that do not exist


def _remember(key, value):
    """Keep value in this browser's signed session (the few most recent)."""
    values = [v for v in session.get(key, []) if v != value][-(REMEMBERED - 1):]
    session[key] = [*values, value]


def _token_guarded(view):
    """A survey address: refuse an address that has tried too many tokens that do not exist."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if guesses.reached():
            return guesses.refuse(error_response(429, _(
                "Too many survey addresses that do not exist were opened from your connection. Please wait a "
                "minute, then check the address on your result slip or scan its QR code.")))
        return view(*args, **kwargs)
    return wrapped


def _dossier(token):
    """The dossier of a survey address; None after counting a wrong guess."""
    dossier = survey.find_by_token(token)
    if dossier is None:
        guesses.hit()
    return dossier


def _not_found():
    """A kind page for a survey address that does not exist."""
    return render("survey/not_found.html", status=404)


class LookupForm(BaseForm):
    """Find the survey of a dossier by its code and the phone or e-mail given with it."""

    code = StringField(_l("Dossier code"), validators=[required(), max_length(64)])
    contact = StringField(_l("Phone number or e-mail given with the dossier"),
                          validators=[required(), max_length(254)])


class RatingForm(BaseForm):
    """The one question: overall satisfaction, answered by pressing one of the buttons."""

    rating = StringField(_l("Overall satisfaction"))

    def validate_rating(self, field):
        """One of the levels of the scale the province uses."""
        if field.data not in {str(value) for value, _label in survey.levels()}:
            raise ValidationError(_l("Choose one of the answers."))


def _choices(pairs):
    """WTForms choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


# Made before the form's own fields, so that they come first, in the order of the decree.
_CRITERION_FIELDS = {c.key: RadioField(c.label, choices=_choices(c.choices), validators=[Optional()])
                     for c in survey.CRITERIA}


class DetailsForm(BaseForm):
    """The optional part: the official criteria (added below, one radio group each), reasons and a comment."""

    good = SelectMultipleField(_l("What went well?"), choices=_choices(survey.TAGS), validators=[Optional()])
    bad = SelectMultipleField(_l("What could be better?"), choices=_choices(survey.TAGS), validators=[Optional()])
    comment = TextAreaField(_l("Your comment"), validators=[Optional(), max_length(survey.COMMENT_MAX)])

    def validate_bad(self, field):
        """A reason is either good or bad."""
        both = set(field.data or ()) & set(self.good.data or ())
        if both:
            names = ", ".join(str(label) for key, label in survey.TAGS if key in both)
            raise ValidationError(_l("A reason cannot be both good and bad: %(names)s. Untick it in one of "
                                     "the two lists.", names=names))

    @property
    def criteria(self):
        """The criterion fields, in the order of the decree."""
        return [self[c.key] for c in survey.CRITERIA]


for _key, _field in _CRITERION_FIELDS.items():
    setattr(DetailsForm, _key, _field)


@bp.route("/danh-gia", methods=["GET", "POST"])
def survey_start():
    """Rate a completed dossier: how to reach its survey, and finding it by code and phone or e-mail."""
    form = LookupForm()
    if request.method == "GET":
        form.code.data = request.args.get("code", "").strip()[:64]  # the contact never travels in an address
        return render("survey/start.html", form=form)
    if not lookups.hit():
        return lookups.refuse(render("survey/start.html", form=form, limited=True))
    if form.validate_on_submit():
        dossier = survey.find_by_code(form.code.data, form.contact.data)
        if dossier is not None:
            _remember(BY_CODE_KEY, dossier.id)
            # The person proved they hold the dossier; the link they now open is the one on their slip.
            return redirect(url_for("feedback.survey", token=dossier.survey_token), 303)
        return render("survey/start.html", form=form, not_found=True, status=422)
    return render("survey/start.html", form=form)


def _answered(dossier, response=None):
    """The kind 'already answered' page; the browser that answered may still add details."""
    response = response or dossier.response
    mine = response.id in session.get(ANSWERED_KEY, [])
    return render("survey/answered.html", dossier=dossier,
                  details=mine and survey.details_open(response))


@bp.route("/danh-gia/<token>", methods=["GET", "POST"], endpoint="survey")
@_token_guarded
def survey_page(token):
    """The first screen: one question, answered with one tap; the answer is stored at once."""
    dossier = _dossier(token)
    if dossier is None:
        return _not_found()
    if dossier.response is not None:
        return _answered(dossier)
    if not dossier.completed:
        return render("survey/not_completed.html", dossier=dossier)
    form = RatingForm()
    if form.validate_on_submit():
        via = SurveyVia.CODE if dossier.id in session.get(BY_CODE_KEY, []) else SurveyVia.LINK
        try:
            response, created = survey.answer(dossier, int(form.rating.data), via)
        except survey.SurveyError as error:
            form.rating.errors.append(str(error))
        else:
            if not created:  # another tap or device answered a moment earlier: that answer stands
                return _answered(dossier, response)
            db.session.commit()
            _remember(ANSWERED_KEY, response.id)
            if response.dissatisfied:
                deliver_after_response()  # the leaders' alert
            return redirect(url_for("feedback.survey_details", token=token), 303)
    return render("survey/survey.html", dossier=dossier, form=form, levels=survey.levels())


@bp.route("/danh-gia/<token>/chi-tiet", methods=["GET", "POST"])
@_token_guarded
def survey_details(token):
    """The optional part, for the browser that gave the rating, soon after: criteria, reasons, a comment."""
    dossier = _dossier(token)
    if dossier is None:
        return _not_found()
    response = dossier.response
    if response is None:
        return redirect(url_for("feedback.survey", token=token))
    if response.id not in session.get(ANSWERED_KEY, []) or not survey.details_open(response):
        return _answered(dossier)
    form = DetailsForm()
    if form.validate_on_submit():
        criteria = {field.name: field.data for field in form.criteria if field.data}
        try:
            survey.add_details(response, criteria, form.good.data or [], form.bad.data or [], form.comment.data)
        except survey.SurveyError as error:
            form.comment.errors.append(str(error))
        else:
            db.session.commit()
            if response.comment:
                deliver_after_response()  # a comment is sent to the leaders too
            return redirect(url_for("feedback.survey_thanks"), 303)
    return render("survey/details.html", dossier=dossier, response=response, form=form,
                  tags=survey.TAGS, comment_max=survey.COMMENT_MAX,
                  rating=dict(survey.levels(response.scale)).get(response.rating))


@bp.route("/danh-gia/cam-on")
def survey_thanks():
    """Thanks for answering."""
    return render("survey/thanks.html")


@bp.route("/danh-gia/<token>/ma-qr.<any(png, svg):fmt>")
@_token_guarded
def survey_qr(token, fmt):
    """The QR code of the survey link, to print on the result slip (PNG or SVG)."""
    dossier = _dossier(token)
    if dossier is None:
        return _not_found()
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=4)
    code.add_data(dossiers.survey_url(dossier))
    code.make(fit=True)
    image = code.make_image(image_factory=PyPNGImage if fmt == "png" else SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    response = make_response(buffer.getvalue())
    response.mimetype = "image/png" if fmt == "png" else "image/svg+xml"
    response.headers["Cache-Control"] = QR_CACHE
    return response
