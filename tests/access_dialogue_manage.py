"""Access table of the moderators' management of dialogue sessions and their archive (merged into
tests/test_access.py)."""
from access_roles import MODERATORS, PUBLIC  # noqa: F401

ROUTES = {
}
