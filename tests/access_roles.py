"""The groups of roles that the access tables use."""
from accounts.models import Role

ANONYMOUS = "anonymous"
ALL_ROLES = [ANONYMOUS, *Role]
PUBLIC = frozenset(ALL_ROLES)
SIGNED_IN = frozenset(Role)
OFFICIALS = frozenset({Role.STAFF, Role.LEADER, Role.MODERATOR, Role.ADMIN})
MODERATORS = frozenset({Role.MODERATOR, Role.ADMIN})
