"""The satisfaction scorecard's figures: a few grouped SQL aggregates (the same on SQLite and PostgreSQL) and
pure functions over their rows. Every figure is defined here, once, as the scorecard, the transparency page,
the exports and the home page show it.

- Period: the dossiers whose completion day (`Dossier.completed_on`, a Vietnamese calendar date) lies between
  start and end, both included. The pages open on this quarter so far.
- completed: dossiers completed in the period. responses: the survey answers of those dossiers.
  response rate = responses / completed.
- share satisfied = answers "satisfied" or "very satisfied" / responses (`SurveyResponse.satisfied`; on the
  five-level scale "neither satisfied nor dissatisfied" is neither satisfied nor dissatisfied).
- Decision 766/QĐ-TTg index = (responses − answers "dissatisfied") / responses (`SurveyResponse.dissatisfied`,
  which on five levels includes "very dissatisfied"). On three levels it equals the share satisfied.
- Wilson 95 % interval (z = 1.96) on the share satisfied and on the 766 index, for x of n:
  centre (p + z²/2n) / (1 + z²/n), half-width z·√(p(1 − p)/n + z²/4n²) / (1 + z²/n), with p = x / n.
- Ranking: a group (an agency, a procedure, a field) is ranked only with at least the minimum sample of
  responses (SURVEY_MIN_SAMPLE); ranks go by share satisfied, then by the interval's lower bound, then by name,
  and equal shares with equal lower bounds share a rank. The others are listed as "not enough answers to rank".
- On time: completed in the period with completed_at ≤ due_at. Late: completed in the period after due_at, and
  dossiers still open whose due_at falls in the period and is already past. on-time rate = on time /
  (on time + late). Dossiers without a due time are not counted either way.
- share online = dossiers completed in the period through the online channel / completed.
- Criteria: per criterion, the count of each answer; met = answers among the criterion's good ones / answers
  counted, where the answers that mean "does not apply" (survey.NOT_COUNTED) are not counted. Reasons (tags):
  how often each was marked good and bad.
- Grouping: by agency, procedure, field, channel or month of completion; open late dossiers fall in the month
  of their due time. Every filter (agency, procedure, field, channel) applies to every figure.
- Trend: one row per month, over the period when it spans twelve months or more, otherwise over the twelve
  months ending with the period's last month; each month carries the target of its year (SURVEY_TARGETS: the
  latest target whose year has come — ≥ 90 % from 2025, ≥ 95 % from 2030).
- Questions and answers, per agency, for the same period: the on-time rate of feedback/figures.compute
  (answers published on or before the due day / answers published) and helpfulness = "helpful" votes / votes cast
  in the period on the agency's published answers.
- Lowest-rated procedures: those with at least the minimum sample, by the lower bound of the interval of their
  share satisfied, worst first, ten of them.
"""
import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Optional

import sqlalchemy as sa
from flask_babel import gettext as _

from accounts.models import Agency, Topic
from database import utcnow
from extensions import db

from . import survey
from .dossiers import LOCAL_ZONE
from .models import HelpfulVote, Question, QuestionState
from .survey_models import Channel, Dossier, Procedure, SurveyDetail, SurveyResponse

Z = 1.96
GROUPS = ("agency", "procedure", "field", "channel", "month")
RANKED_GROUPS = ("agency", "procedure", "field")
LOWEST_COUNT = 10


def ratio(part, whole):
    """part / whole, or None when there is nothing to divide."""
    return part / whole if whole else None


def wilson(successes, n, z=Z):
    """The Wilson score interval (low, high) of a proportion, as fractions; None without observations."""
    if not n:
        return None
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def target_for(year, targets):
    """The target share satisfied (a fraction) that applies in year: the latest whose year has come."""
    due = [value for since, value in sorted(targets) if since <= year]
    return due[-1] / 100 if due else None


@dataclass
class QaFigures:
    """An agency's question-and-answer figures for a period."""

    answered: int = 0
    on_time: int = 0
    votes: int = 0
    helpful: int = 0

    @property
    def on_time_rate(self):
        """Answers published by their due day / answers published."""
        return ratio(self.on_time, self.answered)

    @property
    def helpfulness(self):
        """'Helpful' votes / votes."""
        return ratio(self.helpful, self.votes)

    def __add__(self, other):
        return QaFigures(self.answered + other.answered, self.on_time + other.on_time,
                         self.votes + other.votes, self.helpful + other.helpful)


