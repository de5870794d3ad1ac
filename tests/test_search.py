"""Vietnamese search: folding, matching, ranking and highlighting, the same on SQLite and PostgreSQL."""
import json
import unicodedata
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from markupsafe import Markup

import search
from extensions import db
from testapp import is_postgresql

CORPORA = Path("/work/shared/corpora")
DAY = timedelta(days=1)
JAN = datetime(2026, 1, 10, 8, 30)

# A fixed corpus of citizens' questions: (object id, title, body, answer, published_at).
CORPUS = [
    (1, "Thủ tục cấp giấy chứng nhận quyền sử dụng đất lần đầu",
     "Gia đình tôi có mảnh đất ở huyện Krông Pắc, tỉnh Đắk Lắk, sử dụng ổn định từ năm 1995. "
     "Xin hỏi thủ tục và hồ sơ cần chuẩn bị?",
     "Hồ sơ gồm đơn đăng ký đất đai, tài sản gắn liền với đất theo Mẫu số 04a/ĐK.", datetime(2026, 1, 10)),
    (2, "Thủ tục đất đai khi thừa kế nhà ở",
     "Bố mẹ tôi mất không để lại di chúc, anh chị em muốn làm thủ tục khai nhận di sản là quyền sử dụng đất.",
     "Các đồng thừa kế lập văn bản khai nhận di sản tại tổ chức hành nghề công chứng.", datetime(2026, 2, 10)),
    (3, "Thời hạn giải quyết hồ sơ đăng ký kinh doanh hộ cá thể",
     "Tôi nộp hồ sơ tại Bộ phận một cửa của UBND huyện đã 5 ngày làm việc nhưng chưa nhận được kết quả.",
     "Thời hạn giải quyết là 03 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ.", datetime(2026, 3, 10)),
    (4, "Hỗ trợ học phí cho học sinh vùng đồng bào dân tộc thiểu số",
     "Con tôi học lớp 10 tại Trường THPT Buôn Ma Thuột, tỉnh Đắk Lắk. Gia đình thuộc hộ nghèo, "
     "xin hỏi thủ tục xin hỗ trợ học phí?",
     "Phụ huynh nộp đơn đề nghị miễn, giảm học phí kèm giấy chứng nhận hộ nghèo cho nhà trường.",
     datetime(2026, 4, 10)),
    (5, "Thu hồi đất làm đường giao thông, bồi thường ra sao?",
     "Nhà nước thu hồi đất nông nghiệp của gia đình tôi để làm đường liên xã. Đất đai đã sử dụng từ năm 2000. "
     "Trình tự, thủ tục bồi thường thế nào?",
     "Việc bồi thường, hỗ trợ, tái định cư thực hiện theo Luật Đất đai năm 2024.", datetime(2026, 5, 10)),
    (6, "Đăng ký thường trú cho con tại Đắk Lắk",
     "Tôi chuyển từ Gia Lai về Đắk Lắk sinh sống, muốn làm thủ tục đăng ký thường trú cho con nhỏ.",
     "Công dân nộp hồ sơ đăng ký thường trú qua Cổng dịch vụ công quốc gia.", datetime(2026, 6, 10)),
    (7, "Cấp đổi giấy phép lái xe quá hạn",
     "Giấy phép lái xe hạng B2 của tôi đã quá hạn 3 tháng. Thủ tục cấp đổi trực tuyến như thế nào?",
     "Người có giấy phép lái xe quá hạn dưới 3 tháng được cấp đổi trực tuyến.", None),
    (8, "Đạt chuẩn nông thôn mới thì xã được hỗ trợ những gì?",
     "Xã tôi ở huyện Cư M'gar vừa đạt chuẩn nông thôn mới năm 2025. Đại diện thôn muốn biết các chính sách.",
     "Xã đạt chuẩn được ưu tiên phân bổ vốn đầu tư phát triển.", datetime(2026, 2, 20)),
    (9, "Lệ phí trước bạ khi mua xe máy cũ", "Tôi mua lại xe máy của người quen ở cùng tỉnh.",
     "Xe đã nộp lệ phí trước bạ lần đầu thì lần sau nộp theo mức 1%.", datetime(2026, 3, 1)),
    (10, "Lệ phí trước bạ khi mua xe máy cũ", "Tôi mua lại xe máy của người quen ở cùng tỉnh.",
     "Xe đã nộp lệ phí trước bạ lần đầu thì lần sau nộp theo mức 1%.", datetime(2026, 3, 1)),
]


