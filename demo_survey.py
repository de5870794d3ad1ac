"""Demo dossiers and satisfaction-survey answers: a year of one-stop-shop work across the demo agencies.

Shaped on the province's own figures (shared/seeds): most dossiers online, about 95 % settled early and the rest
mostly on the due day, two in five applicants answering and most of them satisfied — with one procedure, the
building permit, clearly rated worse. Contact data is made up: example.vn addresses and 0900… numbers.
Everything is drawn from one seeded random generator, relative to the time of loading, and inserted in bulk.
"""
import random
from datetime import datetime, time, timedelta, timezone

import sqlalchemy as sa

from accounts.models import Agency, Role, Topic, User
from database import utcnow
from extensions import db
from feedback import dossiers as intake, survey
from feedback.survey_models import (Channel, Dossier, FollowUpReason, Procedure, ServiceCounter, SurveyDetail,
                                    SurveyFollowUp, SurveyResponse, SurveyVia)

SEED = 20261122
DISTRICTS = ["UBND-PLEIKU", "UBND-ANKHE", "UBND-CHUPAH", "UBND-DAKDOA", "UBND-KBANG"]
WORST = "1.009972"  # the building permit: slow, and rated clearly worse than the rest
# (national code, name, field slug, agencies, working days allowed, dossiers over the year, share online)
PROCEDURES = [
    ("1.001193", "Đăng ký khai sinh", "ho-tich", DISTRICTS, 1, 260, 0.88),
    ("2.000908", "Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan có thẩm quyền của Việt Nam cấp",
     "tu-phap", DISTRICTS, 1, 170, 0.45),
    ("1.000894", "Đăng ký kết hôn", "ho-tich", DISTRICTS, 3, 60, 0.6),
    ("2.000720", "Đăng ký thành lập hộ kinh doanh", "dau-tu", DISTRICTS, 3, 110, 0.8),
    ("2.001417", "Cấp phiếu lý lịch tư pháp cho công dân Việt Nam", "tu-phap", ["SO-TP"], 10, 230, 0.86),
    (WORST, "Cấp giấy phép xây dựng", "xay-dung", ["SO-XD"], 15, 120, 0.65),
    ("2.001610", "Đăng ký thành lập công ty trách nhiệm hữu hạn một thành viên", "dau-tu", ["SO-KHDT"], 3, 100,
     0.92),
    ("1.003010", "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất", "dat-dai",
     ["SO-TNMT"], 10, 70, 0.6),
    ("1.001029", "Cấp giấy phép tổ chức biểu diễn nghệ thuật", "van-hoa", ["SO-VHTTDL"], 5, 45, 0.8),
    ("1.001809", "Đăng ký tổ chức lễ hội", "van-hoa", ["SO-VHTTDL"], 10, 25, 0.75),
    ("1.001008", "Cấp giấy phép kinh doanh dịch vụ karaoke", "van-hoa", ["SO-VHTTDL"], 5, 40, 0.75),
    ("1.004580", "Công nhận cơ sở lưu trú du lịch hạng 1 sao, 2 sao", "du-lich", ["SO-VHTTDL"], 10, 30, 0.75),
    ("1.000963", "Cấp giấy chứng nhận đủ điều kiện kinh doanh hoạt động thể thao", "the-thao", ["SO-VHTTDL"], 7,
     30, 0.75),
    ("1.000775", "Tặng Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh", "noi-vu", ["SO-NV"], 20, 50, 0.8),
    ("1.005092", "Chuyển trường đối với học sinh trung học phổ thông", "giao-duc", ["SO-GDDT"], 3, 45, 0.7),
    ("1.005388", "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc", "giao-duc", ["SO-GDDT"], 1, 40, 0.85),
    ("1.002361", "Cấp chứng chỉ hành nghề khám bệnh, chữa bệnh", "y-te", ["SO-YT"], 20, 40, 0.75),
    ("1.003838", "Cấp giấy phép xuất bản bản tin", "thong-tin-truyen-thong", ["SO-TTTT"], 10, 15, 0.9),
]
COUNTERS = ("Quầy số 1", "Quầy số 2")  # at the culture department's desk of the service centre
COUNTER_AGENCY = "SO-VHTTDL"
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương", "Đinh", "Rơ Châm",
          "Ksor", "Siu", "Rah Lan", "Nay", "Kpă"]
