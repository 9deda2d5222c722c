"""The `remove_stack` runner: `docker stack rm` done natively, plus the stack's volumes when asked.

params: namespace, volumes (bool), project_id. Everything is found by the label com.docker.stack.namespace:
services first, then (once their tasks are gone) secrets, configs and networks; volumes only with volumes=true,
on the manager's engine and on every node whose engine Davit knows (a volume lives on each node that used it).
"""

from __future__ import annotations

import contextlib
import time

from apps.operations.runner import OperationFailed
from apps.swarm.errors import ObjectNotFound, SwarmError
from apps.swarm.services import NAMESPACE_LABEL

WAIT_SECONDS = 90.0
POLL = 0.5


def _remove_retrying(ctx, remove, ident: str, what: str, deadline: float) -> bool:
    """Remove one object, retrying while it is still in use (tasks and containers go asynchronously)."""
    while True:
        try:
            remove(ident)
            return True
        except ObjectNotFound:
            return False
        except SwarmError as exc:
            if time.monotonic() > deadline:
                raise SwarmError(f"{what} could not be removed within {int(WAIT_SECONDS)} s: {exc.message}")
            ctx.check_cancel(max_age=2.0)
            time.sleep(POLL)


def _networks_left(client, label: dict) -> list[str]:
    """Networks of the stack still there. Engine 20.10 can keep listing a removed network (seen after jobs)
    while inspecting it answers "not found": such a ghost counts as gone."""
    left = []
    for network in client.network_list(labels=label):
        try:
            client.network_inspect(network["Id"])
        except ObjectNotFound:
            continue
        left.append(network["Id"])
    return left


def _wait_tasks_gone(ctx, client, service_ids: list[str], deadline: float) -> None:
    if not service_ids:
        return
    wanted = set(service_ids)
    while time.monotonic() < deadline:
        # filtering by removed service ids is an error ("service not found"): one unfiltered list per poll
        tasks = [t for t in client.task_list() if t.get("ServiceID") in wanted]
        alive = [t for t in tasks if (t.get("Status") or {}).get("State") in {"running", "starting", "preparing"}]
        if not alive:
            return
        ctx.check_cancel(max_age=2.0)
        time.sleep(POLL)
    ctx.event(
        "Some tasks of the removed services were still stopping; going on with the stack's other objects",
        level="warning",
    )


def _remove_volumes(ctx, cluster, namespace: str, deadline: float) -> list[str]:
    from apps.clusters.models import NodeEngine
    from apps.swarm.client import client_for

    engines = [("manager", cluster.endpoint)]
    engines += [
        (e.hostname or e.node_id or e.endpoint_url, e.endpoint) for e in NodeEngine.objects.filter(cluster=cluster)
    ]
    removed = []
    for where, endpoint in engines:
        try:
            client = client_for(endpoint)
            volumes = [v for v in client.volume_list() if (v.get("Labels") or {}).get(NAMESPACE_LABEL) == namespace]
        except SwarmError as exc:
            ctx.event(f"Volumes on {where} could not be listed: {exc.message}", level="warning", data={"node": where})
            continue
        for volume in volumes:
            name = volume.get("Name", "")
            ctx.event(f"Removing volume {name} on {where}", data={"volume": name, "node": where, "action": "remove"})
            if _remove_retrying(ctx, client.volume_remove, name, f"Volume {name} on {where}", deadline):
                removed.append(f"{name}@{where}")
    known = {e.node_id for e in NodeEngine.objects.filter(cluster=cluster) if e.node_id}
    known.add(getattr(cluster, "manager_node_id", "") or "")
    try:
        nodes = ctx.client.node_list()
    except SwarmError:
        nodes = []
    unknown = [(n.get("Description") or {}).get("Hostname", n.get("ID", "")) for n in nodes if n.get("ID") not in known]
    if unknown and len(engines) < len(nodes):
        ctx.event(
            "Volumes on nodes whose engine Davit does not know were left in place: " + ", ".join(sorted(unknown)),
            level="warning",
            data={"nodes": sorted(unknown)},
        )
    return removed


def run(ctx) -> dict:
    params = ctx.params
    namespace = params.get("namespace")
    if not isinstance(namespace, str) or not namespace:
        raise OperationFailed("Invalid parameters: namespace is missing")
    client = ctx.client
    label = {NAMESPACE_LABEL: namespace}
    deadline = time.monotonic() + WAIT_SECONDS
    result = ctx.result
    result.update({"namespace": namespace, "services": [], "secrets": [], "configs": [], "networks": [], "volumes": []})

    ctx.check_cancel()
    services = client.service_list(labels=label)
    total = max(len(services), 1)
    for number, service in enumerate(sorted(services, key=lambda s: s["Spec"]["Name"]), start=1):
        name = service["Spec"]["Name"]
        ctx.event(f"Removing service {name}", data={"service": name, "action": "remove"})
        with contextlib.suppress(ObjectNotFound):
            client.service_remove(service["ID"])
        result["services"].append(name)
        ctx.progress(40 * number / total)
    ctx.check_cancel()
    _wait_tasks_gone(ctx, client, [s["ID"] for s in services], deadline)
    ctx.progress(50)

    for kind, listing, remove in (
        ("secrets", client.secret_list, client.secret_remove),
        ("configs", client.config_list, client.config_remove),
        ("networks", client.network_list, client.network_remove),
    ):
        ctx.check_cancel()
        for obj in listing(labels=label):
            ident = obj.get("ID") or obj.get("Id")
            name = (obj.get("Spec") or {}).get("Name") or obj.get("Name") or ident
            word = kind[:-1]
            ctx.event(f"Removing {word} {name}", data={"object": word, f"{word}_name": name, "action": "remove"})
            if _remove_retrying(ctx, remove, ident, f"The {word} {name}", deadline):
                result[kind].append(name)
    while _networks_left(client, label):  # overlay networks go asynchronously
        if time.monotonic() > deadline:
            raise OperationFailed(f"The networks of stack {namespace} were still there after {int(WAIT_SECONDS)} s.")
        time.sleep(POLL)
    ctx.progress(80)

    if params.get("volumes"):
        ctx.check_cancel()
        result["volumes"] = _remove_volumes(ctx, ctx.operation.cluster, namespace, deadline)
    counts = ", ".join(f"{len(result[k])} {k}" for k in ("services", "secrets", "configs", "networks", "volumes"))
    if not any(result[k] for k in ("services", "secrets", "configs", "networks", "volumes")):
        ctx.summary = f"Stack {namespace} had nothing on the swarm to remove."
    else:
        ctx.summary = f"Removed stack {namespace}: {counts}." + ("" if params.get("volumes") else " Volumes were kept.")
    return result
