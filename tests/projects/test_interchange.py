"""Stacks in and out of Davit, on the lab swarm with a real Celery worker:

- a Docker 1.12 bundle imported, deployed, exported and imported again gives the same specs (and the same
  services on the swarm); its Compose export, imported as a project, too;
- a stack made with the real `docker stack deploy` is listed as unowned, adopted, and then managed by Davit:
  a deploy of the adopted revision changes nothing, a revision of the reconstructed Compose file updates the
  same services in place (same ids), and only the changed one;
- the pages: the stacks list with its Adopt button, and the export links of a project;
- bad input: a broken bundle, a stack that does not run, one already owned, another name, a role too low, the
  team policy — each refused with the field named and nothing written.
"""

from __future__ import annotations

import json
import uuid

import pytest

from apps.audit.models import AuditEntry
from apps.clusters.models import Cluster
from apps.clusters.services import cluster_refresh
from apps.operations.models import Operation
from apps.projects.models import Project, TeamPolicy
from apps.swarm.services import NAMESPACE_LABEL
from apps.swarm.specs import normalize
from tests.conftest import api_client_for, member
from tests.integration.stackspecs import differences, purge_stack, snapshot, stable_versions, stack_deploy
from tests.support.stacks import wait_finished

pytestmark = pytest.mark.django_db(transaction=True)

BUNDLE = {
    "Version": "0.1",
    "Services": {
        "web": {
            "Image": "lab/busybox:1",
            "Command": ["httpd"],
            "Args": ["-f", "-p", "8080"],
            "Env": ["ROLE=web", "LEVEL=1"],
            "Labels": {"com.example.tier": "front"},
            "Networks": ["front", "back"],
            "Ports": [{"Protocol": "tcp", "Port": 8080}],
            "WorkingDir": "/tmp",
            "User": "nobody",
        },
        "worker": {"Image": "lab/busybox:1", "Args": ["sleep", "3600"], "Networks": ["back"]},
    },
}

CLI_STACK = """\
version: "3.8"
services:
  web:
    image: lab/busybox:1
    command: ["sleep", "3600"]
    stop_grace_period: 1s
    environment:
      ROLE: web
    networks: [back]
    secrets: [token]
    configs:
      - source: settings
        target: /etc/settings.conf
    deploy:
      replicas: 1
      update_config: {monitor: 1s}
      placement: {constraints: [node.role == manager]}
  worker:
    image: lab/busybox:1
    command: ["sleep", "3600"]
    networks: [back]
    deploy:
      update_config: {monitor: 1s}
      placement: {constraints: [node.role == manager]}
networks:
  back: {}
secrets:
  token:
    file: ./token.txt
configs:
  settings:
    file: ./settings.conf
"""

BIND_STACK = """\
services:
  web:
    image: lab/busybox:1
    command: ["sleep", "3600"]
    volumes: ["/tmp:/host-tmp:ro"]
    deploy: {replicas: 0}
"""


@pytest.fixture
def stacks(swarm):
    """Stack names a test uses; each one is removed from the swarm at the end (all services first, so the
    tasks of every stack stop together)."""
    names: list[str] = []
    yield names
    for name in names:
        for service in swarm.service_list(labels={NAMESPACE_LABEL: name}):
            swarm.service_remove(service["ID"])
    for name in names:
        purge_stack(swarm, name)


def new_name(prefix: str, stacks: list[str]) -> str:
    name = f"{prefix}{uuid.uuid4().hex[:8]}"
    stacks.append(name)
    return name


def deployed(api, project_id: int, **options) -> Operation:
    response = api.post(f"/api/v1/projects/{project_id}/deploy/", options, format="json")
    assert response.status_code == 202, response.content
    op = wait_finished(Operation(pk=response.json()["operation"]["id"]), timeout=120)
    events = "\n".join(f"{e.seq} {e.message}" for e in op.events.order_by("seq"))
    assert op.status == "succeeded", f"{op.explanation}\n{events}"
    return op


def services_of(specs: dict, namespace: str) -> dict:
    return {key: normalize(spec, namespace=namespace) for key, spec in specs["services"].items()}


def revision_specs(project_id: int) -> dict:
    return Project.objects.get(pk=project_id).latest_revision().specs


