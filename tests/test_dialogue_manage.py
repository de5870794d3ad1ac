"""The moderators' management of dialogue sessions: create and edit with every rule checked and nothing typed
lost, the stream link's allow-list, the cover image, state moves with their audit entries, and who may do it."""
import io
import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from accounts.models import Role
from audit import AuditEntry
from dialogue import media
from dialogue.models import DialogueOfficial, DialogueQuestionState as Q, DialogueSession, SessionState as S
from extensions import db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
VIDEO = "dQw4w9WgXcQ"


@pytest.fixture(autouse=True)
def english(client):
    """Read the pages in English, so that the messages checked here do not depend on the translation."""
    client.set_cookie("lang", "en")


@pytest.fixture
def moderator(login_as):
    return login_as(Role.MODERATOR)


@pytest.fixture
def choices(make_topic, make_agency):
    return make_topic(name="Đất đai"), make_agency(name="Sở Tài nguyên và Môi trường")


def _form(choices, **changes):
    """A valid session form as a browser sends it, with changes (None leaves a field out)."""
    topic, agency = choices
    data = {
        "title": "Đối thoại về thủ tục đất đai năm 2026", "topic": str(topic.id), "host_agency": str(agency.id),
        "description": "Lãnh đạo Sở trả lời.\n\n<strong>Mời</strong> người dân gửi câu hỏi.<script>alert(1)</script>",
        "starts_at": "2026-12-01T09:00", "ends_at": "2026-12-01T11:00",
        "questions_open_at": "2026-11-25T08:00", "questions_close_at": "2026-12-01T10:30",
        "officials-0-official_id": "", "officials-0-name": "Nguyễn Văn An", "officials-0-position": "Giám đốc Sở",
        "officials-1-official_id": "", "officials-1-name": "Trần Thị Bình", "officials-1-position": "Phó Giám đốc Sở",
        "officials-2-official_id": "", "officials-2-name": "", "officials-2-position": "",
        "stream_url": f"https://www.youtube.com/watch?v={VIDEO}",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def _text(response):
    return response.get_data(as_text=True)


def _sessions():
    return db.session.scalars(sa.select(DialogueSession).order_by(DialogueSession.id)).all()


def _audit(action):
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)).all()


