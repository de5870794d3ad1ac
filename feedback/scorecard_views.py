"""The satisfaction scorecard for leaders and moderators, the public transparency page, and their CSV/XLSX
exports. Leaders see their own agency only, with the comments of its answers; moderators and administrators
every agency without comments; the public aggregate figures only. The figures are defined in scorecard.py."""
import csv
import io
from dataclasses import dataclass, field as dc_field, replace
from datetime import datetime

import sqlalchemy as sa
from flask import Response, abort, current_app, request, url_for
from flask_babel import format_decimal, format_percent, get_locale, gettext as _
from flask_login import current_user

import workdays
from accounts.auth import role_required
from accounts.models import Agency, Role, Topic
from extensions import db, limiter
from web import render, spreadsheet_cell

from . import bp, charts, scorecard as sc
from .survey_models import CHANNEL_LABELS, Channel, SurveyFollowUp

GROUP_LABELS = {
    "agency": lambda: _("Agency"), "procedure": lambda: _("Procedure"), "field": lambda: _("Field"),
    "channel": lambda: _("Channel"), "month": lambda: _("Month"),
}
CHART_BARS = 30


# --- formats ---------------------------------------------------------------------------------------------------

@bp.app_template_filter("percent")
def percent(value, short=False):
    """A share as people read it here: "97,62 %" in Vietnamese, "97.62%" in English; short: "97,6" for charts."""
    if value is None:
        return "—"
    if short:
        return format_decimal(value * 100, format="#,##0.#")
    if get_locale().language == "vi":
        return format_decimal(value * 100, format="#,##0.##") + "\u00a0%"
    return format_percent(value, format="#,##0.##%")


@bp.app_template_filter("interval")
def interval(bounds):
    """A confidence interval as "95,1 % – 99,5 %"."""
    if not bounds:
        return "—"
    return f"{percent(bounds[0])} – {percent(bounds[1])}"


@bp.app_template_filter("day")
def day(value):
    """A calendar date as dd/mm/yyyy."""
    return value.strftime("%d/%m/%Y") if value else ""


# --- what was asked for ----------------------------------------------------------------------------------------

def _parse_day(raw):
    """A date typed as 2026-03-31 (the date picker) or 31/03/2026; None when it is neither."""
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    return None


def _int(raw):
    """A positive id, or None."""
    return int(raw) if raw.isdigit() and 0 < int(raw) < 2 ** 31 else None


@dataclass
class Query:
    """The filters of a page as read from its address, with what was typed and what could not be read."""

    filters: sc.Filters
    group: str
    typed: dict
    errors: dict = dc_field(default_factory=dict)

    def args(self, **changes):
        """The query string of these filters (for links and exports)."""
        f = self.filters
        values = {"from": f.start.isoformat(), "to": f.end.isoformat(), "agency": f.agency_id,
                  "procedure": f.procedure_id, "field": f.topic_id, "channel": f.channel.value if f.channel else None,
                  "group": self.group, **changes}
        return {key: value for key, value in values.items() if value not in (None, "")}


def read_query(args, agency_id=None, default_group="agency"):
    """Filters from the address: a bad date keeps the default (this quarter so far) and says why; agency_id, when
    given, replaces whatever agency was asked for (a leader's own)."""
    typed = {name: args.get(name, "").strip()[:40] for name in
             ("from", "to", "agency", "procedure", "field", "channel", "group")}
    start, end = sc.periods(workdays.today())["quarter"]
    errors = {}
    for name in ("from", "to"):
        if typed[name]:
            parsed = _parse_day(typed[name])
            if parsed is None:
                errors[name] = _("Enter a date such as 31/03/2026.")
            elif name == "from":
                start = parsed
            else:
                end = parsed
    if start > end:
        errors["to"] = _("The end date is before the start date; the two have been swapped.")
        start, end = end, start
    channel = typed["channel"] if typed["channel"] in {c.value for c in Channel} else None
    group = typed["group"] if typed["group"] in sc.GROUPS else default_group
    filters = sc.Filters(start, end, agency_id if agency_id is not None else _int(typed["agency"]),
                         _int(typed["procedure"]), _int(typed["field"]), Channel(channel) if channel else None)
    return Query(filters, group, typed, errors)


def _own_agency():
    """A leader's agency (the only one their scorecard shows), or None for moderators and administrators."""
    return current_user.agency_id if current_user.role is Role.LEADER else None


