"""Cluster reads, scoped to the user. Live swarm reads cost a FIXED number of Docker calls, never one per row:

- nodes: 2 (node list + one task list for the counts)
- a node: 3 (node, its tasks, the service list for names)
- networks / secrets / configs: 2 (their list + one service list for "used by")
- volumes of a node: 1 (on that node's engine)
"""

from __future__ import annotations

from django.db.models import QuerySet

from apps.accounts.permissions import Action, require, restrict
from apps.core.errors import NotFound, ValidationFailed
from apps.swarm import nodes as swarm_nodes
from apps.swarm import resources as swarm_resources
from apps.swarm.errors import ObjectNotFound, SwarmError

from .models import Cluster, NodeEngine
from .services import engine_for_node
from .swarm import swarm_for

TASKS_ON_NODE_PAGE = 200


def clusters_for(user, action: Action = Action.VIEW) -> QuerySet:
    return restrict(Cluster.objects.select_related("team"), user, action)


def cluster_get(user, pk, action: Action = Action.VIEW) -> Cluster:
    """The cluster if the user may see it (NotFound otherwise: no existence leak) and has `action` rights."""
    try:
        cluster = Cluster.objects.select_related("team").get(pk=int(pk))
    except (Cluster.DoesNotExist, TypeError, ValueError):
        raise NotFound(f"cluster {pk} does not exist or you are not a member of its team")
    require(user, cluster.team, action, f"cluster {cluster.name}")
    return cluster


def engines_for(cluster: Cluster) -> QuerySet:
    return NodeEngine.objects.filter(cluster=cluster).order_by("hostname", "endpoint_url")


def engine_get(user, cluster: Cluster, pk, action: Action = Action.VIEW) -> NodeEngine:
    require(user, cluster.team, action, f"cluster {cluster.name}")
    try:
        return NodeEngine.objects.select_related("cluster__team").get(cluster=cluster, pk=int(pk))
    except (NodeEngine.DoesNotExist, TypeError, ValueError):
        raise NotFound(f"engine {pk} is not recorded for cluster {cluster.name}")


# ------------------------------------------------------------------------------------------------- nodes


def node_rows(cluster: Cluster) -> list[dict]:
    """Every node with its task counts: two Docker calls, whatever the number of nodes."""
    client = swarm_for(cluster)
    nodes = client.node_list()
    counts = swarm_nodes.task_counts(client.task_list_raw({"desired-state": ["running"]}))
    engines = set(NodeEngine.objects.filter(cluster=cluster).exclude(node_id="").values_list("node_id", flat=True))
    rows = []
    for node in nodes:
        row = swarm_nodes.node_summary(node, counts.get(node.get("ID", "")))
        row["engine_known"] = row["id"] in engines or row["id"] == cluster.manager_node_id
        row["is_endpoint"] = row["id"] == cluster.manager_node_id
        rows.append(row)
    rows.sort(key=lambda r: (r["role"] != "manager", r["hostname"], r["id"]))
    return rows


def node_detail(cluster: Cluster, node_id: str) -> dict:
    """A node and its tasks (newest first) with service names: three Docker calls."""
    client = swarm_for(cluster)
    try:
        node = client.node_inspect(node_id)
    except ObjectNotFound:
        raise NotFound(f"node {node_id} is not a node of cluster {cluster.name}")
    tasks = client.task_list(node=node.get("ID", node_id))
    names = {s["ID"]: (s.get("Spec") or {}).get("Name", "") for s in client.service_list()}
    counts = swarm_nodes.task_counts(tasks).get(node.get("ID", ""), {})
    summary = swarm_nodes.node_summary(node, counts)
    summary["is_endpoint"] = summary["id"] == cluster.manager_node_id
    summary["engine_known"] = (
        summary["is_endpoint"] or NodeEngine.objects.filter(cluster=cluster, node_id=summary["id"]).exists()
    )
    rows = [swarm_nodes.task_summary(t, names) for t in tasks]
    rows.sort(key=lambda t: t["timestamp"], reverse=True)
    return {"node": summary, "tasks": rows[:TASKS_ON_NODE_PAGE], "task_total": len(rows)}


