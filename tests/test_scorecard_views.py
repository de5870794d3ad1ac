"""The scorecard page and its exports as leaders, moderators and administrators see them: who sees which
agency, comments only for the agency, filters and grouping, charts, CSV and XLSX."""
import csv
import io
import re
import zipfile

import pytest

from accounts.models import Role
from test_scorecard import BUILD, REGISTER, known  # noqa: F401  (the hand-computed data set)

PAGE = "/can-bo/thong-ke-danh-gia"
EXPORT = "/can-bo/thong-ke-danh-gia/xuat"
MARCH = "from=2026-03-01&to=2026-03-31"


@pytest.fixture(autouse=True)
def english(client):
    """Visible text in English (the Vietnamese catalogue is filled later)."""
    client.set_cookie("lang", "en")


def rows_of(response):
    """The CSV rows of an export, BOM checked and removed."""
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_moderator_sees_every_agency_and_no_comments(client, login_as, known):
    login_as(Role.MODERATOR)
    page = client.get(f"{PAGE}?{MARCH}").get_data(as_text=True)
    assert "Sở Xây dựng" in page and "UBND huyện Đak Đoa" in page
    assert "Chờ quá lâu" not in page and "Comments of the applicants" not in page
    assert "0912345678" not in page and "nguoi.nop@example.vn" not in page and "Nguyễn Văn Nộp" not in page
    assert client.get(f"{EXPORT}.csv?table=comments&{MARCH}").status_code == 404


def test_leader_sees_own_agency_only_even_when_asking_for_another(client, login_as, known):
    login_as(Role.LEADER, agency=known["a"])
    response = client.get(f"{EXPORT}.csv?table=groups&group=agency&agency={known['b'].id}&{MARCH}")
    rows = rows_of(response)
    assert [r[0] for r in rows[1:]] == ["Sở Xây dựng", "All"]
    assert rows[1][2:4] == ["4", "4"]  # A's 4 dossiers and 4 answers
    page = client.get(f"{PAGE}?agency={known['b'].id}&{MARCH}").get_data(as_text=True)
    assert "UBND huyện Đak Đoa" not in page
    assert 'id="agency"' not in page  # no agency to choose from


def test_leader_sees_the_comments_of_own_agency_without_contact_data(client, login_as, known):
    login_as(Role.LEADER, agency=known["a"])
    page = client.get(f"{PAGE}?{MARCH}").get_data(as_text=True)
    assert "Chờ quá lâu, phải đi lại ba lần." in page and "Comments of the applicants" in page
    assert "0912345678" not in page and "nguoi.nop@example.vn" not in page and "Nguyễn Văn Nộp" not in page
    assert "1 follow-up to close" in page  # A-2's dissatisfied answer
    rows = rows_of(client.get(f"{EXPORT}.csv?table=comments&{MARCH}"))
    assert rows[0] == ["Answered", "Dossier code", "Completed", "Procedure", "Overall rating", "Comment"]
    assert rows[1][1] == "A-2" and rows[1][5].startswith("'=cmd")  # the formula is neutralised


def test_leader_of_another_agency_does_not_see_those_comments(client, login_as, known):
    login_as(Role.LEADER, agency=known["b"])
    page = client.get(f"{PAGE}?{MARCH}").get_data(as_text=True)
    assert "Chờ quá lâu" not in page
    assert rows_of(client.get(f"{EXPORT}.csv?table=comments&{MARCH}"))[1:] == []


def test_the_page_shows_the_summary_and_every_section(client, login_as, known):
    login_as(Role.ADMIN)
    response = client.get(f"{PAGE}?{MARCH}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for heading in ("summary-heading", "trend-heading", "groups-heading", "criteria-heading", "tags-heading",
                    "lowest-heading", "qa-heading"):
        assert f'id="{heading}"' in page
    assert "83.33%" in page  # share satisfied 5 / 6
    assert "57.14%" in page  # on time 4 / 7
    assert "43.65% – 96.99%" in page  # its Wilson interval
    assert "style=" not in page  # the Content-Security-Policy forbids inline styles: charts use attributes
    assert page.count('role="img"') == 2
    assert '<title id="trend-chart-title">' in page and '<desc id="groups-chart-desc">' in page


def test_filters_and_each_grouping(client, login_as, known):
    login_as(Role.MODERATOR)

    def grouped(group, extra="", period=MARCH):
        rows = rows_of(client.get(f"{EXPORT}.csv?table=groups&group={group}&{period}{extra}"))
        return {r[0]: r for r in rows[1:]}
    assert set(grouped("agency")) == {"Sở Xây dựng", "UBND huyện Đak Đoa", "All"}
    assert set(grouped("procedure")) == {BUILD, REGISTER, "All"}
    assert set(grouped("field")) == {"Xây dựng", "Hộ tịch", "All"}
    channels = grouped("channel")
    assert channels["Online"][2] == "3" and channels["By post"][2] == "0" and channels["By post"][14] == "1"
    months = grouped("month", period="from=2026-02-01&to=2026-03-31")
    assert months["02/2026"][2] == "1" and months["03/2026"][2] == "7"
    online_a = grouped("agency", f"&channel=online&agency={known['a'].id}")
    assert online_a["All"][2:4] == ["2", "2"]


