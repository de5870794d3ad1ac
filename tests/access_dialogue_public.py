"""Access table of the public and live parts of dialogue sessions (merged into tests/test_access.py)."""
from access_roles import PUBLIC

ROUTES = {
    "dialogue.session_list": ("GET", "/doi-thoai", PUBLIC),
}
