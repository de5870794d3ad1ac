"""What the public reads: the list of answered questions with filters, paging and search, a question's page,
'was this helpful?', the feed and the open data — and never anyone's contact data."""
import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
import sqlalchemy as sa

import workdays
from accounts.models import Role, Topic
from extensions import db
from feedback.models import HelpfulVote, Question, QuestionState
from testapp import PASSWORD

S = QuestionState
ATOM = "{http://www.w3.org/2005/Atom}"
MORE = {"HX-Request": "true", "HX-Target": "more"}
RESULTS = {"HX-Request": "true", "HX-Target": "results"}


def _ids(page):
    """The question ids listed, in order."""
    return [int(i) for i in re.findall(r'<li class="question-item">\s*<h2><a href="/hoi-dap/(\d+)"', page)]


def _text(response):
    return response.get_data(as_text=True)


@pytest.fixture
def topic(make_topic):
    return make_topic(name="Đất đai")


@pytest.fixture
def agency(make_agency):
    return make_agency(name="Sở Tài nguyên và Môi trường")


# The list


def test_only_published_questions_with_consent_are_listed_newest_first(client, make_question, topic, agency):
    older = make_question(S.PUBLISHED, topic=topic, agency=agency, published_days_ago=3)
    newest = make_question(S.PUBLISHED, topic=topic, agency=agency, published_days_ago=0)
    middle = make_question(S.PUBLISHED, topic=topic, agency=agency, published_days_ago=1)
    hidden = [make_question(S.PUBLISHED, topic=topic, agency=agency, consent=False)]
    hidden += [make_question(state, topic=topic, agency=agency)
               for state in (S.SUBMITTED, S.ASSIGNED, S.DRAFTED, S.PENDING_APPROVAL, S.REJECTED, S.FORWARDED)]
    response = client.get("/hoi-dap")
    page = _text(response)
    assert response.status_code == 200
    assert _ids(page) == [newest.id, middle.id, older.id]
    for question in hidden:
        assert question.title not in page
        assert f'href="/hoi-dap/{question.id}"' not in page


def test_each_row_shows_the_topic_agency_and_answer_date(client, make_question, topic, agency):
    question = make_question(S.PUBLISHED, topic=topic, agency=agency)
    page = _text(client.get("/hoi-dap"))
    assert question.title in page
    assert "Đất đai" in page and "Sở Tài nguyên và Môi trường" in page
    assert question.published_at.strftime("%d/%m/%Y") in page


def test_an_empty_list_says_so(client):
    client.set_cookie("lang", "en")
    assert "No answered questions have been published yet." in _text(client.get("/hoi-dap"))


@pytest.fixture
def many(make_question, topic, agency):
    """25 published questions, the newest first."""
    made = [make_question(S.PUBLISHED, topic=topic, agency=agency, published_days_ago=n) for n in range(25)]
    return [q.id for q in made]


def test_twenty_questions_a_page_with_links_to_the_next(client, many):
    client.set_cookie("lang", "en")
    page = _text(client.get("/hoi-dap"))
    assert _ids(page) == many[:20]
    assert "Page 1 of 2" in page
    assert 'href="/hoi-dap?page=2" rel="next"' in page
    assert 'rel="prev"' not in page
    second = _text(client.get("/hoi-dap?page=2"))
    assert _ids(second) == many[20:]
    assert "Page 2 of 2" in second
    assert 'href="/hoi-dap" rel="prev"' in second
    assert 'rel="next"' not in second


@pytest.mark.parametrize("page", ["0", "-1", "abc", "999"])
def test_a_strange_page_number_is_not_an_error(client, many, page):
    response = client.get(f"/hoi-dap?page={page}")
    assert response.status_code == 200


