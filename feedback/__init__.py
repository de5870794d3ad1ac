"""Citizens ask, agencies answer; and the satisfaction survey after each completed dossier."""
from flask import Blueprint

bp = Blueprint("feedback", __name__)

from . import routes  # noqa: E402,F401
