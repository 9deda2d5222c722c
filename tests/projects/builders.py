"""Matrix builders of the projects app (format: tests/support/matrix.py).

Projects are made on a cluster of team A pointing at the lab manager, with two revisions and nothing deployed:
allowed deploys/removes only queue an operation (no worker runs in the matrix), drift actions answer 409
(nothing deployed), so the lab never changes.
"""

from apps.clusters.models import Cluster
from apps.projects import services

COMPOSE = """\
services:
  web:
    image: lab/busybox:1
    command: ["sleep", "3600"]
"""

COMPOSE_2 = (
    COMPOSE
    + """    environment:
      MATRIX: "2"
"""
)


def project_cluster(ctx):
    cluster = Cluster.objects.create(name=ctx.unique("pc"), team=ctx.team, endpoint_url=ctx.lab["DOCKER_HOST"])
    return {"cluster_pk": cluster.pk}


def project(ctx):
    cluster = Cluster.objects.get(pk=ctx.build("project-cluster")["cluster_pk"])
    created = services.project_create(None, ctx.team, cluster, ctx.unique("mx").replace("-", ""), COMPOSE)
    services.revision_create(None, created, COMPOSE_2, message="second")
    return {"pk": created.pk, "number": 2, "_query": {"against": 1}, "_marker": created.name}


def new_project(ctx):
    return {
        "name": ctx.unique("np").replace("-", ""),
        "team": ctx.team.pk,
        "cluster": ctx.build("project-cluster")["cluster_pk"],
        "compose": COMPOSE,
        "variables": {"A": "1"},
        "message": "matrix",
    }


def new_project_form(ctx):
    body = new_project(ctx)
    body["variables"] = "A=1"
    return body


def project_revision(ctx):
    return {"compose": COMPOSE_2, "message": "matrix"}


def project_revision_form(ctx):
    return {"compose": COMPOSE_2, "variables": "", "message": "matrix", "keep_files": "on"}


def project_rollback(ctx):
    return {"revision": 1}


def project_drift_action(ctx):
    return {"action": "reapply"}


def team_policy(ctx):
    return {"pk": ctx.team.pk, "team_pk": ctx.team.pk}


def team_policy_form(ctx):
    return {"allow_capabilities": ""}


def team_policy_patch(ctx):
    return {"allow_capabilities": False}


BUILDERS = {
    "project-cluster": project_cluster,
    "project": project,
    "new-project": new_project,
    "new-project-form": new_project_form,
    "project-revision": project_revision,
    "project-revision-form": project_revision_form,
    "project-rollback": project_rollback,
    "project-drift-action": project_drift_action,
    "team-policy": team_policy,
    "team-policy-form": team_policy_form,
    "team-policy-patch": team_policy_patch,
}

from .interchange_builders import BUILDERS as INTERCHANGE  # noqa: E402  (imports, exports, adoption)

BUILDERS.update(INTERCHANGE)
