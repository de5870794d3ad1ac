"""The application factory: extensions, blueprints, request guards, error pages and CLI — wiring only."""
import logging

from flask import Flask, abort
from flask_babel import format_datetime, format_decimal, get_locale
from flask_wtf.csrf import CSRFError, generate_csrf

import config as config_module
from extensions import babel, csrf, db, limiter, login_manager, migrate, selected_locale


def create_app(test_config=None):
    """Create and configure the portal."""
    app = Flask(__name__, instance_path=str(config_module.INSTANCE_DIR), instance_relative_config=True)
    app.config.from_object(config_module.load_config())
    if test_config:
        app.config.update(test_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = config_module.database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    config_module.INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO)

    import database  # noqa: F401  (SQLite pragmas and transaction mode)
    import audit  # noqa: F401  (registers the models below)
    import dialogue.models  # noqa: F401
    import feedback.models  # noqa: F401
    import feedback.survey_models  # noqa: F401
    import notifications  # noqa: F401
    import search  # noqa: F401

    db.init_app(app)
    migrate.init_app(app, db, directory=str(config_module.BASE_DIR / "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "basic"
    csrf.init_app(app)
    babel.init_app(app, locale_selector=selected_locale)
    limiter.init_app(app)

    from accounts import bp as accounts_bp
    from dialogue import bp as dialogue_bp
    from feedback import bp as feedback_bp
    from feedback.api import api_bp
    from pages import bp as main_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(feedback_bp)
    app.register_blueprint(dialogue_bp)
    app.register_blueprint(api_bp)

    if app.config["ENV_NAME"] == "production" and not app.config.get("MAIL_SERVER"):
        app.logger.warning("MAIL_SERVER is not set: e-mail to citizens and staff is only written to the log.")
    _register_guards(app)
    _register_templates(app)
    _register_errors(app)
    _register_cli(app)
    return app


def _register_guards(app):
    """Checks that run on every request and response."""
    from database import request_has_nul
    from web import add_security_headers

    @app.before_request
    def refuse_nul_bytes():
        """A NUL byte cannot be stored on PostgreSQL; refuse it on every database alike."""
        if request_has_nul():
            abort(400)

    app.after_request(add_security_headers)


def _register_templates(app):
    """Helpers every template can use."""
    from accounts.models import Role
    from search import highlight
    from web import clean_html, paragraphs

    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters["clean_html"] = clean_html
    app.jinja_env.filters["paragraphs"] = paragraphs
    # The same numeric dates in both languages (21/11/2026), as Vietnamese portals print them.
    app.jinja_env.filters["datetime"] = lambda value: format_datetime(value, "dd/MM/yyyy HH:mm") if value else ""
    app.jinja_env.filters["date"] = lambda value: format_datetime(value, "dd/MM/yyyy") if value else ""
    app.jinja_env.filters["number"] = lambda value: format_decimal(value)
    app.jinja_env.globals["highlight"] = highlight

    @app.context_processor
    def inject():
        """The locale, roles and CSRF token for the layout."""
        return {"current_locale": str(get_locale()), "Role": Role, "csrf_token": generate_csrf}


def _register_errors(app):
    """Our own pages for every error, in the layout or as an htmx fragment."""
    from web import error_response, handle_http_error, handle_unexpected_error

    for code in (400, 401, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected_error)

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        """An expired or missing form token: say how to recover rather than 'bad request'."""
        from flask_babel import gettext as _

        return error_response(400, _("This form has expired or was sent from elsewhere. "
                                     "Please reload the page and send it again."))


def _register_cli(app):
    """flask --app app agencies|users|demo|mail|api-keys …"""
    from accounts.cli import agencies_cli, users_cli
    from demo import demo_cli
    from feedback.cli import api_keys_cli, holidays_cli, questions_cli
    from notifications import mail_cli

    app.cli.add_command(agencies_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(questions_cli)
    app.cli.add_command(holidays_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(api_keys_cli)
