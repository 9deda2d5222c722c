"""Networks, volumes, secrets and configs through the API, on the lab; rotations run by a real Celery worker."""

import contextlib
import hashlib
import logging
import random
import uuid

import pytest
from django.db import connection

from apps.audit.models import AuditEntry
from apps.clusters.selectors import network_rows, object_rows
from apps.clusters.swarm import swarm_for
from apps.operations.models import Operation, OperationEvent
from apps.swarm.errors import ObjectNotFound, SwarmError
from tests.clusters.helpers import docker_calls, remove_service, service_spec, unique_name, wait_running
from tests.clusters.test_join import events_of, wait_finished
from tests.conftest import api_client_for
from tests.support.processes import start_worker, wait_for


def base(cluster, what):
    return f"/api/v1/clusters/{cluster.pk}/{what}/"


def free_subnet() -> tuple[str, str, str, str]:
    """(subnet, gateway, ip range, a host outside the subnet) in a block no other test uses."""
    a, b = random.randint(240, 249), random.randint(0, 255)
    return f"10.{a}.{b}.0/24", f"10.{a}.{b}.1", f"10.{a}.{b}.128/25", f"10.{a}.{(b + 1) % 256}.1"


# ------------------------------------------------------------------------------------------------- networks


def test_create_list_with_users_refuse_while_in_use_then_remove_a_network(api, swarm, lab_cluster, unique):
    subnet, gateway, ip_range, _ = free_subnet()
    name = f"t-net-{unique}"
    body = {
        "name": name,
        "subnet": subnet,
        "gateway": gateway,
        "ip_range": ip_range,
        "attachable": True,
        "encrypted": True,
        "internal": False,
        "labels": {"davit.test": unique},
    }
    response = api.post(base(lab_cluster, "networks"), body, format="json")
    assert response.status_code == 201, response.content
    row = response.json()
    network_id = row["id"]
    service_id = None
    try:
        assert (row["driver"], row["scope"], row["attachable"], row["encrypted"]) == ("overlay", "swarm", True, True)
        assert row["subnets"] == [{"subnet": subnet, "gateway": gateway, "ip_range": ip_range}]
        assert row["labels"] == {"davit.test": unique}
        assert AuditEntry.objects.filter(action="network.create", target_id=network_id).exists()
        duplicate = api.post(base(lab_cluster, "networks"), {"name": name}, format="json")
        assert duplicate.status_code == 409
        assert "name" in duplicate.json()["errors"]

        service_name = unique_name("t-netuser")
        service_id = swarm.service_create(service_spec(service_name, replicas=0, networks=[network_id]))
        with docker_calls(swarm_for(lab_cluster)) as calls:
            rows = {r["name"]: r for r in network_rows(lab_cluster)}
        assert len(calls) == 2, calls
        assert rows[name]["services"] == [service_name]
        listed = api.get(base(lab_cluster, "networks") + "?limit=500").json()
        assert [r["services"] for r in listed["results"] if r["name"] == name] == [[service_name]]

        refused = api.delete(f"{base(lab_cluster, 'networks')}{network_id}/")
        assert refused.status_code == 409
        assert service_name in refused.json()["detail"]
        assert refused.json()["errors"]["services"] == [service_name]
        remove_service(swarm, service_id)
        service_id = None
        removed = api.delete(f"{base(lab_cluster, 'networks')}{network_id}/")
        assert removed.status_code == 204, removed.content
        wait_for(lambda: name not in [n["Name"] for n in swarm.network_list()], 60, what="the network to go")
        network_id = None
    finally:
        if service_id:
            remove_service(swarm, service_id)
        if network_id:
            with contextlib.suppress(SwarmError):
                swarm.network_remove(network_id)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"subnet": "10.0.0.1/24"}, "subnet", "did you mean 10.0.0.0/24"),
        ({"subnet": "not-a-net"}, "subnet", "not a network"),
        ({"subnet": "10.0.0.0/24", "gateway": "10.9.9.9"}, "gateway", "outside the subnet"),
        ({"subnet": "10.0.0.0/24", "ip_range": "10.0.1.0/25"}, "ip_range", "not inside the subnet"),
        ({"gateway": "10.0.0.1"}, "gateway", "needs a subnet"),
        ({"name": "bad name!"}, "name", "not a valid network name"),
    ],
)
def test_network_input_errors_name_the_field(api, lab_cluster, change, field, words):
    response = api.post(base(lab_cluster, "networks"), {"name": "t-ok", **change}, format="json")
    assert response.status_code == 400
    assert words in response.json()["errors"][field][0]