def join_info(user, cluster: Cluster) -> dict:
    """Join tokens and manager addresses: cluster admins only (two Docker calls)."""
    require(user, cluster.team, Action.ADMIN, f"the join tokens of cluster {cluster.name}")
    client = swarm_for(cluster)
    tokens = client.swarm_join_tokens()
    managers = client.swarm_manager_addresses()
    first = managers[0] if managers else "MANAGER:2377"
    return {
        "worker": tokens["worker"],
        "manager": tokens["manager"],
        "managers": managers,
        "commands": {role: f"docker swarm join --token {tokens[role]} {first}" for role in ("worker", "manager")},
    }


# ------------------------------------------------------------------------------------------------- networks


def network_rows(cluster: Cluster) -> list[dict]:
    client = swarm_for(cluster)
    networks = client.network_list()
    using = swarm_resources.services_by_network(client.service_list())
    rows = [swarm_resources.network_summary(n, using) for n in networks]
    rows.sort(key=lambda r: (r["predefined"], r["scope"] != "swarm", r["name"]))
    return rows


def network_detail(cluster: Cluster, network_id: str) -> dict:
    client = swarm_for(cluster)
    try:
        network = client.network_inspect(network_id)
    except ObjectNotFound:
        raise NotFound(f"network {network_id} does not exist in cluster {cluster.name}")
    using = swarm_resources.services_by_network(client.service_list())
    return swarm_resources.network_summary(network, using)


# ------------------------------------------------------------------------------------------------- volumes


def volume_rows(cluster: Cluster, node: str | None) -> tuple[str, list[dict]]:
    """Volumes of one node (default: the manager the cluster endpoint reaches): one call on its engine."""
    from apps.swarm.client import client_for

    node_id, endpoint = engine_for_node(cluster, node)
    rows = [swarm_resources.volume_summary(v) for v in client_for(endpoint).volume_list()]
    rows.sort(key=lambda r: r["name"])
    return node_id, rows


def volume_nodes(cluster: Cluster) -> list[dict]:
    """Nodes whose engine Davit knows (for the volume page's node picker); no Docker call."""
    known = [{"id": cluster.manager_node_id, "label": "manager (cluster endpoint)"}] if cluster.manager_node_id else []
    for engine in engines_for(cluster).exclude(node_id=""):
        if engine.node_id != cluster.manager_node_id:
            known.append({"id": engine.node_id, "label": f"{engine.hostname or engine.node_id[:12]}"})
    return known


# ------------------------------------------------------------------------------------------------- secrets, configs


def _check_kind(kind: str) -> None:
    if kind not in ("secret", "config"):
        raise ValidationFailed(f"unknown kind {kind!r}", field="kind")


def object_rows(cluster: Cluster, kind: str, services: list | None = None) -> list[dict]:
    _check_kind(kind)
    client = swarm_for(cluster)
    objects = client.secret_list() if kind == "secret" else client.config_list()
    services = client.service_list() if services is None else services
    finder = swarm_resources.services_by_secret if kind == "secret" else swarm_resources.services_by_config
    using = finder(services)
    rows = [swarm_resources.object_summary(o, using) for o in objects]
    rows.sort(key=lambda r: r["name"])
    return rows


def object_detail(cluster: Cluster, kind: str, obj_id: str) -> dict:
    _check_kind(kind)
    client = swarm_for(cluster)
    try:
        obj = client.secret_inspect(obj_id) if kind == "secret" else client.config_inspect(obj_id)
    except ObjectNotFound:
        raise NotFound(f"{kind} {obj_id} does not exist in cluster {cluster.name}")
    finder = swarm_resources.services_by_secret if kind == "secret" else swarm_resources.services_by_config
    return swarm_resources.object_summary(obj, finder(client.service_list()))


# ------------------------------------------------------------------------------------------------- across clusters


def _per_cluster(user, read) -> list[dict]:
    sections = []
    for cluster in clusters_for(user):
        try:
            sections.append({"cluster": cluster, "rows": read(cluster), "error": ""})
        except SwarmError as exc:
            sections.append({"cluster": cluster, "rows": [], "error": str(exc)})
    return sections


def networks_all(user) -> list[dict]:
    """Networks of every cluster the user can see: two Docker calls per cluster, an error per unreachable one."""
    return _per_cluster(user, network_rows)


def secrets_all(user) -> list[dict]:
    """Secrets and configs of every cluster the user can see: three Docker calls per cluster."""

    def read(cluster):
        services = swarm_for(cluster).service_list()
        return {
            "secrets": object_rows(cluster, "secret", services),
            "configs": object_rows(cluster, "config", services),
        }

    return _per_cluster(user, read)
