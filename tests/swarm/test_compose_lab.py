"""On the lab swarm: every create body of load_stack is accepted by the engine, and what the engine stores
normalizes to exactly what was sent (so a redeploy can tell "unchanged" from "changed").

For each own conformance case the plan's networks, secrets, configs and services are created through the raw
Engine API, names resolved to ids as the `apply` runner must, then each service is read back.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import time
from pathlib import Path

import pytest

from apps.swarm.compose import load_stack
from apps.swarm.errors import ObjectNotFound, SwarmError
from apps.swarm.specs import normalize, normalize_file_object, spec_changes

CASES = Path(__file__).resolve().parents[1] / "conformance" / "cases"


def case_folders() -> list[Path]:
    return sorted(p for p in CASES.iterdir() if (p / "stack.yml").is_file())


def read_case(folder: Path) -> tuple[dict, dict]:
    variables = {}
    if (folder / "env").is_file():
        for line in (folder / "env").read_text().splitlines():
            key, found, value = line.partition("=")
            if found:
                variables[key] = value
    files = {
        str(p.relative_to(folder)): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and p.name not in ("stack.yml", "env", "external-networks")
    }
    return variables, files


def remove_all(swarm, nodes, namespace: str) -> None:
    """Services, secrets, configs, networks, then the named volumes the engines created for the tasks."""
    label = {"label": [f"com.docker.stack.namespace={namespace}"]}
    for service in swarm.api.services(filters=label):
        swarm.api.remove_service(service["ID"])
    for secret in swarm.api.secrets(filters=label):
        swarm.api.remove_secret(secret["ID"])
    for config in swarm.api.configs(filters=label):
        swarm.api.remove_config(config["ID"])
    ghosts: set[str] = set()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        leftovers = [n for n in swarm.api.networks(filters=label) if n["Id"] not in ghosts]
        for engine in nodes:
            leftovers += engine.api.volumes(filters=label).get("Volumes") or []
        if not leftovers:
            return
        for network in swarm.api.networks(filters=label):
            try:
                with swarm.translate("Removing a network"):
                    swarm.api.remove_network(network["Id"])
            except ObjectNotFound:
                # engine 20.10 can keep a node-local ghost of a removed overlay network (the load-balancer
                # endpoint of a job leaks): the swarm says "not found"; it is gone for the swarm
                ghosts.add(network["Id"])
            except SwarmError:
                pass  # tasks may still hold it: retried until the deadline
        for engine in nodes:
            for volume in engine.api.volumes(filters=label).get("Volumes") or []:
                with contextlib.suppress(Exception):  # its container may still be stopping
                    engine.api.remove_volume(volume["Name"])
        time.sleep(0.5)
    raise AssertionError(f"stack {namespace} left networks or volumes behind")


@pytest.mark.parametrize("folder", case_folders(), ids=lambda p: p.name)
def test_engine_stores_what_the_plan_sends(swarm, worker_swarm, unique, folder):
    namespace = f"lab{unique}"
    variables, files = read_case(folder)
    plan = load_stack((folder / "stack.yml").read_text(), namespace=namespace, files=files, variables=variables)
    wanted = (folder / "external-networks").read_text().split() if (folder / "external-networks").is_file() else []
    existing = {n["Name"] for n in swarm.api.networks()}
    made_here = [name for name in wanted if name not in existing]
    api_version = swarm.api.api_version
    try:
        for name in made_here:
            swarm.api.create_network(name, driver="overlay", attachable=True)
        for body in plan.networks.values():
            swarm._post("/networks/create", {**body, "CheckDuplicate": True}, headers={})
        secret_ids = {
            name: swarm._post("/secrets/create", body, headers={})["ID"] for name, body in plan.secrets.items()
        }
        config_ids = {
            name: swarm._post("/configs/create", body, headers={})["ID"] for name, body in plan.configs.items()
        }
        for name, body in plan.secrets.items():
            stored = swarm._get(f"/secrets/{secret_ids[name]}")  # the engine never returns a secret's data
            assert normalize_file_object(stored) == normalize_file_object({**body, "Data": ""})
        for name, body in plan.configs.items():
            stored = swarm._get(f"/configs/{config_ids[name]}")
            assert base64.b64decode(stored["Spec"]["Data"]) == base64.b64decode(body["Data"])
            assert normalize_file_object(stored) == normalize_file_object(body)

        created = {}
        for key, body in plan.services.items():
            resolved = copy.deepcopy(body)
            container = resolved["TaskTemplate"]["ContainerSpec"]
            for ref in container.get("Secrets", []):
                ref["SecretID"] = secret_ids[ref["SecretName"]]
            for ref in container.get("Configs", []):
                ref["ConfigID"] = config_ids[ref["ConfigName"]]
            created[key] = swarm._post("/services/create", resolved, headers={})["ID"]

        networks = {n["Id"]: n["Name"] for n in swarm.api.networks()}
        secrets = {v: k for k, v in secret_ids.items()}
        configs = {v: k for k, v in config_ids.items()}
        for key, service_id in created.items():
            stored = swarm._get(f"/services/{service_id}")
            desired = normalize(plan.services[key], namespace=namespace, api_version=api_version)
            actual = normalize(stored, networks=networks, secrets=secrets, configs=configs, namespace=namespace)
            assert spec_changes(desired, actual) == [], key
            assert actual["Name"] == f"{{stack}}_{key}"
            assert actual["Labels"]["com.docker.stack.namespace"] == "{stack}"
    finally:
        remove_all(swarm, [swarm, worker_swarm], namespace)
        for name in made_here:
            with contextlib.suppress(Exception):  # best effort: an external network of this case only
                swarm.api.remove_network(name)
