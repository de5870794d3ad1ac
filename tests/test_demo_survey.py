"""The survey's demo data: a plausible year of dossiers and answers, loaded once, consistent with the rules."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from database import utcnow
from extensions import db
from feedback import survey
from feedback.survey_models import (Channel, Dossier, FollowUpReason, Procedure, ServiceCounter, SurveyDetail,
                                    SurveyFollowUp, SurveyResponse, SurveyVia)


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=list(args))


@pytest.fixture
def loaded(cli):
    result = cli("demo", "load", "--if-empty")
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result


def count(stmt):
    return db.session.scalar(stmt)


def test_the_demo_loads_a_year_of_dossiers_mostly_online_and_early(loaded):
    total = count(sa.select(sa.func.count(Dossier.id)))
    assert 1300 <= total <= 1700
    assert f"{total} dossiers" in loaded.output
    online = count(sa.select(sa.func.count()).where(Dossier.channel == Channel.ONLINE))
    assert online / total > 0.7
    completed = db.session.execute(sa.select(Dossier.completed_at, Dossier.due_at, Dossier.received_at)
                                   .where(Dossier.completed_at.is_not(None))).all()
    late = sum(1 for done, due, _received in completed if done > due)
    assert late / len(completed) < 0.03
    now = utcnow()
    assert all(received <= done <= now + timedelta(minutes=1) for done, _due, received in completed)
    assert count(sa.select(sa.func.min(Dossier.received_at))) > now - timedelta(days=370)
    overdue = count(sa.select(sa.func.count()).where(Dossier.completed_at.is_(None), Dossier.due_at < now))
    assert 3 <= overdue <= 10
    # Codes unique and as the one-stop-shop software prints them; contact data clearly made up.
    codes = db.session.scalars(sa.select(Dossier.code)).all()
    assert len(set(codes)) == total and all(".H21-" in code for code in codes)
    phones = db.session.scalars(sa.select(Dossier.applicant_phone)).all()
    assert all(phone.startswith("0900") for phone in phones)
    emails = [e for e in db.session.scalars(sa.select(Dossier.applicant_email)) if e]
    assert emails and all(e.endswith("@example.vn") for e in emails)
    assert count(sa.select(sa.func.count(Procedure.id))) >= 15
    assert count(sa.select(sa.func.count(ServiceCounter.id))) == 2


def test_the_answers_follow_the_survey_rules_and_one_procedure_is_clearly_worse(loaded):
    responses = db.session.scalars(sa.select(SurveyResponse)).all()
    completed = count(sa.select(sa.func.count()).where(Dossier.completed_at.is_not(None)))
    assert 0.3 < len(responses) / completed < 0.5
    size = survey.scale()
    for response in responses:
        dossier = response.dossier
        assert response.scale == size and response.agency_id == dossier.agency_id
        assert response.satisfied == survey.is_satisfied(response.rating, size)
        assert response.dissatisfied == survey.is_dissatisfied(response.rating, size)
        assert dossier.completed_at <= response.answered_at
        if response.details_at:
            assert response.details_at >= response.answered_at
        if response.via is SurveyVia.TABLET:
            assert dossier.counter_id is not None and dossier.channel is Channel.COUNTER
        follow_up = response.follow_up
        if response.dissatisfied:
            assert follow_up.reason is FollowUpReason.DISSATISFIED
        elif response.comment:
            assert follow_up.reason is FollowUpReason.COMMENT
        else:
            assert follow_up is None
    share = sum(r.satisfied for r in responses) / len(responses)
    assert 0.92 <= share <= 0.97
    by_procedure = {}
    for response in responses:
        by_procedure.setdefault(response.dossier.procedure.name, []).append(response.satisfied)
    shares = {name: sum(v) / len(v) for name, v in by_procedure.items() if len(v) >= 15}
    worst = min(shares, key=shares.get)
    assert worst == "Cấp giấy phép xây dựng" and shares[worst] < 0.85
    assert sorted(shares.values())[1] > shares[worst] + 0.08
    items = set(db.session.scalars(sa.select(SurveyDetail.item)))
    assert {"time", "contacts", "online"} <= items and any(i.startswith("tag:") for i in items)
    follow_ups = db.session.scalars(sa.select(SurveyFollowUp)).all()
    assert any(f.closed_at and f.note for f in follow_ups) and any(f.closed_at is None for f in follow_ups)
    assert any(f.closed_by_id for f in follow_ups)  # the culture department's leader closed some


def test_the_demo_sends_no_mail(loaded):
    from notifications import OutboxMessage

    assert count(sa.select(sa.func.count(OutboxMessage.id))) == 0


def test_loading_the_demo_again_adds_no_dossier(cli, loaded):
    before = [count(sa.select(sa.func.count(m.id))) for m in (Dossier, SurveyResponse, ServiceCounter)]
    result = cli("demo", "load")
    assert result.exit_code == 0 and "dossiers," not in result.output
    db.session.expire_all()
    assert [count(sa.select(sa.func.count(m.id))) for m in (Dossier, SurveyResponse, ServiceCounter)] == before
    result = cli("demo", "load", "--if-empty")
    assert "demo data not loaded" in result.output


def test_the_culture_department_has_results_to_hand_over_today(loaded):
    from accounts.models import Agency

    culture = count(sa.select(Agency.id).where(Agency.code == "SO-VHTTDL"))
    fresh = db.session.scalars(sa.select(Dossier).where(
        Dossier.agency_id == culture, Dossier.completed_at > utcnow() - timedelta(hours=3),
        Dossier.channel == Channel.COUNTER)).all()
    assert len(fresh) >= 3 and all(d.response is None for d in fresh)
