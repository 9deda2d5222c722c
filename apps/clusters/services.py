"""Cluster writes: register (checked), edit, remove, refresh; node actions; add a host; join tokens;
networks, volumes, secrets and configs.

Each write: `require(...)` (re-checked inside the transaction), validation with a sentence naming the field,
the change, and `record(...)` in the same transaction. Long work (joining a host, rotating a secret or config)
is an Operation. A secret's value is never put in a message, an audit summary, an event or a log line.
"""

from __future__ import annotations

import base64
import copy
import ipaddress
import re

from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone

from apps.accounts.permissions import Action, can, require
from apps.audit.services import record
from apps.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from apps.swarm import nodes as swarm_nodes
from apps.swarm import resources as swarm_resources
from apps.swarm.client import SwarmClient, forget
from apps.swarm.endpoint import Endpoint, EndpointError
from apps.swarm.errors import ObjectConflict, ObjectNotFound, SwarmError

from .models import Cluster, NodeEngine
from .swarm import swarm_for

CLUSTER_LOCK = "cluster:{pk}"
NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
LABEL_KEY_RE = re.compile(r"^[^\s=]+$")
MAX_OBJECT_BYTES = 500 * 1024  # the engine's limit for a secret or config
# relations that do not keep a cluster in use (they go with it, or are history)
_NOT_BLOCKING_APPS = {"clusters", "operations", "audit"}


def lock_key(cluster: Cluster) -> str:
    return CLUSTER_LOCK.format(pk=cluster.pk)


def _what(cluster: Cluster) -> str:
    return f"cluster {cluster.name}"


# ------------------------------------------------------------------------------------------------- clusters


def _endpoint_facts(endpoint: Endpoint, field: str = "endpoint_url") -> dict:
    """Check an endpoint answers and is a swarm manager; any failure is a 400 naming `field`."""
    try:
        endpoint.check()
    except EndpointError as exc:
        raise ValidationFailed(str(exc), field=field)
    client = SwarmClient(endpoint)
    try:
        return client.swarm_facts()
    except SwarmError as exc:
        raise ValidationFailed(f"{exc} ({exc.code.replace('_', ' ')})", field=field)
    finally:
        client.close()


def _facts_values(facts: dict) -> dict:
    return {
        "reachable": True,
        "swarm_id": facts["swarm_id"],
        "node_count": facts["nodes"],
        "manager_count": facts["managers"],
        "engine_version": facts["engine_version"],
        "manager_node_id": facts.get("node_id", ""),
        "last_error": "",
        "last_check": timezone.now(),
    }


def _clean_name(name: str, field: str = "name", what: str = "a cluster") -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(f"{what} needs a name", field=field)
    if len(name) > 100:
        raise ValidationFailed("the name is longer than 100 characters", field=field)
    return name


def cluster_register(
    actor,
    *,
    team,
    name: str,
    endpoint_url: str,
    tls_ca: str = "",
    tls_cert: str = "",
    tls_key: str = "",
    description: str = "",
) -> Cluster:
    """Check that the endpoint answers and is a swarm manager, then record the cluster."""
    require(actor, team, Action.ADMIN, "this team")
    name = _clean_name(name)
    endpoint = Endpoint(
        url=(endpoint_url or "").strip(),
        ca_pem=tls_ca or "",
        cert_pem=tls_cert or "",
        key_pem=tls_key or "",
        timeout=10,
    )
    facts = _endpoint_facts(endpoint)
    with transaction.atomic():
        require(actor, team, Action.ADMIN, "this team")
        if Cluster.objects.filter(name=name).exists():
            raise Conflict(f"a cluster named {name!r} already exists", field="name")
        cluster = Cluster.objects.create(
            name=name,
            team=team,
            description=description or "",
            endpoint_url=endpoint.url,
            tls_ca=tls_ca or "",
            tls_cert=tls_cert or "",
            tls_key=tls_key or "",
            **_facts_values(facts),
        )
        record(actor, "cluster.register", cluster, summary={"endpoint": endpoint.url, "tls": endpoint.tls})
    return cluster


