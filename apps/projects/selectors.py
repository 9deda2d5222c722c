"""Reads of projects, scoped to the user; live reads cost a FIXED number of Docker calls, never one per row:

- a project's services: 1 (one service list filtered by the stack's label, with task counts)
- its tasks: 1 more (one task list for all its services) plus 1 node list for the node names
- its drift: 1 service list + 1 network list (ids to names)
- the services page: 1 service list per cluster the user can see projects on
"""

from __future__ import annotations

import copy
import logging

from django.db.models import QuerySet

from apps.accounts.permissions import Action, require, restrict
from apps.clusters.swarm import swarm_for
from apps.core.errors import NotFound, ValidationFailed
from apps.swarm.errors import SwarmError
from apps.swarm.services import NAMESPACE_LABEL, desired_replicas, service_mode

from . import diffing
from .models import Project, Revision, TeamPolicy

logger = logging.getLogger(__name__)

TASKS_SHOWN = 200


# ------------------------------------------------------------------------------------------------ rows
def projects_for(user, action: Action = Action.VIEW) -> QuerySet:
    return restrict(
        Project.objects.select_related("team", "cluster", "deployed_revision"),
        user,
        action,
    )


def project_get(user, pk, action: Action = Action.VIEW) -> Project:
    """The project if the user may see it (NotFound otherwise: no existence leak) and has `action` rights."""
    try:
        project = Project.objects.select_related("team", "cluster", "deployed_revision").get(pk=int(pk))
    except (Project.DoesNotExist, TypeError, ValueError):
        raise NotFound(f"project {pk} does not exist or you are not a member of its team")
    require(user, project.team, action, f"project {project.name}")
    return project


def revisions_of(project: Project) -> QuerySet:
    return project.revisions.select_related("author").order_by("-number")


def revision_get(project: Project, number) -> Revision:
    try:
        return project.revisions.select_related("author").get(number=int(number))
    except (Revision.DoesNotExist, TypeError, ValueError):
        raise NotFound(f"project {project.name} has no revision {number}")


def team_policy(team) -> TeamPolicy:
    return TeamPolicy.for_team(team)


def recent_operations(project: Project, limit: int = 10):
    from apps.operations.models import Operation

    return (
        Operation.objects.filter(target_type="project", target_id=str(project.pk))
        .defer("sealed")
        .select_related("created_by")
        .order_by("-created", "-id")[:limit]
    )


# ------------------------------------------------------------------------------------------------ diff
def revision_diff(project: Project, a, b) -> dict:
    """Revision `a` against revision `b` of the project: per service (and network, secret, config), per field;
    plus the variables, the names of the files that changed, and the Compose source line by line."""
    left = a if isinstance(a, Revision) else revision_get(project, a)
    right = b if isinstance(b, Revision) else revision_get(project, b)
    left_files, right_files = left.files, right.files
    changed_files = sorted(
        name
        for name in set(left_files) | set(right_files)
        if left_files.get(name) != right_files.get(name)  # contents compared, never returned
    )
    sections = diffing.specs_diff(left.specs, right.specs)
    return {
        "from": left.number,
        "to": right.number,
        "services": sections["services"],
        "networks": sections["networks"],
        "secrets": sections["secrets"],
        "configs": sections["configs"],
        "externals": sections["externals"],
        "variables": diffing.mapping_diff(left.variables, right.variables),
        "files": changed_files,
        "source": diffing.text_diff(left.source, right.source, f"revision {left.number}", f"revision {right.number}"),
        "changed": any(row["status"] != "unchanged" for rows in sections.values() for row in rows)
        or bool(changed_files),
    }


# ------------------------------------------------------------------------------------------------ live
def _short(project: Project, name: str) -> str:
    prefix = f"{project.namespace}_"
    return name[len(prefix) :] if name.startswith(prefix) else name


