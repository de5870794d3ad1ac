"""Access table of the satisfaction survey's api routes (merged into tests/test_access.py).

The administrators' key pages are role-based like every page. The JSON API under /api/v1 is not: a browser
session gives no right there, and every call needs an API key ('Authorization: Bearer …'), answering 401 JSON to
any role without one (tests/test_api_keys.py checks that for every role and every API route). The table's role
semantics (200 for allowed roles, a sign-in redirect for the others) cannot describe that, so each API route is
listed with the one request that every role, signed in or not, gets answered alike without a key: OPTIONS (and
GET for the public OpenAPI document)."""
from accounts.models import Role

from access_roles import MODERATORS, OFFICIALS, PUBLIC  # noqa: F401

ADMIN = frozenset({Role.ADMIN})

ROUTES = {
    "feedback.api_keys": ("GET", "/quan-tri/khoa-api", ADMIN),
    "feedback.api_key_create": ("GET", "/quan-tri/khoa-api/tao", ADMIN),
    "feedback.api_key_revoke": ("POST", "/quan-tri/khoa-api/{api_key}/thu-hoi", ADMIN),
    "api.openapi_document": ("GET", "/api/v1/openapi.json", PUBLIC),
    "api.dossier_create": ("OPTIONS", "/api/v1/dossiers", PUBLIC),
    "api.dossier_batch": ("OPTIONS", "/api/v1/dossiers/batch", PUBLIC),
    "api.dossier_detail": ("OPTIONS", "/api/v1/dossiers/H21.00001-261121-0001", PUBLIC),
}
