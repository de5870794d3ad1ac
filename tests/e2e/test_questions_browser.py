"""The whole path of a question in a real browser: asked, assigned, answered, approved, found, tracked."""
import re
import time

import pytest

from playwright.sync_api import expect

from axe import run_axe

DEMO_PASSWORD = "cong-tuong-tac-2026"


@pytest.fixture
def contexts():
    """Browser contexts opened by a test, closed after it so that none keeps calling the server."""
    opened = []
    yield opened
    for context in opened:
        context.close()


def _person(browser, base_url, email=None, opened=None):
    """A browser of its own for each person, signed in when an e-mail is given."""
    context = browser.new_context(base_url=base_url)
    opened.append(context)
    page = context.new_page()
    if email:
        page.goto("/dang-nhap")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("form[action^='/dang-nhap'] button[type=submit]")
        page.wait_for_selector(".account-link[href='/tai-khoan']")
    return page


def test_a_question_goes_from_the_citizen_to_the_published_answer(browser, live_server, live_app, mail_server,
                                                                  contexts):
    citizen = _person(browser, live_server, opened=contexts)
    citizen.goto("/hoi-dap/dat-cau-hoi")
    run_axe(citizen)
    citizen.fill("#title", "Lệ phí đăng ký kinh doanh hộ cá thể ở Đắk Đoa")
    citizen.fill("#body", "Xin hỏi lệ phí đăng ký hộ kinh doanh cá thể tại huyện Đak Đoa là bao nhiêu và nộp ở đâu?")
    citizen.select_option("#topic", label="Thuế, phí và lệ phí")
    citizen.fill("#name", "Nguyễn Thị Bích")
    citizen.fill("#email", "bich@example")  # a mistake, caught as she types
    expect(citizen.locator("#email-error .field-error")).to_be_visible()
    citizen.fill("#email", "bich@example.vn")
    expect(citizen.locator("#email-error .field-error")).to_have_count(0)
    citizen.check("#consent_publish")
    citizen.get_by_role("button", name=re.compile("Gửi câu hỏi")).click()
    code = citizen.locator(".tracking-code").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{5}-[A-Z2-9]{5}", code)

    moderator = _person(browser, live_server, "kiemduyet@demo.gov.vn", opened=contexts)
    moderator.goto("/kiem-duyet/hoi-dap")
    run_axe(moderator)
    item = moderator.locator(".queue-item", has_text="Lệ phí đăng ký kinh doanh")
    item.locator("select[name=agency]").select_option(label="Sở Văn hóa, Thể thao và Du lịch")
    item.get_by_role("button", name="Giao").click()
    expect(moderator.locator(".message-success")).to_be_visible()

    staff = _person(browser, live_server, "canbo.vhttdl@demo.gov.vn", opened=contexts)
    staff.goto("/can-bo/hoi-dap")
    staff.get_by_role("link", name="Lệ phí đăng ký kinh doanh hộ cá thể ở Đắk Đoa").click()
    staff.fill("#answer", "Lệ phí đăng ký hộ kinh doanh là 100.000 đồng.\n\nHồ sơ nộp tại Bộ phận Một cửa huyện.")
    staff.get_by_role("button", name=re.compile("lãnh đạo")).click()
    expect(staff.locator(".message-success")).to_be_visible()

    leader = _person(browser, live_server, "lanhdao.vhttdl@demo.gov.vn", opened=contexts)
    leader.goto("/can-bo/hoi-dap?state=pending_approval")
    leader.get_by_role("link", name="Lệ phí đăng ký kinh doanh hộ cá thể ở Đắk Đoa").click()
    leader.get_by_role("button", name=re.compile("Duyệt")).click()
    expect(leader.locator(".message-success")).to_be_visible()

    citizen.goto("/hoi-dap")
    citizen.fill("#q", "le phi dang ky kinh doanh dak doa")
    expect(citizen.locator(".question-item").first).to_contain_text("Lệ phí đăng ký kinh doanh")
    expect(citizen.locator(".question-item mark").first).to_be_visible()
    citizen.locator(".question-item a").first.click()
    expect(citizen.locator(".answer")).to_contain_text("100.000 đồng")
    run_axe(citizen)

    citizen.goto("/tra-cuu")
    citizen.fill("#code", code.lower().replace("-", " "))
    citizen.fill("#contact", "bich@example.vn")
    citizen.get_by_role("button", name="Tra cứu").click()
    expect(citizen.locator(".answer")).to_contain_text("100.000 đồng")
    expect(citizen.locator(".timeline li")).to_have_count(3)

    # Both e-mails reached the SMTP server: the receipt with the code, then the news of the answer.
    # They are sent after each response has gone out, so give the last one a moment to arrive.
    deadline = time.monotonic() + 15
    while len(mails := [m for rcpt, m in mail_server.received if rcpt == ["bich@example.vn"]]) < 2:
        if time.monotonic() > deadline:
            # Sending after the response is best effort (tested in tests/test_notifications.py); what
            # must hold is that the message was queued and reaches the server, as `flask mail send` does.
            from notifications import deliver_pending

            with live_app.app_context():
                deliver_pending()
            mails = [m for rcpt, m in mail_server.received if rcpt == ["bich@example.vn"]]
            break
        time.sleep(0.2)
    assert len(mails) == 2
    assert code in mails[0]["Subject"] and code in mails[0].get_content()
    assert code in mails[1]["Subject"]
    staff_mails = [m for rcpt, m in mail_server.received if rcpt == ["canbo.vhttdl@demo.gov.vn"]]
    assert any("Lệ phí đăng ký kinh doanh" in m["Subject"] for m in staff_mails)

