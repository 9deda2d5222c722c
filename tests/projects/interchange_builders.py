"""Matrix builders of imports, exports and adoption (merged into tests/projects/builders.py's BUILDERS).

Bodies never change the lab: an adoption names a stack that does not run (allowed roles get 400), a bundle import
makes a project row only. `unowned-stack` runs one stack service with 0 replicas (removed afterwards) so the
stacks page has a marker to show team A's admin and hide from team B's.
"""

import contextlib
import json
import uuid

from apps.clusters.models import Cluster
from apps.swarm.client import SwarmClient
from apps.swarm.endpoint import Endpoint
from apps.swarm.errors import SwarmError

NAMESPACE_LABEL = "com.docker.stack.namespace"

BUNDLE = {"Version": "0.1", "Services": {"web": {"Image": "lab/busybox:1", "Args": ["sleep", "3600"]}}}


def unowned_stack(ctx):
    ctx.build("project-cluster")  # team A has a cluster on the lab
    namespace = f"mxs{uuid.uuid4().hex[:8]}"
    client = SwarmClient(Endpoint(url=ctx.lab["DOCKER_HOST"], timeout=30))
    service_id = client.service_create(
        {
            "Name": f"{namespace}_web",
            "Labels": {NAMESPACE_LABEL: namespace},
            "TaskTemplate": {"ContainerSpec": {"Image": "lab/busybox:1", "Args": ["sleep", "3600"]}},
            "Mode": {"Replicated": {"Replicas": 0}},
        }
    )

    def remove():
        with contextlib.suppress(SwarmError):
            client.service_remove(service_id)
        client.close()

    ctx.cleanup(remove)
    return {"_marker": namespace}


def adopt_stack(ctx):
    cluster = Cluster.objects.get(pk=ctx.build("project-cluster")["cluster_pk"])
    return {"team": ctx.team.pk, "cluster": cluster.pk, "stack": f"mxnone{uuid.uuid4().hex[:8]}"}


def adopt_stack_form(ctx):
    body = adopt_stack(ctx)
    del body["team"]
    return body


def new_bundle(ctx):
    return {
        "team": ctx.team.pk,
        "cluster": ctx.build("project-cluster")["cluster_pk"],
        "name": ctx.unique("nb").replace("-", ""),
        "bundle": BUNDLE,
        "message": "matrix",
    }


def new_bundle_form(ctx):
    body = new_bundle(ctx)
    body["bundle"] = json.dumps(BUNDLE)
    return body


BUILDERS = {
    "unowned-stack": unowned_stack,
    "adopt-stack": adopt_stack,
    "adopt-stack-form": adopt_stack_form,
    "new-bundle": new_bundle,
    "new-bundle-form": new_bundle_form,
}