def _scorecard_query():
    """The scorecard's filters for the signed-in user."""
    own = _own_agency()
    return read_query(request.args, own, "procedure" if own else "agency")


def quick_periods(endpoint, query, keep=True):
    """(label, address, current?) of the quick period links; keep: the other filters stay as they are."""
    labels = {"month": _("This month"), "quarter": _("This quarter"), "last_quarter": _("Last quarter"),
              "year": _("This year"), "last_12_months": _("Last 12 months")}
    links = []
    for key, (start, end) in sc.periods(workdays.today()).items():
        dates = {"from": start.isoformat(), "to": end.isoformat()}
        args = query.args(**dates) if keep else dates
        links.append((labels[key], url_for(endpoint, **args),
                      (start, end) == (query.filters.start, query.filters.end)))
    return links


# --- the figures of a page -------------------------------------------------------------------------------------

def _targets():
    return current_app.config["SURVEY_TARGETS"]


def _min_sample():
    return current_app.config["SURVEY_MIN_SAMPLE"]


def grouped(query):
    """The grouped rows (ranked when the grouping ranks) and their total."""
    rows = sc.figures(query.filters, query.group)
    if query.group in sc.RANKED_GROUPS:
        rows = sc.rank(rows, _min_sample())
    return rows, sc.total(rows)


def qa_rows(query):
    """Question-and-answer figures per agency in scope, named, and their sum."""
    qa = sc.qa_by_agency(query.filters.start, query.filters.end, query.filters.agency_id)
    names = dict(db.session.execute(sa.select(Agency.id, Agency.name).where(Agency.id.in_(list(qa)))).all())
    rows = sorted(((names.get(key, "?"), figures) for key, figures in qa.items()), key=lambda r: r[0].casefold())
    summed = sc.QaFigures()
    for _name, figures in rows:
        summed = summed + figures
    return rows, summed


def _scorecard_data(query):
    """Everything the scorecard page shows."""
    filters = query.filters
    rows, summary = grouped(query)
    trend = sc.trend(filters, _targets())
    criteria, tags = sc.details(filters)
    qa, qa_total = qa_rows(query)
    own = _own_agency()
    data = dict(query=query, rows=rows, summary=summary, trend=trend, criteria=criteria, tags=tags,
                lowest=sc.lowest_procedures(filters, _min_sample()), qa=qa, qa_total=qa_total,
                comments=sc.comments(filters) if own else None, own_agency=db.session.get(Agency, own) if own else None,
                open_follow_ups=_open_follow_ups(own) if own else None, min_sample=_min_sample())
    data["drill"] = _drill_links(query, rows)
    svg, has_index = trend_chart("trend-chart", trend)
    data["charts"] = {"trend": svg, "trend_index": has_index,
                      "groups": groups_chart("groups-chart", rows, query.group, filters.end.year)}
    return data


def _drill_links(query, rows):
    """Where each row of the table leads: the scorecard filtered by it, grouped one level down."""
    own = _own_agency()
    if query.group == "month" or (query.group == "agency" and own):
        return {}
    filter_name = {"agency": "agency", "procedure": "procedure", "field": "field", "channel": "channel"}[query.group]
    below = {"agency": "procedure", "procedure": "channel" if own else "agency", "field": "procedure",
             "channel": "procedure"}[query.group]
    return {row.key: url_for("feedback.scorecard", **query.args(
        **{filter_name: row.key.value if isinstance(row.key, Channel) else row.key, "group": below}))
        for row in rows if row.key is not None}


def _open_follow_ups(agency_id):
    """How many follow-ups the agency still has to close."""
    return db.session.scalar(sa.select(sa.func.count(SurveyFollowUp.id)).where(
        SurveyFollowUp.agency_id == agency_id, SurveyFollowUp.closed_at.is_(None)))


def _choices(query):
    """The lists the filter form chooses from."""
    agencies = [] if _own_agency() else \
        db.session.execute(sa.select(Agency.id, Agency.name).order_by(Agency.name)).all()
    return dict(agencies=agencies, procedures=sc.procedure_choices(query.filters),
                topics=db.session.execute(sa.select(Topic.id, Topic.name).order_by(Topic.name)).all(),
                channels=[(c.value, CHANNEL_LABELS[c]) for c in Channel],
                groups=[(g, GROUP_LABELS[g]()) for g in sc.GROUPS],
                periods=quick_periods("feedback.scorecard", query))