def _index_corpus(kind="question"):
    for object_id, title, body, answer, published_at in CORPUS:
        search.index(kind, object_id, title, body, answer, published_at=published_at)
    db.session.flush()


def _ids(query, **kwargs):
    return search.search("question", query, **kwargs).ids


def _lines(name):
    return (CORPORA / name).read_text(encoding="utf-8").splitlines()


def _hostile_strings():
    strings = json.loads((CORPORA / "blns.json").read_text(encoding="utf-8"))
    strings += _lines("sqli_polyglots.txt") + _lines("xss_payloads_quick.txt")
    return [s for s in strings if "\x00" not in s]  # the app refuses a NUL byte before any search


def test_folding_drops_the_marks_turns_d_with_stroke_into_d_and_lowers_the_case():
    """fold() is the one spelling of indexed text and queries."""
    assert search.fold("Thủ tục đất đai") == "thu tuc dat dai"
    assert search.fold("Đắk Lắk") == "dak lak"
    assert search.fold(unicodedata.normalize("NFD", "ĐẮK LẮK, Nghệ An, Ước")) == "dak lak, nghe an, uoc"


def test_thu_tuc_dat_dai_finds_the_question_written_with_diacritics():
    """The folded query finds the Vietnamese title."""
    search.index("question", 1, "Thủ tục đất đai khi thừa kế nhà ở", "Bố mẹ tôi mất không để lại di chúc.")
    db.session.flush()
    page = search.search("question", "thu tuc dat dai")
    assert page.ids == [1]
    assert page.total == 1
    assert page.terms == ["thu", "tuc", "dat", "dai"]


def test_dak_lak_is_found_with_or_without_marks_both_ways():
    """đ is folded in the text and in the query, so marks never matter on either side."""
    search.index("question", 1, "Đăng ký thường trú tại Đắk Lắk")
    search.index("question", 2, "Dang ky tam tru o Dak Lak", "Toi go khong dau.")
    db.session.flush()
    assert sorted(_ids("dak lak")) == [1, 2]
    assert sorted(_ids("Đắk Lắk")) == [1, 2]
    assert sorted(_ids("ĐẮK LẮK")) == [1, 2]


def test_each_word_also_matches_the_start_of_a_word_so_results_follow_the_typing():
    """'thu tu' finds 'thủ tục' while the person is still typing."""
    search.index("question", 1, "Thủ tục đất đai khi thừa kế nhà ở")
    db.session.flush()
    for typed in ("t", "th", "thu", "thu t", "thu tu", "thu tuc", "thu tuc d", "thủ tục đấ"):
        assert _ids(typed) == [1], typed
    assert _ids("thu tucx") == []


def test_every_word_of_the_query_must_match():
    """Words are joined with AND."""
    search.index("question", 1, "Thủ tục đất đai khi thừa kế nhà ở")
    search.index("question", 2, "Thủ tục đăng ký kết hôn với người nước ngoài")
    db.session.flush()
    assert sorted(_ids("thu tuc")) == [1, 2]
    assert _ids("thu tuc dat") == [1]
    assert _ids("thu tuc ket hon") == [2]
    assert _ids("dat ket hon") == []


