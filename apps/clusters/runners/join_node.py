"""join_node: make a Docker engine join the operation's cluster as a worker or a manager.

Params: engine_id (a NodeEngine), endpoint, role, advertise_addr, listen_addr. The join token is read from the
cluster at run time and is never put in an event, a log line or the operation's params.
"""

from __future__ import annotations

import time

from apps.operations.runner import OperationFailed
from apps.swarm.client import SwarmClient
from apps.swarm.errors import ObjectNotFound, SwarmError

READY_TIMEOUT = 90


def _cluster(ctx):
    from apps.clusters.models import Cluster

    return Cluster.objects.get(pk=ctx.operation.cluster_id)


def run(ctx) -> dict:
    from apps.clusters.models import NodeEngine
    from apps.clusters.services import cluster_refresh, engine_mark_node

    params = ctx.params
    role = params["role"]
    cluster = _cluster(ctx)
    engine = NodeEngine.objects.filter(pk=params["engine_id"], cluster=cluster).first()
    if engine is None:
        raise OperationFailed(f"the engine at {params.get('endpoint')} is no longer recorded for {cluster.name}")
    url = engine.endpoint_url
    ctx.progress(5)
    ctx.event(f"Checking the Docker engine at {url}")
    target = SwarmClient(engine.endpoint)
    try:
        try:
            state = target.engine_swarm_state()
        except SwarmError as exc:
            raise OperationFailed(f"The engine at {url} cannot be used: {exc}")
        ctx.event(
            f"The engine at {url} answers: {state['hostname'] or 'unnamed host'}, Docker {state['engine_version']}, "
            f"swarm state {state['state']}"
        )
        if state["state"] != "inactive":
            if _is_node_of(ctx.client, state["node_id"]):
                if state["node_id"]:
                    engine_mark_node(engine, state["node_id"], state["hostname"])
                raise OperationFailed(
                    f"The engine at {url} is already a node of cluster {cluster.name} (node {state['node_id'][:12]})"
                )
            which = f" ({state['swarm_id'][:12]})" if state["swarm_id"] else ""
            raise OperationFailed(
                f"The engine at {url} is already in a swarm{which}, state {state['state']}; make it leave that swarm "
                "first (docker swarm leave) and add it again"
            )
        ctx.check_cancel()
        ctx.progress(15)
        client = ctx.client
        try:
            token = client.swarm_join_tokens()[role]
            managers = client.swarm_manager_addresses()
        except SwarmError as exc:
            raise OperationFailed(f"Reading the join token of cluster {cluster.name} failed: {exc}")
        if not managers:
            raise OperationFailed(f"cluster {cluster.name} reports no manager address to join")
        ctx.event(f"Read the {role} join token of {cluster.name} (not shown); managers at {', '.join(managers)}")
        ctx.progress(25)
        ctx.event(f"Joining {url} to the swarm as a {role}")
        try:
            target.swarm_join(
                managers,
                token,
                listen_addr=params.get("listen_addr") or "0.0.0.0:2377",
                advertise_addr=params.get("advertise_addr") or None,
            )
        except SwarmError as exc:
            raise OperationFailed(f"The engine at {url} could not join the swarm: {exc}")
        del token
        ctx.progress(60)
        state = target.engine_swarm_state()
        node_id = state["node_id"]
        if not node_id:
            raise OperationFailed(f"The engine at {url} did not report a node id after joining")
        engine_mark_node(engine, node_id, state["hostname"])
        ctx.event(f"The engine joined as node {node_id[:12]} ({state['hostname']}); waiting for it to be ready")
        _wait_ready(ctx, client, node_id, state["hostname"])
    finally:
        target.close()
    ctx.progress(95)
    cluster_refresh(cluster)
    ctx.summary = f"Node {state['hostname']} ({node_id[:12]}) joined cluster {cluster.name} as a {role} and is ready."
    ctx.event(f"Node {state['hostname']} is ready as a {role}; cluster {cluster.name} has {cluster.node_count} nodes")
    ctx.progress(100)
    return {"node_id": node_id, "hostname": state["hostname"], "role": role, "engine_id": engine.pk}


def _is_node_of(client, node_id: str) -> bool:
    """A worker engine does not know its swarm's id: ask the cluster's managers whether they list the node."""
    if not node_id:
        return False
    try:
        client.node_inspect(node_id)
    except ObjectNotFound:
        return False
    return True


def _wait_ready(ctx, client, node_id: str, hostname: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    last = None
    while True:
        ctx.check_cancel()
        try:
            node = client.node_inspect(node_id)
            state = (node.get("Status") or {}).get("State", "")
        except ObjectNotFound:
            state = "not listed yet"
        except SwarmError as exc:
            state = f"unknown ({exc})"
        if state != last:
            ctx.event(f"Node {hostname}: {state}")
            last = state
        if state == "ready":
            return
        if time.monotonic() > deadline:
            raise OperationFailed(
                f"Node {hostname} joined but was not ready after {READY_TIMEOUT}s (state: {state}); check that the "
                "swarm ports (2377/tcp, 7946/tcp+udp, 4789/udp) are open between it and the managers"
            )
        time.sleep(1)