# ------------------------------------------------------------------------------------------------ bundles
def test_bundle_import_deploy_export_import_gives_the_same_specs(api, team, lab_cluster, swarm, worker, stacks):
    first, second, third = (new_name(p, stacks) for p in ("dab", "dabx", "dabc"))
    imported = api.post(
        "/api/v1/projects/import-bundle/",
        {"team": team.pk, "cluster": lab_cluster.pk, "name": first, "bundle": BUNDLE, "message": "from 1.12"},
        format="json",
    )
    assert imported.status_code == 201, imported.content
    project_id = imported.json()["id"]
    assert imported.json()["revision"]["origin"] == "bundle"
    assert imported.json()["revision"]["services"] == ["web", "worker"]
    assert imported.json()["deployed_revision"] is None

    # deployed as Docker 1.12's `docker deploy` would: NAME_svc, NAME_net overlay networks, aliases, ports
    deployed(api, project_id, detach=True)
    web = swarm.service_inspect(f"{first}_web")["Spec"]
    container = web["TaskTemplate"]["ContainerSpec"]
    assert container["Image"] == "lab/busybox:1"
    assert container["Command"] == ["httpd"]
    assert container["Args"] == ["-f", "-p", "8080"]
    assert sorted(container["Env"]) == ["LEVEL=1", "ROLE=web"]
    assert container["Dir"] == "/tmp"
    assert container["User"] == "nobody"
    assert web["Labels"]["com.example.tier"] == "front"
    assert web["Labels"][NAMESPACE_LABEL] == first
    assert web["EndpointSpec"]["Ports"][0]["TargetPort"] == 8080
    networks = {n["Id"]: n for n in swarm.network_list(labels={NAMESPACE_LABEL: first})}
    assert {n["Name"] for n in networks.values()} == {f"{first}_back", f"{first}_front"}
    assert all(n["Driver"] == "overlay" for n in networks.values())
    attached = {networks[a["Target"]]["Name"]: a["Aliases"] for a in web["TaskTemplate"]["Networks"]}
    assert attached == {f"{first}_back": ["web"], f"{first}_front": ["web"]}

    # exported as a bundle, imported again under another name: the same specs, the same services on the swarm
    exported = api.get(f"/api/v1/projects/{project_id}/export/?format=dab")
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("application/json")
    assert f'filename="{first}-r1.dab"' in exported["Content-Disposition"]
    bundle = json.loads(exported.content)
    assert bundle["Version"] == "0.1"
    assert bundle["Services"]["web"]["Networks"] == ["back", "front"]
    again = api.post(
        "/api/v1/projects/import-bundle/",
        {"team": team.pk, "cluster": lab_cluster.pk, "name": second, "bundle": exported.content.decode()},
        format="json",
    )
    assert again.status_code == 201, again.content
    assert services_of(revision_specs(again.json()["id"]), second) == services_of(revision_specs(project_id), first)
    deployed(api, again.json()["id"], detach=True)
    assert differences(snapshot(swarm, first), snapshot(swarm, second)) == []

    # exported as Compose, created as a Compose project: the same specs again
    compose = api.get(f"/api/v1/projects/{project_id}/export/?format=compose")
    assert compose.status_code == 200
    assert compose["Content-Type"].startswith("application/x-yaml")
    text = compose.content.decode()
    assert f"project {first}, revision 1 (Bundle)" in text
    created = api.post(
        "/api/v1/projects/",
        {"team": team.pk, "cluster": lab_cluster.pk, "name": third, "compose": text},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert services_of(revision_specs(created.json()["id"]), third) == services_of(revision_specs(project_id), first)
    deployed(api, created.json()["id"], detach=True)
    assert differences(snapshot(swarm, first), snapshot(swarm, third)) == []


def test_a_broken_bundle_is_refused_naming_the_field_and_nothing_is_written(api, team, lab_cluster):
    before = (Project.objects.count(), AuditEntry.objects.count())
    cases = [
        ('{"Version": "0.1",\n  "Services": {"web": {"Image": "x",}}}', "line 2"),
        (
            {"Version": "0.1", "Services": {"web": {"Image": "x", "Ports": [{"Port": 70000}]}}},
            "Services.web.Ports[0].Port",
        ),
        ({"Version": "0.1", "Services": {"web": {"Image": "x", "Privileged": True}}}, "Services.web.Privileged"),
        ({"Version": "1.0", "Services": {"web": {"Image": "x"}}}, "Version"),
        ({"Version": "0.1", "Services": {"web": {}}}, "Services.web.Image"),
    ]
    for bundle, named in cases:
        response = api.post(
            "/api/v1/projects/import-bundle/",
            {"team": team.pk, "cluster": lab_cluster.pk, "name": f"bad{uuid.uuid4().hex[:6]}", "bundle": bundle},
            format="json",
        )
        assert response.status_code == 400, response.content
        assert named in response.json()["detail"], response.json()
        assert response.json()["code"] == "invalid_bundle"
    assert (Project.objects.count(), AuditEntry.objects.count()) == before


# ------------------------------------------------------------------------------------------------ adoption
def cli_stack(tmp_path, lab, name: str, compose: str = CLI_STACK) -> None:
    (tmp_path / "stack.yml").write_text(compose)
    (tmp_path / "token.txt").write_text("cli-token")
    (tmp_path / "settings.conf").write_text("level=1\n")
    stack_deploy(tmp_path, name, docker_host=lab["DOCKER_HOST"], env={})


def test_a_stack_made_with_the_cli_is_adopted_then_updated_in_place(
    api, team, lab_cluster, swarm, worker, stacks, tmp_path, lab
):
    name = new_name("cli", stacks)
    cli_stack(tmp_path, lab, name)
    label = {NAMESPACE_LABEL: name}
    ids = {s["Spec"]["Name"]: s["ID"] for s in swarm.service_list(labels=label)}
    secret_ids = [s["ID"] for s in swarm.secret_list(labels=label)]

    # listed as a stack without a project (one service list for the whole cluster)
    listed = api.get(f"/api/v1/clusters/{lab_cluster.pk}/stacks/")
    assert listed.status_code == 200
    row = next(r for r in listed.json()["results"] if r["name"] == name)
    assert row["adoptable"] is True
    assert [s["name"] for s in row["services"]] == [f"{name}_web", f"{name}_worker"]

    adopted = api.post(
        "/api/v1/projects/adopt/", {"team": team.pk, "cluster": lab_cluster.pk, "stack": name}, format="json"
    )
    assert adopted.status_code == 201, adopted.content
    project_id = adopted.json()["id"]
    assert adopted.json()["name"] == name
    assert adopted.json()["deployed_revision"] == 1
    assert adopted.json()["revision"]["origin"] == "adopt"
    assert AuditEntry.objects.filter(action="project.adopt").count() == 1
    revision = Project.objects.get(pk=project_id).latest_revision()
    assert set(revision.specs["services"]) == {"web", "worker"}
    assert set(revision.specs["networks"]) == {f"{name}_back"}
    assert set(revision.specs["secrets"]) == {f"{name}_token"}
    assert set(revision.specs["configs"]) == {f"{name}_settings"}
    assert "cli-token" not in json.dumps(revision.specs)
    assert revision.files == {"configs/settings": "level=1\n"}  # a config's content can be read, a secret's not
    assert "services:" in revision.source
    assert "secrets/token" in revision.source
    listed = api.get(f"/api/v1/clusters/{lab_cluster.pk}/stacks/").json()["results"]
    assert name not in [r["name"] for r in listed]
    assert api.get(f"/api/v1/projects/{project_id}/drift/").json()["drifted"] is False

    # a deploy of the adopted revision changes nothing (versions read once the swarm's allocator, which updates a
    # service the CLI just created, is done with them)
    stable_versions(swarm, name)
    before = {s["Spec"]["Name"]: s["Version"]["Index"] for s in swarm.service_list(labels=label)}
    op = deployed(api, project_id)
    assert op.result["created"] == []
    assert op.result["updated"] == []
    assert sorted(op.result["unchanged"]) == sorted(ids)
    assert {s["Spec"]["Name"]: s["Version"]["Index"] for s in swarm.service_list(labels=label)} == before

    # the reconstructed Compose file, edited: the same services are updated in place, only the changed one
    exported = api.get(f"/api/v1/projects/{project_id}/export/?format=compose").content.decode()
    assert "- ROLE=web" in exported
    edited = exported.replace("- ROLE=web", "- ROLE=frontend")
    revised = api.post(
        f"/api/v1/projects/{project_id}/revisions/",
        {
            "compose": edited,
            "files": {"secrets/token": "cli-token", "configs/settings": "level=1\n"},
            "message": "edit",
        },
        format="json",
    )
    assert revised.status_code == 201, revised.content
    op = deployed(api, project_id)
    assert op.result["created"] == []
    assert op.result["updated"] == [f"{name}_web"]
    assert op.result["unchanged"] == [f"{name}_worker"]
    after = {s["Spec"]["Name"]: s for s in swarm.service_list(labels=label)}
    assert {n: s["ID"] for n, s in after.items()} == ids
    assert "ROLE=frontend" in after[f"{name}_web"]["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"]
    assert after[f"{name}_worker"]["Version"]["Index"] == before[f"{name}_worker"]
    assert [s["ID"] for s in swarm.secret_list(labels=label)] == secret_ids
    assert Project.objects.get(pk=project_id).deployed_revision.number == 2


def test_adoption_is_refused_with_the_reason(api, team, lab_cluster, swarm, stacks, tmp_path, lab):
    name = new_name("cln", stacks)
    cli_stack(tmp_path, lab, name, BIND_STACK)
    url = "/api/v1/projects/adopt/"
    before = (Project.objects.count(), AuditEntry.objects.count())

    def adopt(client, **body):
        return client.post(url, {"team": team.pk, "cluster": lab_cluster.pk, **body}, format="json")

    missing = adopt(api, stack=f"none{uuid.uuid4().hex[:6]}")
    assert missing.status_code == 400
    assert "stack" in missing.json()["errors"]
    assert "no service of a stack named" in missing.json()["detail"]
    renamed = adopt(api, stack=name, name="other")
    assert renamed.status_code == 400
    assert "name" in renamed.json()["errors"]
    refused = adopt(api, stack=name)  # the web service binds /tmp: the team policy refuses bind mounts
    assert refused.status_code == 400
    assert "Mounts[0]" in refused.json()["detail"]
    viewer = api_client_for(member(team, "viewer"))
    assert adopt(viewer, stack=name).status_code == 403
    assert (Project.objects.count(), AuditEntry.objects.count()) == before

    TeamPolicy.objects.create(team=team, allow_bind_mounts=True)
    assert adopt(api, stack=name).status_code == 201
    again = adopt(api, stack=name)
    assert again.status_code == 409
    assert "already belongs to a project" in again.json()["detail"]


# ------------------------------------------------------------------------------------------------ pages
def test_pages_list_stacks_adopt_one_and_offer_the_exports(api, team, other_team, outsider, lab_cluster, swarm, stacks):
    name = new_name("pg", stacks)
    swarm.service_create(
        {
            "Name": f"{name}_app",
            "Labels": {NAMESPACE_LABEL: name, "com.docker.stack.image": "lab/busybox:1"},
            "TaskTemplate": {
                "ContainerSpec": {
                    "Image": "lab/busybox:1",
                    "Args": ["sleep", "3600"],
                    "Labels": {NAMESPACE_LABEL: name},
                }
            },
            "Mode": {"Replicated": {"Replicas": 0}},
        }
    )
    page = api.get("/projects/stacks/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-stack="{name}"' in html
    assert f'name="stack" value="{name}"' in html  # the Adopt button
    viewer = api_client_for(member(team, "viewer"))
    viewer_html = viewer.get("/projects/stacks/").content.decode()
    assert f'data-stack="{name}"' in viewer_html
    assert f'name="stack" value="{name}"' not in viewer_html  # viewers see, operators adopt

    response = api.post("/projects/stacks/", {"cluster": lab_cluster.pk, "stack": name})
    assert response.status_code == 302
    project = Project.objects.get(name=name, cluster=lab_cluster)
    assert response["Location"] == f"/projects/{project.pk}/"
    detail = api.get(f"/projects/{project.pk}/").content.decode()
    assert f"/projects/{project.pk}/export/?format=compose" in detail
    assert f"/projects/{project.pk}/export/?format=dab" in detail
    compose = api.get(f"/projects/{project.pk}/export/?format=compose")
    assert compose.status_code == 200
    assert f'filename="{name}-r1.yml"' in compose["Content-Disposition"]
    assert "image: lab/busybox:1" in compose.content.decode()
    dab = api.get(f"/projects/{project.pk}/export/?format=dab")
    assert json.loads(dab.content)["Services"]["app"]["Args"] == ["sleep", "3600"]
    assert api.get(f"/projects/{project.pk}/export/?format=xml").status_code == 400
    assert f'data-stack="{name}"' not in api.get("/projects/stacks/").content.decode()
    # the same swarm registered by another team: the stack is owned there too
    other = Cluster.objects.create(name=f"same-{name}", team=other_team, endpoint_url=lab_cluster.endpoint_url)
    cluster_refresh(other)
    assert other.swarm_id == lab_cluster.swarm_id
    outsider_stacks = api_client_for(outsider).get(f"/api/v1/clusters/{other.pk}/stacks/").json()["results"]
    assert name not in [row["name"] for row in outsider_stacks]
    assert api_client_for(outsider).get(f"/api/v1/clusters/{lab_cluster.pk}/stacks/").status_code == 404

    again = api.post("/projects/stacks/", {"cluster": lab_cluster.pk, "stack": name})
    assert again.status_code == 400
    assert "already belongs to a project" in again.content.decode()