def test_kinds_are_kept_apart():
    """A question and a dialogue question with the same object id are two documents."""
    search.index("question", 7, "Thủ tục đất đai khi thừa kế")
    search.index("dialogue_question", 7, "Đối thoại về giải phóng mặt bằng đường tránh")
    db.session.flush()
    assert search.search("question", "dat dai").ids == [7]
    assert search.search("dialogue_question", "dat dai").ids == []
    assert search.search("dialogue_question", "giai phong mat bang").ids == [7]
    assert search.search("question", "giai phong mat bang").ids == []


def test_indexing_again_replaces_the_text_of_the_document():
    """The old words are gone, the new ones found, and there is still one document."""
    search.index("question", 1, "Cấp giấy phép xây dựng nhà ở riêng lẻ")
    db.session.flush()
    search.index("question", 1, "Cấp đổi giấy phép lái xe quá hạn", published_at=JAN)
    db.session.flush()
    assert _ids("xay dung") == []
    assert _ids("lai xe") == [1]
    assert search.search("question", "giay phep").total == 1


def test_a_removed_document_is_no_longer_found():
    """remove() takes it out; removing what is not there is harmless."""
    search.index("question", 1, "Thủ tục đất đai khi thừa kế nhà ở")
    search.index("question", 2, "Thủ tục đất đai khi tặng cho con")
    db.session.flush()
    search.remove("question", 1)
    search.remove("question", 404)
    db.session.flush()
    assert _ids("dat dai") == [2]


def test_index_and_remove_leave_the_commit_to_the_caller():
    """Rolling back the session undoes what index() did."""
    search.index("question", 1, "Thủ tục đất đai khi thừa kế nhà ở")
    db.session.flush()
    db.session.rollback()
    assert _ids("dat dai") == []


def test_matches_in_the_title_come_before_matches_in_the_rest():
    """Even when the body match is newer."""
    search.index("question", 1, "Hồ sơ đăng ký thường trú", "Cần giấy tờ gì?", published_at=JAN)
    search.index("question", 2, "Hỏi về nơi cư trú", "Tôi muốn làm hồ sơ đăng ký thường trú.",
                 published_at=JAN + DAY)
    db.session.flush()
    assert _ids("thuong tru") == [1, 2]


def test_whole_words_come_before_words_that_only_start_with_the_query():
    """'tu' as the word 'tự' beats 'tu' as the start of 'tục', even when newer."""
    search.index("question", 1, "Tự ý chuyển mục đích sử dụng đất", published_at=JAN)
    search.index("question", 2, "Thủ tục chuyển mục đích sử dụng đất", published_at=JAN + DAY)
    db.session.flush()
    assert _ids("tu") == [1, 2]


def test_equal_matches_come_newest_first_then_by_higher_id_and_undated_last():
    """Ties are broken by publication date, then object id."""
    for object_id, published_at in ((1, JAN), (2, JAN + DAY), (3, None), (4, JAN), (5, None)):
        search.index("question", object_id, "Lệ phí trước bạ xe máy", published_at=published_at)
    db.session.flush()
    assert _ids("le phi") == [2, 4, 1, 5, 3]


@pytest.mark.parametrize("query, expected", [
    ("thu tuc dat dai", [2, 1, 5]),
    ("dak lak", [6, 4, 1]),
    ("Đắk Lắk", [6, 4, 1]),
    ("thu tu", [2, 1, 5, 6, 4, 7]),
    ("le phi truoc ba", [10, 9]),
    ("ho so", [3, 4, 6, 1]),
    ("dat chuan", [8, 1]),
    ("giay phep lai xe", [7]),
])
def test_a_fixed_corpus_gives_exactly_these_ids_in_this_order_on_every_database(query, expected):
    """The ranking is computed in Python from stored data, so SQLite and PostgreSQL agree to the last id."""
    _index_corpus()
    page = search.search("question", query)
    assert page.ids == expected
    assert page.total == len(expected)


