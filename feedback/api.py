"""(being written)"""
from flask import Blueprint

from extensions import csrf

api_bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(api_bp)
