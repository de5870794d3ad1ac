"""The scorecard's official formulas on a small data set worked out by hand: ten dossiers of two agencies in
February and March 2026, seven survey answers on the three-level scale, a few criteria and reasons, and two
answered questions with their helpful votes."""
from datetime import date, datetime

import pytest

from extensions import db
from feedback import dossiers, scorecard as sc, survey
from feedback.models import HelpfulVote, QuestionState
from feedback.survey_models import Channel

MARCH = sc.Filters(date(2026, 3, 1), date(2026, 3, 31))
FEB_MARCH = sc.Filters(date(2026, 2, 1), date(2026, 3, 31))
TARGETS = ((2025, 90.0), (2030, 95.0))


def store_dossier(agency, code, procedure, field, channel, due, completed):
    """A dossier as the one-stop-shop system reports it; times in UTC (09:00 in Vietnam at 02:00Z)."""
    data = {"code": code, "procedure": {"name": procedure}, "field": field, "agency_code": agency.code,
            "received_at": "2026-01-15T02:00:00Z", "due_at": due, "completed_at": completed, "channel": channel,
            "applicant": {"name": "Nguyễn Văn Nộp", "phone": "0912345678", "email": "nguoi.nop@example.vn"}}
    outcome = dossiers.intake_one(data)
    assert outcome.stored, outcome.errors
    return outcome.dossier


def rate(dossier, rating, criteria=None, good=(), bad=(), comment=None):
    """The applicant's answer, with the optional part when given."""
    response, _created = survey.answer(dossier, rating, "link")
    if criteria is not None or good or bad or comment:
        survey.add_details(response, criteria or {}, list(good), list(bad), comment)
    return response


BUILD, REGISTER = "Cấp giấy phép xây dựng", "Đăng ký khai sinh"


@pytest.fixture
def known(make_agency, make_question):
    """The hand-computed data set.

    Sở Xây dựng (A)                                    due        completed   channel  rating (3 levels)
      A-1  building permit                              10/03      09/03       counter  3 very satisfied
      A-2  building permit                              10/03      12/03 late  online   1 dissatisfied (+ comment)
      A-3  building permit                              20/03 9:00 20/03 9:00  online   2 satisfied (on time: equal)
      A-4  birth registration                           —          05/03       counter  3 (no due time: not counted)
      A-5  birth registration                           15/03      open        postal   — (open, past due: late)
      A-6  building permit                              25/02      20/02       online   2 (February)
    UBND huyện Đak Đoa (B)
      B-1  birth registration                           08/03      07/03       online   3
      B-2  birth registration                           08/03      18/03 late  counter  2
      B-3  birth registration                           25/03      24/03       counter  — (no answer)
      B-4  building permit                              05/04      open        online   — (due after March)
    """
    a = make_agency(code="SO-XD", name="Sở Xây dựng")
    b = make_agency(code="UB-DAKDOA", name="UBND huyện Đak Đoa")
    t = lambda day, hour=2: f"2026-{day}T{hour:02d}:00:00Z"  # noqa: E731
    d = {
        "A-1": store_dossier(a, "A-1", BUILD, "Xây dựng", "counter", t("03-10"), t("03-09")),
        "A-2": store_dossier(a, "A-2", BUILD, "Xây dựng", "online", t("03-10"), t("03-12")),
        "A-3": store_dossier(a, "A-3", BUILD, "Xây dựng", "online", t("03-20"), t("03-20")),
        "A-4": store_dossier(a, "A-4", REGISTER, "Hộ tịch", "counter", None, t("03-05")),
        "A-5": store_dossier(a, "A-5", REGISTER, "Hộ tịch", "postal", t("03-15"), None),
        "A-6": store_dossier(a, "A-6", BUILD, "Xây dựng", "online", t("02-25"), t("02-20")),
        "B-1": store_dossier(b, "B-1", REGISTER, "Hộ tịch", "online", t("03-08"), t("03-07")),
        "B-2": store_dossier(b, "B-2", REGISTER, "Hộ tịch", "counter", t("03-08"), t("03-18")),
        "B-3": store_dossier(b, "B-3", REGISTER, "Hộ tịch", "counter", t("03-25"), t("03-24")),
        "B-4": store_dossier(b, "B-4", BUILD, "Xây dựng", "online", t("04-05"), None),
    }
    rate(d["A-1"], 3, {"time": "early", "contacts": "1", "online": "unused"}, good=["attitude"])
    rate(d["A-2"], 1, {"time": "late", "contacts": "3", "online": "hard", "feedback": "none"},
         bad=["time", "attitude"], comment="=cmd|' /C calc'!A0 Chờ quá lâu, phải đi lại ba lần.")
    rate(d["A-3"], 2, {"time": "on_time", "contacts": "2", "online": "easy", "feedback": "yes"})
    rate(d["A-4"], 3)
    rate(d["A-6"], 2)
    rate(d["B-1"], 3, {"time": "early", "online": "easy"}, good=["ease"])
    rate(d["B-2"], 2)
    # Questions and answers of A in March: two answers (one on time), three helpful votes in March (two "yes"),
    # and one in February that falls outside.
    on_time = make_question(QuestionState.PUBLISHED, agency=a)
    late = make_question(QuestionState.PUBLISHED, agency=a)
    for question, published, due in ((on_time, "03-04", "03-16"), (late, "03-20", "03-16")):
        question.assigned_at = datetime(2026, 3, 2, 2, 0)
        question.published_at = question.answer.published_at = datetime.fromisoformat(f"2026-{published}T03:00:00")
        question.due_on = date.fromisoformat(f"2026-{due}")
    for n, (question, helpful, day) in enumerate(((on_time, True, "03-05"), (on_time, True, "03-06"),
                                                  (late, False, "03-21"), (late, True, "02-10"))):
        db.session.add(HelpfulVote(question_id=question.id, voter_key=f"voter-{n}", helpful=helpful,
                                   created_at=datetime.fromisoformat(f"2026-{day}T03:00:00")))
    db.session.commit()
    return {"a": a, "b": b, "d": d}


