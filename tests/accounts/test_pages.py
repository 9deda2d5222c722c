"""Account pages: sign-in and out, password change, profile with tokens, teams and members."""

import re

import pytest

from apps.accounts.models import ApiToken, Membership, Role, Team
from apps.accounts.services import token_create
from apps.audit.models import AuditEntry
from tests.conftest import make_user

PASSWORD = "correct horse battery 9"


def test_login_redirects_to_next_and_logout_needs_post(client, viewer_user):
    response = client.get("/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/profile/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()
    response = client.post(
        "/accounts/login/", {"username": viewer_user.username, "password": PASSWORD, "next": "/accounts/profile/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert client.get("/accounts/profile/").status_code == 302


def test_wrong_password_shows_the_form_again(client, viewer_user):
    response = client.post("/accounts/login/", {"username": viewer_user.username, "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_password_change_is_audited_without_the_password(client, viewer_user):
    client.force_login(viewer_user)
    new = "another horse battery 7"
    response = client.post(
        "/accounts/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/done/"
    viewer_user.refresh_from_db()
    assert viewer_user.check_password(new)
    assert client.get("/accounts/profile/").status_code == 200  # still signed in
    entry = AuditEntry.objects.get(action="user.password_change")
    assert entry.actor == viewer_user
    assert new not in str(entry.summary)
    assert "pbkdf2" not in str(entry.summary)


def test_password_change_with_wrong_old_password_changes_nothing(client, viewer_user):
    client.force_login(viewer_user)
    response = client.post(
        "/accounts/password/",
        {"old_password": "nope", "new_password1": "x-Long-pass-9", "new_password2": "x-Long-pass-9"},
    )
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()
    viewer_user.refresh_from_db()
    assert viewer_user.check_password(PASSWORD)
    assert not AuditEntry.objects.exists()


def test_profile_lists_teams_and_tokens_and_shows_a_new_value_once(client, team, viewer_user):
    token_create(viewer_user, name="old-one")
    client.force_login(viewer_user)
    page = client.get("/accounts/profile/").content.decode()
    assert team.name in page
    assert "Viewer" in page
    assert "old-one" in page

    response = client.post("/accounts/tokens/", {"name": "laptop", "expires_on": "", "read_only": "on"})
    assert response.status_code == 201
    token = ApiToken.objects.get(name="laptop")
    value = re.search(r'<pre class="token-value"><code>([^<]+)</code>', response.content.decode()).group(1)
    assert token.read_only
    assert token.prefix == value[:8]
    assert value not in token.key_hash
    again = client.get("/accounts/profile/").content.decode()
    assert value not in again
    assert "laptop" in again

    response = client.post(f"/accounts/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked is not None


def test_token_form_errors_are_shown(client, viewer_user):
    client.force_login(viewer_user)
    response = client.post("/accounts/tokens/", {"name": "", "expires_on": "2001-01-01"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required." in page
    assert "The expiry date must be in the future." in page
    assert not ApiToken.objects.exists()


def test_someone_elses_token_cannot_be_revoked_from_the_page(client, viewer_user, outsider):
    token, _ = token_create(viewer_user, name="mine")
    client.force_login(outsider)
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked is None


def test_team_admin_manages_members_by_username(client, team, admin_user):
    make_user("newcomer")
    client.force_login(admin_user)
    page = client.get(f"/accounts/teams/{team.pk}/").content.decode()
    assert 'id="add-member"' in page
    response = client.post(f"/accounts/teams/{team.pk}/members/", {"username": "newcomer", "role": "operator"})
    assert response.status_code == 302
    membership = Membership.objects.get(team=team, user__username="newcomer")
    assert membership.role == Role.OPERATOR
    page = client.get(f"/accounts/teams/{team.pk}/").content.decode()
    assert "newcomer added as Operator." in page
    assert 'data-member="newcomer"' in page

    client.post(f"/accounts/teams/{team.pk}/members/{membership.pk}/", {f"m{membership.pk}-role": "admin"})
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN
    client.post(f"/accounts/teams/{team.pk}/members/{membership.pk}/remove/")
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert list(AuditEntry.objects.filter(team=team).values_list("action", flat=True).order_by("id")) == [
        "membership.add",
        "membership.change",
        "membership.remove",
    ]


def test_unknown_username_is_named_on_the_page(client, team, admin_user):
    client.force_login(admin_user)
    response = client.post(f"/accounts/teams/{team.pk}/members/", {"username": "ghost", "role": "viewer"}, follow=True)
    assert "there is no active user named &#x27;ghost&#x27;" in response.content.decode()
    assert Membership.objects.filter(team=team).count() == 1


def test_viewer_sees_members_but_no_admin_controls_and_is_refused(client, team, viewer_user, admin_user):
    client.force_login(viewer_user)
    page = client.get(f"/accounts/teams/{team.pk}/").content.decode()
    assert admin_user.username in page
    assert 'id="add-member"' not in page
    response = client.post(f"/accounts/teams/{team.pk}/members/", {"username": admin_user.username, "role": "admin"})
    assert response.status_code == 403
    assert "does not allow you to administer" in response.content.decode()


def test_teams_page_lists_only_my_teams_and_superuser_creates(client, team, other_team, viewer_user, superuser):
    client.force_login(viewer_user)
    page = client.get("/accounts/teams/").content.decode()
    assert team.name in page
    assert other_team.name not in page
    assert "New team" not in page
    assert client.post("/accounts/teams/new/", {"name": "sneaky"}).status_code == 403
    client.force_login(superuser)
    response = client.post("/accounts/teams/new/", {"name": "platform", "description": "infra"})
    created = Team.objects.get(name="platform")
    assert response["Location"] == f"/accounts/teams/{created.pk}/"
    assert AuditEntry.objects.filter(action="team.create", team=created).exists()


@pytest.mark.parametrize("path", ["/accounts/teams/999999/", "/accounts/teams/{other}/"])
def test_unknown_or_foreign_team_page_is_not_found(client, viewer_user, other_team, path):
    client.force_login(viewer_user)
    response = client.get(path.format(other=other_team.pk))
    assert response.status_code == 404
    assert "does not exist or you are not a member" in response.content.decode()


def test_base_layout_has_navigation_messages_htmx_and_language_switch(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/accounts/teams/").content.decode()
    for needle in (
        'data-area="dashboard"',
        'data-area="teams"',
        'data-area="audit"',
        "htmx.min.js",
        'name="language"',
        "简体中文",
        'hx-headers=\'{"X-CSRFToken"',
        admin_user.username,
    ):
        assert needle in page, needle
