"""The scorecard, the transparency page and the follow-up list in a real browser: no WCAG 2.1 AA violation at
phone and desk widths, no sideways scrolling, and a follow-up closed in place."""
import pytest

from axe import run_axe

DEMO_PASSWORD = "cong-tuong-tac-2026"
YEAR = "from=2025-12-01&to=2026-11-22"


def _sign_in(page, email):
    page.context.clear_cookies()
    page.goto("/dang-nhap")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form[action^='/dang-nhap'] button[type=submit]")
    page.wait_for_selector(".account-link[href='/tai-khoan']")


def _check(page, path, label):
    page.goto(path)
    run_axe(page, f"{path} {label}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), path


@pytest.mark.parametrize("width", [375, 1280])
def test_figures_pages_have_no_violations(page, live_app, width):
    page.set_viewport_size({"width": width, "height": 900})
    for path in ("/", "/thong-ke", f"/thong-ke?{YEAR}", "/thong-ke?from=nonsense"):
        _check(page, path, f"at {width}px")
    _sign_in(page, "lanhdao.vhttdl@demo.gov.vn")
    for path in ("/can-bo/thong-ke-danh-gia", f"/can-bo/thong-ke-danh-gia?{YEAR}&group=month",
                 "/can-bo/danh-gia/theo-doi?state=all"):
        _check(page, path, f"as a leader at {width}px")
    _sign_in(page, "kiemduyet@demo.gov.vn")
    for path in (f"/can-bo/thong-ke-danh-gia?{YEAR}", f"/can-bo/thong-ke-danh-gia?{YEAR}&group=procedure"):
        _check(page, path, f"as a moderator at {width}px")
    _sign_in(page, "admin@demo.gov.vn")
    _check(page, "/can-bo/danh-gia/theo-doi", f"as an administrator at {width}px")


def test_a_follow_up_is_closed_in_place(page, live_app):
    _sign_in(page, "admin@demo.gov.vn")
    page.goto("/can-bo/danh-gia/theo-doi")
    item = page.locator(".follow-up.is-open").first
    item_id = item.get_attribute("id")
    item.locator("textarea[name=note]").fill("Đã gọi điện cho người nộp hồ sơ và xin lỗi.")
    url = page.url
    item.locator("button[type=submit]").click()
    closed = page.locator(f"#{item_id}.is-closed")
    closed.wait_for()
    assert "Đã gọi điện cho người nộp hồ sơ và xin lỗi." in closed.inner_text()
    assert page.url == url  # swapped in place, no new page
    run_axe(page, "follow-up list after closing one")
