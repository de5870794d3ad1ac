"""Public pages of the online dialogue sessions."""
from web import render

from . import bp


@bp.route("/doi-thoai")
def session_list():
    """Upcoming, live and past dialogue sessions."""
    return render("dialogue/session_list.html", sessions=[])