def cluster_update(
    actor,
    cluster: Cluster,
    *,
    name: str | None = None,
    description: str | None = None,
    team=None,
    endpoint_url: str | None = None,
    tls_ca: str | None = None,
    tls_cert: str | None = None,
    tls_key: str | None = None,
    clear_tls: bool = False,
) -> Cluster:
    """Edit a cluster. TLS material left as None is kept (the key is write-only); a new endpoint is re-checked
    and must reach the same swarm. Moving a cluster to another team needs admin rights in both."""
    require(actor, cluster.team, Action.ADMIN, _what(cluster))
    if team is not None and team.pk != cluster.team_id:
        require(actor, team, Action.ADMIN, "the new team")
    changes: dict = {}
    if name is not None:
        name = _clean_name(name)
        if name != cluster.name:
            if Cluster.objects.filter(name=name).exclude(pk=cluster.pk).exists():
                raise Conflict(f"a cluster named {name!r} already exists", field="name")
            changes["name"] = name
    if description is not None and description != cluster.description:
        changes["description"] = description
    if team is not None and team.pk != cluster.team_id:
        changes["team"] = team
    new_url = (endpoint_url or "").strip() or cluster.endpoint_url
    new_ca = "" if clear_tls else (cluster.tls_ca if tls_ca is None else tls_ca)
    new_cert = "" if clear_tls else (cluster.tls_cert if tls_cert is None else tls_cert)
    new_key = "" if clear_tls else (cluster.tls_key if tls_key in (None, "") else tls_key)
    if clear_tls is False and tls_cert == "" and tls_key in (None, ""):
        new_key = ""  # removing the certificate removes its key too
    endpoint_changed = (new_url, new_ca, new_cert, new_key) != (
        cluster.endpoint_url,
        cluster.tls_ca,
        cluster.tls_cert,
        cluster.tls_key,
    )
    old_endpoint = cluster.endpoint
    facts = None
    if endpoint_changed:
        endpoint = Endpoint(url=new_url, ca_pem=new_ca, cert_pem=new_cert, key_pem=new_key, timeout=10)
        facts = _endpoint_facts(endpoint)
        if cluster.swarm_id and facts["swarm_id"] != cluster.swarm_id:
            raise ValidationFailed(
                f"the endpoint {new_url} reaches another swarm ({facts['swarm_id'][:12]}), not this cluster's "
                f"({cluster.swarm_id[:12]}); register it as a new cluster instead",
                field="endpoint_url",
            )
        changes.update(endpoint_url=new_url, tls_ca=new_ca, tls_cert=new_cert, tls_key=new_key)
    if not changes:
        return cluster
    with transaction.atomic():
        require(actor, cluster.team, Action.ADMIN, _what(cluster))
        if "team" in changes:
            require(actor, changes["team"], Action.ADMIN, "the new team")
            # projects keep their team: moving their cluster away would leave them deploying on another team's swarm
            if hasattr(cluster, "projects") and cluster.projects.exists():
                raise Conflict(
                    f"cluster {cluster.name} still has projects of team {cluster.team}; remove or move them first",
                    field="team",
                )
        for key, value in changes.items():
            setattr(cluster, key, value)
        if facts is not None:
            for key, value in _facts_values(facts).items():
                setattr(cluster, key, value)
        cluster.save()
        summary = {k: (v.name if k == "team" else v) for k, v in changes.items() if k not in ("tls_ca", "tls_cert")}
        if "tls_ca" in changes or "tls_cert" in changes:
            summary["tls"] = bool(new_ca or new_cert)
        record(actor, "cluster.update", cluster, summary=summary)
    if endpoint_changed:
        forget(old_endpoint)
    return cluster


def cluster_blockers(cluster: Cluster) -> list[str]:
    """What still uses a cluster (projects and anything else outside clusters/operations/audit), as phrases."""
    blockers = []
    for relation in Cluster._meta.related_objects:
        model = relation.related_model
        if model._meta.app_label in _NOT_BLOCKING_APPS or relation.many_to_many:
            continue
        count = model._default_manager.filter(**{relation.field.name: cluster}).count()
        if count:
            names = [str(obj) for obj in model._default_manager.filter(**{relation.field.name: cluster})[:5]]
            label = model._meta.verbose_name if count == 1 else model._meta.verbose_name_plural
            blockers.append(f"{count} {label} ({', '.join(names)}{', ...' if count > 5 else ''})")
    return blockers


def cluster_remove(actor, cluster: Cluster) -> None:
    """Forget a cluster (the swarm itself is untouched). Refused while projects or other objects use it."""
    require(actor, cluster.team, Action.ADMIN, _what(cluster))
    with transaction.atomic():
        require(actor, cluster.team, Action.ADMIN, _what(cluster))
        blockers = cluster_blockers(cluster)
        if blockers:
            raise Conflict(
                f"cluster {cluster.name} is still used by {'; '.join(blockers)}; remove those first",
                errors={"cluster": blockers},
            )
        record(actor, "cluster.remove", cluster, summary={"endpoint": cluster.endpoint_url})
        endpoint = cluster.endpoint
        try:
            with transaction.atomic():
                cluster.delete()
        except (ProtectedError, RestrictedError) as exc:
            objects = sorted({str(obj) for obj in exc.args[1]})[:5] if len(exc.args) > 1 else []
            raise Conflict(
                f"cluster {cluster.name} is still referenced by {', '.join(objects) or 'other objects'}; "
                "remove those first",
                errors={"cluster": objects},
            )
    forget(endpoint)


