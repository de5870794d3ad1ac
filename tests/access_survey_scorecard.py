"""Access table of the satisfaction survey's scorecard routes (merged into tests/test_access.py)."""
from access_roles import MODERATORS, OFFICIALS, PUBLIC  # noqa: F401

ROUTES = {
}
