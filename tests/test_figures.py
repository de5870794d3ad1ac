"""Agency figures for questions: received, answered, on time, median working days and overdue now, for a known
set of questions; leaders see their own agency, moderators every agency; a CSV of the same."""
import csv
import io
import re
from datetime import date, datetime, timedelta

import pytest

import workdays
from accounts.models import Role
from extensions import db
from feedback.models import Holiday, QuestionState

S = QuestionState
FIGURES = "/can-bo/thong-ke-hoi-dap"
MARCH = "from=2026-03-01&to=2026-03-31"


def _at(day, hour=2):
    """A UTC timestamp (9:00 in Vietnam at hour=2)."""
    return datetime.fromisoformat(day).replace(hour=hour)


@pytest.fixture
def known(make_question, make_agency):
    """Two agencies with questions whose figures for March 2026 are worked out by hand."""
    builders = make_agency(name="Sở Xây dựng")
    district = make_agency(name="UBND huyện Đak Đoa")
    idle = make_agency(name="Sở Ngoại vụ")
    today = workdays.today()

    def question(agency, state, assigned, due, published=None):
        q = make_question(state, agency=agency)
        q.assigned_at = _at(assigned)
        q.due_on = date.fromisoformat(due) if isinstance(due, str) else due
        q.published_at = _at(published, 3) if published else None
        if q.answer is not None and published:
            q.answer.published_at = q.published_at
        return q

    # Sở Xây dựng: received 5 in March, answered 4 in March (3 on time), working days 2, 14, 3, 6; 2 overdue now.
    question(builders, S.PUBLISHED, "2026-03-02", "2026-03-16", "2026-03-04")   # 2 days, on time
    question(builders, S.PUBLISHED, "2026-03-02", "2026-03-16", "2026-03-20")   # 14 days, late
    question(builders, S.PUBLISHED, "2026-03-03", "2026-03-17", "2026-03-06")   # 3 days, on time
    question(builders, S.ASSIGNED, "2026-03-10", "2026-03-24")                  # open and overdue
    question(builders, S.DRAFTED, "2026-03-30", today + timedelta(days=30))     # open, not yet due
    question(builders, S.PUBLISHED, "2026-02-02", "2026-02-16", "2026-02-05")   # all in February: not counted
    question(builders, S.PUBLISHED, "2026-02-25", "2026-03-11", "2026-03-05")   # answered in March: 6 days
    question(builders, S.ASSIGNED, "2026-01-05", "2026-01-19")                  # overdue, assigned long before
    # UBND huyện Đak Đoa: one question, answered next day.
    question(district, S.PUBLISHED, "2026-03-09", "2026-03-23", "2026-03-10")
    # Not yet assigned, or assigned to an agency outside the period: nothing to count.
    make_question(S.SUBMITTED)
    question(idle, S.PUBLISHED, "2025-06-02", "2025-06-16", "2025-06-03")
    db.session.commit()
    return {"builders": builders, "district": district, "idle": idle}


def _rows(page):
    """The table as {agency: [cells]}."""
    body = re.search(r"<tbody>(.*?)</tbody>", page, re.S)
    rows = re.findall(r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', body.group(1) if body else "", re.S)
    return {name: [c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)] for name, cells in rows}