@pytest.mark.parametrize("target", ["more", "li#more"])
def test_load_more_returns_only_the_next_rows(client, many, target):
    first = _text(client.get("/hoi-dap"))
    assert 'hx-get="/hoi-dap?page=2"' in first and 'hx-target="#more"' in first
    response = client.get("/hoi-dap?page=2", headers={"HX-Request": "true", "HX-Target": target})
    fragment = _text(response)
    assert response.status_code == 200
    assert _ids(fragment) == many[20:]
    assert fragment.lstrip().startswith("<li")
    for whole_page in ("<html", "<head", "<body", "<ol", "<form", 'class="pagination"', 'class="result-count"'):
        assert whole_page not in fragment
    assert 'id="more"' not in fragment  # the last page: nothing more to load


def test_load_more_on_a_middle_page_offers_the_page_after(client, make_question, topic, agency):
    for n in range(45):
        make_question(S.PUBLISHED, topic=topic, agency=agency, published_days_ago=n)
    fragment = _text(client.get("/hoi-dap?page=2", headers=MORE))
    assert len(_ids(fragment)) == 20
    assert '<li id="more"' in fragment and 'hx-get="/hoi-dap?page=3"' in fragment


def test_filters_by_topic_agency_and_period(client, make_question, make_topic, make_agency):
    land, health = make_topic(name="Đất đai"), make_topic(name="Y tế")
    department, district = make_agency(name="Sở Tài nguyên"), make_agency(name="UBND huyện Chư Păh")
    a = make_question(S.PUBLISHED, topic=land, agency=department, published_days_ago=2)
    b = make_question(S.PUBLISHED, topic=health, agency=department, published_days_ago=20)
    c = make_question(S.PUBLISHED, topic=land, agency=district, published_days_ago=100)
    d = make_question(S.PUBLISHED, topic=health, agency=district, published_days_ago=400)
    assert _ids(_text(client.get(f"/hoi-dap?topic={land.id}"))) == [a.id, c.id]
    assert _ids(_text(client.get(f"/hoi-dap?agency={district.id}"))) == [c.id, d.id]
    assert _ids(_text(client.get("/hoi-dap?period=7"))) == [a.id]
    assert _ids(_text(client.get("/hoi-dap?period=30"))) == [a.id, b.id]
    assert _ids(_text(client.get("/hoi-dap?period=365"))) == [a.id, b.id, c.id]
    assert _ids(_text(client.get(f"/hoi-dap?topic={health.id}&agency={district.id}"))) == [d.id]
    assert _ids(_text(client.get(f"/hoi-dap?topic={land.id}&period=30"))) == [a.id]
    page = _text(client.get(f"/hoi-dap?topic={land.id}&period=30"))
    assert f'<option value="{land.id}" selected>' in page and '<option value="30" selected>' in page


def test_unknown_filter_values_are_ignored(client, make_question, topic, agency):
    question = make_question(S.PUBLISHED, topic=topic, agency=agency)
    for query in ("topic=abc", "agency=-3", "period=9999", "topic=", "page=x"):
        response = client.get(f"/hoi-dap?{query}")
        assert response.status_code == 200
        assert _ids(_text(response)) == [question.id]


def test_page_links_keep_the_filters(client, make_question, make_topic, make_agency):
    make_topic(), make_agency()  # so that neither filter below has the id 1 (see the next test)
    topic, agency = make_topic(), make_agency()
    made = [make_question(S.PUBLISHED, topic=topic, agency=agency, published_days_ago=n) for n in range(21)]
    page = _text(client.get(f"/hoi-dap?topic={topic.id}&agency={agency.id}&period=365"))
    assert f'href="/hoi-dap?topic={topic.id}&amp;agency={agency.id}&amp;period=365&amp;page=2" rel="next"' in page
    fragment = _text(client.get(f"/hoi-dap?topic={topic.id}&period=365&page=2", headers=MORE))
    assert _ids(fragment) == [made[20].id]


def test_page_links_keep_the_filter_of_the_topic_with_id_1(client, make_question, topic, agency, make_topic):
    if topic.id != 1:
        db.session.execute(sa.update(Topic).where(Topic.id == topic.id).values(id=1))
        db.session.commit()
        db.session.expire_all()
    first_topic = db.session.get(Topic, 1)
    for n in range(21):
        make_question(S.PUBLISHED, topic=first_topic, agency=agency, published_days_ago=n)
    make_question(S.PUBLISHED, topic=make_topic(name="Giao thông"), agency=agency)
    page = _text(client.get("/hoi-dap?topic=1"))
    assert 'href="/hoi-dap?topic=1&amp;page=2" rel="next"' in page


