"""Browser tests: the portal served from a thread on its own database, driven by Debian's Chromium."""
import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from axe import AXE, run_axe
from smtp import Collector, start_server
from testapp import IN_CI, database_url, make_test_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pytest_collection_modifyitems(config, items):
    """Every test in this folder is a browser test and manages its own database."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.no_db_transaction)


def _missing(what):
    """Browser tests never pass silently: a missing tool fails in CI and is a loud skip elsewhere."""
    message = f"{what} — browser tests cannot run"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright launches Debian's Chromium (no browser download is possible here)."""
    if not os.path.exists(CHROMIUM):
        _missing(f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def mail_server():
    """A real SMTP server on loopback that the live portal sends its e-mail to."""
    handler = Collector()
    controller = start_server(handler)
    handler.port = controller.port
    yield handler
    controller.stop()


@pytest.fixture(scope="session")
def live_app(tmp_path_factory, mail_server):
    """A portal with the demo data and CSRF on, as a visitor meets it, sending real e-mail."""
    from demo import load_demo
    from extensions import db

    app = make_test_app(database_url(tmp_path_factory.mktemp("e2e"), "portal_e2e"), WTF_CSRF_ENABLED=True,
                        MAIL_SERVER="127.0.0.1", MAIL_PORT=mail_server.port, MAIL_TIMEOUT=5)
    with app.app_context():
        load_demo()
        db.session.remove()
    return app


@pytest.fixture(scope="session")
def live_server(live_app):
    """Serve the portal on 127.0.0.1 from a thread; yield its address."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def base_url(live_server):
    """Relative addresses in page.goto() go to the live server."""
    return live_server


@pytest.fixture
def axe_check(page):
    """Run axe-core in the page and fail on any WCAG 2.1 AA violation."""
    if not AXE.exists():
        _missing(f"{AXE} is missing (make test fetches it with npm)")
    return lambda label=None: run_axe(page, label)


@pytest.fixture
def console_errors(page):
    """Collect console errors and failed requests; a test asserts the list is empty."""
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


DEMO_PASSWORD = "cong-tuong-tac-2026"


@pytest.fixture
def sign_in(page):
    """Sign in through the real form."""
    def do(email, password=DEMO_PASSWORD):
        page.goto("/dang-nhap")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", password)
        page.click("form[action^='/dang-nhap'] button[type=submit]")
        # The form is boosted (fetched by htmx): wait for its answer, not for a page load.
        page.wait_for_selector(".account-link[href='/tai-khoan'], .field-error")
    return do
