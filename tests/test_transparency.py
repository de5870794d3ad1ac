"""The public transparency page, its exports, and the headline figures of the home page: aggregates only —
never a comment, an individual answer or anyone's contact data."""
import csv
import io
import zipfile

from extensions import db
from test_scorecard import known  # noqa: F401  (the hand-computed data set)

PAGE = "/thong-ke"
MARCH = "from=2026-03-01&to=2026-03-31"


def test_public_page_gives_province_and_agency_figures(client, known):
    client.set_cookie("lang", "en")
    response = client.get(f"{PAGE}?{MARCH}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Sở Xây dựng" in page and "UBND huyện Đak Đoa" in page
    assert "83.33%" in page and "43.65% – 96.99%" in page  # province: 5 of 6 satisfied, its interval
    assert "57.14%" in page and "42.86%" in page  # on time 4 / 7; online 3 / 7
    assert "85.71%" in page  # response rate 6 / 7
    assert "66.67%" in page  # A's answers found helpful: 2 of 3 votes
    assert 'id="trend-chart"' in page and 'id="agencies-chart"' in page
    assert "style=" not in page


def test_public_page_never_shows_comments_answers_or_contact_data(client, known):
    page = client.get(f"{PAGE}?{MARCH}").get_data(as_text=True)
    for private in ("Chờ quá lâu", "=cmd", "0912345678", "nguoi.nop@example.vn", "Nguyễn Văn Nộp", "A-2", "B-1"):
        assert private not in page, private
    for table in ("agencies", "trend"):
        for fmt in ("csv", "xlsx"):
            response = client.get(f"{PAGE}/xuat.{fmt}?table={table}&{MARCH}")
            assert response.status_code == 200
            body = response.get_data(as_text=True) if fmt == "csv" else \
                zipfile.ZipFile(io.BytesIO(response.data)).read("xl/sharedStrings.xml").decode()
            for private in ("Chờ quá lâu", "0912345678", "nguoi.nop", "Nguyễn Văn Nộp"):
                assert private not in body


def test_agencies_below_the_minimum_sample_are_marked_not_ranked(app, client, known):
    client.set_cookie("lang", "en")
    app.config["SURVEY_MIN_SAMPLE"] = 3
    response = client.get(f"{PAGE}/xuat.csv?table=agencies&{MARCH}")
    assert 'filename="thong-ke-agencies-2026-03-01-2026-03-31.csv"' in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    header, body = rows[0], rows[1:]
    named = {r[0]: dict(zip(header, r)) for r in body}
    assert named["Sở Xây dựng"]["Rank"] == "1"
    assert named["UBND huyện Đak Đoa"]["Rank"] == "" and \
        named["UBND huyện Đak Đoa"]["Ranked"] == "Not enough answers to rank"
    province = named["Whole province"]
    assert province["Dossiers completed"] == "7" and province["Share satisfied (%)"] == "83.33"
    assert province["Decision 766 index (%)"] == "83.33" and province["On-time rate (%)"] == "57.14"
    assert province["Answers on-time rate (%)"] == "50.0" and province["Answers found helpful (%)"] == "66.67"
    page = client.get(f"{PAGE}?{MARCH}").get_data(as_text=True)
    assert "Not enough answers to rank" in page and "(too few answers)" in page


def test_trend_export_has_the_targets(client, known):
    client.set_cookie("lang", "en")
    text = client.get(f"{PAGE}/xuat.csv?table=trend&{MARCH}").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == ["Month", "Dossiers completed", "Responses", "Share satisfied (%)", "Decision 766 index (%)",
                       "Target (%)", "Target met", "On-time rate (%)"]
    assert rows[-1] == ["03/2026", "7", "6", "83.33", "83.33", "90.0", "No", "57.14"]
    assert rows[-2][:4] == ["02/2026", "1", "1", "100.0"] and rows[-2][6] == "Yes"
    assert len(rows) == 13


def test_unknown_export_table_is_not_found(client):
    assert client.get(f"{PAGE}/xuat.csv?table=comments").status_code == 404


def test_empty_period_says_so(client, known):
    client.set_cookie("lang", "en")
    page = client.get(f"{PAGE}?from=2020-01-01&to=2020-03-31").get_data(as_text=True)
    assert "No dossier completed in this period yet." in page


def test_home_shows_headline_figures_linking_to_the_figures(client, make_agency, make_dossier):
    from feedback import survey

    client.set_cookie("lang", "en")
    assert 'id="headline-heading"' not in client.get("/").get_data(as_text=True)  # nothing to show yet
    agency = make_agency()
    for rating, completed_days_ago in ((3, 2), (2, 3), (1, 4)):  # each due yesterday, completed before
        survey.answer(make_dossier(agency=agency, completed_days_ago=completed_days_ago), rating, "link")
    make_dossier(agency=agency, completed=False, due_in_days=-1)  # open and overdue: late
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert 'id="headline-heading"' in page
    assert "66.67%" in page  # 2 of 3 satisfied
    assert "75%" in page  # 3 on time, 1 late
    assert 'href="/thong-ke?from=' in page


def test_home_rate_box_is_a_form_for_the_dossier_code_and_contact(client):
    page = client.get("/").get_data(as_text=True)
    form = page[page.index('class="rate-form"') - 200:]
    form = form[:form.index("</form>")]
    assert 'method="post"' in form and 'action="/danh-gia"' in form
    assert 'name="code"' in form and 'name="contact"' in form and 'name="csrf_token"' in form
    assert 'for="rate-code"' in form and 'for="rate-contact"' in form