# Search


@pytest.fixture
def land_and_dak_lak(make_question, topic, agency):
    land = make_question(S.PUBLISHED, topic=topic, agency=agency, title="Thủ tục đất đai khi tặng cho con",
                         body="Bố mẹ tôi muốn tặng cho con quyền sử dụng đất. Cần làm thủ tục gì?",
                         answer="<p>Lập hợp đồng tặng cho có công chứng.</p>")
    dak_lak = make_question(S.PUBLISHED, topic=topic, agency=agency, title="Đăng ký thường trú ở Đắk Lắk",
                            body="Tôi chuyển từ Gia Lai về Buôn Ma Thuột, tỉnh Đắk Lắk sinh sống.")
    other = make_question(S.PUBLISHED, topic=topic, agency=agency, title="Lệ phí trước bạ xe máy cũ",
                          body="Mua lại xe máy của người quen thì lệ phí trước bạ bao nhiêu?")
    return land, dak_lak, other


def test_search_without_diacritics_finds_the_question_with_them(client, land_and_dak_lak):
    land, dak_lak, other = land_and_dak_lak
    page = _text(client.get("/hoi-dap?q=thu+tuc+dat+dai"))
    assert _ids(page) == [land.id]
    assert "<mark>Thủ</mark> <mark>tục</mark> <mark>đất</mark> <mark>đai</mark>" in page
    found = _text(client.get("/hoi-dap?q=dak+lak"))
    assert _ids(found) == [dak_lak.id]
    assert "<mark>Đắk</mark> <mark>Lắk</mark>" in found


def test_search_with_diacritics_and_in_capitals_finds_the_same(client, land_and_dak_lak):
    land, dak_lak, _ = land_and_dak_lak
    assert _ids(_text(client.get("/hoi-dap?q=THỦ TỤC ĐẤT ĐAI"))) == [land.id]
    assert _ids(_text(client.get("/hoi-dap?q=Đắk Lắk"))) == [dak_lak.id]


def test_search_reads_the_answer_too(client, land_and_dak_lak):
    land, _, _ = land_and_dak_lak
    assert _ids(_text(client.get("/hoi-dap?q=cong+chung"))) == [land.id]


def test_search_finds_only_public_questions(client, make_question, topic, agency):
    make_question(S.PUBLISHED, topic=topic, agency=agency, consent=False, title="Thủ tục đất đai bí mật riêng tư")
    make_question(S.DRAFTED, topic=topic, agency=agency, title="Thủ tục đất đai đang soạn thảo")
    client.set_cookie("lang", "en")
    page = _text(client.get("/hoi-dap?q=thu+tuc+dat+dai"))
    assert _ids(page) == []
    assert "No answer matches your search." in page


@pytest.mark.parametrize("target", ["results", "div#results"])
def test_search_results_arrive_as_a_fragment_while_typing(client, land_and_dak_lak, target):
    land, _, _ = land_and_dak_lak
    client.set_cookie("lang", "en")
    response = client.get("/hoi-dap?q=thu+tuc+dat", headers={"HX-Request": "true", "HX-Target": target})
    fragment = _text(response)
    assert response.status_code == 200
    assert "<html" not in fragment and "<form" not in fragment
    assert fragment.lstrip().startswith('<p class="result-count">')
    assert "1 answer found" in fragment
    assert _ids(fragment) == [land.id]
    assert "<mark>đất</mark>" in fragment


def test_search_and_filters_combine(client, land_and_dak_lak, make_agency, make_question, topic):
    land, _, _ = land_and_dak_lak
    district = make_agency(name="UBND huyện Ia Grai")
    elsewhere = make_question(S.PUBLISHED, topic=topic, agency=district, title="Thủ tục đất đai ở Ia Grai")
    assert _ids(_text(client.get(f"/hoi-dap?q=thu+tuc+dat+dai&agency={district.id}"))) == [elsewhere.id]
    assert set(_ids(_text(client.get("/hoi-dap?q=thu+tuc+dat+dai")))) == {land.id, elsewhere.id}


