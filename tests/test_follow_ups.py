"""Follow-ups of dissatisfied answers and comments: the agency's list, and the leader's note that closes one."""
import re

import sqlalchemy as sa

from accounts.models import Role
from audit import AuditEntry
from extensions import db
from feedback import survey
from feedback.survey_models import SurveyFollowUp

LIST = "/can-bo/danh-gia/theo-doi"


def close_url(follow_up):
    return f"{LIST}/{follow_up.id}/dong"


def alert(make_dossier, agency, rating=1, comment=None, code=None):
    """An answer that opens a follow-up: dissatisfied, or any rating with a comment."""
    response, _created = survey.answer(make_dossier(agency=agency, code=code), rating, "link")
    if comment:
        survey.add_details(response, {}, [], ["attitude"], comment)
    db.session.commit()
    return response.follow_up


def test_staff_and_leaders_see_their_agencys_follow_ups_only(client, login_as, make_agency, make_dossier):
    client.set_cookie("lang", "en")
    mine, other = make_agency(), make_agency()
    first = alert(make_dossier, mine, code="H-MINE-1")
    alert(make_dossier, other, code="H-OTHER-1")
    login_as(Role.STAFF, agency=mine)
    page = client.get(LIST).get_data(as_text=True)
    assert "H-MINE-1" in page and "H-OTHER-1" not in page
    assert "(1 open)" in page
    assert f'id="follow-up-{first.id}"' in page
    assert "Close with this note" not in page  # staff read; leaders close
    assert "0912345678" not in page and "nguoi.nop@example.vn" not in page


def test_open_first_oldest_first_with_rating_reasons_and_comment(client, login_as, make_agency, make_dossier):
    client.set_cookie("lang", "en")
    agency = make_agency()
    old = alert(make_dossier, agency, code="H-OLD")
    new = alert(make_dossier, agency, rating=3, comment="Cán bộ hướng dẫn chưa rõ.", code="H-NEW")
    done = alert(make_dossier, agency, code="H-DONE")
    leader = login_as(Role.LEADER, agency=agency)
    survey.close_follow_up(done, leader, "Đã gọi điện xin lỗi.")
    new.opened_at = old.opened_at.replace(year=old.opened_at.year + 1)
    db.session.commit()
    page = client.get(f"{LIST}?state=all").get_data(as_text=True)
    assert page.index("H-OLD") < page.index("H-NEW") < page.index("H-DONE")
    assert "Very satisfied" in page and "Cán bộ hướng dẫn chưa rõ." in page and "Staff attitude" in page
    assert "Comment" in page and "Dissatisfied" in page
    open_only = client.get(LIST).get_data(as_text=True)
    assert "H-DONE" not in open_only and "(2 open)" in open_only
    closed = client.get(f"{LIST}?state=closed").get_data(as_text=True)
    assert "H-DONE" in closed and "H-OLD" not in closed and "Đã gọi điện xin lỗi." in closed


def test_admin_sees_every_agency_and_can_filter(client, login_as, make_agency, make_dossier):
    one, two = make_agency(name="Sở Một"), make_agency(name="Sở Hai")
    alert(make_dossier, one, code="H-ONE")
    alert(make_dossier, two, code="H-TWO")
    login_as(Role.ADMIN)
    page = client.get(LIST).get_data(as_text=True)
    assert "H-ONE" in page and "H-TWO" in page
    filtered = client.get(f"{LIST}?agency={one.id}").get_data(as_text=True)
    assert "H-ONE" in filtered and "H-TWO" not in filtered


def test_leader_closes_with_a_note_and_the_audit_log_records_it(client, login_as, make_agency, make_dossier):
    agency = make_agency()
    follow_up = alert(make_dossier, agency)
    leader = login_as(Role.LEADER, agency=agency)
    response = client.post(close_url(follow_up), data={"note": "Đã liên hệ người nộp và giải thích."})
    assert response.status_code == 303 and response.headers["Location"] == LIST
    db.session.refresh(follow_up)
    assert follow_up.closed_at is not None and follow_up.closed_by_id == leader.id
    assert follow_up.note == "Đã liên hệ người nộp và giải thích."
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "survey.follow_up.close"))
    assert (entry.actor_id, entry.object_type, entry.object_id) == (leader.id, "SurveyFollowUp", follow_up.id)