def test_the_province_totals_for_march(known):
    (row,) = sc.figures(MARCH)
    # Completed in March: A-1..A-4, B-1..B-3 = 7; online, B-1 = 3; answers A-1..A-4, B-1, B-2 = 6.
    assert (row.completed, row.online, row.responses) == (7, 3, 6)
    assert row.response_rate == 6 / 7 and row.share_online == 3 / 7
    # Satisfied: ratings 2 or 3 = A-1, A-3, A-4, B-1, B-2 = 5; dissatisfied: A-2.
    assert (row.satisfied, row.dissatisfied) == (5, 1)
    assert row.share_satisfied == 5 / 6
    assert row.index_766 == (6 - 1) / 6
    # On time: A-1, A-3 (completed exactly at the due time), B-1, B-3 = 4. Late: A-2 and B-2 completed after
    # their due time, and A-5 still open though due on 15/03 = 3. A-4 has no due time: counted neither way.
    assert (row.on_time, row.late) == (4, 3)
    assert row.on_time_rate == 4 / 7


def test_wilson_interval_computed_by_hand():
    # 5 of 6, z = 1.96: z² = 3.8416, z²/n = 0.640267, denominator 1.640267;
    # centre = (0.833333 + 3.8416/12) / 1.640267 = 1.153467 / 1.640267 = 0.703219;
    # half = 1.96 × √(0.833333 × 0.166667 / 6 + 3.8416 / 144) / 1.640267 = 1.96 × √0.049826 / 1.640267 = 0.266728;
    # interval 0.703219 ∓ 0.266728 = [0.4365, 0.9699].
    low, high = sc.wilson(5, 6)
    assert (round(low, 4), round(high, 4)) == (0.4365, 0.9699)
    # 3 of 4: denominator 1.9604, centre 1.2302 / 1.9604 = 0.627525, half 1.96 × √0.1069 / 1.9604 = 0.326889.
    assert tuple(round(v, 4) for v in sc.wilson(3, 4)) == (0.3006, 0.9544)
    # 2 of 2: p(1 − p) = 0, half = 1.96 × √(3.8416/16) / 2.9208 = 0.9604 / 2.9208 = 0.328814; centre 0.671186.
    assert tuple(round(v, 4) for v in sc.wilson(2, 2)) == (0.3424, 1.0)
    assert sc.wilson(0, 0) is None


