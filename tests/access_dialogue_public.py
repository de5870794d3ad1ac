"""Access table of the public and live parts of dialogue sessions (merged into tests/test_access.py)."""
from access_roles import MODERATORS, OFFICIALS, PUBLIC

ROUTES = {
    "dialogue.session_list": ("GET", "/doi-thoai", PUBLIC),
    "dialogue.session_detail": ("GET", "/doi-thoai/{session}", PUBLIC),
    "dialogue.ask": ("GET", "/doi-thoai/{session}/dat-cau-hoi", PUBLIC),
    "dialogue.ask_check": ("POST", "/doi-thoai/{session}/dat-cau-hoi/kiem-tra?field=body", PUBLIC),
    "dialogue.similar": ("GET", "/doi-thoai/{session}/cau-hoi-tuong-tu?body=thu+tuc", PUBLIC),
    "dialogue.question_vote": ("POST", "/doi-thoai/{session}/cau-hoi/{dquestion}/binh-chon", PUBLIC),
    "dialogue.projector": ("GET", "/doi-thoai/{session}/trinh-chieu", PUBLIC),
    # Staff and leaders get in only as the host agency's secretary; {session} belongs to no test user's agency.
    "dialogue.console": ("GET", "/doi-thoai/{session}/dieu-hanh", MODERATORS, OFFICIALS),
    "dialogue.console_act": ("POST", "/doi-thoai/{session}/dieu-hanh/cau-hoi/{dquestion}/shortlist", MODERATORS,
                             OFFICIALS),
}