def test_the_note_is_required_and_what_was_typed_is_kept(client, login_as, make_agency, make_dossier):
    client.set_cookie("lang", "en")
    agency = make_agency()
    follow_up = alert(make_dossier, agency)
    login_as(Role.LEADER, agency=agency)
    response = client.post(close_url(follow_up), data={"note": "   "})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Write what was done before closing." in page and 'aria-invalid="true"' in page
    assert db.session.get(SurveyFollowUp, follow_up.id).closed_at is None
    too_long = "x" * 2001
    response = client.post(close_url(follow_up), data={"note": too_long})
    assert response.status_code == 422 and too_long in response.get_data(as_text=True)


def test_closing_twice_is_refused(client, login_as, make_agency, make_dossier):
    client.set_cookie("lang", "en")
    agency = make_agency()
    follow_up = alert(make_dossier, agency)
    login_as(Role.LEADER, agency=agency)
    assert client.post(close_url(follow_up), data={"note": "Lần đầu."}).status_code == 303
    response = client.post(close_url(follow_up), data={"note": "Lần hai."})
    assert response.status_code == 409
    assert "This follow-up is already closed." in response.get_data(as_text=True)
    assert db.session.get(SurveyFollowUp, follow_up.id).note == "Lần đầu."


def test_another_agencys_leader_and_staff_cannot_close(client, login_as, make_agency, make_dossier, auth):
    agency = make_agency()
    follow_up = alert(make_dossier, agency)
    login_as(Role.LEADER)
    assert client.post(close_url(follow_up), data={"note": "Không phải của tôi."}).status_code == 403
    auth.logout()
    login_as(Role.STAFF, agency=agency)
    assert client.post(close_url(follow_up), data={"note": "Cán bộ đóng."}).status_code == 403
    assert db.session.get(SurveyFollowUp, follow_up.id).closed_at is None
    assert client.post(f"{LIST}/999999/dong", data={"note": "x"}).status_code == 403  # staff: not even asked


def test_closing_through_htmx_swaps_the_item(client, login_as, make_agency, make_dossier):
    client.set_cookie("lang", "en")
    agency = make_agency()
    follow_up = alert(make_dossier, agency)
    login_as(Role.LEADER, agency=agency)
    headers = {"HX-Request": "true", "HX-Target": f"follow-up-{follow_up.id}"}
    refused = client.post(close_url(follow_up), data={"note": ""}, headers=headers)
    assert refused.status_code == 422
    fragment = refused.get_data(as_text=True)
    assert "<html" not in fragment and f'id="follow-up-{follow_up.id}"' in fragment
    assert "Write what was done before closing." in fragment
    closed = client.post(close_url(follow_up), data={"note": "Đã xử lý."}, headers=headers)
    assert closed.status_code == 200
    fragment = closed.get_data(as_text=True)
    assert "<html" not in fragment and "Đã xử lý." in fragment and 'role="status"' in fragment


def test_unknown_follow_up_is_not_found(client, login_as):
    login_as(Role.ADMIN)
    assert client.post(f"{LIST}/999999/dong", data={"note": "x"}).status_code == 404


def test_closing_needs_the_form_token(app, client, login_as, make_agency, make_dossier):
    agency = make_agency()
    follow_up = alert(make_dossier, agency)
    login_as(Role.LEADER, agency=agency)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(close_url(follow_up), data={"note": "Không có mã."}).status_code == 400
        page = client.get(LIST).get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert f'hx-post="{close_url(follow_up)}"' in page
        assert db.session.get(SurveyFollowUp, follow_up.id).closed_at is None
        assert client.post(close_url(follow_up), data={"note": "Có mã.", "csrf_token": token}).status_code == 303
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_the_alert_email_links_to_the_follow_up_list(app, make_agency, make_dossier, make_user):
    from notifications import OutboxMessage

    agency = make_agency()
    make_user(Role.LEADER, agency=agency)
    with app.test_request_context():  # answers arrive in a request, where the link can be built
        alert(make_dossier, agency)
    message = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.kind == "survey.alert"))
    assert LIST in message.body