def cluster_refresh(cluster: Cluster) -> Cluster:
    """Re-check the endpoint and store the facts (no audit: it is an observation, not a decision)."""
    try:
        facts = swarm_for(cluster).swarm_facts()
    except SwarmError as exc:
        values = {"reachable": False, "last_error": str(exc), "last_check": timezone.now()}
    else:
        values = _facts_values(facts)
    Cluster.objects.filter(pk=cluster.pk).update(**values)
    for key, value in values.items():
        setattr(cluster, key, value)
    return cluster


# ------------------------------------------------------------------------------------------------- nodes


def _node_target(cluster: Cluster, node_id: str, hostname: str = "") -> tuple[str, str, str]:
    return ("node", f"{cluster.pk}:{node_id}", f"{hostname or node_id[:12]} on {cluster.name}")


def _inspect_node(client, cluster: Cluster, node_id: str) -> dict:
    try:
        return client.node_inspect(node_id)
    except ObjectNotFound:
        raise NotFound(f"node {node_id} is not a node of cluster {cluster.name}")


def _clean_labels(labels, field: str = "labels") -> dict[str, str]:
    if labels is None:
        return {}
    if not isinstance(labels, dict):
        raise ValidationFailed("labels must be an object of key: value", field=field)
    cleaned = {}
    for key, value in labels.items():
        key = str(key).strip()
        if not key or not LABEL_KEY_RE.match(key):
            raise ValidationFailed(f"label key {key!r} must be non-empty, without spaces or '='", field=field)
        if value is None:
            value = ""
        if not isinstance(value, str | int | float | bool):
            raise ValidationFailed(f"the value of label {key!r} must be text", field=field)
        cleaned[key] = str(value)
    return cleaned


def parse_labels(text: str, field: str = "labels") -> dict[str, str]:
    """`key=value` per line (pages); a line without '=' is a key with an empty value."""
    labels = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        key = key.strip()
        if not key or not LABEL_KEY_RE.match(key):
            raise ValidationFailed(f"line {number}: {line!r} is not key=value", field=field)
        labels[key] = value.strip()
    return labels


def node_update(
    actor,
    cluster: Cluster,
    node_id: str,
    *,
    version: int | None = None,
    availability: str | None = None,
    role: str | None = None,
    labels: dict | None = None,
    add_labels: dict | None = None,
    remove_labels: list | None = None,
) -> dict:
    """Change a node's availability, labels or role: the WHOLE spec is sent with the version it was read at.

    `version` is the node version the person saw; if the node changed since, a 409 says so instead of
    overwriting someone else's change. `labels` replaces every label; `add_labels` adds or changes some;
    `remove_labels` removes keys. Availability and labels need operate rights, the role needs admin rights.
    """
    needed = Action.ADMIN if role is not None else Action.OPERATE
    require(actor, cluster.team, Action.VIEW, _what(cluster))
    require(actor, cluster.team, needed, f"the nodes of {_what(cluster)}")
    if availability is not None and availability not in swarm_nodes.NODE_AVAILABILITIES:
        raise ValidationFailed(
            f"availability must be one of {', '.join(swarm_nodes.NODE_AVAILABILITIES)}, not {availability!r}",
            field="availability",
        )
    if role is not None and role not in swarm_nodes.NODE_ROLES:
        raise ValidationFailed(f"role must be worker or manager, not {role!r}", field="role")
    if version is not None:
        try:
            version = int(version)
        except (TypeError, ValueError):
            raise ValidationFailed("version must be the node's version number", field="version")
    replace = _clean_labels(labels) if labels is not None else None
    add = _clean_labels(add_labels, "add_labels")
    if remove_labels is not None and not isinstance(remove_labels, list | tuple):
        raise ValidationFailed("remove_labels must be a list of label keys", field="remove_labels")
    remove = [str(k).strip() for k in (remove_labels or []) if str(k).strip()]

    client = swarm_for(cluster)
    node = _inspect_node(client, cluster, node_id)
    summary = swarm_nodes.node_summary(node)
    current = summary["version"]
    if version is not None and version != current:
        raise Conflict(
            f"node {summary['hostname']} was changed by someone else since you read it (your version {version}, "
            f"now {current}); reload it and apply your change again",
            field="version",
        )
    spec = copy.deepcopy(node.get("Spec") or {})
    node_labels = dict(spec.get("Labels") or {})
    if replace is not None:
        node_labels = dict(replace)
    node_labels.update(add)
    missing = [k for k in remove if k not in node_labels]
    if missing:
        raise ValidationFailed(f"node {summary['hostname']} has no label {', '.join(missing)}", field="remove_labels")
    for key in remove:
        node_labels.pop(key, None)
    spec["Labels"] = node_labels
    if availability is not None:
        spec["Availability"] = availability
    if role is not None:
        if role == "worker" and summary["role"] == "manager" and node_id == cluster.manager_node_id:
            raise ValidationFailed(
                f"node {summary['hostname']} is the manager Davit reaches cluster {cluster.name} through; demoting "
                "it would cut Davit off. Point the cluster's endpoint at another manager first.",
                field="role",
            )
        spec["Role"] = role
    if spec == (node.get("Spec") or {}):
        return summary
    changes = {}
    old_spec = node.get("Spec") or {}
    for key in ("Availability", "Role"):
        if spec.get(key) != old_spec.get(key):
            changes[key.lower()] = {"from": old_spec.get(key), "to": spec.get(key)}
    if spec["Labels"] != (old_spec.get("Labels") or {}):
        changes["labels"] = {"from": old_spec.get("Labels") or {}, "to": spec["Labels"]}
    with transaction.atomic():
        require(actor, cluster.team, needed, f"the nodes of {_what(cluster)}")
        try:
            client.node_update(node_id, current, spec)
        except ObjectConflict:
            raise Conflict(
                f"node {summary['hostname']} was changed by someone else while you were saving (version {current} "
                "is out of date); reload it and apply your change again",
                field="version",
            )
        record(
            actor,
            "node.update",
            _node_target(cluster, node_id, summary["hostname"]),
            team=cluster.team,
            summary={"cluster": cluster.name, "node": node_id, **changes},
        )
    return swarm_nodes.node_summary(_inspect_node(client, cluster, node_id))


