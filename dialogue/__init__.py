"""Online dialogue sessions: announce, collect questions, answer live, keep the archive."""
from flask import Blueprint

bp = Blueprint("dialogue", __name__)

from . import archive, manage, routes  # noqa: E402,F401
