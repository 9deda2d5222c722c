"""Service-level behaviour the other paths rely on: deploy parameters (secrets sealed, never in params),
a name already taken by a stack nobody owns, and projects made of specs (bundles, templates, adoption)."""

import json
import uuid

import pytest
from django.db import connection

from apps.operations.models import Operation
from apps.projects import services
from apps.projects.models import Origin, Project
from apps.swarm.services import NAMESPACE_LABEL

from .conftest import SIMPLE, stack_name

WITH_OBJECTS = SIMPLE + (
    "    secrets: [s]\n    configs: [c]\nsecrets:\n  s:\n    file: ./s.txt\nconfigs:\n  c:\n    file: ./c.conf\n"
)


def test_deploy_seals_secret_and_config_data_and_registry_auth(team, cluster, operator_user):
    project = services.project_create(
        None, team, cluster, stack_name(), WITH_OBJECTS, files={"s.txt": "secret-data-1", "c.conf": "config-data-2"}
    )
    op = services.project_deploy(
        operator_user,
        project,
        resolve_image="changed",
        registry_credentials=[{"serveraddress": "10.210.0.1:5001", "username": "u", "password": "registry-pw-3"}],
    )
    assert op.kind == "apply"
    assert op.lock_key == f"project:{project.pk}"
    assert op.status == "pending"
    params = json.dumps(op.params)
    for value in ("secret-data-1", "config-data-2", "registry-pw-3", "c2VjcmV0LWRhdGEtMQ==", "Y29uZmlnLWRhdGEtMg=="):
        assert value not in params
    assert op.params["namespace"] == project.name
    assert op.params["resolve_image"] == "changed"
    assert op.params["project_id"] == project.pk
    assert op.params["revision"] == 1
    assert [s["Name"] for s in op.params["services"]] == [f"{project.name}_web"]
    sealed = op.sealed_dict()
    assert sealed["secrets"] == {f"{project.name}_s": "c2VjcmV0LWRhdGEtMQ=="}
    assert sealed["configs"] == {f"{project.name}_c": "Y29uZmlnLWRhdGEtMg=="}
    assert sealed["registry_auths"]["10.210.0.1:5001"]["password"] == "registry-pw-3"
    with connection.cursor() as cursor:
        cursor.execute("SELECT sealed FROM operations_operation WHERE id = %s", [op.pk])
        assert "registry-pw-3" not in cursor.fetchone()[0]


def test_bad_deploy_options_write_nothing(team, cluster, operator_user):
    project = services.project_create(None, team, cluster, stack_name(), SIMPLE)
    before = Operation.objects.count()
    with pytest.raises(services.ValidationFailed, match="resolve_image"):
        services.project_deploy(operator_user, project, resolve_image="sometimes")
    with pytest.raises(services.ValidationFailed, match="no revision 7"):
        services.project_deploy(operator_user, project, 7)
    with pytest.raises(services.ValidationFailed, match="registry"):
        services.project_deploy(operator_user, project, registry_credentials=[{"username": "u"}])
    assert Operation.objects.count() == before


def test_a_name_taken_by_a_stack_nobody_owns_is_refused(api, team, lab_cluster, swarm):
    name = f"taken{uuid.uuid4().hex[:6]}"
    service_id = swarm.service_create(
        {
            "Name": f"{name}_cli",
            "Labels": {NAMESPACE_LABEL: name},
            "TaskTemplate": {"ContainerSpec": {"Image": "lab/busybox:1", "Args": ["sleep", "3600"]}},
            "Mode": {"Replicated": {"Replicas": 0}},
        }
    )
    try:
        body = {"name": name, "team": team.pk, "cluster": lab_cluster.pk, "compose": SIMPLE}
        response = api.post("/api/v1/projects/", body, format="json")
        assert response.status_code == 409
        assert "adopt" in response.json()["detail"]
        assert not Project.objects.filter(name=name).exists()
    finally:
        swarm.service_remove(service_id)


def test_a_project_made_of_specs_is_checked_and_may_start_deployed(team, cluster, operator_user):
    donor = services.project_create(None, team, cluster, stack_name(), SIMPLE)
    name = stack_name()
    specs = json.loads(json.dumps(donor.latest_revision().specs).replace(donor.name, name))
    project = services.project_create_from_specs(
        operator_user, team, cluster, name, specs, origin=Origin.ADOPT, message="adopted", deployed=True
    )
    revision = project.latest_revision()
    assert revision.origin == "adopt"
    assert project.deployed_revision_id == revision.pk
    other = stack_name()
    specs = json.loads(json.dumps(specs).replace(name, other))
    specs["services"]["web"]["TaskTemplate"]["ContainerSpec"]["CapabilityAdd"] = ["CAP_NET_ADMIN"]
    with pytest.raises(services.ValidationFailed, match="CapabilityAdd"):
        services.project_create_from_specs(operator_user, team, cluster, other, specs, origin=Origin.BUNDLE)
    assert not Project.objects.filter(name=other).exists()