# --- charts ----------------------------------------------------------------------------------------------------

def trend_chart(chart_id, rows):
    """The monthly trend of the share satisfied and the 766 index against the target: (svg, whether the index
    has a line of its own); (None, False) without answers."""
    if not any(row.responses for row in rows):
        return None, False
    labels = [f"{m:02d}" for _y, m in (row.key for row in rows)]
    years = [str(y) if i == 0 or m == 1 else "" for i, (y, m) in enumerate(row.key for row in rows)]
    satisfied = [row.share_satisfied for row in rows]
    index = [row.index_766 for row in rows]
    if index == satisfied:  # three levels: the index is the share satisfied, one line says both
        series = [charts.Series(_("Share satisfied"), satisfied, "circle", False, "auto")]
    else:  # the index is never below the share: its labels above its points, the share's below
        series = [charts.Series(_("Share satisfied"), satisfied, "circle", False, "below"),
                  charts.Series(_("Decision 766 index"), index, "square", True, "above")]
    last = next(row for row in reversed(rows) if row.responses)
    desc = _("Share satisfied per month from %(first)s to %(last)s, with the Decision 766 index and the target. "
             "In %(month)s: %(share)s satisfied, target %(target)s. The table below gives every value.",
             first=rows[0].label, last=rows[-1].label, month=last.label, share=percent(last.share_satisfied),
             target=percent(last.target))
    svg = charts.line_chart(chart_id, _("Satisfaction by month against the target"), desc, labels, series,
                            percent, target=[row.target for row in rows], target_label=_("Target"), years=years)
    return svg, len(series) == 2


def groups_chart(chart_id, rows, group, year):
    """Bars of the share satisfied per group; groups below the minimum sample are hatched."""
    shown = [row for row in rows if row.responses][:CHART_BARS]
    if not shown or group == "month":
        return None
    ranked = group in sc.RANKED_GROUPS
    few = _("(too few answers)")
    bars = [charts.Bar(row.label, row.share_satisfied, row.satisfied_interval, hatched=ranked and not row.enough,
                       note=few if ranked and not row.enough else "") for row in shown]
    desc = _("Share satisfied per %(group)s with its %(level)s confidence interval; hatched bars have too few "
             "answers to rank. The table below gives every value.", group=GROUP_LABELS[group]().lower(),
             level=percent(0.95))
    target = sc.target_for(year, _targets())
    return charts.bar_chart(chart_id, _("Share satisfied by %(group)s", group=GROUP_LABELS[group]().lower()), desc,
                            bars, percent, target=target, target_label=_("Target"))


# --- pages -----------------------------------------------------------------------------------------------------

@bp.route("/can-bo/thong-ke-danh-gia")
@role_required(Role.LEADER, Role.MODERATOR, Role.ADMIN)
def scorecard():
    """The satisfaction scorecard: filters and grouping, summary, trend, table, criteria, reasons, lowest-rated
    procedures, the question-and-answer figures; a leader's own agency only, with its comments."""
    query = _scorecard_query()
    return render("scorecard/scorecard.html", **_scorecard_data(query),
                  **_choices(query), swatch=charts.swatch, group_label=GROUP_LABELS[query.group]())


def _transparency_data(query):
    """The public figures: province-wide, per agency (ranked above the minimum sample), trend."""
    filters = replace(query.filters, agency_id=None, procedure_id=None, topic_id=None, channel=None)
    rows = sc.rank(sc.figures(filters, "agency"), _min_sample())
    province = sc.total(rows)
    province.qa = sc.attach_qa(rows, sc.qa_by_agency(filters.start, filters.end))
    trend = sc.trend(filters, _targets())
    svg, has_index = trend_chart("trend-chart", trend)
    return dict(query=query, rows=rows, province=province, trend=trend, min_sample=_min_sample(),
                charts={"trend": svg, "trend_index": has_index,
                        "agencies": groups_chart("agencies-chart", rows, "agency", filters.end.year)})


@bp.route("/thong-ke")
def transparency():
    """Public figures of the satisfaction survey: never an individual answer, a comment or contact data."""
    query = read_query(request.args)
    return render("scorecard/transparency.html", **_transparency_data(query),
                  periods=quick_periods("feedback.transparency", query, keep=False), swatch=charts.swatch)


# --- exports ---------------------------------------------------------------------------------------------------