def stack_services(project: Project, *, status: bool = True) -> list[dict]:
    """The stack's live services (one call)."""
    return swarm_for(project.cluster).service_list(labels={NAMESPACE_LABEL: project.namespace}, status=status)


def service_row(service: dict, project: Project | None = None) -> dict:
    spec = service.get("Spec") or {}
    counts = service.get("ServiceStatus") or {}
    container = (spec.get("TaskTemplate") or {}).get("ContainerSpec") or {}
    labels = spec.get("Labels") or {}
    name = spec.get("Name", "")
    namespace = labels.get(NAMESPACE_LABEL, "")
    short = name[len(namespace) + 1 :] if namespace and name.startswith(f"{namespace}_") else name
    update = service.get("UpdateStatus") or {}
    return {
        "id": service.get("ID", ""),
        "name": name,
        "short": short,
        "namespace": namespace,
        "image": container.get("Image", ""),
        "mode": service_mode(spec),
        "replicas": desired_replicas(spec),
        "running": counts.get("RunningTasks"),
        "desired": counts.get("DesiredTasks"),
        "updated": service.get("UpdatedAt", ""),
        "created": service.get("CreatedAt", ""),
        "update_state": update.get("State", ""),
        "update_message": update.get("Message", ""),
        "ports": [
            f"{p.get('PublishedPort', '')}:{p.get('TargetPort', '')}/{p.get('Protocol', 'tcp')} "
            f"({p.get('PublishMode', 'ingress')})"
            for p in (spec.get("EndpointSpec") or {}).get("Ports") or []
        ],
        "project_id": project.pk if project else None,
        "project": project.name if project else "",
    }


def project_live(project: Project, *, with_tasks: bool = True) -> dict:
    """What the project page shows from the swarm: services (1 call), tasks (1 call) and node names (1 call),
    and the drift computed from the same service list (+1 network list). An unreachable cluster gives
    {"error": sentence} instead of raising."""
    try:
        client = swarm_for(project.cluster)
        services = stack_services(project)
        rows = sorted((service_row(s, project) for s in services), key=lambda r: r["name"])
        tasks = []
        if with_tasks and services:
            node_names = {n.get("ID"): (n.get("Description") or {}).get("Hostname", "") for n in client.node_list()}
            names = {s["ID"]: (s.get("Spec") or {}).get("Name", "") for s in services}
            raw = client.task_list(service=list(names))
            raw.sort(key=lambda t: t.get("UpdatedAt", ""), reverse=True)
            for task in raw[:TASKS_SHOWN]:
                status = task.get("Status") or {}
                tasks.append(
                    {
                        "id": task.get("ID", ""),
                        "service": names.get(task.get("ServiceID"), task.get("ServiceID", "")),
                        "slot": task.get("Slot"),
                        "node": node_names.get(task.get("NodeID"), task.get("NodeID", "")),
                        "state": status.get("State", ""),
                        "desired": task.get("DesiredState", ""),
                        "message": status.get("Err") or status.get("Message", ""),
                        "updated": task.get("UpdatedAt", ""),
                        "image": ((task.get("Spec") or {}).get("ContainerSpec") or {}).get("Image", ""),
                    }
                )
        drift = project_drift(project, live=services) if project.deployed_revision_id else None
    except SwarmError as exc:
        return {"error": str(exc), "services": [], "tasks": [], "drift": None}
    return {"error": "", "services": rows, "tasks": tasks, "drift": drift}


def _network_names(client) -> dict[str, str]:
    return {n.get("Id", ""): n.get("Name", "") for n in client.network_list()}


