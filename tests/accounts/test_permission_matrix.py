"""Every URL of the project has a declared policy, and keeps it for every role (see tests/support/matrix.py)."""

import pytest

from apps.accounts.url_policy import Policy
from tests.support import matrix

ENTRIES = matrix.url_entries()
POLICIES = matrix.all_policies()
BUILDERS = matrix.load_builders()

# The only URLs anonymous people may use. Adding one is a security decision: never a set-up or initialisation
# endpoint (issue 3, item 5).
PUBLIC_ALLOWED = {
    "accounts:login",
    "accounts:logout",
    "admin:login",
    "admin:logout",
    "auth-token",
    "set_language",
    "healthz",
    "api-schema",
    "api-docs",
}


def test_matrix_every_url_has_a_policy():
    missing = [f"{e.key}  (route {e.route})" for e in ENTRIES if matrix.policy_for(e.key, POLICIES) is None]
    assert not missing, "URLs without a policy in apps/<app>/url_policies.py:\n" + "\n".join(missing)


def test_matrix_policies_name_real_urls_and_builders():
    problems = matrix.policy_problems(ENTRIES, POLICIES, BUILDERS)
    assert not problems, "\n".join(problems)


def test_matrix_public_urls_are_only_the_known_few():
    public = {e.key for e in ENTRIES if (found := matrix.policy_for(e.key, POLICIES)) and found[1].access == "public"}
    assert public <= PUBLIC_ALLOWED, f"new PUBLIC URLs: {sorted(public - PUBLIC_ALLOWED)}"
    api = [e.key for e in ENTRIES if e.route.startswith("api/v1/") and e.key != "auth-token"]
    assert api, "no /api/v1/ endpoint was found: the walk is broken"


def test_matrix_expectations_follow_the_roles():
    """The table itself: a team object needing OPERATE to write."""
    from apps.accounts.permissions import Action

    policy = Policy("team", ("GET", "POST"), obj="x", read=Action.VIEW, write=Action.OPERATE)
    got = {role: matrix.expectation(policy, "POST", role) for role in matrix.ROLES}
    assert got == {
        "anonymous": matrix.LOGIN,
        "viewer": matrix.FORBID,
        "operator": matrix.ALLOW,
        "admin": matrix.ALLOW,
        "outsider": matrix.HIDE,
        "superuser": matrix.ALLOW,
    }


@pytest.fixture
def matrix_context(db):
    context = matrix.MatrixContext(BUILDERS)
    yield context
    context.close()


@pytest.mark.parametrize("entry", ENTRIES, ids=matrix.entry_ids(ENTRIES))
def test_permission_matrix(entry, matrix_context):
    found = matrix.policy_for(entry.key, POLICIES)
    assert found is not None, f"{entry.key} (route {entry.route}) has no policy in apps/<app>/url_policies.py"
    _key, policy = found
    failures = matrix.check_url(entry, policy, matrix_context)
    assert not failures, f"{entry.key} [{policy.describe()}]:\n" + "\n".join(failures)
