"""Nothing takes a stack or a cluster away from under its owners."""

import json
import uuid

import pytest

from apps.projects.models import Project
from apps.projects.services import project_create

pytestmark = pytest.mark.django_db

COMPOSE = "services:\n  app:\n    image: lab/busybox:1\n    command: sleep 3600\n"


def test_a_bundle_cannot_take_over_a_stack_that_runs_without_a_project(api, lab_cluster, swarm):
    stack = f"cli{uuid.uuid4().hex[:8]}"
    service_id = swarm.service_create(
        {
            "Name": f"{stack}_app",
            "Labels": {"com.docker.stack.namespace": stack},
            "TaskTemplate": {"ContainerSpec": {"Image": "lab/busybox:1", "Args": ["sleep", "3600"]}},
            "Mode": {"Replicated": {"Replicas": 1}},
        }
    )
    try:
        bundle = {"Version": "0.1", "Services": {"app": {"Image": "lab/busybox:1", "Args": ["sleep", "1"]}}}
        body = {"name": stack, "team": lab_cluster.team.pk, "cluster": lab_cluster.pk, "bundle": json.dumps(bundle)}
        response = api.post("/api/v1/projects/import-bundle/", body, format="json")
        assert response.status_code == 409, response.json()
        assert "adopt" in response.json()["detail"]
        assert not Project.objects.filter(name=stack).exists()
        assert swarm.service_inspect(service_id)["Spec"]["TaskTemplate"]["ContainerSpec"]["Args"] == ["sleep", "3600"]
    finally:
        swarm.service_remove(service_id)


def test_a_cluster_with_projects_cannot_move_to_another_team(api, admin_user, lab_cluster, other_team):
    from apps.accounts.models import Membership, Role

    Membership.objects.create(team=other_team, user=admin_user, role=Role.ADMIN)  # an admin of both teams
    project_create(admin_user, lab_cluster.team, lab_cluster, f"p{uuid.uuid4().hex[:8]}", COMPOSE)
    response = api.patch(f"/api/v1/clusters/{lab_cluster.pk}/", {"team": other_team.pk}, format="json")
    assert response.status_code == 409, response.json()
    assert "projects" in response.json()["detail"]
    lab_cluster.refresh_from_db()
    assert lab_cluster.team_id != other_team.pk