def project_drift(project: Project, *, live: list[dict] | None = None) -> dict:
    """The deployed revision against the swarm: per service, per field.

    Each service is "unchanged", "changed" (with the fields: replicas scaled by hand, image updated by hand,
    ...), "missing" (in the revision, not running) or "extra" (running with the stack's label, not in the
    revision). Costs one service list (unless `live` is given) and one network list.
    """
    deployed = project.deployed_revision
    result = {"deployed_revision": deployed.number if deployed else None, "services": [], "drifted": False}
    if deployed is None:
        return result
    client = swarm_for(project.cluster)
    if live is None:
        live = stack_services(project, status=False)
    networks = _network_names(client)
    stored = {spec.get("Name", key): (key, spec) for key, spec in (deployed.specs.get("services") or {}).items()}
    running = {(s.get("Spec") or {}).get("Name", ""): s for s in live}
    rows = []
    for name in sorted(set(stored) | set(running)):
        key = stored[name][0] if name in stored else _short(project, name)
        if name not in running:
            rows.append({"service": key, "name": name, "status": "missing", "changes": []})
            continue
        if name not in stored:
            rows.append({"service": key, "name": name, "status": "extra", "changes": []})
            continue
        changes = diffing.service_changes(
            stored[name][1], running[name].get("Spec") or {}, networks=networks, namespace=project.namespace
        )
        for change in changes:
            change["deployed"], change["live"] = change.pop("old"), change.pop("new")
        rows.append({"service": key, "name": name, "status": "changed" if changes else "unchanged", "changes": changes})
    result["services"] = rows
    result["drifted"] = any(row["status"] != "unchanged" for row in rows)
    return result


def live_stack_specs(project: Project) -> dict[str, dict]:
    """The stack's live service specs as a revision stores them ({key: spec}, networks by name, secrets and
    configs by name): one service list and one network list."""
    client = swarm_for(project.cluster)
    networks = _network_names(client)
    out: dict[str, dict] = {}
    for service in stack_services(project, status=False):
        spec = copy.deepcopy(service.get("Spec") or {})
        template = spec.setdefault("TaskTemplate", {})
        legacy = spec.pop("Networks", None)
        if legacy and not template.get("Networks"):
            template["Networks"] = legacy
        for attachment in template.get("Networks") or []:
            attachment["Target"] = networks.get(attachment.get("Target", ""), attachment.get("Target", ""))
        container = template.get("ContainerSpec") or {}
        for ref in container.get("Secrets") or []:
            ref.pop("SecretID", None)
        for ref in container.get("Configs") or []:
            ref.pop("ConfigID", None)
        template.pop("ForceUpdate", None)
        out[_short(project, spec.get("Name", ""))] = spec
    if not out:
        raise ValidationFailed("the stack runs no service on the swarm; there is no live state to accept")
    return out


def services_overview(user, *, cluster=None, project=None) -> dict:
    """Live services of every project the user can see: ONE service list per cluster (filtered by the
    namespace label key), matched to projects by namespace. Unreachable clusters are reported, not raised."""
    projects = projects_for(user)
    if cluster is not None:
        projects = projects.filter(cluster_id=cluster)
    if project is not None:
        projects = projects.filter(pk=project)
    by_cluster: dict[int, dict[str, Project]] = {}
    clusters = {}
    for item in projects:
        by_cluster.setdefault(item.cluster_id, {})[item.namespace] = item
        clusters[item.cluster_id] = item.cluster
    rows, errors = [], []
    for cluster_id, namespaces in sorted(by_cluster.items()):
        cluster_row = clusters[cluster_id]
        try:
            services = swarm_for(cluster_row).service_list(labels={NAMESPACE_LABEL: None}, status=True)
        except SwarmError as exc:
            errors.append({"cluster": cluster_row.name, "error": str(exc)})
            continue
        for service in services:
            namespace = ((service.get("Spec") or {}).get("Labels") or {}).get(NAMESPACE_LABEL)
            owner = namespaces.get(namespace)
            if owner is None:
                continue
            row = service_row(service, owner)
            row["cluster"] = cluster_row.name
            rows.append(row)
    rows.sort(key=lambda r: (r["cluster"], r["project"], r["name"]))
    return {"services": rows, "errors": errors}
