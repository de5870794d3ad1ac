"""Access table of the satisfaction survey's scorecard routes (merged into tests/test_access.py)."""
from accounts.models import Role

from access_roles import MODERATORS, OFFICIALS, PUBLIC  # noqa: F401

SCORECARD_ROLES = frozenset({Role.LEADER, Role.MODERATOR, Role.ADMIN})

ROUTES = {
    "feedback.scorecard": ("GET", "/can-bo/thong-ke-danh-gia", SCORECARD_ROLES),
    "feedback.scorecard_export": ("GET", "/can-bo/thong-ke-danh-gia/xuat.csv?table=groups", SCORECARD_ROLES),
    "feedback.transparency": ("GET", "/thong-ke", PUBLIC),
    "feedback.transparency_export": ("GET", "/thong-ke/xuat.xlsx?table=agencies", PUBLIC),
    # Comments stay with the agency: moderators do not see the follow-up list.
    "feedback.follow_ups": ("GET", "/can-bo/danh-gia/theo-doi", frozenset({Role.STAFF, Role.LEADER, Role.ADMIN})),
    # {follow_up} belongs to an agency no test user leads: only an administrator may close it.
    "feedback.follow_up_close": ("POST", "/can-bo/danh-gia/theo-doi/{follow_up}/dong", frozenset({Role.ADMIN}),
                                 frozenset({Role.LEADER, Role.ADMIN})),
}
