"""Citizens ask, agencies answer; and the satisfaction survey after each completed dossier."""
from flask import Blueprint

bp = Blueprint("feedback", __name__)

from . import (api_admin, counter_views, dossier_desk, dossier_import, figures, follow_up_views, routes,  # noqa: E402,F401
               scorecard_views, staff, survey_routes)
