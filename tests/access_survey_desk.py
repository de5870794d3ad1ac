"""Access table of the satisfaction survey's desk routes (merged into tests/test_access.py)."""
from access_roles import MODERATORS, OFFICIALS, PUBLIC  # noqa: F401

ROUTES = {
}
