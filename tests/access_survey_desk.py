"""Access table of the satisfaction survey's desk routes (merged into tests/test_access.py)."""
from accounts.models import Role

from access_roles import MODERATORS, OFFICIALS, PUBLIC  # noqa: F401

AGENCY_PEOPLE = frozenset({Role.STAFF, Role.LEADER})
IMPORTERS = frozenset({Role.STAFF, Role.LEADER, Role.ADMIN})

# {dossier} belongs to an agency no test user belongs to: staff and leaders are let in, then refused (403).
ROUTES = {
    "feedback.dossier_list": ("GET", "/can-bo/ho-so", OFFICIALS),
    "feedback.dossier_detail": ("GET", "/can-bo/ho-so/{dossier}", MODERATORS, OFFICIALS),
    "feedback.dossier_slip": ("GET", "/can-bo/ho-so/{dossier}/phieu", MODERATORS, OFFICIALS),
    "feedback.dossier_hand_over": ("POST", "/can-bo/ho-so/{dossier}/trao-ket-qua", frozenset(), AGENCY_PEOPLE),
    "feedback.dossier_withdraw": ("POST", "/can-bo/ho-so/{dossier}/rut-khoi-may", frozenset(), AGENCY_PEOPLE),
    "feedback.dossier_import": ("GET", "/can-bo/ho-so/nhap", IMPORTERS),
    "feedback.dossier_import_template": ("GET", "/can-bo/ho-so/nhap/mau.csv", IMPORTERS),
}
