"""Matrix builders of the clusters app (format: tests/support/matrix.py).

Objects live on the shared lab: networks, volumes, secrets and configs are created fresh (unique names) and
removed at the end; nodes are the lab's real worker, so the write bodies are refused by the service AFTER the
permission check (a stale version gives 409, removing an up node gives 409): the lab never changes.
"""

import contextlib

from apps.clusters.models import Cluster, NodeEngine
from apps.clusters.services import cluster_refresh
from apps.swarm.client import SwarmClient
from apps.swarm.endpoint import Endpoint
from apps.swarm.errors import SwarmError

_clients: dict[str, SwarmClient] = {}


def _manager(ctx) -> SwarmClient:
    url = ctx.lab["DOCKER_HOST"]
    if url not in _clients:
        _clients[url] = SwarmClient(Endpoint(url=url, timeout=30))
    return _clients[url]


def cluster(ctx):
    c = Cluster.objects.create(name=ctx.unique("c"), team=ctx.team, endpoint_url=ctx.lab["DOCKER_HOST"])
    cluster_refresh(c)
    return {"pk": c.pk, "cluster_pk": c.pk, "_marker": c.name, "_body": {"description": "matrix"}}


def node(ctx):
    base = ctx.build("cluster")
    c = Cluster.objects.get(pk=base["pk"])
    nodes = _manager(ctx).node_list()
    others = [n["ID"] for n in nodes if n["ID"] != c.manager_node_id and n["Status"]["State"] == "ready"]
    node_id = (others or [c.manager_node_id])[0]
    return {"pk": c.pk, "cluster_pk": c.pk, "node_id": node_id}


def node_patch(ctx):
    # version 0 is never a node's current version: allowed roles get 409 and nothing changes
    return {"version": 0, "add_labels": {"davit.test.matrix": "1"}}


def node_label_form(ctx):
    return {"action": "label-set", "version": "0", "key": "davit.test.matrix", "value": "1"}


def engine(ctx):
    c = Cluster.objects.create(name=ctx.unique("c"), team=ctx.team, endpoint_url=ctx.lab["DOCKER_HOST"])
    e = NodeEngine.objects.create(cluster=c, endpoint_url=ctx.lab["DAVIT_LAB_WORKER_HOST"])
    return {"pk": c.pk, "engine_pk": e.pk}


def _cleanup(ctx, function, *args):
    def run():
        with contextlib.suppress(SwarmError):
            function(*args)

    ctx.cleanup(run)


def network(ctx):
    base = ctx.build("cluster")
    client = _manager(ctx)
    network_id = client.network_create({"Name": ctx.unique("matrix-net"), "Driver": "overlay", "Scope": "swarm"})
    _cleanup(ctx, client.network_remove, network_id)
    return {"pk": base["pk"], "network_id": network_id}


def volume(ctx):
    base = ctx.build("cluster")
    c = Cluster.objects.get(pk=base["pk"])
    client = _manager(ctx)
    name = ctx.unique("matrix-vol")
    client.volume_create(name)
    _cleanup(ctx, client.volume_remove, name)
    return {"pk": base["pk"], "node_id": c.manager_node_id, "name": name}


def _swarm_object(ctx, kind: str, value: bytes):
    """A secret or a config on the lab swarm, removed at the end."""
    base = ctx.build("cluster")
    client = _manager(ctx)
    obj_id = getattr(client, f"{kind}_create")(ctx.unique(f"matrix-{kind}"), value)
    _cleanup(ctx, getattr(client, f"{kind}_remove"), obj_id)
    return {"pk": base["pk"], "obj_id": obj_id}


def secret(ctx):
    return _swarm_object(ctx, "secret", b"matrix value")


def config(ctx):
    return _swarm_object(ctx, "config", b"matrix: 1\n")


def cluster_register(ctx):
    return {"team": ctx.team.pk, "name": ctx.unique("c"), "endpoint_url": ctx.lab["DOCKER_HOST"]}


BUILDERS = {
    "cluster": cluster,
    "node": node,
    "node-patch": node_patch,
    "node-label-form": node_label_form,
    "engine": engine,
    "network": network,
    "volume": volume,
    "secret": secret,
    "config": config,
    "cluster-register": cluster_register,
    "cluster-register-form": cluster_register,
}
