"""(being written)"""
from web import render

from . import bp


@bp.route("/danh-gia")
def survey_start():
    """Rate a completed dossier."""
    return render("survey/start.html")