@dataclass
class Figures:
    """The survey and dossier figures of one group (or of everything) for a period."""

    key: object = None
    label: str = ""
    completed: int = 0
    online: int = 0
    responses: int = 0
    satisfied: int = 0
    dissatisfied: int = 0
    on_time: int = 0
    late: int = 0
    rank: Optional[int] = None
    enough: bool = False
    target: Optional[float] = None
    qa: Optional[QaFigures] = None

    @property
    def response_rate(self):
        """Responses / dossiers completed."""
        return ratio(self.responses, self.completed)

    @property
    def share_satisfied(self):
        """Satisfied or very satisfied / responses."""
        return ratio(self.satisfied, self.responses)

    @property
    def index_766(self):
        """(Responses − dissatisfied) / responses, as Decision 766/QĐ-TTg counts satisfaction."""
        return ratio(self.responses - self.dissatisfied, self.responses)

    @property
    def satisfied_interval(self):
        """Wilson 95 % interval of the share satisfied."""
        return wilson(self.satisfied, self.responses)

    @property
    def index_interval(self):
        """Wilson 95 % interval of the 766 index."""
        return wilson(self.responses - self.dissatisfied, self.responses)

    @property
    def on_time_rate(self):
        """On time / (on time + late)."""
        return ratio(self.on_time, self.on_time + self.late)

    @property
    def share_online(self):
        """Completed online / completed."""
        return ratio(self.online, self.completed)

    @property
    def meets_target(self):
        """Whether the share satisfied reaches the month's target (None without either)."""
        if self.target is None or self.share_satisfied is None:
            return None
        return self.share_satisfied >= self.target - 1e-12

    def __add__(self, other):
        qa = (self.qa or QaFigures()) + (other.qa or QaFigures()) if (self.qa or other.qa) else None
        return Figures(None, "", *(getattr(self, n) + getattr(other, n) for n in COUNTS), qa=qa)


COUNTS = ("completed", "online", "responses", "satisfied", "dissatisfied", "on_time", "late")


@dataclass(frozen=True)
class Filters:
    """What the figures are about: a period (inclusive) and optionally one agency, procedure, field, channel."""

    start: date
    end: date
    agency_id: Optional[int] = None
    procedure_id: Optional[int] = None
    topic_id: Optional[int] = None
    channel: Optional[Channel] = None

    def conditions(self):
        """The filters other than the period, as SQL conditions on Dossier."""
        out = []
        if self.agency_id is not None:
            out.append(Dossier.agency_id == self.agency_id)
        if self.procedure_id is not None:
            out.append(Dossier.procedure_id == self.procedure_id)
        if self.topic_id is not None:
            out.append(Dossier.topic_id == self.topic_id)
        if self.channel is not None:
            out.append(Dossier.channel == self.channel)
        return out

    def completed_in_period(self):
        """Dossiers completed in the period, with the other filters."""
        return [Dossier.completed_on.between(self.start, self.end), *self.conditions()]

    def open_late(self, now):
        """Open dossiers whose due time falls in the period and has passed (completed_on is NULL exactly while a
        dossier is open, and its index finds them)."""
        low, high = local_bounds(self.start, self.end)
        return [Dossier.completed_on.is_(None), Dossier.due_at.is_not(None), Dossier.due_at >= low,
                Dossier.due_at < high, Dossier.due_at < now, *self.conditions()]


def local_bounds(start, end):
    """The stored (UTC) times at which the Vietnamese days start and end+1 begin."""
    def utc(day):
        return datetime.combine(day, time.min, LOCAL_ZONE).astimezone(timezone.utc).replace(tzinfo=None)
    return utc(start), utc(end + timedelta(days=1))


def local_month(moment):
    """(year, month) of a stored (UTC) time in Vietnam."""
    local = moment.replace(tzinfo=timezone.utc).astimezone(LOCAL_ZONE)
    return local.year, local.month


# --- periods ---------------------------------------------------------------------------------------------------

def add_months(day, months):
    """The first day of the month months after day's month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def months_between(start, end):
    """(year, month) of every month from start's to end's."""
    month, last = date(start.year, start.month, 1), date(end.year, end.month, 1)
    out = []
    while month <= last:
        out.append((month.year, month.month))
        month = add_months(month, 1)
    return out


def quarter_start(day):
    """The first day of day's quarter."""
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def periods(today):
    """The quick periods: name → (start, end)."""
    this_quarter = quarter_start(today)
    last_quarter = add_months(this_quarter, -3)
    return {
        "month": (date(today.year, today.month, 1), today),
        "quarter": (this_quarter, today),
        "last_quarter": (last_quarter, this_quarter - timedelta(days=1)),
        "year": (date(today.year, 1, 1), today),
        "last_12_months": (add_months(today, -11), today),
    }


