"""The `apply` runner: the one way every deploy reaches the swarm (as `docker stack deploy` does).

params:
    namespace           the stack name; every object gets the label com.docker.stack.namespace=<namespace>
    services            [ServiceSpec JSON as the Engine API takes it]; Networks[].Target = network NAME,
                        ContainerSpec.Secrets[] with SecretName, Configs[] with ConfigName (ids are filled in)
    networks            {name: NetworkCreate body}            created when missing, never changed
    secrets             {name: {Name, Labels}}                created when missing (data from sealed)
    configs             {name: {Name, Labels, Data(base64)}}  created when missing
    external_networks / external_secrets / external_configs: [names] that must exist already
    prune               remove the namespace's services that are not in `services` (default false)
    resolve_image       never (default) | always | changed: pin the image digest as the CLI does
    detach              true: do not watch the rollout (default false)
    timeout             seconds the rollout watch may take (default DAVIT_ROLLOUT_TIMEOUT_SECONDS)
sealed:
    registry_auths      {registry host: {username, password, serveraddress}} sent as X-Registry-Auth
    secrets             {name: base64 data}

It creates what is missing, updates a service only when its normalized spec differs from the stored one (sending
the version it read: a concurrent change is a clear conflict), leaves the rest alone and says so, then watches the
rollout (apps.operations.runners.rollout). A second identical apply changes nothing.
"""

from __future__ import annotations

import base64
import binascii
import copy
import re
import time

from apps.swarm.errors import ObjectConflict, ObjectNotFound, SwarmError
from apps.swarm.images import auth_for, with_tag
from apps.swarm.services import IMAGE_LABEL, NAMESPACE_LABEL
from apps.swarm.specs import normalize, spec_changes

from .. import conf
from ..checks import run_checks
from ..runner import OperationFailed
from . import rollout

RESOLVE_MODES = ("never", "always", "changed")
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")

__all__ = ["changes_between", "run", "validate"]


# ------------------------------------------------------------------------------------------------ validation
def _fail(message: str):
    raise OperationFailed(f"Invalid parameters: {message}")