@dataclass
class Table:
    """A table to export: columns (header, kind) with kinds text, int, pct, date, datetime; rows of values."""

    name: str
    columns: list
    rows: list


def _figure_columns(first):
    """The columns of a row of figures."""
    return [(first, "text"), (_("Rank"), "int"), (_("Dossiers completed"), "int"), (_("Responses"), "int"),
            (_("Response rate"), "pct"), (_("Satisfied"), "int"), (_("Share satisfied"), "pct"),
            (_("Share satisfied, interval from"), "pct"), (_("Share satisfied, interval to"), "pct"),
            (_("Dissatisfied"), "int"), (_("Decision 766 index"), "pct"), (_("766 index, interval from"), "pct"),
            (_("766 index, interval to"), "pct"), (_("On time"), "int"), (_("Late"), "int"),
            (_("On-time rate"), "pct"), (_("Completed online"), "int"), (_("Share online"), "pct"),
            (_("Ranked"), "text")]


def _figure_values(row, label, ranked=True):
    """The values of a row of figures, in the order of _figure_columns."""
    s, i = row.satisfied_interval or (None, None), row.index_interval or (None, None)
    status = "" if not ranked else (_("Yes") if row.enough else _("Not enough answers to rank"))
    return [label, row.rank, row.completed, row.responses, row.response_rate, row.satisfied, row.share_satisfied,
            s[0], s[1], row.dissatisfied, row.index_766, i[0], i[1], row.on_time, row.late, row.on_time_rate,
            row.online, row.share_online, status]


def _qa_columns():
    return [(_("Answers published"), "int"), (_("Answered on time"), "int"), (_("Answers on-time rate"), "pct"),
            (_("Helpful votes"), "int"), (_("Votes"), "int"), (_("Answers found helpful"), "pct")]


def _qa_values(qa):
    qa = qa or sc.QaFigures()
    return [qa.answered, qa.on_time, qa.on_time_rate, qa.helpful, qa.votes, qa.helpfulness]


def _trend_table(rows):
    columns = [(_("Month"), "text"), (_("Dossiers completed"), "int"), (_("Responses"), "int"),
               (_("Share satisfied"), "pct"), (_("Decision 766 index"), "pct"), (_("Target"), "pct"),
               (_("Target met"), "text"), (_("On-time rate"), "pct")]
    met = {True: _("Yes"), False: _("No"), None: ""}
    return Table("trend", columns, [[r.label, r.completed, r.responses, r.share_satisfied, r.index_766, r.target,
                                     met[r.meets_target], r.on_time_rate] for r in rows])


def _scorecard_table(name, query):
    """One table of the scorecard, built from the same figures as the page."""
    filters = query.filters
    if name == "groups":
        rows, summary = grouped(query)
        ranked = query.group in sc.RANKED_GROUPS
        return Table(name, _figure_columns(GROUP_LABELS[query.group]()),
                     [_figure_values(r, r.label, ranked) for r in rows] + [_figure_values(summary, _("All"), False)])
    if name == "trend":
        return _trend_table(sc.trend(filters, _targets()))
    if name == "criteria":
        criteria, _tags = sc.details(filters)
        yes_no = {True: _("Yes"), False: _("No")}
        return Table(name, [(_("Criterion"), "text"), (_("Answer"), "text"), (_("Answers"), "int"),
                            (_("Counted"), "text"), (_("Meets the criterion"), "text"),
                            (_("Share meeting the criterion"), "pct")],
                     [[str(c.criterion.label), str(label), count, yes_no[not skipped],
                       yes_no[value in c.criterion.good], c.share_met]
                      for c in criteria for value, label, count, skipped in c.spread()])
    if name == "tags":
        _criteria, tags = sc.details(filters)
        return Table(name, [(_("Reason"), "text"), (_("Went well"), "int"), (_("Went badly"), "int")],
                     [[str(t.label), t.good, t.bad] for t in tags])
    if name == "lowest":
        rows = sc.lowest_procedures(filters, _min_sample())
        return Table(name, _figure_columns(_("Procedure")), [_figure_values(r, r.label, False) for r in rows])
    if name == "qa":
        rows, summed = qa_rows(query)
        return Table(name, [(_("Agency"), "text"), *_qa_columns()],
                     [[n, *_qa_values(qa)] for n, qa in rows] + [[_("All"), *_qa_values(summed)]])
    if name == "comments" and _own_agency():
        return Table(name, [(_("Answered"), "datetime"), (_("Dossier code"), "text"), (_("Completed"), "date"),
                            (_("Procedure"), "text"), (_("Overall rating"), "text"), (_("Comment"), "text")],
                     [[c["answered_at"], c["code"], c["completed_on"], c["procedure"], c["rating"], c["comment"]]
                      for c in sc.comments(filters, limit=10000)])
    abort(404)