def trend_range(start, end):
    """The trend's months: the period when it spans twelve months or more, else the twelve ending with it."""
    first = add_months(end, -11)
    return (start, end) if start < first else (first, end)


# --- the grouped figures ---------------------------------------------------------------------------------------

ONE, ZERO = sa.literal_column("1"), sa.literal_column("0")  # written into the SQL: no typed parameters to guess


def _flag(condition):
    """1 where condition holds, else 0: summed, a count that works alike on every database."""
    return sa.func.sum(sa.case((condition, ONE), else_=ZERO))


def _keys(group):
    """The SQL columns a grouping groups completed dossiers by."""
    return {
        None: [],
        "agency": [Dossier.agency_id],
        "procedure": [Dossier.procedure_id],
        "field": [Dossier.topic_id],
        "channel": [Dossier.channel],
        "month": [sa.extract("year", Dossier.completed_on), sa.extract("month", Dossier.completed_on)],
    }[group]


def figures(filters, group=None, now=None):
    """Figures per group (one row for everything when group is None), labelled and in a natural order; with
    group "month", every month of the period has a row."""
    if group not in (None, *GROUPS):
        raise ValueError(group)
    now = now or utcnow()
    keys = _keys(group)
    stmt = (sa.select(*keys, sa.func.count(Dossier.id), _flag(Dossier.channel == Channel.ONLINE),
                      sa.func.count(SurveyResponse.id), _flag(SurveyResponse.satisfied.is_(True)),
                      _flag(SurveyResponse.dissatisfied.is_(True)),
                      _flag(sa.and_(Dossier.due_at.is_not(None), Dossier.completed_at <= Dossier.due_at)),
                      _flag(sa.and_(Dossier.due_at.is_not(None), Dossier.completed_at > Dossier.due_at)))
            .select_from(Dossier).outerjoin(SurveyResponse, SurveyResponse.dossier_id == Dossier.id)
            .where(*filters.completed_in_period()).group_by(*keys))
    rows = {}
    for values in db.session.execute(stmt):
        key = _key(group, values[:len(keys)])
        counts = [int(v or 0) for v in values[len(keys):]]
        rows[key] = Figures(key, "", *counts)
    for key, late in _open_late(filters, group, now).items():
        rows.setdefault(key, Figures(key)).late += late
    if group == "month":
        for key in months_between(filters.start, filters.end):
            rows.setdefault(key, Figures(key))
    if group is None:
        return [rows.get(None) or Figures()]
    _label(group, rows)
    return sorted(rows.values(), key=_order(group))


def _key(group, values):
    """A group's key from its SQL values (months as (year, month); channels as Channel)."""
    if group is None:
        return None
    if group == "month":
        return int(values[0]), int(values[1])
    if group == "channel":
        return Channel(values[0])
    return values[0]


def _open_late(filters, group, now):
    """Open dossiers past due in the period, counted per group key."""
    conditions = filters.open_late(now)
    if group == "month":  # the month of the due time, in Vietnam: worked out here rather than in dialect SQL
        counts = {}
        for (due,) in db.session.execute(sa.select(Dossier.due_at).where(*conditions)):
            counts[local_month(due)] = counts.get(local_month(due), 0) + 1
        return counts
    keys = _keys(group)
    stmt = sa.select(*keys, sa.func.count(Dossier.id)).where(*conditions).group_by(*keys)
    return {_key(group, values[:len(keys)]): values[-1] for values in db.session.execute(stmt) if values[-1]}


def _label(group, rows):
    """Give each row the name people read."""
    if group == "agency":
        names = dict(db.session.execute(sa.select(Agency.id, Agency.name).where(Agency.id.in_(list(rows)))).all())
    elif group == "procedure":
        names = {pid: f"{name} ({code})" if code else name for pid, name, code in db.session.execute(
            sa.select(Procedure.id, Procedure.name, Procedure.code).where(Procedure.id.in_(list(rows))))}
    elif group == "field":
        names = dict(db.session.execute(
            sa.select(Topic.id, Topic.name).where(Topic.id.in_([k for k in rows if k is not None]))).all())
        names[None] = _("No field given")
    elif group == "channel":
        names = {key: str(key.label) for key in rows}
    else:
        names = {key: f"{key[1]:02d}/{key[0]}" for key in rows}
    for key, row in rows.items():
        row.label = names.get(key, "?")


def _order(group):
    """Months and channels in their own order; names alphabetically."""
    if group == "month":
        return lambda row: row.key
    if group == "channel":
        return lambda row: list(Channel).index(row.key)
    return lambda row: (row.label.casefold(), str(row.key))


