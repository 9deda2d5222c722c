"""/api/v1/teams/ and /members/: scoped reads, superuser-only creation, admin-only membership changes;
a team of another team in a body or URL writes nothing."""

import pytest

from apps.accounts.models import Membership, Role, Team
from apps.audit.models import AuditEntry
from tests.conftest import api_client_for, make_user, member


def test_teams_are_listed_with_the_callers_role(team, other_team, viewer_user, superuser):
    response = api_client_for(viewer_user).get("/api/v1/teams/")
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["name"] == team.name
    assert row["role"] == "viewer"
    assert row["member_count"] == 1
    names = {t["name"] for t in api_client_for(superuser).get("/api/v1/teams/").json()["results"]}
    assert {team.name, other_team.name} <= names


def test_team_detail_has_the_members_count_and_role(team, admin_user, viewer_user):
    body = api_client_for(viewer_user).get(f"/api/v1/teams/{team.pk}/").json()
    assert body["member_count"] == 2
    assert body["role"] == "viewer"


def test_team_of_another_team_is_not_found(team, outsider):
    client = api_client_for(outsider)
    assert client.get(f"/api/v1/teams/{team.pk}/").status_code == 404
    response = client.patch(f"/api/v1/teams/{team.pk}/", {"name": "mine now"}, format="json")
    assert response.status_code == 404
    assert Team.objects.get(pk=team.pk).name == team.name
    assert not AuditEntry.objects.exists()


def test_only_superusers_create_teams(admin_user, superuser):
    response = api_client_for(admin_user).post("/api/v1/teams/", {"name": "new"}, format="json")
    assert response.status_code == 403
    assert not Team.objects.filter(name="new").exists()
    response = api_client_for(superuser).post("/api/v1/teams/", {"name": "new", "description": "d"}, format="json")
    assert response.status_code == 201
    team = Team.objects.get(name="new")
    assert AuditEntry.objects.get(action="team.create").team == team
    again = api_client_for(superuser).post("/api/v1/teams/", {"name": "NEW"}, format="json")
    assert again.status_code == 409
    assert again.json()["errors"] == {"name": ["a team named 'NEW' already exists"]}


def test_admins_rename_operators_may_not(team, admin_user, operator_user):
    response = api_client_for(operator_user).patch(f"/api/v1/teams/{team.pk}/", {"name": "x"}, format="json")
    assert response.status_code == 403
    response = api_client_for(admin_user).patch(
        f"/api/v1/teams/{team.pk}/", {"name": "renamed", "description": "ours"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["name"] == "renamed"
    entry = AuditEntry.objects.get(action="team.update")
    assert entry.summary["name"] == [team.name, "renamed"]
    assert entry.actor == admin_user


def test_members_list_and_admin_adds_changes_removes(team, admin_user, viewer_user):
    client = api_client_for(admin_user)
    newcomer = make_user("newcomer")
    response = client.post(f"/api/v1/teams/{team.pk}/members/", {"username": "newcomer", "role": "operator"})
    assert response.status_code == 201, response.content
    membership = Membership.objects.get(team=team, user=newcomer)
    assert membership.role == Role.OPERATOR
    listing = api_client_for(viewer_user).get(f"/api/v1/teams/{team.pk}/members/").json()["results"]
    assert {m["username"]: m["role"] for m in listing}[newcomer.username] == "operator"

    url = f"/api/v1/teams/{team.pk}/members/{membership.pk}/"
    assert client.patch(url, {"role": "admin"}, format="json").json()["role"] == "admin"
    assert client.delete(url).status_code == 204
    assert not Membership.objects.filter(pk=membership.pk).exists()
    actions = list(AuditEntry.objects.filter(team=team).order_by("id").values_list("action", "summary"))
    assert actions == [
        ("membership.add", {"user": "newcomer", "role": "operator"}),
        ("membership.change", {"user": "newcomer", "role": ["operator", "admin"]}),
        ("membership.remove", {"user": "newcomer", "role": "admin"}),
    ]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"username": "nobody-here", "role": "viewer"}, 400, "username"),
        ({"username": "{viewer}", "role": "viewer"}, 409, "username"),
        ({"username": "newcomer", "role": "owner"}, 400, "role"),
        ({"role": "viewer"}, 400, "username"),
    ],
)
def test_bad_member_input_names_the_field_and_writes_nothing(team, admin_user, viewer_user, body, status, field):
    make_user("newcomer")
    body = {k: v.format(viewer=viewer_user.username) for k, v in body.items()}
    response = api_client_for(admin_user).post(f"/api/v1/teams/{team.pk}/members/", body, format="json")
    assert response.status_code == status, response.content
    data = response.json()
    assert field in data.get("errors", data)
    assert Membership.objects.filter(team=team).count() == 2
    assert not AuditEntry.objects.exists()


def test_a_foreign_team_id_in_the_body_writes_nothing(team, other_team, admin_user):
    make_user("newcomer")
    response = api_client_for(admin_user).post(
        f"/api/v1/teams/{team.pk}/members/", {"username": "newcomer", "role": "admin", "team": other_team.pk}
    )
    assert response.status_code == 400
    assert "team" in response.json()
    assert not Membership.objects.filter(user__username="newcomer").exists()
    assert not AuditEntry.objects.exists()


def test_members_of_another_team_cannot_be_touched(team, viewer_user, outsider):
    membership = Membership.objects.get(user=viewer_user)
    client = api_client_for(outsider)
    make_user("newcomer")
    assert client.get(f"/api/v1/teams/{team.pk}/members/").status_code == 404
    assert client.post(f"/api/v1/teams/{team.pk}/members/", {"username": "newcomer"}).status_code == 404
    url = f"/api/v1/teams/{team.pk}/members/{membership.pk}/"
    assert client.patch(url, {"role": "admin"}, format="json").status_code == 404
    assert client.delete(url).status_code == 404
    # nor through the URL of the outsider's own team
    url = f"/api/v1/teams/{outsider.memberships.get().team_id}/members/{membership.pk}/"
    assert client.delete(url).status_code == 404
    assert Membership.objects.get(pk=membership.pk).role == Role.VIEWER
    assert not AuditEntry.objects.exists()


def test_the_last_admin_stays(team, admin_user, operator_user):
    own = Membership.objects.get(user=admin_user)
    client = api_client_for(admin_user)
    response = client.patch(f"/api/v1/teams/{team.pk}/members/{own.pk}/", {"role": "viewer"}, format="json")
    assert response.status_code == 409
    assert "last admin" in response.json()["detail"]
    assert client.delete(f"/api/v1/teams/{team.pk}/members/{own.pk}/").status_code == 409
    assert Membership.objects.get(pk=own.pk).role == Role.ADMIN
    # with a second admin, the first may step down
    second = member(team, Role.ADMIN)
    assert second
    assert (
        client.patch(f"/api/v1/teams/{team.pk}/members/{own.pk}/", {"role": "viewer"}, format="json").status_code == 200
    )