@bp.route("/can-bo/thong-ke-danh-gia/xuat.<any(csv, xlsx):fmt>")
@role_required(Role.LEADER, Role.MODERATOR, Role.ADMIN)
def scorecard_export(fmt):
    """One table of the scorecard (?table=groups|trend|criteria|tags|lowest|qa|comments) as CSV or XLSX."""
    query = _scorecard_query()
    table = _scorecard_table(request.args.get("table", "groups"), query)
    return _download(table, fmt, "danh-gia", query.filters)


@bp.route("/thong-ke/xuat.<any(csv, xlsx):fmt>")
@limiter.limit("20 per minute", scope="transparency-export")
def transparency_export(fmt):
    """The public figures (?table=agencies|trend) as CSV or XLSX: aggregates only."""
    query = read_query(request.args)
    name = request.args.get("table", "agencies")
    if name not in ("agencies", "trend"):
        abort(404)
    data = _transparency_data(query)
    province = data["province"]
    if name == "trend":
        table = _trend_table(data["trend"])
    else:
        table = Table(name, _figure_columns(_("Agency")) + _qa_columns(),
                      [_figure_values(r, r.label) + _qa_values(r.qa) for r in data["rows"]]
                      + [_figure_values(province, _("Whole province"), False) + _qa_values(province.qa)])
    return _download(table, fmt, "thong-ke", query.filters)


def _download(table, fmt, prefix, filters):
    """The table as a file named after it and the period."""
    filename = f"{prefix}-{table.name}-{filters.start.isoformat()}-{filters.end.isoformat()}.{fmt}"
    if fmt == "csv":
        response = Response(_csv(table), mimetype="text/csv; charset=utf-8")
    else:
        response = Response(_xlsx(table), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response



def _csv(table):
    """CSV in UTF-8 with a BOM (spreadsheets then read the Vietnamese letters); shares in per cent."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([f"{header} (%)" if kind == "pct" else header for header, kind in table.columns])
    for row in table.rows:
        out = []
        for (_header, kind), value in zip(table.columns, row):
            if value is not None and kind == "pct":
                value = round(value * 100, 2)
            elif value is not None and kind == "date":
                value = value.isoformat()
            elif value is not None and kind == "datetime":
                value = _local(value).strftime("%Y-%m-%d %H:%M")
            out.append(spreadsheet_cell(value))
        writer.writerow(out)
    return buffer.getvalue()


def _local(moment):
    """A stored (UTC) time in Vietnam."""
    from flask_babel import to_user_timezone

    return to_user_timezone(moment).replace(tzinfo=None)


def _xlsx(table):
    """An XLSX workbook with a bold header row, shares formatted as percentages and text never read as a formula."""
    import xlsxwriter

    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False})
    sheet = book.add_worksheet(table.name[:31])
    formats = {"header": book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bottom": 1}),
               "pct": book.add_format({"num_format": "0.00%"}), "int": book.add_format({"num_format": "#,##0"}),
               "date": book.add_format({"num_format": "dd/mm/yyyy"}),
               "datetime": book.add_format({"num_format": "dd/mm/yyyy hh:mm"})}
    for col, (header, kind) in enumerate(table.columns):
        sheet.write_string(0, col, str(header), formats["header"])
        sheet.set_column(col, col, 40 if col == 0 else (14 if kind != "text" else 24))
    for r, row in enumerate(table.rows, start=1):
        for col, ((_header, kind), value) in enumerate(zip(table.columns, row)):
            if value is None or value == "":
                sheet.write_blank(r, col, None)
            elif kind in ("int", "pct"):
                sheet.write_number(r, col, value, formats[kind])
            elif kind == "date":
                sheet.write_datetime(r, col, datetime.combine(value, datetime.min.time()), formats["date"])
            elif kind == "datetime":
                sheet.write_datetime(r, col, _local(value), formats["datetime"])
            else:
                sheet.write_string(r, col, str(value))
    sheet.freeze_panes(1, 1)
    book.close()
    return output.getvalue()