def _field_value(page, field_id):
    """The value an input of the page holds."""
    match = re.search(r'<input[^>]*\bid="%s"[^>]*>' % re.escape(field_id), page)
    assert match, field_id
    value = re.search(r'\bvalue="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


# Creating and editing


def test_a_moderator_creates_a_draft_session_with_times_stored_in_utc(client, moderator, choices):
    response = client.post("/quan-ly/doi-thoai/moi", data=_form(choices))
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/quan-ly/doi-thoai")
    (session,) = _sessions()
    assert session.state is S.DRAFT
    assert session.title == "Đối thoại về thủ tục đất đai năm 2026"
    assert (session.topic_id, session.host_agency_id) == (choices[0].id, choices[1].id)
    # Entered in Vietnam time (UTC+7), stored in UTC.
    assert session.starts_at == datetime(2026, 12, 1, 2, 0)
    assert session.ends_at == datetime(2026, 12, 1, 4, 0)
    assert session.questions_open_at == datetime(2026, 11, 25, 1, 0)
    assert session.questions_close_at == datetime(2026, 12, 1, 3, 30)
    assert "<script" not in session.description_html
    assert "<strong>Mời</strong>" in session.description_html and session.description_html.startswith("<p>")
    assert [(o.name, o.position, o.position_order) for o in session.officials] == [
        ("Nguyễn Văn An", "Giám đốc Sở", 1), ("Trần Thị Bình", "Phó Giám đốc Sở", 2)]
    assert session.stream_url == f"https://www.youtube.com/watch?v={VIDEO}"
    assert session.created_by_id == moderator.id
    (entry,) = _audit("dialogue.session_create")
    assert (entry.object_id, entry.actor_id) == (session.id, moderator.id)
    assert "saved as a draft" in _text(client.get("/quan-ly/doi-thoai"))


def test_a_date_typed_as_dd_mm_yyyy_is_understood(client, moderator, choices):
    response = client.post("/quan-ly/doi-thoai/moi", data=_form(choices, starts_at="01/12/2026 09:15"))
    assert response.status_code == 303
    assert _sessions()[0].starts_at == datetime(2026, 12, 1, 2, 15)


def test_the_new_form_offers_three_empty_official_rows_and_labels_every_field(client, moderator, choices):
    page = _text(client.get("/quan-ly/doi-thoai/moi"))
    assert page.count('class="official-row"') == 3
    assert 'enctype="multipart/form-data"' in page
    for field_id in ("title", "topic", "host_agency", "description", "starts_at", "ends_at", "questions_open_at",
                     "questions_close_at", "officials-0-name", "officials-2-position", "stream_url", "cover"):
        assert f'for="{field_id}"' in page, field_id
    assert 'type="datetime-local"' in page
    assert 'accept="image/png,image/jpeg"' in page
    assert "style=" not in page and "<script>" not in page  # the strict CSP allows neither


def test_the_list_shows_every_session_with_state_dates_in_vietnam_time_and_actions(client, moderator,
                                                                                   make_dialogue_session,
                                                                                   make_dialogue_question):
    draft = make_dialogue_session(S.DRAFT, title="Phiên nháp chưa công bố")
    live = make_dialogue_session(S.LIVE, title="Phiên đang diễn ra")
    ended = make_dialogue_session(S.ENDED, title="Phiên đã kết thúc")
    for state in (Q.NEW, Q.NEW, Q.APPROVED, Q.ANSWERED):
        make_dialogue_question(live, state)
    draft.starts_at, draft.ends_at = datetime(2026, 12, 1, 2, 0), datetime(2026, 12, 1, 4, 0)
    db.session.commit()
    page = _text(client.get("/quan-ly/doi-thoai"))
    for session in (draft, live, ended):
        assert session.title in page
        assert f'href="/quan-ly/doi-thoai/{session.id}/sua"' in page
    assert "01/12/2026 09:00" in page
    assert "Draft" in page and "Live now" in page and "Ended" in page
    rows = {int(n): row for n, row in re.findall(r'<tr id="session-(\d+)">(.*?)</tr>', page, re.S)}
    assert 'name="to" value="announced"' in rows[draft.id] and 'value="ended"' not in rows[draft.id]
    assert 'name="to" value="ended"' in rows[live.id] and 'value="announced"' not in rows[live.id]
    assert 'name="to"' not in rows[ended.id] and f'/doi-thoai/{ended.id}/bien-ban' in rows[ended.id]
    assert "0 waiting, 0 answered" in rows[draft.id] and "2 waiting, 1 answered" in rows[live.id]
    assert f'href="/doi-thoai/{live.id}/dieu-hanh"' in rows[live.id]  # the live console
    assert f'href="/doi-thoai/{live.id}"' in rows[live.id] and f'href="/doi-thoai/{draft.id}"' not in rows[draft.id]


def test_the_list_filters_by_state(client, moderator, make_dialogue_session):
    draft = make_dialogue_session(S.DRAFT, title="Phiên nháp để lọc")
    live = make_dialogue_session(S.LIVE, title="Phiên trực tiếp để lọc")
    page = _text(client.get("/quan-ly/doi-thoai?state=draft"))
    assert draft.title in page and live.title not in page


def test_the_edit_form_shows_the_stored_session_in_vietnam_time(client, moderator, make_dialogue_session):
    session = make_dialogue_session(S.ANNOUNCED, stream_url=f"https://youtu.be/{VIDEO}")
    session.starts_at, session.ends_at = datetime(2026, 12, 1, 2, 0), datetime(2026, 12, 1, 4, 0)
    db.session.commit()
    page = _text(client.get(f"/quan-ly/doi-thoai/{session.id}/sua"))
    assert _field_value(page, "starts_at") == "2026-12-01T09:00"
    assert _field_value(page, "ends_at") == "2026-12-01T11:00"
    assert _field_value(page, "officials-0-name") == "Nguyễn Văn Lãnh"
    assert _field_value(page, "officials-1-position") == "Phó Giám đốc Sở"
    assert _field_value(page, "officials-0-official_id") == str(session.officials[0].id)
    assert page.count('class="official-row"') == 5  # two officials and three empty rows
    assert _field_value(page, "stream_url") == f"https://youtu.be/{VIDEO}"
    assert "Lãnh đạo Sở trả lời câu hỏi" in page  # the description, as the editor shows it


def _edit_form(session, choices=None, **changes):
    """The edit form of a session as the browser sends it back unchanged, with changes."""
    data = {
        "title": session.title, "topic": str(session.topic_id), "host_agency": str(session.host_agency_id),
        "description": "Mô tả.", "starts_at": "2026-12-01T09:00", "ends_at": "2026-12-01T11:00",
        "questions_open_at": "2026-11-25T08:00", "questions_close_at": "2026-12-01T11:00", "stream_url": "",
    }
    for n, official in enumerate(session.officials):
        data.update({f"officials-{n}-official_id": str(official.id), f"officials-{n}-name": official.name,
                     f"officials-{n}-position": official.position})
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_editing_updates_officials_in_place_so_answers_keep_their_official(client, moderator, make_dialogue_session,
                                                                         make_dialogue_question):
    session = make_dialogue_session(S.LIVE)
    answered = make_dialogue_question(session, Q.ANSWERED)
    first, second = session.officials
    version = session.version
    response = client.post(f"/quan-ly/doi-thoai/{session.id}/sua", data=_edit_form(
        session, title="Tên mới của phiên đối thoại", **{
            "officials-0-position": "Giám đốc Sở Tài chính",       # corrected
            "officials-1-name": "", "officials-1-position": "",   # removed
            "officials-2-official_id": "", "officials-2-name": "Lê Văn Cường", "officials-2-position": "Chánh Văn phòng"}))
    assert response.status_code == 303
    db.session.expire_all()
    session = db.session.get(DialogueSession, session.id)
    assert session.title == "Tên mới của phiên đối thoại"
    assert [(o.id, o.name, o.position) for o in session.officials] == [
        (first.id, "Nguyễn Văn Lãnh", "Giám đốc Sở Tài chính"),
        (session.officials[1].id, "Lê Văn Cường", "Chánh Văn phòng")]
    assert db.session.get(DialogueOfficial, second.id) is None
    assert answered.answer.official_id == first.id
    assert session.version > version  # live viewers refetch
    (entry,) = _audit("dialogue.session_edit")
    assert (entry.object_id, entry.actor_id) == (session.id, moderator.id)


def test_an_official_who_has_answered_cannot_be_removed(client, moderator, make_dialogue_session,
                                                       make_dialogue_question):
    session = make_dialogue_session(S.LIVE)
    make_dialogue_question(session, Q.ANSWERED)  # answered by the first official
    response = client.post(f"/quan-ly/doi-thoai/{session.id}/sua", data=_edit_form(
        session, **{"officials-0-name": "", "officials-0-position": ""}))
    assert response.status_code == 422
    page = _text(response)
    assert "has answered questions and cannot be removed" in page
    assert 'href="#officials-0-name"' in page
    db.session.expire_all()
    assert len(db.session.get(DialogueSession, session.id).officials) == 2


def test_more_than_ten_officials_are_never_stored(client, moderator, choices):
    rows = {}
    for n in range(12):
        rows.update({f"officials-{n}-name": f"Cán bộ {n}", f"officials-{n}-position": "Chuyên viên"})
    assert client.post("/quan-ly/doi-thoai/moi", data=_form(choices, **rows)).status_code == 303
    assert len(_sessions()[0].officials) == 10


# Validation: a clear message by each field, and everything typed kept


INVALID = [
    ({"title": ""}, "title", "This field is required."),
    ({"topic": "0"}, "topic", "Choose the field of the session."),
    ({"host_agency": "0"}, "host_agency", "Choose the agency that hosts the session."),
    ({"starts_at": ""}, "starts_at", "This field is required."),
    ({"starts_at": "mai lúc 9 giờ"}, "starts_at", "Enter a date and time, for example 21/11/2026 09:00."),
    ({"ends_at": "2026-12-01T08:00"}, "ends_at", "The end must be after the start."),
    ({"ends_at": "2026-12-01T09:00"}, "ends_at", "The end must be after the start."),
    ({"questions_close_at": "2026-11-24T08:00"}, "questions_close_at", "Questions must close after they open."),
    ({"questions_close_at": "2026-12-01T12:00"}, "questions_close_at",
     "Questions must close by the end of the session."),
    ({"questions_open_at": "2026-12-01T11:00", "questions_close_at": "2026-12-01T11:00"}, "questions_open_at",
     "Questions must open before the session ends."),
    ({"officials-1-position": ""}, "officials-1-position", "Give both the name and the position."),
    ({"officials-2-position": "Trưởng phòng"}, "officials-2-name", "Give both the name and the position."),
    ({"stream_url": "https://vimeo.com/123456"}, "stream_url", "Links to vimeo.com are not accepted."),
    ({"stream_url": "https://www.youtube.com/@UBNDTinh"}, "stream_url",
     "Give the link of the video or live stream itself"),
    ({"stream_url": "youtube.com/watch"}, "stream_url", "starting with https://"),
]


@pytest.mark.parametrize("changes,field_id,message", INVALID, ids=[i[1] + "-" + str(n) for n, i in enumerate(INVALID)])
def test_an_invalid_session_is_refused_by_its_field_and_everything_typed_is_kept(client, moderator, choices,
                                                                                  changes, field_id, message):
    data = _form(choices, **changes)
    response = client.post("/quan-ly/doi-thoai/moi", data=data)
    assert response.status_code == 422
    page = _text(response)
    assert _sessions() == []
    error = re.search(r'<p class="field-error" id="%s-error">([^<]*)</p>' % re.escape(field_id), page)
    assert error and message in error.group(1).replace("&#34;", '"').replace("&#39;", "'"), page[:0]
    assert f'href="#{field_id}"' in page  # the error summary leads to the field
    assert f'aria-describedby="{field_id}-error"' in page or f'{field_id}-error"' in page
    for name in ("title", "starts_at", "ends_at", "questions_open_at", "questions_close_at", "stream_url",
                 "officials-0-name", "officials-0-position", "officials-1-name", "officials-2-position"):
        assert _field_value(page, name) == data.get(name, ""), name
    assert "Trần Thị Bình" in page and "Lãnh đạo Sở trả lời." in page


def test_a_refused_edit_keeps_what_was_typed_and_changes_nothing(client, moderator, make_dialogue_session):
    session = make_dialogue_session(S.ANNOUNCED, title="Tiêu đề cũ của phiên")
    response = client.post(f"/quan-ly/doi-thoai/{session.id}/sua", data=_edit_form(
        session, title="Tiêu đề mới đang gõ", ends_at="2026-11-30T09:00"))
    assert response.status_code == 422
    assert _field_value(_text(response), "title") == "Tiêu đề mới đang gõ"
    db.session.expire_all()
    assert db.session.get(DialogueSession, session.id).title == "Tiêu đề cũ của phiên"
    assert _audit("dialogue.session_edit") == []


# The video stream link


@pytest.mark.parametrize("url", [
    f"https://www.youtube.com/watch?v={VIDEO}", f"https://youtube.com/watch?v={VIDEO}&t=30s",
    f"https://m.youtube.com/watch?v={VIDEO}", f"https://youtu.be/{VIDEO}?si=abc", f"http://youtu.be/{VIDEO}",
    f"https://www.youtube.com/live/{VIDEO}?feature=share", f"https://www.youtube.com/embed/{VIDEO}",
])
def test_youtube_links_are_accepted_and_embedded_without_cookies(app, url):
    with app.test_request_context():
        media.check_stream_url(url)
        assert media.embed_url(DialogueSession(stream_url=url)) == f"https://www.youtube-nocookie.com/embed/{VIDEO}"


@pytest.mark.parametrize("url", [
    "https://vimeo.com/123456", f"https://youtube.com.evil.example/watch?v={VIDEO}",
    f"https://evil.example/youtube.com/watch?v={VIDEO}", f"https://www.youtube.com@evil.example/watch?v={VIDEO}",
    f"https://user@www.youtube.com/watch?v={VIDEO}", f"https://www.youtube.com:8080/watch?v={VIDEO}",
    "javascript:alert(1)//youtube.com", f"ftp://youtube.com/watch?v={VIDEO}", "https://www.youtube.com/watch?v=short",
    f"//www.youtube.com/watch?v={VIDEO}", "https://www.youtube.com/", "",
])
def test_other_links_are_refused(app, url):
    with app.test_request_context():
        with pytest.raises(media.MediaError):
            media.check_stream_url(url)


def test_no_stream_link_means_no_embed(app):
    with app.test_request_context():
        assert media.embed_url(DialogueSession(stream_url=None)) is None


def test_the_frame_src_allows_only_the_privacy_enhanced_player(app):
    with app.test_request_context():
        assert media.frame_src() == "https://www.youtube-nocookie.com"
        policy = media.content_security_policy()
    assert "frame-src https://www.youtube-nocookie.com" in policy and "frame-src 'none'" not in policy
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy


def test_the_allowed_hosts_come_from_the_configuration(app, client, moderator, choices):
    app.config["DIALOGUE_STREAM_HOSTS"] = ("video.gialai.gov.vn",)
    try:
        refused = client.post("/quan-ly/doi-thoai/moi", data=_form(choices))
        assert refused.status_code == 422 and "video.gialai.gov.vn" in _text(refused)
        accepted = client.post("/quan-ly/doi-thoai/moi", data=_form(
            choices, stream_url="https://video.gialai.gov.vn/truc-tiep/42"))
        assert accepted.status_code == 303
        with app.test_request_context():
            assert media.frame_src() == "https://video.gialai.gov.vn"
            assert media.embed_url(_sessions()[0]) == "https://video.gialai.gov.vn/truc-tiep/42"
    finally:
        del app.config["DIALOGUE_STREAM_HOSTS"]


# The cover image


def _covers(app):
    folder = app.config["UPLOAD_DIR"] / "covers"
    return set(p.name for p in folder.iterdir()) if folder.exists() else set()


def test_a_cover_is_stored_under_a_generated_name_and_served_publicly_with_its_type(app, client, moderator, choices):
    before = _covers(app)
    response = client.post("/quan-ly/doi-thoai/moi", data={**_form(choices), "cover": (io.BytesIO(PNG), "../anh bìa.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    session = _sessions()[0]
    assert re.fullmatch(r"[0-9a-f]{32}\.png", session.cover_image)
    assert _covers(app) - before == {session.cover_image}
    session.state = S.ANNOUNCED
    db.session.commit()
    with app.test_request_context():
        url = media.cover_url(session)
    assert url == f"/doi-thoai/{session.id}/anh-bia?v={session.cover_image[:8]}"
    client.post("/dang-xuat")
    served = client.get(url)
    assert served.status_code == 200
    assert served.mimetype == "image/png" and served.data == PNG
    assert "max-age=86400" in served.headers["Cache-Control"] and "public" in served.headers["Cache-Control"]
    assert served.headers["X-Content-Type-Options"] == "nosniff"


def test_a_jpeg_cover_is_served_as_jpeg(client, moderator, choices):
    client.post("/quan-ly/doi-thoai/moi", data={**_form(choices), "cover": (io.BytesIO(JPEG), "anh.jpeg")},
                content_type="multipart/form-data")
    session = _sessions()[0]
    assert session.cover_image.endswith(".jpg")
    assert client.get(f"/doi-thoai/{session.id}/anh-bia").mimetype == "image/jpeg"


@pytest.mark.parametrize("content,filename,message", [
    (b"%PDF-1.4 not an image", "anh.png", "must be a PNG or JPEG image"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "anh.jpg", "must be a PNG or JPEG image"),
    (b"", "trong.png", "must be a PNG or JPEG image"),
    (PNG + b"\x00" * (2 * 1024 * 1024), "lon.png", "larger than 2 MB"),
])
def test_a_cover_that_is_not_a_small_png_or_jpeg_is_refused(app, client, moderator, choices, content, filename,
                                                            message):
    before = _covers(app)
    response = client.post("/quan-ly/doi-thoai/moi", data={**_form(choices), "cover": (io.BytesIO(content), filename)},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in _text(response)
    assert _sessions() == [] and _covers(app) == before


def test_a_good_image_survives_a_form_sent_back_for_other_errors(app, client, moderator, choices):
    response = client.post("/quan-ly/doi-thoai/moi", data={**_form(choices, ends_at="2026-12-01T08:00"),
                                                           "cover": (io.BytesIO(PNG), "anh.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    page = _text(response)
    assert "has been received and will be saved with the session" in page
    pending = _field_value(page, "pending_cover")
    assert re.fullmatch(r"[0-9a-f]{32}\.png", pending)
    again = client.post("/quan-ly/doi-thoai/moi", data=_form(choices, pending_cover=pending))
    assert again.status_code == 303
    assert _sessions()[0].cover_image == pending


@pytest.mark.parametrize("forged", ["../../secret_key", "0" * 31 + ".png", "a" * 32 + ".svg", "b" * 32 + ".png"])
def test_a_forged_pending_image_name_is_ignored(client, moderator, choices, forged):
    assert client.post("/quan-ly/doi-thoai/moi", data=_form(choices, pending_cover=forged)).status_code == 303
    assert _sessions()[0].cover_image is None


def test_replacing_or_removing_a_cover_deletes_the_old_file(app, client, moderator, make_dialogue_session):
    session = make_dialogue_session(S.ANNOUNCED)
    client.post(f"/quan-ly/doi-thoai/{session.id}/sua", data={**_edit_form(session), "cover": (io.BytesIO(PNG), "a.png")},
                content_type="multipart/form-data")
    first = db.session.get(DialogueSession, session.id).cover_image
    assert first in _covers(app)
    client.post(f"/quan-ly/doi-thoai/{session.id}/sua", data={**_edit_form(session), "cover": (io.BytesIO(JPEG), "b.jpg")},
                content_type="multipart/form-data")
    db.session.expire_all()
    second = db.session.get(DialogueSession, session.id).cover_image
    assert second != first and second in _covers(app) and first not in _covers(app)
    page = _text(client.get(f"/quan-ly/doi-thoai/{session.id}/sua"))
    assert f'/doi-thoai/{session.id}/anh-bia?v=' in page and 'id="remove_cover"' in page
    client.post(f"/quan-ly/doi-thoai/{session.id}/sua", data=_edit_form(session, remove_cover="y"))
    db.session.expire_all()
    assert db.session.get(DialogueSession, session.id).cover_image is None
    assert second not in _covers(app)
    assert client.get(f"/doi-thoai/{session.id}/anh-bia").status_code == 404


def test_a_session_without_a_cover_or_unknown_answers_404(client, make_dialogue_session):
    session = make_dialogue_session(S.ANNOUNCED)
    assert client.get(f"/doi-thoai/{session.id}/anh-bia").status_code == 404
    assert client.get("/doi-thoai/999999/anh-bia").status_code == 404


def test_a_drafts_cover_is_seen_only_by_moderators_and_never_cached(app, client, login_as, make_dialogue_session):
    with app.test_request_context():
        name = media.store_cover(("image/png", "png"), PNG)
    draft = make_dialogue_session(S.DRAFT, cover_image=name)
    assert client.get(f"/doi-thoai/{draft.id}/anh-bia").status_code == 404
    login_as(Role.CITIZEN)
    assert client.get(f"/doi-thoai/{draft.id}/anh-bia").status_code == 404
    client.post("/dang-xuat")
    login_as(Role.MODERATOR)
    response = client.get(f"/doi-thoai/{draft.id}/anh-bia")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"


# Moving the state


MOVES = [(S.DRAFT, S.ANNOUNCED), (S.ANNOUNCED, S.DRAFT), (S.ANNOUNCED, S.LIVE), (S.LIVE, S.ENDED)]


@pytest.mark.parametrize("from_state,to_state", MOVES, ids=[f"{a}-{b}" for a, b in MOVES])
def test_a_moderator_moves_a_session_and_the_move_is_recorded(client, moderator, make_dialogue_session,
                                                              from_state, to_state):
    session = make_dialogue_session(from_state)
    version = session.version
    response = client.post(f"/quan-ly/doi-thoai/{session.id}/trang-thai", data={"to": to_state.value})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/quan-ly/doi-thoai")
    db.session.expire_all()
    session = db.session.get(DialogueSession, session.id)
    assert session.state is to_state and session.version == version + 1
    (entry,) = _audit(f"dialogue.session_{to_state.value}")
    assert (entry.object_type, entry.object_id, entry.actor_id) == ("DialogueSession", session.id, moderator.id)
    assert entry.details == {"from_state": from_state.value}
    assert 'class="message message-success"' in _text(client.get("/quan-ly/doi-thoai"))


REFUSED = [(S.DRAFT, S.LIVE), (S.DRAFT, S.ENDED), (S.LIVE, S.DRAFT), (S.LIVE, S.ANNOUNCED), (S.ENDED, S.LIVE),
           (S.ENDED, S.DRAFT), (S.ANNOUNCED, S.ENDED)]


@pytest.mark.parametrize("from_state,to_state", REFUSED, ids=[f"{a}-{b}" for a, b in REFUSED])
def test_an_impossible_move_is_refused_with_a_clear_message(client, moderator, make_dialogue_session,
                                                            from_state, to_state):
    session = make_dialogue_session(from_state)
    response = client.post(f"/quan-ly/doi-thoai/{session.id}/trang-thai", data={"to": to_state.value})
    assert response.status_code == 409
    page = _text(response)
    assert "message-error" in page
    assert f"A session that is “{from_state.label}” cannot become “{to_state.label}”." in page
    db.session.expire_all()
    assert db.session.get(DialogueSession, session.id).state is from_state
    assert _audit(f"dialogue.session_{to_state.value}") == []


def test_a_move_from_the_edit_page_returns_there(client, moderator, make_dialogue_session):
    session = make_dialogue_session(S.DRAFT)
    assert 'name="back" value="edit"' in _text(client.get(f"/quan-ly/doi-thoai/{session.id}/sua"))
    response = client.post(f"/quan-ly/doi-thoai/{session.id}/trang-thai", data={"to": "announced", "back": "edit"})
    assert response.headers["Location"].endswith(f"/quan-ly/doi-thoai/{session.id}/sua")


@pytest.mark.parametrize("target", ["", "published", "DRAFT"])
def test_an_unknown_state_is_a_bad_request(client, moderator, make_dialogue_session, target):
    session = make_dialogue_session(S.DRAFT)
    assert client.post(f"/quan-ly/doi-thoai/{session.id}/trang-thai", data={"to": target}).status_code == 400


def test_an_unknown_session_is_not_found(client, moderator):
    assert client.get("/quan-ly/doi-thoai/999999/sua").status_code == 404
    assert client.post("/quan-ly/doi-thoai/999999/trang-thai", data={"to": "live"}).status_code == 404


# Who may manage


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.STAFF, Role.LEADER])
def test_only_moderators_and_admins_manage_even_the_host_agencys_staff_may_not(client, login_as, make_agency,
                                                                             make_dialogue_session, choices, role):
    agency = make_agency()
    session = make_dialogue_session(S.ANNOUNCED, agency=agency)
    login_as(role, agency=agency if role in (Role.STAFF, Role.LEADER) else None)
    assert client.get("/quan-ly/doi-thoai").status_code == 403
    assert client.post("/quan-ly/doi-thoai/moi", data=_form(choices)).status_code == 403
    assert client.post(f"/quan-ly/doi-thoai/{session.id}/sua", data=_edit_form(session)).status_code == 403
    assert client.post(f"/quan-ly/doi-thoai/{session.id}/trang-thai", data={"to": "live"}).status_code == 403
    assert len(_sessions()) == 1 and _sessions()[0].state is S.ANNOUNCED


def test_an_admin_manages_too(client, login_as, choices):
    login_as(Role.ADMIN)
    assert client.post("/quan-ly/doi-thoai/moi", data=_form(choices)).status_code == 303


def test_a_visitor_is_sent_to_sign_in(client):
    response = client.get("/quan-ly/doi-thoai/moi")
    assert response.status_code == 302 and response.headers["Location"].startswith("/dang-nhap?next=")


def test_the_forms_carry_the_csrf_token_and_refuse_without_it(app, client, moderator, choices,
                                                              make_dialogue_session):
    session = make_dialogue_session(S.DRAFT)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert 'name="csrf_token"' in _text(client.get(f"/quan-ly/doi-thoai/{session.id}/sua"))
        assert client.post("/quan-ly/doi-thoai/moi", data=_form(choices)).status_code == 400
        assert client.post(f"/quan-ly/doi-thoai/{session.id}/trang-thai", data={"to": "announced"}).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert _sessions() == [session] and session.state is S.DRAFT


def test_times_stored_are_shown_back_in_vietnam_time_everywhere(client, moderator, choices):
    client.post("/quan-ly/doi-thoai/moi", data=_form(choices))
    page = _text(client.get("/quan-ly/doi-thoai"))
    assert "01/12/2026 09:00 – 01/12/2026 11:00" in page
    assert "25/11/2026 08:00 – 01/12/2026 10:30" in page
    assert timedelta(hours=7) == datetime(2026, 12, 1, 9) - _sessions()[0].starts_at
