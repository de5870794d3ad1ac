"""A live dialogue in real browsers: a viewer sends a question, the moderator approves it in the console, a second
viewer upvotes it, the moderator marks it current and publishes the answer — and the first viewer's page, never
reloaded, shows it all within seconds."""
import time

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from axe import run_axe

DEMO_PASSWORD = "cong-tuong-tac-2026"
QUESTION = "Xin hỏi thủ tục cấp phép tổ chức lễ hội đường phố ở Pleiku cần những giấy tờ gì?"
ANSWER = "Hồ sơ gồm đơn đề nghị và kịch bản chương trình.\n\nNộp tại Trung tâm Phục vụ hành chính công tỉnh."
LIVE_WITHIN_MS = 5000


def _live_session_id(live_app):
    """The demo session that is live now."""
    from dialogue.models import DialogueSession, SessionState
    from extensions import db

    with live_app.app_context():
        session_id = db.session.scalar(sa.select(DialogueSession.id).where(DialogueSession.state == SessionState.LIVE))
        db.session.remove()
    return session_id


def _mails_to(mail_server, address, live_app, wait=10):
    """The messages the SMTP server received for address. Werkzeug's test server skips a response's close()
    (where the portal sends what is due) when the browser drops the connection right after a redirect; the
    `mail send` cron job catches such messages in production, and does so here if they are still waiting."""
    deadline = time.monotonic() + wait
    while not (mails := [m for rcpt, m in mail_server.received if rcpt == [address]]):
        if time.monotonic() > deadline:
            import notifications

            with live_app.app_context():
                notifications.deliver_pending()
            return [m for rcpt, m in mail_server.received if rcpt == [address]]
        time.sleep(0.2)
    return mails


@pytest.fixture
def person(browser, live_server):
    """Open a browser of its own for each person, reading English, signed in when an e-mail is given. Every one
    is closed after the test: a live page polls, and must not keep calling the server while other tests run."""
    contexts = []

    def open_for(email=None):
        context = browser.new_context(base_url=live_server)
        contexts.append(context)
        context.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.on("console", lambda message: page.errors.append(message.text) if message.type == "error" else None)
        if email:
            page.goto("/dang-nhap")
            page.fill("input[name=email]", email)
            page.fill("input[name=password]", DEMO_PASSWORD)
            page.click("form[action^='/dang-nhap'] button[type=submit]")
            page.wait_for_selector(".account-link[href='/tai-khoan']")
        return page

    yield open_for
    for context in contexts:
        context.close()


def test_a_question_goes_live_from_one_viewer_to_every_screen(person, live_app, mail_server):
    session_id = _live_session_id(live_app)
    session_path = f"/doi-thoai/{session_id}"

    # A viewer follows the session and sends a question; similar ones show up while she types.
    viewer = person()
    viewer.goto(session_path)
    run_axe(viewer, "session page")
    viewer.fill("#body", "quảng cáo băng rôn")
    expect(viewer.locator("#similar li").first).to_contain_text("băng rôn")
    viewer.fill("#body", QUESTION)
    viewer.fill("#name", "Nguyễn Thị Xem")
    viewer.check("#anonymous")
    viewer.fill("#email", "xem.truc.tiep@example.vn")
    viewer.click("#ask button[type=submit]")
    expect(viewer.locator(".message-success")).to_be_visible()
    expect(viewer.locator("#question-list")).not_to_contain_text(QUESTION)  # waits for moderation
    viewer.evaluate("window.neverReloaded = true")  # gone if the page were loaded again

    # The moderator approves it in the console.
    moderator = person("kiemduyet@demo.gov.vn")
    moderator.goto(f"{session_path}/dieu-hanh?state=new")
    run_axe(moderator, "console")
    item = moderator.locator(".queue-item", has_text=QUESTION)
    expect(item).to_contain_text("Nguyễn Thị Xem")  # the moderator sees the name
    item.locator("form[action*='/approve'] button").click()
    expect(moderator.locator(".message-success")).to_be_visible()
    expect(viewer.locator("#question-list")).to_contain_text(QUESTION, timeout=LIVE_WITHIN_MS)

    # A second viewer upvotes it; everybody's count follows.
    second = person()
    second.goto(session_path)
    row = second.locator(".dq-item", has_text=QUESTION)
    expect(row).to_contain_text("Asked by Anonymous")
    row.locator(".vote-button").click()
    expect(row.locator(".vote-button")).to_have_attribute("aria-pressed", "true")
    expect(row.locator(".vote-count")).to_have_text("1 vote")
    expect(row.locator(".vote-button")).to_be_focused()  # the swap kept the keyboard where it was
    expect(viewer.locator(".dq-item", has_text=QUESTION).locator(".vote-count")).to_have_text(
        "1 vote", timeout=LIVE_WITHIN_MS)

    # The moderator marks it current and publishes the official's answer.
    moderator.goto(f"{session_path}/dieu-hanh?state=approved")
    moderator.locator(".queue-item", has_text=QUESTION).locator("form[action*='/current'] button").click()
    expect(moderator.locator(".message-success")).to_be_visible()
    expect(viewer.locator("#current-question")).to_contain_text(QUESTION, timeout=LIVE_WITHIN_MS)
    moderator.select_option("#official", index=1)
    moderator.fill("#answer", ANSWER)
    published = time.monotonic()
    moderator.locator("form[action*='/publish'] button[type=submit]").click()
    expect(moderator.locator(".message-success")).to_be_visible()

    # The first viewer's page, never reloaded, shows the answer under the official's name.
    answer = viewer.locator("#answer-list .dq-item", has_text=QUESTION)
    expect(answer).to_contain_text("Trung tâm Phục vụ hành chính công", timeout=LIVE_WITHIN_MS)
    assert time.monotonic() - published < LIVE_WITHIN_MS / 1000
    expect(answer).to_contain_text("Lê Thị Thu Hà")
    expect(viewer.locator("#live-news")).to_contain_text("1 new answer.")
    assert viewer.evaluate("window.neverReloaded === true")
    run_axe(viewer, "session page after the live updates")

    # The projector in the room shows the same question and answer.
    projector = person()
    projector.goto(f"{session_path}/trinh-chieu")
    expect(projector.locator(".projector-question")).to_have_text(QUESTION)
    expect(projector.locator(".projector-answer")).to_contain_text("Trung tâm Phục vụ hành chính công")
    run_axe(projector, "projector")

    # The asker is told by e-mail, sent once the moderator's response has gone out.
    mails = _mails_to(mail_server, "xem.truc.tiep@example.vn", live_app)
    assert len(mails) == 1 and f"/doi-thoai/{session_id}#q-" in mails[0].get_content()

    for page in (viewer, second, moderator, projector):
        assert page.errors == [], page.errors


def test_dialogue_pages_have_no_accessibility_violations_on_a_phone(page, live_app):
    page.set_viewport_size({"width": 375, "height": 800})
    session_id = _live_session_id(live_app)
    for path in ("/doi-thoai", f"/doi-thoai/{session_id}", f"/doi-thoai/{session_id}/trinh-chieu", "/"):
        page.goto(path)
        run_axe(page, f"{path} at 375px")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), path
    page.goto(f"/doi-thoai/{session_id}")
    page.click("#ask button[type=submit]")  # the form with every error shown
    page.wait_for_selector(".error-summary")
    run_axe(page, "ask form with errors")