def node_remove(actor, cluster: Cluster, node_id: str, *, force: bool = False) -> None:
    """Remove a node from the swarm (operators: once it is down). Refused while it is up (ready) unless an admin
    forces it; a manager must be demoted first."""
    needed = Action.ADMIN if force else Action.OPERATE
    require(actor, cluster.team, Action.VIEW, _what(cluster))
    if force and not can(actor, cluster.team, Action.ADMIN):
        raise Forbidden(f"only an admin of team {cluster.team.name} can force the removal of a node")
    require(actor, cluster.team, needed, f"the nodes of {_what(cluster)}")
    client = swarm_for(cluster)
    node = _inspect_node(client, cluster, node_id)
    summary = swarm_nodes.node_summary(node)
    if summary["role"] == "manager":
        raise Conflict(
            f"node {summary['hostname']} is a manager; demote it to a worker before removing it", field="node"
        )
    if summary["state"] == "ready" and not force:
        raise Conflict(
            f"node {summary['hostname']} is up (state: ready); a node is removed once it is down (its engine "
            "stopped or left the swarm). An admin can force the removal of a node that is up.",
            field="force",
        )
    with transaction.atomic():
        require(actor, cluster.team, needed, f"the nodes of {_what(cluster)}")
        client.node_remove(node_id, force=force)
        NodeEngine.objects.filter(cluster=cluster, node_id=node_id).update(node_id="")
        record(
            actor,
            "node.remove",
            _node_target(cluster, node_id, summary["hostname"]),
            team=cluster.team,
            summary={"cluster": cluster.name, "node": node_id, "state": summary["state"], "force": force},
        )
    cluster_refresh(cluster)


# ------------------------------------------------------------------------------------------------- join


def join_token_rotate(actor, cluster: Cluster, role: str) -> None:
    """Replace the worker or manager join token (the old one stops working at once). Admins only."""
    require(actor, cluster.team, Action.ADMIN, f"the join tokens of {_what(cluster)}")
    if role not in swarm_nodes.NODE_ROLES:
        raise ValidationFailed(f"role must be worker or manager, not {role!r}", field="role")
    with transaction.atomic():
        require(actor, cluster.team, Action.ADMIN, f"the join tokens of {_what(cluster)}")
        swarm_for(cluster).swarm_rotate_join_token(role)
        record(actor, "cluster.rotate_join_token", cluster, summary={"role": role})


def _engine_endpoint(url: str, ca: str, cert: str, key: str, field: str = "endpoint_url") -> Endpoint:
    endpoint = Endpoint(url=(url or "").strip(), ca_pem=ca or "", cert_pem=cert or "", key_pem=key or "", timeout=10)
    try:
        endpoint.check()
    except EndpointError as exc:
        raise ValidationFailed(str(exc), field=field)
    return endpoint


