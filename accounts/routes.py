"""Signing in and out, two-factor codes, registration and the citizen's own account."""
import time

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from extensions import db, limiter
from web import render

from . import bp, services
from .auth import current_token, role_required, safe_next, sign_in, sign_out
from .forms import (ChangePasswordForm, DeleteAccountForm, DisableTwoFactorForm, EnableTwoFactorForm,
                    LoginForm, RegisterForm, TwoFactorForm)
from .models import Role, User

PENDING_KEY = "pending_2fa"
PENDING_SECONDS = 300
SETUP_SECRET_KEY = "totp_setup_secret"


def _login_account_key():
    """Count failed sign-ins per account, whichever address they come from."""
    email = (request.form.get("email") or "").strip().lower()[:254]
    return f"login:{email}"


def _pending_user_key():
    """Count two-factor attempts per pending account."""
    pending = session.get(PENDING_KEY) or {}
    return f"2fa:{pending.get('uid', request.remote_addr)}"


def _attempt_failed(response):
    """Only failed attempts use up the allowance."""
    return g.get("attempt_failed", False)


@bp.route("/dang-nhap", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_ATTEMPTS_PER_ACCOUNT"], key_func=_login_account_key,
               methods=["POST"], deduct_when=_attempt_failed, scope="login-account")
@limiter.limit(lambda: current_app.config["LOGIN_ATTEMPTS_PER_IP"], methods=["POST"],
               deduct_when=_attempt_failed, scope="login-ip")
def login():
    """Sign in with e-mail and password; officials with two factors go on to the code step."""
    next_url = request.values.get("next")
    if current_user.is_authenticated:
        return redirect(safe_next(next_url))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            g.attempt_failed = True
            # One message whether the e-mail is unknown or the password wrong.
            form.password.errors.append(_("The e-mail or password is not correct."))
        elif user.two_factor_enabled:
            session[PENDING_KEY] = {"uid": user.id, "at": int(time.time()), "next": safe_next(next_url)}
            return redirect(url_for("accounts.two_factor"))
        else:
            sign_in(user)
            db.session.commit()
            flash(_("Welcome, %(name)s.", name=user.display_name), "success")
            return redirect(safe_next(next_url))
    return render("accounts/login.html", form=form, next_url=next_url)


@bp.route("/dang-nhap/xac-thuc", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_ATTEMPTS_PER_ACCOUNT"], key_func=_pending_user_key,
               methods=["POST"], deduct_when=_attempt_failed, scope="login-2fa")