def test_a_hostile_query_is_shown_escaped(client, land_and_dak_lak):
    page = _text(client.get('/hoi-dap?q=<script>alert(1)</script>"'))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


# A question's page


def test_a_question_page_shows_the_answer_the_agency_and_the_dates(client, make_question, topic, agency):
    question = make_question(S.PUBLISHED, topic=topic, agency=agency, published_days_ago=2,
                             answer="<p>Hồ sơ nộp tại <strong>Bộ phận một cửa</strong>.</p>")
    client.set_cookie("lang", "en")
    response = client.get(f"/hoi-dap/{question.id}")
    page = _text(response)
    assert response.status_code == 200
    assert f"<h1>{question.title}</h1>" in page
    assert question.body in page
    assert "Answer from Sở Tài nguyên và Môi trường" in page
    assert "Đất đai" in page
    assert question.submitted_at.strftime("%d/%m/%Y") in page
    assert question.published_at.strftime("%d/%m/%Y") in page
    answer = re.search(r"<div ([^>]*)>\s*<p>Hồ sơ nộp tại <strong>Bộ phận một cửa</strong>.</p>", page)
    assert answer, "the answer is not on the page"
    assert "hx-ignore" in answer.group(1).split()


def test_the_answer_text_can_never_become_htmx_behaviour(client, make_question, topic, agency):
    question = make_question(S.PUBLISHED, topic=topic, agency=agency,
                             answer='<p hx-get="/dang-xuat" hx-trigger="load">Trả lời</p>')
    page = _text(client.get(f"/hoi-dap/{question.id}"))
    assert 'hx-get="/dang-xuat"' not in page
    assert re.search(r"<div [^>]*hx-ignore[^>]*>\s*<p>Trả lời</p>", page)


def test_html_typed_in_a_question_is_shown_as_text(client, make_question, topic, agency):
    question = make_question(S.PUBLISHED, topic=topic, agency=agency, title="Hỏi <script>alert(1)</script> về phí",
                             body='Nội dung <img src=x onerror="alert(1)"> câu hỏi về lệ phí trước bạ')
    for path in (f"/hoi-dap/{question.id}", "/hoi-dap", "/", "/hoi-dap?q=le+phi"):
        page = _text(client.get(path))
        assert "<script>alert(1)</script>" not in page and "<img src=x" not in page, path
    assert "Hỏi &lt;script&gt;alert(1)&lt;/script&gt; về phí" in _text(client.get(f"/hoi-dap/{question.id}"))


@pytest.mark.parametrize("state", [S.SUBMITTED, S.ASSIGNED, S.DRAFTED, S.PENDING_APPROVAL, S.REJECTED, S.FORWARDED])
def test_an_unpublished_question_is_404(client, make_question, state):
    question = make_question(state)
    assert client.get(f"/hoi-dap/{question.id}").status_code == 404
    assert client.post(f"/hoi-dap/{question.id}/huu-ich", data={"helpful": "yes"}).status_code == 404


def test_a_published_question_without_consent_is_404(client, make_question):
    question = make_question(S.PUBLISHED, consent=False)
    assert client.get(f"/hoi-dap/{question.id}").status_code == 404
    assert client.post(f"/hoi-dap/{question.id}/huu-ich", data={"helpful": "yes"}).status_code == 404


def test_a_question_that_does_not_exist_is_404(client):
    assert client.get("/hoi-dap/99999999").status_code == 404


# Was this answer helpful?


def _vote(client, question, helpful="yes", htmx=True):
    return client.post(f"/hoi-dap/{question.id}/huu-ich", data={"helpful": helpful},
                       headers={"HX-Request": "true", "HX-Target": "helpful"} if htmx else {})


def _counts(question):
    db.session.expire_all()
    fresh = db.session.get(Question, question.id)
    return fresh.helpful_yes, fresh.helpful_no


