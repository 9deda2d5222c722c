"""The team policy refuses bind mounts, added capabilities, host networking and privileged-like options on the
FINAL specs, through every input path: Compose create and revise (API and page), deploy of an old revision after
the policy was tightened, rollback, and specs built by other paths (wizard, template, bundle, adoption)."""

import pytest
from django.urls import reverse

from apps.audit.models import AuditEntry
from apps.core.errors import ValidationFailed
from apps.operations.models import Operation
from apps.projects import services
from apps.projects.models import Origin, Project, Revision, TeamPolicy
from apps.projects.policy import PolicyRefused
from tests.conftest import api_client_for

from .conftest import SIMPLE, stack_name

BIND = SIMPLE + "    volumes:\n      - /etc:/host-etc:ro\n"
CAPS = SIMPLE + "    cap_add: [SYS_ADMIN]\n"
HOST_NET = SIMPLE + "    networks: [outside]\nnetworks:\n  outside:\n    external: true\n    name: host\n"


def counts():
    return Project.objects.count(), Revision.objects.count(), Operation.objects.count(), AuditEntry.objects.count()


@pytest.mark.parametrize(
    ("compose", "key", "setting"),
    [
        (BIND, "TaskTemplate.ContainerSpec.Mounts[0]", "allow_bind_mounts"),
        (CAPS, "TaskTemplate.ContainerSpec.CapabilityAdd", "allow_capabilities"),
        (HOST_NET, "TaskTemplate.Networks[0].Target", "allow_host_network"),
    ],
    ids=["bind-mount", "cap-add", "host-network"],
)
def test_compose_create_is_refused_with_the_key_named_until_the_team_allows_it(
    api, team, cluster, compose, key, setting
):
    before = counts()
    name = stack_name()
    body = {"name": name, "team": team.pk, "cluster": cluster.pk, "compose": compose}
    refused = api.post("/api/v1/projects/", body, format="json")
    assert refused.status_code == 400, refused.content
    data = refused.json()
    assert data["code"] == "policy"
    assert key in data["detail"]
    assert f"{name}_web" in data["detail"]
    assert f"services.{name}_web.{key}" in data["errors"]
    assert counts() == before
    services.team_policy_update(None, team, **{setting: True})
    assert api.post("/api/v1/projects/", body, format="json").status_code == 201


def test_a_new_revision_asking_for_a_capability_is_refused(api, team, cluster):
    project = api.post(
        "/api/v1/projects/",
        {"name": stack_name(), "team": team.pk, "cluster": cluster.pk, "compose": SIMPLE},
        format="json",
    ).json()
    before = counts()
    response = api.post(f"/api/v1/projects/{project['id']}/revisions/", {"compose": CAPS}, format="json")
    assert response.status_code == 400
    assert "CapabilityAdd" in response.json()["detail"]
    assert "CAP_SYS_ADMIN" in response.json()["detail"]
    assert counts() == before


def test_deploying_or_rolling_back_to_an_old_revision_after_the_policy_was_tightened_is_refused(
    api, team, cluster, operator_user
):
    services.team_policy_update(None, team, allow_bind_mounts=True)
    project = services.project_create(None, team, cluster, stack_name(), BIND)
    services.revision_create(None, project, SIMPLE, message="no bind")
    services.team_policy_update(None, team, allow_bind_mounts=False)
    operator = api_client_for(operator_user)
    before = counts()
    deploy = operator.post(f"/api/v1/projects/{project.pk}/deploy/", {"revision": 1}, format="json")
    assert deploy.status_code == 400
    assert "Mounts[0]" in deploy.json()["detail"]
    rollback = operator.post(f"/api/v1/projects/{project.pk}/rollback/", {"revision": 1}, format="json")
    assert rollback.status_code == 400
    assert "bind mount" in rollback.json()["detail"]
    assert counts() == before
    # the revision without the bind mount still deploys (an operation is queued; no worker runs here)
    ok = operator.post(f"/api/v1/projects/{project.pk}/deploy/", {"revision": 2}, format="json")
    assert ok.status_code == 202
    assert ok.json()["operation"]["status"] == "pending"


def test_specs_from_other_paths_are_checked_too(team, cluster, operator_user):
    """Wizard, template, bundle and adoption store revisions through revision_from_specs: same final check."""
    project = services.project_create(None, team, cluster, stack_name(), SIMPLE)
    specs = project.latest_revision().specs
    specs["services"]["web"]["TaskTemplate"]["ContainerSpec"]["Privileges"] = {"Seccomp": {"Mode": "unconfined"}}
    before = counts()
    with pytest.raises(PolicyRefused) as caught:
        services.revision_from_specs(operator_user, project, specs, origin=Origin.WIZARD)
    assert "Privileges.Seccomp" in caught.value.message
    assert counts() == before
    specs["services"]["web"]["TaskTemplate"]["ContainerSpec"]["Privileges"] = {}
    specs["services"]["web"]["TaskTemplate"]["ContainerSpec"]["Mounts"] = [
        {
            "Type": "volume",
            "Source": "x",
            "Target": "/x",
            "VolumeOptions": {"DriverConfig": {"Name": "local", "Options": {"o": "bind", "device": "/"}}},
        }
    ]
    with pytest.raises(PolicyRefused, match="driver options"):
        services.revision_from_specs(operator_user, project, specs, origin=Origin.TEMPLATE)
    specs["services"]["web"]["TaskTemplate"]["ContainerSpec"]["Mounts"] = []
    specs["services"]["web"]["Name"] = "elsewhere_web"
    with pytest.raises(ValidationFailed, match="not in the project's stack"):
        services.revision_from_specs(operator_user, project, specs, origin=Origin.BUNDLE)
    assert counts() == before


def test_the_policy_is_changed_by_team_admins_only(api, team, viewer_user, operator_user, outsider):
    url = f"/api/v1/team-policies/{team.pk}/"
    assert api.get(url).json()["allow_bind_mounts"] is False
    before = AuditEntry.objects.count()
    assert api_client_for(viewer_user).patch(url, {"allow_bind_mounts": True}, format="json").status_code == 403
    assert api_client_for(operator_user).patch(url, {"allow_bind_mounts": True}, format="json").status_code == 403
    assert api_client_for(outsider).patch(url, {"allow_bind_mounts": True}, format="json").status_code == 404
    assert AuditEntry.objects.count() == before
    changed = api.patch(url, {"allow_capabilities": True}, format="json")
    assert changed.status_code == 200
    assert changed.json()["allow_capabilities"] is True
    assert TeamPolicy.for_team(team).allow_capabilities is True
    assert AuditEntry.objects.filter(action="team.policy", team=team).exists()


def test_the_editor_page_shows_the_refusal(client, admin_user, team, cluster):
    client.force_login(admin_user)
    before = counts()
    response = client.post(
        reverse("projects:create"),
        {"name": stack_name(), "team": team.pk, "cluster": cluster.pk, "compose": CAPS, "variables": ""},
    )
    assert response.status_code == 400
    assert "CapabilityAdd" in response.content.decode()
    assert counts() == before