def two_factor():
    """The second step of signing in: a fresh code from the authenticator app."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    pending = session.get(PENDING_KEY)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        session.pop(PENDING_KEY, None)
        flash(_("Please sign in again."), "info")
        return redirect(url_for("accounts.login"))
    form = TwoFactorForm()
    if form.validate_on_submit():
        user = db.session.get(User, pending["uid"])
        if user is not None and user.active and services.check_second_factor(user, form.code.data):
            sign_in(user)
            db.session.commit()
            flash(_("Welcome, %(name)s.", name=user.display_name), "success")
            return redirect(safe_next(pending.get("next")))
        g.attempt_failed = True
        form.code.errors.append(_("That code is not right, or was used already. Enter the newest code."))
    return render("accounts/two_factor.html", form=form)


@bp.route("/dang-xuat", methods=["POST"])
def logout():
    """Sign out: the session ends on the server too, so the old cookie opens nothing."""
    if current_user.is_authenticated:
        sign_out()
        db.session.commit()
    flash(_("You have signed out."), "success")
    return redirect(url_for("main.home"))


@bp.route("/dang-ky", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"], deduct_when=lambda r: r.status_code == 302, scope="register")
def register():
    """A citizen's optional account, for 'my questions' and notifications."""
    if current_user.is_authenticated:
        return redirect(url_for("accounts.account"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(form.email.data, form.password.data, Role.CITIZEN,
                                        display_name=form.display_name.data)
        except services.AccountError as error:
            getattr(form, error.field or "email").errors.append(str(error))
        else:
            sign_in(user)
            db.session.commit()
            flash(_("Your account is ready."), "success")
            return redirect(url_for("accounts.account"))
    return render("accounts/register.html", form=form)


@bp.route("/tai-khoan")
@role_required()
def account():
    """The signed-in user's own page."""
    return render("accounts/account.html")


@bp.route("/tai-khoan/doi-mat-khau", methods=["GET", "POST"])
@role_required()
def change_password():
    """Change one's password; other browsers signed in as this user are signed out."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if services.authenticate(current_user.email, form.current.data) is None:
            form.current.errors.append(_("The current password is not correct."))
        else:
            try:
                services.change_password(current_user, form.password.data)
            except services.AccountError as error:
                form.password.errors.append(str(error))
            else:
                services.end_all_sessions(current_user, except_token=current_token())
                db.session.commit()
                flash(_("Your password has been changed. Other devices have been signed out."), "success")
                return redirect(url_for("accounts.account"))
    return render("accounts/change_password.html", form=form)


@bp.route("/tai-khoan/xac-thuc-hai-lop", methods=["GET", "POST"])
@role_required(Role.STAFF, Role.LEADER, Role.MODERATOR, Role.ADMIN)
def two_factor_setup():
    """Officials turn two-factor sign-in on with an authenticator app (or off, unless it is required)."""
    user = current_user
    if user.two_factor_enabled:
        form = DisableTwoFactorForm()
        if form.validate_on_submit():
            if services.authenticate(user.email, form.password.data) is None:
                form.password.errors.append(_("The password is not correct."))
            else:
                try:
                    services.disable_two_factor(user)
                except services.AccountError as error:
                    flash(str(error), "error")
                else:
                    db.session.commit()
                    flash(_("Two-factor sign-in is off."), "success")
                    return redirect(url_for("accounts.account"))
        return render("accounts/two_factor_setup.html", form=form, enabled=True)

    secret = session.get(SETUP_SECRET_KEY) or services.new_totp_secret()
    session[SETUP_SECRET_KEY] = secret
    form = EnableTwoFactorForm()
    if form.validate_on_submit():
        try:
            services.enable_two_factor(user, secret, form.code.data)
        except services.AccountError as error:
            form.code.errors.append(str(error))
        else:
            session.pop(SETUP_SECRET_KEY, None)
            db.session.commit()
            flash(_("Two-factor sign-in is on. You will be asked for a code each time you sign in."), "success")
            return redirect(url_for("accounts.account"))
    uri = services.totp_uri(user, secret)
    return render("accounts/two_factor_setup.html", form=form, enabled=False, secret=secret,
                  qr_svg=qr_svg(uri))


def qr_svg(data):
    """A QR code as inline SVG markup (no inline style, so it passes the CSP)."""
    import qrcode
    import qrcode.image.svg
    from markupsafe import Markup

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    svg = image.to_string(encoding="unicode")
    return Markup(svg.replace("<svg ", '<svg role="img" aria-hidden="true" focusable="false" ', 1))


@bp.route("/tai-khoan/xoa", methods=["GET", "POST"])
@role_required(Role.CITIZEN)
def delete_account():
    """A citizen deletes their own account after confirming with the password."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if services.authenticate(current_user.email, form.password.data) is None:
            form.password.errors.append(_("The password is not correct."))
        else:
            user = db.session.get(User, current_user.id)
            sign_out()
            services.delete_account(user)
            db.session.commit()
            flash(_("Your account has been deleted."), "success")
            return redirect(url_for("main.home"))
    return render("accounts/delete_account.html", form=form)


@bp.before_app_request
def require_two_factor_setup():
    """An official obliged to use two factors can do nothing else until they set it up."""
    if not current_user.is_authenticated or not current_user.must_set_up_two_factor:
        return None
    if request.endpoint in {"accounts.two_factor_setup", "accounts.logout", "static", "main.healthz",
                            "main.set_language"}:
        return None
    flash(_("An administrator requires two-factor sign-in for your account. Please set it up now."), "info")
    return redirect(url_for("accounts.two_factor_setup"))