def test_intervals_of_the_march_totals(known):
    (row,) = sc.figures(MARCH)
    assert tuple(round(v, 4) for v in row.satisfied_interval) == (0.4365, 0.9699)
    # On three levels nobody is "neither": the 766 index is the share satisfied, with the same interval.
    assert row.index_interval == row.satisfied_interval


def test_per_agency_figures_and_ranking_by_minimum_sample(known):
    rows = {row.label: row for row in sc.figures(MARCH, "agency")}
    a, b = rows["Sở Xây dựng"], rows["UBND huyện Đak Đoa"]
    # A: completed A-1..A-4; online; 4 answers, 3 satisfied, 1 dissatisfied; on time;
    # late A-2 and the open A-5.
    assert (a.completed, a.online, a.responses, a.satisfied, a.dissatisfied, a.on_time, a.late) == (4, 2, 4, 3, 1, 2, 2)
    assert (a.share_satisfied, a.index_766, a.on_time_rate, a.share_online) == (0.75, 0.75, 0.5, 0.5)
    # B: completed B-1..B-3; online B-1; 2 answers, both satisfied; on time B-1, B-3; late B-2.
    assert (b.completed, b.online, b.responses, b.satisfied, b.dissatisfied, b.on_time, b.late) == (3, 1, 2, 2, 0, 2, 1)
    assert (b.share_satisfied, b.on_time_rate, b.response_rate) == (1.0, 2 / 3, 2 / 3)
    ranked = sc.rank(list(rows.values()), 3)
    assert [(r.label, r.rank, r.enough) for r in ranked] == [("Sở Xây dựng", 1, True),
                                                            ("UBND huyện Đak Đoa", None, False)]
    ranked = sc.rank(list(rows.values()), 2)  # now both count: B's 100 % is ahead of A's 75 %
    assert [(r.label, r.rank) for r in ranked] == [("UBND huyện Đak Đoa", 1), ("Sở Xây dựng", 2)]


def test_equal_shares_share_a_rank():
    rows = [sc.Figures(1, "Một", responses=4, satisfied=3), sc.Figures(2, "Hai", responses=4, satisfied=3),
            sc.Figures(3, "Ba", responses=4, satisfied=2)]
    assert [(r.label, r.rank) for r in sc.rank(rows, 4)] == [("Hai", 1), ("Một", 1), ("Ba", 3)]


def test_grouping_by_procedure_field_and_channel(known):
    by_procedure = {r.label: r for r in sc.figures(MARCH, "procedure")}
    build, register = by_procedure[BUILD], by_procedure[REGISTER]
    # Building permits in March, A-3 (B-4 is open and due in April).
    assert (build.completed, build.responses, build.satisfied, build.on_time, build.late) == (3, 3, 2, 2, 1)
    # Birth registrations: A-4, B-1, B-2, B-3 completed; late B-2 and the open A-5.
    assert (register.completed, register.responses, register.satisfied, register.on_time, register.late) \
        == (4, 3, 3, 2, 2)
    by_field = {r.label: (r.completed, r.responses, r.satisfied, r.on_time, r.late) for r in sc.figures(MARCH, "field")}
    assert by_field == {"Xây dựng": (3, 3, 2, 2, 1), "Hộ tịch": (4, 3, 3, 2, 2)}
    by_channel = [(r.key, r.completed, r.responses, r.satisfied, r.on_time, r.late)
                  for r in sc.figures(MARCH, "channel")]
    assert by_channel == [(Channel.ONLINE, 3, 3, 2, 2, 1),   # B-1
                          (Channel.COUNTER, 4, 3, 3, 2, 1),  # B-2, B-3
                          (Channel.POSTAL, 0, 0, 0, 0, 1)]   # only the open A-5
    assert sc.total(sc.figures(MARCH, "channel")).late == 3


def test_grouping_by_month_puts_open_late_dossiers_in_the_month_they_were_due(known):
    rows = sc.figures(FEB_MARCH, "month")
    assert [r.label for r in rows] == ["02/2026", "03/2026"]
    feb, march = rows
    assert (feb.completed, feb.responses, feb.satisfied, feb.on_time, feb.late) == (1, 1, 1, 1, 0)
    assert (march.completed, march.responses, march.satisfied, march.on_time, march.late) == (7, 6, 5, 4, 3)
    # April is in the period now: B-4, open and due on 05/04, counts late in April.
    april = sc.figures(sc.Filters(date(2026, 2, 1), date(2026, 4, 30)), "month")[-1]
    assert (april.label, april.completed, april.late) == ("04/2026", 0, 1)