def _names(value, field: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        _fail(f"{field} must be a list of names")
    return list(value)


def _objects(value, field: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        _fail(f"{field} must map each name to an object")
    return value


def validate(params: dict) -> dict:
    """The parameters checked and completed; OperationFailed names the field and the cause."""
    if not isinstance(params, dict):
        _fail("the parameters must be an object")
    namespace = params.get("namespace")
    if not isinstance(namespace, str) or not namespace.strip():
        _fail("namespace is missing")
    if not NAME_PATTERN.match(namespace) or len(namespace) > 63:
        _fail(f"namespace {namespace!r} may hold only letters, digits, '_', '.', '-' (at most 63)")
    services = params.get("services")
    if not isinstance(services, list):
        _fail("services must be a list of service specs")
    seen = set()
    for index, spec in enumerate(services):
        where = f"services[{index}]"
        if not isinstance(spec, dict):
            _fail(f"{where} must be a service spec object")
        name = spec.get("Name")
        if not isinstance(name, str) or not name:
            _fail(f"{where}.Name is missing")
        where = f"services[{index}] ({name})"
        if name in seen:
            _fail(f"{where}: the name appears twice")
        seen.add(name)
        container = (spec.get("TaskTemplate") or {}).get("ContainerSpec")
        if not isinstance(container, dict) or not isinstance(container.get("Image"), str) or not container["Image"]:
            _fail(f"{where}.TaskTemplate.ContainerSpec.Image is missing")
    resolve = params.get("resolve_image", "never")
    if resolve not in RESOLVE_MODES:
        _fail(f"resolve_image must be one of {', '.join(RESOLVE_MODES)}, not {resolve!r}")
    timeout = params.get("timeout")
    if timeout is not None and (not isinstance(timeout, int | float) or timeout <= 0):
        _fail("timeout must be a positive number of seconds")
    checked = {
        "namespace": namespace,
        "services": services,
        "networks": _objects(params.get("networks"), "networks"),
        "secrets": _objects(params.get("secrets"), "secrets"),
        "configs": _objects(params.get("configs"), "configs"),
        "external_networks": _names(params.get("external_networks"), "external_networks"),
        "external_secrets": _names(params.get("external_secrets"), "external_secrets"),
        "external_configs": _names(params.get("external_configs"), "external_configs"),
        "prune": bool(params.get("prune", False)),
        "resolve_image": resolve,
        "detach": bool(params.get("detach", False)),
        "prune_resources": bool(params.get("prune_resources", False)),
        "timeout": float(timeout) if timeout else conf.rollout_timeout_seconds(),
    }
    for name, body in checked["secrets"].items():
        if body.get("Data"):
            _fail(f"secrets.{name}.Data: secret data must come sealed, never in the parameters")
    _check_references(checked)
    return checked


def _check_references(p: dict) -> None:
    networks = set(p["networks"]) | set(p["external_networks"])
    secrets = set(p["secrets"]) | set(p["external_secrets"])
    configs = set(p["configs"]) | set(p["external_configs"])
    for spec in p["services"]:
        name = spec["Name"]
        template = spec.get("TaskTemplate") or {}
        for network in list(template.get("Networks") or []) + list(spec.get("Networks") or []):
            target = network.get("Target")
            if target not in networks:
                _fail(f"service {name} uses network {target!r}, which is neither in networks nor external_networks")
        container = template.get("ContainerSpec") or {}
        for secret in container.get("Secrets") or []:
            if secret.get("SecretName") not in secrets:
                _fail(
                    f"service {name} uses secret {secret.get('SecretName')!r}, which is neither in secrets nor "
                    f"external_secrets"
                )
        for config in container.get("Configs") or []:
            if config.get("ConfigName") not in configs:
                _fail(
                    f"service {name} uses config {config.get('ConfigName')!r}, which is neither in configs nor "
                    f"external_configs"
                )


# ------------------------------------------------------------------------------------------------ the run
def run(ctx) -> dict:
    p = validate(ctx.params)
    client = ctx.client
    namespace = p["namespace"]
    stack_label = {NAMESPACE_LABEL: namespace}
    auths = (ctx.sealed or {}).get("registry_auths") or {}
    result = ctx.result
    result.update(
        {
            "namespace": namespace,
            "created": [],
            "updated": [],
            "unchanged": [],
            "removed": [],
            "networks_created": [],
            "secrets_created": [],
            "configs_created": [],
            "services": {},
        }
    )
    watch_share = 0 if p["detach"] else 60

    ctx.check_cancel()
    # other apps' checks (the team policy) see the final specs before the first write: a refusal writes nothing
    run_checks("apply", ctx, _named(p), networks=p["networks"], external_networks=p["external_networks"])
    existing = {s["Spec"]["Name"]: s for s in client.service_list(labels=stack_label)}
    desired_names = {spec["Name"] for spec in p["services"]}

    if p["prune"]:
        for name in sorted(set(existing) - desired_names):
            ctx.check_cancel()
            ctx.event(f"Removing service {name} (no longer in the stack)", data={"service": name, "action": "remove"})
            client.service_remove(existing[name]["ID"])
            result["removed"].append(name)
            del existing[name]

    network_ids = _networks(ctx, client, p, stack_label)
    secret_ids = _secrets(ctx, client, p, stack_label)
    config_ids = _configs(ctx, client, p, stack_label)
    lookups = {
        "networks": {v: k for k, v in network_ids.items()},
        "secrets": {v: k for k, v in secret_ids.items()},
        "configs": {v: k for k, v in config_ids.items()},
    }
    ctx.progress(10)

    targets: list[rollout.Watched] = []
    total = max(len(p["services"]), 1)
    for number, raw in enumerate(p["services"], start=1):
        ctx.check_cancel()
        spec = _prepared(raw, namespace, network_ids, secret_ids, config_ids)
        name = spec["Name"]
        current = existing.get(name)
        auth = auth_for(spec["TaskTemplate"]["ContainerSpec"]["Image"], auths)
        _resolve_image(ctx, client, spec, current, p["resolve_image"], auth)
        if current is None:
            ctx.event(f"Creating service {name}", data={"service": name, "action": "create"})
            answer = client.service_create_full(spec, auth=auth)
            service_id = answer["ID"]
            _warnings(ctx, name, answer.get("Warnings"))
            result["created"].append(name)
            targets.append(rollout.Watched(service_id, name, "created"))
        else:
            service_id = current["ID"]
            template = spec["TaskTemplate"]
            stored = (current["Spec"].get("TaskTemplate") or {}).get("ForceUpdate") or 0
            if (template.get("ForceUpdate") or 0) < stored:
                template["ForceUpdate"] = stored
            changes = changes_between(current["Spec"], spec, lookups, api_version=client.api_version)
            if changes:
                ctx.event(
                    f"Updating service {name}: {'; '.join(changes)}",
                    data={"service": name, "action": "update", "changes": changes},
                )
                try:
                    warnings = client.service_update(service_id, current["Version"]["Index"], spec, auth=auth)
                except ObjectConflict as exc:
                    raise OperationFailed(
                        f"Service {name} was changed by someone else while this operation ran ({exc.message}); "
                        f"nothing was sent for it. Retry the operation to apply on top of the new version."
                    )
                _warnings(ctx, name, warnings)
                result["updated"].append(name)
                targets.append(rollout.Watched(service_id, name, "updated"))
            else:
                ctx.event(f"Service {name} unchanged", data={"service": name, "action": "unchanged"})
                result["unchanged"].append(name)
                targets.append(rollout.Watched(service_id, name, "unchanged"))
        result["services"][name] = service_id
        ctx.progress(10 + (90 - watch_share - 10) * number / total)

    changed = bool(
        result["created"]
        or result["updated"]
        or result["removed"]
        or result["networks_created"]
        or result["secrets_created"]
        or result["configs_created"]
    )
    if p["detach"]:
        pruned = _prune_resources(ctx, client, p, stack_label) if p["prune_resources"] else ""
        ctx.summary = _summary(result, changed) + pruned + " The rollout is not watched (detach)."
        return result
    ctx.progress(100 - watch_share)
    rollout.watch(ctx, client, targets, timeout=p["timeout"], start=100 - watch_share, end=100)
    pruned = _prune_resources(ctx, client, p, stack_label) if p["prune_resources"] else ""
    ctx.summary = _summary(result, changed) + (" Every service converged." if targets and changed else "") + pruned
    return result


PRUNE_WAIT_SECONDS = 60.0


def _prune_resources(ctx, client, p: dict, stack_label: dict) -> str:
    """prune_resources (an option the CLI lacks): remove the stack's networks, secrets and configs that are
    neither in the parameters nor used by a service of the stack any more; retries while tasks let go."""
    keep = {
        "network": {body.get("Name") or name for name, body in p["networks"].items()},
        "secret": {body.get("Name") or name for name, body in p["secrets"].items()},
        "config": {body.get("Name") or name for name, body in p["configs"].items()},
    }
    used: set[str] = set()
    for service in client.service_list(labels=stack_label):
        spec = service.get("Spec") or {}
        template = spec.get("TaskTemplate") or {}
        container = template.get("ContainerSpec") or {}
        attached = list(template.get("Networks") or []) + list(spec.get("Networks") or [])
        used.update(n.get("Target", "") for n in attached)
        for ref in list(container.get("Secrets") or []) + list(container.get("Configs") or []):
            used.update(v for k, v in ref.items() if k in ("SecretID", "SecretName", "ConfigID", "ConfigName"))
    removed: dict[str, list[str]] = {"network": [], "secret": [], "config": []}
    deadline = time.monotonic() + PRUNE_WAIT_SECONDS
    for kind, listing, remove in (
        ("secret", client.secret_list, client.secret_remove),
        ("config", client.config_list, client.config_remove),
        ("network", client.network_list, client.network_remove),
    ):
        for obj in listing(labels=stack_label):
            ident = obj.get("ID") or obj.get("Id") or ""
            name = (obj.get("Spec") or {}).get("Name") or obj.get("Name") or ident
            if name in keep[kind] or name in used or ident in used:
                continue
            ctx.check_cancel()
            ctx.event(f"Removing {kind} {name} (no longer used by the stack)", data={kind: name, "action": "remove"})
            while True:
                try:
                    remove(ident)
                    break
                except ObjectNotFound:
                    break
                except SwarmError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)
            removed[kind].append(name)
    while removed["network"] and {n.get("Name") for n in client.network_list(labels=stack_label)} & set(
        removed["network"]
    ):  # overlay networks go asynchronously
        if time.monotonic() > deadline:
            break
        time.sleep(0.3)
    ctx.result["resources_removed"] = removed
    count = sum(len(v) for v in removed.values())
    return f" {count} unused network(s), secret(s) and config(s) removed." if count else ""


# fields whose values may hold what a person would not want repeated in an event: only say they changed
QUIET_FIELDS = {"Env", "Secrets", "Configs", "Labels", "Args", "Command", "Test", "Hosts"}


def changes_between(
    stored: dict, desired: dict, lookups: dict | None = None, *, api_version: str | None = None
) -> list[str]:
    """What an update would change, one readable item per field (values of environment, labels, commands
    and secret references are not repeated: only that they changed). Empty: nothing to send."""
    lookups = lookups or {}
    # fields the engine's API version does not know are dropped by it, so they are no change
    changes = spec_changes(normalize(stored, **lookups), normalize(desired, api_version=api_version, **lookups))
    described = []
    for change in changes:
        path = change.split(": ", 1)[0]
        quiet = QUIET_FIELDS.intersection(re.split(r"[.\[]", path))
        described.append(f"{path} changed" if quiet else change)
    old_force = (stored.get("TaskTemplate") or {}).get("ForceUpdate") or 0
    new_force = (desired.get("TaskTemplate") or {}).get("ForceUpdate") or 0
    if new_force != old_force:
        described.append(f"TaskTemplate.ForceUpdate: {old_force} -> {new_force} (tasks are recreated)")
    return described


def _summary(result: dict, changed: bool) -> str:
    count = len(result["created"]) + len(result["updated"]) + len(result["unchanged"])
    if not changed:
        return f"Nothing to change: the {count} service(s) of stack {result['namespace']} are up to date."
    parts = []
    for key, word in (
        ("created", "created"),
        ("updated", "updated"),
        ("unchanged", "unchanged"),
        ("removed", "removed"),
    ):
        if result[key]:
            parts.append(f"{len(result[key])} {word} ({', '.join(result[key])})")
    return f"Stack {result['namespace']}: " + ", ".join(parts) + "."


def _warnings(ctx, name: str, warnings) -> None:
    for warning in warnings or []:
        ctx.event(f"Service {name}: {warning}", level="warning", data={"service": name, "warning": warning})


# ------------------------------------------------------------------------------------------------ resources
def _by_name(objects: list[dict], name_of) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for obj in objects:
        found.setdefault(name_of(obj), []).append(obj)
    return found


def _networks(ctx, client, p: dict, stack_label: dict) -> dict[str, str]:
    wanted = set(p["networks"]) | set(p["external_networks"])
    if not wanted:
        return {}
    existing = _by_name(client.network_list(), lambda n: n.get("Name", ""))
    ids: dict[str, str] = {}
    for name in p["external_networks"]:
        candidates = existing.get(name) or []
        swarm_scoped = [n for n in candidates if n.get("Scope") == "swarm"]
        if not candidates:
            raise OperationFailed(f"The external network {name} does not exist on the cluster; create it first.")
        if not swarm_scoped:
            raise OperationFailed(
                f"The external network {name} has scope {candidates[0].get('Scope')}; services need a swarm-scoped "
                f"network (e.g. an overlay)."
            )
        ids[name] = swarm_scoped[0]["Id"]
    for name, body in p["networks"].items():
        ctx.check_cancel()
        network_name = body.get("Name") or name
        candidates = [n for n in existing.get(network_name) or [] if n.get("Scope") == "swarm"]
        if candidates:
            ids[name] = candidates[0]["Id"]
            continue
        request = {
            **body,
            "Name": network_name,
            "Driver": body.get("Driver") or "overlay",
            "Labels": {**(body.get("Labels") or {}), **stack_label},
        }
        ctx.event(f"Creating network {network_name}", data={"network": network_name, "action": "create"})
        ids[name] = client.network_create(request)
        ctx.result["networks_created"].append(network_name)
    return ids


def _decode(data, what: str) -> bytes:
    try:
        return base64.b64decode(data or "", validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise OperationFailed(f"The data of {what} is not valid base64.")


def _object_extra(body: dict) -> dict:
    """The parts of a secret or config body besides name, labels and data (driver, templating), as given."""
    return {key: body[key] for key in ("Driver", "Templating") if body.get(key)}


def _secrets(ctx, client, p: dict, stack_label: dict) -> dict[str, str]:
    wanted = set(p["secrets"]) | set(p["external_secrets"])
    if not wanted:
        return {}
    existing = {s["Spec"]["Name"]: s["ID"] for s in client.secret_list()}
    ids: dict[str, str] = {}
    for name in p["external_secrets"]:
        if name not in existing:
            raise OperationFailed(f"The external secret {name} does not exist on the cluster; create it first.")
        ids[name] = existing[name]
    data_of = (ctx.sealed or {}).get("secrets") or {}
    for name, body in p["secrets"].items():
        ctx.check_cancel()
        secret_name = body.get("Name") or name
        if secret_name in existing:
            ids[name] = existing[secret_name]
            continue
        if name not in data_of and secret_name not in data_of:
            raise OperationFailed(f"The data of secret {secret_name} was not given; it cannot be created.")
        data = _decode(data_of.get(name, data_of.get(secret_name)), f"secret {secret_name}")
        ctx.event(f"Creating secret {secret_name}", data={"secret_name": secret_name, "action": "create"})
        ids[name] = client.secret_create(
            secret_name, data, labels={**(body.get("Labels") or {}), **stack_label}, extra=_object_extra(body)
        )
        ctx.result["secrets_created"].append(secret_name)
    return ids


def _configs(ctx, client, p: dict, stack_label: dict) -> dict[str, str]:
    wanted = set(p["configs"]) | set(p["external_configs"])
    if not wanted:
        return {}
    existing = {c["Spec"]["Name"]: c["ID"] for c in client.config_list()}
    ids: dict[str, str] = {}
    for name in p["external_configs"]:
        if name not in existing:
            raise OperationFailed(f"The external config {name} does not exist on the cluster; create it first.")
        ids[name] = existing[name]
    for name, body in p["configs"].items():
        ctx.check_cancel()
        config_name = body.get("Name") or name
        if config_name in existing:
            ids[name] = existing[config_name]
            continue
        sealed_data = ((ctx.sealed or {}).get("configs") or {}).get(name)  # config files may hold secrets too
        data = _decode(sealed_data or body.get("Data"), f"config {config_name}")
        ctx.event(f"Creating config {config_name}", data={"config_name": config_name, "action": "create"})
        ids[name] = client.config_create(
            config_name, data, labels={**(body.get("Labels") or {}), **stack_label}, extra=_object_extra(body)
        )
        ctx.result["configs_created"].append(config_name)
    return ids


# ------------------------------------------------------------------------------------------------ specs
def _prepared(raw: dict, namespace: str, network_ids: dict, secret_ids: dict, config_ids: dict) -> dict:
    """The spec to send: namespace labels added, network/secret/config names resolved to ids."""
    spec = copy.deepcopy(raw)
    spec["Labels"] = {**(spec.get("Labels") or {}), NAMESPACE_LABEL: namespace}
    template = spec.setdefault("TaskTemplate", {})
    container = template.setdefault("ContainerSpec", {})
    container["Labels"] = {**(container.get("Labels") or {}), NAMESPACE_LABEL: namespace}
    spec["Labels"].setdefault(IMAGE_LABEL, container["Image"])
    if spec.get("Networks") and not template.get("Networks"):
        template["Networks"] = spec.pop("Networks")
    for network in template.get("Networks") or []:
        network["Target"] = network_ids[network["Target"]]
    for secret in container.get("Secrets") or []:
        secret["SecretID"] = secret_ids[secret["SecretName"]]
    for config in container.get("Configs") or []:
        config["ConfigID"] = config_ids[config["ConfigName"]]
    return spec


def _named(p: dict) -> list[dict]:
    """The final specs as `_prepared` makes them, with networks, secrets and configs by name, not id (before the
    first write some do not exist yet)."""
    networks = {key: body.get("Name") or key for key, body in p["networks"].items()}
    networks.update((name, name) for name in p["external_networks"])
    secrets = {name: name for name in [*p["secrets"], *p["external_secrets"]]}
    configs = {name: name for name in [*p["configs"], *p["external_configs"]]}
    return [_prepared(raw, p["namespace"], networks, secrets, configs) for raw in p["services"]]


def _resolve_image(ctx, client, spec: dict, current: dict | None, mode: str, auth: dict | None) -> None:
    """Pin the image digest as `docker stack deploy --resolve-image` does (never / always / changed)."""
    container = spec["TaskTemplate"]["ContainerSpec"]
    written = spec["Labels"].get(IMAGE_LABEL) or container["Image"]
    current_spec = (current or {}).get("Spec") or {}
    same_as_before = current is not None and (current_spec.get("Labels") or {}).get(IMAGE_LABEL) == written
    current_image = ((current_spec.get("TaskTemplate") or {}).get("ContainerSpec") or {}).get("Image")
    if mode == "never" or (mode == "changed" and same_as_before):
        if same_as_before and current_image:
            container["Image"] = current_image
        return
    try:
        answer = client.distribution_inspect(written, auth=auth)
    except SwarmError as exc:
        ctx.event(
            f"Image {written} could not be accessed on a registry to record its digest ({exc.message}); each node "
            f"may run a different image",
            level="warning",
            data={"image": written},
        )
        return
    digest = (answer.get("Descriptor") or {}).get("digest")
    if not digest:
        return
    container["Image"] = f"{with_tag(written).split('@')[0]}@{digest}"
    placement = spec["TaskTemplate"].setdefault("Placement", {})
    if not placement.get("Platforms"):
        platforms = []
        for platform in answer.get("Platforms") or []:
            os_name, arch = platform.get("os", ""), platform.get("architecture", "")
            if not os_name or not arch or "unknown" in (os_name, arch):
                continue
            entry = {"OS": os_name, "Architecture": "" if arch == "arm" else arch}
            if entry not in platforms:
                platforms.append(entry)
        if platforms:
            placement["Platforms"] = platforms
