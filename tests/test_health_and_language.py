"""The health check, the language switch and the completeness of the Vietnamese catalog."""
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app import create_app
from testapp import TEST_CONFIG

ROOT = Path(__file__).resolve().parents[1]


def test_health_check_answers_ok_while_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


@pytest.mark.no_db_transaction  # the app must use its own (broken) database, not the test's connection
def test_health_check_answers_503_when_the_database_does_not(tmp_path):
    app = create_app({**TEST_CONFIG,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'missing-dir' / 'db.sqlite3'}"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"


def test_vietnamese_is_the_default_language(client):
    html = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="vi">' in html
    assert "Đăng nhập" in html


def test_switching_to_english_keeps_the_address_and_translates_the_page(client):
    response = client.post("/ngon-ngu", data={"lang": "en", "next": "/hoi-dap"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/hoi-dap"
    html = client.get("/hoi-dap").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Sign in" in html


def test_an_unknown_language_is_ignored(client):
    client.post("/ngon-ngu", data={"lang": "xx", "next": "/"})
    assert '<html lang="vi">' in client.get("/").get_data(as_text=True)


def test_language_switch_does_not_redirect_elsewhere(client):
    response = client.post("/ngon-ngu", data={"lang": "en", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_every_message_has_a_vietnamese_translation():
    with open(ROOT / "translations" / "vi" / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    missing = [m.id for m in catalog if m.id and not (m.string if isinstance(m.string, str) else all(m.string))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert missing == [] and fuzzy == []


def test_the_catalog_holds_every_message_in_the_code(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-k", "lazy_gettext", "--ignore-dirs=.venv .cache tests bench node_modules",
                    "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True)
    with open(pot, "rb") as f:
        in_code = {m.id for m in read_po(f) if m.id}
    with open(ROOT / "translations" / "vi" / "LC_MESSAGES" / "messages.po", "rb") as f:
        in_catalog = {m.id for m in read_po(f) if m.id}
    assert sorted(map(str, in_code - in_catalog)) == [], "run `make extract-messages` and translate the new messages"
