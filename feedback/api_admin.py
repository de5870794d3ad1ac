"""Administrators' pages for the API's keys: list them, create one (its secret shown once), revoke one."""
import sqlalchemy as sa
from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField, StringField, ValidationError

from accounts.auth import role_required
from accounts.models import Agency, Role
from extensions import db
from forms import BaseForm, max_length, required
from web import render

from . import bp, dossiers
from .survey_models import ApiKey

ALL_AGENCIES = ""


class ApiKeyForm(BaseForm):
    """A new key: who uses it, and the one agency it may report for (or every agency)."""

    name = StringField(_l("System using the key"), validators=[required(), max_length(120)])
    agency = SelectField(_l("Agency"), validate_choice=False)

    def validate_agency(self, field):
        """Every agency, or one of the list."""
        if field.data != ALL_AGENCIES and field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Choose an agency from the list."))


def _key_form():
    """The form with the agencies to choose from."""
    form = ApiKeyForm()
    agencies = db.session.execute(sa.select(Agency.code, Agency.name).order_by(Agency.name)).all()
    form.agency.choices = [(ALL_AGENCIES, _("All agencies")), *((code, f"{name} ({code})") for code, name in agencies)]
    return form


def _keys():
    """Every key, active ones first, newest first."""
    return db.session.scalars(sa.select(ApiKey).order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc(),
                                                          ApiKey.id.desc())).all()


@bp.route("/quan-tri/khoa-api")
@role_required(Role.ADMIN)
def api_keys():
    """The keys the one-stop-shop system may use, with a form for a new one."""
    return render("admin/api_keys.html", keys=_keys(), form=_key_form())


@bp.route("/quan-tri/khoa-api/tao", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def api_key_create():
    """Create a key and show its secret this once; it is stored only as a hash."""
    form = _key_form()
    if not form.validate_on_submit():
        return render("admin/api_key_create.html", form=form)
    agency = None
    if form.agency.data != ALL_AGENCIES:
        agency = db.session.scalar(sa.select(Agency).where(Agency.code == form.agency.data))
    key, secret = dossiers.create_key(form.name.data, agency, current_user)
    db.session.commit()
    response = render("admin/api_key_created.html", key=key, secret=secret)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/quan-tri/khoa-api/<int:key_id>/thu-hoi", methods=["POST"])
@role_required(Role.ADMIN)
def api_key_revoke(key_id):
    """Stop accepting a key at once; calls made with it answer 401 from now on."""
    key = db.session.get(ApiKey, key_id) or abort(404)
    if key.revoked_at is None:
        dossiers.revoke_key(key, current_user)
        db.session.commit()
        flash(_("The key “%(name)s” (%(prefix)s…) is revoked.", name=key.name, prefix=key.prefix), "success")
    else:
        flash(_("The key “%(name)s” was already revoked.", name=key.name), "info")
    return redirect(url_for("feedback.api_keys"))
