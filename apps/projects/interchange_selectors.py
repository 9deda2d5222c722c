"""Reads for adoption: the stacks running on a cluster that no project owns, and one stack's live specs.

Costs are fixed, never one Docker call per row:
- `unowned_stacks`: ONE service list (filtered by the presence of the com.docker.stack.namespace label);
- `live_stack`: one service list (the stack's label), one network list, one secret list, one config list.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Q

from apps.accounts.permissions import Action, require
from apps.clusters.models import Cluster
from apps.clusters.swarm import swarm_for
from apps.core.errors import NotFound
from apps.swarm.export import empty_specs
from apps.swarm.services import NAMESPACE_LABEL, desired_replicas, service_mode

from .models import Project, validate_stack_name

_OVERLAY_INTERNAL = "com.docker.network.driver.overlay.vxlanid_list"


def cluster_for(user, cluster, action: Action = Action.VIEW) -> Cluster:
    """The cluster (a row or its id) if the user may see it (NotFound otherwise) and has `action` rights on it."""
    if not isinstance(cluster, Cluster):
        try:
            cluster = Cluster.objects.select_related("team").get(pk=int(cluster))
        except (Cluster.DoesNotExist, TypeError, ValueError):
            raise NotFound(f"cluster {cluster} does not exist or you are not a member of its team", field="cluster")
    require(user, cluster.team_id, action, f"cluster {cluster.name}")
    return cluster


def owned_stacks(cluster: Cluster) -> set[str]:
    """Names of the stacks projects own on the cluster's swarm (through this cluster row or another row of the
    same swarm)."""
    where = Q(cluster=cluster)
    if cluster.swarm_id:
        where |= Q(cluster__swarm_id=cluster.swarm_id)
    return set(Project.objects.filter(where).values_list("name", flat=True))


def _stack_problem(namespace: str, services: list[dict]) -> str:
    """Why a stack cannot become a project as it is, or ""."""
    try:
        validate_stack_name(namespace)
    except ValidationError as exc:
        return " ".join(str(m) for m in exc.messages)
    stray = [s["Spec"]["Name"] for s in services if not s["Spec"]["Name"].startswith(f"{namespace}_")]
    if stray:
        return f"service {stray[0]} carries the stack's label but is not named {namespace}_<service>"
    return ""


def unowned_stacks(user, cluster) -> list[dict]:
    """Stacks on the cluster (from the services' com.docker.stack.namespace label) that no project owns, with
    their services: one service list call. Each row says whether it can be adopted, and if not, why."""
    cluster = cluster_for(user, cluster)
    services = swarm_for(cluster).service_list(labels={NAMESPACE_LABEL: None}, status=True)
    owned = owned_stacks(cluster)
    stacks: dict[str, list[dict]] = {}
    for service in services:
        namespace = ((service.get("Spec") or {}).get("Labels") or {}).get(NAMESPACE_LABEL)
        if namespace and namespace not in owned:
            stacks.setdefault(namespace, []).append(service)
    rows = []
    for namespace, members in sorted(stacks.items()):
        members.sort(key=lambda s: s["Spec"]["Name"])
        problem = _stack_problem(namespace, members)
        rows.append(
            {
                "name": namespace,
                "cluster": cluster.pk,
                "cluster_name": cluster.name,
                "adoptable": not problem,
                "problem": problem,
                "images": sorted(
                    {
                        ((s["Spec"].get("TaskTemplate") or {}).get("ContainerSpec") or {}).get("Image", "")
                        for s in members
                    }
                ),
                "services": [
                    {
                        "id": s["ID"],
                        "name": s["Spec"]["Name"],
                        "image": ((s["Spec"].get("TaskTemplate") or {}).get("ContainerSpec") or {}).get("Image", ""),
                        "mode": service_mode(s["Spec"]),
                        "replicas": desired_replicas(s["Spec"]),
                        "running": (s.get("ServiceStatus") or {}).get("RunningTasks"),
                        "desired": (s.get("ServiceStatus") or {}).get("DesiredTasks"),
                    }
                    for s in members
                ],
            }
        )
    return rows


@dataclass
class LiveStack:
    """A stack read back from the swarm in the form a revision stores (apps.projects.services.specs_of)."""

    namespace: str
    specs: dict
    data: dict  # {"secrets": {}, "configs": {name: base64}}: a secret's content cannot be read from a swarm
    warnings: list[str] = field(default_factory=list)
    service_ids: dict[str, str] = field(default_factory=dict)


def _network_body(network: dict) -> dict:
    body = {
        "Name": network.get("Name", ""),
        "Driver": network.get("Driver") or "overlay",
        "Internal": bool(network.get("Internal")),
        "Attachable": bool(network.get("Attachable")),
        "Labels": dict(network.get("Labels") or {}),
    }
    options = {k: v for k, v in (network.get("Options") or {}).items() if not k.startswith(_OVERLAY_INTERNAL)}
    if options:
        body["Options"] = options
    return body


def _file_body(obj: dict) -> dict:
    spec = obj.get("Spec") or {}
    body = {"Name": spec.get("Name", ""), "Labels": dict(spec.get("Labels") or {})}
    if (spec.get("Driver") or {}).get("Name"):
        body["Driver"] = copy.deepcopy(spec["Driver"])
    if (spec.get("Templating") or {}).get("Name"):
        body["Templating"] = {"Name": spec["Templating"]["Name"]}
    return body


def live_stack(cluster: Cluster, namespace: str) -> LiveStack | None:
    """The stack `namespace` as it runs on the cluster (None when no service carries its label).

    Services keep their live specs (the image as it runs, the defaults the engine filled in) with networks,
    secrets and configs named instead of numbered. Networks, secrets and configs labelled with the stack are
    the stack's own (the networks its services use; all its secrets and configs); any other one a service uses
    is external. Volumes are described from the mounts."""
    client = swarm_for(cluster)
    services = client.service_list(labels={NAMESPACE_LABEL: namespace})
    if not services:
        return None
    networks = {n.get("Id", ""): n for n in client.network_list()}
    secrets = {s["ID"]: s for s in client.secret_list()}
    configs = {c["ID"]: c for c in client.config_list()}
    mine = {NAMESPACE_LABEL: namespace}

    def own(labels) -> bool:
        return (labels or {}).get(NAMESPACE_LABEL) == mine[NAMESPACE_LABEL]

    live = LiveStack(
        namespace=namespace,
        specs=empty_specs(namespace),
        data={"secrets": {}, "configs": {}},
    )
    specs = live.specs
    used_secrets: set[str] = set()
    used_configs: set[str] = set()
    for service in sorted(services, key=lambda s: s["Spec"]["Name"]):
        spec = copy.deepcopy(service["Spec"])
        name = spec.get("Name", "")
        key = name[len(namespace) + 1 :] if name.startswith(f"{namespace}_") else name
        task = spec.setdefault("TaskTemplate", {})
        legacy = spec.pop("Networks", None)
        if legacy and not task.get("Networks"):
            task["Networks"] = legacy
        for attachment in task.get("Networks") or []:
            network = networks.get(attachment.get("Target", ""))
            if network is None:
                live.warnings.append(f"service {name} is attached to network {attachment.get('Target')}, not found")
                continue
            attachment["Target"] = network["Name"]
            if own(network.get("Labels")):
                specs["networks"][network["Name"]] = _network_body(network)
            elif network["Name"] not in specs["external_networks"]:
                specs["external_networks"].append(network["Name"])
        container = task.setdefault("ContainerSpec", {})
        for field_name, kind, objects, used in (
            ("Secrets", "Secret", secrets, used_secrets),
            ("Configs", "Config", configs, used_configs),
        ):
            for ref in container.get(field_name) or []:
                ident = ref.get(f"{kind}ID", "")
                obj = objects.get(ident)
                if not ref.get(f"{kind}Name") and obj is not None:
                    ref[f"{kind}Name"] = obj["Spec"]["Name"]
                ref[f"{kind}ID"] = ""
                used.add(ref.get(f"{kind}Name", ""))
        credential = (container.get("Privileges") or {}).get("CredentialSpec") or {}
        if credential.get("Config") in configs:
            credential["Config"] = configs[credential["Config"]]["Spec"]["Name"]
            used_configs.add(credential["Config"])
        for mount in container.get("Mounts") or []:
            if (mount.get("Type") or "volume") != "volume" or not mount.get("Source"):
                continue
            options = mount.get("VolumeOptions") or {}
            driver = options.get("DriverConfig") or {}
            specs["volumes"].setdefault(
                mount["Source"],
                {
                    "Name": mount["Source"],
                    "Driver": driver.get("Name", ""),
                    "DriverOpts": dict(driver.get("Options") or {}),
                    "Labels": dict(options.get("Labels") or {}),
                    "External": "Labels" not in options,
                },
            )
        task["ForceUpdate"] = 0
        specs["services"][key] = spec
        live.service_ids[key] = service["ID"]

    by_name = {
        "secret": {s["Spec"]["Name"]: s for s in secrets.values()},
        "config": {c["Spec"]["Name"]: c for c in configs.values()},
    }
    for kind, used in (("secret", used_secrets), ("config", used_configs)):
        section = f"{kind}s"
        own_objects = {n: o for n, o in by_name[kind].items() if own((o.get("Spec") or {}).get("Labels"))}
        for obj_name, obj in sorted(own_objects.items()):
            specs[section][obj_name] = _file_body(obj)
            if kind == "config" and (obj.get("Spec") or {}).get("Data"):
                live.data["configs"][obj_name] = obj["Spec"]["Data"]
        for obj_name in sorted(used - set(own_objects)):
            specs[f"external_{section}"].append(obj_name)
    if specs["secrets"]:
        live.warnings.append(
            "The content of a secret cannot be read from a swarm: deploys keep using the existing secrets "
            f"({', '.join(sorted(specs['secrets']))}); upload their files with a Compose file to create them again."
        )
    return live
