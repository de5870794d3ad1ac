"""Working days: due dates skip weekends and the holidays kept in the database."""
from datetime import date, timedelta

import sqlalchemy as sa

from extensions import db

WEEKEND = (5, 6)  # Saturday, Sunday


def holidays_between(start, end):
    """The holidays from start to end inclusive, as a set of dates."""
    from feedback.models import Holiday

    return set(db.session.scalars(sa.select(Holiday.day).where(Holiday.day.between(start, end))))


def is_working_day(day, holidays):
    """Whether day is a working day, given a set of holidays."""
    return day.weekday() not in WEEKEND and day not in holidays


def add_working_days(start, count):
    """The date count working days after start (start itself does not count)."""
    # Enough calendar days to hold count working days even around Tết.
    holidays = holidays_between(start, start + timedelta(days=count * 2 + 30))
    day, left = start, count
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            left -= 1
    return day


def working_days_between(start, end, holidays=None):
    """How many working days lie after start up to and including end (0 when end <= start). Callers counting
    many spans pass the holidays of the whole range once, rather than a query per span."""
    if end <= start:
        return 0
    if holidays is None:
        holidays = holidays_between(start, end)
    return sum(1 for n in range(1, (end - start).days + 1)
               if is_working_day(start + timedelta(days=n), holidays))


def local_date(moment):
    """The Vietnamese calendar day of a stored (UTC) time."""
    from flask_babel import to_user_timezone

    return to_user_timezone(moment).date()


def local_midnight_utc(day):
    """The stored (UTC) time at which a Vietnamese calendar day begins."""
    from datetime import datetime, time

    from flask_babel import to_utc

    return to_utc(datetime.combine(day, time.min))


def today():
    """Today in the portal's time zone (Vietnam), where due dates are counted."""
    from flask_babel import to_user_timezone

    from database import utcnow

    try:
        return to_user_timezone(utcnow()).date()
    except RuntimeError:  # outside an app context
        return date.today()
