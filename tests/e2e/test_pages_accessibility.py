"""Every page of the question service, as each role sees it, passes axe-core at WCAG 2.1 AA, at phone and desk widths."""
import pytest
import sqlalchemy as sa

from axe import run_axe

DEMO_PASSWORD = "cong-tuong-tac-2026"


def _ids(live_app):
    """A few demo questions to open: one waiting for a moderator, one being answered, one published."""
    from extensions import db
    from feedback.models import Question, QuestionState as S

    with live_app.app_context():
        first = {state: db.session.scalar(sa.select(Question.id).where(Question.state == state).order_by(Question.id))
                 for state in (S.SUBMITTED, S.DRAFTED, S.PUBLISHED)}
        db.session.remove()
    return first


def _sign_in(page, email):
    page.goto("/dang-nhap")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form[action^='/dang-nhap'] button[type=submit]")
    page.wait_for_selector(".account-link[href='/tai-khoan']")


@pytest.mark.parametrize("width", [375, 1280])
def test_question_pages_have_no_violations_for_any_role(page, live_app, width):
    from feedback.models import QuestionState as S

    ids = _ids(live_app)
    page.set_viewport_size({"width": width, "height": 900})
    public = ["/", "/hoi-dap", "/hoi-dap?q=thu+tuc+dat+dai", f"/hoi-dap/{ids[S.PUBLISHED]}",
              "/hoi-dap/dat-cau-hoi", "/tra-cuu"]
    for path in public:
        page.goto(path)
        run_axe(page, f"{path} at {width}px")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), path
    page.goto("/hoi-dap/dat-cau-hoi")
    page.click("form[action='/hoi-dap/dat-cau-hoi'] button[type=submit]")  # the form with every error shown
    page.wait_for_selector(".error-summary")
    run_axe(page, "ask form with errors")
    by_role = {
        "congdan@demo.vn": ["/tai-khoan", "/tai-khoan/cau-hoi"],
        "kiemduyet@demo.gov.vn": ["/kiem-duyet/hoi-dap", f"/can-bo/hoi-dap/{ids[S.SUBMITTED]}",
                                  "/can-bo/thong-ke-hoi-dap"],
        "canbo.vhttdl@demo.gov.vn": ["/can-bo/hoi-dap", f"/can-bo/hoi-dap/{ids[S.DRAFTED]}"],
        "admin@demo.gov.vn": ["/quan-tri/nguoi-dung", "/quan-tri/thu-di"],
    }
    for email, paths in by_role.items():
        page.context.clear_cookies()
        _sign_in(page, email)
        for path in paths:
            page.goto(path)
            run_axe(page, f"{path} as {email} at {width}px")
