"""Access table of the moderators' management of dialogue sessions and their archive (merged into
tests/test_access.py). {ended_session} is an ended session with a cover image and one answered question."""
from access_roles import MODERATORS, PUBLIC  # noqa: F401

ROUTES = {
    "dialogue.manage_list": ("GET", "/quan-ly/doi-thoai", MODERATORS),
    "dialogue.manage_new": ("GET", "/quan-ly/doi-thoai/moi", MODERATORS),
    "dialogue.manage_edit": ("GET", "/quan-ly/doi-thoai/{session}/sua", MODERATORS),
    "dialogue.manage_move": ("POST", "/quan-ly/doi-thoai/{session}/trang-thai?to=ended", MODERATORS),
    "dialogue.cover": ("GET", "/doi-thoai/{ended_session}/anh-bia", PUBLIC),
    "dialogue.transcript": ("GET", "/doi-thoai/{ended_session}/bien-ban", PUBLIC),
    "dialogue.transcript_export": ("GET", "/doi-thoai/{ended_session}/bien-ban.csv", PUBLIC),
    "dialogue.archive_search": ("GET", "/doi-thoai/tim-kiem?q=thu+tuc", PUBLIC),
}