def test_pages_follow_each_other_without_gaps_or_repeats():
    """limit and offset cut the ranked list; total counts every match."""
    for n in range(1, 26):
        search.index("question", n, f"Hồ sơ số {n} nộp tại Bộ phận một cửa",
                     "Hồ sơ được tiếp nhận vào hệ thống một cửa điện tử.", published_at=JAN + n * DAY)
    db.session.flush()
    pages = [search.search("question", "ho so mot cua", limit=10, offset=offset) for offset in (0, 10, 20, 30)]
    assert [page.total for page in pages] == [25, 25, 25, 25]
    assert [page.ids for page in pages] == [list(range(25, 15, -1)), list(range(15, 5, -1)), [5, 4, 3, 2, 1], []]
    assert search.search("question", "ho so", limit=0).ids == []


def test_past_the_ranked_candidates_matches_continue_newest_first(monkeypatch):
    """Only the newest CANDIDATES matches are ranked; later pages go on in date order, each match once."""
    monkeypatch.setattr(search, "CANDIDATES", 4)
    for n in range(1, 11):
        title = "Hồ sơ đăng ký khai sinh" if n in (2, 9) else f"Câu hỏi số {n}"
        search.index("question", n, title, "Tôi đã nộp hồ sơ trực tuyến.", published_at=JAN + n * DAY)
    db.session.flush()
    pages = [search.search("question", "ho so", limit=3, offset=offset).ids for offset in (0, 3, 6, 9)]
    assert pages == [[9, 10, 8], [7, 6, 5], [4, 3, 2], [1]]
    assert search.search("question", "ho so", limit=100, offset=2).ids == [8, 7, 6, 5, 4, 3, 2, 1]


def test_words_the_databases_would_split_differently_are_found_alike():
    """Dates, decimals, e-mails, hyphens and '12e3abc' are cut into the same words for FTS5 and tsvector."""
    search.index("question", 1, "Hạn nộp 15/12/2022, mã hồ sơ H33-2022.001",
                 "Liên hệ mot.cua@daklak.gov.vn về COVID-19; tỷ lệ 93,47%; mã 77153e0l0714 và 12e3abc.")
    db.session.flush()
    for query in ("15/12/2022", "2022", "12", "001", "h33", "daklak", "gov vn", "covid 19", "COVID-19",
                  "93 47", "77153e0", "l0714", "77153e0l0714", "12e3abc", "abc"):
        assert search.search("question", query).total == 1, query
    assert _ids("covid19") == []


def test_a_very_long_word_is_cut_the_same_way_for_both_databases():
    """PostgreSQL leaves words over 2047 bytes out of a tsvector; cut to MAX_WORD, they are found everywhere."""
    search.index("question", 1, "Mã xác thực " + "x" * 3000)
    db.session.flush()
    assert _ids("xxx") == [1]
    assert _ids("x" * 5000) == [1]


def test_query_syntax_of_either_database_is_searched_as_plain_words():
    """Quotes, operators, stars, carets, colons and brackets never reach the full-text syntax."""
    search.index("question", 1, "Thủ tục đất đai khi thừa kế nhà ở")
    search.index("question", 2, "Apply for a land certificate near Buon Ma Thuot, not online")
    db.session.flush()
    assert _ids('"thu tuc"') == [1]
    assert _ids("thu* -tuc ^dat (nha) {dai}") == [1]
    assert _ids("folded:dai search_fts:dai") == []
    assert _ids("NEAR") == [2]
    assert _ids("NOT") == [2]
    assert _ids('thu AND tuc OR dat NOT "dai" NEAR(a b, 2)') == []
    assert _ids("dat & dai | !nha <-> o:*") == [1]


@pytest.mark.parametrize("query", ["", "   ", "?!*\"'()[]{}:^-+~&|<>", "😀🇻🇳", "Москва 東京", None])
def test_a_query_without_words_gives_an_empty_page(query):
    """Only words of letters and digits are searched; with none there is nothing to find."""
    search.index("question", 1, "Thủ tục đất đai")
    db.session.flush()
    assert search.search("question", query) == search.SearchPage([], 0, [])