def test_ranks_and_the_minimum_sample_in_the_table(app, client, login_as, known):
    app.config["SURVEY_MIN_SAMPLE"] = 3
    login_as(Role.MODERATOR)
    rows = {r[0]: r for r in rows_of(client.get(f"{EXPORT}.csv?table=groups&group=agency&{MARCH}"))[1:]}
    assert rows["Sở Xây dựng"][1] == "1" and rows["Sở Xây dựng"][-1] == "Yes"
    assert rows["UBND huyện Đak Đoa"][1] == "" and rows["UBND huyện Đak Đoa"][-1] == "Not enough answers to rank"
    page = client.get(f"{PAGE}?group=agency&{MARCH}").get_data(as_text=True)
    assert "Not enough answers to rank" in page


def test_csv_export_gives_percentages_and_the_period_in_its_name(client, login_as, known):
    login_as(Role.MODERATOR)
    response = client.get(f"{EXPORT}.csv?table=groups&group=agency&{MARCH}")
    assert response.mimetype == "text/csv"
    assert 'filename="danh-gia-groups-2026-03-01-2026-03-31.csv"' in response.headers["Content-Disposition"]
    rows = rows_of(response)
    header = rows[0]
    assert header[:5] == ["Agency", "Rank", "Dossiers completed", "Responses", "Response rate (%)"]
    total = dict(zip(header, rows[-1]))
    assert total["Share satisfied (%)"] == "83.33" and total["On-time rate (%)"] == "57.14"
    assert total["Share satisfied, interval from (%)"] == "43.65"


def test_every_table_exports_as_csv_and_xlsx(client, login_as, known):
    login_as(Role.LEADER, agency=known["a"])
    for table in ("groups", "trend", "criteria", "tags", "lowest", "qa", "comments"):
        assert client.get(f"{EXPORT}.csv?table={table}&{MARCH}").status_code == 200, table
        response = client.get(f"{EXPORT}.xlsx?table={table}&{MARCH}")
        assert response.status_code == 200, table
        assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        with zipfile.ZipFile(io.BytesIO(response.data)) as book:
            assert "xl/worksheets/sheet1.xml" in book.namelist()
    assert client.get(f"{EXPORT}.csv?table=nonsense&{MARCH}").status_code == 404


def test_xlsx_has_a_header_row_percent_formats_and_no_formulas(client, login_as, known):
    login_as(Role.LEADER, agency=known["a"])
    response = client.get(f"{EXPORT}.xlsx?table=comments&{MARCH}")
    assert 'filename="danh-gia-comments-2026-03-01-2026-03-31.xlsx"' in response.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.data)) as book:
        strings = book.read("xl/sharedStrings.xml").decode()
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "Dossier code" in strings and "Overall rating" in strings
    assert "=cmd" in strings and "<f>" not in sheet  # stored as text, never as a formula
    response = client.get(f"{EXPORT}.xlsx?table=groups&{MARCH}")
    with zipfile.ZipFile(io.BytesIO(response.data)) as book:
        assert "0.00%" in book.read("xl/styles.xml").decode()
        assert "Share satisfied" in book.read("xl/sharedStrings.xml").decode()


def test_a_bad_date_is_explained_and_kept(client, login_as, known):
    login_as(Role.MODERATOR)
    response = client.get(f"{PAGE}?from=31-13-2026&to=2026-03-31")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "You typed “31-13-2026”." in page and "Enter a date such as 31/03/2026." in page
    assert 'aria-invalid="true"' in page
    swapped = client.get(f"{PAGE}?from=2026-03-31&to=2026-03-01").get_data(as_text=True)
    assert "the two have been swapped" in swapped and 'value="2026-03-01"' in swapped


def test_a_day_typed_the_vietnamese_way_is_understood(client, login_as, known):
    login_as(Role.MODERATOR)
    rows = rows_of(client.get(f"{EXPORT}.csv?table=groups&from=01/03/2026&to=31/03/2026"))
    assert rows[-1][2] == "7"


def test_quick_periods_link_to_the_same_filters(client, login_as, known):
    login_as(Role.MODERATOR)
    page = client.get(f"{PAGE}?group=procedure&{MARCH}").get_data(as_text=True)
    links = re.findall(r'<nav class="period-links".*?</nav>', page, re.S)[0]
    assert links.count("<a ") == 5 and "group=procedure" in links


def test_drill_down_links_filter_by_the_row(client, login_as, known):
    login_as(Role.MODERATOR)
    page = client.get(f"{PAGE}?group=agency&{MARCH}").get_data(as_text=True)
    assert f"agency={known['a'].id}" in page and "group=procedure" in page