def test_an_open_dossier_is_late_only_once_its_due_time_has_passed(known):
    before_due = datetime(2026, 3, 14, 12, 0)  # A-5 is due on 15/03
    (row,) = sc.figures(MARCH, now=before_due)
    assert (row.on_time, row.late) == (4, 2)


def test_filters_apply_to_every_figure(known):
    (row,) = sc.figures(sc.Filters(MARCH.start, MARCH.end, agency_id=known["a"].id, channel=Channel.ONLINE))
    assert (row.completed, row.responses, row.satisfied, row.on_time, row.late) == (2, 2, 1, 1, 1)
    topic_id = known["d"]["B-1"].topic_id
    (row,) = sc.figures(sc.Filters(MARCH.start, MARCH.end, topic_id=topic_id))
    assert (row.completed, row.late) == (4, 2)
    procedure_id = known["d"]["A-1"].procedure_id
    (row,) = sc.figures(sc.Filters(MARCH.start, MARCH.end, procedure_id=procedure_id))
    assert (row.completed, row.responses) == (3, 3)


def test_criteria_breakdown_leaves_out_answers_that_do_not_apply(known):
    criteria, tags = sc.details(MARCH)
    by_key = {c.criterion.key: c for c in criteria}
    time_ = by_key["time"]  # early: A-1, B-1; on time: A-3; late: A-2 → met 3 of 4
    assert time_.counts == {"early": 2, "on_time": 1, "late": 1}
    assert (time_.met, time_.counted, time_.share_met) == (3, 4, 0.75)
    contacts = by_key["contacts"]  # once, twice, three times: met 1 of 3
    assert (contacts.met, contacts.counted) == (1, 3)
    online = by_key["online"]  # unused is left out: easy A-3, B-1; hard A-2 → 2 of 3
    assert (online.answers, online.counted, online.met) == (4, 3, 2)
    assert online.share_met == 2 / 3
    feedback = by_key["feedback"]  # "I made none" is left out: yes → 1 of 1
    assert (feedback.answers, feedback.counted, feedback.share_met) == (2, 1, 1.0)
    assert by_key["publicity"].share_met is None
    assert [(v, n, skipped) for v, _l, n, skipped in online.spread()] == [("easy", 2, False), ("hard", 1, False),
                                                                           ("unused", 1, True)]
    by_tag = {t.key: (t.good, t.bad) for t in tags}
    assert by_tag == {"attitude": (1, 1), "ease": (1, 0), "time": (0, 1), "transparency": (0, 0),
                      "guidance": (0, 0), "facilities": (0, 0)}


def test_five_level_scale_counts_neither_satisfied_nor_dissatisfied(app, make_agency, make_dossier):
    app.config["SURVEY_SCALE"] = 5
    try:
        agency = make_agency()
        for rating in (5, 4, 3, 2, 1):
            survey.answer(make_dossier(agency=agency, completed_days_ago=1), rating, "tablet")
        db.session.commit()
    finally:
        app.config["SURVEY_SCALE"] = 3
    from workdays import today

    (row,) = sc.figures(sc.Filters(date(2000, 1, 1), today(), agency_id=agency.id))
    # Very satisfied and satisfied: 2 of 5; dissatisfied and very dissatisfied: 2; "neither": 1.
    assert (row.responses, row.satisfied, row.dissatisfied) == (5, 2, 2)
    assert row.share_satisfied == 0.4
    assert row.index_766 == (5 - 2) / 5  # "neither" counts as not dissatisfied: 0.6
    # 2 of 5: centre (0.4 + 0.3842) / 1.76832 = 0.443449, half 1.96 × √(0.048 + 0.038416) / 1.76832 = 0.325831.
    assert tuple(round(v, 4) for v in row.satisfied_interval) == (0.1176, 0.7693)
    # 3 of 5: centre 0.556551, the same half-width.
    assert tuple(round(v, 4) for v in row.index_interval) == (0.2307, 0.8824)


