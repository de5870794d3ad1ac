"""The agencies' desk of dossiers: the list and its filters, one dossier, handing over at a counter, the slip."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from accounts.models import Role
from audit import AuditEntry
from database import utcnow
from extensions import db
from feedback import survey
from feedback.survey_models import Dossier


@pytest.fixture
def agency(make_agency):
    return make_agency(code="SO-DESK", name="Sở Kiểm thử Hồ sơ")


@pytest.fixture
def english(client):
    client.set_cookie("lang", "en")


def codes_in(html, *codes):
    return {code for code in codes if code in html}


def test_staff_see_only_their_agencys_dossiers(client, login_as, make_dossier, agency):
    mine = make_dossier(agency=agency, code="H21.DESK-0001")
    other = make_dossier(code="H21.OTHER-0001")
    login_as(Role.STAFF, agency=agency)
    html = client.get("/can-bo/ho-so").get_data(as_text=True)
    assert codes_in(html, mine.code, other.code) == {mine.code}
    # Asking for another agency in the address changes nothing for staff.
    html = client.get(f"/can-bo/ho-so?agency={other.agency_id}").get_data(as_text=True)
    assert codes_in(html, mine.code, other.code) == {mine.code}


def test_moderators_see_every_agency_and_can_filter_by_one(client, login_as, make_dossier, agency):
    mine = make_dossier(agency=agency, code="H21.DESK-0002")
    other = make_dossier(code="H21.OTHER-0002")
    login_as(Role.MODERATOR)
    html = client.get("/can-bo/ho-so").get_data(as_text=True)
    assert codes_in(html, mine.code, other.code) == {mine.code, other.code}
    html = client.get(f"/can-bo/ho-so?agency={agency.id}").get_data(as_text=True)
    assert codes_in(html, mine.code, other.code) == {mine.code}


def test_search_finds_a_code_exactly_or_by_its_beginning_in_any_case(client, login_as, make_dossier, agency):
    first = make_dossier(agency=agency, code="H21.55-261121-0001")
    second = make_dossier(agency=agency, code="H21.55-261121-0002")
    third = make_dossier(agency=agency, code="H21.77-261121-0003")
    login_as(Role.LEADER, agency=agency)
    assert codes_in(client.get(f"/can-bo/ho-so?q={first.code}").get_data(as_text=True),
                    first.code, second.code, third.code) == {first.code}
    assert codes_in(client.get("/can-bo/ho-so?q=h21.55").get_data(as_text=True),
                    first.code, second.code, third.code) == {first.code, second.code}
    # LIKE wildcards typed by someone are taken literally.
    assert codes_in(client.get("/can-bo/ho-so?q=H21._5").get_data(as_text=True),
                    first.code, second.code, third.code) == set()


def test_filters_by_state_survey_channel_and_completion_period(client, login_as, make_dossier, agency):
    done = make_dossier(agency=agency, code="F-DONE", channel="online", completed_days_ago=3)
    late = make_dossier(agency=agency, code="F-LATE", channel="counter", due_in_days=-5, completed_days_ago=2)
    open_ = make_dossier(agency=agency, code="F-OPEN", completed=False, due_in_days=5)
    overdue = make_dossier(agency=agency, code="F-OVERDUE", completed=False, due_in_days=-2)
    old = make_dossier(agency=agency, code="F-OLD", received_days_ago=60, due_in_days=-40, completed_days_ago=45)
    survey.answer(done, 3, "link")
    db.session.commit()
    login_as(Role.STAFF, agency=agency)
    every = ("F-DONE", "F-LATE", "F-OPEN", "F-OVERDUE", "F-OLD")

    def listed(query):
        return codes_in(client.get(f"/can-bo/ho-so?{query}").get_data(as_text=True), *every)

    assert listed("state=completed") == {"F-DONE", "F-LATE", "F-OLD"}
    assert listed("state=late") == {"F-LATE"}
    assert listed("state=open") == {"F-OPEN", "F-OVERDUE"}
    assert listed("state=overdue") == {"F-OVERDUE"}
    assert listed("answer=answered") == {"F-DONE"}
    assert listed("answer=unanswered") == {"F-LATE", "F-OPEN", "F-OVERDUE", "F-OLD"}
    assert listed("channel=online") == {"F-DONE"}
    since = (utcnow() - timedelta(days=10)).date().isoformat()
    until = (utcnow() - timedelta(days=30)).date().isoformat()
    assert listed(f"since={since}") == {"F-DONE", "F-LATE"}
    assert listed(f"until={until}") == {"F-OLD"}
    # Values the list does not know are ignored rather than refused.
    assert listed("state=nonsense&answer=x&channel=y&since=hôm-qua&page=-3") == set(every)
    assert {late.id, open_.id, overdue.id, old.id}  # all stored


def test_the_list_is_newest_first_twenty_a_page(client, login_as, make_dossier, agency):
    made = [make_dossier(agency=agency, code=f"P-{n:03d}", phone=None, email=None) for n in range(23)]
    login_as(Role.STAFF, agency=agency)
    first = client.get("/can-bo/ho-so").get_data(as_text=True)
    assert first.index("P-022") < first.index("P-003")
    assert "P-002" not in first and 'rel="next"' in first
    second = client.get("/can-bo/ho-so?page=2").get_data(as_text=True)
    assert codes_in(second, *(d.code for d in made)) == {"P-000", "P-001", "P-002"}
    assert 'rel="prev"' in second


def test_the_filter_form_gets_only_the_results_fragment_from_htmx(client, login_as, make_dossier, agency):
    make_dossier(agency=agency, code="HX-0001")
    login_as(Role.STAFF, agency=agency)
    page = client.get("/can-bo/ho-so").get_data(as_text=True)
    assert 'hx-get="/can-bo/ho-so"' in page and 'id="dossier-results" aria-live="polite"' in page
    response = client.get("/can-bo/ho-so?q=HX", headers={"HX-Request": "true", "HX-Target": "dossier-results"})
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-0001" in fragment
    assert "<html" not in fragment and "<form" not in fragment


def test_the_list_shows_timeliness_and_survey_state_in_words(client, login_as, make_dossier, agency, english):
    answered = make_dossier(agency=agency, code="W-1")
    make_dossier(agency=agency, code="W-2", due_in_days=-5, completed_days_ago=2)
    survey.answer(answered, 2, "link")
    db.session.commit()
    login_as(Role.LEADER, agency=agency)
    html = client.get("/can-bo/ho-so").get_data(as_text=True)
    assert "Late" in html and "Not answered" in html and "Satisfied" in html
    assert "Clear the filters" not in html  # the agency's own scope is not a filter
    assert "0912345678" not in html and "nguoi.nop@example.vn" not in html  # contact only on the dossier page


def test_the_detail_shows_the_contact_to_the_agency_and_records_each_view(client, login_as, make_dossier, agency):
    dossier = make_dossier(agency=agency, phone="0912000111", email="nop.ho.so@example.vn")
    user = login_as(Role.STAFF, agency=agency)
    for _ in range(2):
        html = client.get(f"/can-bo/ho-so/{dossier.id}").get_data(as_text=True)
        assert "0912000111" in html and "nop.ho.so@example.vn" in html and dossier.applicant_name in html
    views = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "dossier.contact_view",
                                                           AuditEntry.object_id == dossier.id)).all()
    assert len(views) == 2 and {v.actor_id for v in views} == {user.id} and views[0].object_type == "Dossier"


def test_moderators_see_the_contact_but_not_the_answer(client, login_as, make_dossier, agency):
    dossier = make_dossier(agency=agency)
    response, _created = survey.answer(dossier, 3, "link")
    survey.add_details(response, {"time": "early"}, ["attitude"], [], "Cán bộ hướng dẫn tận tình.")
    db.session.commit()
    login_as(Role.MODERATOR)
    html = client.get(f"/can-bo/ho-so/{dossier.id}").get_data(as_text=True)
    assert dossier.applicant_phone in html
    assert "Cán bộ hướng dẫn tận tình" not in html and 'id="survey-answer"' not in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "dossier.contact_view")) == 1


@pytest.mark.parametrize("role", [Role.LEADER, Role.ADMIN])
def test_the_agency_and_admins_read_the_whole_answer(client, login_as, make_dossier, agency, english, role):
    dossier = make_dossier(agency=agency)
    response, _created = survey.answer(dossier, 1, "tablet")
    survey.add_details(response, {"time": "late", "contacts": "3", "online": "unused"}, ["facilities"],
                       ["attitude", "time"], "Phải đi lại ba lần mới xong.")
    db.session.commit()
    login_as(role, agency=agency if role is Role.LEADER else None)
    html = client.get(f"/can-bo/ho-so/{dossier.id}").get_data(as_text=True)
    assert 'id="survey-answer"' in html and "Dissatisfied" in html and "Counter tablet" in html
    assert "Late" in html and "Three times or more" in html and "Does not apply" in html
    assert "Staff attitude, Time taken" in html and "Waiting area and facilities" in html
    assert "Phải đi lại ba lần mới xong." in html and "Follow-up" in html


def test_staff_hand_a_result_over_at_their_counter(client, login_as, make_dossier, make_counter, agency):
    dossier = make_dossier(agency=agency)
    counter = make_counter(agency=agency, name="Quầy số 2")
    user = login_as(Role.STAFF, agency=agency)
    page = client.get(f"/can-bo/ho-so/{dossier.id}").get_data(as_text=True)
    assert f'<option value="{counter.id}"' in page
    response = client.post(f"/can-bo/ho-so/{dossier.id}/trao-ket-qua", data={"counter": counter.id})
    assert response.status_code == 303 and response.headers["Location"] == f"/can-bo/ho-so/{dossier.id}"
    db.session.expire_all()
    stored = db.session.get(Dossier, dossier.id)
    assert stored.counter_id == counter.id and stored.handed_over_at is not None
    assert db.session.scalar(sa.select(AuditEntry.actor_id).where(AuditEntry.action == "dossier.hand_over")) == user.id
    assert "Quầy số 2" in client.get(f"/can-bo/ho-so/{dossier.id}").get_data(as_text=True)
    # Taken off the tablet again.
    response = client.post(f"/can-bo/ho-so/{dossier.id}/rut-khoi-may")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Dossier, dossier.id).handed_over_at is None


@pytest.mark.parametrize("case", ["other_agency_counter", "not_completed", "answered", "no_counter"])
def test_a_hand_over_that_cannot_be_done_is_refused_clearly(client, login_as, make_dossier, make_counter, agency,
                                                            english, case):
    dossier = make_dossier(agency=agency, completed=case != "not_completed")
    counter = make_counter() if case == "other_agency_counter" else make_counter(agency=agency)
    if case == "answered":
        survey.answer(dossier, 3, "link")
        db.session.commit()
    login_as(Role.LEADER, agency=agency)
    data = {} if case == "no_counter" else {"counter": counter.id}
    response = client.post(f"/can-bo/ho-so/{dossier.id}/trao-ket-qua", data=data, follow_redirects=True)
    html = response.get_data(as_text=True)
    expected = {"other_agency_counter": "This counter belongs to another agency.",
                "not_completed": "This dossier is not completed yet.",
                "answered": "The applicant has already answered the survey of this dossier.",
                "no_counter": "Choose the counter where the result is handed over."}[case]
    assert response.status_code == 200 and expected in html and "message-error" in html
    db.session.expire_all()
    stored = db.session.get(Dossier, dossier.id)
    assert stored.counter_id is None and stored.handed_over_at is None


def test_staff_of_another_agency_cannot_hand_over_or_see_the_dossier(client, login_as, make_dossier,
                                                                     make_counter, agency):
    dossier = make_dossier(agency=agency)
    counter = make_counter(agency=agency)
    login_as(Role.STAFF)
    assert client.get(f"/can-bo/ho-so/{dossier.id}").status_code == 403
    assert client.post(f"/can-bo/ho-so/{dossier.id}/trao-ket-qua", data={"counter": counter.id}).status_code == 403
    assert client.get(f"/can-bo/ho-so/{dossier.id}/phieu").status_code == 403
    assert client.get("/can-bo/ho-so/999999").status_code == 404


def test_the_slip_carries_the_qr_code_and_both_ways_to_the_survey_but_no_contact(client, login_as,
                                                                                 make_dossier, agency, english):
    dossier = make_dossier(agency=agency, phone="0987000222", email="rieng.tu@example.vn")
    login_as(Role.STAFF, agency=agency)
    response = client.get(f"/can-bo/ho-so/{dossier.id}/phieu")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'src="http://localhost/danh-gia/{dossier.survey_token}/ma-qr.svg"' in html
    assert 'alt="QR code that opens the survey of dossier' in html
    assert f">http://localhost/danh-gia/{dossier.survey_token}<" in html
    assert "http://localhost/danh-gia and enter your dossier code and the phone number or e-mail address" in html
    assert dossier.code in html and "Cấp giấy phép xây dựng" in html and dossier.agency.name in html
    assert dossier.applicant_name in html
    assert "0987000222" not in html and "rieng.tu@example.vn" not in html
    assert "/static/print.js" in html and "data-print hidden" in html
    # The QR code the slip shows is a real image.
    qr = client.get(f"/danh-gia/{dossier.survey_token}/ma-qr.svg")
    assert qr.status_code == 200 and "svg" in qr.headers["Content-Type"]


def test_an_open_dossier_has_no_slip_yet(client, login_as, make_dossier, agency):
    dossier = make_dossier(agency=agency, completed=False, due_in_days=3)
    login_as(Role.STAFF, agency=agency)
    response = client.get(f"/can-bo/ho-so/{dossier.id}/phieu")
    assert response.status_code == 303 and response.headers["Location"] == f"/can-bo/ho-so/{dossier.id}"


def test_forms_of_the_desk_need_their_csrf_token(app, client, login_as, make_dossier, make_counter, agency):
    dossier = make_dossier(agency=agency)
    counter = make_counter(agency=agency)
    login_as(Role.STAFF, agency=agency)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert 'name="csrf_token"' in client.get(f"/can-bo/ho-so/{dossier.id}").get_data(as_text=True)
        assert client.post(f"/can-bo/ho-so/{dossier.id}/trao-ket-qua",
                           data={"counter": counter.id}).status_code == 400
        assert client.post(f"/can-bo/ho-so/{dossier.id}/rut-khoi-may").status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.session.expire_all()
    assert db.session.get(Dossier, dossier.id).counter_id is None
