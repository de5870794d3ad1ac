"""The foundation in a real browser: language switch, signing in and out, accessible pages."""
import re

from playwright.sync_api import expect


def test_home_page_switches_to_english_and_back(page, console_errors):
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("How can we help you?")
    assert page.url.rstrip("/").endswith(page.url.split("/")[2])  # still the home page address
    page.get_by_role("button", name="Tiếng Việt").click()
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    assert console_errors == []


def test_staff_signs_in_and_out(page, sign_in, console_errors):
    sign_in("canbo.vhttdl@demo.gov.vn")
    expect(page.locator(".account-link")).to_have_text("Phạm Thị Hương")
    page.locator(".account-link").click()
    expect(page).to_have_url(re.compile(r"/tai-khoan$"))
    expect(page.locator("main")).to_contain_text("Sở Văn hóa, Thể thao và Du lịch")
    page.locator("form[action='/dang-xuat'] button").click()
    expect(page.locator(".account-link")).to_have_attribute("href", "/dang-nhap")
    page.goto("/tai-khoan")
    expect(page).to_have_url(re.compile(r"/dang-nhap\?next="))
    assert console_errors == []


def test_wrong_password_shows_a_message_by_the_field_and_keeps_the_email(page, sign_in):
    sign_in("canbo.vhttdl@demo.gov.vn", password="không phải mật khẩu")
    expect(page.locator(".field-error")).to_be_visible()
    expect(page.locator("input[name=email]")).to_have_value("canbo.vhttdl@demo.gov.vn")
    expect(page.locator("input[name=password]")).to_have_attribute("aria-invalid", "true")


def test_admin_sees_the_users_and_searches_them_as_they_type(page, sign_in):
    sign_in("admin@demo.gov.vn")
    page.goto("/quan-tri/nguoi-dung")
    expect(page.locator("#user-rows tr")).to_have_count(6)
    page.fill("#user-search", "noivu")
    expect(page.locator("#user-rows tr")).to_have_count(1)
    expect(page.locator("#user-rows")).to_contain_text("canbo.noivu@demo.gov.vn")


PUBLIC_PAGES = ["/", "/dang-nhap", "/dang-ky", "/hoi-dap", "/doi-thoai", "/danh-gia", "/khong-co-trang-nay"]


def test_public_pages_have_no_accessibility_violations(page, axe_check):
    for path in PUBLIC_PAGES:
        page.goto(path)
        axe_check(path)


def test_signed_in_pages_have_no_accessibility_violations(page, sign_in, axe_check):
    sign_in("admin@demo.gov.vn")
    for path in ["/tai-khoan", "/tai-khoan/doi-mat-khau", "/tai-khoan/xac-thuc-hai-lop", "/quan-tri/nguoi-dung"]:
        page.goto(path)
        axe_check(path)


def test_phone_width_home_page_has_no_horizontal_scroll(page):
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto("/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
