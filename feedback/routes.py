"""Public pages of the question-and-answer service and of the satisfaction survey."""
from web import render

from . import bp


@bp.route("/hoi-dap")
def question_list():
    """Published questions and their answers, newest first."""
    return render("feedback/question_list.html", questions=[])


@bp.route("/danh-gia")
def survey_start():
    """Rate a completed dossier: the entry point printed on result slips."""
    return render("feedback/survey_start.html")