def test_a_vote_is_counted_and_thanked_in_place(client, make_question):
    question = make_question(S.PUBLISHED)
    client.set_cookie("lang", "en")
    response = _vote(client, question, "yes")
    fragment = _text(response)
    assert response.status_code == 200
    assert "<html" not in fragment
    assert "Thank you for your opinion." in fragment
    assert "1 people found it helpful, 0 did not." in fragment
    assert _counts(question) == (1, 0)
    assert client.get_cookie("voter") is not None


def test_a_second_vote_from_the_same_browser_is_refused_politely(client, make_question):
    question = make_question(S.PUBLISHED)
    client.set_cookie("lang", "en")
    _vote(client, question, "yes")
    second = _vote(client, question, "no")
    assert second.status_code == 200
    assert "You have already given your opinion." in _text(second)
    assert "1 people found it helpful, 0 did not." in _text(second)
    assert _counts(question) == (1, 0)
    page = _text(client.get(f"/hoi-dap/{question.id}"))
    assert 'name="helpful"' not in page
    assert "1 people found it helpful, 0 did not." in page


def test_votes_from_different_browsers_are_all_counted_exactly(app, make_question):
    question = make_question(S.PUBLISHED)
    for helpful in ("yes", "yes", "no", "yes", "no"):
        assert _vote(app.test_client(), question, helpful).status_code == 200
    assert _counts(question) == (3, 2)
    assert db.session.scalar(sa.select(sa.func.count(HelpfulVote.id))) == 5


def test_a_signed_in_person_votes_once_whatever_the_browser(app, make_question, make_user):
    question = make_question(S.PUBLISHED)
    user = make_user(Role.CITIZEN)
    browsers = []
    for _ in range(2):
        browser = app.test_client()
        assert browser.post("/dang-nhap", data={"email": user.email, "password": PASSWORD}).status_code == 302
        browser.set_cookie("lang", "en")
        browsers.append(browser)
    assert "Thank you for your opinion." in _text(_vote(browsers[0], question, "no"))
    assert "You have already given your opinion." in _text(_vote(browsers[1], question, "yes"))
    assert _counts(question) == (0, 1)
    assert db.session.scalars(sa.select(HelpfulVote.voter_key)).all() == [f"user:{user.id}"]


def test_a_vote_without_htmx_is_thanked_on_the_question_page(client, make_question):
    question = make_question(S.PUBLISHED)
    client.set_cookie("lang", "en")
    response = _vote(client, question, "yes", htmx=False)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/hoi-dap/{question.id}"
    assert "Thank you for your opinion." in _text(client.get(response.headers["Location"]))
    assert _counts(question) == (1, 0)


def test_a_browser_without_javascript_also_votes_only_once(client, make_question):
    question = make_question(S.PUBLISHED)
    _vote(client, question, "yes", htmx=False)
    _vote(client, question, "yes", htmx=False)
    _vote(client, question, "no", htmx=False)
    assert _counts(question) == (1, 0)


@pytest.mark.parametrize("helpful", ["", "maybe", "1"])
def test_a_vote_that_is_neither_yes_nor_no_is_400(client, make_question, helpful):
    question = make_question(S.PUBLISHED)
    assert _vote(client, question, helpful).status_code == 400
    assert _counts(question) == (0, 0)


# Feed and open data


def test_the_atom_feed_is_valid_xml_with_the_newest_answers_first(client, make_question, topic, agency):
    older = make_question(S.PUBLISHED, topic=topic, agency=agency, published_days_ago=5,
                          title="Phí & lệ phí <cấp> giấy phép xây dựng", answer="<p>Mức phí là 100.000 đồng.</p>")
    newer = make_question(S.PUBLISHED, topic=topic, agency=agency, published_days_ago=1)
    hidden = make_question(S.PUBLISHED, topic=topic, agency=agency, consent=False)
    draft = make_question(S.DRAFTED, topic=topic, agency=agency)
    response = client.get("/hoi-dap/moi.atom")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    links = [e.find(f"{ATOM}link").get("href") for e in entries]
    assert [link.rsplit("/", 1)[1] for link in links] == [str(newer.id), str(older.id)]
    titles = [e.find(f"{ATOM}title").text for e in entries]
    assert titles == [newer.title, "Phí & lệ phí <cấp> giấy phép xây dựng"]
    assert entries[1].find(f"{ATOM}summary").text == "Mức phí là 100.000 đồng."
    assert entries[1].find(f"{ATOM}author/{ATOM}name").text == "Sở Tài nguyên và Môi trường"
    assert root.find(f"{ATOM}updated").text == newer.published_at.isoformat(timespec="seconds") + "Z"
    body = _text(response)
    assert hidden.title not in body and draft.title not in body


