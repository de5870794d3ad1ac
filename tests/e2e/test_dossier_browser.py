"""The dossier desk in a real browser: find a dossier, hand its result over, print its slip, import a CSV."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from axe import run_axe

STAFF = "canbo.vhttdl@demo.gov.vn"


@pytest.fixture
def staff_page(page, sign_in, live_server):
    sign_in(STAFF)
    return page


def test_staff_find_a_dossier_hand_it_over_and_print_its_slip(staff_page, console_errors):
    page = staff_page
    page.goto("/can-bo/ho-so?state=completed&answer=unanswered&channel=counter")
    run_axe(page, "dossier list")
    # A completion period narrows the list in place too.
    page.fill("#since", "2000-01-01")
    expect(page).to_have_url(re.compile(r"since=2000-01-01"))
    first = page.locator(".dossier-table tbody tr a.dossier-code").first
    code = first.inner_text()
    # Searching by the start of the code updates the results in place.
    page.fill("#q", code[:-2])
    expect(page).to_have_url(re.compile(re.escape(f"q={code[:-2]}")))
    expect(page.locator(".dossier-table a.dossier-code", has_text=code)).to_be_visible()
    page.locator(".dossier-table a.dossier-code", has_text=code).click()
    expect(page.locator("h1")).to_contain_text(code)
    run_axe(page, "dossier detail")
    expect(page.locator(".applicant")).to_be_visible()

    page.select_option("#hand-over-counter", label="Quầy số 1")
    page.locator("form[action$='/trao-ket-qua'] button[type=submit]").click()
    expect(page.locator(".message-success")).to_be_visible()
    expect(page.locator("form.withdraw-form")).to_be_visible()
    run_axe(page, "dossier detail after the hand-over")

    detail = page.url
    page.locator(".slip-links a[href$='/phieu']").click()
    expect(page.locator(".slip")).to_be_visible()
    expect(page.locator("[data-print]")).to_be_visible()  # shown by print.js
    qr = page.locator(".slip-qr img")
    expect(qr).to_have_attribute("alt", re.compile(code))
    # Polled from here: wait_for_function would evaluate a string in the page, which the CSP forbids.
    for _ in range(50):
        if qr.evaluate("img => img.complete && img.naturalWidth > 0"):
            break
        page.wait_for_timeout(100)
    assert qr.evaluate("img => img.naturalWidth") > 0
    assert "0900" not in page.locator(".slip").inner_text()  # no phone on what the applicant takes home
    run_axe(page, "result slip")

    # Take it off the tablet again, so the counter's tablet is left as it was.
    page.goto(detail)
    page.locator("form.withdraw-form button").click()
    expect(page.locator(".message-success")).to_be_visible()
    expect(page.locator("form.withdraw-form")).to_have_count(0)
    assert console_errors == []


def test_staff_import_a_csv_after_checking_every_row(staff_page, console_errors):
    from database import utcnow

    page = staff_page
    day = (utcnow() - timedelta(days=3)).strftime("%d/%m/%Y")
    content = ("Mã hồ sơ;Tên thủ tục;Ngày tiếp nhận;Ngày hoàn thành;Kênh\n"
               f"E2E-NHAP-0001;Cấp giấy phép kinh doanh dịch vụ karaoke;{day} 08:00;{day} 15:00;tại quầy\n"
               f"E2E-NHAP-0002;Đăng ký tổ chức lễ hội;{day} 09:00;không rõ;trực tuyến\n").encode()
    page.goto("/can-bo/ho-so/nhap")
    run_axe(page, "import form")
    page.set_input_files("#file", files=[{"name": "ho-so.csv", "mimeType": "text/csv", "buffer": content}])
    page.locator("button[name=action][value=upload]").click()
    expect(page.locator("#row-3")).to_be_visible()
    expect(page.locator("#import-refused")).to_be_visible()
    expect(page.locator("button[name=action][value=confirm]")).to_have_count(0)
    run_axe(page, "import preview with an error")

    fixed = content.replace("không rõ".encode(), f"{day} 16:00".encode())
    page.set_input_files("#file", files=[{"name": "ho-so.csv", "mimeType": "text/csv", "buffer": fixed}])
    page.locator("button[name=action][value=upload]").click()
    expect(page.locator("button[name=action][value=confirm]")).to_be_visible()
    run_axe(page, "import preview ready")
    page.locator("button[name=action][value=confirm]").click()
    expect(page.locator(".message-success")).to_be_visible()
    page.fill("#q", "E2E-NHAP")
    expect(page.locator(".dossier-table a.dossier-code")).to_have_count(2)
    assert console_errors == []