MIDDLE = ["Văn", "Thị", "Minh", "Quốc", "Thanh", "Ngọc", "Hữu", "Đức", "Thu", "Xuân"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hà", "Hạnh", "Hùng", "Hương", "Khánh", "Lan", "Linh", "Long", "Mai",
         "Nam", "Ngân", "Phúc", "Quang", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Vy", "Blu", "Hyun", "Thơ"]
GOOD_COMMENTS = [
    "Cán bộ hướng dẫn tận tình, chu đáo.",
    "Nộp hồ sơ trực tuyến rất thuận tiện, nhận kết quả sớm hơn hẹn.",
    "Thủ tục nhanh gọn, cảm ơn Bộ phận một cửa.",
    "Mẫu đơn có hướng dẫn cụ thể, dễ thực hiện.",
    "Nên bố trí thêm ghế chờ vào buổi sáng thứ Hai.",
]
BAD_COMMENTS = [
    "Phải bổ sung hồ sơ hai lần vì không được hướng dẫn ngay từ đầu.",
    "Chờ đợi lâu, không ai báo trước thời gian trả kết quả.",
    "Quá hạn hẹn trả mà không có văn bản xin lỗi.",
    "Hướng dẫn trên cổng dịch vụ công chưa rõ, khó nộp trực tuyến.",
]
WORST_COMMENTS = [
    "Thời gian thẩm định hồ sơ xây dựng quá dài, phải đi lại nhiều lần.",
    "Yêu cầu bổ sung bản vẽ nhiều lần, mỗi lần một ý kiến khác nhau.",
    "Không rõ hồ sơ đang ở khâu nào, gọi điện không ai nghe.",
]
NOTES = [
    "Đã liên hệ với người dân qua điện thoại, xin lỗi và hướng dẫn cụ thể các bước còn lại.",
    "Đã nhắc nhở công chức tiếp nhận; bổ sung hướng dẫn thành phần hồ sơ tại quầy và trên cổng dịch vụ công.",
    "Đã rà soát quy trình thẩm định, giao phòng chuyên môn rút ngắn thời gian xử lý.",
    "Đã ghi nhận ý kiến và cảm ơn ông/bà đã góp ý.",
]


def load_survey_demo():
    """Create the counters and a year of dossiers with their survey answers (the dossiers once: skipped when any
    dossier exists). Returns (dossiers, answers) created."""
    agencies = dict(db.session.execute(sa.select(Agency.code, Agency.id)).all())
    _add_counters(agencies)
    if db.session.scalar(sa.select(sa.func.count(Dossier.id))):
        return 0, 0
    from feedback.models import Holiday

    rng = random.Random(SEED)
    now = utcnow().replace(microsecond=0)
    calendar = _Calendar(set(db.session.scalars(sa.select(Holiday.day))), now)
    procedures = _procedures()
    counters = db.session.scalars(sa.select(ServiceCounter).join(Agency).where(
        Agency.code == COUNTER_AGENCY).order_by(ServiceCounter.name)).all()
    rows = _dossiers(rng, now, calendar, agencies, procedures)
    db.session.execute(sa.insert(Dossier), rows)
    ids = dict(db.session.execute(sa.select(Dossier.code, Dossier.id)).all())
    answers = _answers(rng, now, rows, ids, procedures, agencies, counters)
    return len(rows), answers


def _add_counters(agencies):
    """The culture department's two counters, where its tablets stand."""
    agency_id = agencies.get(COUNTER_AGENCY)
    if agency_id is None:
        return
    known = set(db.session.scalars(sa.select(ServiceCounter.name).where(ServiceCounter.agency_id == agency_id)))
    for name in COUNTERS:
        if name not in known:
            db.session.add(ServiceCounter(agency_id=agency_id, name=name))
    db.session.flush()


def _procedures():
    """The demo procedures by national code (created when missing), with their field."""
    topics = {t.slug: t for t in db.session.scalars(sa.select(Topic))}
    found = {p.code: p for p in db.session.scalars(sa.select(Procedure).where(
        Procedure.code.in_([p[0] for p in PROCEDURES])))}
    for code, name, slug, *_rest in PROCEDURES:
        if code not in found:
            topic = topics.get(slug)
            found[code] = Procedure(code=code, name=name, topic_id=topic.id if topic else None)
            db.session.add(found[code])
    db.session.flush()
    return {code: (found[code], topics.get(slug)) for code, _name, slug, *_rest in PROCEDURES}


class _Calendar:
    """Working days of the demo year, in Vietnamese local time."""

    def __init__(self, holidays, now):
        self.holidays = holidays
        self.today = self.local(now).date()

    @staticmethod
    def local(moment):
        """A stored (UTC) time as Vietnamese local time."""
        return moment.replace(tzinfo=timezone.utc).astimezone(intake.LOCAL_ZONE)

    @staticmethod
    def stored(day, hour, minute=0):
        """The stored (UTC, naive) time of a local day and hour."""
        local = datetime.combine(day, time(hour, minute), intake.LOCAL_ZONE)
        return local.astimezone(timezone.utc).replace(tzinfo=None)

    def working(self, day):
        """Whether day is a working day."""
        return day.weekday() < 5 and day not in self.holidays

    def on_or_before(self, day):
        """day if it is a working day, else the working day before it."""
        while not self.working(day):
            day -= timedelta(days=1)
        return day

    def after(self, day, count):
        """The working day count working days after day (day itself when count is 0 and it is working)."""
        while not self.working(day):
            day += timedelta(days=1)
        while count > 0:
            day += timedelta(days=1)
            if self.working(day):
                count -= 1
        return day


def _person(rng, n):
    """A made-up applicant: a plausible name, a clearly fake number, sometimes an example.vn address."""
    name = " ".join(x for x in (rng.choice(FAMILY), rng.choice(MIDDLE), rng.choice(GIVEN)) if x)
    email = f"nguoinop{n:04d}@example.vn" if rng.random() < 0.4 else None
    return name, f"0900{n:06d}", email


def _dossiers(rng, now, calendar, agencies, procedures):
    """The dossier rows, oldest first, so that the newest have the highest ids."""
    plan = []
    for code, _name, _slug, owners, days, count, online in PROCEDURES:
        for _n in range(count):
            plan.append((code, rng.choice(owners), days, online, rng.randint(1, 365)))
    # A few for the culture department's counters today: completed an hour or two ago, not yet rated.
    plan += [("1.001008", COUNTER_AGENCY, 5, 0.0, 0)] * 3
    rows, sequence = [], {}
    for n, (code, agency_code, days, online, days_ago) in enumerate(plan):
        if agency_code not in agencies:
            continue
        procedure, topic = procedures[code]
        channel = Channel.ONLINE if rng.random() < online else (
            Channel.COUNTER if rng.random() < 0.88 or not days_ago else Channel.POSTAL)
        if days_ago:
            received, due, completed = _times(rng, calendar, days, days_ago, code == WORST, channel)
        else:  # today's: received a few days ago, completed within the last hours
            completed = now - timedelta(minutes=rng.randint(20, 150))
            received = completed - timedelta(days=rng.randint(2, 4), hours=rng.randint(0, 3))
            due = calendar.stored(calendar.after(calendar.local(received).date(), days), 17)
        if completed is not None and completed > now - timedelta(minutes=5):
            completed = None  # not done yet
        rows.append(_row(rng, n, agency_code, agencies, procedure, topic, channel, received, due, completed,
                         sequence, calendar))
    _leave_some_overdue(rng, rows, now, agencies.get(COUNTER_AGENCY))
    rows.sort(key=lambda r: r["received_at"])
    for row in rows:
        row["created_at"] = max(row["completed_at"] or row["received_at"], row["received_at"])
    return rows


def _times(rng, calendar, days, days_ago, worst, channel):
    """Received, due and completion times of a dossier received days_ago: ~95 % early, most others on the due
    day, a few late (more of them for the worst procedure)."""
    day = calendar.today - timedelta(days=days_ago)
    if channel is not Channel.ONLINE or rng.random() < 0.9:
        day = calendar.on_or_before(day)  # counters and the post work on working days
    hour = rng.randint(7, 16) if channel is not Channel.ONLINE else rng.randint(6, 22)
    received = calendar.stored(day, hour, rng.randint(0, 59))
    start = day if calendar.working(day) and hour < 17 else calendar.after(day + timedelta(days=1), 0)
    due_day = calendar.after(start, days)
    due = calendar.stored(due_day, 17)
    roll = rng.random()
    late_share = 0.08 if worst else 0.008
    if roll < late_share:
        done_day = calendar.after(due_day, rng.randint(1, 6))
    elif roll < late_share + 0.047 or due_day == start:
        done_day = due_day
    else:
        done_day = calendar.after(start, rng.randint(0, max(0, days - 1)))
        done_day = min(done_day, due_day - timedelta(days=1)) if done_day >= due_day else done_day
    completed = calendar.stored(done_day, rng.randint(8, 16), rng.randint(0, 59))
    if done_day == due_day and completed > due:
        completed = due - timedelta(minutes=rng.randint(5, 240))
    if completed <= received:
        completed = received + timedelta(minutes=rng.randint(20, 180))
    return received, due, completed


def _row(rng, n, agency_code, agencies, procedure, topic, channel, received, due, completed, sequence, calendar):
    """One dossier's stored values, with the fingerprint the intake rules would give it."""
    day = calendar.local(received).strftime("%y%m%d")
    key = (agency_code, day)
    sequence[key] = sequence.get(key, 0) + 1
    code = f"{_unit(agency_code)}.H21-{day}-{sequence[key]:04d}"
    name, phone, email = _person(rng, n + 1)
    item = intake.DossierInput(code=code, procedure_name=procedure.name, procedure_code=procedure.code,
                               field=topic.name if topic else None, agency_code=agency_code, received_at=received,
                               due_at=due, completed_at=completed, channel=channel, applicant_name=name,
                               applicant_phone=phone, applicant_email=email)
    return dict(code=code, procedure_id=procedure.id, topic_id=topic.id if topic else None,
                agency_id=agencies[agency_code], channel=channel, received_at=received, due_at=due,
                completed_at=completed, completed_on=calendar.local(completed).date() if completed else None,
                applicant_name=name, applicant_phone=phone, applicant_email=email, fingerprint=item.fingerprint,
                survey_token=intake.new_token(), source="api", api_key_id=None, counter_id=None,
                handed_over_at=None)


def _unit(agency_code):
    """The agency's part of a dossier code, as the one-stop-shop software numbers its units."""
    units = ["VP-UBND", "SO-NV", "SO-VHTTDL", "SO-TTTT", "SO-TNMT", "SO-TP", "SO-KHDT", "SO-XD", "SO-GDDT",
             "SO-YT"]
    if agency_code in units:
        return f"000.00.{10 + units.index(agency_code):02d}"
    return f"000.{30 + DISTRICTS.index(agency_code):02d}.00" if agency_code in DISTRICTS else "000.00.99"


def _leave_some_overdue(rng, rows, now, culture_id):
    """A handful of dossiers still open past their due time, two of them at the culture department (the
    fingerprint leaves the completion time out, so it stays as it is)."""
    candidates = [r for r in rows if r["completed_at"] and r["due_at"] < now - timedelta(days=2)
                  and r["received_at"] > now - timedelta(days=40)]
    rng.shuffle(candidates)
    culture = [r for r in candidates if r["agency_id"] == culture_id][:2]
    for row in culture + [r for r in candidates if r not in culture][:5]:
        row["completed_at"] = row["completed_on"] = None


def _answers(rng, now, rows, ids, procedures, agencies, counters):
    """Survey answers for about two in five completed dossiers, through the same rules as survey.answer:
    the scale in force, satisfied and dissatisfied as survey decides, a follow-up for each dissatisfied answer
    and each comment; the details within the time allowed."""
    size = survey.scale()
    worst_id = procedures[WORST][0].id
    culture_id = agencies.get(COUNTER_AGENCY)
    leaders = dict(db.session.execute(sa.select(User.agency_id, User.id).where(User.role == Role.LEADER)).all())
    responses, plans, tablets = [], {}, []
    for row in rows:
        completed = row["completed_at"]
        if completed is None or completed > now - timedelta(hours=3):
            continue
        at_counter = row["channel"] is Channel.COUNTER
        if rng.random() > (0.5 if at_counter else 0.36):
            continue
        worst = row["procedure_id"] == worst_id
        on_time = row["completed_at"] <= row["due_at"]
        satisfied_share = (0.72 if worst else 0.965) - (0.0 if on_time else 0.3)
        rating = _rating(rng, size, rng.random() < satisfied_share)
        if at_counter and row["agency_id"] == culture_id and counters and rng.random() < 0.7:
            via, delay = SurveyVia.TABLET, timedelta(minutes=rng.randint(1, 5))
            tablets.append({"id": ids[row["code"]], "counter_id": rng.choice(counters).id,
                            "handed_over_at": completed})
        else:
            via = SurveyVia.LINK if rng.random() < 0.75 else SurveyVia.CODE
            delay = timedelta(minutes=rng.randint(10, 60 * 72))
        answered = min(completed + delay, now - timedelta(minutes=1))
        responses.append(dict(dossier_id=ids[row["code"]], agency_id=row["agency_id"], scale=size, rating=rating,
                              satisfied=survey.is_satisfied(rating, size),
                              dissatisfied=survey.is_dissatisfied(rating, size), via=via, answered_at=answered,
                              details_at=None, comment=None))
        plans[ids[row["code"]]] = (row, worst, on_time)
    if tablets:  # handed over at a counter, and answered on its tablet
        db.session.execute(sa.update(Dossier), tablets)
    details, follow_ups = [], []
    window = timedelta(minutes=2)
    for response in responses:
        row, worst, on_time = plans[response["dossier_id"]]
        if rng.random() < (0.8 if response["dissatisfied"] else 0.55):
            response["details_at"] = min(response["answered_at"] + window * rng.random(), now)
            details.append((response["dossier_id"], _details(rng, response, row, on_time, worst)))
            if rng.random() < (0.7 if response["dissatisfied"] else 0.04):
                pool = WORST_COMMENTS if worst and response["dissatisfied"] else (
                    BAD_COMMENTS if response["dissatisfied"] else GOOD_COMMENTS)
                response["comment"] = rng.choice(pool)
    db.session.execute(sa.insert(SurveyResponse), responses)
    response_ids = dict(db.session.execute(sa.select(SurveyResponse.dossier_id, SurveyResponse.id)).all())
    db.session.execute(sa.insert(SurveyDetail), [
        dict(response_id=response_ids[dossier_id], item=item, value=value)
        for dossier_id, items in details for item, value in items])
    for response in responses:
        if not (response["dissatisfied"] or response["comment"]):
            continue
        reason = FollowUpReason.DISSATISFIED if response["dissatisfied"] else FollowUpReason.COMMENT
        opened = response["answered_at"] if response["dissatisfied"] else response["details_at"]
        closed = opened + timedelta(days=rng.randint(1, 4)) if opened < now - timedelta(days=21) else None
        follow_ups.append(dict(
            response_id=response_ids[response["dossier_id"]], agency_id=response["agency_id"], reason=reason,
            opened_at=opened, closed_at=closed, closed_by_id=leaders.get(response["agency_id"]) if closed else None,
            note=(rng.choice(NOTES[:3]) if response["dissatisfied"] else NOTES[3]) if closed else None))
    if follow_ups:
        db.session.execute(sa.insert(SurveyFollowUp), follow_ups)
    return len(responses)


def _rating(rng, size, satisfied):
    """A rating on the scale: among the two best when satisfied, else among the rest (mostly the lowest
    on three levels; neutral or below on five)."""
    if satisfied:
        return size if rng.random() < 0.66 else size - 1
    if size == 3:
        return 1
    return rng.choice((3, 3, 2, 2, 1))


def _details(rng, response, row, on_time, worst):
    """Criteria and reasons that agree with the dossier and the rating."""
    unhappy = not response["satisfied"]
    local = _Calendar.local
    early = on_time and local(row["completed_at"]).date() < local(row["due_at"]).date()
    online = row["channel"] is Channel.ONLINE
    answers = {
        "time": "early" if early else ("on_time" if on_time else "late"),
        "contacts": rng.choice(("2", "3")) if unhappy and rng.random() < 0.6 else "1",
        "agencies": "2" if rng.random() < (0.15 if unhappy else 0.03) else "1",
        "one_stop": "no" if rng.random() < (0.15 if unhappy else 0.02) else "yes",
        "publicity": rng.choice(("partly", "no")) if unhappy and rng.random() < 0.5 else (
            "partly" if rng.random() < 0.06 else "full"),
        "feedback": ("no" if unhappy and rng.random() < 0.5 else rng.choice(("none", "none", "none", "yes"))),
        "online": ("hard" if unhappy or rng.random() < 0.1 else "easy") if online else (
            "unused" if rng.random() < 0.85 else "easy"),
    }
    items = [(key, value) for key, value in answers.items() if rng.random() < 0.9]
    if unhappy:
        bad = rng.sample(("time", "ease", "guidance") if worst else ("time", "attitude", "guidance", "ease"),
                         rng.randint(1, 2))
        items += [(f"tag:{key}", "bad") for key in sorted(bad)]
    else:
        good = rng.sample(("attitude", "guidance", "time", "ease", "transparency"), rng.randint(1, 2))
        items += [(f"tag:{key}", "good") for key in sorted(good)]
        if rng.random() < 0.05:
            items.append(("tag:facilities", "bad"))
    return items
