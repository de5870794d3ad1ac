"""Accounts: users, roles, agencies, topics, signing in and out."""
from flask import Blueprint

bp = Blueprint("accounts", __name__)

from . import admin, routes  # noqa: E402,F401  (registers the views)
