"""Who may open what: every route of the portal, for every role, against one table."""
import pytest

from accounts.models import Role

from access_roles import ALL_ROLES, ANONYMOUS, MODERATORS, OFFICIALS, PUBLIC, SIGNED_IN  # noqa: F401

# endpoint: (method, path, who may use it[, roles the view lets in before checking the object]).
# A new route must be added here, or test_every_route_is_in_the_table fails. In paths, {question} and
# {attachment} belong to an agency the signed-in user is not part of: only moderators may see them.
ROUTES = {
    "main.home": ("GET", "/", PUBLIC),
    "main.healthz": ("GET", "/healthz", PUBLIC),
    "main.set_language": ("POST", "/ngon-ngu", PUBLIC),
    "accounts.login": ("GET", "/dang-nhap", PUBLIC),
    "accounts.two_factor": ("GET", "/dang-nhap/xac-thuc", PUBLIC),
    "accounts.logout": ("POST", "/dang-xuat", PUBLIC),
    "accounts.register": ("GET", "/dang-ky", PUBLIC),
    "accounts.account": ("GET", "/tai-khoan", SIGNED_IN),
    "accounts.change_password": ("GET", "/tai-khoan/doi-mat-khau", SIGNED_IN),
    "accounts.two_factor_setup": ("GET", "/tai-khoan/xac-thuc-hai-lop", OFFICIALS),
    "accounts.delete_account": ("GET", "/tai-khoan/xoa", frozenset({Role.CITIZEN})),
    "accounts.admin_users": ("GET", "/quan-tri/nguoi-dung", frozenset({Role.ADMIN})),
    "accounts.admin_set_active": ("POST", "/quan-tri/nguoi-dung/{other}/trang-thai", frozenset({Role.ADMIN})),
    "accounts.admin_require_two_factor": ("POST", "/quan-tri/nguoi-dung/{other}/xac-thuc-hai-lop",
                                          frozenset({Role.ADMIN})),
    "accounts.admin_outbox": ("GET", "/quan-tri/thu-di", frozenset({Role.ADMIN})),
    "feedback.question_list": ("GET", "/hoi-dap", PUBLIC),
    "feedback.ask": ("GET", "/hoi-dap/dat-cau-hoi", PUBLIC),
    "feedback.my_questions": ("GET", "/tai-khoan/cau-hoi", frozenset({Role.CITIZEN})),
    "feedback.ask_check": ("POST", "/hoi-dap/dat-cau-hoi/kiem-tra?field=title", PUBLIC),
    "feedback.asked": ("GET", "/hoi-dap/da-gui", PUBLIC),
    "feedback.track": ("GET", "/tra-cuu", PUBLIC),
    "feedback.question_detail": ("GET", "/hoi-dap/{published}", PUBLIC),
    "feedback.question_helpful": ("POST", "/hoi-dap/{published}/huu-ich", PUBLIC),
    "feedback.question_feed": ("GET", "/hoi-dap/moi.atom", PUBLIC),
    "feedback.question_export": ("GET", "/hoi-dap/du-lieu.csv", PUBLIC),
    "feedback.inbox": ("GET", "/can-bo/hoi-dap", frozenset({Role.STAFF, Role.LEADER})),
    "feedback.moderation": ("GET", "/kiem-duyet/hoi-dap", MODERATORS),
    "feedback.figures": ("GET", "/can-bo/thong-ke-hoi-dap", frozenset({Role.LEADER, Role.MODERATOR, Role.ADMIN})),
    "feedback.work": ("GET", "/can-bo/hoi-dap/{question}", MODERATORS, OFFICIALS),
    "feedback.act": ("POST", "/can-bo/hoi-dap/{question}/note", MODERATORS, OFFICIALS),
    "feedback.attachment": ("GET", "/can-bo/tep/{attachment}", MODERATORS, OFFICIALS),
}

# Dialogue routes live in tables of their own, one per part of the service; {session} is a live session
# of an agency no test user belongs to, {dquestion} an approved question in it.
from access_dialogue_manage import ROUTES as DIALOGUE_MANAGE_ROUTES  # noqa: E402
from access_dialogue_public import ROUTES as DIALOGUE_PUBLIC_ROUTES  # noqa: E402

ROUTES.update(DIALOGUE_MANAGE_ROUTES)
ROUTES.update(DIALOGUE_PUBLIC_ROUTES)

# The satisfaction survey: {token} is the survey of a completed, unanswered dossier; {dossier}, {counter} and
# {follow_up} belong to an agency no test user belongs to; {api_key} is an active key.
from access_survey_api import ROUTES as SURVEY_API_ROUTES  # noqa: E402
from access_survey_desk import ROUTES as SURVEY_DESK_ROUTES  # noqa: E402
from access_survey_public import ROUTES as SURVEY_PUBLIC_ROUTES  # noqa: E402
from access_survey_scorecard import ROUTES as SURVEY_SCORECARD_ROUTES  # noqa: E402

for table in (SURVEY_API_ROUTES, SURVEY_DESK_ROUTES, SURVEY_PUBLIC_ROUTES, SURVEY_SCORECARD_ROUTES):
    ROUTES.update(table)


def test_every_route_is_in_the_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    assert endpoints == set(ROUTES)


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_the_view_guards_the_roles_the_table_says(app, endpoint):
    allowed = ROUTES[endpoint][-1]
    view = app.view_functions[endpoint]
    guarded = getattr(view, "allowed_roles", None)
    if ANONYMOUS in allowed:
        assert guarded is None
    else:
        assert guarded is not None
        assert (set(guarded) or set(Role)) == set(allowed)


CASES = [(endpoint, role) for endpoint in sorted(ROUTES) for role in ALL_ROLES]


@pytest.mark.parametrize("endpoint,role", CASES, ids=[f"{e}-{r}" for e, r in CASES])
def test_route_answers_each_role_as_the_table_says(client, login_as, endpoint, role, paths):
    method, path, allowed = ROUTES[endpoint][:3]
    if role != ANONYMOUS:
        login_as(role)
    response = client.open(paths(path), method=method,
                           data={"active": "1", "required": "0", "helpful": "yes", "note": "Ghi chú"})
    if role in allowed:
        assert response.status_code in (200, 302, 303), response.status_code
        if response.status_code == 302:
            assert not response.headers["Location"].startswith("/dang-nhap?next=")
    elif role == ANONYMOUS:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/dang-nhap?next=")
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("endpoint", [e for e in sorted(ROUTES) if not SIGNED_IN <= ROUTES[e][2]])
def test_htmx_request_of_a_role_without_access_gets_403_as_a_fragment(client, login_as, endpoint, paths):
    method, path, allowed = ROUTES[endpoint][:3]
    outsider = next(r for r in Role if r not in allowed)
    login_as(outsider)
    path = paths(path)
    response = client.open(path, method=method, headers={"HX-Request": "true", "HX-Target": "main#main"})
    assert response.status_code == 403
    assert response.headers["HX-Retarget"] == "#messages"
    assert "<html" not in response.get_data(as_text=True)


@pytest.mark.parametrize("endpoint", [e for e in sorted(ROUTES) if ANONYMOUS not in ROUTES[e][2]])
def test_htmx_request_without_session_gets_401_with_a_redirect_to_sign_in(client, endpoint, paths):
    method, path, allowed = ROUTES[endpoint][:3]
    path = paths(path)
    response = client.open(path, method=method, headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/dang-nhap?next=")