def test_predefined_networks_cannot_be_removed_and_viewers_cannot_create(api, lab_cluster, viewer_user):
    refused = api.delete(f"{base(lab_cluster, 'networks')}ingress/")
    assert refused.status_code == 409
    assert "predefined" in refused.json()["detail"]
    viewer = api_client_for(viewer_user)
    assert viewer.get(base(lab_cluster, "networks")).status_code == 200
    assert viewer.post(base(lab_cluster, "networks"), {"name": "x"}, format="json").status_code == 403


# ------------------------------------------------------------------------------------------------- volumes


def test_volumes_of_the_manager_and_of_a_registered_worker_engine(api, swarm, worker_swarm, lab_cluster, lab, unique):
    manager_id, worker_id = swarm.engine_swarm_state()["node_id"], worker_swarm.engine_swarm_state()["node_id"]
    name = f"t-vol-{unique}"
    created = api.post(base(lab_cluster, "volumes"), {"name": name, "labels": {"davit.test": unique}}, format="json")
    assert created.status_code == 201, created.content
    assert (created.json()["node"], created.json()["labels"]) == (manager_id, {"davit.test": unique})
    listed = api.get(base(lab_cluster, "volumes") + "?limit=1000").json()["results"]
    assert name in [v["name"] for v in listed]
    assert api.delete(f"{base(lab_cluster, 'volumes')}{manager_id}/{name}/").status_code == 204
    assert name not in [v["Name"] for v in swarm.volume_list()]

    unknown = api.get(base(lab_cluster, "volumes") + f"?node={worker_id}")
    assert unknown.status_code == 400
    assert "no Docker engine endpoint is known" in unknown.json()["errors"]["node"][0]
    assert (
        api.post(
            base(lab_cluster, "engines"), {"endpoint_url": lab["DAVIT_LAB_WORKER_HOST"]}, format="json"
        ).status_code
        == 201
    )
    try:
        made = api.post(base(lab_cluster, "volumes"), {"node": worker_id, "name": name}, format="json")
        assert made.status_code == 201, made.content
        assert name in [v["Name"] for v in worker_swarm.volume_list()]
        assert name not in [v["Name"] for v in swarm.volume_list()]
        rows = api.get(base(lab_cluster, "volumes") + f"?node={worker_id}&limit=1000").json()["results"]
        assert {(v["name"], v["node"]) for v in rows if v["name"] == name} == {(name, worker_id)}
        assert api.delete(f"{base(lab_cluster, 'volumes')}{worker_id}/{name}/").status_code == 204
        assert api.delete(f"{base(lab_cluster, 'volumes')}{worker_id}/{name}/").status_code == 404
    finally:
        with contextlib.suppress(ObjectNotFound):
            worker_swarm.volume_remove(name)


# ------------------------------------------------------------------------------------------------- secrets, configs


def container_output(swarm, worker_swarm, task) -> str:
    engines = {swarm.engine_swarm_state()["node_id"]: swarm, worker_swarm.engine_swarm_state()["node_id"]: worker_swarm}
    engine = engines[task["NodeID"]]
    container = task["Status"]["ContainerStatus"]["ContainerID"]
    return engine.api.logs(container).decode()


def running_task(swarm, service_id):
    tasks = [
        t
        for t in swarm.task_list(service=service_id)
        if t["DesiredState"] == "running" and t["Status"]["State"] == "running"
    ]
    return tasks[0] if len(tasks) == 1 else None


