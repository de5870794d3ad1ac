"""Citizens ask, agencies answer; and the satisfaction survey after each completed dossier."""
from flask import Blueprint

bp = Blueprint("feedback", __name__)

from . import figures, routes, staff  # noqa: E402,F401