def total(rows):
    """The sum of grouped rows (whose figures add up: every dossier is in exactly one group)."""
    result = Figures()
    for row in rows:
        result = result + row
    return result


def rank(rows, min_sample):
    """Rank the rows with at least min_sample responses by share satisfied (then the interval's lower bound,
    then name); return the ranked rows first, in rank order, then the others by name."""
    min_sample = max(min_sample, 1)
    enough = [row for row in rows if row.responses >= min_sample]
    others = [row for row in rows if row.responses < min_sample]
    enough.sort(key=lambda r: (-r.share_satisfied, -r.satisfied_interval[0], r.label.casefold()))
    previous = None
    for position, row in enumerate(enough, start=1):
        row.enough = True
        standing = (row.share_satisfied, row.satisfied_interval[0])
        row.rank = previous[1] if previous and previous[0] == standing else position
        previous = (standing, row.rank)
    for row in others:
        row.enough, row.rank = False, None
    return enough + sorted(others, key=lambda r: r.label.casefold())


def lowest_procedures(filters, min_sample, now=None, count=LOWEST_COUNT):
    """Procedures with at least min_sample responses, by the lower bound of their share satisfied, worst first."""
    rows = [row for row in figures(filters, "procedure", now) if row.responses >= max(min_sample, 1)]
    for row in rows:
        row.enough = True
    return sorted(rows, key=lambda r: (r.satisfied_interval[0], r.share_satisfied, r.label.casefold()))[:count]


def trend(filters, targets, now=None):
    """Figures per month over the trend's months, each with the target of its year."""
    start, end = trend_range(filters.start, filters.end)
    rows = figures(replace(filters, start=start, end=end), "month", now)
    for row in rows:
        row.target = target_for(row.key[0], targets)
    return rows


# --- criteria and reasons ----------------------------------------------------------------------------------------

@dataclass
class CriterionFigures:
    """How the answers to one criterion were spread, and the share that met it."""

    criterion: survey.Criterion
    counts: dict = field(default_factory=dict)

    @property
    def answers(self):
        """Every answer given, "does not apply" included."""
        return sum(self.counts.values())

    @property
    def counted(self):
        """Answers that count: those that do not mean "does not apply"."""
        skip = survey.NOT_COUNTED.get(self.criterion.key, ())
        return sum(n for value, n in self.counts.items() if value not in skip)

    @property
    def met(self):
        """Answers among the good ones."""
        return sum(self.counts.get(value, 0) for value in self.criterion.good)

    @property
    def share_met(self):
        """Met / counted."""
        return ratio(self.met, self.counted)

    def spread(self):
        """(value, label, count, not counted?) of each possible answer, in the survey's order."""
        skip = survey.NOT_COUNTED.get(self.criterion.key, ())
        return [(value, label, self.counts.get(value, 0), value in skip) for value, label in self.criterion.choices]


@dataclass
class TagFigures:
    """How often a reason was marked as going well and as going badly."""

    key: str
    label: object
    good: int = 0
    bad: int = 0


def details(filters):
    """(criteria, tags): the breakdown of the optional answers of the period's responses."""
    stmt = (sa.select(SurveyDetail.item, SurveyDetail.value, sa.func.count(SurveyDetail.id))
            .join(SurveyResponse, SurveyDetail.response_id == SurveyResponse.id)
            .join(Dossier, SurveyResponse.dossier_id == Dossier.id)
            .where(*filters.completed_in_period()).group_by(SurveyDetail.item, SurveyDetail.value))
    criteria = {c.key: CriterionFigures(c) for c in survey.CRITERIA}
    tags = {key: TagFigures(key, label) for key, label in survey.TAGS}
    for item, value, count in db.session.execute(stmt):
        if item.startswith("tag:") and item[4:] in tags and value in ("good", "bad"):
            setattr(tags[item[4:]], value, getattr(tags[item[4:]], value) + count)
        elif item in criteria and value in dict(criteria[item].criterion.choices):
            criteria[item].counts[value] = criteria[item].counts.get(value, 0) + count
    return list(criteria.values()), list(tags.values())


# --- questions and answers -------------------------------------------------------------------------------------