def test_every_naughty_string_injection_and_xss_payload_as_a_query_never_raises():
    """blns, SQL injection polyglots and XSS payloads are searched and highlighted safely."""
    search.index("question", 1, "<script>alert(1)</script> null undefined SELECT 1 OR 1=1", "javascript:alert(1)")
    search.index("question", 2, "Thủ tục đất đai khi thừa kế nhà ở", published_at=JAN)
    db.session.flush()
    matched = 0
    for query in _hostile_strings():
        page = search.search("question", query, limit=5, offset=1)
        assert page.total >= len(page.ids), query
        matched += page.total > 0
        shown = str(search.highlight(query, page.terms))
        assert "<" not in shown.replace("<mark>", "").replace("</mark>", ""), query
    assert matched > 10  # the corpus hits the database, not only the empty-query shortcut


def test_search_works_inside_a_request(app):
    """The public list calls it from a view, the CLI from a plain app context."""
    search.index("question", 1, "Thủ tục đất đai")
    db.session.flush()
    with app.test_request_context("/hoi-dap?q=dat+dai"):
        assert _ids("dat dai") == [1]


@pytest.mark.skipif(not is_postgresql(), reason="only on PostgreSQL: the GIN index")
def test_on_postgresql_the_search_queries_read_the_gin_index():
    """Without it every row's tsvector is computed again: seconds per query at a million documents."""
    where = (search._kind_is("question"), search._matches(["thu", "tuc"]))
    stmt = sa.select(sa.func.count()).select_from(search.SearchDocument).where(*where)
    sql = str(stmt.compile(db.session.get_bind(), compile_kwargs={"literal_binds": True}))
    with search._steered_to_the_index():
        plan = "\n".join(db.session.scalars(sa.text("EXPLAIN " + sql)))
    assert "ix_search_document_fts" in plan, plan


@pytest.mark.skipif(not is_postgresql(), reason="only on PostgreSQL: planner settings")
@pytest.mark.parametrize("offset", [0, search.CANDIDATES])
def test_search_leaves_the_planner_settings_of_the_transaction_as_it_found_them(offset):
    """The seq scan is off and work_mem larger only while the search queries run."""
    settings = sa.text("SELECT current_setting('enable_seqscan'), current_setting('work_mem')")
    before = db.session.execute(settings).one()
    search.index("question", 1, "Thủ tục đất đai")
    db.session.flush()
    search.search("question", "dat dai", offset=offset)
    assert db.session.execute(settings).one() == before


def test_highlight_escapes_the_html_of_a_found_document():
    """A title holding <script> comes back escaped, only <mark> is markup."""
    title = "<script>alert('đất')</script> Đất đai & nhà ở"
    search.index("question", 1, title)
    db.session.flush()
    page = search.search("question", "dat")
    assert page.ids == [1]
    shown = search.highlight(title, page.terms)
    assert isinstance(shown, Markup)
    assert shown == Markup("&lt;script&gt;alert(&#39;<mark>đất</mark>&#39;)&lt;/script&gt; "
                           "<mark>Đất</mark> đai &amp; nhà ở")


def test_highlight_marks_words_whatever_their_diacritics_and_case():
    """'đất' is marked for the term 'dat', and a term marks the words it starts."""
    assert search.highlight("Thủ tục đất đai", ["dat"]) == Markup("Thủ tục <mark>đất</mark> đai")
    assert search.highlight("Thủ tục đất đai", ["thu", "tu"]) == Markup("<mark>Thủ</mark> <mark>tục</mark> đất đai")
    assert search.highlight("ĐẮK LẮK", search.query_terms("dak lak")) == Markup("<mark>ĐẮK</mark> <mark>LẮK</mark>")
    assert search.highlight(unicodedata.normalize("NFD", "đất"), ["dat"]) == Markup("<mark>đất</mark>")


def test_highlight_without_terms_only_escapes():
    """No term, no mark; the text is still escaped."""
    assert search.highlight("a < b & đất", []) == Markup("a &lt; b &amp; đất")
    assert search.highlight(None, ["dat"]) == Markup("")