def test_the_feed_of_an_empty_portal_is_still_valid(client):
    root = ET.fromstring(client.get("/hoi-dap/moi.atom").data)
    assert root.findall(f"{ATOM}entry") == []


def test_the_csv_export_has_every_public_question_with_its_answer(client, make_question, topic, agency):
    first = make_question(S.PUBLISHED, topic=topic, agency=agency, published_days_ago=3,
                          answer="<p>Dòng một.</p><ul><li>Ý &amp; hai</li></ul>")
    second = make_question(S.PUBLISHED, topic=topic, agency=agency, published_days_ago=1,
                           title='Hỏi về "dấu ngoặc", dấu phẩy')
    hidden = make_question(S.PUBLISHED, topic=topic, agency=agency, consent=False)
    make_question(S.DRAFTED, topic=topic, agency=agency)
    response = client.get("/hoi-dap/du-lieu.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="hoi-dap.csv"'
    text = _text(response)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert list(rows[0]) == ["id", "url", "title", "question", "topic", "agency", "asked_at", "answered_at", "answer"]
    assert [int(r["id"]) for r in rows] == [first.id, second.id]
    assert rows[0]["answer"] == "Dòng một.\nÝ & hai"
    assert rows[0]["topic"] == "Đất đai" and rows[0]["agency"] == "Sở Tài nguyên và Môi trường"
    assert rows[1]["title"] == 'Hỏi về "dấu ngoặc", dấu phẩy'
    assert rows[0]["url"].endswith(f"/hoi-dap/{first.id}")
    assert str(hidden.id) not in {r["id"] for r in rows}


def test_the_json_export_has_every_public_question_with_its_answer(client, make_question, topic, agency):
    first = make_question(S.PUBLISHED, topic=topic, agency=agency, published_days_ago=2)
    make_question(S.PUBLISHED, topic=topic, agency=agency, consent=False)
    make_question(S.PENDING_APPROVAL, topic=topic, agency=agency)
    response = client.get("/hoi-dap/du-lieu.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    data = json.loads(response.data)
    assert [row["id"] for row in data] == [first.id]
    assert data[0]["answer"] == "Câu trả lời của cơ quan."
    assert data[0]["title"] == first.title and data[0]["question"] == first.body
    assert data[0]["answered_at"].endswith("Z")


def test_an_empty_export_is_still_valid(client):
    assert json.loads(client.get("/hoi-dap/du-lieu.json").data) == []
    assert _text(client.get("/hoi-dap/du-lieu.csv")).strip("\ufeff\r\n") == \
        "id,url,title,question,topic,agency,asked_at,answered_at,answer"


# Contact data never goes public


CANARIES = ("canary.lan@example.vn", "0987654321", "Canary Nguyễn", "Số 7 đường Canary", "Canary")


def test_no_contact_data_appears_anywhere_public(client, make_question, topic, agency):
    question = make_question(S.PUBLISHED, topic=topic, agency=agency, email="canary.lan@example.vn",
                             phone="0987654321", asker_address="Số 7 đường Canary",
                             title="Thủ tục đất đai khi tách thửa", body="Xin hỏi diện tích tối thiểu để tách thửa?")
    question.asker_name = "Canary Nguyễn"
    db.session.commit()
    for n in range(20):  # a second page, so the load-more fragment has rows
        make_question(S.PUBLISHED, topic=topic, agency=agency, published_days_ago=n + 1)
    requests = {
        "home": lambda: client.get("/"),
        "list": lambda: client.get("/hoi-dap"),
        "search": lambda: client.get("/hoi-dap?q=tach+thua"),
        "search fragment": lambda: client.get("/hoi-dap?q=thu+tuc+dat+dai", headers=RESULTS),
        "filter": lambda: client.get(f"/hoi-dap?topic={topic.id}&agency={agency.id}&period=7"),
        "more fragment": lambda: client.get("/hoi-dap?page=2", headers=MORE),
        "detail": lambda: client.get(f"/hoi-dap/{question.id}"),
        "helpful fragment": lambda: _vote(client, question, "yes"),
        "feed": lambda: client.get("/hoi-dap/moi.atom"),
        "csv": lambda: client.get("/hoi-dap/du-lieu.csv"),
        "json": lambda: client.get("/hoi-dap/du-lieu.json"),
    }
    texts = {}
    for name, request in requests.items():
        response = request()
        texts[name] = _text(response)  # read at once: the exports stream
        assert response.status_code == 200, name
    assert "Thủ tục đất đai khi tách thửa" in texts["detail"]
    assert _ids(texts["search"]) == [question.id]
    assert _ids(texts["more fragment"])
    for name, text in texts.items():
        for canary in CANARIES:
            assert canary not in text, (name, canary)
        assert "canary" not in text.lower(), name


# Due dates stand out for staff and moderators


@pytest.fixture
def due(make_question, agency):
    """Open questions overdue, due in one working day and due later; an answered one long past its date."""
    today = workdays.today()
    made = {
        "overdue": (S.ASSIGNED, "Câu hỏi đã quá hạn trả lời", today - timedelta(days=1)),
        "soon": (S.DRAFTED, "Câu hỏi sắp đến hạn trả lời", workdays.add_working_days(today, 1)),
        "later": (S.ASSIGNED, "Câu hỏi còn nhiều thời gian", workdays.add_working_days(today, 8)),
        "done": (S.PUBLISHED, "Câu hỏi đã trả lời dù quá hạn", today - timedelta(days=30)),
    }
    questions = {}
    for name, (state, title, due_on) in made.items():
        questions[name] = make_question(state, agency=agency, title=title)
        questions[name].due_on = due_on
    db.session.commit()
    return questions


def _row(page, title):
    found = re.search(rf"<tr>\s*<td><a [^>]*>{re.escape(title)}</a>.*?</tr>", page, re.S)
    return found.group(0) if found else ""


def test_the_inbox_marks_overdue_and_due_soon_questions(client, login_as, agency, due):
    login_as(Role.STAFF, agency=agency)
    client.set_cookie("lang", "en")
    page = _text(client.get("/can-bo/hoi-dap"))
    overdue, soon, later = (_row(page, due[n].title) for n in ("overdue", "soon", "later"))
    assert 'class="due due-overdue"' in overdue
    assert f"Overdue since {due['overdue'].due_on.strftime('%d/%m/%Y')}" in overdue
    assert 'class="due due-due_soon"' in soon
    assert f"Due soon: {due['soon'].due_on.strftime('%d/%m/%Y')}" in soon
    assert 'class="due"' in later and "due-overdue" not in later and "due-due_soon" not in later
    assert page.index(due["overdue"].title) < page.index(due["soon"].title) < page.index(due["later"].title)
    assert due["done"].title not in page  # the open list only
    done = _text(client.get("/can-bo/hoi-dap?state=published"))
    assert "due-overdue" not in _row(done, due["done"].title)


def test_the_moderation_page_lists_overdue_questions_marked(client, login_as, agency, due):
    login_as(Role.MODERATOR)
    client.set_cookie("lang", "en")
    page = _text(client.get("/kiem-duyet/hoi-dap"))
    section = page[page.index("Overdue at the agencies"):]
    assert "Overdue at the agencies (1)" in page
    item = re.search(rf"<li><a [^>]*>{re.escape(due['overdue'].title)}</a>.*?</li>", section, re.S).group(0)
    assert 'class="due due-overdue"' in item and "Sở Tài nguyên và Môi trường" in item
    for name in ("soon", "later", "done"):
        assert due[name].title not in section