def qa_by_agency(start, end, agency_id=None):
    """Question-and-answer figures per agency id for the period (reusing feedback/figures.compute)."""
    from .figures import compute

    agencies = sa.select(Agency.id, Agency.name)
    if agency_id is not None:
        agencies = agencies.where(Agency.id == agency_id)
    ids_by_name = {}
    for id_, name in db.session.execute(agencies):
        ids_by_name.setdefault(name, []).append(id_)
    computed = {}
    if agency_id is not None:
        computed[agency_id] = compute(start, end, agency_id)
    else:
        rows = compute(start, end)
        for name in {row.agency for row in rows}:
            ids = ids_by_name.get(name, [])
            if len(ids) == 1:
                computed[ids[0]] = [row for row in rows if row.agency == name]
            else:  # agencies that share a name: their figures are asked for one by one
                for id_ in ids:
                    computed[id_] = compute(start, end, id_)
    result = {id_: QaFigures(sum(r.answered for r in rows), sum(r.on_time for r in rows))
              for id_, rows in computed.items()}
    low, high = local_bounds(start, end)
    votes = (sa.select(Question.agency_id, sa.func.count(HelpfulVote.id), _flag(HelpfulVote.helpful.is_(True)))
             .join(Question, HelpfulVote.question_id == Question.id)
             .where(Question.state == QuestionState.PUBLISHED, Question.agency_id.is_not(None),
                    HelpfulVote.created_at >= low, HelpfulVote.created_at < high)
             .group_by(Question.agency_id))
    if agency_id is not None:
        votes = votes.where(Question.agency_id == agency_id)
    for id_, cast, helpful in db.session.execute(votes):
        qa = result.setdefault(id_, QaFigures())
        qa.votes, qa.helpful = int(cast), int(helpful or 0)
    return result


def attach_qa(rows, qa):
    """Give each agency row its question-and-answer figures; return their sum."""
    for row in rows:
        row.qa = qa.get(row.key, QaFigures())
    summed = QaFigures()
    for figures_ in qa.values():
        summed = summed + figures_
    return summed


# --- lists -----------------------------------------------------------------------------------------------------

def comments(filters, limit=200):
    """The comments of the period's answers, newest first, for the agency's own eyes (never contact data)."""
    stmt = (sa.select(SurveyResponse.answered_at, SurveyResponse.scale, SurveyResponse.rating,
                      SurveyResponse.comment, Dossier.code, Dossier.completed_on, Procedure.name)
            .join(Dossier, SurveyResponse.dossier_id == Dossier.id)
            .join(Procedure, Dossier.procedure_id == Procedure.id)
            .where(SurveyResponse.comment.is_not(None), *filters.completed_in_period())
            .order_by(SurveyResponse.answered_at.desc(), SurveyResponse.id.desc()).limit(limit))
    return [{"answered_at": answered, "rating": str(dict(survey.levels(scale)).get(rating, rating)),
             "comment": comment, "code": code, "completed_on": completed, "procedure": procedure}
            for answered, scale, rating, comment, code, completed, procedure in db.session.execute(stmt)]


def procedure_choices(filters):
    """Procedures with dossiers completed in the period (within the agency filter), to choose from."""
    scope = replace(filters, procedure_id=None, topic_id=None, channel=None)
    ids = sa.select(Dossier.procedure_id).where(*scope.completed_in_period()).distinct()
    return db.session.execute(sa.select(Procedure.id, Procedure.name).where(Procedure.id.in_(ids))
                              .order_by(Procedure.name)).all()


# --- the home page ---------------------------------------------------------------------------------------------

def headline(start, end, now=None):
    """Province-wide share satisfied and on-time rate for a period, in one query (the same definitions as
    figures(): completed dossiers of the period, plus open ones due in it and already late)."""
    now = now or utcnow()
    low, high = local_bounds(start, end)
    completed = Dossier.completed_on.is_not(None)
    stmt = (sa.select(_flag(completed), sa.func.count(SurveyResponse.id), _flag(SurveyResponse.satisfied.is_(True)),
                      _flag(SurveyResponse.dissatisfied.is_(True)),
                      _flag(sa.and_(completed, Dossier.due_at.is_not(None), Dossier.completed_at <= Dossier.due_at)),
                      _flag(sa.and_(Dossier.due_at.is_not(None), sa.or_(Dossier.completed_at > Dossier.due_at,
                                                                        sa.not_(completed)))))
            .select_from(Dossier).outerjoin(SurveyResponse, SurveyResponse.dossier_id == Dossier.id)
            .where(sa.or_(Dossier.completed_on.between(start, end),
                          sa.and_(Dossier.completed_on.is_(None), Dossier.due_at >= low, Dossier.due_at < high,
                                  Dossier.due_at < now))))
    done, responses, satisfied, dissatisfied, on_time, late = (int(v or 0) for v in db.session.execute(stmt).one())
    return Figures(None, "", completed=done, responses=responses, satisfied=satisfied, dissatisfied=dissatisfied,
                   on_time=on_time, late=late)