def test_a_secret_is_created_used_rotated_and_removed_without_its_value_ever_showing(
    api, swarm, worker_swarm, lab_cluster, subprocess_env, caplog, unique
):
    caplog.set_level(logging.DEBUG)
    value, new_value = f"first-{uuid.uuid4().hex}", f"second-{uuid.uuid4().hex}"
    answers: list[str] = []

    def call(method, url, body=None):
        response = getattr(api, method)(url, body, format="json") if body is not None else getattr(api, method)(url)
        answers.append(response.content.decode())
        return response

    name = f"t-pw-{unique}"
    service_id = None
    celery = start_worker(subprocess_env, "rotate")
    try:
        created = call("post", base(lab_cluster, "secrets"), {"name": name, "data": value, "labels": {"t": unique}})
        assert created.status_code == 201, created.content
        secret_id = created.json()["id"]
        assert created.json()["name"] == name
        assert "data" not in created.json()
        file = {"Name": "app-pw", "UID": "1000", "GID": "1000", "Mode": 0o400}
        service_name = unique_name("t-secret-user")
        spec = service_spec(
            service_name,
            replicas=1,
            constraints=["node.role==manager"],
            secrets=[{"SecretID": secret_id, "SecretName": name, "File": file}],
            command="busybox sha256sum /run/secrets/app-pw; sleep 3600",
        )
        service_id = swarm.service_create(spec)
        wait_running(swarm, service_id, 1)
        task = wait_for(lambda: running_task(swarm, service_id), 60, what="the service's task")
        wait_for(lambda: container_output(swarm, worker_swarm, task), 60, what="the task's output")
        assert hashlib.sha256(value.encode()).hexdigest() in container_output(swarm, worker_swarm, task)

        rows = {r["name"]: r for r in call("get", base(lab_cluster, "secrets") + "?limit=1000").json()["results"]}
        assert rows[name]["services"] == [service_name]
        refused = call("delete", f"{base(lab_cluster, 'secrets')}{secret_id}/")
        assert refused.status_code == 409
        assert refused.json()["errors"]["services"] == [service_name]
        call("get", f"{base(lab_cluster, 'secrets')}{secret_id}/")

        rotated = call("post", f"{base(lab_cluster, 'secrets')}{secret_id}/rotate/", {"data": new_value})
        assert rotated.status_code == 202, rotated.content
        op = wait_finished(rotated.json()["operation"]["id"], timeout=180)
        call("get", f"/api/v1/operations/{op.pk}/")
        call("get", f"/api/v1/operations/{op.pk}/events/")
        assert op.status == "succeeded", (op.explanation, events_of(op))
        assert op.result["new_name"] == f"{name}.v2"

        service = swarm.service_inspect(service_id)
        refs = service["Spec"]["TaskTemplate"]["ContainerSpec"]["Secrets"]
        assert [(r["SecretName"], r["File"]) for r in refs] == [(f"{name}.v2", file)]
        task = wait_for(lambda: running_task(swarm, service_id), 60, what="the new task")
        wait_for(lambda: container_output(swarm, worker_swarm, task), 60, what="the new task's output")
        assert hashlib.sha256(new_value.encode()).hexdigest() in container_output(swarm, worker_swarm, task)
        assert call("get", f"{base(lab_cluster, 'secrets')}{secret_id}/").status_code == 404
        rows = {r["name"]: r for r in call("get", base(lab_cluster, "secrets") + "?limit=1000").json()["results"]}
        assert name not in rows
        assert rows[f"{name}.v2"]["services"] == [service_name]
        assert rows[f"{name}.v2"]["labels"] == {"t": unique, "davit.rotated-from": name}

        remove_service(swarm, service_id)
        service_id = None
        removed = call("delete", f"{base(lab_cluster, 'secrets')}{rows[f'{name}.v2']['id']}/")
        assert removed.status_code == 204
    finally:
        worker_log = celery.output()
        celery.stop()
        if service_id:
            remove_service(swarm, service_id)
        for secret in swarm.secret_list(labels={"t": unique}):
            with contextlib.suppress(SwarmError):
                swarm.secret_remove(secret["ID"])

    stored = [
        *answers,
        caplog.text,
        worker_log,
        "\n".join(str((e.message, e.data)) for e in OperationEvent.objects.all()),
        "\n".join(str((o.params, o.result, o.explanation)) for o in Operation.objects.all()),
        "\n".join(str(a.summary) for a in AuditEntry.objects.all()),
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT sealed FROM operations_operation")
        stored += [row[0] for row in cursor.fetchall()]
    everything = "\n".join(stored)
    assert len(answers) >= 9
    assert "succeeded" in worker_log or "received" in worker_log, worker_log[-2000:]
    for secret_value in (value, new_value):
        assert secret_value not in everything
        assert secret_value.encode().hex() not in everything


def test_a_config_from_an_uploaded_file_and_its_rotation(api, swarm, lab_cluster, subprocess_env, unique):
    from django.core.files.uploadedfile import SimpleUploadedFile

    name = f"t-conf-{unique}"
    upload = SimpleUploadedFile("app.conf", b"level: 1\n")
    created = api.post(base(lab_cluster, "configs"), {"name": name, "file": upload}, format="multipart")
    assert created.status_code == 201, created.content
    config_id = created.json()["id"]
    service_id = swarm.service_create(
        {
            **service_spec(unique_name("t-conf-user"), replicas=0),
            "TaskTemplate": {
                "ContainerSpec": {
                    "Image": "lab/busybox:1",
                    "Command": ["sleep", "3600"],
                    "Configs": [
                        {
                            "ConfigID": config_id,
                            "ConfigName": name,
                            "File": {"Name": "/etc/app.conf", "UID": "0", "GID": "0", "Mode": 0o444},
                        }
                    ],
                }
            },
        }
    )
    celery = start_worker(subprocess_env, "rotate-config")
    try:
        with docker_calls(swarm_for(lab_cluster)) as calls:
            rows = {r["name"]: r for r in object_rows(lab_cluster, "config")}
        assert len(calls) == 2
        assert len(rows[name]["services"]) == 1
        response = api.post(f"{base(lab_cluster, 'configs')}{config_id}/rotate/", {"data": "level: 2\n"}, format="json")
        assert response.status_code == 202
        op = wait_finished(response.json()["operation"]["id"])
        assert op.status == "succeeded", (op.explanation, events_of(op))
        configs = swarm.service_inspect(service_id)["Spec"]["TaskTemplate"]["ContainerSpec"]["Configs"]
        assert [(c["ConfigName"], c["File"]["Name"], c["File"]["Mode"]) for c in configs] == [
            (f"{name}.v2", "/etc/app.conf", 0o444)
        ]
        new = swarm.config_inspect(configs[0]["ConfigID"])
        import base64

        assert base64.b64decode(new["Spec"]["Data"]) == b"level: 2\n"
        with pytest.raises(ObjectNotFound):
            swarm.config_inspect(config_id)
    finally:
        celery.stop()
        remove_service(swarm, service_id)
        for config in swarm.config_list():
            if config["Spec"]["Name"].startswith(name):
                swarm.config_remove(config["ID"])


def test_secret_input_errors(api, lab_cluster, operator_user, viewer_user, unique):
    url = base(lab_cluster, "secrets")
    assert api.post(url, {"name": "x"}, format="json").status_code == 400
    both = api.post(url, {"name": "x", "data": "a", "data_base64": "YQ=="}, format="json")
    assert both.status_code == 400
    assert "exactly one" in both.json()["detail"]
    empty = api.post(url, {"name": "x", "data": ""}, format="json")
    assert empty.status_code == 400
    assert "empty" in empty.json()["errors"]["data"][0]
    bad64 = api.post(url, {"name": "x", "data_base64": "%%%"}, format="json")
    assert bad64.status_code == 400
    assert "base64" in bad64.json()["errors"]["data_base64"][0]
    big = api.post(url, {"name": "x", "data": "a" * (500 * 1024 + 1)}, format="json")
    assert big.status_code == 400
    assert "at most" in big.json()["errors"]["data"][0]
    assert api_client_for(viewer_user).post(url, {"name": "x", "data": "a"}, format="json").status_code == 403
    assert api_client_for(viewer_user).get(url).status_code == 200
    made = api_client_for(operator_user).post(url, {"name": f"t-op-{unique}", "data_base64": "YQ=="}, format="json")
    assert made.status_code == 201
    assert api_client_for(operator_user).delete(f"{url}{made.json()['id']}/").status_code == 204
