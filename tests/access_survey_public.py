"""Access table of the satisfaction survey's public routes, the counters and their tablets (merged into
tests/test_access.py). {token} is the survey of a completed, unanswered dossier; {counter} belongs to an agency
no test user belongs to."""
from accounts.models import Role

from access_roles import MODERATORS, OFFICIALS, PUBLIC  # noqa: F401

AGENCY_HANDS = frozenset({Role.STAFF, Role.LEADER})
MANAGERS = frozenset({Role.LEADER, Role.ADMIN})
NOBODY = frozenset()
NO_SUCH_DEVICE = 2_000_000_000  # unpairing a tablet that is already gone is a no-op that says so

ROUTES = {
    "feedback.survey_start": ("GET", "/danh-gia", PUBLIC),
    "feedback.survey": ("GET", "/danh-gia/{token}", PUBLIC),
    # Not answered yet: the details page sends the person to the question first.
    "feedback.survey_details": ("GET", "/danh-gia/{token}/chi-tiet", PUBLIC),
    "feedback.survey_thanks": ("GET", "/danh-gia/cam-on", PUBLIC),
    "feedback.survey_qr": ("GET", "/danh-gia/{token}/ma-qr.png", PUBLIC),
    "feedback.counters": ("GET", "/can-bo/quay", MANAGERS),
    "feedback.counter_unpair": ("POST", f"/can-bo/quay/thiet-bi/{NO_SUCH_DEVICE}/huy", MANAGERS),
    # Staff and leaders pair tablets of their own agency's counters only.
    "feedback.counter_pair": ("GET", "/can-bo/quay/{counter}/ghep-may", NOBODY, AGENCY_HANDS),
    # Without a paired device's cookie: a page saying how to pair, and a refused answer goes back to it.
    "feedback.tablet": ("GET", "/quay-danh-gia", PUBLIC),
    "feedback.tablet_answer": ("POST", "/quay-danh-gia/tra-loi", PUBLIC),
}