def test_lowest_rated_procedures_by_the_lower_bound(known):
    # With at least 3 answers: building permits 2 of 3 (lower bound 0.2077), birth registrations 3 of 3 (0.4385).
    rows = sc.lowest_procedures(MARCH, 3)
    assert [(r.label, round(r.satisfied_interval[0], 4)) for r in rows] == [(BUILD, 0.2077), (REGISTER, 0.4385)]
    assert sc.lowest_procedures(MARCH, 4) == []


def test_targets_apply_from_their_year():
    assert sc.target_for(2024, TARGETS) is None
    assert sc.target_for(2025, TARGETS) == 0.9
    assert sc.target_for(2029, TARGETS) == 0.9
    assert sc.target_for(2030, TARGETS) == 0.95


def test_trend_covers_twelve_months_with_their_targets(known):
    rows = sc.trend(MARCH, TARGETS)
    assert [r.label for r in rows][:2] == ["04/2025", "05/2025"] and rows[-1].label == "03/2026"
    assert len(rows) == 12 and all(r.target == 0.9 for r in rows)
    feb, march = rows[-2:]
    assert (feb.share_satisfied, feb.meets_target) == (1.0, True)
    assert (march.share_satisfied, march.meets_target) == (5 / 6, False)
    assert rows[0].responses == 0 and rows[0].meets_target is None
    # A period longer than a year is shown whole.
    long = sc.trend(sc.Filters(date(2024, 12, 1), date(2026, 3, 31)), TARGETS)
    assert len(long) == 16 and long[0].target is None and long[1].target == 0.9


def test_periods_for_the_quick_links():
    p = sc.periods(date(2026, 11, 22))
    assert p["month"] == (date(2026, 11, 1), date(2026, 11, 22))
    assert p["quarter"] == (date(2026, 10, 1), date(2026, 11, 22))
    assert p["last_quarter"] == (date(2026, 7, 1), date(2026, 9, 30))
    assert p["year"] == (date(2026, 1, 1), date(2026, 11, 22))
    assert p["last_12_months"] == (date(2025, 12, 1), date(2026, 11, 22))
    assert sc.periods(date(2026, 2, 3))["last_quarter"] == (date(2025, 10, 1), date(2025, 12, 31))


def test_question_and_answer_figures_for_the_period(known):
    qa = sc.qa_by_agency(MARCH.start, MARCH.end)
    a = qa[known["a"].id]
    # Two answers published in March, one by its due day; three votes cast in March, two of them "helpful".
    assert (a.answered, a.on_time, a.on_time_rate) == (2, 1, 0.5)
    assert (a.votes, a.helpful, a.helpfulness) == (3, 2, 2 / 3)
    only_a = sc.qa_by_agency(MARCH.start, MARCH.end, known["a"].id)
    assert list(only_a) == [known["a"].id] and only_a[known["a"].id] == a


def test_the_home_headline_matches_the_full_figures(known):
    (full,) = sc.figures(MARCH)
    head = sc.headline(MARCH.start, MARCH.end)
    assert (head.completed, head.responses, head.satisfied, head.on_time, head.late) == \
        (full.completed, full.responses, full.satisfied, full.on_time, full.late)
    assert head.share_satisfied == 5 / 6 and head.on_time_rate == 4 / 7


def test_comments_are_listed_without_contact_data(known):
    rows = sc.comments(sc.Filters(MARCH.start, MARCH.end, agency_id=known["a"].id))
    assert [(r["code"], r["procedure"], r["rating"]) for r in rows] == [("A-2", BUILD, "Không hài lòng")]
    assert "phone" not in rows[0] and "0912345678" not in str(rows[0]) and "nguoi.nop" not in str(rows[0])
    assert sc.comments(sc.Filters(MARCH.start, MARCH.end, agency_id=known["b"].id)) == []


@pytest.mark.parametrize("lang,expected", [("vi", "97,62\u00a0%"), ("en", "97.62%")])
def test_percentages_in_the_locale_number_format(app, lang, expected):
    from feedback.scorecard_views import interval, percent

    with app.test_request_context(headers={"Cookie": f"lang={lang}"}):
        assert percent(0.97624) == expected
        assert percent(None) == "—"
        assert percent(1.0) == ("100\u00a0%" if lang == "vi" else "100%")
        assert interval((0.5, 0.75)) == ("50\u00a0% – 75\u00a0%" if lang == "vi" else "50% – 75%")