def _check_address(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    host, _, port = value.rpartition(":") if ":" in value else (value, "", "")
    if not host:
        raise ValidationFailed(f"{value!r} is not an address (ip, interface or ip:port)", field=field)
    if port and not port.isdigit():
        raise ValidationFailed(f"{value!r} has an invalid port", field=field)
    return value


def node_add(
    actor,
    cluster: Cluster,
    *,
    endpoint_url: str,
    role: str = "worker",
    tls_ca: str = "",
    tls_cert: str = "",
    tls_key: str = "",
    advertise_addr: str = "",
    listen_addr: str = "",
):
    """Add a host (Crane's 添加主机): an Operation makes the engine at `endpoint_url` join this swarm as `role`
    with the right join token. The engine is recorded as a NodeEngine. Admins only."""
    from apps.operations.services import operation_start

    require(actor, cluster.team, Action.ADMIN, f"the nodes of {_what(cluster)}")
    if role not in swarm_nodes.NODE_ROLES:
        raise ValidationFailed(f"role must be worker or manager, not {role!r}", field="role")
    endpoint = _engine_endpoint(endpoint_url, tls_ca, tls_cert, tls_key)
    if endpoint.url == cluster.endpoint_url:
        raise ValidationFailed(
            f"{endpoint.url} is the endpoint of cluster {cluster.name} itself, which is already in the swarm",
            field="endpoint_url",
        )
    advertise_addr = _check_address(advertise_addr, "advertise_addr")
    listen_addr = _check_address(listen_addr, "listen_addr")
    with transaction.atomic():
        require(actor, cluster.team, Action.ADMIN, f"the nodes of {_what(cluster)}")
        engine, created = NodeEngine.objects.select_for_update().get_or_create(
            cluster=cluster,
            endpoint_url=endpoint.url,
            defaults={"tls_ca": endpoint.ca_pem, "tls_cert": endpoint.cert_pem, "tls_key": endpoint.key_pem},
        )
        if not created and (tls_ca or tls_cert or tls_key):
            engine.tls_ca, engine.tls_cert, engine.tls_key = endpoint.ca_pem, endpoint.cert_pem, endpoint.key_pem
            engine.save(update_fields=["tls_ca", "tls_cert", "tls_key"])
        operation = operation_start(
            actor,
            kind="join_node",
            team=cluster.team,
            target=cluster,
            cluster=cluster,
            params={
                "engine_id": engine.pk,
                "endpoint": endpoint.url,
                "role": role,
                "advertise_addr": advertise_addr,
                "listen_addr": listen_addr,
            },
            lock_key=lock_key(cluster),
            summary={"action": "node.add", "endpoint": endpoint.url, "role": role, "tls": endpoint.tls},
            required_action=Action.ADMIN,
        )
    return operation


# ------------------------------------------------------------------------------------------------- engines


def engine_register(actor, cluster: Cluster, *, endpoint_url: str, tls_ca="", tls_cert="", tls_key="") -> NodeEngine:
    """Record the Docker engine of a node already in the swarm (for per-node work such as volumes). Admins only.

    The engine must answer and be a node of THIS swarm; its node id and hostname are read from it."""
    require(actor, cluster.team, Action.ADMIN, f"the nodes of {_what(cluster)}")
    endpoint = _engine_endpoint(endpoint_url, tls_ca, tls_cert, tls_key)
    client = SwarmClient(endpoint)
    try:
        state = client.engine_swarm_state()
    except SwarmError as exc:
        raise ValidationFailed(f"{exc} ({exc.code.replace('_', ' ')})", field="endpoint_url")
    finally:
        client.close()
    if state["state"] != "active" or not state["node_id"]:
        raise ValidationFailed(
            f"the engine at {endpoint.url} is not in swarm mode (state: {state['state']}); add it as a host instead",
            field="endpoint_url",
        )
    try:
        swarm_for(cluster).node_inspect(state["node_id"])  # a worker engine does not know its swarm's id
    except ObjectNotFound:
        raise ValidationFailed(
            f"the engine at {endpoint.url} is a node of another swarm (node {state['node_id'][:12]}), not of "
            f"cluster {cluster.name}",
            field="endpoint_url",
        )
    with transaction.atomic():
        require(actor, cluster.team, Action.ADMIN, f"the nodes of {_what(cluster)}")
        if NodeEngine.objects.filter(cluster=cluster, endpoint_url=endpoint.url).exists():
            raise Conflict(f"the engine at {endpoint.url} is already registered", field="endpoint_url")
        NodeEngine.objects.filter(cluster=cluster, node_id=state["node_id"]).update(node_id="")
        engine = NodeEngine.objects.create(
            cluster=cluster,
            endpoint_url=endpoint.url,
            tls_ca=endpoint.ca_pem,
            tls_cert=endpoint.cert_pem,
            tls_key=endpoint.key_pem,
            node_id=state["node_id"],
            hostname=state["hostname"],
        )
        record(
            actor,
            "node_engine.register",
            engine,
            team=cluster.team,
            summary={"cluster": cluster.name, "endpoint": endpoint.url, "node": state["node_id"]},
        )
    return engine


def engine_remove(actor, engine: NodeEngine) -> None:
    cluster = engine.cluster
    require(actor, cluster.team, Action.ADMIN, f"the nodes of {_what(cluster)}")
    with transaction.atomic():
        require(actor, cluster.team, Action.ADMIN, f"the nodes of {_what(cluster)}")
        record(
            actor,
            "node_engine.remove",
            engine,
            team=cluster.team,
            summary={"cluster": cluster.name, "endpoint": engine.endpoint_url},
        )
        endpoint = engine.endpoint
        engine.delete()
    forget(endpoint)


def engine_for_node(cluster: Cluster, node_id: str | None) -> tuple[str, Endpoint]:
    """(node id, engine endpoint) for per-node work: the cluster endpoint for the manager it reaches (the default
    when no node is given), else a recorded NodeEngine."""
    manager = cluster.manager_node_id
    node_id = (node_id or "").strip()
    if not manager:  # not checked yet: ask the endpoint which node it is (one call; Unreachable if it is down)
        manager = swarm_for(cluster).engine_swarm_state()["node_id"]
    node_id = node_id or manager
    if node_id == manager:
        return node_id, cluster.endpoint
    engine = NodeEngine.objects.filter(cluster=cluster, node_id=node_id).first()
    if engine is None:
        raise ValidationFailed(
            f"no Docker engine endpoint is known for node {node_id} of cluster {cluster.name}; register the node's "
            "engine (an admin, on the cluster's Engines page) or add the host through Davit",
            field="node",
        )
    return node_id, engine.endpoint


# ------------------------------------------------------------------------------------------------- networks


def _clean_object_name(name: str, what: str, max_length: int = 64) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(f"a {what} needs a name", field="name")
    if len(name) > max_length or not NAME_RE.match(name):
        raise ValidationFailed(
            f"{name!r} is not a valid {what} name: letters, digits, '_', '.', '-', starting with a letter or digit, "
            f"at most {max_length} characters",
            field="name",
        )
    return name


def _network(value: str, field: str):
    try:
        return ipaddress.ip_network(value, strict=True)
    except ValueError:
        try:
            loose = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValidationFailed(f"{value!r} is not a network in CIDR form (e.g. 10.20.0.0/24)", field=field)
        raise ValidationFailed(f"{value!r} has host bits set; did you mean {loose}?", field=field)


def network_body(
    *,
    name: str,
    subnet: str = "",
    gateway: str = "",
    ip_range: str = "",
    internal: bool = False,
    attachable: bool = False,
    encrypted: bool = False,
    labels: dict | None = None,
) -> dict:
    """Validate the overlay network form and build the Engine API body (no Docker call)."""
    name = _clean_object_name(name, "network")
    subnet, gateway, ip_range = (subnet or "").strip(), (gateway or "").strip(), (ip_range or "").strip()
    ipam_config: dict = {}
    if subnet:
        network = _network(subnet, "subnet")
        ipam_config["Subnet"] = str(network)
        if gateway:
            try:
                address = ipaddress.ip_address(gateway)
            except ValueError:
                raise ValidationFailed(f"{gateway!r} is not an IP address", field="gateway")
            if address not in network:
                raise ValidationFailed(f"the gateway {gateway} is outside the subnet {network}", field="gateway")
            ipam_config["Gateway"] = str(address)
        if ip_range:
            pool = _network(ip_range, "ip_range")
            if pool.version != network.version or not pool.subnet_of(network):
                raise ValidationFailed(f"the IP range {pool} is not inside the subnet {network}", field="ip_range")
            ipam_config["IPRange"] = str(pool)
    elif gateway or ip_range:
        raise ValidationFailed("a gateway or an IP range needs a subnet", field="subnet" if not gateway else "gateway")
    body = {
        "Name": name,
        "Driver": "overlay",
        "Scope": "swarm",
        "Internal": bool(internal),
        "Attachable": bool(attachable),
        "Labels": _clean_labels(labels),
        "Options": {"encrypted": ""} if encrypted else {},
    }
    if ipam_config:
        body["IPAM"] = {"Driver": "default", "Config": [ipam_config]}
    return body


def network_create(actor, cluster: Cluster, **form) -> dict:
    """Create an overlay network (subnet, gateway, IP range, internal, attachable, encrypted, labels)."""
    require(actor, cluster.team, Action.OPERATE, f"the networks of {_what(cluster)}")
    body = network_body(**form)
    client = swarm_for(cluster)
    if any(n.get("Name") == body["Name"] for n in client.network_list()):
        raise Conflict(f"a network named {body['Name']} already exists in cluster {cluster.name}", field="name")
    with transaction.atomic():
        require(actor, cluster.team, Action.OPERATE, f"the networks of {_what(cluster)}")
        network_id = client.network_create(body)
        record(
            actor,
            "network.create",
            ("network", network_id, f"{body['Name']} on {cluster.name}"),
            team=cluster.team,
            summary={
                "cluster": cluster.name,
                "name": body["Name"],
                "ipam": body.get("IPAM"),
                **{k.lower(): body[k] for k in ("Internal", "Attachable", "Labels")},
                "encrypted": "encrypted" in body["Options"],
            },
        )
    return swarm_resources.network_summary(client.network_inspect_allocated(network_id))


def _get_network(client, cluster, network_id: str) -> dict:
    try:
        return client.network_inspect(network_id)
    except ObjectNotFound:
        raise NotFound(f"network {network_id} does not exist in cluster {cluster.name}")


def network_remove(actor, cluster: Cluster, network_id: str) -> None:
    """Remove a network; refused (with the list) while services use it, and for Docker's predefined networks."""
    require(actor, cluster.team, Action.OPERATE, f"the networks of {_what(cluster)}")
    client = swarm_for(cluster)
    network = _get_network(client, cluster, network_id)
    summary = swarm_resources.network_summary(network)
    if summary["predefined"]:
        raise Conflict(f"network {summary['name']} is predefined by Docker and cannot be removed", field="network")
    using = swarm_resources.users_of(
        swarm_resources.services_by_network(client.service_list()), summary["id"], summary["name"]
    )
    if using:
        raise Conflict(
            f"network {summary['name']} is used by the services {', '.join(using)}; remove them from it first",
            errors={"services": using},
        )
    with transaction.atomic():
        require(actor, cluster.team, Action.OPERATE, f"the networks of {_what(cluster)}")
        client.network_remove(summary["id"])
        record(
            actor,
            "network.remove",
            ("network", summary["id"], f"{summary['name']} on {cluster.name}"),
            team=cluster.team,
            summary={"cluster": cluster.name, "name": summary["name"]},
        )


# ------------------------------------------------------------------------------------------------- volumes


def _engine_client(endpoint: Endpoint):
    from apps.swarm.client import client_for

    return client_for(endpoint)


def volume_create(
    actor, cluster: Cluster, *, node: str | None, name: str, driver: str = "local", labels=None, driver_opts=None
) -> dict:
    require(actor, cluster.team, Action.OPERATE, f"the volumes of {_what(cluster)}")
    name = _clean_object_name(name, "volume", max_length=200)
    driver = (driver or "local").strip()
    if not NAME_RE.match(driver):
        raise ValidationFailed(f"{driver!r} is not a volume driver name", field="driver")
    labels = _clean_labels(labels)
    opts = _clean_labels(driver_opts, "driver_opts")
    node_id, endpoint = engine_for_node(cluster, node)
    client = _engine_client(endpoint)
    if any(v.get("Name") == name for v in client.volume_list()):
        raise Conflict(f"a volume named {name} already exists on node {node_id[:12]}", field="name")
    with transaction.atomic():
        require(actor, cluster.team, Action.OPERATE, f"the volumes of {_what(cluster)}")
        volume = client.volume_create(name, driver=driver, labels=labels, driver_opts=opts)
        record(
            actor,
            "volume.create",
            ("volume", f"{node_id}/{name}", f"{name} on node {node_id[:12]} of {cluster.name}"),
            team=cluster.team,
            summary={"cluster": cluster.name, "node": node_id, "name": name, "driver": driver, "labels": labels},
        )
    return {"node": node_id, **swarm_resources.volume_summary(volume)}


def volume_remove(actor, cluster: Cluster, *, node: str | None, name: str) -> None:
    require(actor, cluster.team, Action.OPERATE, f"the volumes of {_what(cluster)}")
    node_id, endpoint = engine_for_node(cluster, node)
    client = _engine_client(endpoint)
    with transaction.atomic():
        require(actor, cluster.team, Action.OPERATE, f"the volumes of {_what(cluster)}")
        try:
            client.volume_remove(name)
        except ObjectNotFound:
            raise NotFound(f"volume {name} does not exist on node {node_id[:12]}")
        except ObjectConflict as exc:
            raise Conflict(f"volume {name} is in use by a container and cannot be removed ({exc})", field="name")
        record(
            actor,
            "volume.remove",
            ("volume", f"{node_id}/{name}", f"{name} on node {node_id[:12]} of {cluster.name}"),
            team=cluster.team,
            summary={"cluster": cluster.name, "node": node_id, "name": name},
        )


# ------------------------------------------------------------------------------------------------- secrets, configs

KINDS = {
    "secret": {
        "list": "secret_list",
        "inspect": "secret_inspect",
        "create": "secret_create",
        "remove": "secret_remove",
    },
    "config": {
        "list": "config_list",
        "inspect": "config_inspect",
        "create": "config_create",
        "remove": "config_remove",
    },
}


def _clean_data(data, kind: str) -> bytes:
    if isinstance(data, str):
        data = data.encode()
    if not data:
        raise ValidationFailed(f"the {kind} is empty: give its text or upload a file", field="data")
    if len(data) > MAX_OBJECT_BYTES:
        raise ValidationFailed(
            f"the {kind} is {len(data)} bytes; Docker keeps at most {MAX_OBJECT_BYTES} bytes", field="data"
        )
    return data


def decode_base64(value: str, field: str = "data_base64") -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (ValueError, TypeError):
        raise ValidationFailed("this is not valid base64", field=field)


def _call(client, kind: str, op: str, *args, **kwargs):
    return getattr(client, KINDS[kind][op])(*args, **kwargs)


def _get_object(client, cluster, kind: str, obj_id: str) -> dict:
    try:
        return _call(client, kind, "inspect", obj_id)
    except ObjectNotFound:
        raise NotFound(f"{kind} {obj_id} does not exist in cluster {cluster.name}")


def object_create(actor, cluster: Cluster, kind: str, *, name: str, data, labels=None) -> dict:
    """Create a secret or a config from text or an uploaded file's bytes. The data is never returned or logged."""
    require(actor, cluster.team, Action.OPERATE, f"the {kind}s of {_what(cluster)}")
    name = _clean_object_name(name, kind)
    data = _clean_data(data, kind)
    labels = _clean_labels(labels)
    client = swarm_for(cluster)
    if any((o.get("Spec") or {}).get("Name") == name for o in _call(client, kind, "list")):
        raise Conflict(f"a {kind} named {name} already exists in cluster {cluster.name}", field="name")
    with transaction.atomic():
        require(actor, cluster.team, Action.OPERATE, f"the {kind}s of {_what(cluster)}")
        obj_id = _call(client, kind, "create", name, data, labels=labels)
        record(
            actor,
            f"{kind}.create",
            (kind, obj_id, f"{name} on {cluster.name}"),
            team=cluster.team,
            summary={"cluster": cluster.name, "name": name, "size": len(data), "labels": labels},
        )
    return swarm_resources.object_summary(_get_object(client, cluster, kind, obj_id))


def object_remove(actor, cluster: Cluster, kind: str, obj_id: str) -> None:
    """Remove a secret or config; refused (with the list) while services use it."""
    require(actor, cluster.team, Action.OPERATE, f"the {kind}s of {_what(cluster)}")
    client = swarm_for(cluster)
    summary = swarm_resources.object_summary(_get_object(client, cluster, kind, obj_id))
    finder = swarm_resources.services_by_secret if kind == "secret" else swarm_resources.services_by_config
    using = swarm_resources.users_of(finder(client.service_list()), summary["id"], summary["name"])
    if using:
        raise Conflict(
            f"{kind} {summary['name']} is used by the services {', '.join(using)}; rotate it or update them first",
            errors={"services": using},
        )
    with transaction.atomic():
        require(actor, cluster.team, Action.OPERATE, f"the {kind}s of {_what(cluster)}")
        _call(client, kind, "remove", summary["id"])
        record(
            actor,
            f"{kind}.remove",
            (kind, summary["id"], f"{summary['name']} on {cluster.name}"),
            team=cluster.team,
            summary={"cluster": cluster.name, "name": summary["name"]},
        )


def object_rotate(actor, cluster: Cluster, kind: str, obj_id: str, *, data):
    """Rotate a secret or config (an Operation): create `<name>.vN` with the new data, point every service that
    uses the old one at it (same target, uid, gid, mode), wait for them to converge, then remove the old one."""
    from apps.operations.services import operation_start

    require(actor, cluster.team, Action.OPERATE, f"the {kind}s of {_what(cluster)}")
    data = _clean_data(data, kind)
    client = swarm_for(cluster)
    summary = swarm_resources.object_summary(_get_object(client, cluster, kind, obj_id))
    with transaction.atomic():
        require(actor, cluster.team, Action.OPERATE, f"the {kind}s of {_what(cluster)}")
        operation = operation_start(
            actor,
            kind=f"rotate_{kind}",
            team=cluster.team,
            target=(kind, summary["id"], f"{summary['name']} on {cluster.name}"),
            cluster=cluster,
            params={"kind": kind, "id": summary["id"], "name": summary["name"]},
            sealed={"data": base64.b64encode(data).decode()},
            lock_key=lock_key(cluster),
            summary={"action": f"{kind}.rotate", "cluster": cluster.name, "name": summary["name"], "size": len(data)},
        )
    return operation


def engine_mark_node(engine, node_id: str, hostname: str) -> None:
    """Record which swarm node an engine is (after add-host); no other engine of the cluster keeps that node.
    An observation written by the join runner, not a person's decision: the operation itself is audited."""
    with transaction.atomic():
        engine.node_id, engine.hostname = node_id, hostname
        engine.save(update_fields=["node_id", "hostname"])
        NodeEngine.objects.filter(cluster=engine.cluster_id, node_id=node_id).exclude(pk=engine.pk).update(node_id="")