def _csv(response):
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_a_moderator_sees_every_agencys_figures_for_the_period(client, login_as, known):
    login_as(Role.MODERATOR)
    client.set_cookie("lang", "en")
    response = client.get(f"{FIGURES}?{MARCH}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "From 01/03/2026 to 31/03/2026" in page
    assert _rows(page) == {
        "Sở Xây dựng": ["5", "4", "75 %", "4.5", "2"],
        "UBND huyện Đak Đoa": ["1", "1", "100 %", "1", "0"],
    }


def test_figures_are_written_the_vietnamese_way_by_default(client, login_as, known):
    login_as(Role.MODERATOR)
    rows = _rows(client.get(f"{FIGURES}?{MARCH}").get_data(as_text=True))
    assert rows["Sở Xây dựng"] == ["5", "4", "75 %", "4,5", "2"]


def test_overdue_questions_stand_out(client, login_as, known):
    login_as(Role.MODERATOR)
    page = client.get(f"{FIGURES}?{MARCH}").get_data(as_text=True)
    assert re.search(r'<td class="due-overdue">2</td>', page)


def test_a_leader_sees_only_their_own_agency(client, login_as, known):
    login_as(Role.LEADER, agency=known["district"])
    client.set_cookie("lang", "en")
    page = client.get(f"{FIGURES}?{MARCH}").get_data(as_text=True)
    assert _rows(page) == {"UBND huyện Đak Đoa": ["1", "1", "100 %", "1", "0"]}
    assert "Sở Xây dựng" not in page


def test_a_leader_of_an_agency_with_nothing_in_the_period_sees_no_rows(client, login_as, known):
    login_as(Role.LEADER, agency=known["idle"])
    client.set_cookie("lang", "en")
    page = client.get(f"{FIGURES}?{MARCH}").get_data(as_text=True)
    assert _rows(page) == {}
    assert "No question in this period." in page


def test_working_days_skip_holidays(client, login_as, known):
    db.session.add(Holiday(day=date(2026, 3, 3), name="Ngày nghỉ bù"))
    db.session.commit()
    login_as(Role.MODERATOR)
    client.set_cookie("lang", "en")
    rows = _rows(client.get(f"{FIGURES}?{MARCH}").get_data(as_text=True))
    assert rows["Sở Xây dựng"][3] == "4"  # 1, 13, 3 and 5 working days


def test_the_default_period_is_this_year_so_far(client, login_as, known):
    login_as(Role.MODERATOR)
    client.set_cookie("lang", "en")
    today = workdays.today()
    page = client.get(FIGURES).get_data(as_text=True)
    assert f"From 01/01/{today.year} to {today.strftime('%d/%m/%Y')}" in page


def test_a_period_given_backwards_is_read_the_right_way_round(client, login_as, known):
    login_as(Role.MODERATOR)
    client.set_cookie("lang", "en")
    page = client.get(f"{FIGURES}?from=2026-03-31&to=2026-03-01").get_data(as_text=True)
    assert "From 01/03/2026 to 31/03/2026" in page
    assert _rows(page)["Sở Xây dựng"][:2] == ["5", "4"]


def test_a_short_period_counts_only_its_own_days(client, login_as, known):
    login_as(Role.MODERATOR)
    client.set_cookie("lang", "en")
    rows = _rows(client.get(f"{FIGURES}?from=2026-03-02&to=2026-03-02").get_data(as_text=True))
    # Two questions assigned that day, none answered; the overdue ones count whatever the period.
    assert rows["Sở Xây dựng"] == ["2", "0", "—", "—", "2"]


def test_the_csv_holds_the_same_figures(client, login_as, known):
    login_as(Role.MODERATOR)
    client.set_cookie("lang", "en")
    response = client.get(f"{FIGURES}?{MARCH}&format=csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="hoi-dap-2026-03-01-2026-03-31.csv"'
    assert _csv(response) == [
        ["Agency", "Received", "Answered", "Answered on time (%)", "Median working days to answer", "Overdue now"],
        ["Sở Xây dựng", "5", "4", "75.0", "4.5", "2"],
        ["UBND huyện Đak Đoa", "1", "1", "100.0", "1", "0"],
    ]


def test_a_leaders_csv_holds_only_their_agency(client, login_as, known):
    login_as(Role.LEADER, agency=known["builders"])
    rows = _csv(client.get(f"{FIGURES}?{MARCH}&format=csv"))
    assert [row[0] for row in rows[1:]] == ["Sở Xây dựng"]


def test_the_page_links_to_the_csv_of_the_same_period(client, login_as, known):
    login_as(Role.MODERATOR)
    page = client.get(f"{FIGURES}?{MARCH}").get_data(as_text=True)
    assert 'href="/can-bo/thong-ke-hoi-dap?from=2026-03-01&amp;to=2026-03-31&amp;format=csv"' in page


@pytest.mark.parametrize("role", [Role.STAFF, Role.CITIZEN])
def test_staff_and_citizens_get_403(client, login_as, known, role):
    login_as(role, agency=known["builders"]) if role is Role.STAFF else login_as(role)
    assert client.get(f"{FIGURES}?{MARCH}").status_code == 403
    assert client.get(f"{FIGURES}?{MARCH}&format=csv").status_code == 403


def test_visitors_are_sent_to_sign_in(client, known):
    for url in (FIGURES, f"{FIGURES}?format=csv"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/dang-nhap")


def test_an_admin_sees_every_agency(client, login_as, known):
    login_as(Role.ADMIN)
    assert set(_rows(client.get(f"{FIGURES}?{MARCH}").get_data(as_text=True))) == {"Sở Xây dựng",
                                                                                    "UBND huyện Đak Đoa"}


def test_on_time_is_judged_on_the_vietnamese_calendar(client, login_as, make_question, make_agency):
    agency = make_agency(name="Sở Tư pháp")
    question = make_question(S.PUBLISHED, agency=agency)
    question.assigned_at = _at("2026-03-02")
    question.due_on = date(2026, 3, 16)
    question.published_at = datetime(2026, 3, 16, 18, 30)  # 01:30 on 17 March in Hanoi
    db.session.commit()
    login_as(Role.MODERATOR)
    rows = _csv(client.get(f"{FIGURES}?{MARCH}&format=csv"))
    assert rows[1][:4] == ["Sở Tư pháp", "1", "1", "0.0"]
